/**
 * The errors of the PUGUH client: the seed's hierarchy, where `PuguhError` is the base of every
 * failed call (`instanceof PuguhError` catches them all, as `except PuguhError` does) and each
 * kind is its own tag for `Effect.catchTag`:
 *
 * - `AuthError`: 401, or an access token that does not verify;
 * - `RateLimitError`: 429, with `retryAfter` from `Retry-After`;
 * - `NetworkError`: no answer (timeout, DNS, connection);
 * - `ApiError`: any other 4xx/5xx (the seed raises the base itself), 422 validation items kept.
 *
 * Apart from them, raised before any request: `InvalidArgument`, `MissingContext` (a call that
 * needs an organization or application with none given or set) and `ConfigurationError`.
 *
 * Error bodies are decoded with the contract's `ErrorBodySchema`; no error ever holds a token,
 * key or password (a 422's echoed `input` is dropped).
 *
 * @module
 */
import { type Cause, type Duration, Option, Schema } from "effect"
import type { Failure, StatusFailure, TransportFailure } from "../core/failure.ts"
import { retryAfter } from "../core/retry.ts"
import type { TaggedErrorClass } from "../core/tagged_error.ts"
import {
  type ErrorBody,
  ErrorBodySchema,
  type OpenString,
  type ValidationIssue,
  ValidationIssueSchema,
} from "./contract.ts"

/**
 * The tags of the errors a call fails with.
 *
 * @example
 * ```ts
 * import type { PuguhErrorTag } from "@gatehouse/sdk/puguh"
 *
 * const retryable = (tag: PuguhErrorTag) => tag === "RateLimitError" || tag === "NetworkError"
 * ```
 */
export type PuguhErrorTag = "ApiError" | "AuthError" | "RateLimitError" | "NetworkError"

const TAGS: ReadonlyArray<PuguhErrorTag> = ["ApiError", "AuthError", "RateLimitError", "NetworkError"]

/**
 * The codes an error may carry: the API's (the error body's `code`: INFERRED, the mock sends them)
 * and the client's own. Any other string the API sends is kept as is.
 *
 * @example
 * ```ts
 * import type { PuguhErrorCode } from "@gatehouse/sdk/puguh"
 *
 * const advice = (code: PuguhErrorCode): string => {
 *   switch (code) {
 *     case "mfa_required":
 *       return "ask for the TOTP code, then log in again with it"
 *     case "token_expired":
 *       return "refresh the token"
 *     default:
 *       return code
 *   }
 * }
 * ```
 */
export type PuguhErrorCode =
  | "invalid_credentials"
  | "mfa_required"
  | "invalid_mfa_code"
  | "invalid_token"
  | "token_expired"
  | "token_revoked"
  | "refresh_token_reused"
  | "magic_link_used"
  | "magic_link_expired"
  | "account_locked"
  | "payment_declined"
  | "invalid_signature"
  | "unknown_key"
  | "invalid_claims"
  | "malformed_token"
  | "invalid_response"
  | "client_closed"
  | OpenString

type PuguhErrorFields = {
  readonly _tag: Schema.Literals<ReadonlyArray<PuguhErrorTag>>
  readonly message: Schema.String
  readonly status: Schema.optionalKey<Schema.Number>
  readonly code: Schema.optionalKey<Schema.String>
  readonly requestId: Schema.optionalKey<Schema.String>
  readonly body: Schema.optionalKey<Schema.Unknown>
}

const puguhErrorFields: PuguhErrorFields = {
  _tag: Schema.Literals(TAGS),
  message: Schema.String,
  status: Schema.optionalKey(Schema.Number),
  code: Schema.optionalKey(Schema.String),
  requestId: Schema.optionalKey(Schema.String),
  body: Schema.optionalKey(Schema.Unknown),
}

const PuguhErrorBase: Schema.Class<PuguhError, Schema.Struct<PuguhErrorFields>, Cause.YieldableError> = Schema.Error<
  PuguhError
>("PuguhError")(puguhErrorFields)

/**
 * The base of every error a PUGUH call fails with: `ApiError`, `AuthError`, `RateLimitError`,
 * `NetworkError`. It is never raised itself; test `instanceof PuguhError` to catch them all.
 *
 * - `status`: the HTTP status, absent when no answer arrived or the token was checked locally.
 * - `message`: the error body's `detail` (a 422's items joined), or a description.
 * - `code`: the error body's `code`, or the client's own (`token_expired`, `client_closed`, ...).
 * - `body`: the error body, decoded (as it came when it is not the API's shape).
 *
 * @example
 * ```ts
 * import { PuguhClient, PuguhError } from "@gatehouse/sdk/puguh"
 *
 * await using puguh = PuguhClient.make({ accessToken: "eyJ..." })
 * try {
 *   await puguh.organizations.list()
 * } catch (error) {
 *   if (error instanceof PuguhError) console.error(`API error ${error.status}: ${error.message}`)
 *   else throw error
 * }
 * ```
 */
