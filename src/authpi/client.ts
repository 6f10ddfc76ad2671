/**
 * The `AuthPI` service: the AuthPI Admin API as the seed shapes it, account-level resources
 * (`admin.issuers`, `admin.webhooks`...) and scopes into an issuer, a user, an agent, an
 * organization or a webhook (`admin.issuer(i).user(u).sessions`), every resource object built
 * from its row of the table (`./resources.ts`), over the request pipeline of `src/core`.
 *
 * The pipeline of a call:
 *
 * ```
 * admin.issuer("i_1").users.update("usr_1", body, { ifMatch })
 *   -> arguments checked (ValidationError, before any request)
 *   -> account_id: given, or GET /v1/me once (shared by concurrent first calls), then cached
 *   -> PATCH {baseUrl}/v1/accounts/{account_id}/issuers/i_1/users/usr_1
 *        If-Match, Idempotency-Key (a conditional write is safe to repeat), default headers
 *   -> Authorization: Bearer <key> | Basic <key_id:secret> | Bearer <access token>;
 *        on 401 with onTokenExpired: one shared refresh, one resend
 *   -> retries: GET/HEAD/OPTIONS, and any request with an Idempotency-Key, on 429/502/503/504 and
 *        dropped connections: 3 retries, 1 s, 2 s, 4 s (or linear), Retry-After honoured
 *   -> timeout: 30 s per attempt
 * <- { data } with `_etag` from ETag | the seed's error class for the status
 * ```
 *
 * @module
 */
import {
  Config,
  Context,
  Duration,
  Effect,
  Layer,
  Option,
  Redacted,
  Schedule,
  type Scope as EffectScope,
  Semaphore,
  type Stream,
} from "effect"
import { FetchHttpClient, type HttpClient, type HttpClientResponse } from "effect/http"
import { makeApiClient } from "../core/client.ts"
import { firstSet, missingVariables, optionalSecret, optionalText, warnStrayVariables } from "../core/config.ts"
import type { Credential } from "../core/credentials.ts"
import { MAX_RETRIES, RetryPolicy } from "../core/retry.ts"
import { endpointNamed, makeResource, type Params, readOne, withId } from "./_resource.ts"
import { ACCOUNTS, rowsIn, SCOPE_ROWS, scopesIn } from "./_scopes.ts"
import { AuthPIApi, DEFAULT_BASE_URL } from "./contract.ts"
import {
  type AccountReadError,
  type AccountWriteError,
  asMeError,
  AuthenticationError,
  type AuthPIError,
  ConfigurationError,
  type MeError,
  type ReadError,
  toAuthPIError,
} from "./errors.ts"
import type { Account, Agent, Body, Issuer, Me, Organization, User, Webhook } from "./models.ts"
import type { ListOptions, Page } from "./page.ts"
import type { ResourceOf, WriteOptions } from "./resource.ts"
import type { Scope } from "./resources.ts"

/**
 * A secret as a plain string or already `Redacted`; plain strings are redacted at once.
 *
 * @example
 * ```ts
 * import { Redacted } from "effect"
 * import type { Secret } from "@gatehouse/sdk/authpi"
 *
 * const key: Secret = Redacted.make("key_...")
 * ```
 */
export type Secret = string | Redacted.Redacted<string>

/**
 * How a new access token is had after a 401: an Effect, or a function returning an Effect or a
 * Promise. Its value is the token, or the seed's `{ access_token }`.
 *
 * @example
 * ```ts
 * import type { TokenRefresh } from "@gatehouse/sdk/authpi"
 *
 * const refresh: TokenRefresh = async () => {
 *   const response = await fetch("https://auth.example.com/refresh", { method: "POST" })
 *   return { access_token: (await response.json()).access_token }
 * }
 * ```
 */
export type TokenRefresh =
  | Effect.Effect<Secret | { readonly access_token: string }, unknown>
  | (() =>
    | Effect.Effect<Secret | { readonly access_token: string }, unknown>
    | Promise<Secret | { readonly access_token: string }>)

/**
 * The seed's `retries={limit, delay, backoff}`.
 *
 * @example
 * ```ts
 * import { AuthPI, type RetriesOptions } from "@gatehouse/sdk/authpi"
 *
 * const retries: RetriesOptions = { limit: 5, delay: "500 millis", backoff: "linear" }
 * const layer = AuthPI.layer({ apiKey: "key_...", retries })
 * ```
 */
