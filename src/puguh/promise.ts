/**
 * The PUGUH client as Promises, for apps that do not use Effect: the same surface (`auth`,
 * `organizations`, `applications`, `billing`, the context, `verifyToken`), rejecting with the same
 * error instances; `listAll` and `listAllMembers` are async iterables.
 *
 * @module
 */
import { Context, Effect, Layer } from "effect"
import type { HttpClient } from "effect/http"
import { type PromiseClient, type Promised, promiseFacade, type WithFetch } from "../core/promise.ts"
import {
  Puguh,
  type PuguhApplications,
  type PuguhCredentialOptions,
  type PuguhOptions,
  type PuguhOrganizations,
  type PuguhService,
} from "./client.ts"
import type { Application, ApplicationMember, Member, Organization, Page } from "./contract.ts"
import { ApiError } from "./errors.ts"
import type { OrganizationListOptions, PageOptions } from "./client.ts"

export type { WithFetch } from "../core/promise.ts"

type Modules = Pick<PuguhService, "auth" | "organizations" | "applications" | "billing">
type ModuleName = keyof Modules

const MODULES: ReadonlyArray<ModuleName> = ["auth", "organizations", "applications", "billing"]

type FlatModule<M extends ModuleName> = {
  readonly [K in keyof Modules[M] & string as `${M}.${K}`]: Modules[M][K]
}

/** The service with its modules' methods flattened (`"auth.login"`), so one runtime serves them all. */
type Flat =
  & FlatModule<"auth">
  & FlatModule<"organizations">
  & FlatModule<"applications">
  & FlatModule<"billing">
  & Omit<PuguhService, ModuleName>

const flatten = (service: PuguhService): Flat =>
  Object.fromEntries([
    ...MODULES.flatMap((module) =>
      Object.entries(service[module]).map(([name, method]) => [`${module}.${name}`, method] as const)
    ),
    ...Object.entries(service).filter(([name]) => !(MODULES as ReadonlyArray<string>).includes(name)),
  ]) as unknown as Flat

const PuguhFlat: Context.Service<Flat, Flat> = Context.Service<Flat>("@gatehouse/sdk/PuguhPromise")

const wrap = promiseFacade(PuguhFlat, {
  "auth.login": true,
  "auth.register": true,
  "auth.refreshToken": true,
  "auth.validateToken": true,
  "auth.requestMagicLink": true,
  "auth.verifyMagicLink": true,
  "auth.setupMfa": true,
  "auth.confirmMfa": true,
  "auth.disableMfa": true,
  "organizations.list": true,
  "organizations.create": true,
  "organizations.get": true,
  "organizations.update": true,
  "organizations.delete": true,
  "organizations.listMembers": true,
  "organizations.inviteMember": true,
  "organizations.updateMemberRole": true,
  "organizations.removeMember": true,
  "applications.list": true,
  "applications.create": true,
  "applications.get": true,
  "applications.update": true,
  "applications.delete": true,
  "applications.listMembers": true,
  "applications.addMember": true,
  "billing.getPlans": true,
  "billing.getPlan": true,
  "billing.getSubscription": true,
  "billing.createSubscription": true,
  "billing.upgrade": true,
  "billing.cancel": true,
  "billing.getInvoices": true,
  "billing.getUsage": true,
  setOrganizationContext: true,
  setApplicationContext: true,
  clearContext: true,
  getContext: true,
  verifyToken: true,
}, () => new ApiError({ code: "client_closed", message: "PuguhClient used after close()." }))

/**
 * `organizations` as Promises; `listAll` and `listAllMembers` iterate every page.
 *
 * @example
 * ```ts
 * import { PuguhClient } from "@gatehouse/sdk/puguh"
 *
 * await using puguh = PuguhClient.make({ accessToken: "eyJ..." })
 * for await (const organization of puguh.organizations.listAll()) console.log(organization.name)
 * ```
 */
export type PromisedOrganizations = Promised<Omit<PuguhOrganizations, "listAll" | "listAllMembers">> & {
  /** Every organization of the caller, page after page. */
  readonly listAll: (options?: OrganizationListOptions) => AsyncIterable<Organization>
  /** Every member of an organization, page after page. */
  readonly listAllMembers: (orgId?: string, options?: PageOptions) => AsyncIterable<Member>
}

/**
 * `applications` as Promises; `listAll` and `listAllMembers` iterate every page.
 *
 * @example
 * ```ts
 * import { PuguhClient } from "@gatehouse/sdk/puguh"
 *
 * await using puguh = PuguhClient.make({ accessToken: "eyJ...", organizationId: "org-uuid" })
 * for await (const application of puguh.applications.listAll()) console.log(application.slug)
 * ```
 */
export type PromisedApplications = Promised<Omit<PuguhApplications, "listAll" | "listAllMembers">> & {
  /** Every application of an organization, page after page. */
  readonly listAll: (orgId?: string, options?: PageOptions) => AsyncIterable<Application>
  /** Every member of an application, page after page. */
  readonly listAllMembers: (appId?: string, options?: PageOptions) => AsyncIterable<ApplicationMember>
}

