/**
 * The PUID codec against the contract's own words (contracts §1.4), written here in bigints as
 * the reference: the codec computes the same permutation on 32-bit words.
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { InvalidPuidCharacter, ordinalToPuid, puidToOrdinal } from "../src/puid/mod.ts"

const M64 = (1n << 64n) - 1n
const M128 = (1n << 128n) - 1n
const KEYS = [0x9e3779b97f4a7c15n, 0xbf58476d1ce4e5b9n, 0x94d049bb133111ebn, 0xd6e8feb86659fd93n]
const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

const f = (r: bigint, k: bigint) => {
  let z = (r + k) & M64
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M64
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M64
  z ^= z >> 31n
  return ((z << 17n) | (z >> 47n)) & M64
}
const referenceEncode = (ordinal: bigint): string => {
  let [l, r] = [(ordinal & M128) >> 64n, ordinal & M64]
  for (const k of KEYS) [l, r] = [r, l ^ f(r, k)]
  let value = (l << 64n) | r
  let out = ""
  do {
    out = ALPHABET[Number(value % 62n)] + out
    value /= 62n
  } while (value > 0n)
  return out
}
const referenceDecode = (id: string): bigint => {
  let value = 0n
  for (const ch of id) value = value * 62n + BigInt(ALPHABET.indexOf(ch))
  value &= M128
  let [l, r] = [value >> 64n, value & M64]
  for (const k of [...KEYS].reverse()) [l, r] = [r ^ f(l, k), l]
  return (l << 64n) | r
}

/** A reproducible spread of values over every bit length up to 128. */
const samples = (count: number): Array<bigint> => {
  let state = 0x2545f4914f6cdd1dn
  const next = () => (state = (state * 6364136223846793005n + 1442695040888963407n) & M64)
  return Array.from({ length: count }, (_, i) => (((next() << 64n) | next()) >> BigInt(i % 129)))
}

describe("the PUID codec", () => {
  it("computes the contract's permutation and base62, both ways", () => {
    const edges = [0n, 1n, 61n, 62n, M64, M64 + 1n, M128 - 1n, M128]
    for (const ordinal of [...edges, ...samples(3000)]) {
      const id = ordinalToPuid(ordinal)
      assert.equal(id, referenceEncode(ordinal), `encode ${ordinal}`)
      assert.equal(puidToOrdinal(id), ordinal, `round trip ${ordinal}`)
    }
  })

  it("takes ordinals modulo 2^128, and keeps the low 128 bits of an over-long id", () => {
    assert.equal(ordinalToPuid(M128 + 5n), ordinalToPuid(4n))
    for (const id of ["zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", "1".repeat(100), "0000000000000000000000001", "0"]) {
      assert.equal(puidToOrdinal(id), referenceDecode(id), id)
    }
  })

  it("names a character outside 0-9A-Za-z, an astral one whole", () => {
    for (const [id, character] of [["ab-c", "-"], ["é", "é"], ["a😀b", "😀"], ["x y", " "]] as const) {
      assert.throws(() => puidToOrdinal(id), (error: unknown) => {
        assert.ok(error instanceof InvalidPuidCharacter)
        assert.equal(error.character, character)
        return true
      })
    }
  })
})
