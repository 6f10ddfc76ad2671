import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { Duration, Effect, Redacted } from "effect"
import { generateKeyPair, SignJWT } from "jose"
import { DEFAULT_AUDIENCE, DEFAULT_ISSUER } from "../src/puguh/mod.ts"
import {
  LOCKOUT_MINUTES,
  MAGIC_LINK_MINUTES,
  PBKDF2_ITERATIONS,
  PUGUH_DEMO,
  REFRESH_TOKEN_DAYS,
  totp,
} from "../mock/puguh/mod.ts"
import { hashPassword, verifyPassword } from "../mock/puguh/password.ts"
import { serveMock } from "../mock/server.ts"
import { DEMO_USERS, puguhSetup, use } from "./_puguh.ts"

const MINUTE = 60_000

const jwksFetches = (f: ReturnType<typeof puguhSetup>) => f.requestsTo("GET", "/.well-known/jwks.json").length

/** A token with the API's claims, signed with a key of our own under `kid`. */
const foreignToken = async (kid: string) => {
  const { privateKey } = await generateKeyPair("RS256")
  const now = Math.floor(Date.now() / 1000)
  return await new SignJWT({ email: "mallory@example.com" })
    .setProtectedHeader({ alg: "RS256", kid })
    .setIssuer(DEFAULT_ISSUER)
    .setAudience(DEFAULT_AUDIENCE)
    .setSubject("mallory")
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(privateKey)
}

const login = (email: string, password: string = PUGUH_DEMO.password, mfaCode?: string) =>
  use((p) => p.auth.login({ email, password, mfaCode }))