export class PuguhError extends PuguhErrorBase {}

type ApiErrorFields = Omit<PuguhErrorFields, "_tag"> & {
  readonly _tag: Schema.tag<"ApiError">
  readonly validation: Schema.optionalKey<Schema.$Array<Schema.Codec<ValidationIssue, ValidationIssue>>>
}

const ApiErrorBase: Schema.Class<ApiError, Schema.Struct<ApiErrorFields>, PuguhError> = PuguhError.extend<ApiError>(
  "ApiError",
)({
  _tag: Schema.tag("ApiError"),
  /** A 422's items: where (`loc`), what (`msg`), a code (`type`). */
  validation: Schema.optionalKey(Schema.Array(ValidationIssueSchema)),
})

/**
 * Any other failed answer: 400, 402 (`payment_declined`), 403 (the role does not allow it), 404,
 * 405, 409, 422 (with `validation`, the API's items), 5xx; also a 2xx whose body breaks the
 * contract (`invalid_response`) and a client used after its scope closed (`client_closed`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Puguh } from "@gatehouse/sdk/puguh"
 *
 * const created = Effect.flatMap(Puguh, (p) => p.organizations.create({ name: "Acme", slug: "acme" })).pipe(
 *   Effect.catchTag("ApiError", (error) =>
 *     error.status === 409 ? Effect.logWarning("slug taken") : Effect.fail(error)),
 * )
 * ```
 */
export class ApiError extends ApiErrorBase {}

type AuthErrorFields = Omit<PuguhErrorFields, "_tag"> & { readonly _tag: Schema.tag<"AuthError"> }

const AuthErrorBase: Schema.Class<AuthError, Schema.Struct<AuthErrorFields>, PuguhError> = PuguhError.extend<
  AuthError
>("AuthError")({ _tag: Schema.tag("AuthError") })

/**
 * A 401 (no valid credential, wrong password, an MFA code needed, a used refresh token: see
 * `code`), or an access token `verifyToken` refused (no `status`; `code` is `token_expired`,
 * `invalid_signature`, `unknown_key`, `invalid_claims` or `malformed_token`). Refresh the token,
 * or sign in again.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Puguh } from "@gatehouse/sdk/puguh"
 *
 * const orgs = Effect.flatMap(Puguh, (p) => p.organizations.list()).pipe(
 *   Effect.catchTag("AuthError", () => Effect.succeed(undefined)), // redirect to login
 * )
 * ```
 */
export class AuthError extends AuthErrorBase {}

type RateLimitErrorFields = Omit<PuguhErrorFields, "_tag"> & {
  readonly _tag: Schema.tag<"RateLimitError">
  readonly retryAfter: Schema.optionalKey<Schema.Duration>
}

const RateLimitErrorBase: Schema.Class<RateLimitError, Schema.Struct<RateLimitErrorFields>, PuguhError> = PuguhError
  .extend<RateLimitError>("RateLimitError")({
    _tag: Schema.tag("RateLimitError"),
    /**
     * How long to wait, from `Retry-After`, as a `Duration`: the seed's `retry_after` (seconds) is
     * `Duration.toSeconds(error.retryAfter)`.
     */
    retryAfter: Schema.optionalKey(Schema.Duration),
  })

/**
 * A 429: too many requests, or an account locked after 5 failed sign-ins (`account_locked`).
 * `retryAfter` is how long to wait, from `Retry-After`, as a `Duration` (as PUID's
 * `RateLimitError.retryAfter` is), not the seed's `retry_after` in seconds: the seed's number is
 * `Duration.toSeconds(error.retryAfter)`. It is absent when the answer had no usable `Retry-After`.
 * The client never retries by itself.
 *
 * @example
 * ```ts
 * import { Duration, Effect } from "effect"
 * import { Puguh } from "@gatehouse/sdk/puguh"
 *
 * const plans = Effect.flatMap(Puguh, (p) => p.billing.getPlans()).pipe(
 *   Effect.catchTag("RateLimitError", (error) =>
 *     Effect.logWarning(`retry after ${Duration.format(error.retryAfter ?? Duration.seconds(1))}`)),
 * )
 * ```
 */
export class RateLimitError extends RateLimitErrorBase {}

/**
 * Why no answer arrived.
 *
 * @example
 * ```ts
 * import type { NetworkFailure } from "@gatehouse/sdk/puguh"
 *
 * const describe = (reason: NetworkFailure) => (reason === "timeout" ? "no answer in time" : "could not connect")
 * ```
 */
export type NetworkFailure = "timeout" | "connection"

type NetworkErrorFields = Omit<PuguhErrorFields, "_tag"> & {
  readonly _tag: Schema.tag<"NetworkError">
  readonly reason: Schema.Literals<ReadonlyArray<NetworkFailure>>
}

