import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { Effect } from "effect"
import type { CallError, Puguh, Role } from "../src/puguh/mod.ts"
import { PuguhApi } from "../src/puguh/contract.ts"
import { fillPath, pathParameters } from "../src/core/endpoint.ts"
import {
  GRACE_PERIOD_DAYS,
  matchTotp,
  PAST_DUE_DAYS,
  PUGUH_DEMO,
  type PuguhState,
  totp,
  TOTP_DIGITS,
  TOTP_PERIOD_SECONDS,
} from "../mock/puguh/mod.ts"
import { toBase32 } from "../mock/puguh/totp.ts"
import { serveMock } from "../mock/server.ts"
import { DEMO_USERS, puguhSetup, use } from "./_puguh.ts"

const DAY = 86_400_000
const ROLES: ReadonlyArray<Role> = ["owner", "admin", "member", "viewer"]

interface WriteOperation {
  readonly name: string
  /** The roles that may do it; the others get 403. */
  readonly allowed: ReadonlyArray<Role>
  readonly prepare?: (state: PuguhState, advance: (millis: number) => void) => void
  readonly run: (target: string) => Effect.Effect<unknown, CallError, Puguh>
}

const acme = PUGUH_DEMO.organizationId
const app = PUGUH_DEMO.applicationId

// Every write the API has, by the roles allowed to make it. `target` is a member of Acme (role
// member) who is not the caller.
const WRITES: ReadonlyArray<WriteOperation> = [
  {
    name: "organizations.update",
    allowed: ["owner", "admin"],
    run: () => use((p) => p.organizations.update({ orgId: acme, description: "changed" })),
  },
  { name: "organizations.delete", allowed: ["owner"], run: () => use((p) => p.organizations.delete(acme)) },
  {
    name: "organizations.inviteMember",
    allowed: ["owner", "admin"],
    run: () => use((p) => p.organizations.inviteMember({ orgId: acme, email: "new@example.com", role: "member" })),
  },
  {
    name: "organizations.updateMemberRole",
    allowed: ["owner", "admin"],
    run: (target) => use((p) => p.organizations.updateMemberRole({ orgId: acme, userId: target, role: "viewer" })),
  },
  {
    name: "organizations.removeMember",
    allowed: ["owner", "admin"],
    run: (target) => use((p) => p.organizations.removeMember({ orgId: acme, userId: target })),
  },
  {
    name: "applications.create",
    allowed: ["owner", "admin", "member"],
    run: () => use((p) => p.applications.create({ orgId: acme, name: "New", slug: "new-app" })),
  },
  {
    name: "applications.update",
    allowed: ["owner", "admin", "member"],
    run: () => use((p) => p.applications.update({ appId: app, name: "Renamed" })),
  },
  {
    name: "applications.addMember",
    allowed: ["owner", "admin", "member"],
    run: (target) => use((p) => p.applications.addMember({ appId: app, userId: target, role: "viewer" })),
  },
  { name: "applications.delete", allowed: ["owner", "admin"], run: () => use((p) => p.applications.delete(app)) },
  {
    name: "billing.createSubscription",
    allowed: ["owner", "admin"],
    // A cancelled subscription can be replaced.
    prepare: (state, advance) => {
      state.billing.cancel(acme)
      advance((GRACE_PERIOD_DAYS + 1) * DAY)
    },
    run: () =>
      use((p) => p.billing.createSubscription({ orgId: acme, planId: "business", paymentMethodId: "pm_card_visa" })),
  },
  {
    name: "billing.upgrade",
    allowed: ["owner", "admin"],
    run: () => use((p) => p.billing.upgrade({ orgId: acme, planId: "business" })),
  },
  { name: "billing.cancel", allowed: ["owner", "admin"], run: () => use((p) => p.billing.cancel(acme)) },
]