describe("PUGUH verifyToken: local verification against the JWKS", () => {
  it("a token the API issued verifies: its claims decoded, the key set fetched once and cached", async () => {
    const f = puguhSetup()
    const owner = f.state.userByEmail(DEMO_USERS.owner)!
    const tokens = await f.tokensOf(DEMO_USERS.owner)
    const [first, second] = await f.run(
      use((p) => Effect.all([p.verifyToken(tokens.accessToken), p.verifyToken(Redacted.make(tokens.accessToken))])),
    )
    assert.equal(first.sub, owner.id)
    assert.equal(first.email, DEMO_USERS.owner)
    assert.equal(first.orgId, owner.personalOrganizationId)
    assert.deepEqual([first.iss, first.aud, first.exp - first.iat], [DEFAULT_ISSUER, DEFAULT_AUDIENCE, 3600])
    assert.deepEqual(second, first)
    assert.equal(jwksFetches(f), 1)
    assert.equal(f.sent[0].headers.authorization, undefined, "the key set is fetched without a credential")
  })

  it("an expired token fails with AuthError token_expired, and no status: it was checked locally", async () => {
    const f = puguhSetup()
    f.clock.advance(-2 * 3600_000)
    const tokens = await f.tokensOf(DEMO_USERS.owner)
    f.clock.reset()
    const error = await f.fail("AuthError", use((p) => p.verifyToken(tokens.accessToken)))
    assert.equal(error.code, "token_expired")
    assert.equal(error.status, undefined)
    assert.ok(!error.message.includes(tokens.accessToken))
  })

  it("clock skew: a token expired 20 s ago passes the default 30 s tolerance, not a 5 s one", async () => {
    const f = puguhSetup()
    f.clock.advance(-(3600_000 + 20_000))
    const tokens = await f.tokensOf(DEMO_USERS.owner)
    f.clock.reset()
    await f.run(use((p) => p.verifyToken(tokens.accessToken)))
    const error = await f.fail(
      "AuthError",
      use((p) => p.verifyToken(tokens.accessToken, { clockTolerance: "5 seconds" })),
    )
    assert.equal(error.code, "token_expired")
    const strict = await f.fail(
      "AuthError",
      use((p) => p.verifyToken(tokens.accessToken)),
      f.layer({ verify: { clockTolerance: Duration.seconds(1) } }),
    )
    assert.equal(strict.code, "token_expired", "the client's own option applies to every call")
  })

  it("a token signed with a key the JWKS does not hold fails with unknown_key after one fetch again; another within the cooldown fetches nothing", async () => {
    const f = puguhSetup()
    const ours = await f.tokensOf(DEMO_USERS.owner)
    const rogue = await foreignToken("rogue-1")
    await f.run(
      use((p) =>
        Effect.gen(function* () {
          yield* p.verifyToken(ours.accessToken)
          const error = yield* Effect.flip(p.verifyToken(rogue))
          assert.equal(error._tag, "AuthError")
          assert.equal(error.code, "unknown_key")
          assert.equal(jwksFetches(f), 2, "the unknown kid fetched the key set again, once")
          const again = yield* Effect.flip(p.verifyToken(rogue))
          assert.equal(again.code, "unknown_key")
          assert.equal(jwksFetches(f), 2, "the same unknown kid within the cooldown fetches nothing")
        })
      ),
    )
  })

  it("a token whose kid the JWKS holds but whose signature is not the key's fails with invalid_signature", async () => {
    const f = puguhSetup()
    const forged = await foreignToken("puguh-1")
    const error = await f.fail("AuthError", use((p) => p.verifyToken(forged)))
    assert.equal(error.code, "invalid_signature")
  })

  it("a tampered token (its claims changed, its signature kept) fails with invalid_signature", async () => {
    const f = puguhSetup()
    const tokens = await f.tokensOf(DEMO_USERS.viewer)
    const [header, payload, signature] = tokens.accessToken.split(".")
    const claims = JSON.parse(atob(payload.replaceAll("-", "+").replaceAll("_", "/")))
    const forged = btoa(JSON.stringify({ ...claims, sub: "someone-else" })).replaceAll("=", "").replaceAll("+", "-")
      .replaceAll("/", "_")
    const error = await f.fail("AuthError", use((p) => p.verifyToken(`${header}.${forged}.${signature}`)))
    assert.equal(error.code, "invalid_signature")
  })

  it("a wrong audience or issuer fails with invalid_claims", async () => {
    const f = puguhSetup()
    const tokens = await f.tokensOf(DEMO_USERS.owner)
    const audience = await f.fail(
      "AuthError",
      use((p) => p.verifyToken(tokens.accessToken, { audience: "another-api" })),
    )
    assert.equal(audience.code, "invalid_claims")
    assert.match(audience.message, /aud/)
    const issuer = await f.fail(
      "AuthError",
      use((p) => p.verifyToken(tokens.accessToken, { issuer: "https://evil.example" })),
    )
    assert.equal(issuer.code, "invalid_claims")
    assert.match(issuer.message, /iss/)
  })

  it("after a key rotation a token with the new kid fetches the JWKS once more; tokens of the old key verify while it is published", async () => {
    const f = puguhSetup()
    const before = await f.tokensOf(DEMO_USERS.owner)
    const kid = f.state.keys.rotate()
    const after = await f.tokensOf(DEMO_USERS.owner)
    const header = JSON.parse(atob(after.accessToken.split(".")[0].replaceAll("-", "+").replaceAll("_", "/")))
    assert.equal(header.kid, kid)
    await f.run(
      use((p) =>
        Effect.gen(function* () {
          yield* p.verifyToken(before.accessToken)
          assert.equal(jwksFetches(f), 1)
          f.state.keys.rotate()
          const third = yield* Effect.promise(() => f.tokensOf(DEMO_USERS.owner))
          yield* p.verifyToken(after.accessToken)
          assert.equal(jwksFetches(f), 1, "the first fetch held the key of `after` already")
          yield* p.verifyToken(third.accessToken)
          assert.equal(jwksFetches(f), 2, "a new kid: one fetch more")
          yield* p.verifyToken(before.accessToken)
        })
      ),
    )
  })

  it("the key set over HTTP: every published key with its kid, RS256, use sig; rotation by the control route", async () => {
    const f = puguhSetup()
    const server = await serveMock(f.mock, { port: 0 })
    try {
      const jwks = await (await fetch(`${server.url}/puguh/.well-known/jwks.json`)).json()
      assert.deepEqual(jwks.keys.map((k: Record<string, unknown>) => [k.kid, k.kty, k.alg, k.use]), [
        ["puguh-1", "RSA", "RS256", "sig"],
      ])
      assert.equal(jwks.keys[0].d, undefined, "no private part")
      const rotated = await fetch(`${server.url}/__mock/puguh/keys/rotate`, { method: "POST", body: "{}" })
      const { kid, published } = await rotated.json()
      assert.deepEqual(published, ["puguh-1", kid])
      const retired = await (await fetch(`${server.url}/__mock/puguh/keys/rotate`, {
        method: "POST",
        body: JSON.stringify({ retire: true }),
      })).json()
      assert.deepEqual(retired.published, [retired.kid])
    } finally {
      await server.close()
    }
  })

  it("a retired key ends the tokens it signed at the API", async () => {
    const f = puguhSetup()
    const tokens = await f.tokensOf(DEMO_USERS.owner)
    f.state.keys.rotate(true)
    const error = await f.fail(
      "AuthError",
      use((p) => p.organizations.list()),
      f.layer({ accessToken: tokens.accessToken }),
    )
    assert.equal(error.code, "invalid_token")
  })

  it("what is not a JWT fails with malformed_token, and a token not signed with RS256 with invalid_token", async () => {
    const f = puguhSetup()
    const garbage = await f.fail("AuthError", use((p) => p.verifyToken("not.a.jwt")))
    assert.equal(garbage.code, "malformed_token")
    const empty = await f.fail("AuthError", use((p) => p.verifyToken("")))
    assert.equal(empty.code, "malformed_token")
    const hs = await new SignJWT({ sub: "x" }).setProtectedHeader({ alg: "HS256", kid: "puguh-1" })
      .setIssuer(DEFAULT_ISSUER).setAudience(DEFAULT_AUDIENCE).setExpirationTime("1h")
      .sign(new TextEncoder().encode("a-shared-secret-a-shared-secret!"))
    const symmetric = await f.fail("AuthError", use((p) => p.verifyToken(hs)))
    assert.equal(symmetric.code, "invalid_token")
  })
})