export interface RetriesOptions {
  /** Retries after the first attempt, 0 to 10. @default 3 */
  readonly limit?: number | undefined
  /** The first delay (a number is milliseconds, Effect's convention). @default "1 second" */
  readonly delay?: Duration.Input | undefined
  /** `exponential`: delay, 2·delay, 4·delay...; `linear`: delay, 2·delay, 3·delay... @default "exponential" */
  readonly backoff?: "exponential" | "linear" | undefined
}

/**
 * Options of every `AuthPI` layer. The `HttpClient` comes from the layer's context, and is never closed by us.
 *
 * @example
 * ```ts
 * import { AuthPI, type AuthPIOptions } from "@gatehouse/sdk/authpi"
 *
 * const options: AuthPIOptions = { timeout: "10 seconds", defaultHeaders: { "x-team": "identity" }, retries: false }
 * const layer = AuthPI.fromEnv(options)
 * ```
 */
export interface AuthPIOptions {
  /** The API's base URL. @default `AUTHPI_BASE_URL` when set, else "https://api.authpi.dev" */
  readonly baseUrl?: string | undefined
  /** How long one attempt may take, its body included (a number is milliseconds). @default "30 seconds" */
  readonly timeout?: Duration.Input | undefined
  /** Headers sent with every request (the credential is set after them), as every gatehouse client names them. */
  readonly headers?: Readonly<Record<string, string>> | undefined
  /** The seed's name for {@linkcode AuthPIOptions.headers}; give one of the two. */
  readonly defaultHeaders?: Readonly<Record<string, string>> | undefined
  /** A `RetryPolicy`, as every gatehouse client names it; the same as `retries` given one. Give one of the two. */
  readonly retry?: RetryPolicy | undefined
  /**
   * `true`: GET, HEAD and OPTIONS (and any request with an `Idempotency-Key`) are retried on
   * 429, 502, 503, 504 and dropped connections, 3 times, after 1 s, 2 s, 4 s, or what
   * `Retry-After` asks when longer; `false`: never; `{ limit, delay, backoff }`: so many times,
   * from `delay`, exponential or linear; or a `RetryPolicy` of your own.
   * @default true
   */
  readonly retries?: boolean | RetriesOptions | RetryPolicy | undefined
  /** A last say over the `HttpClient` (logging, a proxy, extra middleware). */
  readonly transformClient?: ((client: HttpClient.HttpClient) => HttpClient.HttpClient) | undefined
  /** Refreshes an `accessToken` after a 401: one refresh shared by concurrent callers, each request resent once. */
  readonly onTokenExpired?: TokenRefresh | undefined
  /** The account every path is under; with an API key, resolved once through `GET /v1/me` when not given. */
  readonly accountId?: string | undefined
}

/**
 * Options of {@linkcode AuthPI.layer}: exactly one of `apiKey` and `accessToken`.
 *
 * @example
 * ```ts
 * import { AuthPI, type AuthPICredentialOptions } from "@gatehouse/sdk/authpi"
 *
 * const session: AuthPICredentialOptions = {
 *   accessToken: "at_...",
 *   accountId: "acc_...",
 *   onTokenExpired: () => Promise.resolve({ access_token: "at_new" }),
 * }
 * const layer = AuthPI.layer(session)
 * ```
 */
export interface AuthPICredentialOptions extends AuthPIOptions {
  /** An API key, `key_...`, sent as `Authorization: Bearer`; a `key_id:secret` pair is sent as `Basic`. */
  readonly apiKey?: Secret | undefined
  /** A user session's access token, sent as `Authorization: Bearer`; needs `accountId`. */
  readonly accessToken?: Secret | undefined
}

// `RetryPolicy.make` knows only a jittered, capped exponential backoff: the seed's schedules
// (no jitter, no cap, exponential or linear) are built here. A Retry-After over a minute is not
// waited for: the error comes back at once (a RateLimitError's `retryAfter` says how long).
//
// Beyond the seed: a 409 with `Retry-After` to a request carrying our Idempotency-Key is the API
// saying "a request with this key is still in progress". That request is our own earlier attempt
// (one that timed out on our side, say), so it is waited for and the request sent again, to meet
// its result replayed. Any other 409 (a duplicate, or no Retry-After) ends the retries at once.

/** Whether a failure the retry loop sees is a 409 that is not "the same key, still in progress". */
const isFinalConflict = (input: unknown): boolean => {
  const response = (input as { readonly _tag?: unknown; readonly response?: HttpClientResponse.HttpClientResponse })
    ?.response
  if ((input as { readonly _tag?: unknown })?._tag !== "RetryStatus" || response === undefined) return false
  return response.status === 409 &&
    (response.headers["retry-after"] === undefined || response.request.headers["idempotency-key"] === undefined)
}

