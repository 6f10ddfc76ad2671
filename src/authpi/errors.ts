/**
 * The errors of the AuthPI Admin client, as the seed names them (contracts.md §3.3): one class per
 * status the API answers (`ValidationError` 400/422, `AuthenticationError` 401, ...,
 * `UnexpectedError` for any other), each with the API's `error` code, its `errorDescription`, the
 * `status`, whether it is `retryable`, the request's `reference` and the `rawBody`; and the errors
 * of the client itself: `ConnectionError` (no answer, or none in time), `ClosedClientError` and
 * `ConfigurationError`. `ApiError` and `ServerError` are unions, with `isApiError` and
 * `isServerError` to test for them.
 *
 * Error bodies are decoded with the contract's `ErrorBodySchema`; a body that is not one (the
 * edge's plain-text 429) still maps by status. No error ever holds a credential.
 *
 * @module
 */
import { Duration, Option, Schema } from "effect"
import type { Failure, StatusFailure } from "../core/failure.ts"
import { retryAfter } from "../core/retry.ts"
import type { TaggedErrorClass } from "../core/tagged_error.ts"
import { type AuthPIErrorCode, type ErrorBody, ErrorBodySchema } from "./contract.ts"

const KNOWN_CODES = [
  "invalid_request",
  "invalid_content_type",
  "access_denied",
  "insufficient_scope",
  "session_expired",
  "unauthorized_client",
  "invalid_token",
  "not_found",
  "method_not_allowed",
  "conflict",
  "precondition_failed",
  "rate_limited",
  "server_error",
] as const

const Code: Schema.Codec<AuthPIErrorCode, string> = Schema.Union([Schema.Literals(KNOWN_CODES), Schema.String])

/** The fields every error from an answer carries (the seed's `ApiError`). */
type ApiErrorFields = {
  readonly message: Schema.String
  readonly error: Schema.Codec<AuthPIErrorCode, string>
  readonly errorDescription: Schema.optionalKey<Schema.String>
  readonly status: Schema.Number
  readonly retryable: Schema.Boolean
  readonly reference: Schema.optionalKey<Schema.String>
  readonly rawBody: Schema.optionalKey<Schema.String>
}

const apiErrorFields: ApiErrorFields = {
  message: Schema.String,
  /** The API's `error` code; for a body that is not JSON, one derived from the status. */
  error: Code,
  /** The API's `error_description`. */
  errorDescription: Schema.optionalKey(Schema.String),
  /** The HTTP status. */
  status: Schema.Number,
  /** Whether sending the request again may succeed: 429, 502, 503 and 504. */
  retryable: Schema.Boolean,
  /** The request id: the body's `reference`, else the `x-request-id` header. */
  reference: Schema.optionalKey(Schema.String),
  /** The body as received (JSON re-serialised), when there was one. */
  rawBody: Schema.optionalKey(Schema.String),
}

type ValidationErrorFields = Omit<ApiErrorFields, "status"> & {
  readonly status: Schema.optionalKey<Schema.Number>
  readonly fields: Schema.$Record<Schema.String, Schema.String>
}

const ValidationErrorBase: TaggedErrorClass<ValidationError, "ValidationError", ValidationErrorFields> = Schema
  .TaggedError<
    ValidationError
  >()("ValidationError", {
    ...apiErrorFields,
    status: Schema.optionalKey(Schema.Number),
    fields: Schema.Record(Schema.String, Schema.String),
  })

/**
 * 400 or 422: the request is not valid. `fields` says what is wrong with which field (the body's
 * `fields`, else its `errors`, else empty). The client also fails with it, before any request and
 * without a `status`, when an argument is wrong: an empty id, a `limit` outside 1–100, a filter
 * the resource does not have or a value of the wrong kind, an `Idempotency-Key` outside 1–256
 * characters, a body that is not an object.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { AuthPI } from "@gatehouse/sdk/authpi"
 *
 * const created = Effect.flatMap(AuthPI, (admin) => admin.issuers.create({})).pipe(
 *   Effect.catchTag("ValidationError", (error) => Effect.logWarning(error.fields)),
 * )
 * ```
 */