describe("PUGUH mock: refresh tokens", () => {
  it("each refresh spends its token and answers new ones in the same session", async () => {
    const f = puguhSetup()
    const first = await f.tokensOf(DEMO_USERS.owner)
    const [second, third, claims] = await f.run(use((p) =>
      Effect.gen(function* () {
        const second = yield* p.auth.refreshToken(first.refreshToken)
        const third = yield* p.auth.refreshToken(second.refreshToken)
        const claims = yield* Effect.all(
          [first.accessToken, second.accessToken, third.accessToken].map((token) => p.verifyToken(token)),
        )
        return [second, third, claims] as const
      })
    ))
    assert.equal(new Set(claims.map((c) => c.sid)).size, 1, "one session throughout")
    assert.equal(
      new Set([first.refreshToken, Redacted.value(second.refreshToken), Redacted.value(third.refreshToken)]).size,
      3,
    )
  })

  it("a spent refresh token presented again revokes the session: its newest tokens stop working, other sessions do not", async () => {
    const f = puguhSetup()
    const stolen = await f.tokensOf(DEMO_USERS.owner)
    const otherSession = await f.tokensOf(DEMO_USERS.owner)
    const legit = await f.run(use((p) => p.auth.refreshToken(stolen.refreshToken)))
    const reuse = await f.fail("AuthError", use((p) => p.auth.refreshToken(stolen.refreshToken)))
    assert.equal(reuse.code, "refresh_token_reused")
    const next = await f.fail("AuthError", use((p) => p.auth.refreshToken(legit.refreshToken)))
    assert.equal(next.code, "token_revoked")
    const call = await f.fail(
      "AuthError",
      use((p) => p.organizations.list()),
      f.layer({ accessToken: legit.accessToken }),
    )
    assert.equal(call.code, "token_revoked")
    const still = await f.run(use((p) => p.organizations.list()), f.layer({ accessToken: otherSession.accessToken }))
    assert.equal(still.total, 2)
  })

  it(`a refresh token lives ${REFRESH_TOKEN_DAYS} days on the mock clock; an unknown one is invalid_token`, async () => {
    const f = puguhSetup()
    const tokens = await f.tokensOf(DEMO_USERS.owner)
    f.clock.advance(REFRESH_TOKEN_DAYS * 86_400_000 + 1000)
    const expired = await f.fail("AuthError", use((p) => p.auth.refreshToken(tokens.refreshToken)))
    assert.equal(expired.code, "token_expired")
    const unknown = await f.fail("AuthError", use((p) => p.auth.refreshToken("rt_unknown")))
    assert.equal(unknown.code, "invalid_token")
  })

  it("an access token lives an hour on the mock clock at the API", async () => {
    const f = puguhSetup()
    const tokens = await f.tokensOf(DEMO_USERS.owner)
    const layer = f.layer({ accessToken: tokens.accessToken })
    f.clock.advance(59 * MINUTE)
    await f.run(use((p) => p.organizations.list()), layer)
    f.clock.advance(2 * MINUTE)
    const error = await f.fail("AuthError", use((p) => p.organizations.list()), layer)
    assert.equal(error.code, "token_expired")
  })
})

