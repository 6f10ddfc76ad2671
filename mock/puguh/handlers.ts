/**
 * The PUGUH API's mock handlers, one per endpoint of `PuguhApi` (billing under both of its
 * prefixes), after contracts.md §2: FastAPI's error bodies (`{"detail": ...}`, a 422's list of
 * `{loc, msg, type}`), the credential checked before the body is read (401 with
 * `WWW-Authenticate`; an API key needs `X-Organization-ID`, its own organization), roles enforced
 * by the state. The router decodes what they take and encodes what they answer with the
 * contract's schemas.
 *
 * @module
 */
import { Redacted, Schema } from "effect"
import {
  type Application,
  type ApplicationMember,
  type BillingEndpoint,
  type ErrorBody,
  ErrorBodySchema,
  type Invitation,
  type Invoice,
  type Member,
  type Organization,
  ORGANIZATION_HEADER,
  type Plan,
  PuguhApi,
  type Role,
  type Subscription,
  type Tokens,
  type Usage,
  type ValidationIssue,
  wireName,
} from "../../src/puguh/contract.ts"
import type { Endpoint, Input, Success } from "../../src/core/endpoint.ts"
import {
  documentRoutes,
  handle,
  makeRouter,
  type MockRequest,
  ok,
  type Reply,
  type Route,
  type Router,
} from "../../src/core/router.ts"
import type { MockInvoice, MockPlan, MockSubscription } from "./billing.ts"
import { forbidden, invalid, Problem, unauthorized } from "./problem.ts"
import type { ErrorContext } from "../api.ts"
import type {
  IssuedTokens,
  MockApplication,
  MockApplicationMember,
  MockInvitation,
  MockMember,
  MockOrganization,
  MockUsage,
  Principal,
  PuguhState,
} from "./state.ts"
import { paginate } from "./state.ts"

const encodeError = Schema.encodeSync(ErrorBodySchema)

/** Headers on every answer: a fresh request id. */
const answerHeaders = () => ({ "x-request-id": crypto.randomUUID() })

/** An error answer in the API's shape. */
const errorResponse = (status: number, body: ErrorBody, headers: Readonly<Record<string, string>> = {}) =>
  Response.json(encodeError(body), { status, headers: { ...answerHeaders(), ...headers } })

/**
 * PUGUH's error answer for any `status` (a forced fault, `Prefer: code=`): FastAPI's `detail`; a
 * 401 with `WWW-Authenticate`, and the code the endpoint reached gives (`invalid_credentials` on login).
 */
export const puguhError = (status: number, message: string, context?: ErrorContext): Response => {
  if (status === 422) return errorResponse(422, { detail: validationIssues(message) })
  if (status === 401) return problemResponse(unauthorized(message, UNAUTHORIZED_CODES[context?.endpoint?.name ?? ""]))
  return errorResponse(status, { detail: message }, status === 429 ? { "retry-after": "1" } : {})
}

/** The code of each endpoint's 401 that has one. */
const UNAUTHORIZED_CODES: Readonly<Record<string, string>> = {
  login: "invalid_credentials",
  refreshToken: "invalid_token",
}

const problemResponse = (problem: Problem) => errorResponse(problem.status, problem.body, problem.headers)

/** Runs a rule of the state, answering the `Problem` it throws. */
const answering = async <A>(rule: () => Reply<A> | Promise<Reply<A>>): Promise<Reply<A>> => {
  try {
    return await rule()
  } catch (error) {
    if (error instanceof Problem) return problemResponse(error)
    throw error
  }
}

/**
 * The router's own 400 (input that does not decode) as FastAPI answers it: 422 with one item,
 * its `loc` read from the schema's path (`Invalid body: Missing key\n  at ["email"]`).
 */
const validationIssues = (message: string): ReadonlyArray<ValidationIssue> => {
  const matched = /^Invalid (path|query|body): ([\s\S]*)$/.exec(message)
  if (matched === null) {
    const parameter = /^Malformed path parameter (\S+)/.exec(message)
    return parameter !== null
      ? [{ loc: ["path", parameter[1]], msg: message, type: "value_error" }]
      : [{ loc: ["body"], msg: message, type: message.includes("JSON") ? "json_invalid" : "value_error" }]
  }
  const [first, ...rest] = matched[2].split("\n")
  const at = rest.map((line) => line.trim()).find((line) => line.startsWith("at "))
  // The schema's path names the TypeScript fields: the caller sent their wire names.
  const path = at === undefined
    ? []
    : (JSON.parse(at.slice(3)) as ReadonlyArray<string | number>).map((key) =>
      typeof key === "string" ? wireName(key) : key
    )
  return first === "Missing key"
    ? [{ loc: [matched[1], ...path], msg: "Field required", type: "missing" }]
    : [{ loc: [matched[1], ...path], msg: first, type: "value_error" }]
}