export class ValidationError extends ValidationErrorBase {}

const AuthenticationErrorBase: TaggedErrorClass<AuthenticationError, "AuthenticationError", ApiErrorFields> = Schema
  .TaggedError<AuthenticationError>()("AuthenticationError", apiErrorFields)

/**
 * 401: the credential is missing, wrong or expired, and `onTokenExpired` (if given) did not help:
 * the request was resent once with the refreshed token and met a 401 again, or the refresh itself
 * failed (`error: "token_refresh_failed"`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { AuthPI } from "@gatehouse/sdk/authpi"
 *
 * const me = Effect.flatMap(AuthPI, (admin) => admin.me()).pipe(
 *   Effect.catchTag("AuthenticationError", () => Effect.succeed(undefined)),
 * )
 * ```
 */
export class AuthenticationError extends AuthenticationErrorBase {}

const ForbiddenErrorBase: TaggedErrorClass<ForbiddenError, "ForbiddenError", ApiErrorFields> = Schema.TaggedError<
  ForbiddenError
>()("ForbiddenError", apiErrorFields)

/**
 * 403: the credential cannot reach this account, or lacks the scope (`access_denied`,
 * `insufficient_scope`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { AuthPI } from "@gatehouse/sdk/authpi"
 *
 * const issuers = Effect.flatMap(AuthPI, (admin) => admin.issuers.list()).pipe(
 *   Effect.catchTag("ForbiddenError", (error) => Effect.logError(error.error)),
 * )
 * ```
 */
export class ForbiddenError extends ForbiddenErrorBase {}

const NotFoundErrorBase: TaggedErrorClass<NotFoundError, "NotFoundError", ApiErrorFields> = Schema.TaggedError<
  NotFoundError
>()("NotFoundError", apiErrorFields)

/**
 * 404: no such resource, or no such parent (a user of an issuer that does not exist).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { AuthPI } from "@gatehouse/sdk/authpi"
 *
 * const user = Effect.flatMap(AuthPI, (admin) => admin.issuer("i_1").user("usr_1").get()).pipe(
 *   Effect.catchTag("NotFoundError", () => Effect.succeed(undefined)),
 * )
 * ```
 */
export class NotFoundError extends NotFoundErrorBase {}

const ConflictErrorBase: TaggedErrorClass<ConflictError, "ConflictError", ApiErrorFields> = Schema.TaggedError<
  ConflictError
>()("ConflictError", apiErrorFields)

/**
 * 409: a duplicate (a domain already added), or a request with the same `Idempotency-Key` still
 * in progress.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { AuthPI } from "@gatehouse/sdk/authpi"
 *
 * const domain = Effect.flatMap(AuthPI, (admin) => admin.domains.create({ host: "login.example.com" })).pipe(
 *   Effect.catchTag("ConflictError", () => Effect.logInfo("already added")),
 * )
 * ```
 */
export class ConflictError extends ConflictErrorBase {}

type PreconditionFailedErrorFields = ApiErrorFields & { readonly currentEtag: Schema.optionalKey<Schema.String> }

const PreconditionFailedErrorBase: TaggedErrorClass<
  PreconditionFailedError,
  "PreconditionFailedError",
  PreconditionFailedErrorFields
> = Schema.TaggedError<PreconditionFailedError>()("PreconditionFailedError", {
  ...apiErrorFields,
  currentEtag: Schema.optionalKey(Schema.String),
})

/**
 * 412: `ifMatch` no longer matches: the resource changed since it was read. `currentEtag` is its
 * `ETag` now (the body's `currentETag`, else the answer's `ETag` header).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { AuthPI } from "@gatehouse/sdk/authpi"
 *
 * const rename = Effect.gen(function* () {
 *   const users = (yield* AuthPI).issuer("i_1").users
 *   const user = yield* users.get("usr_1")
 *   return yield* users.update("usr_1", { display_name: "Bob" }, { ifMatch: user._etag })
 * }).pipe(Effect.catchTag("PreconditionFailedError", (error) => Effect.logWarning(error.currentEtag)))
 * ```
 */
