/**
 * `X-Webhook-Signature`: how AuthPI signs the webhooks it delivers, and how an app that receives
 * them checks one. The header is `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` under
 * the webhook's `signature_secret` (INFERRED: the docs name HMAC-SHA256 and the header, not the
 * layout; this is the layout Stripe made common, and what the mock sends).
 *
 * @module
 */
import { Effect, Redacted, Schema } from "effect"
import type { TaggedErrorClass } from "../core/tagged_error.ts"

/**
 * The header a delivery's signature travels in.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { SIGNATURE_HEADER, verifyWebhookSignature } from "@gatehouse/sdk/authpi"
 *
 * const check = async (request: Request, secret: string) =>
 *   Effect.runPromiseExit(verifyWebhookSignature(await request.text(), request.headers.get(SIGNATURE_HEADER), secret))
 * ```
 */
export const SIGNATURE_HEADER = "x-webhook-signature"

/**
 * How old a signature may be before it is refused as a replay.
 *
 * @example
 * ```ts
 * import { DEFAULT_TOLERANCE_SECONDS, verifyWebhookSignature } from "@gatehouse/sdk/authpi"
 *
 * // Twice the default window, for a receiver behind a slow queue.
 * const verify = (body: string, header: string | null, secret: string) =>
 *   verifyWebhookSignature(body, header, secret, { toleranceSeconds: 2 * DEFAULT_TOLERANCE_SECONDS })
 * ```
 */
export const DEFAULT_TOLERANCE_SECONDS = 300

const encoder = new TextEncoder()

const hex = (bytes: ArrayBuffer): string =>
  Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("")

const hmac = async (secret: string, message: string): Promise<string> => {
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ])
  return hex(await crypto.subtle.sign("HMAC", key, encoder.encode(message)))
}

/** Equal strings, compared in time that does not depend on where they differ. */
const constantTimeEqual = (a: string, b: string): boolean => {
  let difference = a.length ^ b.length
  for (let i = 0; i < Math.max(a.length, b.length); i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i)
  return difference === 0
}

/**
 * The `X-Webhook-Signature` value of `payload` at `timestamp` (Unix seconds) under `secret`.
 *
 * @example
 * ```ts
 * import { signWebhookPayload } from "@gatehouse/sdk/authpi"
 *
 * const header = await signWebhookPayload('{"type":"user.created"}', "whsec_...", Math.floor(Date.now() / 1000))
 * ```
 */
export const signWebhookPayload = async (
  payload: string,
  secret: string | Redacted.Redacted<string>,
  timestamp: number,
): Promise<string> =>
  `t=${timestamp},v1=${await hmac(
    Redacted.isRedacted(secret) ? Redacted.value(secret) : secret,
    `${timestamp}.${payload}`,
  )}`

/**
 * Why a signature was refused: a `malformed` header, a `mismatch`, a `stale` one (a replay), or a
 * call that cannot check anything: an empty secret (`invalid_secret`), a `toleranceSeconds` or
 * `now` that is not a finite number at or above zero (`invalid_options`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { verifyWebhookSignature, type WebhookSignatureReason } from "@gatehouse/sdk/authpi"
 *
 * const statusOf = (reason: WebhookSignatureReason): number => reason === "stale" ? 408 : 401
 * const answer = (body: string, header: string | null, secret: string) =>
 *   verifyWebhookSignature(body, header, secret).pipe(
 *     Effect.as(new Response(null, { status: 204 })),
 *     Effect.catch((error) => Effect.succeed(new Response(error.message, { status: statusOf(error.reason) }))),
 *   )
 * ```
 */
export type WebhookSignatureReason = "malformed" | "mismatch" | "stale" | "invalid_secret" | "invalid_options"

const REASONS = ["malformed", "mismatch", "stale", "invalid_secret", "invalid_options"] as const

const WebhookSignatureErrorBase: TaggedErrorClass<WebhookSignatureError, "WebhookSignatureError", {
  readonly reason: Schema.Literals<typeof REASONS>
  readonly message: Schema.String
}> = Schema.TaggedError<WebhookSignatureError>()("WebhookSignatureError", {
  reason: Schema.Literals(REASONS),
  message: Schema.String,
})