const NetworkErrorBase: Schema.Class<NetworkError, Schema.Struct<NetworkErrorFields>, PuguhError> = PuguhError
  .extend<NetworkError>("NetworkError")({
    _tag: Schema.tag("NetworkError"),
    /** `timeout`: no answer within the client's timeout; `connection`: DNS, refused, reset. */
    reason: Schema.Literals(["timeout", "connection"]),
  })

/**
 * No answer: the attempt timed out, or the connection failed (DNS, refused, reset). No `status`.
 * Retry with backoff (the `retry` option), or alert.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Puguh } from "@gatehouse/sdk/puguh"
 *
 * const plans = Effect.flatMap(Puguh, (p) => p.billing.getPlans()).pipe(
 *   Effect.catchTag("NetworkError", (error) => Effect.logError(`PUGUH unreachable: ${error.reason}`)),
 * )
 * ```
 */
export class NetworkError extends NetworkErrorBase {}

/**
 * Every error a PUGUH call can fail with once a request is on its way.
 *
 * @example
 * ```ts
 * import type { PuguhFailure } from "@gatehouse/sdk/puguh"
 *
 * const describe = (error: PuguhFailure): string => {
 *   switch (error._tag) {
 *     case "NetworkError":
 *       return `unreachable (${error.reason})`
 *     case "RateLimitError":
 *       return "rate limited"
 *     default:
 *       return `${error.status ?? "?"}: ${error.message}`
 *   }
 * }
 * ```
 */
export type PuguhFailure = ApiError | AuthError | RateLimitError | NetworkError

type InvalidArgumentFields = { readonly argument: Schema.String; readonly message: Schema.String }

const InvalidArgumentBase: TaggedErrorClass<InvalidArgument, "InvalidArgument", InvalidArgumentFields> = Schema
  .TaggedError<InvalidArgument>()("InvalidArgument", { argument: Schema.String, message: Schema.String })

/**
 * An argument refused before any request: a page or page size out of range (`page` >= 1,
 * `pageSize` 1-100), an empty id, an unknown role.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Puguh } from "@gatehouse/sdk/puguh"
 *
 * const page = Effect.flatMap(Puguh, (p) => p.organizations.list({ pageSize: 500 })).pipe(
 *   Effect.catchTag("InvalidArgument", (error) => Effect.logWarning(error.message)), // pageSize: 1 to 100
 * )
 * ```
 */
export class InvalidArgument extends InvalidArgumentBase {}

/**
 * The context a call needed.
 *
 * @example
 * ```ts
 * import type { ContextKind } from "@gatehouse/sdk/puguh"
 *
 * const hint = (kind: ContextKind) => kind === "organization" ? "call setOrganizationContext first" : "call setApplicationContext first"
 * ```
 */
export type ContextKind = "organization" | "application"

type MissingContextFields = {
  readonly context: Schema.Literals<ReadonlyArray<ContextKind>>
  readonly operation: Schema.String
  readonly message: Schema.String
}

const MissingContextBase: TaggedErrorClass<MissingContext, "MissingContext", MissingContextFields> = Schema
  .TaggedError<MissingContext>()("MissingContext", {
    context: Schema.Literals(["organization", "application"]),
    operation: Schema.String,
    message: Schema.String,
  })

/**
 * A call that needs an organization (or application) had none: no id given, none set with
 * `setOrganizationContext` (or `setApplicationContext`), and no `organizationId` option. With an
 * API key every call needs an organization. Raised before any request.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Puguh } from "@gatehouse/sdk/puguh"
 *
 * const members = Effect.flatMap(Puguh, (p) => p.organizations.listMembers()).pipe(
 *   Effect.catchTag("MissingContext", (error) => Effect.logError(error.message)),
 * )
 * ```
 */
export class MissingContext extends MissingContextBase {}

type ConfigurationErrorFields = {
  readonly message: Schema.String
  readonly setting: Schema.String
}

const ConfigurationErrorBase: TaggedErrorClass<ConfigurationError, "ConfigurationError", ConfigurationErrorFields> =
  Schema.TaggedError<ConfigurationError>()("ConfigurationError", { message: Schema.String, setting: Schema.String })

/**
 * A client that cannot be built: both an API key and an access token, a base URL that is not an
 * http(s) URL, `autoRefresh` without a refresh token, or (from the environment) none of the
 * variables looked for: `setting` names them.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Puguh } from "@gatehouse/sdk/puguh"
 *
 * const plans = Effect.flatMap(Puguh, (p) => p.billing.getPlans()).pipe(
 *   Effect.provide(Puguh.fromEnv()),
 *   Effect.catchTag("ConfigurationError", (error) => Effect.logError(`set ${error.setting}`)),
 * )
 * ```
 */
