/**
 * The PUID mock's in-memory state and rules: principals, one global counter, the one request
 * per second per principal, the free plan's daily quota, OAuth clients and tokens.
 *
 * @module
 */
import { BASE62_ALPHABET } from "../../src/puid/codec.ts"
import type { MockClock } from "../clock.ts"

/** A plan: `free` has 1000 ids a day, the others are unlimited (as the server enforces). */
export type PuidPlan = "free" | "hobby" | "enterprise"

/** Who a request acts for. */
export interface Principal {
  /** `acct_...` for an API key, `client:<client_id>` for a client-credentials token. */
  readonly id: string
  /** The plan whose quota applies. */
  readonly plan: PuidPlan
}

interface OAuthClient {
  readonly secret: string
  readonly name: string | undefined
  readonly redirectUris: ReadonlyArray<string>
}

interface Token {
  readonly principal: Principal
  readonly scopes: ReadonlyArray<string>
  readonly expiresAt: number
}

const DAY_MILLIS = 86_400_000
const FREE_DAILY_LIMIT = 1000
const TOKEN_TTL_SECONDS = 3600
const SCOPES = ["puid:generate", "puid:ordinal"] as const

/** `prefix` + `n` random base62 characters, as the service makes keys and tokens. */
export const randomToken = (prefix: string, n: number): string =>
  prefix + Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => BASE62_ALPHABET[b % 62]).join("")

/** The demo credentials every fresh PUID mock accepts. */
export const PUID_DEMO = {
  apiKey: "puid_live_DemoFreeKey000000000000",
  unlimitedApiKey: "puid_live_DemoUnlimitedKey0000000",
  clientId: "client_Demo000000000000",
  clientSecret: "secret_Demo0000000000000000000000000",
} as const

/** Outcome of a rate-limit check. */
export type Admission = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterMs: number }

/** Outcome of a quota check. */
export type QuotaCheck =
  | { readonly ok: true; readonly used: number; readonly limit: number | null }
  | { readonly ok: false; readonly used: number; readonly limit: number; readonly plan: PuidPlan }

/** The mock's state. Every rule reads the shared {@linkcode MockClock}. */
export class PuidState {
  readonly #clock: MockClock
  #next = 1n
  #apiKeys = new Map<string, Principal>()
  #clients = new Map<string, OAuthClient>()
  #tokens = new Map<string, Token>()
  #lastAdmitted = new Map<string, number>()
  #usage = new Map<string, number>()

  /** The seeded state, reading `clock`. */
  constructor(clock: MockClock) {
    this.#clock = clock
    this.reset()
  }

  /** Back to the seeded state: the demo key, the demo client, the counter at 1. */
  reset(): void {
    this.#next = 1n
    this.#apiKeys = new Map([
      [PUID_DEMO.apiKey, { id: "acct_demo", plan: "free" }],
      [PUID_DEMO.unlimitedApiKey, { id: "acct_unlimited", plan: "enterprise" }],
    ])
    this.#clients = new Map([[PUID_DEMO.clientId, { secret: PUID_DEMO.clientSecret, name: "demo", redirectUris: [] }]])
    this.#tokens.clear()
    this.#lastAdmitted.clear()
    this.#usage.clear()
  }

  /** Mints an API key for a new account on `plan`. */
  createApiKey(plan: PuidPlan = "free"): string {
    const key = randomToken("puid_live_", 24)
    this.#apiKeys.set(key, { id: randomToken("acct_", 16), plan })
    return key
  }

  /** Registers an OAuth client (dynamic registration). */
  registerClient(
    name: string | undefined,
    redirectUris: ReadonlyArray<string>,
  ): { readonly clientId: string; readonly secret: string } {
    const clientId = randomToken("client_", 16)
    const secret = randomToken("secret_", 32)
    this.#clients.set(clientId, { secret, name, redirectUris })
    return { clientId, secret }
  }

  /** Exchanges client credentials for an access token, or `undefined` when they are wrong. */
  issueToken(
    clientId: string,
    secret: string,
    scope: string,
  ): { readonly token: string; readonly expiresIn: number; readonly scope: string } | undefined {
    const client = this.#clients.get(clientId)
    if (client === undefined || client.secret !== secret) return undefined
    const scopes = scope.split(/\s+/).filter((s) => (SCOPES as ReadonlyArray<string>).includes(s))
    const token = randomToken("puid_at_", 32)
    this.#tokens.set(token, {
      principal: { id: `client:${clientId}`, plan: "free" },
      scopes,
      expiresAt: this.#clock.now() + TOKEN_TTL_SECONDS * 1000,
    })
    return { token, expiresIn: TOKEN_TTL_SECONDS, scope: scopes.join(" ") }
  }

  /** Ends every access token now, as if they had expired. */
  expireTokens(): void {
    for (const [token, value] of this.#tokens) this.#tokens.set(token, { ...value, expiresAt: this.#clock.now() })
  }

  /** The principal of an API key, or of a live token with `puid:generate`. */
  principal(apiKey: string | undefined, bearer: string | undefined): Principal | undefined {
    const key = apiKey ?? (bearer?.startsWith("puid_live_") ? bearer : undefined)
    const byKey = key === undefined ? undefined : this.#apiKeys.get(key)
    if (byKey !== undefined) return byKey
    const token = bearer?.startsWith("puid_at_") ? this.#tokens.get(bearer) : undefined
    if (token === undefined || token.expiresAt <= this.#clock.now() || !token.scopes.includes("puid:generate")) {
      return undefined
    }
    return token.principal
  }

  /** One request per second per principal. */
  admit(principal: Principal): Admission {
    const now = this.#clock.now()
    const last = this.#lastAdmitted.get(principal.id)
    if (last !== undefined && now - last < 1000) return { allowed: false, retryAfterMs: 1000 - (now - last) }
    this.#lastAdmitted.set(principal.id, now)
    return { allowed: true }
  }

  #usageKey(principal: Principal): string {
    return `${principal.id}:${Math.floor(this.#clock.now() / DAY_MILLIS)}`
  }

  /** Ids spent today by `principal`. */
  used(principal: Principal): number {
    return this.#usage.get(this.#usageKey(principal)) ?? 0
  }

  /** Sets today's usage, so a test reaches the quota without a thousand calls. */
  setUsed(principal: Principal | string, used: number): void {
    const p = typeof principal === "string" ? this.principal(principal, undefined) : principal
    if (p === undefined) throw new Error("unknown API key")
    this.#usage.set(this.#usageKey(p), used)
  }

  /** The free plan's daily limit; `null` for unlimited plans. */
  limit(principal: Principal): number | null {
    return principal.plan === "free" ? FREE_DAILY_LIMIT : null
  }

  /** Checks that `want` more ids fit today's quota and, if so, spends them. */
  spend(principal: Principal, want: number): QuotaCheck {
    const used = this.used(principal)
    const limit = this.limit(principal)
    if (limit !== null && used + want > limit) return { ok: false, used, limit, plan: principal.plan }
    this.#usage.set(this.#usageKey(principal), used + want)
    return { ok: true, used: used + want, limit }
  }

  /** Takes `count` consecutive ordinals from the one global counter. */
  allocate(count: number): ReadonlyArray<bigint> {
    const start = this.#next
    this.#next += BigInt(count)
    return Array.from({ length: count }, (_, i) => start + BigInt(i))
  }

  /** The next ordinal the counter will hand out. */
  get next(): bigint {
    return this.#next
  }
}