export class PreconditionFailedError extends PreconditionFailedErrorBase {}

type RateLimitErrorFields = ApiErrorFields & { readonly retryAfter: Schema.optionalKey<Schema.Duration> }

const RateLimitErrorBase: TaggedErrorClass<RateLimitError, "RateLimitError", RateLimitErrorFields> = Schema.TaggedError<
  RateLimitError
>()("RateLimitError", { ...apiErrorFields, retryAfter: Schema.optionalKey(Schema.Duration) })

/**
 * 429: rate limited, after the retries a read gets. `retryAfter` is the wait the answer asked
 * for, as a `Duration` of whole seconds (`Retry-After` as seconds or as an HTTP-date, rounded
 * up), when it said; as with PUID's and PUGUH's. The seed's `retry_after` (seconds) is
 * `Duration.toSeconds(error.retryAfter)`. The edge's 429 may not be JSON: it still is a
 * `RateLimitError`, with `error: "rate_limited"`.
 *
 * @example
 * ```ts
 * import { Duration, Effect } from "effect"
 * import { AuthPI } from "@gatehouse/sdk/authpi"
 *
 * const events = Effect.flatMap(AuthPI, (admin) => admin.events.list()).pipe(
 *   Effect.catchTag("RateLimitError", (error) =>
 *     error.retryAfter === undefined
 *       ? Effect.fail(error)
 *       : Effect.logWarning(`retry after ${Duration.toSeconds(error.retryAfter)} s`)),
 * )
 * ```
 */
export class RateLimitError extends RateLimitErrorBase {}

const InternalServerErrorBase: TaggedErrorClass<InternalServerError, "InternalServerError", ApiErrorFields> = Schema
  .TaggedError<InternalServerError>()("InternalServerError", apiErrorFields)

/**
 * 500: the API failed. Not retryable: the request may have been applied.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { AuthPI } from "@gatehouse/sdk/authpi"
 *
 * const issuers = Effect.flatMap(AuthPI, (admin) => admin.issuers.list()).pipe(
 *   Effect.catchTag("InternalServerError", (error) => Effect.logError(error.reference)),
 * )
 * ```
 */
export class InternalServerError extends InternalServerErrorBase {}

const BadGatewayErrorBase: TaggedErrorClass<BadGatewayError, "BadGatewayError", ApiErrorFields> = Schema.TaggedError<
  BadGatewayError
>()("BadGatewayError", apiErrorFields)

/**
 * 502, after the retries. Retryable.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { AuthPI } from "@gatehouse/sdk/authpi"
 *
 * const issuers = Effect.flatMap(AuthPI, (admin) => admin.issuers.list()).pipe(
 *   Effect.catchTag("BadGatewayError", (error) => Effect.logError(error.status)),
 * )
 * ```
 */
export class BadGatewayError extends BadGatewayErrorBase {}

const ServiceUnavailableErrorBase: TaggedErrorClass<
  ServiceUnavailableError,
  "ServiceUnavailableError",
  ApiErrorFields
> = Schema.TaggedError<ServiceUnavailableError>()("ServiceUnavailableError", apiErrorFields)

/**
 * 503, after the retries. Retryable.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { AuthPI } from "@gatehouse/sdk/authpi"
 *
 * const issuers = Effect.flatMap(AuthPI, (admin) => admin.issuers.list()).pipe(
 *   Effect.catchTag("ServiceUnavailableError", (error) => Effect.logError(error.status)),
 * )
 * ```
 */
export class ServiceUnavailableError extends ServiceUnavailableErrorBase {}

