/**
 * `PuidError`: the one error of the PUID client, as in the seed, with the status and the API's
 * code to branch on.
 *
 * @module
 */
import { Duration, Schema } from "effect"
import { bodyField, bodyNumber, type Failure } from "../core/failure.ts"
import { retryAfter } from "../core/retry.ts"

/**
 * The codes a `PuidError` carries. Server codes come from the error body; the others are
 * raised by the client before or instead of a request. An unknown server code is kept as is.
 */
export type PuidErrorCode =
  // server
  | "unauthorized"
  | "quota_exceeded"
  | "rate_limited"
  | "bad_request"
  | "not_found"
  | "invalid_grant"
  | "unsupported_grant_type"
  | "invalid_redirect_uris"
  // client
  | "network_error"
  | "invalid_count"
  | "invalid_puid"
  | "invalid_client"
  | "invalid_credentials"
  | "invalid_response"
  | "invalid_endpoint"
  | "client_closed"

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
export class PuidError extends Schema.TaggedError<PuidError>()("PuidError", {
  message: Schema.String,
  status: Schema.optionalKey(Schema.Number),
  code: Schema.optionalKey(Schema.String),
  requestId: Schema.optionalKey(Schema.String),
  /** How long the server asks us to wait, on `rate_limited`. */
  retryAfter: Schema.optionalKey(Schema.Duration),
  /** Today's usage, on `quota_exceeded`. */
  quota: Schema.optionalKey(Schema.Struct({
    used: Schema.Number,
    limit: Schema.NullOr(Schema.Number),
    plan: Schema.String,
  })),
  /** The raw error body. */
  body: Schema.optionalKey(Schema.Unknown),
}) {}

/** A client-side error: no status, a code, a message. */
export const clientError = (code: PuidErrorCode, message: string): PuidError => new PuidError({ code, message })

const rateLimitDelay = (failure: Extract<Failure, { _tag: "Status" }>): Duration.Duration | undefined => {
  const millis = bodyNumber(failure.body, "retryAfterMs")
  return millis !== undefined ? Duration.millis(millis) : retryAfter(failure.headers, Date.now())
}

const quotaOf = (body: unknown) => {
  const used = bodyNumber(body, "used")
  const plan = bodyField(body, "plan")
  const limit = bodyNumber(body, "limit") ?? null
  return used === undefined || plan === undefined ? undefined : { used, limit, plan }
}

/** The PUID error table: every pipeline failure as a `PuidError`, like the seed's mapping. */
export const toPuidError = (failure: Failure): PuidError => {
  switch (failure._tag) {
    case "Status": {
      const code = bodyField(failure.body, "error")
      const isToken = failure.operation === "puid.token"
      const message = (isToken ? bodyField(failure.body, "error_description") : undefined) ??
        bodyField(failure.body, "message") ?? bodyField(failure.body, "error_description") ?? code ??
        `Request failed with HTTP ${failure.status}.`
      const retryAfter = code === "rate_limited" || failure.status === 429 ? rateLimitDelay(failure) : undefined
      const quota = code === "quota_exceeded" ? quotaOf(failure.body) : undefined
      return new PuidError({
        message,
        status: failure.status,
        ...(code !== undefined && { code }),
        ...(failure.requestId !== undefined && { requestId: failure.requestId }),
        ...(retryAfter !== undefined && { retryAfter }),
        ...(quota !== undefined && { quota }),
        body: failure.body,
      })
    }
    case "Decode":
      // A token answer that does not decode may still hold a token: its body is not kept.
      return failure.operation === "puid.token"
        ? new PuidError({ code: "invalid_client", message: "The token response was malformed or had no access_token." })
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
