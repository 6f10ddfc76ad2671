/**
 * The PUID id codec: a 4-round Feistel permutation over 128 bits, written in base62.
 *
 * The permutation is public (contracts §1.4), so an id decodes offline to the counter value it
 * encodes, and the mock allocates ids with the same functions the server uses.
 *
 * @module
 */

/** The base62 alphabet of ids and keys: digits, upper case, lower case. */
export const BASE62_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
/** Each character code's base62 digit, -1 for a character outside the alphabet. */
const DIGIT = new Int8Array(128).fill(-1)
for (let i = 0; i < BASE62_ALPHABET.length; i++) DIGIT[BASE62_ALPHABET.charCodeAt(i)] = i

// The arithmetic is on 32-bit words, not on bigints: an id is read, permuted and written without
// allocating. A 128-bit value is four words, most significant first; a 64-bit one, `hi` and `lo`.
const TWO_32 = 0x1_0000_0000
// The round keys, as [hi, lo] pairs.
const ROUND_KEYS = [0x9e3779b9, 0x7f4a7c15, 0xbf58476d, 0x1ce4e5b9, 0x94d049bb, 0x133111eb, 0xd6e8feb8, 0x6659fd93]
const MIX_1 = [0xbf58476d, 0x1ce4e5b9] as const
const MIX_2 = [0x94d049bb, 0x133111eb] as const

// A 64-bit result: `hi` and `lo`, set by `mul64` and `round`.
let hi = 0
let lo = 0

/** `(ah:al) * (bh:bl)` modulo 2^64, into `hi` and `lo`. */
const mul64 = (ah: number, al: number, bh: number, bl: number): void => {
  const a0 = al & 0xffff
  const a1 = al >>> 16
  const b0 = bl & 0xffff
  const b1 = bl >>> 16
  const p00 = a0 * b0
  const p01 = a0 * b1
  const p10 = a1 * b0
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff)
  lo = (((mid & 0xffff) << 16) | (p00 & 0xffff)) >>> 0
  hi = (a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16) + Math.imul(ah, bl) + Math.imul(al, bh)) >>> 0
}

/**
 * The round function of `(rh:rl)` under key `k` (an index into `ROUND_KEYS`), into `hi` and `lo`:
 * a SplitMix64-style mixer (a Feistel network is a bijection whatever its round function).
 */
const round = (rh: number, rl: number, k: number): void => {
  let zl = rl + ROUND_KEYS[2 * k + 1]
  let zh = (rh + ROUND_KEYS[2 * k] + (zl >= TWO_32 ? 1 : 0)) >>> 0
  zl >>>= 0
  mul64(zh ^ (zh >>> 30), (zl ^ ((zl >>> 30) | (zh << 2))) >>> 0, MIX_1[0], MIX_1[1])
  mul64(hi ^ (hi >>> 27), (lo ^ ((lo >>> 27) | (hi << 5))) >>> 0, MIX_2[0], MIX_2[1])
  zh = hi ^ (hi >>> 31)
  zl = (lo ^ ((lo >>> 31) | (hi << 1))) >>> 0
  hi = ((zh << 17) | (zl >>> 15)) >>> 0
  lo = ((zl << 17) | (zh >>> 15)) >>> 0
}

/** Permutes the 128-bit value `w` (four words, most significant first) in place; `inverse` undoes it. */
const feistel = (w: Uint32Array, inverse: boolean): void => {
  // Forward, keys in order: (L, R) -> (R, L ^ F(R)); inverse, keys reversed: (L, R) -> (R ^ F(L), L).
  // Either way the half fed to F moves to the other half's place, and F's output is XORed into
  // the other half, which takes the fed half's place.
  const fed = inverse ? 0 : 2
  const other = 2 - fed
  for (let i = 0; i < 4; i++) {
    const fh = w[fed]
    const fl = w[fed + 1]
    round(fh, fl, inverse ? 3 - i : i)
    w[fed] = (w[other] ^ hi) >>> 0
    w[fed + 1] = (w[other + 1] ^ lo) >>> 0
    w[other] = fh
    w[other + 1] = fl
  }
}

// Scratch space of the functions below, which run to completion one at a time: no allocation per call.
const WORDS = new Uint32Array(4)
const HALVES = new Uint16Array(8)

/** The four words of `value` modulo 2^128, in `WORDS`. */
const wordsOf = (value: bigint): Uint32Array => {
  const w = WORDS
  let v = BigInt.asUintN(128, value)
  for (let i = 3; i >= 0; i--, v >>= 32n) w[i] = Number(BigInt.asUintN(32, v))
  return w
}

const hex8 = (word: number) => word.toString(16).padStart(8, "0")

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
  const w = wordsOf(ordinal)
  feistel(w, false)
  // Base62 digits, least significant first: long division of the eight 16-bit halves by 62^2,
  // two digits per pass, in integer arithmetic.
  const half = HALVES
  for (let i = 0; i < 4; i++) {
    half[2 * i] = w[i] >>> 16
    half[2 * i + 1] = w[i] & 0xffff
  }
  let out = ""
  for (let top = 0; top < 8;) {
    let rest = 0
    for (let i = top; i < 8; i++) {
      const dividend = (rest << 16) | half[i]
      half[i] = (dividend / 3844) | 0
      rest = dividend - half[i] * 3844
    }
    while (top < 8 && half[top] === 0) top++
    out = BASE62_ALPHABET[rest % 62] + out
    if (top < 8 || rest >= 62) out = BASE62_ALPHABET[(rest / 62) | 0] + out
  }
  return out === "" ? "0" : out
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
  // value = value * 62 + digit on eight 16-bit halves, in integer arithmetic: what overflows 128
  // bits is dropped, as the service does.
  const half = HALVES.fill(0)
  for (let i = 0; i < puid.length; i++) {
    const code = puid.charCodeAt(i)
    let carry = code < 128 ? DIGIT[code] : -1
    if (carry < 0) throw new InvalidPuidCharacter(String.fromCodePoint(puid.codePointAt(i)!))
    for (let j = 7; j >= 0; j--) {
      const product = half[j] * 62 + carry
      half[j] = product & 0xffff
      carry = product >>> 16
    }
  }
  const w = WORDS
  for (let i = 0; i < 4; i++) w[i] = ((half[2 * i] << 16) | half[2 * i + 1]) >>> 0
  feistel(w, true)
  return BigInt(`0x${hex8(w[0])}${hex8(w[1])}${hex8(w[2])}${hex8(w[3])}`)
}
