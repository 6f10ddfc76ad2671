/**
 * The PUID mock's in-memory state and rules: principals, one global counter, the one request
 * per second per principal, the free plan's daily quota, OAuth clients, tokens, authorization codes
 * (PKCE) and rotating refresh tokens.
 *
 * @module
 */
import { Schema } from "effect"
import { BASE62_ALPHABET } from "../../src/puid/codec.ts"
import type { MockClock } from "../clock.ts"

/**
 * A plan: `free` has 1000 ids a day, the others are unlimited (as the server enforces).
 *
 * @example
 * ```ts
 * import { createMock, type PuidPlan } from "@gatehouse/sdk/mock"
 *
 * const { puid } = createMock()
 * const plan: PuidPlan = "hobby"
 * const apiKey = puid.state.createApiKey(plan) // unlimited, as the server's hobby plan
 * console.log(puid.state.principal(apiKey, undefined)?.plan) // hobby
 * ```
 */
export type PuidPlan = "free" | "hobby" | "enterprise"

/**
 * Who a request acts for.
 *
 * @example
 * ```ts
 * import { createMock, PUID_DEMO, type Principal } from "@gatehouse/sdk/mock"
 *
 * const { puid } = createMock()
 * const who: Principal | undefined = puid.state.principal(PUID_DEMO.apiKey, undefined)
 * console.log(who) // { id: "acct_demo", plan: "free" }
 * ```
 */
export interface Principal {
  /** `acct_...` for an API key, `client:<client_id>` for a client-credentials token. */
  readonly id: string
  /** The plan whose quota applies. */
  readonly plan: PuidPlan
}

interface OAuthClient {
  readonly secret: string
  readonly name?: string | undefined
  readonly redirectUris: ReadonlyArray<string>
}

interface Token {
  readonly principal: Principal
  readonly scopes: ReadonlyArray<string>
  readonly expiresAt: number
}

/** A pending authorization code: single use, short-lived, bound to its client, redirect URI and challenge. */
interface AuthorizationCode {
  readonly clientId: string
  readonly redirectUri: string
  readonly challenge: string
  readonly method: CodeChallengeMethod
  readonly scopes: ReadonlyArray<string>
  readonly principal: Principal
  readonly expiresAt: number
}

/** A live refresh token: bound to its client, rotated on use. */
interface RefreshGrant {
  readonly clientId: string
  readonly principal: Principal
  readonly scopes: ReadonlyArray<string>
  readonly expiresAt: number
}

/** How a PKCE challenge was made from its verifier (RFC 7636). */
export type CodeChallengeMethod = "S256" | "plain"

/** What the token endpoint issues for the authorization-code and refresh-token grants. */
export interface IssuedTokens {
  readonly accessToken: string
  readonly expiresIn: number
  readonly refreshToken: string
  readonly scope: string
}

/** A grant's outcome: tokens, or the OAuth error the token endpoint answers. */
export type GrantResult =
  | { readonly ok: true; readonly tokens: IssuedTokens }
  | { readonly ok: false; readonly error: "invalid_client" | "invalid_grant"; readonly description: string }

const DAY_MILLIS = 86_400_000
/** The free plan's daily quota of ids. */
export const FREE_DAILY_LIMIT = 1000
const TOKEN_TTL_SECONDS = 3600
/** How long an authorization code lives on the mock clock. */
export const AUTHORIZATION_CODE_TTL_MILLIS = 60_000
/** How long a refresh token lives on the mock clock: 90 days. */
export const REFRESH_TOKEN_TTL_MILLIS = 90 * DAY_MILLIS
/** The account the mock's authorization endpoint approves for: the demo API key's. */
const DEMO_ACCOUNT: Principal = { id: "acct_demo", plan: "free" }
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/

/** base64url (no padding) of SHA-256 of `verifier`: the S256 challenge (RFC 7636 §4.2). */
export const s256Challenge = async (verifier: string): Promise<string> => {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)))
  return btoa(String.fromCharCode(...digest)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")
}

const invalidGrant = (description: string): GrantResult => ({ ok: false, error: "invalid_grant", description })
const SCOPES = ["puid:generate", "puid:ordinal"] as const

/** `prefix` + `n` random base62 characters, as the service makes keys and tokens. */
export const randomToken = (prefix: string, n: number): string =>
  prefix + Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => BASE62_ALPHABET[b % 62]).join("")