export class ConfigurationError extends ConfigurationErrorBase {}

const decodeErrorBody = Schema.decodeUnknownOption(ErrorBodySchema)

const place = (loc: ReadonlyArray<string | number>): string => loc.join(".")

/** The message of an error body: its `detail`, or a 422's items as one line. */
const messageOf = (body: ErrorBody): string =>
  typeof body.detail === "string"
    ? body.detail
    : `Validation failed: ${body.detail.map((issue) => `${place(issue.loc)}: ${issue.msg}`).join("; ")}`

const fromStatus = (failure: StatusFailure): PuguhFailure => {
  const body = Option.getOrUndefined(decodeErrorBody(failure.body))
  const common = {
    message: body === undefined ? `PUGUH answered HTTP ${failure.status}.` : messageOf(body),
    status: failure.status,
    ...(body?.code !== undefined && { code: body.code }),
    ...(failure.requestId !== undefined && { requestId: failure.requestId }),
    body: body ?? failure.body,
  }
  switch (failure.status) {
    case 401:
      return new AuthError(common)
    case 429: {
      const wait: Duration.Duration | undefined = retryAfter(failure.headers, Date.now())
      return new RateLimitError({ ...common, ...(wait !== undefined && { retryAfter: wait }) })
    }
    default:
      return new ApiError({
        ...common,
        ...(body !== undefined && typeof body.detail !== "string" && { validation: body.detail }),
      })
  }
}

/**
 * A call whose request could not be built: an argument its endpoint's schema refuses (a slug with
 * capitals, a code that is not 6 digits). The pipeline reports it as a transport failure that
 * never left and has no cause.
 */
const isRefusedInput = (failure: TransportFailure): boolean => failure.cause === undefined && !failure.retryable

/** A JSON array of path segments, or `undefined`: never throws, whatever `text` is. */
const pathFrom = (text: string): ReadonlyArray<string | number> | undefined => {
  try {
    const parsed: unknown = JSON.parse(text)
    return Array.isArray(parsed) && parsed.every((key) => typeof key === "string" || typeof key === "number")
      ? parsed
      : undefined
  } catch {
    return undefined
  }
}

/**
 * The `InvalidArgument` of a refused input. The client checks every input against its endpoint's
 * schemas itself first and names the argument from the issue's own path, so this is a fallback for
 * a request the pipeline alone refused: its message (`the body does not encode: Expected ...\n  at
 * ["name"]`) may name a path; when it does not, or not in a form that parses, the argument is
 * `input`. It never throws.
 */
const refusedInput = (failure: TransportFailure): InvalidArgument => {
  const text = typeof failure.message === "string" ? failure.message : ""
  const [first = "", ...rest] = text.replace(/^the \w+ does not encode: /, "").split("\n")
  const at = rest.map((line) => line.trim()).find((line) => line.startsWith("at "))
  const path = (at === undefined ? undefined : pathFrom(at.slice(3))) ?? []
  const argument = path.length === 0 ? "input" : path.join(".")
  return new InvalidArgument({ argument, message: `${argument}: ${first === "" ? "refused" : first}` })
}

/**
 * The PUGUH error table: every pipeline failure as one of the seed's errors, and an argument the
 * contract's schema refuses (before any request) as `InvalidArgument`.
 */
export const toPuguhError = (failure: Failure): PuguhFailure | InvalidArgument => {
  switch (failure._tag) {
    case "Status":
      return fromStatus(failure)
    case "Decode":
      return new ApiError({
        code: "invalid_response",
        status: failure.status,
        message: `PUGUH answered HTTP ${failure.status} with ${failure.message}`,
        ...(failure.requestId !== undefined && { requestId: failure.requestId }),
      })
    case "Transport":
      return isRefusedInput(failure)
        ? refusedInput(failure)
        : new NetworkError({ reason: "connection", message: `Network error: ${failure.message}` })
    case "Timeout":
      return new NetworkError({ reason: "timeout", message: `Timeout: ${failure.message}` })
    case "Closed":
      return new ApiError({ code: "client_closed", message: failure.message })
  }
}

/**
 * Whether `value` is one of the errors a PUGUH call fails with.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { createMock, PUGUH_DEMO } from "@gatehouse/sdk/mock"
 * import { isPuguhError, PuguhClient } from "@gatehouse/sdk/puguh"
 *
 * const mock = createMock()
 * await using puguh = PuguhClient.make({ baseUrl: mock.baseUrl("puguh"), fetch: mock.fetch })
 * try {
 *   await puguh.auth.login({ email: PUGUH_DEMO.email, password: "wrong" })
 * } catch (error) {
 *   if (isPuguhError(error)) console.log(error._tag) // AuthError
 * }
 * ```
 */
export const isPuguhError = (value: unknown): value is PuguhFailure => value instanceof PuguhError