const ROUTER_ERRORS: Readonly<Record<404 | 405 | 413 | 431 | 500, string>> = {
  404: "Not Found",
  405: "Method Not Allowed",
  413: "Request Entity Too Large",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
}

const iso = (epochMillis: number): string => new Date(epochMillis).toISOString()
const isoOrNull = (epochMillis: number | null): string | null => epochMillis === null ? null : iso(epochMillis)

const tokensOf = (issued: IssuedTokens): Tokens => ({
  accessToken: Redacted.make(issued.accessToken),
  tokenType: "Bearer",
  expiresIn: issued.expiresIn,
  refreshToken: Redacted.make(issued.refreshToken),
})

const organizationOf = (organization: MockOrganization & { readonly role?: Role }): Organization => ({
  id: organization.id,
  name: organization.name,
  slug: organization.slug,
  description: organization.description,
  type: organization.type,
  ...(organization.role !== undefined && { role: organization.role }),
  ownerId: organization.ownerId,
  memberCount: organization.memberCount,
  createdAt: iso(organization.createdAt),
  updatedAt: iso(organization.updatedAt),
})

const memberOf = (member: MockMember): Member => ({
  userId: member.userId,
  email: member.email,
  fullName: member.fullName,
  role: member.role,
  joinedAt: iso(member.joinedAt),
})

const invitationOf = (invitation: MockInvitation): Invitation => ({
  ...invitation,
  createdAt: iso(invitation.createdAt),
  expiresAt: iso(invitation.expiresAt),
})

const applicationOf = (application: MockApplication): Application => ({
  id: application.id,
  organizationId: application.organizationId,
  name: application.name,
  slug: application.slug,
  environment: application.environment,
  description: application.description,
  createdAt: iso(application.createdAt),
  updatedAt: iso(application.updatedAt),
})

const applicationMemberOf = (member: MockApplicationMember): ApplicationMember => ({
  ...member,
  addedAt: iso(member.addedAt),
})

const planOf = (plan: MockPlan): Plan => ({ ...plan, currency: "IDR" })

const subscriptionOf = (subscription: MockSubscription, plan: MockPlan): Subscription => ({
  id: subscription.id,
  organizationId: subscription.organizationId,
  plan: subscription.plan,
  planName: plan.name,
  status: subscription.status,
  billingCycle: subscription.billingCycle,
  currentPeriodStart: iso(subscription.currentPeriodStart),
  currentPeriodEnd: iso(subscription.currentPeriodEnd),
  createdAt: iso(subscription.createdAt),
  cancelledAt: isoOrNull(subscription.cancelledAt),
  gracePeriodEndsAt: isoOrNull(subscription.gracePeriodEndsAt),
  // A field this version of the contract does not name: the client keeps it as it came.
  payment_method_id: subscription.paymentMethodId,
})

const invoiceOf = (invoice: MockInvoice): Invoice => ({
  id: invoice.id,
  number: invoice.number,
  amount: invoice.amount,
  currency: "IDR",
  status: invoice.status,
  periodStart: iso(invoice.periodStart),
  periodEnd: iso(invoice.periodEnd),
  paidAt: isoOrNull(invoice.paidAt),
  plan: invoice.plan,
})

const usageOf = (usage: MockUsage, plan: MockPlan | undefined): Usage => ({
  organizationId: usage.organizationId,
  periodStart: iso(usage.periodStart),
  periodEnd: iso(usage.periodEnd),
  apiCalls: usage.apiCalls,
  members: usage.members,
  applications: usage.applications,
  ...(plan !== undefined && { limits: plan.limits }),
})

const { endpoints } = PuguhApi