const GatewayTimeoutErrorBase: TaggedErrorClass<GatewayTimeoutError, "GatewayTimeoutError", ApiErrorFields> = Schema
  .TaggedError<GatewayTimeoutError>()("GatewayTimeoutError", apiErrorFields)

/**
 * 504, after the retries. Retryable.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { AuthPI } from "@gatehouse/sdk/authpi"
 *
 * const issuers = Effect.flatMap(AuthPI, (admin) => admin.issuers.list()).pipe(
 *   Effect.catchTag("GatewayTimeoutError", (error) => Effect.logError(error.status)),
 * )
 * ```
 */
export class GatewayTimeoutError extends GatewayTimeoutErrorBase {}

const UnexpectedErrorBase: TaggedErrorClass<UnexpectedError, "UnexpectedError", ApiErrorFields> = Schema.TaggedError<
  UnexpectedError
>()("UnexpectedError", apiErrorFields)

/**
 * Any other answer: a status no other class covers (405, 415, 501...), a status the operation
 * cannot answer (a 409 to a read), or a 2xx whose body does not match the contract
 * (`error: "invalid_response"`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { AuthPI } from "@gatehouse/sdk/authpi"
 *
 * const issuers = Effect.flatMap(AuthPI, (admin) => admin.issuers.list()).pipe(
 *   Effect.catchTag("UnexpectedError", (error) => Effect.logError(error.status, error.rawBody)),
 * )
 * ```
 */
export class UnexpectedError extends UnexpectedErrorBase {}

type ConnectionErrorFields = {
  readonly message: Schema.String
  readonly timeout: Schema.Boolean
  readonly retryable: Schema.Boolean
}

const ConnectionErrorBase: TaggedErrorClass<ConnectionError, "ConnectionError", ConnectionErrorFields> = Schema
  .TaggedError<
    ConnectionError
  >()("ConnectionError", {
    message: Schema.String,
    /** `true` when no answer came within `timeout`. */
    timeout: Schema.Boolean,
    /** Whether sending again may help (`false` when the request could not even be built). */
    retryable: Schema.Boolean,
  })

/**
 * No answer: the connection failed or dropped, or no answer came within `timeout` (`timeout:
 * true`), after the retries the request was safe to get.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { AuthPI } from "@gatehouse/sdk/authpi"
 *
 * const issuers = Effect.flatMap(AuthPI, (admin) => admin.issuers.list()).pipe(
 *   Effect.catchTag("ConnectionError", (error) => Effect.logError(error.timeout ? "too slow" : "unreachable")),
 * )
 * ```
 */
export class ConnectionError extends ConnectionErrorBase {}

type MessageFields = { readonly message: Schema.String }

const ClosedClientErrorBase: TaggedErrorClass<ClosedClientError, "ClosedClientError", MessageFields> = Schema
  .TaggedError<
    ClosedClientError
  >()("ClosedClientError", { message: Schema.String })

/**
 * The client was used after its scope closed (the layer released, or `close()` on the Promise
 * client). Nothing was sent.
 *
 * @example
 * ```ts
 * import { AuthPIClient, ClosedClientError } from "@gatehouse/sdk/authpi"
 *
 * const admin = AuthPIClient.make({ apiKey: "key_..." })
 * await admin.close()
 * await admin.issuers.list().catch((error) => error instanceof ClosedClientError)
 * ```
 */
export class ClosedClientError extends ClosedClientErrorBase {}

type ConfigurationErrorFields = { readonly message: Schema.String; readonly option: Schema.String }

const ConfigurationErrorBase: TaggedErrorClass<ConfigurationError, "ConfigurationError", ConfigurationErrorFields> =
  Schema
    .TaggedError<ConfigurationError>()("ConfigurationError", {
      message: Schema.String,
      /** The option, or the environment variables, at fault: `retries.limit`, `AUTHPI_API_KEY`. */
      option: Schema.String,
    })