const retryPolicy = (options: RetriesOptions): RetryPolicy => {
  const delay = Duration.fromInputUnsafe(options.delay ?? "1 second")
  const backoff: Schedule.Schedule<unknown> = options.backoff === "linear"
    ? Schedule.spaced(delay).pipe(Schedule.modifyDelay(({ attempt }) => Effect.succeed(Duration.times(delay, attempt))))
    : Schedule.exponential(delay)
  return {
    times: options.limit ?? 3,
    schedule: backoff.pipe(
      Schedule.setInputType<unknown>(),
      Schedule.while(({ input }) => !isFinalConflict(input)),
    ),
    methods: new Set(["GET", "HEAD", "OPTIONS"]),
    statuses: new Set([409, 429, 502, 503, 504]),
    retryTransportErrors: true,
    maxRetryAfter: Duration.minutes(1),
  }
}

/**
 * The retries of the seed: GET, HEAD, OPTIONS on 429/502/503/504 and dropped connections, 3 times, 1 s doubling;
 * a request with an `Idempotency-Key` likewise, and also on a 409 with `Retry-After` (the same key
 * still in progress: our own earlier attempt), so it meets that attempt's result. A `Retry-After`
 * over 60 s is not waited for: the error comes back at once.
 *
 * @example
 * ```ts
 * import { AuthPI, AUTHPI_RETRY } from "@gatehouse/sdk/authpi"
 *
 * const layer = AuthPI.layer({ apiKey: "key_...", retries: AUTHPI_RETRY }) // the same as the default
 * ```
 */
export const AUTHPI_RETRY: RetryPolicy = retryPolicy({})

/**
 * The root's `accounts`: the accounts the credential reaches, one account, its update. They are
 * not under an account id, so they never fail with `ConfigurationError`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { AuthPI } from "@gatehouse/sdk/authpi"
 *
 * const accounts = Effect.flatMap(AuthPI, (admin) => admin.accounts.list())
 * ```
 */
export interface AccountsResource {
  /** One page of the accounts the credential reaches. */
  readonly list: (options?: ListOptions) => Effect.Effect<Page<Account>, AccountReadError>
  /** Every account the credential reaches, page after page. */
  readonly listAll: (options?: ListOptions) => Stream.Stream<Account, AccountReadError>
  /** One account, with `_etag`. */
  readonly get: (id: string) => Effect.Effect<Account, AccountReadError>
  /** Updates one account (a partial body); with `ifMatch`, only if it has not changed since. */
  readonly update: (id: string, body: Body, options?: WriteOptions) => Effect.Effect<Account, AccountWriteError>
}

/**
 * `admin.issuer(id)`: an issuer and what it holds.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { AuthPI, type IssuerScope } from "@gatehouse/sdk/authpi"
 *
 * const pendingApprovals = (issuer: IssuerScope) => issuer.approvals.list({ status: "pending" })
 * const pending = Effect.flatMap(AuthPI, (admin) => pendingApprovals(admin.issuer("i_1")))
 * ```
 */
export interface IssuerScope {
  /** The issuer, with `_etag`. */
  readonly get: () => Effect.Effect<Issuer, ReadError>
  /** `/issuers/{issuer_id}/users`. */
  readonly users: ResourceOf<"users">
  /** `/issuers/{issuer_id}/agents`. */
  readonly agents: ResourceOf<"agents">
  /** `/issuers/{issuer_id}/clients`. */
  readonly clients: ResourceOf<"clients">
  /** `/issuers/{issuer_id}/organizations`. */
  readonly organizations: ResourceOf<"organizations">
  /** `/issuers/{issuer_id}/approvals`: users awaiting a decision, `approve` and `reject`. */
  readonly approvals: ResourceOf<"approvals">
  /** `/issuers/{issuer_id}/auth-methods`. */
  readonly authMethods: ResourceOf<"authMethods">
  /** `/issuers/{issuer_id}/groups`. */
  readonly groups: ResourceOf<"groups">
  /** `/issuers/{issuer_id}/invitations` (INFERRED): invitations to the issuer, `revoke` and `resend`. */
  readonly invitations: ResourceOf<"issuerInvitations">
  /** A user of the issuer. */
  readonly user: (id: string) => UserScope
  /** An agent of the issuer. */
  readonly agent: (id: string) => AgentScope
  /** An organization of the issuer. */
  readonly organization: (id: string) => OrganizationScope
}