/**
 * The demo credentials every fresh PUID mock accepts.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { createMock, PUID_DEMO } from "@gatehouse/sdk/mock"
 * import { Puid } from "@gatehouse/sdk/puid"
 *
 * const mock = createMock()
 * const quota = await Effect.runPromise(
 *   Effect.flatMap(Puid, (puid) => puid.quota()).pipe(
 *     Effect.provide(Puid.layer({ apiKey: PUID_DEMO.apiKey, endpoint: mock.baseUrl("puid") })),
 *     Effect.provide(mock.layer),
 *   ),
 * )
 * console.log(quota)
 * ```
 */
export const PUID_DEMO = {
  apiKey: "puid_live_DemoFreeKey0000000000000",
  unlimitedApiKey: "puid_live_DemoUnlimitedKey00000000",
  clientId: "client_Demo000000000000",
  clientSecret: "secret_Demo0000000000000000000000000000",
  /** The demo client's registered redirect URI, for the authorization-code grant. */
  redirectUri: "http://127.0.0.1:8976/callback",
} as const

const knownScopes = (scope: string): ReadonlyArray<string> =>
  scope.split(/\s+/).filter((s) => (SCOPES as ReadonlyArray<string>).includes(s))

/** Outcome of a rate-limit check. */
export type Admission = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterMs: number }

/** Outcome of a quota check. */
export type QuotaCheck =
  | { readonly ok: true; readonly used: number; readonly limit: number | null }
  | { readonly ok: false; readonly used: number; readonly limit: number; readonly plan: PuidPlan }

/** A map as JSON: its `[key, value]` pairs. */
type Entries<V> = ReadonlyArray<readonly [string, V]>

/** Everything a PUID mock holds, as JSON: each map as `[key, value]` pairs, the counter as a decimal string. */
export interface PuidSnapshot {
  readonly next: string
  readonly apiKeys: Entries<Principal>
  readonly clients: Entries<OAuthClient>
  readonly tokens: Entries<Token>
  readonly codes: Entries<AuthorizationCode>
  readonly refreshTokens: Entries<RefreshGrant>
  readonly lastAdmitted: Entries<number>
  readonly usage: Entries<number>
}

const PrincipalJson = Schema.Struct({ id: Schema.String, plan: Schema.Literals(["free", "hobby", "enterprise"]) })
const Scopes = Schema.Array(Schema.String)
const entries = <S extends Schema.Top>(value: S) => Schema.Array(Schema.Tuple([Schema.String, value]))

const PuidSnapshotSchema = Schema.Struct({
  next: Schema.optionalKey(Schema.String.check(Schema.isPattern(/^[1-9][0-9]*$/))),
  apiKeys: Schema.optionalKey(entries(PrincipalJson)),
  clients: Schema.optionalKey(entries(
    Schema.Struct({ secret: Schema.String, name: Schema.optional(Schema.String), redirectUris: Scopes }),
  )),
  tokens: Schema.optionalKey(
    entries(Schema.Struct({ principal: PrincipalJson, scopes: Scopes, expiresAt: Schema.Number })),
  ),
  codes: Schema.optionalKey(entries(Schema.Struct({
    clientId: Schema.String,
    redirectUri: Schema.String,
    challenge: Schema.String,
    method: Schema.Literals(["S256", "plain"]),
    scopes: Scopes,
    principal: PrincipalJson,
    expiresAt: Schema.Number,
  }))),
  refreshTokens: Schema.optionalKey(entries(
    Schema.Struct({ clientId: Schema.String, principal: PrincipalJson, scopes: Scopes, expiresAt: Schema.Number }),
  )),
  lastAdmitted: Schema.optionalKey(entries(Schema.Number)),
  usage: Schema.optionalKey(entries(Schema.Number)),
})

const decodeSnapshot: (input: unknown) => Partial<PuidSnapshot> = Schema.decodeUnknownSync(PuidSnapshotSchema, {
  onExcessProperty: "error",
})

/**
 * The most OAuth clients dynamic registration (unauthenticated) keeps: past it the oldest
 * registration is forgotten (the demo client never is). With the handler's size caps
 * ({@linkcode MAX_CLIENT_NAME_LENGTH}, {@linkcode MAX_REDIRECT_URIS}, {@linkcode MAX_REDIRECT_URI_LENGTH}),
 * registrations hold at most about 10 MB.
 */
export const MAX_REGISTERED_CLIENTS = 1_000
/** The longest `client_name` a registration may give. */
export const MAX_CLIENT_NAME_LENGTH = 256
/** The most `redirect_uris` a registration may give. */
export const MAX_REDIRECT_URIS = 5
/** The longest redirect URI a registration may give. */
export const MAX_REDIRECT_URI_LENGTH = 2_048