/**
 * The client's options cannot work, found before any request: no credential or two, an access
 * token without `accountId`, a bad `baseUrl`, `timeout` or `retries`, missing or ambiguous
 * environment variables (named in the message). Also when `accountId` must be resolved through
 * `GET /v1/me` and the credential reaches no account or several. Its message never holds a
 * secret.
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { FetchHttpClient } from "effect/http"
 * import { AuthPI } from "@gatehouse/sdk/authpi"
 *
 * const layer = AuthPI.layer({ apiKey: "key_...", retries: { limit: 50 } }).pipe(Layer.provide(FetchHttpClient.layer))
 * const failed = Effect.flatMap(AuthPI, (admin) => admin.me()).pipe(
 *   Effect.provide(layer),
 *   Effect.catchTag("ConfigurationError", (error) => Effect.logError(error.option)),
 * )
 * ```
 */
export class ConfigurationError extends ConfigurationErrorBase {}

/**
 * The errors of a 5xx answer the seed names (`ServerError`'s subclasses): 500, 502, 503, 504.
 * The seed's base class is, in TypeScript, this union type: test for it with
 * {@linkcode isServerError} (an `instanceof ServerError` has no class to test against).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { AuthPI, isServerError, type ServerError } from "@gatehouse/sdk/authpi"
 *
 * const report = (error: ServerError) => Effect.logError(`AuthPI ${error.status}`, error.reference)
 * const issuers = Effect.flatMap(AuthPI, (admin) => admin.issuers.list()).pipe(Effect.catchIf(isServerError, report))
 * ```
 */
export type ServerError = InternalServerError | BadGatewayError | ServiceUnavailableError | GatewayTimeoutError

/**
 * Every error made from an answer of the API (the seed's `ApiError` and its subclasses). The
 * seed's base class is, in TypeScript, this union type (each member a tagged class, so
 * `Effect.catchTag` works on it): test for it with {@linkcode isApiError}.
 *
 * @example
 * ```ts
 * import type { ApiError } from "@gatehouse/sdk/authpi"
 *
 * const describe = (error: ApiError): string => `${error.status} ${error.error} (request ${error.reference})`
 * ```
 */
export type ApiError =
  | ValidationError
  | AuthenticationError
  | ForbiddenError
  | NotFoundError
  | ConflictError
  | PreconditionFailedError
  | RateLimitError
  | ServerError
  | UnexpectedError

/**
 * Every error of the AuthPI client.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { AuthPI, type AuthPIError } from "@gatehouse/sdk/authpi"
 *
 * const reason = (error: AuthPIError): string => error._tag === "ConnectionError" ? "offline" : error.message
 * const me = Effect.flatMap(AuthPI, (admin) => admin.me()).pipe(Effect.mapError(reason))
 * ```
 */
export type AuthPIError = ApiError | ConnectionError | ClosedClientError | ConfigurationError

/**
 * What a read (`list`, `listAll`, `get`, a GET action, `me`) fails with: the API's answers to a
 * read, no answer, a closed client, and `ConfigurationError` when `accountId` cannot be resolved.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { AuthPI, type ReadError } from "@gatehouse/sdk/authpi"
 *
 * const orNothing = <A>(read: Effect.Effect<A, ReadError, AuthPI>) =>
 *   read.pipe(Effect.catchTag("NotFoundError", () => Effect.succeed(undefined)))
 * const user = orNothing(Effect.flatMap(AuthPI, (admin) => admin.issuer("i_1").user("usr_1").get()))
 * ```
 */
export type ReadError =
  | ValidationError
  | AuthenticationError
  | ForbiddenError
  | NotFoundError
  | RateLimitError
  | ServerError
  | UnexpectedError
  | ConnectionError
  | ClosedClientError
  | ConfigurationError

/**
 * What an `update` or a `delete` fails with: a read's errors, 409 and 412.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { AuthPI, type WriteError } from "@gatehouse/sdk/authpi"
 *
 * const retryOnConflict = <A>(write: Effect.Effect<A, WriteError, AuthPI>) =>
 *   write.pipe(Effect.catchTag("PreconditionFailedError", () => write))
 * const renamed = retryOnConflict(Effect.flatMap(AuthPI, (admin) => admin.issuers.update("i_1", { name: "Prod" })))
 * ```
 */