/** The PUGUH router: every endpoint of `PuguhApi` over `state`. */
export const puguhRouter = (state: PuguhState): Router => {
  // Who each request that passed `authorize` comes from.
  const principals = new WeakMap<Request, Principal>()

  const principalOf = ({ request }: MockRequest): Principal => {
    const principal = principals.get(request)
    if (principal === undefined) throw unauthorized("Not authenticated")
    return principal
  }

  const userOf = (context: MockRequest): string => {
    const principal = principalOf(context)
    if (principal.kind !== "user") throw forbidden("This needs a user's access token, not an API key", "user_required")
    return principal.userId
  }

  /** The organization in `X-Organization-ID`: 422 when it is missing, as FastAPI answers a required header. */
  const organizationHeader = ({ request }: MockRequest): string => {
    const organizationId = request.headers.get(ORGANIZATION_HEADER)
    if (organizationId === null || organizationId === "") {
      throw invalid(["header", ORGANIZATION_HEADER], "Field required", "missing")
    }
    return organizationId
  }

  /** A handler whose rules may refuse with a `Problem`. */
  const route = <const P extends Endpoint>(
    endpoint: P,
    handler: (input: Input<P>, context: MockRequest) => Reply<Success<P>> | Promise<Reply<Success<P>>>,
  ): Route => handle(endpoint, (input, context) => answering(() => handler(input, context)))

  const billingRoutes = (suffix: "" | "V1"): ReadonlyArray<Route> => {
    // The V1 endpoints are the same specs under another prefix: typed as their twins.
    const at = <K extends BillingEndpoint>(name: K) => endpoints[`${name}${suffix}`] as unknown as (typeof endpoints)[K]
    /** The organization of a billing call, and the principal's role in it (at least `minimum`). */
    const organization = (context: MockRequest, minimum: Role) => {
      const organizationId = organizationHeader(context)
      state.requireRole(principalOf(context), organizationId, minimum, "header")
      return organizationId
    }
    const subscribed = (subscription: MockSubscription) =>
      ok(subscriptionOf(subscription, state.billing.plan(subscription.plan)))
    return [
      route(at("getPlans"), () => ok({ items: state.billing.plans().map(planOf) })),
      route(at("getPlan"), ({ params }) => ok(planOf(state.billing.plan(params.planId)))),
      route(at("getSubscription"), (_, context) => {
        const subscription = state.billing.subscription(organization(context, "viewer"))
        if (subscription === undefined) throw new Problem(404, "The organization has no subscription")
        return subscribed(subscription)
      }),
      route(at("createSubscription"), ({ payload }, context) =>
        subscribed(
          state.billing.subscribe(
            organization(context, "admin"),
            payload.plan,
            payload.billingCycle,
            payload.paymentMethodId,
          ),
        )),
      route(
        at("upgradeSubscription"),
        ({ payload }, context) => subscribed(state.billing.upgrade(organization(context, "admin"), payload.planId)),
      ),
      route(at("cancelSubscription"), (_, context) => subscribed(state.billing.cancel(organization(context, "admin")))),
      route(
        at("getInvoices"),
        (_, context) => ok({ items: state.billing.invoices(organization(context, "viewer")).map(invoiceOf) }),
      ),
      route(at("getUsage"), (_, context) => {
        const organizationId = organization(context, "viewer")
        const plan = state.billing.subscription(organizationId)?.plan
        return ok(usageOf(state.usage(organizationId), plan === undefined ? undefined : state.billing.plan(plan)))
      }),
    ]
  }

  return makeRouter(PuguhApi, [
    route(
      endpoints.login,
      async ({ payload }) =>
        ok(tokensOf(await state.login(payload.email, Redacted.value(payload.password), payload.mfaCode))),
    ),
    route(endpoints.register, ({ payload }) => {
      const user = state.register(payload.email, Redacted.value(payload.password), payload.fullName)
      return ok({ userId: user.id, email: user.email, organizationId: user.personalOrganizationId })
    }),
    route(
      endpoints.refreshToken,
      async ({ payload }) => ok(tokensOf(await state.refresh(Redacted.value(payload.refreshToken)))),
    ),
    route(endpoints.validateToken, ({ payload }, context) => {
      const header = context.request.headers.get(ORGANIZATION_HEADER) ?? undefined
      const owner = state.tokenOwner(Redacted.value(payload.token), header === "" ? undefined : header)
      return ok({
        userId: owner.user.id,
        email: owner.user.email,
        fullName: owner.user.fullName,
        roles: owner.role === undefined ? [] : [owner.role],
        organizationId: owner.organizationId,
        mfaEnabled: owner.user.mfaEnabled,
        expiresAt: iso(owner.expiresAt),
        personal_organization_id: owner.user.personalOrganizationId,
      })
    }),
    route(endpoints.requestMagicLink, ({ payload }, context) => {
      state.requestMagicLink(payload.email, context.baseUrl)
      return ok({ message: "If the address has an account, a sign-in link is on its way." })
    }),
    route(
      endpoints.verifyMagicLink,
      async ({ payload }) => ok(tokensOf(await state.verifyMagicLink(Redacted.value(payload.token)))),
    ),
    route(endpoints.setupMfa, (_, context) => {
      const { secret, otpauthUrl } = state.setupMfa(userOf(context))
      return ok({ secret: Redacted.make(secret), qrCodeUrl: Redacted.make(otpauthUrl), type: "totp" })
    }),
    route(endpoints.confirmMfa, async ({ payload }, context) => {
      await state.confirmMfa(userOf(context), payload.code)
      return ok({ mfaEnabled: true, message: "MFA is on: sign-ins now ask for a code." })
    }),
    route(endpoints.disableMfa, async ({ payload }, context) => {
      await state.disableMfa(userOf(context), payload.code)
      return ok({ mfaEnabled: false, message: "MFA is off." })
    }),

    route(endpoints.listOrganizations, ({ query }, context) => {
      const all = state.organizations(principalOf(context), { type: query.type, search: query.search })
      return ok(paginate(all.map(organizationOf), query.page, query.pageSize))
    }),
    route(
      endpoints.createOrganization,
      ({ payload }, context) => ok(organizationOf(state.createOrganization(principalOf(context), payload))),
    ),
    route(
      endpoints.getOrganization,
      ({ params }, context) => ok(organizationOf(state.organization(principalOf(context), params.orgId))),
    ),
    route(
      endpoints.updateOrganization,
      ({ params, payload }, context) =>
        ok(organizationOf(state.updateOrganization(principalOf(context), params.orgId, payload))),
    ),
    route(endpoints.deleteOrganization, ({ params }, context) => {
      state.deleteOrganization(principalOf(context), params.orgId)
      return ok(undefined)
    }),
    route(endpoints.listMembers, ({ params, query }, context) => {
      const all = state.members(principalOf(context), params.orgId)
      return ok(paginate(all.map(memberOf), query.page, query.pageSize))
    }),
    route(
      endpoints.inviteMember,
      ({ params, payload }, context) =>
        ok(invitationOf(state.invite(principalOf(context), params.orgId, payload.email, payload.role))),
    ),
    route(
      endpoints.updateMemberRole,
      ({ params, payload }, context) =>
        ok(memberOf(state.setRole(principalOf(context), params.orgId, params.userId, payload.role))),
    ),
    route(endpoints.removeMember, ({ params }, context) => {
      state.removeMember(principalOf(context), params.orgId, params.userId)
      return ok(undefined)
    }),

    route(endpoints.listApplications, ({ query }, context) => {
      const all = state.applications(principalOf(context), organizationHeader(context))
      return ok(paginate(all.map(applicationOf), query.page, query.pageSize))
    }),
    route(
      endpoints.createApplication,
      ({ payload }, context) =>
        ok(applicationOf(state.createApplication(principalOf(context), organizationHeader(context), payload))),
    ),
    route(
      endpoints.getApplication,
      ({ params }, context) => ok(applicationOf(state.application(principalOf(context), params.appId))),
    ),
    route(
      endpoints.updateApplication,
      ({ params, payload }, context) =>
        ok(applicationOf(state.updateApplication(principalOf(context), params.appId, payload))),
    ),
    route(endpoints.deleteApplication, ({ params }, context) => {
      state.deleteApplication(principalOf(context), params.appId)
      return ok(undefined)
    }),
    route(endpoints.listApplicationMembers, ({ params, query }, context) => {
      const all = state.applicationMembers(principalOf(context), params.appId)
      return ok(paginate(all.map(applicationMemberOf), query.page, query.pageSize))
    }),
    route(
      endpoints.addApplicationMember,
      ({ params, payload }, context) =>
        ok(
          applicationMemberOf(
            state.addApplicationMember(principalOf(context), params.appId, payload.userId, payload.role),
          ),
        ),
    ),

    ...billingRoutes(""),
    ...billingRoutes("V1"),

    route(endpoints.jwks, async () => ok(await state.keys.jwks(), { headers: { "cache-control": "max-age=300" } })),
    ...documentRoutes(PuguhApi),
  ], {
    headers: answerHeaders,
    // The credential is checked before the body is read, as FastAPI resolves its auth dependency
    // first; a secured call that passes counts in the organization it names.
    authorize: (endpoint, context) => {
      if (endpoint.security === undefined) return undefined
      try {
        const principal = state.authenticate(context.request.headers)
        if (principal === undefined) throw unauthorized("Not authenticated")
        if (principal.kind === "apiKey" && !endpoint.security.includes("apiKey")) {
          throw forbidden("This needs a user's access token, not an API key", "user_required")
        }
        principals.set(context.request, principal)
        const organizationId = principal.kind === "apiKey"
          ? principal.organizationId
          : context.request.headers.get(ORGANIZATION_HEADER)
        if (organizationId !== null && organizationId !== "") state.countCall(organizationId)
        return undefined
      } catch (error) {
        if (error instanceof Problem) return problemResponse(error)
        throw error
      }
    },
    error: (status, message) =>
      status === 400
        ? errorResponse(422, { detail: validationIssues(message) })
        : errorResponse(status, { detail: ROUTER_ERRORS[status] }),
  })
}
