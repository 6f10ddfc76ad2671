import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { inspect } from "node:util"
import { ConfigProvider, Duration, Effect, Exit, Layer, Logger, Redacted, Scope, Stream, Tracer } from "effect"
import {
  ApiError,
  AuthError,
  ConfigurationError,
  InvalidArgument,
  isPuguhError,
  MissingContext,
  NetworkError,
  Puguh,
  PuguhClient,
  PuguhError,
  RateLimitError,
  RetryPolicy,
} from "../src/puguh/mod.ts"
import type { HttpClient } from "effect/http"
import { PuguhApi } from "../src/puguh/contract.ts"
import { PUGUH_DEMO, totp } from "../mock/puguh/mod.ts"
import { DEMO_USERS, puguhSetup, use } from "./_puguh.ts"

const pathOf = (url: string) => new URL(url).pathname.replace(/^\/puguh/, "")

describe("PUGUH client: auth", () => {
  it("login answers Redacted tokens: a Bearer access token for an hour and a refresh token", async () => {
    const f = puguhSetup()
    const tokens = await f.run(use((p) => p.auth.login({ email: PUGUH_DEMO.email, password: PUGUH_DEMO.password })))
    assert.equal(tokens.tokenType, "Bearer")
    assert.equal(tokens.expiresIn, 3600)
    assert.ok(Redacted.isRedacted(tokens.accessToken) && Redacted.isRedacted(tokens.refreshToken))
    assert.equal(Redacted.value(tokens.accessToken).split(".").length, 3)
    assert.match(Redacted.value(tokens.refreshToken), /^rt_/)
    const [sent] = f.requestsTo("POST", "/api/v1/auth/login")
    assert.deepEqual(JSON.parse(sent.body), { email: PUGUH_DEMO.email, password: PUGUH_DEMO.password })
    assert.equal(sent.headers.authorization, undefined, "sign-in carries no credential")
  })

  it("register answers the user's id, email and personal organization, and that user can sign in", async () => {
    const f = puguhSetup()
    const registered = await f.run(
      use((p) => p.auth.register({ email: "Jane@Example.com", password: "correct horse", fullName: "Jane Doe" })),
    )
    assert.equal(registered.email, "jane@example.com")
    const sent = JSON.parse(f.requestsTo("POST", "/api/v1/auth/register")[0].body)
    assert.deepEqual(sent, { email: "Jane@Example.com", password: "correct horse", full_name: "Jane Doe" })
    const orgs = await f.runAs("jane@example.com", use((p) => p.organizations.list()))
    assert.deepEqual(orgs.items.map((o) => [o.id, o.type, o.role]), [[registered.organizationId, "personal", "owner"]])
    await f.run(use((p) => p.auth.login({ email: "jane@example.com", password: "correct horse" })))
  })

  it("register refuses a taken address (409) and a short password (422, its items kept)", async () => {
    const f = puguhSetup()
    const taken = await f.fail(
      "ApiError",
      use((p) => p.auth.register({ email: PUGUH_DEMO.email, password: "long enough" })),
    )
    assert.equal(taken.status, 409)
    assert.equal(taken.code, "email_taken")
    const short = await f.fail("ApiError", use((p) => p.auth.register({ email: "new@example.com", password: "short" })))
    assert.equal(short.status, 422)
    assert.deepEqual(short.validation, [{
      loc: ["body", "password"],
      msg: "String should have at least 8 characters",
      type: "string_too_short",
    }])
    assert.equal(short.message, "Validation failed: body.password: String should have at least 8 characters")
  })

  it("refreshToken trades a refresh token for new ones; validateToken says who a token is and their roles", async () => {
    const f = puguhSetup()
    const tokens = await f.tokensOf(DEMO_USERS.admin)
    const fresh = await f.run(use((p) => p.auth.refreshToken(tokens.refreshToken)))
    assert.notEqual(Redacted.value(fresh.refreshToken), tokens.refreshToken)
    const who = await f.run(
      use((p) => p.auth.validateToken(fresh.accessToken)),
      f.layer({ apiKey: PUGUH_DEMO.apiKey, organizationId: f.acme }),
    )
    assert.equal(who.email, DEMO_USERS.admin)
    assert.deepEqual(who.roles, ["admin"])
    assert.equal(who.organizationId, f.acme)
    assert.equal(typeof who.personal_organization_id, "string", "fields the contract does not name are kept")
  })

  it("requestMagicLink answers 202 alike for known and unknown addresses; verifyMagicLink signs in", async () => {
    const f = puguhSetup()
    const known = await f.run(use((p) => p.auth.requestMagicLink(PUGUH_DEMO.email)))
    const unknown = await f.run(use((p) => p.auth.requestMagicLink("nobody@example.com")))
    assert.deepEqual(known, unknown)
    assert.deepEqual(f.mock.journal.map((e) => e.status), [202, 202])
    assert.equal(f.state.outbox().length, 1)
    const tokens = await f.run(use((p) => p.auth.verifyMagicLink(f.state.outbox(PUGUH_DEMO.email)[0].token)))
    const claims = await f.run(use((p) => p.verifyToken(tokens.accessToken)))
    assert.deepEqual(claims.amr, ["email"])
  })

  it("setupMfa, confirmMfa and disableMfa go with the user's access token", async () => {
    const f = puguhSetup()
    const setup = await f.runAs(DEMO_USERS.member, use((p) => p.auth.setupMfa()))
    assert.match(Redacted.value(setup.qrCodeUrl), /^otpauth:\/\/totp\/PUGUH%3Amember%40acme\.test\?secret=[A-Z2-7]+/)
    assert.deepEqual(JSON.parse(f.requestsTo("POST", "/api/v1/auth/mfa/setup")[0].body), { type: "totp" })
    const secret = Redacted.value(setup.secret)
    const confirmed = await f.runAs(
      DEMO_USERS.member,
      use((p) => Effect.flatMap(Effect.promise(() => totp(secret, f.clock.now())), p.auth.confirmMfa)),
    )
    assert.equal(confirmed.mfaEnabled, true)
    assert.equal(f.state.userByEmail(DEMO_USERS.member)?.mfaEnabled, true)
    f.clock.advance(30_000)
    const code = await totp(secret, f.clock.now())
    const off = await f.runAs(DEMO_USERS.member, use((p) => p.auth.disableMfa(code)))
    assert.equal(off.mfaEnabled, false)
  })

  it("a code that is not 6 digits fails with InvalidArgument before any request", async () => {
    const f = puguhSetup()
    const error = await f.failAs(DEMO_USERS.member, "InvalidArgument", use((p) => p.auth.confirmMfa("12ab")))
    assert.equal(error.argument, "code")
    assert.equal(f.sent.length, 0)
  })
})

