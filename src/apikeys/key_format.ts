/**
 * The key format of apikeys-platform 0.1.2 (contracts §4.1): `sk_` + base64url(32 random bytes),
 * 46 characters; the first 8 characters of the token are the stored lookup prefix, and the
 * lowercase hex SHA-256 of the whole key is the stored hash. With a pepper, the hash is an
 * HMAC-SHA256 instead, so that a stolen table cannot be checked against guesses offline.
 *
 * 0.2.0's environment-tagged keys, `{prefix}_{environment}_{token}` (`sk_live_...`), are read as
 * upstream reads them: the token is the last 43 characters, and the environment between is a
 * label that the hash covers, so a key of any environment verifies and none can be altered.
 *
 * @module
 */
import { Redacted } from "effect"
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto"

/**
 * Length of the random token after `sk_`: 32 bytes in base64url without padding.
 *
 * @example
 * ```ts
 * import { DEFAULT_KEY_PREFIX, TOKEN_LENGTH } from "@gatehouse/sdk/apikeys"
 *
 * // A cheap shape check before asking the key service (which checks again).
 * const looksLikeKey = (text: string): boolean =>
 *   text.startsWith(`${DEFAULT_KEY_PREFIX}_`) && text.length === DEFAULT_KEY_PREFIX.length + 1 + TOKEN_LENGTH
 * ```
 */
export const TOKEN_LENGTH = 43

/**
 * Length of the stored lookup prefix.
 *
 * @example
 * ```ts
 * import { PREFIX_LENGTH } from "@gatehouse/sdk/apikeys"
 *
 * // What a dashboard may show of a key: the stored prefix, never the rest.
 * const hint = (plaintext: string) => `${plaintext.slice(0, 3 + PREFIX_LENGTH)}…`
 * ```
 */
export const PREFIX_LENGTH = 8

/**
 * The key prefix of the seed.
 *
 * @example
 * ```ts
 * import { ApiKeys, DEFAULT_KEY_PREFIX } from "@gatehouse/sdk/apikeys"
 *
 * console.log(DEFAULT_KEY_PREFIX) // sk: keys look like sk_...
 * const layer = ApiKeys.layerSqlite({ filename: "keys.db", keyPrefix: "acme" }) // acme_... instead
 * ```
 */
export const DEFAULT_KEY_PREFIX = "sk"

/**
 * The longest plaintext read: longer input is malformed, and not hashed.
 *
 * @example
 * ```ts
 * import { MAX_KEY_LENGTH } from "@gatehouse/sdk/apikeys"
 *
 * // A longer header is malformed: it is refused without being hashed.
 * const plausible = (header: string): boolean => header.length <= MAX_KEY_LENGTH
 * ```
 */
export const MAX_KEY_LENGTH = 256

/**
 * A plaintext key as a caller may hold it.
 *
 * @example
 * ```ts
 * import { Effect, Redacted } from "effect"
 * import { ApiKeys, type Plaintext } from "@gatehouse/sdk/apikeys"
 *
 * const fromHeader: Plaintext = Redacted.make("sk_...") // or the plain string
 * const key = Effect.flatMap(ApiKeys, (keys) => keys.verifyKey(fromHeader))
 * ```
 */
export type Plaintext = string | Redacted.Redacted<string>

/**
 * What is stored of a key: a lookup prefix and a hash, never the key.
 *
 * @example
 * ```ts
 * import type { StoredForm } from "@gatehouse/sdk/apikeys"
 *
 * // What a row holds instead of the key: a leaked table gives no usable key.
 * const row: StoredForm = { prefix: "AbCdEfGh", hash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" }
 * ```
 */
export interface StoredForm {
  /** The first 8 characters of the token, to find the key's row. */
  readonly prefix: string
  /** Lowercase hex SHA-256 of the whole key (HMAC-SHA256 under a pepper). */
  readonly hash: string
}

const TOKEN = /^[A-Za-z0-9_-]{43}$/

/**
 * Reads the plaintext out of a `Plaintext`.
 *
 * @example
 * ```ts
 * import { Redacted } from "effect"
 * import { revealKey } from "@gatehouse/sdk/apikeys"
 *
 * revealKey(Redacted.make("sk_...")) // "sk_..."
 * ```
 */
export const revealKey = (key: Plaintext): string => Redacted.isRedacted(key) ? Redacted.value(key) : key

/**
 * A fresh random key, `sk_` + 43 base64url characters (`sk_live_` + 43 with an environment),
 * `Redacted` so that it never reaches a log.
 *
 * @example
 * ```ts
 * import { Redacted } from "effect"
 * import { generateKey } from "@gatehouse/sdk/apikeys"
 *
 * Redacted.value(generateKey()).length // 46
 * ```
 */
export const generateKey = (keyPrefix: string = DEFAULT_KEY_PREFIX, environment = ""): Redacted.Redacted<string> =>
  Redacted.make(`${keyPrefix}_${environment === "" ? "" : `${environment}_`}${randomBytes(32).toString("base64url")}`, {
    label: "api key",
  })

/**
 * The hash stored for `plaintext`: hex SHA-256 of the whole key, or hex HMAC-SHA256 with `pepper`.
 *
 * @example
 * ```ts
 * import { hashKey } from "@gatehouse/sdk/apikeys"
 *
 * hashKey("sk_" + "A".repeat(43)).length // 64
 * ```
 */
export const hashKey = (plaintext: string, pepper?: Redacted.Redacted<string>): string =>
  pepper === undefined
    ? createHash("sha256").update(plaintext).digest("hex")
    : createHmac("sha256", Redacted.value(pepper)).update(plaintext).digest("hex")

/**
 * The stored form of a well-formed key, or `undefined` for a malformed one (checked without I/O):
 * `{keyPrefix}_{token}` or `{keyPrefix}_{environment}_{token}`, the prefix being the token's first
 * 8 characters.
 *
 * @example
 * ```ts
 * import { storedForm } from "@gatehouse/sdk/apikeys"
 *
 * storedForm("sk_' OR 1=1 --") // undefined
 * ```
 */
export const storedForm = (
  plaintext: string,
  options: { readonly keyPrefix?: string | undefined; readonly pepper?: Redacted.Redacted<string> | undefined } = {},
): StoredForm | undefined => {
  const head = `${options.keyPrefix ?? DEFAULT_KEY_PREFIX}_`
  if (plaintext.length < head.length + TOKEN_LENGTH || plaintext.length > MAX_KEY_LENGTH) return undefined
  if (!plaintext.startsWith(head)) return undefined
  // Between the head and the token: nothing, or an environment and its `_`.
  const environment = plaintext.slice(head.length, plaintext.length - TOKEN_LENGTH)
  if (environment !== "" && (environment.length < 2 || !environment.endsWith("_"))) return undefined
  const token = plaintext.slice(plaintext.length - TOKEN_LENGTH)
  if (!TOKEN.test(token)) return undefined
  return { prefix: token.slice(0, PREFIX_LENGTH), hash: hashKey(plaintext, options.pepper) }
}

/**
 * Compares two hex hashes in time that does not depend on where they differ.
 *
 * @example
 * ```ts
 * import { hashKey, hashesEqual } from "@gatehouse/sdk/apikeys"
 *
 * hashesEqual(hashKey("a"), hashKey("a")) // true
 * ```
 */
export const hashesEqual = (a: string, b: string): boolean => {
  const left = Buffer.from(a, "utf8")
  const right = Buffer.from(b, "utf8")
  return left.length === right.length && timingSafeEqual(left, right)
}
