// A key's metadata: built from what the caller gives, each field checked, and stored as JSON text.
import { Effect, Schema } from "effect"
import { KeyMetadata, KeyMetadataJson, type RateLimit, WINDOW_MILLIS } from "./contract.ts"
import { InvalidRequest, KeyStoreUnavailable } from "./errors.ts"
import { checkDate, checkName, MAX_NAME } from "./_input.ts"
import type { KeyUpdate } from "./service.ts"

/** The metadata of a key created without any. */
export const EMPTY_METADATA: KeyMetadata = { scopes: [], custom: {} }

const rateLimitOf = (input: number | RateLimit): RateLimit | InvalidRequest => {
  const limit = typeof input === "number" ? { requests: input, window: "minute" } : input
  return typeof limit === "object" && limit !== null && Number.isInteger(limit.requests) && limit.requests > 0 &&
      typeof limit.window === "string" && Object.hasOwn(WINDOW_MILLIS, limit.window)
    ? { requests: limit.requests, window: limit.window as RateLimit["window"] }
    : new InvalidRequest({ detail: "rateLimit must be a positive integer of requests per second|minute|hour|day" })
}

/** The most scopes a key carries. */
export const MAX_SCOPES = 256

const scopesOf = (scopes: ReadonlyArray<string>): ReadonlyArray<string> | InvalidRequest =>
  Array.isArray(scopes) && scopes.length <= MAX_SCOPES &&
    scopes.every((scope) =>
      typeof scope === "string" && scope !== "" && scope.length <= MAX_NAME && !scope.includes("\0")
    )
    ? [...new Set(scopes)]
    : new InvalidRequest({
      detail: `scopes must be at most ${MAX_SCOPES} strings of 1 to ${MAX_NAME} characters, without NUL`,
    })

/** How deep `custom` nests, at most (an object in `custom` is at depth 1). */
export const MAX_CUSTOM_DEPTH = 32

/** The longest `custom`, as JSON text. */
export const MAX_CUSTOM_CHARS = 65_536

/**
 * Whether `value` is JSON (plain objects, arrays, strings, finite numbers, booleans, null) nested at most
 * {@linkcode MAX_CUSTOM_DEPTH} deep: walked without recursion, so that no nesting can overflow the stack,
 * and given up past {@linkcode MAX_CUSTOM_CHARS} values.
 */
const isBoundedJson = (value: unknown): boolean => {
  const stack: Array<readonly [unknown, number]> = [[value, 0]]
  for (let seen = 0; stack.length > 0; seen++) {
    if (seen > MAX_CUSTOM_CHARS) return false
    const [next, depth] = stack.pop()!
    if (next === null || typeof next === "string" || typeof next === "boolean") continue
    if (typeof next === "number") {
      if (!Number.isFinite(next)) return false
      continue
    }
    if (typeof next !== "object" || depth >= MAX_CUSTOM_DEPTH) return false
    const prototype = Object.getPrototypeOf(next)
    if (Array.isArray(next)) { for (const item of next) stack.push([item, depth + 1]) }
    else if (prototype === Object.prototype || prototype === null) {
      for (const item of Object.values(next)) stack.push([item, depth + 1])
    } else return false
  }
  return true
}

const customOf = (custom: unknown): Schema.JsonObject | InvalidRequest =>
  typeof custom === "object" && custom !== null && !Array.isArray(custom) && isBoundedJson(custom) &&
    JSON.stringify(custom).length <= MAX_CUSTOM_CHARS
    ? custom as Schema.JsonObject
    : new InvalidRequest({
      detail:
        `custom must be a JSON object of at most ${MAX_CUSTOM_CHARS} characters, nested at most ${MAX_CUSTOM_DEPTH} deep`,
    })

/**
 * `update` with each field checked (types, sizes, depth, NUL), before any statement runs: a checked
 * update always applies and encodes.
 */
export const checkUpdate = (update: KeyUpdate): Effect.Effect<KeyUpdate, InvalidRequest> =>
  Effect.gen(function* () {
    if (typeof update !== "object" || update === null) {
      return yield* new InvalidRequest({ detail: "metadata must be an object" })
    }
    const checked: { -readonly [K in keyof KeyUpdate]: KeyUpdate[K] } = {}
    if (update.name === null) checked.name = null
    else if (update.name !== undefined) checked.name = yield* checkName("key", update.name)
    if (update.scopes !== undefined) {
      const scopes = scopesOf(update.scopes)
      if (scopes instanceof InvalidRequest) return yield* scopes
      checked.scopes = scopes
    }
    if (update.rateLimit === null) checked.rateLimit = null
    else if (update.rateLimit !== undefined) {
      const limit = rateLimitOf(update.rateLimit)
      if (limit instanceof InvalidRequest) return yield* limit
      checked.rateLimit = limit
    }
    if (update.expiresAt === null) checked.expiresAt = null
    else if (update.expiresAt !== undefined) checked.expiresAt = yield* checkDate("expiresAt", update.expiresAt)
    if (update.custom !== undefined) {
      const custom = customOf(update.custom)
      if (custom instanceof InvalidRequest) return yield* custom
      checked.custom = custom
    }
    return checked
  })