describe("PUGUH client: organizations", () => {
  it("list, create, get, update and delete, each on its path", async () => {
    const f = puguhSetup()
    const result = await f.runAs(
      DEMO_USERS.owner,
      use((p) =>
        Effect.gen(function* () {
          const before = yield* p.organizations.list({ type: "team" })
          const created = yield* p.organizations.create({ name: "Globex", slug: "globex", description: "R&D" })
          const got = yield* p.organizations.get(created.id)
          const updated = yield* p.organizations.update({ orgId: created.id, name: "Globex Corporation" })
          yield* p.organizations.delete(created.id)
          const after = yield* p.organizations.list({ search: "globex" })
          return { before, created, got, updated, after }
        })
      ),
    )
    assert.deepEqual(result.before.items.map((o) => o.slug), ["acme-corp"])
    assert.equal(result.created.role, "owner")
    assert.equal(result.created.type, "team")
    assert.equal(result.got.description, "R&D")
    assert.equal(result.updated.name, "Globex Corporation")
    assert.equal(result.after.total, 0, "a deleted organization is gone")
    const id = result.created.id
    assert.deepEqual(f.sent.map((s) => `${s.method} ${pathOf(s.url)}`), [
      "GET /api/v1/organizations",
      "POST /api/v1/organizations",
      `GET /api/v1/organizations/${id}`,
      `PATCH /api/v1/organizations/${id}`,
      `DELETE /api/v1/organizations/${id}`,
      "GET /api/v1/organizations",
    ])
    assert.deepEqual(JSON.parse(f.sent[3].body), { name: "Globex Corporation" })
    assert.equal(new URL(f.sent[0].url).search, "?type=team")
  })

  it("listMembers, inviteMember, updateMemberRole and removeMember", async () => {
    const f = puguhSetup()
    const newcomer = f.state.createUser("newcomer@example.com")
    const result = await f.runAs(
      DEMO_USERS.admin,
      use((p) =>
        Effect.gen(function* () {
          const invited = yield* p.organizations.inviteMember({ orgId: f.acme, email: newcomer.email, role: "viewer" })
          const pending = yield* p.organizations.inviteMember({
            orgId: f.acme,
            email: "later@example.com",
            role: "member",
          })
          const promoted = yield* p.organizations.updateMemberRole({
            orgId: f.acme,
            userId: newcomer.id,
            role: "member",
          })
          const members = yield* p.organizations.listMembers(f.acme)
          yield* p.organizations.removeMember({ orgId: f.acme, userId: newcomer.id })
          const after = yield* p.organizations.listMembers(f.acme, { pageSize: 2 })
          return { invited, pending, promoted, members, after }
        })
      ),
    )
    assert.equal(result.invited.status, "accepted", "an existing user joins at once")
    assert.equal(result.pending.status, "pending")
    assert.equal(result.promoted.role, "member")
    assert.deepEqual(result.members.items.map((m) => m.email), [...Object.values(DEMO_USERS), newcomer.email])
    assert.deepEqual([result.after.total, result.after.items.length, result.after.hasNext], [4, 2, true])
    assert.equal(new URL(f.sent.at(-1)!.url).search, "?page_size=2")
  })
})

