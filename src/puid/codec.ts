/**
 * The PUID id codec: a 4-round Feistel permutation over 128 bits, written in base62.
 *
 * The permutation is public (contracts §1.4), so an id decodes offline to the counter value it
 * encodes, and the mock allocates ids with the same functions the server uses.
 *
 * @module
 */

const M64 = (1n << 64n) - 1n
const M128 = (1n << 128n) - 1n
const ROUND_KEYS = [0x9e3779b97f4a7c15n, 0xbf58476d1ce4e5b9n, 0x94d049bb133111ebn, 0xd6e8feb86659fd93n] as const
/** The base62 alphabet of ids and keys: digits, upper case, lower case. */
export const BASE62_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
const DIGIT: ReadonlyMap<string, bigint> = new Map([...BASE62_ALPHABET].map((ch, i) => [ch, BigInt(i)]))

const rotl64 = (x: bigint, r: bigint): bigint => ((x << r) | (x >> (64n - r))) & M64

// SplitMix64-style mixer; a Feistel network is a bijection whatever its round function.
const round = (r: bigint, k: bigint): bigint => {
  let z = (r + k) & M64
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M64
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M64
  z = z ^ (z >> 31n)
  return rotl64(z, 17n)
}

const permute = (value: bigint): bigint => {
  let left = (value & M128) >> 64n
  let right = value & M64
  for (const key of ROUND_KEYS) [left, right] = [right, left ^ round(right, key)]
  return (left << 64n) | right
}

const unpermute = (value: bigint): bigint => {
  let left = (value & M128) >> 64n
  let right = value & M64
  for (let i = ROUND_KEYS.length - 1; i >= 0; i--) [left, right] = [right ^ round(left, ROUND_KEYS[i]), left]
  return (left << 64n) | right
}

/**
 * Thrown by {@linkcode puidToOrdinal} when a character is outside the base62 alphabet.
 *
 * @example
 * ```ts
 * import { InvalidPuidCharacter, puidToOrdinal } from "@gatehouse/sdk/puid"
 *
 * try {
 *   puidToOrdinal("not-a-puid")
 * } catch (error) {
 *   if (error instanceof InvalidPuidCharacter) console.log(error.character) // -
 * }
 * ```
 */
export class InvalidPuidCharacter extends Error {
  /** The first character that is not in `0-9A-Za-z`. */
  readonly character: string
  /** The error for `character`, which is not in the base62 alphabet. */
  constructor(character: string) {
    super(`invalid base62 character: ${character}`)
    this.name = "InvalidPuidCharacter"
    this.character = character
  }
}

/**
 * Encodes a counter value as the PUID the service would issue for it.
 *
 * The ordinal is taken modulo 2^128; `0n` encodes as `"0"`.
 *
 * @example
 * ```ts
 * import { ordinalToPuid, puidToOrdinal } from "@gatehouse/sdk/puid"
 *
 * const id = ordinalToPuid(42n)
 * puidToOrdinal(id) // 42n
 * ```
 */
export const ordinalToPuid = (ordinal: bigint): string => {
  let value = permute(ordinal)
  if (value === 0n) return "0"
  let out = ""
  while (value > 0n) {
    out = BASE62_ALPHABET[Number(value % 62n)] + out
    value /= 62n
  }
  return out
}

/**
 * Decodes a PUID back to the counter value it encodes, offline.
 *
 * Like the service, it keeps the low 128 bits of an over-long id rather than failing.
 *
 * @throws {InvalidPuidCharacter} when `puid` has a character outside `0-9A-Za-z`.
 * @example
 * ```ts
 * import { puidToOrdinal } from "@gatehouse/sdk/puid"
 *
 * puidToOrdinal("0") // the ordinal whose permutation is 0
 * ```
 */
export const puidToOrdinal = (puid: string): bigint => {
  let value = 0n
  for (const ch of puid) {
    const digit = DIGIT.get(ch)
    if (digit === undefined) throw new InvalidPuidCharacter(ch)
    // Masking at each step keeps the value within 128 bits: linear in the length, same result.
    value = (value * 62n + digit) & M128
  }
  return unpermute(value)
}
