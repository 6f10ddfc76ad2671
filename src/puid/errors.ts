/**
 * `PuidError`: the one error of the PUID client, as in the seed, with the status and the API's
 * code to branch on. Error bodies are decoded with the contract's `ErrorBody`, never read field by
 * field.
 *
 * @module
 */
import { Duration, Option, Schema } from "effect"
import type { Failure, StatusFailure } from "../core/failure.ts"
import { retryAfter } from "../core/retry.ts"
import { ErrorBody, type PuidServerCode } from "./contract.ts"
import type { TaggedErrorClass } from "../core/tagged_error.ts"

/** The codes the client raises itself, before or instead of a request. */
export type PuidClientCode =
  | "network_error"
  | "invalid_count"
  | "invalid_puid"
  | "invalid_client"
  | "invalid_credentials"
  | "invalid_response"
  | "invalid_endpoint"
  | "client_closed"

/**
 * The codes a `PuidError` carries: the server's (from the error body) and the client's. A code the
 * server adds later is kept as is, so `code` is open; the known ones are what editors suggest.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Puid, type PuidErrorCode } from "@gatehouse/sdk/puid"
 *
 * const later = (code: PuidErrorCode | undefined): boolean => code === "rate_limited" || code === "quota_exceeded"
 * const ids = Effect.flatMap(Puid, (puid) => puid.ids(3)).pipe(
 *   Effect.catchIf((error) => later(error.code), () => Effect.succeed([])),
 * )
 * ```
 */
export type PuidErrorCode = PuidServerCode | PuidClientCode

const CLIENT_CODES: ReadonlyArray<PuidClientCode> = [
  "network_error",
  "invalid_count",
  "invalid_puid",
  "invalid_client",
  "invalid_credentials",
  "invalid_response",
  "invalid_endpoint",
  "client_closed",
]

const Code: Schema.Codec<PuidErrorCode, string> = Schema.Union([Schema.Literals(CLIENT_CODES), Schema.String])

const QuotaInfo: Schema.Struct<{
  readonly used: Schema.Number
  readonly limit: Schema.NullOr<Schema.Number>
  readonly plan: Schema.String
}> = Schema.Struct({ used: Schema.Number, limit: Schema.NullOr(Schema.Number), plan: Schema.String })

type PuidErrorFields = {
  readonly message: Schema.String
  readonly status: Schema.optionalKey<Schema.Number>
  readonly code: Schema.optionalKey<Schema.Codec<PuidErrorCode, string>>
  readonly requestId: Schema.optionalKey<Schema.String>
  readonly retryAfter: Schema.optionalKey<Schema.Duration>
  readonly quota: Schema.optionalKey<typeof QuotaInfo>
  readonly body: Schema.optionalKey<Schema.Unknown>
}

const PuidErrorBase: TaggedErrorClass<PuidError, "PuidError", PuidErrorFields> = Schema.TaggedError<PuidError>()(
  "PuidError",
  {
    message: Schema.String,
    status: Schema.optionalKey(Schema.Number),
    code: Schema.optionalKey(Code),
    requestId: Schema.optionalKey(Schema.String),
    /** How long the server asks us to wait, on `rate_limited`. */
    retryAfter: Schema.optionalKey(Schema.Duration),
    /** Today's usage, on `quota_exceeded`. */
    quota: Schema.optionalKey(QuotaInfo),
    /** The raw error body. */
    body: Schema.optionalKey(Schema.Unknown),
  },
)

/**
 * Every failure of the PUID client: a non-2xx answer, a client-side validation, a network failure.
 *
 * `status` is absent for client-side and network errors. `code` is the API's `error` field
 * (absent when the body is not JSON). `retryAfter` is set on `rate_limited`, `quota` on
 * `quota_exceeded`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Puid } from "@gatehouse/sdk/puid"
 *
 * const program = Effect.flatMap(Puid, (puid) => puid.ids(3)).pipe(
 *   Effect.catchTag("PuidError", (error) =>
 *     error.code === "rate_limited" ? Effect.succeed([]) : Effect.fail(error)),
 * )
 * ```
 */
export class PuidError extends PuidErrorBase {}

/** A client-side error: no status, a code, a message. */
export const clientError = (code: PuidClientCode, message: string): PuidError => new PuidError({ code, message })

const decodeBody = Schema.decodeUnknownOption(ErrorBody)

/** How long a `rate_limited` answer asks to wait: the body's `retryAfterMs`, else `Retry-After`. */
const rateLimitDelay = (failure: StatusFailure, body: Option.Option<ErrorBody>): Duration.Duration | undefined =>
  Option.match(Option.flatMapNullishOr(body, (b) => b.retryAfterMs), {
    onSome: Duration.millis,
    onNone: () => retryAfter(failure.headers, Date.now()),
  })

const quotaOf = (body: ErrorBody) =>
  body.used === undefined || body.plan === undefined
    ? undefined
    : { used: body.used, limit: body.limit ?? null, plan: body.plan }

const fromStatus = (failure: StatusFailure): PuidError => {
  const decoded = decodeBody(failure.body)
  const body = Option.getOrUndefined(decoded)
  // The token endpoint speaks OAuth: its description is the message.
  const message = (failure.operation === "puid.token" ? body?.error_description : undefined) ??
    body?.message ?? body?.error_description ?? body?.error ?? `Request failed with HTTP ${failure.status}.`
  const retryAfter = body?.error === "rate_limited" || failure.status === 429
    ? rateLimitDelay(failure, decoded)
    : undefined
  const quota = body?.error === "quota_exceeded" ? quotaOf(body) : undefined
  return new PuidError({
    message,
    status: failure.status,
    ...(body !== undefined && { code: body.error }),
    ...(failure.requestId !== undefined && { requestId: failure.requestId }),
    ...(retryAfter !== undefined && { retryAfter }),
    ...(quota !== undefined && { quota }),
    body: failure.body,
  })
}

/** The PUID error table: every pipeline failure as a `PuidError`, like the seed's mapping. */
export const toPuidError = (failure: Failure): PuidError => {
  switch (failure._tag) {
    case "Status":
      return fromStatus(failure)
    case "Decode":
      // A token answer that does not decode may still hold a token: its body is not kept.
      return failure.operation === "puid.token"
        ? clientError("invalid_client", "The token response was malformed or had no access_token.")
        : new PuidError({
          code: "invalid_response",
          status: failure.status,
          message: failure.message,
          body: failure.body,
        })
    case "Transport":
    case "Timeout":
      return clientError("network_error", `Network error: ${failure.message}`)
    case "Closed":
      return clientError("client_closed", failure.message)
  }
}
