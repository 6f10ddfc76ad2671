/**
 * Password hashing for the PUGUH mock: PBKDF2-HMAC-SHA-256 through WebCrypto, a random 16-byte
 * salt per hash, compared in constant time. Stored as `pbkdf2-sha256$<iterations>$<salt>$<hash>`
 * (base64), so a hash says how it was made.
 *
 * @module
 */

/**
 * Iterations per hash. OWASP asks 600,000 of production systems, whose hashes guard real
 * passwords; the mock's guard test passwords, and it hashes on every register and sign-in of a
 * test run, 64 at once under a load test. At 60,000 a sign-in cost 85 ms of CPU and a burst of
 * them timed out; at 1,000 it costs about 1 ms, through the same KDF and the same stored format.
 */
export const PBKDF2_ITERATIONS = 1_000

const encoder = new TextEncoder()

const toBase64 = (bytes: Uint8Array): string => btoa(String.fromCharCode(...bytes))

const fromBase64 = (text: string): Uint8Array => Uint8Array.from(atob(text), (c) => c.charCodeAt(0))

const derive = async (password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> => {
  const key = await crypto.subtle.importKey("raw", encoder.encode(password), "PBKDF2", false, ["deriveBits"])
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt: salt as Uint8Array<ArrayBuffer>, iterations },
    key,
    256,
  )
  return new Uint8Array(bits)
}

/** Hashes `password` with a fresh salt. */
export const hashPassword = async (password: string, iterations: number = PBKDF2_ITERATIONS): Promise<string> => {
  const salt = crypto.getRandomValues(new Uint8Array(16))
  const hash = await derive(password, salt, iterations)
  return `pbkdf2-sha256$${iterations}$${toBase64(salt)}$${toBase64(hash)}`
}

/** Whether `password` is the one `stored` was made from; compares every byte whatever the first mismatch. */
export const verifyPassword = async (password: string, stored: string): Promise<boolean> => {
  const [scheme, iterations, salt, hash] = stored.split("$")
  if (scheme !== "pbkdf2-sha256" || salt === undefined || hash === undefined) return false
  const expected = fromBase64(hash)
  const actual = await derive(password, fromBase64(salt), Number(iterations))
  let difference = expected.length ^ actual.length
  for (let i = 0; i < expected.length; i++) difference |= expected[i] ^ (actual[i] ?? 0)
  return difference === 0
}