export type WriteError = ReadError | ConflictError | PreconditionFailedError

/**
 * What a `create` or a POST action (`approve`, `revoke`...) fails with: a read's errors and 409
 * (a duplicate, or the same `Idempotency-Key` still in progress after the retries). Never 412:
 * these send no `If-Match` (a 412 would be an `UnexpectedError`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { AuthPI, type CreateError } from "@gatehouse/sdk/authpi"
 *
 * const orExisting = <A>(create: Effect.Effect<A, CreateError, AuthPI>) =>
 *   create.pipe(Effect.catchTag("ConflictError", () => Effect.succeed(undefined)))
 * const domain = orExisting(Effect.flatMap(AuthPI, (admin) => admin.domains.create({ host: "login.example.com" })))
 * ```
 */
export type CreateError = ReadError | ConflictError

/**
 * What `me()` fails with: it takes no argument and needs no account id, so no `ValidationError`
 * and no `ConfigurationError`; an answer `GET /v1/me` cannot have (400, 403, 404, 409, 412) is an
 * `UnexpectedError`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { AuthPI, type MeError } from "@gatehouse/sdk/authpi"
 *
 * const signedIn = (error: MeError) => error._tag !== "AuthenticationError"
 * const me = Effect.flatMap(AuthPI, (admin) => admin.me()).pipe(Effect.catchIf(signedIn, () => Effect.void))
 * ```
 */
export type MeError =
  | AuthenticationError
  | RateLimitError
  | ServerError
  | UnexpectedError
  | ConnectionError
  | ClosedClientError

/**
 * What a read of `accounts` fails with: a read's errors but `ConfigurationError` (the accounts
 * are not under an account id, so none is looked up).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { AuthPI, type AccountReadError } from "@gatehouse/sdk/authpi"
 *
 * const missing = (error: AccountReadError) => error._tag === "NotFoundError"
 * const account = Effect.flatMap(AuthPI, (admin) => admin.accounts.get("acc_1")).pipe(
 *   Effect.catchIf(missing, () => Effect.succeed(undefined)),
 * )
 * ```
 */
export type AccountReadError = Exclude<ReadError, ConfigurationError>

/**
 * What `accounts.update` fails with: a write's errors but `ConfigurationError`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { AuthPI, type AccountWriteError } from "@gatehouse/sdk/authpi"
 *
 * const stale = (error: AccountWriteError) => error._tag === "PreconditionFailedError"
 * const renamed = Effect.flatMap(AuthPI, (admin) => admin.accounts.update("acc_1", { name: "Acme" }, { ifMatch: '"1"' }))
 *   .pipe(Effect.catchIf(stale, () => Effect.void))
 * ```
 */
export type AccountWriteError = Exclude<WriteError, ConfigurationError>

const SERVER_TAGS: ReadonlySet<string> = new Set([
  "InternalServerError",
  "BadGatewayError",
  "ServiceUnavailableError",
  "GatewayTimeoutError",
])

const API_TAGS: ReadonlySet<string> = new Set([
  ...SERVER_TAGS,
  "ValidationError",
  "AuthenticationError",
  "ForbiddenError",
  "NotFoundError",
  "ConflictError",
  "PreconditionFailedError",
  "RateLimitError",
  "UnexpectedError",
])

const tagOf = (value: unknown): unknown =>
  typeof value === "object" && value !== null ? (value as { readonly _tag?: unknown })._tag : undefined

/**
 * Whether `value` is an error made from an API answer (the seed's `except ApiError`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { AuthPI, isApiError } from "@gatehouse/sdk/authpi"
 *
 * const issuers = Effect.flatMap(AuthPI, (admin) => admin.issuers.list()).pipe(
 *   Effect.mapError((error) => isApiError(error) ? `HTTP ${error.status}, request ${error.reference}` : error._tag),
 * )
 * ```
 */