describe("PUGUH mock: magic links", () => {
  it("a link signs in once: the second use is magic_link_used", async () => {
    const f = puguhSetup()
    await f.run(use((p) => p.auth.requestMagicLink(DEMO_USERS.member)))
    const [mail] = f.state.outbox(DEMO_USERS.member)
    assert.equal(mail.subject, "Your PUGUH sign-in link")
    assert.equal(mail.link, `${f.baseUrl}/magic-link?token=${mail.token}`)
    assert.equal(mail.expiresAt - mail.sentAt, MAGIC_LINK_MINUTES * MINUTE)
    const tokens = await f.run(use((p) => p.auth.verifyMagicLink(mail.token)))
    const claims = await f.run(use((p) => p.verifyToken(tokens.accessToken)))
    assert.equal(claims.email, DEMO_USERS.member)
    const again = await f.fail("AuthError", use((p) => p.auth.verifyMagicLink(mail.token)))
    assert.deepEqual([again.status, again.code], [401, "magic_link_used"])
  })

  it(`a link expires ${MAGIC_LINK_MINUTES} minutes after it was sent, on the mock clock`, async () => {
    const f = puguhSetup()
    await f.run(use((p) => p.auth.requestMagicLink(DEMO_USERS.member)))
    f.clock.advance(MAGIC_LINK_MINUTES * MINUTE - 1000)
    await f.run(use((p) => p.auth.requestMagicLink(DEMO_USERS.member)))
    const [first, second] = f.state.outbox(DEMO_USERS.member)
    f.clock.advance(2000)
    const expired = await f.fail("AuthError", use((p) => p.auth.verifyMagicLink(first.token)))
    assert.equal(expired.code, "magic_link_expired")
    await f.run(use((p) => p.auth.verifyMagicLink(second.token)))
  })

  it("the outbox is readable over the control route", async () => {
    const f = puguhSetup()
    await f.run(use((p) => p.auth.requestMagicLink(DEMO_USERS.admin)))
    await f.run(use((p) => p.auth.requestMagicLink(DEMO_USERS.viewer)))
    const server = await serveMock(f.mock, { port: 0 })
    try {
      const all = await (await fetch(`${server.url}/__mock/puguh/outbox`)).json()
      assert.deepEqual(all.map((mail: { to: string }) => mail.to), [DEMO_USERS.admin, DEMO_USERS.viewer])
      const mine = await (await fetch(`${server.url}/__mock/puguh/outbox?email=${DEMO_USERS.viewer}`)).json()
      assert.equal(mine.length, 1)
      assert.match(mine[0].token, /^ml_[0-9a-f]{48}$/)
    } finally {
      await server.close()
    }
  })
})

describe("PUGUH mock: TOTP MFA", () => {
  /** A user with MFA confirmed at the mock's time; answers the secret. */
  const withMfa = async (f: ReturnType<typeof puguhSetup>, email: string) => {
    const setup = await f.runAs(email, use((p) => p.auth.setupMfa()))
    const secret = Redacted.value(setup.secret)
    const code = await totp(secret, f.clock.now())
    await f.runAs(email, use((p) => p.auth.confirmMfa(code)))
    return secret
  }

  it("once confirmed, login asks for the code (mfa_required), takes it, and says so in amr", async () => {
    const f = puguhSetup()
    const secret = await withMfa(f, DEMO_USERS.admin)
    const required = await f.fail("AuthError", login(DEMO_USERS.admin))
    assert.deepEqual([required.status, required.code], [401, "mfa_required"])
    f.clock.advance(30_000)
    const tokens = await f.run(login(DEMO_USERS.admin, PUGUH_DEMO.password, await totp(secret, f.clock.now())))
    const claims = await f.run(use((p) => p.verifyToken(tokens.accessToken)))
    assert.deepEqual(claims.amr, ["pwd", "otp"])
    assert.deepEqual(JSON.parse(f.requestsTo("POST", "/api/v1/auth/login").at(-1)!.body).mfa_code.length, 6)
  })

  it("with the clock moved: a code one step old or ahead passes, two steps off fails, and a code works once", async () => {
    const f = puguhSetup()
    const secret = await withMfa(f, DEMO_USERS.member)
    const codeAt = (offset: number) => totp(secret, f.clock.now() + offset)
    f.clock.advance(5 * 30_000)
    await f.run(login(DEMO_USERS.member, PUGUH_DEMO.password, await codeAt(-30_000)))
    f.clock.advance(5 * 30_000)
    await f.run(login(DEMO_USERS.member, PUGUH_DEMO.password, await codeAt(30_000)))
    f.clock.advance(5 * 30_000)
    for (const offset of [-60_000, 60_000]) {
      const error = await f.fail("AuthError", login(DEMO_USERS.member, PUGUH_DEMO.password, await codeAt(offset)))
      assert.equal(error.code, "invalid_mfa_code")
    }
    const code = await codeAt(0)
    await f.run(login(DEMO_USERS.member, PUGUH_DEMO.password, code))
    const replay = await f.fail("AuthError", login(DEMO_USERS.member, PUGUH_DEMO.password, code))
    assert.equal(replay.code, "invalid_mfa_code", "a code is spent once used")
  })

  it("disable needs a valid code; setup while MFA is on is 409; confirm without setup is 400", async () => {
    const f = puguhSetup()
    const fresh = await f.failAs(DEMO_USERS.viewer, "ApiError", use((p) => p.auth.confirmMfa("123456")))
    assert.deepEqual([fresh.status, fresh.code], [400, "mfa_not_set_up"])
    const secret = await withMfa(f, DEMO_USERS.viewer)
    const twice = await f.failAs(DEMO_USERS.viewer, "ApiError", use((p) => p.auth.setupMfa()))
    assert.deepEqual([twice.status, twice.code], [409, "mfa_already_enabled"])
    f.clock.advance(30_000)
    const good = await totp(secret, f.clock.now())
    const wrong = String((Number(good) + 1) % 1_000_000).padStart(6, "0")
    const refused = await f.failAs(DEMO_USERS.viewer, "ApiError", use((p) => p.auth.disableMfa(wrong)))
    assert.deepEqual([refused.status, refused.code], [400, "invalid_mfa_code"])
    await f.runAs(DEMO_USERS.viewer, use((p) => p.auth.disableMfa(good)))
    await f.run(login(DEMO_USERS.viewer))
  })

  it("an API key cannot set up MFA: it is a user's", async () => {
    const f = puguhSetup()
    const error = await f.fail(
      "ApiError",
      use((p) => p.auth.setupMfa()),
      f.layer({ apiKey: PUGUH_DEMO.apiKey, organizationId: f.acme }),
    )
    assert.deepEqual([error.status, error.code], [403, "user_required"])
  })
})