/**
 * The mock's state. Every rule reads the shared {@linkcode MockClock}.
 *
 * @example
 * ```ts
 * import { createMock, PUID_DEMO } from "@gatehouse/sdk/mock"
 *
 * const mock = createMock()
 * const state = mock.puid.state
 * state.setUsed(PUID_DEMO.apiKey, 1000) // the demo key's daily quota spent: the next ids() is quota_exceeded
 * const unlimited = state.createApiKey("enterprise") // a key of its own, without a quota
 * console.log(unlimited.startsWith("puid_live_"), mock.puid.snapshot().next)
 * ```
 */
export class PuidState {
  readonly #clock: MockClock
  #next = 1n
  #apiKeys = new Map<string, Principal>()
  #clients = new Map<string, OAuthClient>()
  // Clients registered dynamically, oldest first: the ones that may be forgotten.
  #registered = new Set<string>()
  #tokens = new Map<string, Token>()
  #codes = new Map<string, AuthorizationCode>()
  #refreshTokens = new Map<string, RefreshGrant>()
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
    this.#registered.clear()
    this.#clients = new Map([[PUID_DEMO.clientId, {
      secret: PUID_DEMO.clientSecret,
      name: "demo",
      redirectUris: [PUID_DEMO.redirectUri],
    }]])
    this.#tokens.clear()
    this.#codes.clear()
    this.#refreshTokens.clear()
    this.#lastAdmitted.clear()
    this.#usage.clear()
  }

  /** The whole state as JSON (secrets included: it is the mock's own). */
  snapshot(): PuidSnapshot {
    return {
      next: String(this.#next),
      apiKeys: [...this.#apiKeys],
      clients: [...this.#clients],
      tokens: [...this.#tokens],
      codes: [...this.#codes],
      refreshTokens: [...this.#refreshTokens],
      lastAdmitted: [...this.#lastAdmitted],
      usage: [...this.#usage],
    }
  }

  /**
   * Replaces the state with `snapshot`'s: each field it has replaces that part of the seeded state
   * (so `{"apiKeys": [...]}` is a seed). Throws, changing nothing, when it is not a PUID snapshot.
   */
  restore(snapshot: unknown): void {
    const given = decodeSnapshot(snapshot)
    this.reset()
    if (given.next !== undefined) this.#next = BigInt(given.next)
    if (given.apiKeys !== undefined) this.#apiKeys = new Map(given.apiKeys)
    if (given.clients !== undefined) this.#clients = new Map(given.clients)
    if (given.tokens !== undefined) this.#tokens = new Map(given.tokens)
    if (given.codes !== undefined) this.#codes = new Map(given.codes)
    if (given.refreshTokens !== undefined) this.#refreshTokens = new Map(given.refreshTokens)
    if (given.lastAdmitted !== undefined) this.#lastAdmitted = new Map(given.lastAdmitted)
    if (given.usage !== undefined) this.#usage = new Map(given.usage)
  }

  /** Mints an API key for a new account on `plan`. */
  createApiKey(plan: PuidPlan = "free"): string {
    const key = randomToken("puid_live_", 24)
    this.#apiKeys.set(key, { id: randomToken("acct_", 16), plan })
    return key
  }

  /**
   * Registers an OAuth client (dynamic registration); past {@linkcode MAX_REGISTERED_CLIENTS}, the
   * oldest registration is forgotten.
   */
  registerClient(
    name: string | undefined,
    redirectUris: ReadonlyArray<string>,
  ): { readonly clientId: string; readonly secret: string } {
    const clientId = randomToken("client_", 16)
    const secret = randomToken("secret_", 32)
    this.#clients.set(clientId, { secret, name, redirectUris })
    this.#registered.add(clientId)
    if (this.#registered.size > MAX_REGISTERED_CLIENTS) {
      const oldest = this.#registered.values().next().value!
      this.#registered.delete(oldest)
      this.#clients.delete(oldest)
    }
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
    const scopes = knownScopes(scope)
    const token = this.#mintAccessToken({ id: `client:${clientId}`, plan: "free" }, scopes)
    return { token, expiresIn: TOKEN_TTL_SECONDS, scope: scopes.join(" ") }
  }

  #mintAccessToken(principal: Principal, scopes: ReadonlyArray<string>): string {
    const token = randomToken("puid_at_", 32)
    this.#tokens.set(token, { principal, scopes, expiresAt: this.#clock.now() + TOKEN_TTL_SECONDS * 1000 })
    return token
  }

  #mintTokens(clientId: string, principal: Principal, scopes: ReadonlyArray<string>): IssuedTokens {
    const accessToken = this.#mintAccessToken(principal, scopes)
    const refreshToken = randomToken("puid_rt_", 32)
    this.#refreshTokens.set(refreshToken, {
      clientId,
      principal,
      scopes,
      expiresAt: this.#clock.now() + REFRESH_TOKEN_TTL_MILLIS,
    })
    return { accessToken, expiresIn: TOKEN_TTL_SECONDS, refreshToken, scope: scopes.join(" ") }
  }

  /** Whether `clientId` is a registered client. */
  hasClient(clientId: string): boolean {
    return this.#clients.has(clientId)
  }

  /** Whether `redirectUri` is one of `clientId`'s registered redirect URIs (exact match). */
  isRegisteredRedirect(clientId: string, redirectUri: string): boolean {
    return this.#clients.get(clientId)?.redirectUris.includes(redirectUri) ?? false
  }

  /**
   * The authorization endpoint's approval, at once, for the demo account: a code valid for
   * {@linkcode AUTHORIZATION_CODE_TTL_MILLIS}, once, for this client, redirect URI and challenge.
   */
  issueCode(request: {
    readonly clientId: string
    readonly redirectUri: string
    readonly challenge: string
    readonly method: CodeChallengeMethod
    readonly scope: string
  }): string {
    const code = randomToken("puid_ac_", 32)
    this.#codes.set(code, {
      clientId: request.clientId,
      redirectUri: request.redirectUri,
      challenge: request.challenge,
      method: request.method,
      scopes: knownScopes(request.scope),
      principal: DEMO_ACCOUNT,
      expiresAt: this.#clock.now() + AUTHORIZATION_CODE_TTL_MILLIS,
    })
    return code
  }

  /** Whether `code` would still be redeemed (issued, unused, unexpired): for tests. */
  isCodeLive(code: string): boolean {
    const entry = this.#codes.get(code)
    return entry !== undefined && entry.expiresAt > this.#clock.now()
  }

  /**
   * The `authorization_code` grant: the code is spent by any attempt (single use), and redeemed
   * only for its client and redirect URI, unexpired, with the verifier of its challenge.
   */
  async redeemCode(request: {
    readonly code: string
    readonly clientId: string
    readonly clientSecret: string | undefined
    readonly redirectUri: string | undefined
    readonly verifier: string | undefined
  }): Promise<GrantResult> {
    const client = this.#clients.get(request.clientId)
    if (client === undefined || (request.clientSecret !== undefined && client.secret !== request.clientSecret)) {
      return { ok: false, error: "invalid_client", description: "Unknown client or wrong secret." }
    }
    const entry = this.#codes.get(request.code)
    if (entry === undefined) return invalidGrant("The code is unknown or was already used.")
    this.#codes.delete(request.code)
    if (entry.expiresAt <= this.#clock.now()) return invalidGrant("The code has expired.")
    if (entry.clientId !== request.clientId) return invalidGrant("The code was issued to another client.")
    if (entry.redirectUri !== request.redirectUri) return invalidGrant("redirect_uri does not match the code's.")
    const verifier = request.verifier
    if (verifier === undefined || !VERIFIER.test(verifier)) {
      return invalidGrant("code_verifier must be 43 to 128 characters of [A-Za-z0-9-._~].")
    }
    const computed = entry.method === "S256" ? await s256Challenge(verifier) : verifier
    if (computed !== entry.challenge) return invalidGrant("code_verifier does not match the code_challenge.")
    return { ok: true, tokens: this.#mintTokens(entry.clientId, entry.principal, entry.scopes) }
  }

  /** The `refresh_token` grant: a new access token and a new refresh token; the old one stops working. */
  refresh(refreshToken: string, clientId: string | undefined): GrantResult {
    const grant = this.#refreshTokens.get(refreshToken)
    if (grant === undefined || grant.expiresAt <= this.#clock.now()) {
      return invalidGrant("The refresh token is invalid, expired or already used.")
    }
    if (clientId !== undefined && clientId !== grant.clientId) {
      return invalidGrant("The refresh token was issued to another client.")
    }
    this.#refreshTokens.delete(refreshToken)
    return { ok: true, tokens: this.#mintTokens(grant.clientId, grant.principal, grant.scopes) }
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
