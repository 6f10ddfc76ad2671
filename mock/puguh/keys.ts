/**
 * The PUGUH mock's signing keys: RS256 key pairs (WebCrypto, through `jose`), the newest signing,
 * the others still published until retired, as an identity provider rotates keys. Key pairs are
 * made lazily: the first one once per process, shared by every mock (a test suite builds many).
 *
 * @module
 */
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from "jose"

interface KeyPair {
  readonly privateKey: CryptoKey
  readonly publicKey: CryptoKey
}

interface SigningKey {
  readonly kid: string
  readonly pair: Promise<KeyPair>
}

const newPair = (): Promise<KeyPair> => generateKeyPair("RS256", { extractable: true })

let firstPair: Promise<KeyPair> | undefined
const sharedFirstPair = (): Promise<KeyPair> => (firstPair ??= newPair())

/** The key ring: the newest key signs, every published one verifies. */
export class SigningKeys {
  #keys: Array<SigningKey> = []
  #rotations = 0

  /** A ring of one key, `puguh-1`. */
  constructor() {
    this.reset()
  }

  /** Back to the one first key. */
  reset(): void {
    this.#rotations = 0
    this.#keys = [{ kid: "puguh-1", pair: sharedFirstPair() }]
  }

  /** The kid new tokens are signed with. */
  get currentKid(): string {
    return this.#keys[this.#keys.length - 1].kid
  }

  /** The kids published in the JWKS, oldest first. */
  get publishedKids(): ReadonlyArray<string> {
    return this.#keys.map((key) => key.kid)
  }

  /** Whether tokens signed with `kid` still verify. */
  isPublished(kid: string | undefined): boolean {
    return this.#keys.some((key) => key.kid === kid)
  }

  /**
   * Makes a new signing key; the old ones stay published (tokens they signed still verify) unless
   * `retire`, which unpublishes them and so ends every token they signed. Answers the new kid.
   */
  rotate(retire: boolean = false): string {
    this.#rotations += 1
    const key: SigningKey = { kid: `puguh-${this.#rotations + 1}-${crypto.randomUUID().slice(0, 8)}`, pair: newPair() }
    this.#keys = retire ? [key] : [...this.#keys, key]
    return key.kid
  }

  /** The JWKS: every published public key, with its kid, `use: "sig"` and `alg: "RS256"`. */
  async jwks(): Promise<{ readonly keys: ReadonlyArray<JWK> }> {
    const keys = await Promise.all(this.#keys.map(async ({ kid, pair }) => ({
      ...(await exportJWK((await pair).publicKey)),
      kid,
      use: "sig",
      alg: "RS256",
    })))
    return { keys }
  }

  /** `claims` as a compact JWS signed with the current key, its kid in the header. */
  async sign(claims: JWTPayload): Promise<string> {
    const { kid, pair } = this.#keys[this.#keys.length - 1]
    return await new SignJWT(claims).setProtectedHeader({ alg: "RS256", typ: "JWT", kid }).sign(
      (await pair).privateKey,
    )
  }
}