describe("PUGUH mock: the role matrix (4 roles x every write)", () => {
  for (const operation of WRITES) {
    for (const role of ROLES) {
      const allowed = operation.allowed.includes(role)
      it(`${operation.name} by ${role}: ${allowed ? "allowed" : "403"}`, async () => {
        const f = puguhSetup()
        const target = f.state.createUser("target@example.com")
        f.state.addMember(acme, target.id, "member")
        operation.prepare?.(f.state, (millis) => f.clock.advance(millis))
        const program = operation.run(target.id)
        if (allowed) {
          await f.runAs(DEMO_USERS[role], program)
        } else {
          const error = await f.failAs(DEMO_USERS[role], "ApiError", program)
          assert.deepEqual([error.status, error.code], [403, "insufficient_role"])
        }
      })
    }
  }

  it("every role reads: members, applications, the subscription, invoices and usage", async () => {
    const f = puguhSetup()
    for (const role of ROLES) {
      const read = await f.runAs(
        DEMO_USERS[role],
        use((p) =>
          Effect.all([
            p.organizations.get(acme),
            p.organizations.listMembers(acme),
            p.applications.list(acme),
            p.applications.listMembers(app),
            p.billing.getSubscription(acme),
            p.billing.getInvoices(acme),
            p.billing.getUsage(acme),
          ])
        ),
      )
      assert.equal(read[0].role, role)
    }
  })

  it("an API key acts as admin in its own organization: it updates, it does not delete", async () => {
    const f = puguhSetup()
    const layer = f.layer({ apiKey: PUGUH_DEMO.apiKey, organizationId: acme })
    await f.run(use((p) => p.organizations.update({ name: "Acme Inc" })), layer)
    const error = await f.fail("ApiError", use((p) => p.organizations.delete()), layer)
    assert.equal(error.status, 403)
  })

  it("someone outside an organization gets 404 for it in a path and 403 for it in X-Organization-ID", async () => {
    const f = puguhSetup()
    f.state.register("outsider@example.com", "long enough")
    const path = await f.failAs("outsider@example.com", "ApiError", use((p) => p.organizations.get(acme)))
    assert.equal(path.status, 404)
    const header = await f.failAs("outsider@example.com", "ApiError", use((p) => p.applications.list(acme)))
    assert.deepEqual([header.status, header.code], [403, "not_a_member"])
  })
})

describe("PUGUH mock: one owner, invitations, soft delete", () => {
  it("the owner transfers ownership by making someone owner: exactly one owner throughout", async () => {
    const f = puguhSetup()
    const admin = f.state.userByEmail(DEMO_USERS.admin)!
    const owner = f.state.userByEmail(DEMO_USERS.owner)!
    const members = await f.runAs(
      DEMO_USERS.owner,
      use((p) =>
        Effect.andThen(
          p.organizations.updateMemberRole({ orgId: acme, userId: admin.id, role: "owner" }),
          p.organizations.listMembers(acme),
        )
      ),
    )
    assert.deepEqual(members.items.filter((m) => m.role === "owner").map((m) => m.userId), [admin.id])
    assert.equal(members.items.find((m) => m.userId === owner.id)?.role, "admin")
  })

  it("an admin cannot make an owner, the owner's role changes only by a transfer, and the owner cannot be removed", async () => {
    const f = puguhSetup()
    const owner = f.state.userByEmail(DEMO_USERS.owner)!
    const member = f.state.userByEmail(DEMO_USERS.member)!
    const promote = await f.failAs(
      DEMO_USERS.admin,
      "ApiError",
      use((p) => p.organizations.updateMemberRole({ orgId: acme, userId: member.id, role: "owner" })),
    )
    assert.equal(promote.status, 403)
    const demote = await f.failAs(
      DEMO_USERS.owner,
      "ApiError",
      use((p) => p.organizations.updateMemberRole({ orgId: acme, userId: owner.id, role: "admin" })),
    )
    assert.deepEqual([demote.status, demote.code], [409, "owner_required"])
    const remove = await f.failAs(
      DEMO_USERS.admin,
      "ApiError",
      use((p) => p.organizations.removeMember({ orgId: acme, userId: owner.id })),
    )
    assert.equal(remove.status, 409)
    const invite = await f.failAs(
      DEMO_USERS.owner,
      "ApiError",
      use((p) => p.organizations.inviteMember({ orgId: acme, email: "x@example.com", role: "owner" })),
    )
    assert.deepEqual([invite.status, invite.validation?.[0].loc], [422, ["body", "role"]])
  })

  it("a member may leave; a viewer may not remove anyone else", async () => {
    const f = puguhSetup()
    const member = f.state.userByEmail(DEMO_USERS.member)!
    await f.runAs(DEMO_USERS.member, use((p) => p.organizations.removeMember({ orgId: acme, userId: member.id })))
    const error = await f.failAs(
      DEMO_USERS.viewer,
      "ApiError",
      use((p) => p.organizations.removeMember({ orgId: acme, userId: f.state.userByEmail(DEMO_USERS.admin)!.id })),
    )
    assert.equal(error.status, 403)
  })

  it("a pending invitation is accepted when its address registers; inviting twice is 409", async () => {
    const f = puguhSetup()
    await f.runAs(
      DEMO_USERS.admin,
      use((p) => p.organizations.inviteMember({ orgId: acme, email: "Late@Example.com", role: "viewer" })),
    )
    const twice = await f.failAs(
      DEMO_USERS.admin,
      "ApiError",
      use((p) => p.organizations.inviteMember({ orgId: acme, email: "late@example.com", role: "member" })),
    )
    assert.deepEqual([twice.status, twice.code], [409, "already_invited"])
    const registered = await f.run(use((p) => p.auth.register({ email: "late@example.com", password: "long enough" })))
    const members = await f.runAs(DEMO_USERS.owner, use((p) => p.organizations.listMembers(acme)))
    assert.equal(members.items.find((m) => m.userId === registered.userId)?.role, "viewer")
    assert.equal(f.state.invitations(acme)[0].status, "accepted")
  })

  it("deletes are soft: the organization and its applications are gone to the API, kept in the state", async () => {
    const f = puguhSetup()
    await f.runAs(DEMO_USERS.owner, use((p) => p.organizations.delete(acme)))
    const gone = await f.failAs(DEMO_USERS.owner, "ApiError", use((p) => p.organizations.get(acme)))
    assert.equal(gone.status, 404)
    const appGone = await f.failAs(DEMO_USERS.owner, "ApiError", use((p) => p.applications.get(app)))
    assert.equal(appGone.status, 404)
    const personal = await f.failAs(
      DEMO_USERS.owner,
      "ApiError",
      use((p) => p.organizations.delete(f.state.userByEmail(DEMO_USERS.owner)!.personalOrganizationId)),
    )
    assert.equal(personal.status, 403, "a personal organization stays")
  })

  it("slugs are unique: organizations across the API, applications within their organization", async () => {
    const f = puguhSetup()
    const org = await f.failAs(
      DEMO_USERS.owner,
      "ApiError",
      use((p) => p.organizations.create({ name: "Another", slug: "acme-corp" })),
    )
    assert.deepEqual([org.status, org.code], [409, "slug_taken"])
    const application = await f.failAs(
      DEMO_USERS.owner,
      "ApiError",
      use((p) => p.applications.create({ orgId: acme, name: "Dup", slug: "acme-web" })),
    )
    assert.equal(application.status, 409)
  })
})