export const isApiError = (value: unknown): value is ApiError => API_TAGS.has(tagOf(value) as string)

/**
 * Whether `value` is a 500, 502, 503 or 504 error (the seed's `except ServerError`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { AuthPI, isServerError } from "@gatehouse/sdk/authpi"
 *
 * const issuers = Effect.flatMap(AuthPI, (admin) => admin.issuers.list()).pipe(
 *   Effect.catchIf(isServerError, (error) => Effect.logError(error.status)),
 * )
 * ```
 */
export const isServerError = (value: unknown): value is ServerError => SERVER_TAGS.has(tagOf(value) as string)

/** The statuses worth another attempt (the seed's `retryable`). */
const RETRYABLE: ReadonlySet<number> = new Set([429, 502, 503, 504])

/** The code of an answer whose body is not the API's error body. */
const CODE_OF_STATUS: Readonly<Record<number, AuthPIErrorCode>> = {
  400: "invalid_request",
  401: "invalid_token",
  403: "access_denied",
  404: "not_found",
  405: "method_not_allowed",
  409: "conflict",
  412: "precondition_failed",
  415: "invalid_content_type",
  422: "invalid_request",
  429: "rate_limited",
  500: "server_error",
  502: "server_error",
  503: "server_error",
  504: "server_error",
}

/** What every error from an answer is made with. */
interface ApiErrorInit {
  readonly message: string
  readonly error: AuthPIErrorCode
  readonly errorDescription?: string
  readonly status: number
  readonly retryable: boolean
  readonly reference?: string
  readonly rawBody?: string
}

const decodeBody = Schema.decodeUnknownOption(ErrorBodySchema)

/** `fields` of a 400/422 body: its `fields`, else its `errors` when that is a record of strings, else empty. */
const fieldsOf = (body: unknown): Record<string, string> => {
  const record = body as { readonly fields?: unknown; readonly errors?: unknown } | undefined
  for (const candidate of [record?.fields, record?.errors]) {
    if (
      typeof candidate === "object" && candidate !== null && !Array.isArray(candidate) &&
      Object.values(candidate).every((value) => typeof value === "string")
    ) return { ...candidate as Record<string, string> }
  }
  return {}
}

/** The wait a `Retry-After` (seconds or HTTP-date) asks for, in whole seconds rounded up. */
const retryAfterDuration = (failure: StatusFailure): Duration.Duration | undefined => {
  const wait = retryAfter(failure.headers, Date.now())
  return wait === undefined ? undefined : Duration.seconds(Math.max(0, Math.ceil(Duration.toMillis(wait) / 1000)))
}

type Build = (init: ApiErrorInit, failure: StatusFailure, body: ErrorBody | undefined) => ApiError

/** The error class of each status, as in the seed's table; any other status is `UnexpectedError`. */
const BY_STATUS: Readonly<Record<number, Build>> = {
  400: (init, failure) => new ValidationError({ ...init, fields: fieldsOf(failure.body) }),
  422: (init, failure) => new ValidationError({ ...init, fields: fieldsOf(failure.body) }),
  401: (init) => new AuthenticationError(init),
  403: (init) => new ForbiddenError(init),
  404: (init) => new NotFoundError(init),
  409: (init) => new ConflictError(init),
  412: (init, failure, body) => {
    const currentEtag = body?.currentETag ?? failure.headers["etag"]
    return new PreconditionFailedError({ ...init, ...(currentEtag !== undefined && { currentEtag }) })
  },
  429: (init, failure) => {
    const wait = retryAfterDuration(failure)
    return new RateLimitError({ ...init, ...(wait !== undefined && { retryAfter: wait }) })
  },
  500: (init) => new InternalServerError(init),
  502: (init) => new BadGatewayError(init),
  503: (init) => new ServiceUnavailableError(init),
  504: (init) => new GatewayTimeoutError(init),
}