/**
 * `admin.issuer(i).user(id)`: a user and what it holds.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { AuthPI } from "@gatehouse/sdk/authpi"
 *
 * const signOut = Effect.gen(function* () {
 *   const user = (yield* AuthPI).issuer("i_1").user("usr_1")
 *   const sessions = yield* user.sessions.list({ status: "active" })
 *   yield* Effect.forEach(sessions.data, (session) => user.sessions.revoke(session.id))
 * })
 * ```
 */
export interface UserScope {
  /** The user, with `_etag`. */
  readonly get: () => Effect.Effect<User, ReadError>
  /** Its sessions (read one by id, at the issuer), `revoke`, `suspend`. */
  readonly sessions: ResourceOf<"sessions">
  /** Its personal tokens; `token_plain` comes once, in the create answer. */
  readonly tokens: ResourceOf<"tokens">
  /** The devices it trusts. */
  readonly trustedDevices: ResourceOf<"trustedDevices">
  /** Its verifiers (second factors). */
  readonly verifiers: ResourceOf<"userVerifiers">
}

/**
 * `admin.issuer(i).agent(id)`: an agent and its verifiers.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { AuthPI } from "@gatehouse/sdk/authpi"
 *
 * const verifiers = Effect.flatMap(AuthPI, (admin) => admin.issuer("i_1").agent("agt_1").verifiers.list())
 * ```
 */
export interface AgentScope {
  /** The agent, with `_etag`. */
  readonly get: () => Effect.Effect<Agent, ReadError>
  /** Its verifiers. */
  readonly verifiers: ResourceOf<"agentVerifiers">
}

/**
 * `admin.issuer(i).organization(id)`: an organization, its invitations and API keys.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { AuthPI } from "@gatehouse/sdk/authpi"
 *
 * const invite = Effect.flatMap(AuthPI, (admin) =>
 *   admin.issuer("i_1").organization("org_1").invitations.create({ email_invited: "bo@example.com", scopes: ["member"] }))
 * ```
 */
export interface OrganizationScope {
  /** The organization, with `_etag`. */
  readonly get: () => Effect.Effect<Organization, ReadError>
  /** Invitations into the organization: `revoke`, `resend`. */
  readonly invitations: ResourceOf<"organizationInvitations">
  /** The organization's API keys; `key_secret_plain` comes once. */
  readonly apiKeys: ResourceOf<"organizationApiKeys">
}

/**
 * `admin.webhook(id)`: a webhook and its deliveries.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { AuthPI } from "@gatehouse/sdk/authpi"
 *
 * const failed = Effect.flatMap(AuthPI, (admin) => admin.webhook("wh_1").deliveries.list({ status: "failed" }))
 * ```
 */
export interface WebhookScope {
  /** The webhook, with `_etag`. */
  readonly get: () => Effect.Effect<Webhook, ReadError>
  /** Every attempt to deliver an event to it; `redeliver`. */
  readonly deliveries: ResourceOf<"deliveries">
}

/**
 * The AuthPI Admin API. Every method checks its arguments before any request (`ValidationError`
 * without a status: an empty id, a `limit` outside 1–100, an unknown filter or a value of the
 * wrong kind); a read fails with a `ReadError`, a write with a `WriteError`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { AuthPI, type AuthPIService } from "@gatehouse/sdk/authpi"
 *
 * const countIssuers = (admin: AuthPIService) => Effect.map(admin.issuers.list({ limit: 100 }), (page) => page.data.length)
 * const count = Effect.flatMap(AuthPI, countIssuers)
 * ```
 */
export interface AuthPIService {
  /** `GET /v1/me`: who is calling, and the accounts the credential reaches. */
  readonly me: () => Effect.Effect<Me, MeError>
  /** `GET /v1/accounts`, and one account (`GET`/`PATCH /v1/accounts/{account_id}`). */
  readonly accounts: AccountsResource
  /** The account's issuers. */
  readonly issuers: ResourceOf<"issuers">
  /** The account's webhooks; `bearer_token_plain` and `signature_secret_plain` come once. */
  readonly webhooks: ResourceOf<"webhooks">
  /** What happened in the account; `aggregate` counts by type. */
  readonly events: ResourceOf<"events">
  /** The account's custom domains (by host); `verify`. */
  readonly domains: ResourceOf<"domains">
  /** Notes on users, organizations, issuers and clients. */
  readonly notes: ResourceOf<"notes">
  /** The account's team. */
  readonly members: ResourceOf<"members">
  /** Invitations into the account's team: `revoke`, `resend`. */
  readonly invitations: ResourceOf<"invitations">
  /** The account's API keys; `key_secret_plain` comes once. */
  readonly apiKeys: ResourceOf<"apiKeys">
  /** An issuer: its users, agents, clients, organizations, approvals, auth methods and groups. */
  readonly issuer: (id: string) => IssuerScope
  /** A webhook: its deliveries. */
  readonly webhook: (id: string) => WebhookScope
}