describe("PUGUH mock: billing on the mock clock", () => {
  /** A new team organization of the demo owner, subscribed to Pro with `paymentMethodId`. */
  const subscribed = async (f: ReturnType<typeof puguhSetup>, paymentMethodId = "pm_card_visa") => {
    const org = await f.runAs(DEMO_USERS.owner, use((p) => p.organizations.create({ name: "Hooli", slug: "hooli" })))
    await f.runAs(
      DEMO_USERS.owner,
      use((p) => p.billing.createSubscription({ orgId: org.id, planId: "pro", paymentMethodId })),
    )
    return org.id
  }

  const statusOf = (f: ReturnType<typeof puguhSetup>, orgId: string) =>
    f.runAs(DEMO_USERS.owner, use((p) => Effect.all([p.billing.getSubscription(orgId), p.billing.getInvoices(orgId)])))

  it("active -> past_due (renewal declined) -> grace_period (after 3 days, for 7) -> cancelled, the unpaid invoice voided", async () => {
    const f = puguhSetup()
    const orgId = await subscribed(f)
    f.state.billing.setPaymentMethod(orgId, "pm_card_declined")
    const [active] = await statusOf(f, orgId)
    assert.equal(active.status, "active")
    f.clock.set(Date.parse(active.currentPeriodEnd) + 1000)
    const [pastDue, invoices] = await statusOf(f, orgId)
    assert.equal(pastDue.status, "past_due")
    assert.deepEqual(invoices.map((i) => i.status), ["open", "paid"])
    f.clock.advance(PAST_DUE_DAYS * DAY)
    const [grace] = await statusOf(f, orgId)
    assert.equal(grace.status, "grace_period")
    assert.equal(Date.parse(grace.gracePeriodEndsAt!) - Date.parse(active.currentPeriodEnd), 10 * DAY)
    f.clock.advance(GRACE_PERIOD_DAYS * DAY)
    const [cancelled, after] = await statusOf(f, orgId)
    assert.equal(cancelled.status, "cancelled")
    assert.deepEqual(after.map((i) => i.status), ["void", "paid"])
  })

  it("past_due pays up once the payment method works: active again, the invoice paid", async () => {
    const f = puguhSetup()
    const orgId = await subscribed(f)
    f.state.billing.setPaymentMethod(orgId, "pm_card_declined")
    f.clock.advance(32 * DAY)
    assert.equal((await statusOf(f, orgId))[0].status, "past_due")
    const server = await serveMock(f.mock, { port: 0 })
    try {
      const answer = await fetch(`${server.url}/__mock/puguh/billing/payment-method`, {
        method: "POST",
        body: JSON.stringify({ organizationId: orgId, paymentMethodId: "pm_card_mastercard" }),
      })
      assert.equal(answer.status, 204)
    } finally {
      await server.close()
    }
    const [subscription, invoices] = await statusOf(f, orgId)
    assert.equal(subscription.status, "active")
    assert.deepEqual(invoices.map((i) => i.status), ["paid", "paid"])
  })

  it("cancel -> grace_period for 7 days -> cancelled; a cancelled subscription cannot change plan", async () => {
    const f = puguhSetup()
    const orgId = await subscribed(f)
    const grace = await f.runAs(DEMO_USERS.owner, use((p) => p.billing.cancel(orgId)))
    assert.equal(grace.status, "grace_period")
    assert.notEqual(grace.cancelledAt, null)
    f.clock.advance(GRACE_PERIOD_DAYS * DAY - 1000)
    assert.equal((await statusOf(f, orgId))[0].status, "grace_period")
    f.clock.advance(2000)
    assert.equal((await statusOf(f, orgId))[0].status, "cancelled")
    const error = await f.failAs(
      DEMO_USERS.owner,
      "ApiError",
      use((p) => p.billing.upgrade({ orgId, planId: "business" })),
    )
    assert.equal(error.status, 409)
    const again = await f.runAs(
      DEMO_USERS.owner,
      use((p) => p.billing.createSubscription({ orgId, planId: "free" })),
    )
    assert.equal(again.status, "active", "a cancelled organization subscribes again")
  })

  it("renewals bill each period: invoices INV-YYYY-NNNN in IDR, numbered in order within the year", async () => {
    const f = puguhSetup()
    f.clock.set(Date.UTC(2040, 2, 1))
    const orgId = await subscribed(f)
    f.clock.advance(65 * DAY)
    const [subscription, invoices] = await statusOf(f, orgId)
    assert.equal(subscription.status, "active")
    assert.deepEqual(invoices.map((i) => i.number), ["INV-2040-0003", "INV-2040-0002", "INV-2040-0001"])
    for (const invoice of invoices) {
      assert.deepEqual([invoice.amount, invoice.currency, invoice.status], [149_000, "IDR", "paid"])
      assert.match(invoice.id, /^inv_/)
    }
    assert.deepEqual(invoices.map((i) => i.periodStart.slice(0, 10)), ["2040-05-01", "2040-04-01", "2040-03-01"])
  })

  it("the numbering starts again each year", async () => {
    const f = puguhSetup()
    f.clock.set(Date.UTC(2040, 11, 15))
    const orgId = await subscribed(f)
    f.clock.advance(31 * DAY)
    const [, invoices] = await statusOf(f, orgId)
    assert.deepEqual(invoices.map((i) => i.number), ["INV-2041-0001", "INV-2040-0001"])
  })

  it("an upgrade charges the difference for what is left of the period; a downgrade charges nothing", async () => {
    const f = puguhSetup()
    const orgId = await subscribed(f)
    const [start] = await statusOf(f, orgId)
    const period = Date.parse(start.currentPeriodEnd) - Date.parse(start.currentPeriodStart)
    f.clock.set(Date.parse(start.currentPeriodStart) + period / 2)
    await f.runAs(DEMO_USERS.owner, use((p) => p.billing.upgrade({ orgId, planId: "business" })))
    await f.runAs(DEMO_USERS.owner, use((p) => p.billing.upgrade({ orgId, planId: "free" })))
    const [now, invoices] = await statusOf(f, orgId)
    assert.equal(now.plan, "free")
    assert.deepEqual(invoices.map((i) => i.amount), [175_000, 149_000])
  })

  it("a declined payment at subscribe is 402 payment_declined; a paid plan needs a payment method (422)", async () => {
    const f = puguhSetup()
    const org = await f.runAs(DEMO_USERS.owner, use((p) => p.organizations.create({ name: "Pied", slug: "pied" })))
    const declined = await f.failAs(
      DEMO_USERS.owner,
      "ApiError",
      use((p) => p.billing.createSubscription({ orgId: org.id, planId: "pro", paymentMethodId: "pm_card_declined" })),
    )
    assert.deepEqual([declined.status, declined.code], [402, "payment_declined"])
    const missing = await f.failAs(
      DEMO_USERS.owner,
      "ApiError",
      use((p) => p.billing.createSubscription({ orgId: org.id, planId: "pro" })),
    )
    assert.deepEqual([missing.status, missing.validation?.[0].loc], [422, ["body", "payment_method_id"]])
    const none = await f.failAs(DEMO_USERS.owner, "ApiError", use((p) => p.billing.getSubscription(org.id)))
    assert.equal(none.status, 404)
  })

  it("suspended by the control route: no plan change; a cancel ends it at once", async () => {
    const f = puguhSetup()
    const response = await f.api.control!(
      new Request("http://mock/__mock/puguh/billing/suspend", {
        method: "POST",
        body: JSON.stringify({ organizationId: acme }),
      }),
      "billing/suspend",
    )
    assert.equal(response?.status, 204)
    const [suspended] = await statusOf(f, acme)
    assert.equal(suspended.status, "suspended")
    const error = await f.failAs(
      DEMO_USERS.owner,
      "ApiError",
      use((p) => p.billing.upgrade({ planId: "business", orgId: acme })),
    )
    assert.equal(error.status, 409)
    const cancelled = await f.runAs(DEMO_USERS.owner, use((p) => p.billing.cancel(acme)))
    assert.equal(cancelled.status, "cancelled")
  })

  it("usage counts the calls made in the organization, with the plan's limits", async () => {
    const f = puguhSetup()
    const before = await f.runAs(DEMO_USERS.viewer, use((p) => p.billing.getUsage(acme)))
    assert.equal(before.apiCalls, 1)
    await f.runAs(
      DEMO_USERS.viewer,
      use((p) =>
        Effect.andThen(
          p.setOrganizationContext(acme),
          Effect.all([p.organizations.listMembers(), p.applications.list()]),
        )
      ),
    )
    const after = await f.runAs(DEMO_USERS.viewer, use((p) => p.billing.getUsage(acme)))
    assert.deepEqual([after.apiCalls, after.members, after.applications], [4, 4, 1])
    assert.deepEqual(after.limits, { members: 10, applications: 10, api_calls: 1_000_000 })
  })
})