describe("PUGUH client: applications", () => {
  it("list, create, get, update, delete, listMembers and addMember", async () => {
    const f = puguhSetup()
    const member = f.state.userByEmail(DEMO_USERS.member)!
    const result = await f.runAs(
      DEMO_USERS.owner,
      use((p) =>
        Effect.gen(function* () {
          const created = yield* p.applications.create({
            orgId: f.acme,
            name: "Acme API",
            slug: "acme-api",
            environment: "staging",
          })
          const listed = yield* p.applications.list(f.acme)
          const got = yield* p.applications.get(created.id)
          const updated = yield* p.applications.update({ appId: created.id, environment: "production" })
          const added = yield* p.applications.addMember({ appId: created.id, userId: member.id, role: "admin" })
          const members = yield* p.applications.listMembers(created.id)
          yield* p.applications.delete(created.id)
          const after = yield* p.applications.list(f.acme)
          return { created, listed, got, updated, added, members, after }
        })
      ),
    )
    assert.equal(result.created.environment, "staging")
    assert.deepEqual(result.listed.items.map((a) => a.slug), ["acme-web", "acme-api"])
    assert.equal(result.got.organizationId, f.acme)
    assert.equal(result.updated.environment, "production")
    assert.equal(result.added.role, "admin")
    assert.deepEqual(result.members.items.map((m) => m.userId), [member.id])
    assert.deepEqual(result.after.items.map((a) => a.slug), ["acme-web"], "a deleted application is gone")
    const create = f.requestsTo("POST", "/api/v1/applications")[0]
    assert.equal(create.headers["x-organization-id"], f.acme, "the organization travels in X-Organization-ID")
    const get = f.requestsTo("GET", `/api/v1/applications/${result.created.id}`)[0]
    assert.equal(get.headers["x-application-id"], result.created.id)
  })

  it("addMember refuses a user outside the organization with 422", async () => {
    const f = puguhSetup()
    const stranger = f.state.createUser("stranger@example.com")
    const error = await f.failAs(
      DEMO_USERS.owner,
      "ApiError",
      use((p) => p.applications.addMember({ appId: PUGUH_DEMO.applicationId, userId: stranger.id, role: "viewer" })),
    )
    assert.equal(error.status, 422)
    assert.deepEqual(error.validation?.[0].loc, ["body", "user_id"])
  })
})

describe("PUGUH client: billing", () => {
  it("getPlans and getPlan need no credential; prices are whole IDR", async () => {
    const f = puguhSetup()
    const [plans, pro] = await f.run(use((p) => Effect.all([p.billing.getPlans(), p.billing.getPlan("pro")])))
    assert.deepEqual(plans.map((plan) => plan.name), ["Free", "Pro", "Business", "Enterprise"])
    assert.deepEqual([pro.name, pro.price, pro.currency], ["Pro", 149_000, "IDR"])
    assert.deepEqual(f.sent.map((s) => pathOf(s.url)), ["/billing/plans", "/billing/plans/pro"])
  })

  it("getSubscription, createSubscription, upgrade, cancel, getInvoices and getUsage", async () => {
    const f = puguhSetup()
    const result = await f.runAs(
      DEMO_USERS.owner,
      use((p) =>
        Effect.gen(function* () {
          const org = yield* p.organizations.create({ name: "Initech", slug: "initech" })
          const created = yield* p.billing.createSubscription({
            orgId: org.id,
            planId: "pro",
            paymentMethodId: "pm_card_visa",
          })
          const current = yield* p.billing.getSubscription(org.id)
          const upgraded = yield* p.billing.upgrade({ orgId: org.id, planId: "business" })
          const cancelled = yield* p.billing.cancel(org.id)
          const invoices = yield* p.billing.getInvoices(org.id)
          const usage = yield* p.billing.getUsage(org.id)
          return { org, created, current, upgraded, cancelled, invoices, usage }
        })
      ),
    )
    assert.equal(result.created.status, "active")
    assert.match(result.created.id, /^sub_/)
    assert.equal(result.current.planName, "Pro")
    assert.equal(result.current.payment_method_id, "pm_card_visa", "fields the contract does not name are kept")
    assert.equal(result.upgraded.plan, "business")
    assert.equal(result.cancelled.status, "grace_period")
    assert.ok(result.invoices.every((i) => /^INV-\d{4}-\d{4}$/.test(i.number) && i.currency === "IDR"))
    assert.deepEqual(result.invoices.map((i) => i.amount), [350_000, 149_000], "newest first, the upgrade prorated")
    assert.equal(result.usage.apiCalls, 6, "the calls made in the organization so far")
    const create = f.requestsTo("POST", "/billing/subscriptions")[0]
    assert.deepEqual(JSON.parse(create.body), { plan: "pro", payment_method_id: "pm_card_visa" })
    assert.equal(create.headers["x-organization-id"], result.org.id)
  })

  it("billingPrefix: '/api/v1/billing' sends every billing call there; the mock serves both", async () => {
    const f = puguhSetup()
    const usage = await f.runAs(
      DEMO_USERS.viewer,
      use((p) => Effect.andThen(p.billing.getPlans(), p.billing.getUsage(f.acme))),
      { billingPrefix: "/api/v1/billing" },
    )
    assert.equal(usage.organizationId, f.acme)
    assert.deepEqual(f.sent.map((s) => pathOf(s.url)), ["/api/v1/billing/plans", "/api/v1/billing/usage"])
  })
})