/**
 * A webhook whose signature does not hold (`malformed` header, `mismatch`, `stale`: a replay), or
 * a check that could not run (`invalid_secret`, `invalid_options`). Never a defect.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { verifyWebhookSignature } from "@gatehouse/sdk/authpi"
 *
 * const exit = await Effect.runPromiseExit(verifyWebhookSignature("{}", "t=1,v1=00", "whsec_..."))
 * console.log(exit._tag) // Failure: a WebhookSignatureError with reason "stale" (t=1 is long past)
 * ```
 */
export class WebhookSignatureError extends WebhookSignatureErrorBase {}

/**
 * Options of {@linkcode verifyWebhookSignature}.
 *
 * @example
 * ```ts
 * import { verifyWebhookSignature, type VerifyWebhookOptions } from "@gatehouse/sdk/authpi"
 *
 * // A recorded delivery checked as of when it arrived.
 * const options: VerifyWebhookOptions = { now: Date.parse("2026-11-28T07:00:00Z") / 1000, toleranceSeconds: 60 }
 * const check = (body: string, header: string) => verifyWebhookSignature(body, header, "whsec_...", options)
 * ```
 */
export interface VerifyWebhookOptions {
  /** How old the signature may be, in seconds: a finite number, 0 or more (else `invalid_options`). @default 300 */
  readonly toleranceSeconds?: number | undefined
  /** Now, in Unix milliseconds (a test's clock): a finite number, 0 or more. @default Date.now() */
  readonly now?: number | undefined
}

/**
 * Checks an `X-Webhook-Signature` against the raw body as received and the webhook's secret:
 * HMAC-SHA256, compared in constant time, and no older than `toleranceSeconds` (a replay fails as
 * `stale`). Succeeds with the payload, the raw text as received, for you to parse.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { verifyWebhookSignature } from "@gatehouse/sdk/authpi"
 *
 * Deno.serve(async (request) => {
 *   const body = await request.text()
 *   const checked = await Effect.runPromiseExit(
 *     verifyWebhookSignature(body, request.headers.get("x-webhook-signature"), Deno.env.get("WEBHOOK_SECRET")!),
 *   )
 *   return new Response(null, { status: checked._tag === "Success" ? 204 : 400 })
 * })
 * ```
 */
export const verifyWebhookSignature = (
  payload: string,
  header: string | null | undefined,
  secret: string | Redacted.Redacted<string>,
  options: VerifyWebhookOptions = {},
): Effect.Effect<string, WebhookSignatureError> =>
  Effect.gen(function* () {
    const key = Redacted.isRedacted(secret) ? Redacted.value(secret) : secret
    if (typeof key !== "string" || key === "") {
      return yield* new WebhookSignatureError({
        reason: "invalid_secret",
        message: "The webhook's signing secret is empty: nothing can be verified with it.",
      })
    }
    const { toleranceSeconds = DEFAULT_TOLERANCE_SECONDS, now = Date.now() } = options ?? {}
    for (const [name, value] of [["toleranceSeconds", toleranceSeconds], ["now", now]] as const) {
      if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
        return yield* new WebhookSignatureError({
          reason: "invalid_options",
          message: `${name} must be a finite number, 0 or more.`,
        })
      }
    }
    const parts = Object.fromEntries((header ?? "").split(",").map((part) => part.trim().split("=", 2)))
    const timestamp = Number(parts.t)
    if (!Number.isInteger(timestamp) || typeof parts.v1 !== "string" || !/^[0-9a-f]{64}$/.test(parts.v1)) {
      return yield* new WebhookSignatureError({ reason: "malformed", message: "Expected t=<seconds>,v1=<hex sha256>." })
    }
    const expected = yield* Effect.tryPromise({
      try: () => signWebhookPayload(payload, key, timestamp),
      catch: () => new WebhookSignatureError({ reason: "invalid_secret", message: "The secret cannot sign." }),
    })
    if (!constantTimeEqual(`t=${timestamp},v1=${parts.v1}`, expected)) {
      return yield* new WebhookSignatureError({ reason: "mismatch", message: "The signature does not match." })
    }
    const age = now / 1000 - timestamp
    if (!(Math.abs(age) <= toleranceSeconds)) {
      return yield* new WebhookSignatureError({
        reason: "stale",
        message: `The signature is ${Math.round(age)} s old, past the tolerance.`,
      })
    }
    return payload
  })