/**
 * The PUGUH client as Promises: the service's surface, and `close`.
 *
 * @example
 * ```ts
 * import { PuguhClient, type PuguhPromiseClient } from "@gatehouse/sdk/puguh"
 *
 * const planNames = async (puguh: PuguhPromiseClient) => (await puguh.billing.getPlans()).map((plan) => plan.name)
 * await using puguh = PuguhClient.make({ accessToken: "eyJ..." })
 * console.log(await planNames(puguh))
 * ```
 */
export type PuguhPromiseClient = Promised<Omit<PuguhService, "auth" | "organizations" | "applications" | "billing">> & {
  /** Sign-in, tokens, magic links and MFA. */
  readonly auth: Promised<PuguhService["auth"]>
  /** Organizations and their members. */
  readonly organizations: PromisedOrganizations
  /** Applications and their members. */
  readonly applications: PromisedApplications
  /** Plans, subscriptions, invoices and usage. */
  readonly billing: Promised<PuguhService["billing"]>
  /** Releases the client; later calls reject with `ApiError` (`client_closed`). */
  readonly close: () => Promise<void>
  readonly [Symbol.asyncDispose]: () => Promise<void>
}

/** Every item of a list, page after page, from the page `options` start at. */
async function* pagesOf<A>(
  options: PageOptions | undefined,
  page: (options: PageOptions) => Promise<Page<A>>,
): AsyncGenerator<A> {
  for (let number = options?.page ?? 1;; number++) {
    const result = await page({ ...options, page: number })
    yield* result.items
    if (!result.hasNext) return
  }
}

const regroup = (flat: PromiseClient<Flat>): PuguhPromiseClient => {
  const methods = flat as unknown as Readonly<Record<string, unknown>>
  const module = (name: ModuleName) =>
    Object.fromEntries(
      Object.entries(methods).filter(([key]) => key.startsWith(`${name}.`)).map((
        [key, method],
      ) => [key.slice(name.length + 1), method]),
    )
  const organizations: PromisedOrganizations = {
    ...module("organizations") as Promised<Omit<PuguhOrganizations, "listAll" | "listAllMembers">>,
    listAll: (options) => pagesOf(options, (page) => flat["organizations.list"]({ ...options, ...page })),
    listAllMembers: (orgId, options) => pagesOf(options, (page) => flat["organizations.listMembers"](orgId, page)),
  }
  const applications: PromisedApplications = {
    ...module("applications") as Promised<Omit<PuguhApplications, "listAll" | "listAllMembers">>,
    listAll: (orgId, options) => pagesOf(options, (page) => flat["applications.list"](orgId, page)),
    listAllMembers: (appId, options) => pagesOf(options, (page) => flat["applications.listMembers"](appId, page)),
  }
  return {
    auth: module("auth") as PuguhPromiseClient["auth"],
    organizations,
    applications,
    billing: module("billing") as PuguhPromiseClient["billing"],
    setOrganizationContext: flat.setOrganizationContext,
    setApplicationContext: flat.setApplicationContext,
    clearContext: flat.clearContext,
    getContext: flat.getContext,
    verifyToken: flat.verifyToken,
    close: flat.close,
    [Symbol.asyncDispose]: flat[Symbol.asyncDispose],
  }
}

const promised = <E>(layer: Layer.Layer<Puguh, E, HttpClient.HttpClient>, options: WithFetch): PuguhPromiseClient =>
  regroup(wrap(Layer.effect(PuguhFlat, Effect.map(Effect.service(Puguh), flatten)).pipe(Layer.provide(layer)), options))

/**
 * `Puguh` as Promise methods, grouped as in the seed (`client.auth.login(...)`); they reject with
 * the same error instances (`AuthError`, `RateLimitError`, `NetworkError`, `ApiError`: all
 * `instanceof PuguhError`; `InvalidArgument`, `MissingContext`, `ConfigurationError` before any
 * request). `await using` closes it, as the seed's `async with` does.
 *
 * @example
 * ```ts
 * import { AuthError, PuguhClient, RateLimitError } from "@gatehouse/sdk/puguh"
 *
 * await using puguh = PuguhClient.make({ apiKey: "pk_live_...", organizationId: "org-uuid" })
 * try {
 *   const plans = await puguh.billing.getPlans()
 *   for (const plan of plans) console.log(`${plan.name}: ${plan.price}/mo`)
 *   for await (const member of puguh.organizations.listAllMembers()) console.log(member.email)
 * } catch (error) {
 *   if (error instanceof RateLimitError) console.log(`retry after ${error.retryAfter}`)
 *   else if (error instanceof AuthError) console.log("sign in again")
 *   else throw error
 * }
 * ```
 */
export const PuguhClient: {
  readonly make: (options?: PuguhCredentialOptions & WithFetch) => PuguhPromiseClient
  readonly fromEnv: (options?: PuguhOptions & WithFetch) => PuguhPromiseClient
} = {
  make: (options = {}) => promised(Puguh.layer(options), options),
  fromEnv: (options = {}) => promised(Puguh.layerConfig(options), options),
}