describe("PUGUH client: context", () => {
  it("setOrganizationContext and setApplicationContext send the headers and supply the default ids", async () => {
    const f = puguhSetup()
    await f.runAs(
      DEMO_USERS.owner,
      use((p) =>
        Effect.gen(function* () {
          yield* p.setOrganizationContext(f.acme)
          yield* p.setApplicationContext(PUGUH_DEMO.applicationId)
          yield* p.organizations.listMembers()
          yield* p.applications.get()
          yield* p.billing.getSubscription()
          yield* p.billing.getPlans()
          assert.deepEqual(yield* p.getContext(), {
            organizationId: f.acme,
            applicationId: PUGUH_DEMO.applicationId,
          })
        })
      ),
    )
    assert.deepEqual(f.sent.map((s) => pathOf(s.url)), [
      `/api/v1/organizations/${f.acme}/members`,
      `/api/v1/applications/${PUGUH_DEMO.applicationId}`,
      "/billing/subscription",
      "/billing/plans",
    ])
    for (const request of f.sent) {
      assert.equal(request.headers["x-organization-id"], f.acme, `${request.url} carries the organization`)
      assert.equal(request.headers["x-application-id"], PUGUH_DEMO.applicationId)
    }
  })

  it("clearContext stops the headers; a call that needs an organization then fails with MissingContext before any request", async () => {
    const f = puguhSetup()
    const error = await f.failAs(
      DEMO_USERS.owner,
      "MissingContext",
      use((p) =>
        Effect.gen(function* () {
          yield* p.setOrganizationContext(f.acme)
          yield* p.setApplicationContext(PUGUH_DEMO.applicationId)
          yield* p.clearContext()
          assert.deepEqual(yield* p.getContext(), {})
          yield* p.organizations.list()
          return yield* p.organizations.listMembers()
        })
      ),
    )
    assert.equal(error.context, "organization")
    assert.equal(error.operation, "puguh.listMembers")
    assert.match(error.message, /setOrganizationContext/)
    assert.equal(f.sent.length, 1, "only the list went out")
    assert.equal(f.sent[0].headers["x-organization-id"], undefined)
    assert.equal(f.sent[0].headers["x-application-id"], undefined)
  })

  it("an application call with no id and no context fails with MissingContext", async () => {
    const f = puguhSetup()
    const error = await f.failAs(DEMO_USERS.owner, "MissingContext", use((p) => p.applications.get()))
    assert.equal(error.context, "application")
    assert.equal(f.sent.length, 0)
  })

  it("an id given to a call wins over the context, for that call alone", async () => {
    const f = puguhSetup()
    const personal = f.state.userByEmail(DEMO_USERS.owner)!.personalOrganizationId
    await f.runAs(
      DEMO_USERS.owner,
      use((p) =>
        Effect.gen(function* () {
          yield* p.setOrganizationContext(f.acme)
          yield* p.organizations.listMembers(personal)
          yield* p.organizations.listMembers()
        })
      ),
    )
    assert.deepEqual(f.sent.map((s) => s.headers["x-organization-id"]), [personal, f.acme])
    assert.deepEqual(f.sent.map((s) => pathOf(s.url).split("/")[4]), [personal, f.acme])
  })

  it("is safe under concurrent fibers: each call reads the context once, so its header and its path agree", async () => {
    const f = puguhSetup()
    const personal = f.state.userByEmail(DEMO_USERS.owner)!.personalOrganizationId
    await f.runAs(
      DEMO_USERS.owner,
      use((p) =>
        Effect.andThen(
          p.setOrganizationContext(f.acme),
          Effect.forEach(
            Array.from({ length: 40 }, (_, i) => i),
            (i) =>
              i % 2 === 0
                ? p.setOrganizationContext(i % 4 === 0 ? f.acme : personal)
                : Effect.asVoid(p.organizations.listMembers()),
            { concurrency: "unbounded" },
          ),
        )
      ),
    )
    const calls = f.sent.filter((s) => s.method === "GET")
    assert.equal(calls.length, 20)
    assert.ok(new Set(calls.map((call) => call.headers["x-organization-id"])).size > 1, "the context did change")
    for (const call of calls) assert.equal(pathOf(call.url).split("/")[4], call.headers["x-organization-id"])
  })

  it("the context belongs to the client: two clients keep their own", async () => {
    const f = puguhSetup()
    const token = (await f.tokensOf(DEMO_USERS.owner)).accessToken
    const program = (orgId?: string) =>
      use((p) =>
        Effect.gen(function* () {
          if (orgId !== undefined) yield* p.setOrganizationContext(orgId)
          return yield* p.getContext()
        })
      )
    assert.deepEqual(await f.run(program(f.acme), f.layer({ accessToken: token })), { organizationId: f.acme })
    assert.deepEqual(await f.run(program(), f.layer({ accessToken: token })), {})
  })
})

