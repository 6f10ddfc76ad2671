// A key's metadata: built from what the caller gives, each field checked, and stored as JSON text.
import { Effect, Schema } from "effect"
import { KeyMetadata, KeyMetadataJson, type RateLimit, WINDOW_MILLIS } from "./contract.ts"
import { InvalidRequest, KeyStoreUnavailable } from "./errors.ts"
import { checkDate, checkName } from "./_input.ts"
import type { KeyUpdate } from "./service.ts"

/** The metadata of a key created without any. */
export const EMPTY_METADATA: KeyMetadata = { scopes: [], custom: {} }

const rateLimitOf = (input: number | RateLimit): RateLimit | InvalidRequest => {
  const limit: RateLimit = typeof input === "number" ? { requests: input, window: "minute" } : input
  return Number.isInteger(limit.requests) && limit.requests > 0 && limit.window in WINDOW_MILLIS
    ? { requests: limit.requests, window: limit.window }
    : new InvalidRequest({ detail: "rateLimit must be a positive integer of requests per second|minute|hour|day" })
}

const scopesOf = (scopes: ReadonlyArray<string>): ReadonlyArray<string> | InvalidRequest =>
  scopes.every((scope) => typeof scope === "string" && scope !== "")
    ? [...new Set(scopes)]
    : new InvalidRequest({ detail: "scopes must be non-empty strings" })

/** Applies `update` to `metadata`, checking each field; a new key's metadata is an update of `EMPTY_METADATA`. */
export const updateMetadata = (metadata: KeyMetadata, update: KeyUpdate): Effect.Effect<KeyMetadata, InvalidRequest> =>
  Effect.gen(function* () {
    const next: {
      -readonly [K in keyof KeyMetadata]: KeyMetadata[K]
    } = { ...metadata }
    if (update.name === null) delete next.name
    else if (update.name !== undefined) next.name = yield* checkName("key", update.name)
    if (update.scopes !== undefined) {
      const scopes = scopesOf(update.scopes)
      if (scopes instanceof InvalidRequest) return yield* scopes
      next.scopes = scopes
    }
    if (update.rateLimit === null) delete next.rateLimit
    else if (update.rateLimit !== undefined) {
      const limit = rateLimitOf(update.rateLimit)
      if (limit instanceof InvalidRequest) return yield* limit
      next.rateLimit = limit
    }
    if (update.expiresAt === null) delete next.expiresAt
    else if (update.expiresAt !== undefined) next.expiresAt = yield* checkDate("expiresAt", update.expiresAt)
    if (update.custom !== undefined) {
      if (typeof update.custom !== "object" || update.custom === null || Array.isArray(update.custom)) {
        return yield* new InvalidRequest({ detail: "custom must be a JSON object" })
      }
      next.custom = update.custom
    }
    return next
  })

const encode = Schema.encodeEffect(KeyMetadataJson)
const decode = Schema.decodeUnknownEffect(KeyMetadata)

/**
 * Stored metadata in apikeys-platform's spelling (0.1.2, pydantic's `model_dump(mode="json")`) read
 * as ours: `null` is an absent field, and a number is a rate limit per minute. So a table the
 * Python library wrote validates here.
 */
const fromSeed = (json: unknown): unknown => {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return json
  const fields: Record<string, unknown> = Object.fromEntries(Object.entries(json).filter(([, value]) => value !== null))
  if (typeof fields.rate_limit === "number") fields.rate_limit = { requests: fields.rate_limit, window: "minute" }
  return fields
}

/** The JSON text stored in `api_keys.metadata`; `custom` that is not JSON is the caller's error. */
export const encodeMetadata = (metadata: KeyMetadata): Effect.Effect<string, InvalidRequest> =>
  Effect.mapError(encode(metadata), (error) => new InvalidRequest({ detail: `metadata is not JSON: ${error.message}` }))

/** The metadata a stored JSON text holds; text that does not decode means the store cannot answer. */
export const decodeMetadata = (text: string): Effect.Effect<KeyMetadata, KeyStoreUnavailable> =>
  Effect.try({ try: () => fromSeed(JSON.parse(text)), catch: () => undefined }).pipe(
    Effect.flatMap(decode),
    Effect.mapError(() => new KeyStoreUnavailable({ detail: "stored data does not decode" })),
  )
