/**
 * TOTP (RFC 6238 over RFC 4226): HMAC-SHA-1 through WebCrypto, 30-second steps, 6 digits, and a
 * window of one step either side. The mock checks codes with it; a test computes the code an
 * authenticator would show at the mock's time with {@linkcode totp}.
 *
 * @module
 */

/** Seconds per step. */
export const TOTP_PERIOD_SECONDS = 30

/** Digits per code. */
export const TOTP_DIGITS = 6

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

/** `bytes` in base32 (RFC 4648), unpadded, as authenticator apps take secrets. */
export const toBase32 = (bytes: Uint8Array): string => {
  let bits = 0
  let value = 0
  let out = ""
  for (const byte of bytes) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  return bits > 0 ? out + ALPHABET[(value << (5 - bits)) & 31] : out
}

/** The bytes of a base32 secret (spaces, padding and case ignored). */
export const fromBase32 = (text: string): Uint8Array => {
  const clean = text.toUpperCase().replace(/[\s=]/g, "")
  const bytes: Array<number> = []
  let bits = 0
  let value = 0
  for (const char of clean) {
    const index = ALPHABET.indexOf(char)
    if (index === -1) throw new RangeError(`not base32: ${char}`)
    value = (value << 5) | index
    bits += 5
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 255)
      bits -= 8
    }
  }
  return new Uint8Array(bytes)
}

/** A new 160-bit secret, base32. */
export const newTotpSecret = (): string => toBase32(crypto.getRandomValues(new Uint8Array(20)))

/** The step `epochMillis` falls in. */
export const totpStep = (epochMillis: number): number => Math.floor(epochMillis / 1000 / TOTP_PERIOD_SECONDS)

const hotp = async (secret: string, counter: number): Promise<string> => {
  const key = await crypto.subtle.importKey(
    "raw",
    fromBase32(secret) as Uint8Array<ArrayBuffer>,
    { name: "HMAC", hash: "SHA-1" },
    false,
    ["sign"],
  )
  const message = new DataView(new ArrayBuffer(8))
  message.setUint32(0, Math.floor(counter / 2 ** 32))
  message.setUint32(4, counter >>> 0)
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, message.buffer))
  const offset = mac[mac.length - 1] & 0xf
  const binary = ((mac[offset] & 0x7f) << 24) | (mac[offset + 1] << 16) | (mac[offset + 2] << 8) | mac[offset + 3]
  return String(binary % 10 ** TOTP_DIGITS).padStart(TOTP_DIGITS, "0")
}

/**
 * The code an authenticator shows for `secret` at `epochMillis`: 6 digits, HMAC-SHA-1, 30-second
 * steps. `secret` is base32 (as `setupMfa` returns it and authenticator apps take it), not the raw
 * key: RFC 6238's ASCII key "12345678901234567890" is `toBase32(new TextEncoder().encode(...))`.
 *
 * @example
 * ```ts
 * import { totp } from "@gatehouse/sdk/mock"
 *
 * const code = await totp("JBSWY3DPEHPK3PXP", Date.now())
 * ```
 */
export const totp = (secret: string, epochMillis: number): Promise<string> => hotp(secret, totpStep(epochMillis))

/**
 * The step whose code `code` is, within one step of `epochMillis` (RFC 6238 §5.2), or `undefined`.
 * A caller refuses a step it has seen used, so a code works once.
 */
export const matchTotp = async (secret: string, code: string, epochMillis: number): Promise<number | undefined> => {
  const now = totpStep(epochMillis)
  for (const step of [now, now - 1, now + 1]) {
    if (await hotp(secret, step) === code) return step
  }
  return undefined
}