const configurationError = (option: string, message: string) => new ConfigurationError({ option, message })

const isRecord = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** A secret option: absent, or a non-empty string (redacted here). */
const secretOf = (
  option: string,
  value: unknown,
): Effect.Effect<Redacted.Redacted<string> | undefined, ConfigurationError> => {
  if (value === undefined) return Effect.succeed(undefined)
  const plain = Redacted.isRedacted(value) ? Redacted.value(value) : value
  return typeof plain === "string" && plain.trim() !== ""
    ? Effect.succeed(
      Redacted.isRedacted(value) ? value as Redacted.Redacted<string> : Redacted.make(plain, { label: option }),
    )
    : Effect.fail(configurationError(option, `${option} must be a non-empty string.`))
}

const base64 = (text: string): string => btoa(String.fromCharCode(...new TextEncoder().encode(text)))

const refreshFailed = (message: string) =>
  new AuthenticationError({ message, error: "token_refresh_failed", status: 401, retryable: false })

/** The new token a refresh gave: a string, a `Redacted`, or `{ access_token }`. */
const tokenOf = (value: unknown): Effect.Effect<Redacted.Redacted<string>, AuthenticationError> => {
  const token = isRecord(value) && !Redacted.isRedacted(value) ? value.access_token : value
  const plain = Redacted.isRedacted(token) ? Redacted.value(token) : token
  return typeof plain === "string" && plain !== ""
    ? Effect.succeed(Redacted.isRedacted(token) ? token as Redacted.Redacted<string> : Redacted.make(plain))
    : Effect.fail(refreshFailed("onTokenExpired gave no access token."))
}

/** Runs the refresh, whatever its form; its failure is kept out of the error (it may hold secrets). */
const refreshing = (refresh: TokenRefresh): Effect.Effect<Redacted.Redacted<string>, AuthenticationError> => {
  const produced: Effect.Effect<unknown, unknown> = Effect.isEffect(refresh) ? refresh : Effect.flatMap(
    Effect.try({ try: () => refresh(), catch: (error) => error }),
    (out) =>
      Effect.isEffect(out) ? out : Effect.tryPromise({ try: () => Promise.resolve(out), catch: (error) => error }),
  )
  return Effect.matchEffect(produced, {
    onFailure: () => Effect.fail(refreshFailed("onTokenExpired failed: no new access token.")),
    onSuccess: tokenOf,
  })
}

const credentialOf = (
  options: AuthPICredentialOptions,
): Effect.Effect<Credential<AuthPIError>, ConfigurationError> =>
  Effect.gen(function* () {
    const apiKey = yield* secretOf("apiKey", options.apiKey)
    const accessToken = yield* secretOf("accessToken", options.accessToken)
    if (apiKey === undefined && accessToken === undefined) {
      return yield* configurationError("apiKey", "Provide apiKey, or accessToken with accountId.")
    }
    if (apiKey !== undefined && accessToken !== undefined) {
      return yield* configurationError("apiKey", "Provide apiKey or accessToken, not both.")
    }
    const refresh = options.onTokenExpired
    if (refresh !== undefined && !Effect.isEffect(refresh) && typeof refresh !== "function") {
      return yield* configurationError("onTokenExpired", "onTokenExpired must be an Effect or a function.")
    }
    if (apiKey !== undefined) {
      if (refresh !== undefined) {
        return yield* configurationError("onTokenExpired", "onTokenExpired refreshes an accessToken, not an apiKey.")
      }
      const key = Redacted.value(apiKey)
      return key.includes(":")
        ? { _tag: "Header", name: "authorization", value: Redacted.make(`Basic ${base64(key)}`) }
        : { _tag: "Bearer", token: apiKey }
    }
    if (options.accountId === undefined) {
      return yield* configurationError("accountId", "accountId is required with accessToken.")
    }
    return {
      _tag: "Bearer",
      token: accessToken!,
      ...(refresh !== undefined && { refresh: () => refreshing(refresh) }),
    }
  })

const httpUrl = (value: unknown): string | undefined => {
  if (typeof value !== "string") return undefined
  try {
    const url = new URL(value)
    return url.protocol === "http:" || url.protocol === "https:" ? value : undefined
  } catch {
    return undefined
  }
}