describe("PUGUH mock: lockout and passwords", () => {
  it(`5 failed sign-ins lock the account for ${LOCKOUT_MINUTES} minutes: 429 with Retry-After, the right password included`, async () => {
    const f = puguhSetup()
    for (let i = 0; i < 5; i++) {
      const error = await f.fail("AuthError", login(DEMO_USERS.viewer, "wrong password"))
      assert.equal(error.code, "invalid_credentials")
    }
    const locked = await f.fail("RateLimitError", login(DEMO_USERS.viewer))
    assert.deepEqual([locked.status, locked.code], [429, "account_locked"])
    assert.equal(Duration.toSeconds(locked.retryAfter!), LOCKOUT_MINUTES * 60)
    f.clock.advance(10 * MINUTE)
    const later = await f.fail("RateLimitError", login(DEMO_USERS.viewer))
    assert.equal(Duration.toSeconds(later.retryAfter!), 5 * 60)
    f.clock.advance(5 * MINUTE)
    await f.run(login(DEMO_USERS.viewer))
    assert.equal(f.requestsTo("POST", "/api/v1/auth/login").length, 8)
  })

  it("a success resets the count; other accounts are not locked", async () => {
    const f = puguhSetup()
    for (let i = 0; i < 4; i++) await f.fail("AuthError", login(DEMO_USERS.member, "wrong password"))
    await f.run(login(DEMO_USERS.member))
    for (let i = 0; i < 4; i++) await f.fail("AuthError", login(DEMO_USERS.member, "wrong password"))
    await f.run(login(DEMO_USERS.member))
    await f.run(login(DEMO_USERS.admin))
  })

  it("an unknown address is invalid_credentials, like a wrong password", async () => {
    const f = puguhSetup()
    const error = await f.fail("AuthError", login("nobody@example.com"))
    assert.deepEqual([error.code, error.message], ["invalid_credentials", "Incorrect email or password"])
  })

  it("passwords are stored as salted PBKDF2-SHA-256, never as they are", async () => {
    const [a, b] = await Promise.all([hashPassword("correct horse"), hashPassword("correct horse")])
    assert.match(a, new RegExp(`^pbkdf2-sha256\\$${PBKDF2_ITERATIONS}\\$[A-Za-z0-9+/=]{24}\\$[A-Za-z0-9+/=]{44}$`))
    assert.notEqual(a, b, "a salt per hash")
    assert.ok(!a.includes("correct horse"))
    assert.equal(await verifyPassword("correct horse", a), true)
    assert.equal(await verifyPassword("correct horsf", a), false)
    assert.equal(await verifyPassword("correct horse", "plain$text"), false)
  })
})