/** Applies a checked update (see {@linkcode checkUpdate}) to `metadata`; a new key's metadata is an update of `EMPTY_METADATA`. */
export const applyUpdate = (metadata: KeyMetadata, update: KeyUpdate): KeyMetadata => {
  const next: { -readonly [K in keyof KeyMetadata]: KeyMetadata[K] } = { ...metadata }
  if (update.name === null) delete next.name
  else if (update.name !== undefined) next.name = update.name
  if (update.scopes !== undefined) next.scopes = update.scopes
  if (update.rateLimit === null) delete next.rateLimit
  else if (update.rateLimit !== undefined) next.rateLimit = update.rateLimit as RateLimit
  if (update.expiresAt === null) delete next.expiresAt
  else if (update.expiresAt !== undefined) next.expiresAt = update.expiresAt
  if (update.custom !== undefined) next.custom = update.custom
  return next
}

/** Checks `update` and applies it to `metadata`. */
export const updateMetadata = (metadata: KeyMetadata, update: KeyUpdate): Effect.Effect<KeyMetadata, InvalidRequest> =>
  Effect.map(checkUpdate(update), (checked) => applyUpdate(metadata, checked))

const encode = Schema.encodeEffect(KeyMetadataJson)
const decode = Schema.decodeUnknownExit(KeyMetadata)

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

/** The metadata a stored text holds, in our spelling or the seed's; `undefined` when it is not that. */
const decodeText = (text: string): KeyMetadata | undefined => {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return undefined
  }
  const exit = decode(fromSeed(json))
  return exit._tag === "Success" ? exit.value : undefined
}

/** The JSON text stored in `api_keys.metadata`; `custom` that is not JSON is the caller's error. */
export const encodeMetadata = (metadata: KeyMetadata): Effect.Effect<string, InvalidRequest> =>
  Effect.mapError(encode(metadata), (error) => new InvalidRequest({ detail: `metadata is not JSON: ${error.message}` }))

/** How many decoded metadata texts are kept: a validation decodes its key's metadata once, not on every call. */
const DECODED_CACHE_SIZE = 1024

/** Decoded metadata by its stored text, frozen (shared by every answer), least recently used first. */
const decoded = new Map<string, KeyMetadata>()

/** Freezes `value` and every object inside it, without recursion. */
const deepFreeze = <A>(value: A): A => {
  const stack: Array<unknown> = [value]
  while (stack.length > 0) {
    const next = stack.pop()
    if (typeof next !== "object" || next === null || Object.isFrozen(next) || next instanceof Date) continue
    Object.freeze(next)
    stack.push(...Object.values(next))
  }
  return value
}

/**
 * The metadata a stored JSON text holds, decoded once per text (the answer is frozen; its `expiresAt`, a `Date`,
 * is a copy each time); `undefined` when the text does not decode. Synchronous: the hot path of every validation.
 */
export const metadataOf = (text: string): KeyMetadata | undefined => {
  let metadata = decoded.get(text)
  if (metadata === undefined) {
    const value = decodeText(text)
    if (value === undefined) return undefined
    metadata = deepFreeze(value)
    if (decoded.size >= DECODED_CACHE_SIZE) decoded.delete(decoded.keys().next().value!)
  } else decoded.delete(text)
  decoded.set(text, metadata)
  return metadata.expiresAt === undefined ? metadata : { ...metadata, expiresAt: new Date(metadata.expiresAt) }
}

/** {@linkcode metadataOf} as an effect: text that does not decode means the store cannot answer. */
export const decodeMetadata = (text: string): Effect.Effect<KeyMetadata, KeyStoreUnavailable> => {
  const metadata = metadataOf(text)
  return metadata === undefined ? Effect.fail(undecodable()) : Effect.succeed(metadata)
}

/** What stored data that does not decode fails with. */
export const undecodable = (): KeyStoreUnavailable => new KeyStoreUnavailable({ detail: "stored data does not decode" })
