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

/** The header a delivery's signature travels in. */
export const SIGNATURE_HEADER = "x-webhook-signature"

/** How old a signature may be before it is refused as a replay. */
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

/** Why a signature was refused. */
export type WebhookSignatureReason = "malformed" | "mismatch" | "stale"

const WebhookSignatureErrorBase: TaggedErrorClass<WebhookSignatureError, "WebhookSignatureError", {
  readonly reason: Schema.Literals<readonly ["malformed", "mismatch", "stale"]>
  readonly message: Schema.String
}> = Schema.TaggedError<WebhookSignatureError>()("WebhookSignatureError", {
  reason: Schema.Literals(["malformed", "mismatch", "stale"]),
  message: Schema.String,
})

/** A webhook whose signature does not hold: `malformed` header, `mismatch`, or `stale` (a replay). */
export class WebhookSignatureError extends WebhookSignatureErrorBase {}

/** Options of {@linkcode verifyWebhookSignature}. */
export interface VerifyWebhookOptions {
  /** How old the signature may be, in seconds. @default 300 */
  readonly toleranceSeconds?: number | undefined
  /** Now, in Unix milliseconds (a test's clock). @default Date.now() */
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
    const parts = Object.fromEntries((header ?? "").split(",").map((part) => part.trim().split("=", 2)))
    const timestamp = Number(parts.t)
    if (!Number.isInteger(timestamp) || typeof parts.v1 !== "string" || !/^[0-9a-f]{64}$/.test(parts.v1)) {
      return yield* new WebhookSignatureError({ reason: "malformed", message: "Expected t=<seconds>,v1=<hex sha256>." })
    }
    const expected = yield* Effect.promise(() => signWebhookPayload(payload, secret, timestamp))
    if (!constantTimeEqual(`t=${timestamp},v1=${parts.v1}`, expected)) {
      return yield* new WebhookSignatureError({ reason: "mismatch", message: "The signature does not match." })
    }
    const age = (options.now ?? Date.now()) / 1000 - timestamp
    if (Math.abs(age) > (options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) {
      return yield* new WebhookSignatureError({
        reason: "stale",
        message: `The signature is ${Math.round(age)} s old, past the tolerance.`,
      })
    }
    return payload
  })