describe("PUGUH client: auth modes", () => {
  it("an API key travels as X-API-Key with the organization it requires", async () => {
    const f = puguhSetup()
    const apps = await f.run(
      use((p) => p.applications.list()),
      f.layer({ apiKey: PUGUH_DEMO.apiKey, organizationId: f.acme }),
    )
    assert.deepEqual(apps.items.map((a) => a.slug), ["acme-web"])
    assert.equal(f.sent[0].headers["x-api-key"], PUGUH_DEMO.apiKey)
    assert.equal(f.sent[0].headers["x-organization-id"], f.acme)
    assert.equal(f.sent[0].headers.authorization, undefined)
  })

  it("with an API key and no organization, every credentialed call fails with MissingContext before any request", async () => {
    const f = puguhSetup()
    const error = await f.fail(
      "MissingContext",
      use((p) => p.organizations.list()),
      f.layer({ apiKey: PUGUH_DEMO.apiKey }),
    )
    assert.match(error.message, /API key/)
    assert.equal(f.sent.length, 0)
    const plans = await f.run(use((p) => p.billing.getPlans()), f.layer({ apiKey: PUGUH_DEMO.apiKey }))
    assert.equal(plans.length, 4, "calls that need no credential go without it")
    assert.equal(f.sent[0].headers["x-api-key"], undefined)
  })

  it("the mock answers an API key without X-Organization-ID with FastAPI's 422, and another organization's with 403", async () => {
    const f = puguhSetup()
    const missing = await f.mock.fetch(`${f.baseUrl}/api/v1/organizations`, {
      headers: { "x-api-key": PUGUH_DEMO.apiKey },
    })
    assert.equal(missing.status, 422)
    assert.deepEqual(await missing.json(), {
      detail: [{ loc: ["header", "x-organization-id"], msg: "Field required", type: "missing" }],
    })
    const other = f.state.userByEmail(DEMO_USERS.owner)!.personalOrganizationId
    const error = await f.fail(
      "ApiError",
      use((p) => p.organizations.list()),
      f.layer({ apiKey: PUGUH_DEMO.apiKey, organizationId: other }),
    )
    assert.equal(error.status, 403)
  })

  it("an access token travels as a Bearer token; a bad one fails with AuthError (401)", async () => {
    const f = puguhSetup()
    const error = await f.fail(
      "AuthError",
      use((p) => p.organizations.list()),
      f.layer({ accessToken: "not-a-token" }),
    )
    assert.equal(error.status, 401)
    assert.equal(error.code, "invalid_token")
    assert.equal(f.sent[0].headers.authorization, "Bearer not-a-token")
    assert.ok(error instanceof PuguhError && isPuguhError(error))
  })

  it("automatic refresh is off by default: an expired token fails with AuthError", async () => {
    const f = puguhSetup()
    const tokens = await f.tokensOf(DEMO_USERS.owner)
    f.clock.advance(61 * 60_000)
    const error = await f.fail(
      "AuthError",
      use((p) => p.organizations.list()),
      f.layer({ accessToken: tokens.accessToken, refreshToken: tokens.refreshToken }),
    )
    assert.equal(error.code, "token_expired")
    assert.equal(f.requestsTo("POST", "/api/v1/auth/refresh").length, 0)
  })

  it("with autoRefresh, concurrent 401s share one refresh, each call is sent once more, and the rotated refresh token is kept", async () => {
    const f = puguhSetup()
    const tokens = await f.tokensOf(DEMO_USERS.owner)
    const refreshed: Array<string> = []
    const layer = f.layer({
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken,
      autoRefresh: true,
      onRefresh: (fresh) => refreshed.push(Redacted.value(fresh.refreshToken)),
    })
    const lists = await f.run(
      use((p) =>
        Effect.gen(function* () {
          f.clock.advance(61 * 60_000)
          const first = yield* Effect.all(Array.from({ length: 8 }, () => p.organizations.list()), {
            concurrency: "unbounded",
          })
          f.clock.advance(61 * 60_000)
          const second = yield* p.organizations.list()
          return [...first, second]
        })
      ),
      layer,
    )
    assert.equal(lists.length, 9)
    assert.equal(f.requestsTo("POST", "/api/v1/auth/refresh").length, 2, "one refresh per expiry")
    const sentRefreshTokens = f.requestsTo("POST", "/api/v1/auth/refresh").map((r) => JSON.parse(r.body).refresh_token)
    assert.deepEqual(sentRefreshTokens, [tokens.refreshToken, refreshed[0]], "each refresh spends the newest token")
    assert.equal(f.requestsTo("GET", "/api/v1/organizations").length, 8 + 8 + 2)
  })

  it("autoRefresh without a refresh token, both credentials at once, a base URL that is not http(s): ConfigurationErrors", async () => {
    const f = puguhSetup()
    const layerError = (layer: Layer.Layer<Puguh, ConfigurationError, HttpClient.HttpClient>) =>
      Effect.runPromise(Effect.flip(Effect.provide(use((p) => p.billing.getPlans()), Layer.provide(layer, f.http))))
    const settings = await Promise.all([
      layerError(f.layer({ accessToken: "a", autoRefresh: true })),
      layerError(f.layer({ accessToken: "a", apiKey: "b" })),
      layerError(Puguh.layer({ baseUrl: "ftp://x" })),
    ])
    assert.ok(settings.every((error) => error instanceof ConfigurationError))
    assert.deepEqual(settings.map((error) => (error as ConfigurationError).setting), [
      "refreshToken",
      "apiKey, accessToken",
      "baseUrl",
    ])
    assert.equal(f.sent.length, 0)
  })
})