const RETRIES_KEYS: ReadonlySet<string> = new Set(["limit", "delay", "backoff"])

const retryOf = (retries: AuthPIOptions["retries"]): Effect.Effect<RetryPolicy, ConfigurationError> => {
  if (retries === undefined || retries === true) return Effect.succeed(AUTHPI_RETRY)
  if (retries === false) return Effect.succeed(RetryPolicy.none)
  if (typeof retries !== "object" || retries === null || Array.isArray(retries)) {
    return Effect.fail(configurationError("retries", "retries must be true, false or an object."))
  }
  if ("schedule" in retries) return Effect.succeed(retries)
  const unknown = Object.keys(retries).find((key) => !RETRIES_KEYS.has(key))
  if (unknown !== undefined) {
    return Effect.fail(configurationError(`retries.${unknown}`, "retries takes limit, delay and backoff."))
  }
  const { limit, delay, backoff } = retries as RetriesOptions
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0 || limit > MAX_RETRIES)) {
    return Effect.fail(
      configurationError("retries.limit", `retries.limit must be an integer from 0 to ${MAX_RETRIES}.`),
    )
  }
  const wait = delay === undefined ? Option.some(Duration.seconds(1)) : Duration.fromInput(delay)
  if (Option.isNone(wait) || !Duration.isFinite(wait.value) || Duration.toMillis(wait.value) < 0) {
    return Effect.fail(configurationError("retries.delay", "retries.delay must be a finite duration."))
  }
  if (backoff !== undefined && backoff !== "exponential" && backoff !== "linear") {
    return Effect.fail(configurationError("retries.backoff", 'retries.backoff must be "exponential" or "linear".'))
  }
  return Effect.succeed(retryPolicy({ limit, delay: wait.value, backoff }))
}

/** The options checked, before any request. */
const configure = (options: AuthPICredentialOptions) =>
  Effect.gen(function* () {
    if (typeof options !== "object" || options === null) {
      return yield* configurationError("options", "The options must be an object.")
    }
    const credential = yield* credentialOf(options)
    const { accountId, transformClient } = options
    if (options.headers !== undefined && options.defaultHeaders !== undefined) {
      return yield* configurationError("headers", "Give headers or its alias defaultHeaders, not both.")
    }
    if (options.retry !== undefined && options.retries !== undefined) {
      return yield* configurationError("retry", "Give retry or its alias retries, not both.")
    }
    const defaultHeaders = options.headers ?? options.defaultHeaders
    if (
      accountId !== undefined && (typeof accountId !== "string" || accountId.trim() === "" || /[/.]/.test(accountId))
    ) {
      return yield* configurationError("accountId", "accountId must be an account id, acc_...")
    }
    const baseUrl = httpUrl(options.baseUrl ?? (yield* firstSet(ENV.baseUrl)) ?? DEFAULT_BASE_URL)
    if (baseUrl === undefined) return yield* configurationError("baseUrl", "baseUrl must be an absolute http(s) URL.")
    const timeout = Duration.fromInput(options.timeout ?? "30 seconds")
    if (Option.isNone(timeout) || !Duration.isPositive(timeout.value)) {
      return yield* configurationError("timeout", "timeout must be a positive duration.")
    }
    if (
      defaultHeaders !== undefined &&
      (!isRecord(defaultHeaders) || !Object.values(defaultHeaders).every((value: unknown) => typeof value === "string"))
    ) {
      return yield* configurationError("defaultHeaders", "defaultHeaders must map header names to strings.")
    }
    if (transformClient !== undefined && typeof transformClient !== "function") {
      return yield* configurationError("transformClient", "transformClient must be a function.")
    }
    return {
      credential,
      accountId,
      baseUrl,
      timeout: timeout.value,
      retry: yield* retryOf(options.retry ?? options.retries),
      headers: defaultHeaders,
      transformClient,
    }
  })

/**
 * The account id: the one given, or the one account `GET /v1/me` names, asked once (concurrent
 * first callers wait for the same answer) and kept; a failed lookup is asked again next time.
 */
const accountIdOf = (
  given: string | undefined,
  me: () => Effect.Effect<Me, MeError>,
): Effect.Effect<Effect.Effect<string, ReadError>> =>
  Effect.gen(function* () {
    if (given !== undefined) return Effect.succeed(given)
    const lock = yield* Semaphore.make(1)
    let resolved: string | undefined
    const lookup = Effect.flatMap(me(), (who) =>
      who.accounts.length === 1 ? Effect.succeed(resolved = who.accounts[0].account_id) : Effect.fail(
        configurationError(
          "accountId",
          `accountId is needed: the credential reaches ${who.accounts.length} accounts, not one.`,
        ),
      ))
    return Effect.suspend(() =>
      resolved !== undefined
        ? Effect.succeed(resolved)
        : lock.withPermits(1)(Effect.suspend(() =>
          resolved !== undefined ? Effect.succeed(resolved) : lookup
        ))
    )
  })