const rawBodyOf = (body: unknown): string | undefined =>
  body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body)

const fromStatus = (failure: StatusFailure): ApiError => {
  const body = Option.getOrUndefined(decodeBody(failure.body))
  const error = body?.error ?? CODE_OF_STATUS[failure.status] ?? `http_${failure.status}`
  const description = body?.error_description
  const reference = body?.reference ?? failure.requestId
  const rawBody = rawBodyOf(failure.body)
  const init: ApiErrorInit = {
    message: `HTTP ${failure.status} ${error}${description === undefined ? "" : `: ${description}`}`,
    error,
    ...(description !== undefined && { errorDescription: description }),
    status: failure.status,
    retryable: RETRYABLE.has(failure.status),
    ...(reference !== undefined && { reference }),
    ...(rawBody !== undefined && { rawBody }),
  }
  return (BY_STATUS[failure.status] ?? ((init) => new UnexpectedError(init)))(init, failure, body)
}

/**
 * The AuthPI error table: every failure of the pipeline as the seed's error class, the body
 * decoded with `ErrorBodySchema` (a body that is not one maps by status alone).
 */
export const toAuthPIError = (failure: Failure): AuthPIError => {
  switch (failure._tag) {
    case "Status":
      return fromStatus(failure)
    case "Decode": {
      const rawBody = rawBodyOf(failure.body)
      return new UnexpectedError({
        message: failure.message,
        error: "invalid_response",
        status: failure.status,
        retryable: false,
        ...(failure.requestId !== undefined && { reference: failure.requestId }),
        ...(rawBody !== undefined && { rawBody }),
      })
    }
    case "Transport":
      return new ConnectionError({ message: failure.message, timeout: false, retryable: failure.retryable })
    case "Timeout":
      return new ConnectionError({ message: failure.message, timeout: true, retryable: true })
    case "Closed":
      return new ClosedClientError({ message: failure.message })
  }
}

/** An argument refused before any request: `ValidationError` without a status, naming the argument. */
export const invalidArgument = (argument: string, problem: string): ValidationError =>
  new ValidationError({
    message: `${argument} ${problem}`,
    error: "invalid_request",
    errorDescription: `${argument} ${problem}`,
    retryable: false,
    fields: { [argument]: problem },
  })

const unexpected = (error: ApiError): UnexpectedError =>
  new UnexpectedError({
    message: error.message,
    error: error.error,
    status: error.status!,
    retryable: false,
    ...(error.errorDescription !== undefined && { errorDescription: error.errorDescription }),
    ...(error.reference !== undefined && { reference: error.reference }),
    ...(error.rawBody !== undefined && { rawBody: error.rawBody }),
  })

/** An answer with a status the call cannot have (its tag among `tags`) as `UnexpectedError`. */
const narrowing = <E extends AuthPIError>(tags: ReadonlySet<string>) => (error: AuthPIError): E =>
  (tags.has(error._tag) && isApiError(error) && error.status !== undefined ? unexpected(error) : error) as E

/**
 * A read's error: an answer a read cannot have (409, 412) becomes `UnexpectedError`, so that a
 * read's error type names only what it fails with.
 */
export const asReadError: (error: AuthPIError) => ReadError = narrowing<ReadError>(
  new Set(["ConflictError", "PreconditionFailedError"]),
)

/** A create's (or a POST action's) error: a 412 (it sends no `If-Match`) becomes `UnexpectedError`. */
export const asCreateError: (error: AuthPIError) => CreateError = narrowing<CreateError>(
  new Set(["PreconditionFailedError"]),
)

/**
 * `me()`'s error: it takes no argument and names no account, so a 400/422, 403, 404, 409 or 412
 * answer becomes `UnexpectedError`.
 */
export const asMeError: (error: AuthPIError) => MeError = narrowing<MeError>(
  new Set(["ValidationError", "ForbiddenError", "NotFoundError", "ConflictError", "PreconditionFailedError"]),
)