describe("PUGUH client: pages", () => {
  for (
    const [options, name] of [
      [{ pageSize: 0 }, "pageSize"],
      [{ pageSize: 101 }, "pageSize"],
      [{ pageSize: 2.5 }, "pageSize"],
      [{ page: 0 }, "page"],
    ] as const
  ) {
    it(`${JSON.stringify(options)} fails with InvalidArgument (${name}) before any request`, async () => {
      const f = puguhSetup()
      const error = await f.failAs(DEMO_USERS.owner, "InvalidArgument", use((p) => p.organizations.list(options)))
      assert.equal(error.argument, name)
      assert.equal(f.sent.length, 0)
    })
  }

  it("a page says where it is: total, page, pageSize, hasNext, hasPrev", async () => {
    const f = puguhSetup()
    const page = await f.runAs(
      DEMO_USERS.owner,
      use((p) => p.organizations.listMembers(f.acme, { page: 2, pageSize: 3 })),
    )
    assert.deepEqual(
      { ...page, items: page.items.map((m) => m.email) },
      { items: [DEMO_USERS.viewer], total: 4, page: 2, pageSize: 3, hasNext: false, hasPrev: true },
    )
    assert.equal(new URL(f.sent[0].url).search, "?page=2&page_size=3")
  })

  it("listAllMembers streams 250 members page after page: 20 a page by default, 100 at most", async () => {
    const f = puguhSetup()
    for (let i = 0; i < 250; i++) {
      const user = f.state.createUser(`user${String(i).padStart(3, "0")}@example.com`)
      f.state.addMember(f.acme, user.id, "member")
    }
    const all = await f.runAs(DEMO_USERS.viewer, use((p) => Stream.runCollect(p.organizations.listAllMembers(f.acme))))
    assert.equal(all.length, 254)
    assert.equal(new Set(all.map((m) => m.userId)).size, 254, "no member twice")
    assert.deepEqual(all.slice(4, 6).map((m) => m.email), ["user000@example.com", "user001@example.com"])
    assert.equal(f.sent.length, 13)
    const big = await f.runAs(
      DEMO_USERS.viewer,
      use((p) => Stream.runCollect(p.organizations.listAllMembers(f.acme, { pageSize: 100 }))),
    )
    assert.equal(big.length, 254)
    assert.equal(f.sent.length, 13 + 3)
  })

  it("listAll streams organizations and applications too", async () => {
    const f = puguhSetup()
    const [orgs, apps] = await f.runAs(
      DEMO_USERS.owner,
      use((p) =>
        Effect.all([
          Stream.runCollect(p.organizations.listAll({ pageSize: 1 })),
          Stream.runCollect(p.applications.listAll(f.acme, { pageSize: 1 })),
        ])
      ),
    )
    assert.equal(orgs.length, 2)
    assert.deepEqual(apps.map((a) => a.slug), ["acme-web"])
  })
})

describe("PUGUH client: errors", () => {
  it("429 is a RateLimitError with retryAfter from Retry-After; every API error is a PuguhError", async () => {
    const f = puguhSetup()
    f.mock.fault({
      path: "/billing/plans",
      status: 429,
      headers: { "retry-after": "7" },
      body: { detail: "Slow down" },
    })
    const error = await f.fail("RateLimitError", use((p) => p.billing.getPlans()))
    assert.ok(error instanceof RateLimitError && error instanceof PuguhError)
    assert.equal(error.status, 429)
    assert.equal(error.message, "Slow down")
    assert.equal(Duration.toSeconds(error.retryAfter!), 7)
    assert.equal(f.sent.length, 1, "no automatic retry")
  })

  it("the retry option retries what the policy covers; by default nothing is retried", async () => {
    const f = puguhSetup()
    f.mock.fault({ path: "/billing/plans", status: 503, times: 1 })
    const plans = await f.run(
      use((p) => p.billing.getPlans()),
      f.layer({ retry: RetryPolicy.make({ times: 1, base: "1 millis", statuses: [503] }) }),
    )
    assert.equal(plans.length, 4)
    assert.equal(f.sent.length, 2)
    f.mock.fault({ path: "/billing/plans", status: 503, times: 1 })
    await f.fail("ApiError", use((p) => p.billing.getPlans()))
    assert.equal(f.sent.length, 3, "the default client sent it once")
  })

  it("a dropped connection is a NetworkError (connection), a slow answer a NetworkError (timeout)", async () => {
    const f = puguhSetup()
    f.mock.fault({ path: "/billing/plans", drop: true, times: 1 })
    const dropped = await f.fail("NetworkError", use((p) => p.billing.getPlans()))
    assert.equal(dropped.reason, "connection")
    assert.equal(dropped.status, undefined)
    f.mock.fault({ path: "/billing/plans", delayMs: 500, times: 1 })
    const slow = await f.fail("NetworkError", use((p) => p.billing.getPlans()), f.layer({ timeout: "50 millis" }))
    assert.equal(slow.reason, "timeout")
    assert.ok(slow instanceof NetworkError && slow instanceof PuguhError)
  })

  it("a 5xx and a 403 are ApiErrors with the body's detail as message; a 2xx that breaks the contract is invalid_response", async () => {
    const f = puguhSetup()
    f.mock.fault({ path: "/billing/plans", status: 503, times: 1, body: { detail: "Maintenance" } })
    const down = await f.fail("ApiError", use((p) => p.billing.getPlans()))
    assert.deepEqual([down.status, down.message], [503, "Maintenance"])
    const forbidden = await f.failAs(
      DEMO_USERS.viewer,
      "ApiError",
      use((p) => p.organizations.update({ orgId: f.acme, name: "Mine" })),
    )
    assert.deepEqual([forbidden.status, forbidden.code], [403, "insufficient_role"])
    f.mock.fault({ path: "/billing/plans", status: 200, body: { nope: true } })
    const broken = await f.fail("ApiError", use((p) => p.billing.getPlans()))
    assert.equal(broken.code, "invalid_response")
  })

  it("an unknown organization is a 404 ApiError in the API's shape", async () => {
    const f = puguhSetup()
    const error = await f.failAs(DEMO_USERS.owner, "ApiError", use((p) => p.organizations.get("no-such-org")))
    assert.deepEqual([error.status, error.message, error.body], [404, "Organization not found", {
      detail: "Organization not found",
    }])
  })

  it("an argument the contract refuses (a slug with capitals) fails with InvalidArgument before any request", async () => {
    const f = puguhSetup()
    const error = await f.failAs(
      DEMO_USERS.owner,
      "InvalidArgument",
      use((p) => p.organizations.create({ name: "Bad", slug: "Not A Slug" })),
    )
    assert.equal(error.argument, "slug")
    assert.equal(f.sent.length, 0)
  })

  it("after the client's scope closes, calls fail with ApiError client_closed", async () => {
    const f = puguhSetup()
    const scope = await Effect.runPromise(Scope.make())
    const context = await Effect.runPromise(
      Layer.buildWithScope(Layer.provide(f.layer(), f.http), scope),
    )
    await Effect.runPromise(Scope.close(scope, Exit.void))
    const error = await Effect.runPromise(
      Effect.flip(use((p) => p.billing.getPlans()).pipe(Effect.provide(Layer.succeedContext(context)))),
    )
    assert.ok(error instanceof ApiError && error.code === "client_closed", inspect(error))
    assert.equal(f.sent.length, 0)
  })
})