type Client = Parameters<typeof makeResource>[0]

/** A scope's object: the rows it holds, and the entity scopes it opens, each with its `get()`. */
const scopeObject = (
  client: Client,
  scope: Scope,
  parents: Effect.Effect<Params, ReadError>,
): Record<string, unknown> => ({
  ...Object.fromEntries(
    rowsIn(scope).map(([name, spec]) => [spec.accessor, makeResource(client, name, spec, parents)]),
  ),
  ...Object.fromEntries(
    scopesIn(scope).map(([child, spec]) => [child, (id: unknown) => {
      const params = withId(parents, spec.id, id)
      return {
        get: () => readOne(client, endpointNamed(`${SCOPE_ROWS[child]}.get`), params),
        ...scopeObject(client, child, params),
      }
    }]),
  ),
})

const make = (
  options: AuthPICredentialOptions,
): Effect.Effect<AuthPIService, ConfigurationError, HttpClient.HttpClient | EffectScope.Scope> =>
  Effect.gen(function* () {
    const config = yield* configure(options)
    const client = yield* makeApiClient<AuthPIError>({
      name: AuthPIApi.name,
      baseUrl: config.baseUrl,
      credential: config.credential,
      timeout: config.timeout,
      retry: config.retry,
      headers: config.headers,
      transformClient: config.transformClient,
      toError: toAuthPIError,
      secretHeaders: AuthPIApi.secretHeaders,
      // AuthPI answers a repeated Idempotency-Key with the first result.
      idempotencyKeys: true,
    })
    const me = () =>
      Effect.mapError(
        Effect.map(client.exchange(endpointNamed("me"), {} as never), (answer) => (answer.value as { data: Me }).data),
        asMeError,
      )
    const accountId = yield* accountIdOf(config.accountId, me)
    const root = scopeObject(client, "account", Effect.map(accountId, (account_id) => ({ account_id })))
    return {
      ...root,
      me,
      accounts: makeResource(client, "accounts", ACCOUNTS, Effect.succeed({})),
    } as unknown as AuthPIService
  })

const AuthPIBase: Context.ServiceClass<AuthPI, "@gatehouse/sdk/AuthPI", AuthPIService> = Context.Service<
  AuthPI,
  AuthPIService
>()("@gatehouse/sdk/AuthPI")

const ENV = {
  apiKey: "AUTHPI_API_KEY",
  accessToken: "AUTHPI_ACCESS_TOKEN",
  accountId: "AUTHPI_ACCOUNT_ID",
  baseUrl: "AUTHPI_BASE_URL",
} as const

/**
 * The AuthPI Admin client service.
 *
 * Its layers need an `HttpClient` (`FetchHttpClient.layer`, the mock's, your own: it is never
 * closed by us) and fail with `ConfigurationError` when the options cannot work, before any
 * request. Once the layer's scope closes, every call fails with `ClosedClientError`.
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import { FetchHttpClient } from "effect/http"
 * import { AuthPI } from "@gatehouse/sdk/authpi"
 *
 * const program = Effect.gen(function* () {
 *   const admin = yield* AuthPI
 *   const issuers = yield* admin.issuers.list({ limit: 10 })
 *   const issuer = admin.issuer(issuers.data[0].id)
 *   const user = yield* issuer.users.create({ email: "alice@example.com", display_name: "Alice" })
 *   yield* issuer.users.update(user.id, { display_name: "Alice B." }, { ifMatch: user._etag })
 *   return yield* Stream.runCollect(issuer.users.listAll({ status: "active" }))
 * }).pipe(Effect.provide(AuthPI.layer({ apiKey: "key_..." })), Effect.provide(FetchHttpClient.layer))
 * ```
 */
export class AuthPI extends AuthPIBase {
  /**
   * The service itself, within a scope: its options checked, its pipeline built.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { FetchHttpClient } from "effect/http"
   * import { AuthPI } from "@gatehouse/sdk/authpi"
   *
   * const issuers = Effect.scoped(Effect.gen(function* () {
   *   const admin = yield* AuthPI.make({ apiKey: "key_..." })
   *   return yield* admin.issuers.list({ limit: 10 })
   * })).pipe(Effect.provide(FetchHttpClient.layer))
   * ```
   */
  static readonly make: (
    options: AuthPICredentialOptions,
  ) => Effect.Effect<AuthPIService, ConfigurationError, HttpClient.HttpClient | EffectScope.Scope> = make