describe("PUGUH mock: shape and document", () => {
  it("a wrong method is 405 with Allow, an unknown path 404, both FastAPI's {detail}", async () => {
    const f = puguhSetup()
    const wrong = await f.mock.fetch(`${f.baseUrl}/api/v1/organizations`, { method: "PUT", body: "{}" })
    assert.equal(wrong.status, 405)
    assert.equal(wrong.headers.get("allow"), "GET, POST")
    assert.deepEqual(await wrong.json(), { detail: "Method Not Allowed" })
    const missing = await f.mock.fetch(`${f.baseUrl}/api/v2/nothing`)
    assert.equal(missing.status, 404)
    assert.deepEqual(await missing.json(), { detail: "Not Found" })
  })

  it("a body that does not decode is FastAPI's 422, its loc from the wire", async () => {
    const f = puguhSetup()
    const answer = await f.mock.fetch(`${f.baseUrl}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "a@b.c" }),
    })
    assert.equal(answer.status, 422)
    assert.deepEqual(await answer.json(), {
      detail: [{ loc: ["body", "password"], msg: "Field required", type: "missing" }],
    })
    const query = await f.mock.fetch(`${f.baseUrl}/billing/plans/pro?x=1`, { method: "GET" })
    assert.equal(query.status, 200)
  })

  it("no credential on a secured route is 401 with WWW-Authenticate, before the body is read", async () => {
    const f = puguhSetup()
    const answer = await f.mock.fetch(`${f.baseUrl}/api/v1/organizations`, { method: "POST", body: "not json" })
    assert.equal(answer.status, 401)
    assert.equal(answer.headers.get("www-authenticate"), "Bearer")
    assert.deepEqual(await answer.json(), { detail: "Not authenticated" })
  })

  it("the OpenAPI document lists every route the mock serves, billing under both prefixes, JSON and YAML", async () => {
    const f = puguhSetup()
    const spec = await (await f.mock.fetch(`${f.baseUrl}/openapi.json`)).json()
    assert.equal(spec.servers[0].url, f.baseUrl)
    const operations = Object.entries(spec.paths as Record<string, Record<string, { operationId: string }>>)
      .flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })))
    assert.deepEqual(
      operations.map((o) => o.op.operationId).sort(),
      PuguhApi.all.map((endpoint) => `puguh.${endpoint.name}`).sort(),
    )
    assert.equal(operations.length, 9 + 9 + 7 + 8 * 2 + 1 + 2)
    for (const prefix of ["/billing", "/api/v1/billing"]) assert.ok(`${prefix}/subscriptions` in spec.paths)
    assert.deepEqual(Object.keys(spec.components.securitySchemes), ["bearer", "apiKey"])
    assert.deepEqual(Object.keys(spec.components.schemas.Error.properties), ["detail", "code"])
    for (const { path, method, op } of operations) {
      const filled = fillPath(path, Object.fromEntries(pathParameters(path).map((name) => [name, "x"])))
      await f.mock.fetch(`${f.baseUrl}${filled}`, {
        method: method.toUpperCase(),
        body: method === "get" ? undefined : "{}",
      })
      assert.equal(f.mock.journal.at(-1)?.operation, op.operationId, `${method} ${path} reached no route`)
    }
    const yaml = await f.mock.fetch(`${f.baseUrl}/openapi.yaml`)
    assert.match(await yaml.text(), /^openapi: "3\.1\.0"\n/)
  })

  it("no credential ever reaches the journal", async () => {
    const f = puguhSetup()
    const tokens = await f.tokensOf(DEMO_USERS.owner)
    for (const endpoint of PuguhApi.all) {
      await f.mock.fetch(`${f.baseUrl}${fillPath(endpoint.path, {})}`, {
        method: endpoint.method,
        headers: { authorization: `Bearer ${tokens.accessToken}`, "x-api-key": PUGUH_DEMO.apiKey },
      })
    }
    const journal = JSON.stringify(f.mock.journal)
    assert.equal(f.mock.journal.length, PuguhApi.all.length)
    assert.ok(!journal.includes(tokens.accessToken) && !journal.includes(PUGUH_DEMO.apiKey))
  })

  it("demo holds what the server banner prints; reset brings the seeded state back", async () => {
    const f = puguhSetup()
    assert.deepEqual(Object.keys(f.api.demo).slice(0, 4), ["email", "password", "apiKey", "organizationId"])
    await f.runAs(DEMO_USERS.owner, use((p) => p.organizations.delete(acme)))
    f.state.keys.rotate(true)
    f.mock.reset()
    assert.deepEqual(f.state.keys.publishedKids, ["puguh-1"])
    const tokens = await f.run(use((p) => p.auth.login({ email: PUGUH_DEMO.email, password: PUGUH_DEMO.password })))
    const org = await f.run(use((p) => p.organizations.get(acme)), f.layer({ accessToken: tokens.accessToken }))
    assert.equal(org.name, "Acme Corp")
    const plans = await (await f.mock.fetch("https://api-puguh.arsaka.io/billing/plans")).json()
    assert.equal(plans.items.length, 4, "the mock answers at the production URL too")
  })
})

describe("PUGUH mock: TOTP conformance (RFC 6238 Appendix B)", () => {
  // The SHA-1 vectors, 8 digits, with the ASCII secret "12345678901234567890". The mock's codes are
  // 6 digits: the last 6 of each (the same HOTP value mod 10^6). `totp` takes the secret in
  // base32, as authenticator apps do, so the ASCII secret is encoded first.
  const VECTORS: ReadonlyArray<readonly [seconds: number, eightDigits: string]> = [
    [59, "94287082"],
    [1111111109, "07081804"],
    [1111111111, "14050471"],
    [1234567890, "89005924"],
    [2000000000, "69279037"],
    [20000000000, "65353130"],
  ]
  const secret = toBase32(new TextEncoder().encode("12345678901234567890"))

  it("the ASCII secret in base32 is the RFC's GEZDGNBVGY3TQOJQ... and codes are 6 digits", () => {
    assert.equal(secret, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
    assert.equal(TOTP_DIGITS, 6)
    assert.equal(TOTP_PERIOD_SECONDS, 30)
  })

  for (const [seconds, expected] of VECTORS) {
    it(`T=${seconds}: ${expected.slice(-6)} (the last 6 of ${expected})`, async () => {
      assert.equal(await totp(secret, seconds * 1000), expected.slice(-6))
      assert.notEqual(await matchTotp(secret, expected.slice(-6), seconds * 1000), undefined)
    })
  }
})