describe("PUGUH client: configuration", () => {
  it("the base URL is https://api-puguh.arsaka.io unless told otherwise", async () => {
    const f = puguhSetup()
    await f.run(use((p) => p.billing.getPlans()), Puguh.layer())
    assert.equal(f.sent[0].url, "https://api-puguh.arsaka.io/billing/plans")
  })

  it("layerConfig reads PUGUH_BASE_URL, PUGUH_API_KEY and PUGUH_ORGANIZATION_ID", async () => {
    const f = puguhSetup()
    const env = ConfigProvider.fromEnvRecord({
      PUGUH_BASE_URL: f.baseUrl,
      PUGUH_API_KEY: PUGUH_DEMO.apiKey,
      PUGUH_ORGANIZATION_ID: f.acme,
    })
    const members = await Effect.runPromise(
      use((p) => p.organizations.listMembers()).pipe(
        Effect.provide(Puguh.layerConfig().pipe(Layer.provide(f.http))),
        Effect.provide(ConfigProvider.layer(env)),
      ),
    )
    assert.equal(members.total, 4)
    assert.equal(f.sent[0].headers["x-api-key"], PUGUH_DEMO.apiKey)
  })

  it("layerConfig reads PUGUH_ACCESS_TOKEN", async () => {
    const f = puguhSetup()
    const tokens = await f.tokensOf(DEMO_USERS.viewer)
    const env = ConfigProvider.fromEnvRecord({ PUGUH_BASE_URL: f.baseUrl, PUGUH_ACCESS_TOKEN: tokens.accessToken })
    const orgs = await Effect.runPromise(
      use((p) => p.organizations.list()).pipe(
        Effect.provide(Puguh.layerConfig().pipe(Layer.provide(f.http))),
        Effect.provide(ConfigProvider.layer(env)),
      ),
    )
    assert.equal(orgs.total, 2)
  })

  it("fromEnv with neither credential fails with a ConfigurationError naming the variables looked for", async () => {
    const error = await Effect.runPromise(
      Effect.flip(
        use((p) => p.billing.getPlans()).pipe(
          Effect.provide(Puguh.fromEnv()),
          Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnvRecord({}))),
        ),
      ),
    )
    assert.ok(error instanceof ConfigurationError)
    assert.equal(error.setting, "PUGUH_API_KEY, PUGUH_ACCESS_TOKEN")
    assert.match(error.message, /PUGUH_API_KEY.*PUGUH_ACCESS_TOKEN/)
  })

  it("the client's secret headers are the definition's; spans are named puguh.<operation>", async () => {
    assert.deepEqual(PuguhApi.secretHeaders, ["authorization", "x-api-key"])
    const f = puguhSetup()
    const spans: Array<string> = []
    const tracer = Tracer.make({
      span(options) {
        spans.push(options.name)
        return new Tracer.NativeSpan(options)
      },
    })
    await f.runAs(
      DEMO_USERS.owner,
      use((p) => Effect.all([p.billing.getPlans(), p.organizations.listMembers(f.acme)])).pipe(
        Effect.withTracer(tracer),
      ),
    )
    assert.deepEqual(spans.filter((name) => name.startsWith("puguh.")), ["puguh.getPlans", "puguh.listMembers"])
  })
})