  /**
   * From an API key, or an access token with `accountId` (and `onTokenExpired` to refresh it).
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { FetchHttpClient } from "effect/http"
   * import { AuthPI } from "@gatehouse/sdk/authpi"
   *
   * const layer = AuthPI.layer({ apiKey: "key_...", baseUrl: "http://127.0.0.1:4010/authpi" })
   * const me = Effect.flatMap(AuthPI, (admin) => admin.me()).pipe(
   *   Effect.provide(layer),
   *   Effect.provide(FetchHttpClient.layer),
   * )
   * ```
   */
  static readonly layer = (
    options: AuthPICredentialOptions,
  ): Layer.Layer<AuthPI, ConfigurationError, HttpClient.HttpClient> => Layer.effect(AuthPI, make(options))

  /**
   * From the environment: `AUTHPI_API_KEY`, or `AUTHPI_ACCESS_TOKEN` with `AUTHPI_ACCOUNT_ID`;
   * `AUTHPI_ACCOUNT_ID` and `AUTHPI_BASE_URL` optional otherwise (over `options`). Fails with
   * `ConfigurationError` naming the variables when none or both credentials are set.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { FetchHttpClient } from "effect/http"
   * import { AuthPI } from "@gatehouse/sdk/authpi"
   *
   * // AUTHPI_API_KEY=key_... AUTHPI_BASE_URL=http://127.0.0.1:4010/authpi
   * const me = Effect.flatMap(AuthPI, (admin) => admin.me()).pipe(
   *   Effect.provide(AuthPI.layerConfig({ timeout: "10 seconds" })),
   *   Effect.provide(FetchHttpClient.layer),
   * )
   * ```
   */
  static readonly layerConfig = (
    options: AuthPIOptions = {},
  ): Layer.Layer<AuthPI, ConfigurationError | Config.ConfigError, HttpClient.HttpClient> =>
    Layer.unwrap(Effect.gen(function* () {
      const { apiKey, accessToken, ...env } = yield* Config.all({
        apiKey: optionalSecret(ENV.apiKey),
        accessToken: optionalSecret(ENV.accessToken),
        accountId: optionalText(ENV.accountId),
        baseUrl: optionalText(ENV.baseUrl),
      })
      const accountId = Option.getOrElse(env.accountId, () => options.accountId)
      const known = Object.values(ENV)
      if (Option.isNone(apiKey) && Option.isNone(accessToken)) {
        return yield* configurationError(
          `${ENV.apiKey}, ${ENV.accessToken}`,
          yield* missingVariables(
            `Set ${ENV.apiKey}, or ${ENV.accessToken} with ${ENV.accountId}; looked for both, found neither.`,
            "AUTHPI_",
            known,
          ),
        )
      }
      if (Option.isSome(apiKey) && Option.isSome(accessToken)) {
        return yield* configurationError(
          `${ENV.apiKey}, ${ENV.accessToken}`,
          `${ENV.apiKey} and ${ENV.accessToken} are both set: set one.`,
        )
      }
      if (Option.isSome(accessToken) && accountId === undefined) {
        return yield* configurationError(
          ENV.accountId,
          yield* missingVariables(`${ENV.accessToken} needs ${ENV.accountId}.`, "AUTHPI_", known),
        )
      }
      yield* warnStrayVariables("AUTHPI_", known)
      return AuthPI.layer({
        ...options,
        apiKey: Option.getOrUndefined(apiKey),
        accessToken: Option.getOrUndefined(accessToken),
        accountId,
        baseUrl: Option.getOrElse(env.baseUrl, () => options.baseUrl),
      })
    }))

  /**
   * {@linkcode AuthPI.layerConfig} with `fetch` as the transport: ready to provide.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { AuthPI } from "@gatehouse/sdk/authpi"
   *
   * const me = await Effect.runPromise(Effect.flatMap(AuthPI, (admin) => admin.me()).pipe(Effect.provide(AuthPI.fromEnv())))
   * ```
   */
  static readonly fromEnv = (
    options: AuthPIOptions = {},
  ): Layer.Layer<AuthPI, ConfigurationError | Config.ConfigError> =>
    AuthPI.layerConfig(options).pipe(Layer.provide(FetchHttpClient.layer))
}