describe("PUGUH client: Promise facade", () => {
  it("has the same surface, grouped by module, and rejects with the same error instances", async () => {
    const f = puguhSetup()
    const anonymous = PuguhClient.make({ baseUrl: f.baseUrl, fetch: f.fetch })
    const tokens = await anonymous.auth.login({ email: PUGUH_DEMO.email, password: PUGUH_DEMO.password })
    await assert.rejects(
      anonymous.auth.login({ email: PUGUH_DEMO.email, password: "wrong password" }),
      (e) => e instanceof AuthError && e instanceof PuguhError && e.status === 401,
    )
    await anonymous.close()
    await using puguh = PuguhClient.make({ baseUrl: f.baseUrl, fetch: f.fetch, accessToken: tokens.accessToken })
    await puguh.setOrganizationContext(f.acme)
    assert.equal((await puguh.organizations.listMembers()).total, 4)
    const emails: Array<string> = []
    for await (const member of puguh.organizations.listAllMembers(undefined, { pageSize: 1 })) emails.push(member.email)
    assert.deepEqual(emails, Object.values(DEMO_USERS))
    const apps: Array<string> = []
    for await (const app of puguh.applications.listAll()) apps.push(app.slug)
    assert.deepEqual(apps, ["acme-web"])
    assert.equal((await puguh.billing.getSubscription()).plan, "pro")
    assert.equal((await puguh.verifyToken(tokens.accessToken)).email, PUGUH_DEMO.email)
    await puguh.clearContext()
    await assert.rejects(puguh.organizations.listMembers(), (e) => e instanceof MissingContext)
    await assert.rejects(puguh.organizations.list({ pageSize: 500 }), (e) => e instanceof InvalidArgument)
    await puguh.close()
    await assert.rejects(puguh.billing.getPlans(), (e) => e instanceof ApiError && e.code === "client_closed")
  })
})

describe("PUGUH client: secrets", () => {
  const SECRET_KEY = "pk_live_SuperSecretKeyThatMustNotLeak"

  const assertAbsent = (value: unknown, secrets: ReadonlyArray<string>, where: string) => {
    for (const text of [String(value), JSON.stringify(value) ?? "", inspect(value, { depth: 10 })]) {
      for (const secret of secrets) assert.ok(!text.includes(secret), `a secret leaked in ${where}: ${text}`)
    }
  }

  it("tokens, passwords, keys and MFA secrets stay out of errors, inspect, logs and the journal", async () => {
    const f = puguhSetup()
    const tokens = await f.run(use((p) => p.auth.login({ email: PUGUH_DEMO.email, password: PUGUH_DEMO.password })))
    const setup = await f.run(use((p) => p.auth.setupMfa()), f.layer({ accessToken: tokens.accessToken }))
    const secrets = [
      Redacted.value(tokens.accessToken),
      Redacted.value(tokens.refreshToken),
      Redacted.value(setup.secret),
      PUGUH_DEMO.password,
      SECRET_KEY,
    ]
    assertAbsent(tokens, secrets, "tokens")
    assertAbsent(setup, secrets, "the MFA setup")
    const lines: Array<string> = []
    const capture = Logger.layer([Logger.make((options) => lines.push(inspect(options.message, { depth: 10 })))])
    const logged = <A, E>(program: Effect.Effect<A, E, Puguh>) =>
      program.pipe(Effect.tapError((error) => Effect.logError("failed", error)), Effect.provide(capture))
    const code = await totp(Redacted.value(setup.secret), f.clock.now())
    const wrongCode = String((Number(code) + 1) % 1_000_000).padStart(6, "0")
    const errors: Array<unknown> = [
      await f.fail(
        "AuthError",
        logged(use((p) => p.auth.login({ email: PUGUH_DEMO.email, password: `${PUGUH_DEMO.password}!` }))),
      ),
      await f.fail(
        "AuthError",
        logged(use((p) => p.organizations.list())),
        f.layer({ apiKey: SECRET_KEY, organizationId: f.acme }),
      ),
      await f.fail(
        "ApiError",
        logged(use((p) => p.auth.confirmMfa(wrongCode))),
        f.layer({ accessToken: tokens.accessToken }),
      ),
      await f.fail(
        "AuthError",
        logged(
          use((p) =>
            Effect.andThen(p.auth.refreshToken(tokens.refreshToken), p.auth.refreshToken(tokens.refreshToken))
          ),
        ),
      ),
    ]
    for (const error of errors) assertAbsent(error, secrets, inspect(error))
    assertAbsent(lines.join("\n"), secrets, "logs")
    assertAbsent(f.mock.journal, secrets, "the mock's journal")
    assert.ok(f.sent.some((s) => s.headers["x-api-key"] === SECRET_KEY), "the key itself was sent")
    assert.ok(errors.every((error) => isPuguhError(error)))
  })
})
