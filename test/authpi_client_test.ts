import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { inspect } from "node:util"
import {
  Cause,
  Clock,
  ConfigProvider,
  Duration,
  Effect,
  Exit,
  Layer,
  Logger,
  Redacted,
  References,
  Scope,
  Stream,
} from "effect"
import { FetchHttpClient, HttpClient } from "effect/http"
import { fillPath } from "../src/core/endpoint.ts"
import { USER_AGENT } from "../src/core/version.ts"
import {
  type AgentScope,
  AuthPI,
  AuthPIClient,
  type AuthPICredentialOptions,
  type AuthPIService,
  ConfigurationError,
  isApiError,
  isServerError,
  type IssuerScope,
  NotFoundError,
  type OrganizationScope,
  type ResourceName,
  type ResourceOf,
  RESOURCES,
  RetryPolicy,
  signWebhookPayload,
  type UserScope,
  ValidationError,
  verifyWebhookSignature,
  type WebhookScope,
} from "../src/authpi/mod.ts"
import { ACCOUNT_PATH, AuthPIApi, DEFAULT_BASE_URL } from "../src/authpi/contract.ts"
import { methodsOf } from "../src/authpi/_scopes.ts"
import { AuthPIMock } from "../mock/authpi/mod.ts"
import { mountMocks } from "../mock/app.ts"
import { MockClock } from "../mock/clock.ts"
import { ACCOUNT, BASE_URL, type Fake, makeFake } from "./_authpi.ts"
import { itVirtual, runVirtual } from "./_effect.ts"

const fast = { delay: "1 millis" } as const

/** Runs `program` against a fresh fake and returns its exit, with the fake. */
const exitOf = async <A, E>(
  program: (admin: AuthPIService) => Effect.Effect<A, E>,
  options: AuthPICredentialOptions = { apiKey: "key_test", accountId: ACCOUNT },
  fake: Fake = makeFake(),
) => {
  const exit = await Effect.runPromiseExit(Effect.flatMap(AuthPI, program).pipe(Effect.provide(fake.layer(options))))
  return { exit, fake }
}

/** The error `exit` failed with. */
const errorOf = <A, E>(exit: Exit.Exit<A, E>): E => {
  assert.ok(Exit.isFailure(exit), "expected a failure")
  const failure = exit.cause.reasons.find((reason) => reason._tag === "Fail")
  assert.ok(failure !== undefined && failure._tag === "Fail", `expected a typed failure, got ${String(exit.cause)}`)
  return failure.error
}

const tagOf = (error: unknown) => (error as { _tag: string })._tag

const keyed = { apiKey: "key_test", accountId: ACCOUNT }

// ---------------------------------------------------------------------------------------------
// The surface: every row of the table, where the seed puts it, with exactly its methods.

type ScopeTypes = {
  account: AuthPIService
  issuer: IssuerScope
  user: UserScope
  agent: AgentScope
  organization: OrganizationScope
  webhook: WebhookScope
}
type Rows = typeof RESOURCES
type MountedAt<N extends ResourceName> = Rows[N]["accessor"] extends keyof ScopeTypes[Rows[N]["scope"]]
  ? ScopeTypes[Rows[N]["scope"]][Rows[N]["accessor"]]
  : never
/** Compiles only while each row's scope interface mounts the row's own resource type. */
type Mounted<N extends ResourceName> = [MountedAt<N>] extends [ResourceOf<N>]
  ? [ResourceOf<N>] extends [MountedAt<N>] ? true : never
  : never
const mountedInTheInterfaces: { readonly [N in ResourceName]: Mounted<N> } = {
  issuers: true,
  webhooks: true,
  deliveries: true,
  events: true,
  domains: true,
  notes: true,
  members: true,
  invitations: true,
  apiKeys: true,
  users: true,
  agents: true,
  clients: true,
  organizations: true,
  issuerInvitations: true,
  organizationInvitations: true,
  organizationApiKeys: true,
  approvals: true,
  authMethods: true,
  groups: true,
  sessions: true,
  tokens: true,
  trustedDevices: true,
  userVerifiers: true,
  agentVerifiers: true,
}

const IDS: Readonly<Record<string, string>> = {
  account_id: ACCOUNT,
  issuer_id: "i_1",
  user_id: "usr_1",
  agent_id: "agt_1",
  org_id: "org_1",
  webhook_id: "wh_1",
}

/** The scope object a row is mounted on, reached with the ids of `IDS`. */
const scopeOf = (admin: Record<string, unknown>, scope: string): Record<string, unknown> => {
  const enter = (at: Record<string, unknown>, name: string, id: string) =>
    (at[name] as (id: string) => Record<string, unknown>)(id)
  const issuer = () => enter(admin, "issuer", IDS.issuer_id)
  switch (scope) {
    case "account":
      return admin
    case "issuer":
      return issuer()
    case "user":
      return enter(issuer(), "user", IDS.user_id)
    case "agent":
      return enter(issuer(), "agent", IDS.agent_id)
    case "organization":
      return enter(issuer(), "organization", IDS.org_id)
    default:
      return enter(admin, "webhook", IDS.webhook_id)
  }
}

describe("AuthPI client: the resources of the table", () => {
  it("mounts all 23 rows (21 resources) at their scope and accessor, each with exactly its methods", async () => {
    assert.equal(Object.keys(mountedInTheInterfaces).length, Object.keys(RESOURCES).length)
    await exitOf((admin) =>
      Effect.sync(() => {
        for (const [name, spec] of Object.entries(RESOURCES)) {
          const resource = scopeOf(admin as unknown as Record<string, unknown>, spec.scope)[spec.accessor]
          assert.ok(resource !== undefined, `${name} is not mounted at ${spec.scope}.${spec.accessor}`)
          assert.deepEqual(Object.keys(resource as object).sort(), [...methodsOf(spec)].sort(), name)
        }
        assert.deepEqual(Object.keys(admin.accounts).sort(), ["get", "list", "listAll", "update"])
        for (const scope of [admin.issuer("i_1"), admin.issuer("i_1").user("u"), admin.webhook("wh_1")]) {
          assert.equal(typeof scope.get, "function")
        }
      })
    )
  })

  it("sends every operation and action of every row to its endpoint: method, path, parents", async () => {
    const fake = makeFake()
    let checked = 0
    await Effect.runPromiseExit(
      Effect.flatMap(AuthPI, (admin) =>
        Effect.forEach(Object.entries(RESOURCES), ([name, spec]) => {
          const resource = scopeOf(admin as unknown as Record<string, unknown>, spec.scope)[spec.accessor] as Record<
            string,
            (...args: Array<unknown>) => Effect.Effect<unknown, unknown>
          >
          const calls: Array<[string, () => Effect.Effect<unknown, unknown>]> = [
            ...spec.operations.map((operation): [string, () => Effect.Effect<unknown, unknown>] => [
              operation,
              () =>
                operation === "list"
                  ? resource.list()
                  : operation === "create"
                  ? resource.create({ name: "x" })
                  : operation === "update"
                  ? resource.update("id_1", { name: "y" })
                  : resource[operation]("id_1"),
            ]),
            ...Object.entries((spec as { actions?: Record<string, { on: string }> }).actions ?? {}).map((
              [key, action],
            ): [string, () => Effect.Effect<unknown, unknown>] => [
              key,
              () => action.on === "item" ? resource[key]("id_1") : resource[key](),
            ]),
          ]
          return Effect.forEach(calls, ([operation, call]) =>
            Effect.gen(function* () {
              const before = fake.sent.length
              yield* Effect.exit(call())
              const endpoint = AuthPIApi.all.find((e) => e.name === `${name}.${operation}`)!
              const request = fake.sent[before]
              assert.ok(request !== undefined, `${name}.${operation} sent nothing`)
              assert.equal(request.method, endpoint.method, `${name}.${operation}`)
              assert.equal(request.url.pathname, fillPath(endpoint.path, { ...IDS, [spec.id]: "id_1" }))
              checked += 1
            }))
        })).pipe(Effect.provide(fake.layer())),
    )
    assert.equal(checked, AuthPIApi.all.length - 6, "every table endpoint (all but me, accounts.*, the documents)")
  })

  it("create, get, update with ifMatch, delete: the model decoded, unknown fields kept, _etag from ETag", async () => {
    const fake = makeFake()
    const out = await fake.run(Effect.gen(function* () {
      const admin = yield* AuthPI
      const issuer = yield* admin.issuers.create({ name: "Demo", brand_new_field: { kept: true } })
      const users = admin.issuer(issuer.id).users
      const user = yield* users.create({ email: "alice@example.com", display_name: "Alice" })
      const read = yield* admin.issuer(issuer.id).user(user.id).get()
      const updated = yield* users.update(user.id, { display_name: "Bob" }, { ifMatch: read._etag })
      yield* users.delete(user.id, { ifMatch: updated._etag })
      const gone = yield* Effect.flip(users.get(user.id))
      return { issuer, user, read, updated, gone }
    }))
    assert.deepEqual(out.issuer.brand_new_field, { kept: true })
    assert.match(out.issuer.id, /^i_/)
    assert.equal(out.user.issuer_id, out.issuer.id)
    assert.equal(out.read._etag, `"${out.read.updated_at}"`)
    assert.equal(out.updated.display_name, "Bob")
    assert.equal(out.updated._etag, `"${out.updated.updated_at}"`)
    assert.notEqual(out.updated._etag, out.read._etag)
    assert.equal(out.gone._tag, "NotFoundError")
    const patch = fake.to(`/users/${out.user.id}`, "PATCH")[0]
    assert.equal(patch.headers["if-match"], out.read._etag)
    assert.deepEqual(JSON.parse(patch.body), { display_name: "Bob" })
    assert.equal(fake.to(`/users/${out.user.id}`, "DELETE")[0].headers["if-match"], out.updated._etag)
  })

  it("scopes reach their nested paths: user sessions, organization invitations, webhook deliveries", async () => {
    const fake = makeFake()
    fake.seed("sessions", { issuer_id: "i_1", user_id: "usr_1" }, { id: "ses_1", status: "active" })
    const out = await fake.run(Effect.gen(function* () {
      const admin = yield* AuthPI
      const sessions = yield* admin.issuer("i_1").user("usr_1").sessions.list()
      const revoked = yield* admin.issuer("i_1").user("usr_1").sessions.revoke("ses_1")
      const suspended = yield* admin.issuer("i_1").user("usr_1").sessions.suspend("ses_1", { idempotencyKey: "k-s" })
      yield* admin.issuer("i_1").organization("org_1").invitations.list()
      yield* admin.webhook("wh_1").deliveries.list()
      yield* admin.issuer("i_1").agent("agt_1").verifiers.list()
      return { sessions, revoked, suspended }
    }))
    assert.equal(out.sessions.data[0].id, "ses_1")
    assert.equal(out.revoked.status, "revoked")
    assert.equal(out.suspended.status, "suspended")
    assert.equal(out.suspended._etag, `"${out.suspended.updated_at}"`)
    assert.equal(fake.to("/sessions/ses_1/suspend", "POST")[0].headers["idempotency-key"], "k-s")
    const below = fillPath(ACCOUNT_PATH, { account_id: ACCOUNT })
    assert.deepEqual(fake.sent.map((s) => `${s.method} ${s.url.pathname.replace(below, "")}`), [
      "GET /issuers/i_1/users/usr_1/sessions",
      "POST /issuers/i_1/sessions/ses_1/revoke",
      "POST /issuers/i_1/sessions/ses_1/suspend",
      "GET /issuers/i_1/organizations/org_1/invitations",
      "GET /webhooks/wh_1/deliveries",
      "GET /issuers/i_1/agents/agt_1/verifiers",
    ])
  })

  it("custom actions: approve and reject POST with a key; events.aggregate GETs with the filters", async () => {
    const fake = makeFake()
    fake.seed("approvals", { issuer_id: "i_1" }, { id: "usr_9", user_id: "usr_9", status: "pending" })
    fake.seed("events", {}, { type: "user.created", data: {} })
    fake.seed("events", {}, { type: "user.created", data: {} })
    fake.seed("events", {}, { type: "issuer.created", data: {} })
    const out = await fake.run(Effect.gen(function* () {
      const admin = yield* AuthPI
      const approved = yield* admin.issuer("i_1").approvals.approve("usr_9")
      const counts = yield* admin.events.aggregate({ event_types: ["user.created", "issuer.created"] })
      return { approved, counts }
    }))
    assert.equal(out.approved.status, "approved")
    assert.deepEqual(out.counts, { total: 3, by_type: { "user.created": 2, "issuer.created": 1 } })
    const [approve] = fake.to("/approvals/usr_9/approve", "POST")
    assert.match(approve.headers["idempotency-key"], /^[0-9a-f-]{36}$/)
    assert.equal(fake.to("/events/aggregate")[0].url.searchParams.get("event_types"), "user.created,issuer.created")
  })

  it("filters travel as the API reads them: strings, booleans, comma lists, Unix ms", async () => {
    const fake = makeFake()
    const after = new Date(1_700_000_000_000)
    await fake.run(Effect.flatMap(AuthPI, (admin) =>
      Effect.all([
        admin.issuer("i_1").organizations.list({ status: "active", sso_enabled: true, mfa_required: false }),
        admin.events.list({ event_types: ["user.created", "user.updated"], after, before: 1_800_000_000_000 }),
        admin.notes.list({ pinned: false, mentions_user_id: "usr_1", limit: 5 }),
      ])))
    const query = (i: number) => Object.fromEntries(fake.sent[i].url.searchParams)
    assert.deepEqual(query(0), { status: "active", sso_enabled: "true", mfa_required: "false" })
    assert.deepEqual(query(1), {
      event_types: "user.created,user.updated",
      after: "1700000000000",
      before: "1800000000000",
    })
    assert.deepEqual(query(2), { pinned: "false", mentions_user_id: "usr_1", limit: "5" })
  })

  it("a list filter reaches the API as a query, and its answer comes back as sent, not filtered again", async () => {
    const fake = makeFake()
    // The API's answer is what counts: the client sends the filter and keeps the page as it came.
    const answered = [{ id: "usr_a", status: "suspended" }, { id: "usr_b", status: "active" }]
      .map((user) => ({ ...user, issuer_id: "i_1", created_at: 1, updated_at: 1 }))
    fake.fault({
      match: (r) => r.url.includes("/users"),
      respond: () => Response.json({ data: answered, has_more: false, next_cursor: null }),
    })
    const page = await fake.run(
      Effect.flatMap(AuthPI, (admin) => admin.issuer("i_1").users.list({ status: "suspended", limit: 2 })),
    )
    const [sent] = fake.to("/issuers/i_1/users")
    assert.equal(sent.method, "GET")
    assert.deepEqual(Object.fromEntries(sent.url.searchParams), { status: "suspended", limit: "2" })
    assert.deepEqual(page.data.map((user) => [user.id, user.status]), [["usr_a", "suspended"], ["usr_b", "active"]])
  })

  it("me(), and accounts: list, get, update", async () => {
    const fake = makeFake()
    const out = await fake.run(Effect.gen(function* () {
      const admin = yield* AuthPI
      return {
        me: yield* admin.me(),
        list: yield* admin.accounts.list(),
        one: yield* admin.accounts.get(ACCOUNT),
        updated: yield* admin.accounts.update(ACCOUNT, { name: "Renamed" }, { ifMatch: '"1"' }),
      }
    }))
    assert.equal(out.me.type, "api_key")
    assert.equal(out.me.accounts[0].account_id, ACCOUNT)
    assert.equal(out.list.data[0].id, ACCOUNT)
    assert.equal(out.one.id, ACCOUNT)
    assert.equal(out.updated.name, "Renamed")
    assert.equal(out.updated._etag, '"2"')
    assert.deepEqual(fake.sent.map((s) => `${s.method} ${s.url.pathname}`), [
      "GET /v1/me",
      "GET /v1/accounts",
      `GET /v1/accounts/${ACCOUNT}`,
      `PATCH /v1/accounts/${ACCOUNT}`,
    ])
  })
})

// ---------------------------------------------------------------------------------------------

describe("AuthPI client: pages", () => {
  it("list answers a Page: data, hasMore, nextCursor; the next page follows the cursor", async () => {
    const fake = makeFake()
    for (let i = 0; i < 5; i++) fake.seed("issuers", {}, { name: `issuer ${i}` })
    const [first, second] = await fake.run(Effect.gen(function* () {
      const admin = yield* AuthPI
      const first = yield* admin.issuers.list({ limit: 3 })
      return [first, yield* admin.issuers.list({ limit: 3, cursor: first.nextCursor! })]
    }))
    assert.deepEqual(first.data.map((i) => i.name), ["issuer 4", "issuer 3", "issuer 2"])
    assert.equal(first.hasMore, true)
    assert.equal(first.nextCursor, first.data[2].id)
    assert.deepEqual(second.data.map((i) => i.name), ["issuer 1", "issuer 0"])
    assert.equal(second.hasMore, false)
    assert.equal(second.nextCursor, null)
  })

  it("listAll streams 1,000 users across 10 pages of 100, newest first, each once", async () => {
    const fake = makeFake()
    for (let i = 0; i < 1000; i++) fake.seed("users", { issuer_id: "i_1" }, { email: `u${i}@example.com` })
    const users = await fake.run(
      Effect.flatMap(
        AuthPI,
        (admin) => Stream.runCollect(admin.issuer("i_1").users.listAll({ limit: 100, status: "active" })),
      ),
    )
    assert.equal(users.length, 1000)
    assert.equal(new Set(users.map((u) => u.id)).size, 1000)
    assert.equal(users[0].email, "u999@example.com")
    assert.equal(users[999].email, "u0@example.com")
    const pages = fake.to("/issuers/i_1/users")
    assert.equal(pages.length, 10)
    assert.ok(pages.every((p) => p.url.searchParams.get("status") === "active"))
  })

  it("listAll pulls a page only when the stream needs it", async () => {
    const fake = makeFake()
    for (let i = 0; i < 250; i++) fake.seed("issuers", {}, { name: `i${i}` })
    const five = await fake.run(
      Effect.flatMap(AuthPI, (admin) => Stream.runCollect(Stream.take(admin.issuers.listAll({ limit: 100 }), 5))),
    )
    assert.equal(five.length, 5)
    assert.equal(fake.sent.length, 1)
  })

  it("listAll stops when next_cursor is null even if has_more says true", async () => {
    const fake = makeFake()
    fake.fault({
      respond: () =>
        Response.json({
          data: [{ id: "i_1", name: "only", created_at: 1, updated_at: 1 }],
          has_more: true,
          next_cursor: null,
        }),
    })
    const all = await fake.run(Effect.flatMap(AuthPI, (admin) => Stream.runCollect(admin.issuers.listAll())))
    assert.equal(all.length, 1)
    assert.equal(fake.sent.length, 1)
  })
})

// ---------------------------------------------------------------------------------------------

describe("AuthPI client: errors", () => {
  const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => () =>
    typeof body === "string" ? new Response(body, { status, headers }) : Response.json(body, { status, headers })

  const cases: ReadonlyArray<[number, string, boolean]> = [
    [400, "ValidationError", false],
    [401, "AuthenticationError", false],
    [403, "ForbiddenError", false],
    [404, "NotFoundError", false],
    [405, "UnexpectedError", false],
    [409, "ConflictError", false],
    [412, "PreconditionFailedError", false],
    [415, "UnexpectedError", false],
    [422, "ValidationError", false],
    [429, "RateLimitError", true],
    [500, "InternalServerError", false],
    [501, "UnexpectedError", false],
    [502, "BadGatewayError", true],
    [503, "ServiceUnavailableError", true],
    [504, "GatewayTimeoutError", true],
    [418, "UnexpectedError", false],
  ]
  for (const [status, tag, retryable] of cases) {
    it(`${status} is ${tag} (retryable: ${retryable}) with error, errorDescription, reference, rawBody`, async () => {
      const fake = makeFake()
      const body = { error: "some_code", error_description: `what ${status} means`, reference: "ref_1" }
      fake.fault({ respond: answer(status, body) })
      const { exit } = await exitOf(
        (admin) => admin.issuer("i_1").users.update("usr_1", { name: "x" }),
        { ...keyed, retries: false },
        fake,
      )
      const error = errorOf(exit)
      assert.equal(error._tag, tag)
      assert.ok(isApiError(error))
      assert.equal(isServerError(error), [500, 502, 503, 504].includes(status))
      if (!isApiError(error)) return
      assert.equal(error.status, status)
      assert.equal(error.error, "some_code")
      assert.equal(error.errorDescription, `what ${status} means`)
      assert.equal(error.retryable, retryable)
      assert.equal(error.reference, "ref_1")
      assert.deepEqual(JSON.parse(error.rawBody!), body)
      assert.match(error.message, new RegExp(`${status} some_code: what ${status} means`))
    })
  }

  it("ValidationError.fields from the body's fields, or its errors; reference from x-request-id", async () => {
    const fake = makeFake()
    fake.fault({ respond: answer(400, { error: "invalid_request", fields: { name: "is required" } }) })
    fake.fault({ respond: answer(422, { error: "invalid_request", errors: { email: "is not an email" } }) })
    const first = errorOf((await exitOf((admin) => admin.issuers.create({}), keyed, fake)).exit)
    const second = errorOf((await exitOf((admin) => admin.issuers.create({}), keyed, fake)).exit)
    assert.ok(first._tag === "ValidationError" && second._tag === "ValidationError")
    assert.deepEqual(first.fields, { name: "is required" })
    assert.deepEqual(second.fields, { email: "is not an email" })
    assert.match(first.reference ?? "", /^req_/)
  })

  it("412 carries currentEtag from the body's currentETag (a real If-Match mismatch)", async () => {
    const fake = makeFake()
    const user = fake.seed("users", { issuer_id: "i_1" })
    const { exit } = await exitOf(
      (admin) => admin.issuer("i_1").users.update(user.id, { display_name: "B" }, { ifMatch: '"1"' }),
      keyed,
      fake,
    )
    const error = errorOf(exit)
    assert.equal(error._tag, "PreconditionFailedError")
    assert.ok(error._tag === "PreconditionFailedError")
    assert.equal(error.currentEtag, `"${user.updated_at}"`)
    assert.equal(error.error, "precondition_failed")
    assert.equal(error.retryable, false)
  })

  it("412 without currentETag in the body takes the ETag header", async () => {
    const fake = makeFake()
    fake.fault({ respond: answer(412, { error: "precondition_failed" }, { etag: '"42"' }) })
    const error = errorOf((await exitOf((admin) => admin.issuers.delete("i_1", { ifMatch: '"1"' }), keyed, fake)).exit)
    assert.ok(error._tag === "PreconditionFailedError")
    assert.equal(error.currentEtag, '"42"')
  })

  it("a non-JSON 429 with Retry-After in seconds is a RateLimitError: retryAfter, rate_limited, the raw text", async () => {
    const fake = makeFake()
    fake.fault({ respond: answer(429, "Too Many Requests", { "retry-after": "7", "content-type": "text/plain" }) })
    const { exit } = await exitOf((admin) => admin.issuers.list(), { ...keyed, retries: false }, fake)
    const error = errorOf(exit)
    assert.ok(error._tag === "RateLimitError")
    assert.ok(error.retryAfter !== undefined && Duration.isDuration(error.retryAfter))
    assert.ok(Duration.equals(error.retryAfter, Duration.seconds(7)), String(error.retryAfter))
    assert.equal(Duration.toSeconds(error.retryAfter), 7)
    assert.equal(error.error, "rate_limited")
    assert.equal(error.rawBody, "Too Many Requests")
    assert.equal(error.retryable, true)
    assert.equal(error.errorDescription, undefined)
  })

  it("a non-JSON 429 with Retry-After as an HTTP-date gives the seconds until then", async () => {
    const fake = makeFake()
    const date = new Date(Date.now() + 30_000).toUTCString()
    fake.fault({ respond: answer(429, "<html>slow down</html>", { "retry-after": date }) })
    const error = errorOf((await exitOf((admin) => admin.issuers.list(), { ...keyed, retries: false }, fake)).exit)
    assert.ok(error._tag === "RateLimitError")
    assert.ok(error.retryAfter !== undefined && Duration.isDuration(error.retryAfter))
    const seconds = Duration.toSeconds(error.retryAfter)
    assert.ok(Number.isInteger(seconds) && seconds >= 28 && seconds <= 30, `retryAfter ${seconds} s`)
  })

  it("a 409 or a 412 to a read is an UnexpectedError: a read's error type names what it can fail with", async () => {
    const fake = makeFake()
    fake.fault({ respond: answer(409, { error: "conflict" }) })
    const error = errorOf((await exitOf((admin) => admin.issuers.get("i_1"), keyed, fake)).exit)
    assert.equal(error._tag, "UnexpectedError")
    assert.equal(error._tag === "UnexpectedError" && error.status, 409)
  })

  it("a 412 to a create or a POST action is an UnexpectedError (they send no If-Match); an update keeps it", async () => {
    const fake = makeFake()
    fake.fault({ times: 3, respond: answer(412, { error: "precondition_failed", currentETag: '"9"' }) })
    const outcomes = await fake.run(Effect.gen(function* () {
      const admin = yield* AuthPI
      return [
        yield* Effect.flip(admin.issuers.create({ name: "x" })),
        yield* Effect.flip(admin.issuer("i_1").approvals.approve("usr_1")),
        yield* Effect.flip(admin.issuers.update("i_1", { name: "y" }, { ifMatch: '"1"' })),
      ]
    }))
    assert.deepEqual(outcomes.map((error) => [error._tag, "status" in error && error.status]), [
      ["UnexpectedError", 412],
      ["UnexpectedError", 412],
      ["PreconditionFailedError", 412],
    ])
  })

  it("me(): a 400, 403 or 404 is an UnexpectedError; a 401 stays AuthenticationError", async () => {
    const fake = makeFake()
    for (const status of [400, 403, 404, 401]) fake.fault({ respond: answer(status, { error: "some_code" }) })
    const outcomes = await fake.run(
      Effect.flatMap(AuthPI, (admin) => Effect.forEach([1, 2, 3, 4], () => Effect.flip(admin.me()))),
    )
    assert.deepEqual(outcomes.map((error) => error._tag), [
      "UnexpectedError",
      "UnexpectedError",
      "UnexpectedError",
      "AuthenticationError",
    ])
  })

  it("the error types name what each method can fail with", () => {
    type Tags<T> = T extends Effect.Effect<infer _A, infer E, infer _R> ? E extends { _tag: infer G } ? G : never
      : T extends Stream.Stream<infer _A, infer E, infer _R> ? E extends { _tag: infer G } ? G : never
      : never
    type Lacks<T, Tag extends string> = [Extract<Tags<T>, Tag>] extends [never] ? true : false
    type Has<T, Tag extends string> = [Extract<Tags<T>, Tag>] extends [never] ? false : true
    type Service = AuthPIService
    const checks: {
      createNo412: Lacks<ReturnType<Service["issuers"]["create"]>, "PreconditionFailedError">
      createHas409: Has<ReturnType<Service["issuers"]["create"]>, "ConflictError">
      actionNo412: Lacks<ReturnType<IssuerScope["approvals"]["approve"]>, "PreconditionFailedError">
      updateHas412: Has<ReturnType<Service["issuers"]["update"]>, "PreconditionFailedError">
      meNoConfiguration: Lacks<ReturnType<Service["me"]>, "ConfigurationError">
      meNoValidation: Lacks<ReturnType<Service["me"]>, "ValidationError">
      accountsNoConfiguration: Lacks<ReturnType<Service["accounts"]["list"]>, "ConfigurationError">
      accountsAllNoConfiguration: Lacks<ReturnType<Service["accounts"]["listAll"]>, "ConfigurationError">
      accountUpdateNoConfiguration: Lacks<ReturnType<Service["accounts"]["update"]>, "ConfigurationError">
      issuersHaveConfiguration: Has<ReturnType<Service["issuers"]["list"]>, "ConfigurationError">
    } = {
      createNo412: true,
      createHas409: true,
      actionNo412: true,
      updateHas412: true,
      meNoConfiguration: true,
      meNoValidation: true,
      accountsNoConfiguration: true,
      accountsAllNoConfiguration: true,
      accountUpdateNoConfiguration: true,
      issuersHaveConfiguration: true,
    }
    assert.ok(Object.values(checks).every(Boolean))
  })

  it("a 2xx that does not match the contract is an UnexpectedError invalid_response", async () => {
    const fake = makeFake()
    fake.fault({ respond: () => Response.json({ data: { nothing: "useful" } }) })
    const error = errorOf((await exitOf((admin) => admin.issuers.get("i_1"), keyed, fake)).exit)
    assert.ok(error._tag === "UnexpectedError")
    assert.equal(error.error, "invalid_response")
    assert.equal(error.status, 200)
  })

  it("a refused connection is a ConnectionError; no answer within timeout is one with timeout: true", async () => {
    const fake = makeFake()
    fake.fault({
      respond: () => {
        throw new TypeError("connection refused")
      },
    })
    fake.fault({ respond: () => new Promise<Response>(() => {}) })
    const refused = errorOf((await exitOf((admin) => admin.issuers.list(), { ...keyed, retries: false }, fake)).exit)
    assert.ok(refused._tag === "ConnectionError")
    assert.equal(refused.timeout, false)
    const slow = errorOf(
      (await exitOf((admin) => admin.issuers.list(), { ...keyed, retries: false, timeout: "50 millis" }, fake)).exit,
    )
    assert.ok(slow._tag === "ConnectionError")
    assert.equal(slow.timeout, true)
  })
})

// ---------------------------------------------------------------------------------------------

describe("AuthPI client: retries, idempotency keys", () => {
  const busy = (status = 503, times = 100) => ({ times, respond: () => new Response("busy", { status }) })

  it("a GET is retried 3 times on 503 (4 requests), then fails with ServiceUnavailableError", async () => {
    const fake = makeFake()
    fake.fault(busy())
    const { exit } = await exitOf((admin) => admin.issuers.list(), { ...keyed, retries: fast }, fake)
    assert.equal(tagOf(errorOf(exit)), "ServiceUnavailableError")
    assert.equal(fake.sent.length, 4)
  })

  for (const status of [429, 502, 504]) {
    it(`a GET is retried on ${status} and succeeds when the API recovers`, async () => {
      const fake = makeFake()
      fake.fault(busy(status, 2))
      const { exit } = await exitOf((admin) => admin.issuers.list(), { ...keyed, retries: fast }, fake)
      assert.ok(Exit.isSuccess(exit))
      assert.equal(fake.sent.length, 3)
    })
  }

  it("a GET is not retried on 500, nor on 404", async () => {
    for (const status of [500, 404]) {
      const fake = makeFake()
      fake.fault(busy(status))
      await exitOf((admin) => admin.issuers.list(), { ...keyed, retries: fast }, fake)
      assert.equal(fake.sent.length, 1, `status ${status}`)
    }
  })

  it("retries: false sends once; { limit: 1 } twice", async () => {
    const off = makeFake()
    off.fault(busy())
    await exitOf((admin) => admin.issuers.list(), { ...keyed, retries: false }, off)
    assert.equal(off.sent.length, 1)
    const none = makeFake()
    none.fault(busy())
    await exitOf((admin) => admin.issuers.list(), { ...keyed, retries: RetryPolicy.none }, none)
    assert.equal(none.sent.length, 1)
    const once = makeFake()
    once.fault(busy())
    await exitOf((admin) => admin.issuers.list(), { ...keyed, retries: { limit: 1, delay: "1 millis" } }, once)
    assert.equal(once.sent.length, 2)
  })

  it("every create carries a generated Idempotency-Key, a new one per call", async () => {
    const fake = makeFake()
    await exitOf(
      (admin) => Effect.all([admin.issuers.create({ name: "a" }), admin.issuers.create({ name: "b" })]),
      keyed,
      fake,
    )
    const keys = fake.sent.map((s) => s.headers["idempotency-key"])
    assert.equal(keys.length, 2)
    for (const key of keys) assert.match(key, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    assert.notEqual(keys[0], keys[1])
  })

  it("a given idempotencyKey is sent as is, and a replay answers the first result", async () => {
    const fake = makeFake()
    const { exit } = await exitOf(
      (admin) =>
        Effect.all([
          admin.issuers.create({ name: "a" }, { idempotencyKey: "order-42" }),
          admin.issuers.create({ name: "a" }, { idempotencyKey: "order-42" }),
        ]),
      keyed,
      fake,
    )
    assert.ok(Exit.isSuccess(exit))
    assert.equal(exit.value[0].id, exit.value[1].id)
    assert.deepEqual(fake.sent.map((s) => s.headers["idempotency-key"]), ["order-42", "order-42"])
    assert.equal(fake.counts.applied, 1)
  })

  it("a POST that meets 502 twice is retried with the same key and applied once", async () => {
    const fake = makeFake()
    fake.fault({ ...busy(502, 2), match: (r) => r.method === "POST" })
    const { exit } = await exitOf((admin) => admin.issuers.create({ name: "once" }), { ...keyed, retries: fast }, fake)
    assert.ok(Exit.isSuccess(exit))
    const keys = fake.sent.map((s) => s.headers["idempotency-key"])
    assert.equal(keys.length, 3)
    assert.equal(new Set(keys).size, 1)
    assert.deepEqual(fake.sent.map((s) => s.body), Array(3).fill(JSON.stringify({ name: "once" })))
    assert.equal(fake.counts.applied, 1)
  })

  it("a POST that timed out while applied meets 409 + Retry-After (its own key in flight), waits, and gets the 201 replayed", async () => {
    const fake = makeFake()
    const post = (r: Request) => r.method === "POST"
    // 1: served, but answered after the client's timeout; 2: the API still holds the key in flight.
    fake.fault({ match: post, respond: "late", lateMs: 300 })
    fake.fault({
      match: post,
      respond: () =>
        Response.json(
          { error: "conflict", error_description: "A request with this Idempotency-Key is still in progress" },
          { status: 409, headers: { "retry-after": "0" } },
        ),
    })
    const issuer = await fake.run(
      Effect.flatMap(AuthPI, (admin) => admin.issuers.create({ name: "Once" }, { idempotencyKey: "k-409" })),
      { ...keyed, timeout: "100 millis", retries: fast },
    )
    assert.equal(issuer.name, "Once")
    const posts = fake.to("/issuers", "POST")
    assert.equal(posts.length, 3)
    assert.ok(posts.every((p) => p.headers["idempotency-key"] === "k-409"))
    assert.equal(fake.counts.applied, 1)
    assert.equal([...fake.items.values()].filter((i) => i.name === "Once").length, 1)
  })

  it("a 409 without Retry-After (a real conflict), or to a request without our key, is not retried", async () => {
    const fake = makeFake()
    fake.fault({ respond: () => Response.json({ error: "conflict" }, { status: 409 }) })
    const conflict = errorOf(
      (await exitOf((admin) => admin.domains.create({ host: "a.example.com" }), {
        ...keyed,
        retries: fast,
      }, fake)).exit,
    )
    assert.equal(tagOf(conflict), "ConflictError")
    assert.equal(fake.to("/domains", "POST").length, 1)
    // An update without ifMatch or key carries no Idempotency-Key: its 409 + Retry-After is final.
    fake.fault({
      respond: () => Response.json({ error: "conflict" }, { status: 409, headers: { "retry-after": "0" } }),
    })
    const update = errorOf(
      (await exitOf((admin) => admin.issuers.update("i_1", { name: "x" }), {
        ...keyed,
        retries: fast,
      }, fake)).exit,
    )
    assert.equal(tagOf(update), "ConflictError")
    assert.equal(fake.to("/issuers/i_1", "PATCH").length, 1)
  })

  it("a POST whose answer was lost (connection dropped) is retried with its key and applied once", async () => {
    const fake = makeFake()
    fake.fault({ respond: "lost", match: (r) => r.method === "POST" })
    const { exit } = await exitOf((admin) => admin.issuers.create({ name: "once" }), { ...keyed, retries: fast }, fake)
    assert.ok(Exit.isSuccess(exit))
    assert.equal(fake.sent.length, 2)
    assert.equal(fake.counts.applied, 1)
    assert.equal([...fake.items.values()].filter((item) => item.name === "once").length, 1)
  })

  it("a POST with retries: false is sent once even on 503", async () => {
    const fake = makeFake()
    fake.fault(busy())
    await exitOf((admin) => admin.issuers.create({ name: "x" }), { ...keyed, retries: false }, fake)
    assert.equal(fake.sent.length, 1)
  })

  it("a PATCH or DELETE without ifMatch carries no key and is never retried", async () => {
    for (
      const call of [
        (a: AuthPIService) => a.issuers.update("i_1", { name: "x" }),
        (a: AuthPIService) => a.issuers.delete("i_1"),
      ]
    ) {
      const fake = makeFake()
      fake.fault(busy())
      await exitOf(call, { ...keyed, retries: fast }, fake)
      assert.equal(fake.sent.length, 1)
      assert.equal(fake.sent[0].headers["idempotency-key"], undefined)
    }
  })

  it("a PATCH or DELETE with ifMatch carries a key and is retried with it", async () => {
    for (const method of ["PATCH", "DELETE"]) {
      const fake = makeFake()
      const issuer = fake.seed("issuers", {}, { name: "old" })
      const etag = `"${issuer.updated_at}"`
      fake.fault({ ...busy(503, 2), match: (r) => r.method === method })
      const { exit } = await exitOf(
        (admin) =>
          method === "PATCH"
            ? admin.issuers.update(issuer.id, { name: "new" }, { ifMatch: etag })
            : admin.issuers.delete(issuer.id, { ifMatch: etag }),
        { ...keyed, retries: fast },
        fake,
      )
      assert.ok(Exit.isSuccess(exit), method)
      assert.equal(fake.sent.length, 3)
      assert.equal(new Set(fake.sent.map((s) => s.headers["idempotency-key"])).size, 1)
      assert.ok(fake.sent.every((s) => s.headers["if-match"] === etag))
      assert.equal(fake.counts.applied, 1)
    }
  })
})

// ---------------------------------------------------------------------------------------------

describe("AuthPI client: backoff on virtual time", () => {
  /** An HttpClient answering `statuses` in turn (then 200 with an empty page), noting when each request came. */
  const timed = (statuses: ReadonlyArray<number>, headers: Record<string, string> = {}) => {
    const fake = makeFake()
    const at: Array<number> = []
    let i = 0
    fake.fault({
      times: statuses.length,
      respond: () => new Response("busy", { status: statuses[i++], headers }),
    })
    const http = Layer.effect(
      HttpClient.HttpClient,
      Effect.map(
        HttpClient.HttpClient,
        (inner) =>
          HttpClient.transform(inner, (effect) =>
            Effect.flatMap(Clock.currentTimeMillis, (now) => {
              at.push(now)
              return effect
            })),
      ),
    ).pipe(Layer.provide(fake.http))
    const layer = (options: AuthPICredentialOptions) =>
      AuthPI.layer({ baseUrl: BASE_URL, ...keyed, ...options }).pipe(Layer.provide(http))
    return { at, layer, fake }
  }
  const gaps = (at: ReadonlyArray<number>) => at.slice(1).map((t, i) => t - at[i])

  itVirtual("the default: 3 retries after 1 s, 2 s, 4 s", () =>
    Effect.gen(function* () {
      const { at, layer } = timed([503, 503, 503, 503])
      const exit = yield* runVirtual(Effect.flatMap(AuthPI, (a) => a.issuers.list()).pipe(Effect.provide(layer({}))))
      assert.equal(tagOf(errorOf(exit)), "ServiceUnavailableError")
      assert.deepEqual(gaps(at), [1000, 2000, 4000])
    }))

  itVirtual("exponential: delay, 2·delay, 4·delay, 8·delay", () =>
    Effect.gen(function* () {
      const { at, layer } = timed([502, 502, 502, 502])
      const options = { retries: { limit: 4, delay: "500 millis", backoff: "exponential" } } as const
      const exit = yield* runVirtual(
        Effect.flatMap(AuthPI, (a) => a.issuers.list()).pipe(Effect.provide(layer(options))),
      )
      assert.ok(Exit.isSuccess(exit))
      assert.deepEqual(gaps(at), [500, 1000, 2000, 4000])
    }))

  itVirtual("linear: delay, 2·delay, 3·delay, 4·delay", () =>
    Effect.gen(function* () {
      const { at, layer } = timed([502, 502, 502, 502])
      const options = { retries: { limit: 4, delay: "500 millis", backoff: "linear" } } as const
      const exit = yield* runVirtual(
        Effect.flatMap(AuthPI, (a) => a.issuers.list()).pipe(Effect.provide(layer(options))),
      )
      assert.ok(Exit.isSuccess(exit))
      assert.deepEqual(gaps(at), [500, 1000, 1500, 2000])
    }))

  itVirtual(
    "the default timeout: no answer within 30 s is a ConnectionError with timeout: true",
    () =>
      Effect.gen(function* () {
        const fake = makeFake()
        fake.fault({ respond: () => new Promise<Response>(() => {}) })
        const layer = AuthPI.layer({ baseUrl: BASE_URL, ...keyed, retries: false }).pipe(Layer.provide(fake.http))
        const started = yield* Clock.currentTimeMillis
        const exit = yield* runVirtual(
          Effect.flatMap(AuthPI, (a) => a.issuers.list()).pipe(Effect.provide(layer)),
          "1 second",
        )
        const error = errorOf(exit)
        assert.ok(error._tag === "ConnectionError" && error.timeout)
        assert.equal((yield* Clock.currentTimeMillis) - started, 30_000)
      }),
  )

  itVirtual("Retry-After is honoured: a 429 asking for 5 s waits 5 s", () =>
    Effect.gen(function* () {
      const { at, layer } = timed([429], { "retry-after": "5" })
      const exit = yield* runVirtual(Effect.flatMap(AuthPI, (a) => a.issuers.list()).pipe(Effect.provide(layer({}))))
      assert.ok(Exit.isSuccess(exit))
      assert.deepEqual(gaps(at), [5000])
    }))
})

// ---------------------------------------------------------------------------------------------

describe("AuthPI client: credentials", () => {
  it("an API key is sent as Bearer; a key_id:secret key as Basic", async () => {
    const bearer = makeFake()
    await exitOf((admin) => admin.issuers.list(), { apiKey: "key_abc", accountId: ACCOUNT }, bearer)
    assert.equal(bearer.sent[0].headers.authorization, "Bearer key_abc")
    const basic = makeFake()
    await exitOf((admin) => admin.issuers.list(), { apiKey: "key_id1:s3cret", accountId: ACCOUNT }, basic)
    assert.equal(basic.sent[0].headers.authorization, `Basic ${btoa("key_id1:s3cret")}`)
  })

  it("an access token with accountId is sent as Bearer, with no /v1/me", async () => {
    const fake = makeFake()
    await exitOf((admin) => admin.issuers.list(), { accessToken: Redacted.make("tok_abc"), accountId: ACCOUNT }, fake)
    assert.deepEqual(fake.sent.map((s) => s.headers.authorization), ["Bearer tok_abc"])
    assert.equal(fake.counts.me, 0)
  })

  it("100 concurrent 401s share exactly one refresh; every request is resent once with the new token", async () => {
    const fake = makeFake()
    fake.accepted.add("Bearer tok_new")
    let refreshes = 0
    const { exit } = await exitOf(
      (admin) => Effect.all(Array.from({ length: 100 }, () => admin.issuers.list()), { concurrency: "unbounded" }),
      {
        accessToken: "tok_old",
        accountId: ACCOUNT,
        onTokenExpired: async () => {
          refreshes += 1
          await new Promise((resolve) => setTimeout(resolve, 10))
          return { access_token: "tok_new" }
        },
      },
      fake,
    )
    assert.ok(Exit.isSuccess(exit), String(Exit.isFailure(exit) && exit.cause))
    assert.equal(refreshes, 1)
    const used = fake.sent.map((s) => s.headers.authorization)
    assert.equal(used.filter((a) => a === "Bearer tok_new").length, 100)
    assert.ok(used.filter((a) => a === "Bearer tok_old").length <= 100)
  })

  it("onTokenExpired as an Effect works the same", async () => {
    const fake = makeFake()
    fake.accepted.add("Bearer tok_new")
    const { exit } = await exitOf((admin) => admin.issuers.list(), {
      accessToken: "tok_old",
      accountId: ACCOUNT,
      onTokenExpired: Effect.succeed("tok_new"),
    }, fake)
    assert.ok(Exit.isSuccess(exit))
    assert.deepEqual(fake.sent.map((s) => s.headers.authorization), ["Bearer tok_old", "Bearer tok_new"])
  })

  it("a second 401 after the refresh is an AuthenticationError; the request was sent twice", async () => {
    const fake = makeFake()
    fake.accepted.add("Bearer nothing-works")
    let refreshes = 0
    const { exit } = await exitOf((admin) => admin.issuers.list(), {
      accessToken: "tok_old",
      accountId: ACCOUNT,
      onTokenExpired: () => {
        refreshes += 1
        return Promise.resolve("tok_still_bad")
      },
    }, fake)
    const error = errorOf(exit)
    assert.equal(error._tag, "AuthenticationError")
    assert.equal(refreshes, 1)
    assert.equal(fake.sent.length, 2)
  })

  it("without onTokenExpired a 401 is an AuthenticationError at once", async () => {
    const fake = makeFake()
    fake.accepted.add("Bearer other")
    const { exit } = await exitOf((admin) => admin.issuers.list(), keyed, fake)
    assert.equal(tagOf(errorOf(exit)), "AuthenticationError")
    assert.equal(fake.sent.length, 1)
  })

  it("a refresh that fails is an AuthenticationError that does not repeat what the callback threw", async () => {
    const fake = makeFake()
    fake.accepted.add("Bearer tok_new")
    const { exit } = await exitOf((admin) => admin.issuers.list(), {
      accessToken: "tok_old",
      accountId: ACCOUNT,
      onTokenExpired: () => Promise.reject(new Error("refresh_token rt_SECRET was revoked")),
    }, fake)
    const error = errorOf(exit)
    assert.ok(error._tag === "AuthenticationError")
    assert.equal(error.error, "token_refresh_failed")
    assert.doesNotMatch(inspect(error) + JSON.stringify(error), /rt_SECRET/)
  })

  it("accountId is resolved once through /v1/me for 50 concurrent first calls, then cached", async () => {
    const fake = makeFake()
    const { exit } = await exitOf(
      (admin) =>
        Effect.gen(function* () {
          yield* Effect.all(Array.from({ length: 50 }, () => admin.issuers.list()), { concurrency: "unbounded" })
          yield* admin.issuer("i_1").users.list()
        }),
      { apiKey: "key_test" },
      fake,
    )
    assert.ok(Exit.isSuccess(exit))
    assert.equal(fake.counts.me, 1)
    assert.equal(fake.to("/issuers").length, 50)
    assert.ok(fake.to("/issuers").every((s) => s.url.pathname === `/v1/accounts/${ACCOUNT}/issuers`))
  })

  it("a failed /v1/me is not cached: the next call asks again", async () => {
    const fake = makeFake()
    fake.fault({ match: (r) => r.url.endsWith("/v1/me"), respond: () => new Response("down", { status: 500 }) })
    const { exit } = await exitOf(
      (admin) =>
        Effect.gen(function* () {
          const first = yield* Effect.flip(admin.issuers.list())
          yield* admin.issuers.list()
          return first
        }),
      { apiKey: "key_test" },
      fake,
    )
    assert.ok(Exit.isSuccess(exit))
    assert.equal(exit.value._tag, "InternalServerError")
    assert.equal(fake.to("/v1/me").length, 2)
  })

  it("a key that reaches several accounts needs accountId: ConfigurationError", async () => {
    const fake = makeFake()
    fake.setMe({
      type: "user",
      accounts: [{ account_id: "acc_a", org_id: null, scopes: [] }, { account_id: "acc_b", org_id: null, scopes: [] }],
    })
    const error = errorOf((await exitOf((admin) => admin.issuers.list(), { apiKey: "key_test" }, fake)).exit)
    assert.ok(error._tag === "ConfigurationError")
    assert.equal(error.option, "accountId")
  })
})

// ---------------------------------------------------------------------------------------------

describe("AuthPI client: options", () => {
  const bad: ReadonlyArray<[string, Record<string, unknown>]> = [
    ["apiKey", {}],
    ["apiKey", { apiKey: "" }],
    ["apiKey", { apiKey: "key_a", accessToken: "tok_b" }],
    ["accountId", { accessToken: "tok_b" }],
    ["accountId", { apiKey: "key_a", accountId: "" }],
    ["onTokenExpired", { apiKey: "key_a", onTokenExpired: () => Promise.resolve("x") }],
    ["onTokenExpired", { accessToken: "tok", accountId: ACCOUNT, onTokenExpired: "refresh" }],
    ["baseUrl", { apiKey: "key_a", baseUrl: "ftp://authpi.dev" }],
    ["baseUrl", { apiKey: "key_a", baseUrl: "not a url" }],
    ["timeout", { apiKey: "key_a", timeout: 0 }],
    ["timeout", { apiKey: "key_a", timeout: "soon" }],
    ["retries", { apiKey: "key_a", retries: "yes" }],
    ["retries.limit", { apiKey: "key_a", retries: { limit: 11 } }],
    ["retries.limit", { apiKey: "key_a", retries: { limit: 1.5 } }],
    ["retries.delay", { apiKey: "key_a", retries: { delay: "whenever" } }],
    ["retries.backoff", { apiKey: "key_a", retries: { backoff: "fibonacci" } }],
    ["retries.tries", { apiKey: "key_a", retries: { tries: 3 } }],
    ["defaultHeaders", { apiKey: "key_a", defaultHeaders: { "x-n": 1 } }],
    ["transformClient", { apiKey: "key_a", transformClient: "yes" }],
  ]
  for (const [option, options] of bad) {
    it(`${JSON.stringify(options)} fails with ConfigurationError(${option}) before any request`, async () => {
      const { exit, fake } = await exitOf((admin) => admin.issuers.list(), options as AuthPICredentialOptions)
      const error = errorOf(exit)
      assert.ok(error instanceof ConfigurationError)
      assert.equal(error.option, option)
      assert.equal(fake.sent.length, 0)
    })
  }

  it("defaults: the seed's base URL and a 30 s timeout; the User-Agent and default headers on every request", async () => {
    assert.equal(DEFAULT_BASE_URL, "https://api.authpi.dev")
    const fake = makeFake()
    await exitOf(
      (admin) => admin.issuers.list(),
      { ...keyed, defaultHeaders: { "x-tenant": "blue", authorization: "ignored" } },
      fake,
    )
    assert.equal(fake.sent[0].headers["x-tenant"], "blue")
    assert.equal(fake.sent[0].headers["user-agent"], USER_AGENT)
    assert.equal(fake.sent[0].headers.authorization, "Bearer key_test")
    assert.equal(fake.sent[0].url.origin, BASE_URL)
  })

  it("the base URL is the seed's when none is given", async () => {
    const seen: Array<string> = []
    const http = Layer.succeed(
      HttpClient.HttpClient,
      HttpClient.make((request) => {
        seen.push(request.url)
        return Effect.die("offline")
      }),
    )
    await Effect.runPromiseExit(
      Effect.flatMap(AuthPI, (admin) => admin.issuers.list()).pipe(
        Effect.provide(AuthPI.layer(keyed).pipe(Layer.provide(http))),
      ),
    )
    assert.equal(seen[0], `${DEFAULT_BASE_URL}/v1/accounts/${ACCOUNT}/issuers`)
  })

  it("transformClient wraps the client: it sees every call", async () => {
    const fake = makeFake()
    let calls = 0
    await exitOf((admin) => Effect.all([admin.issuers.list(), admin.me()]), {
      ...keyed,
      transformClient: (client) => HttpClient.transform(client, (effect) => Effect.suspend(() => (calls += 1, effect))),
    }, fake)
    assert.equal(calls, 2)
  })

  it("layerConfig reads AUTHPI_API_KEY, AUTHPI_ACCOUNT_ID and AUTHPI_BASE_URL", async () => {
    const fake = makeFake()
    const env = ConfigProvider.fromEnv({
      env: { AUTHPI_API_KEY: "key_env", AUTHPI_ACCOUNT_ID: ACCOUNT, AUTHPI_BASE_URL: BASE_URL },
    })
    const layer = AuthPI.layerConfig().pipe(Layer.provide(fake.http), Layer.provide(ConfigProvider.layer(env)))
    await Effect.runPromise(Effect.flatMap(AuthPI, (admin) => admin.issuers.list()).pipe(Effect.provide(layer)))
    assert.equal(fake.sent[0].headers.authorization, "Bearer key_env")
    assert.equal(fake.sent[0].url.pathname, `/v1/accounts/${ACCOUNT}/issuers`)
  })

  it("layerConfig reads AUTHPI_ACCESS_TOKEN with AUTHPI_ACCOUNT_ID", async () => {
    const fake = makeFake()
    const env = ConfigProvider.fromEnv({
      env: { AUTHPI_ACCESS_TOKEN: "tok_env", AUTHPI_ACCOUNT_ID: ACCOUNT, AUTHPI_BASE_URL: BASE_URL },
    })
    const layer = AuthPI.layerConfig().pipe(Layer.provide(fake.http), Layer.provide(ConfigProvider.layer(env)))
    await Effect.runPromise(Effect.flatMap(AuthPI, (admin) => admin.issuers.list()).pipe(Effect.provide(layer)))
    assert.equal(fake.sent[0].headers.authorization, "Bearer tok_env")
  })

  const envCases: ReadonlyArray<[string, Record<string, string>, RegExp]> = [
    ["none set", {}, /Set AUTHPI_API_KEY, or AUTHPI_ACCESS_TOKEN with AUTHPI_ACCOUNT_ID/],
    ["both set", { AUTHPI_API_KEY: "k", AUTHPI_ACCESS_TOKEN: "t" }, /AUTHPI_API_KEY and AUTHPI_ACCESS_TOKEN/],
    ["a token alone", { AUTHPI_ACCESS_TOKEN: "t" }, /AUTHPI_ACCESS_TOKEN needs AUTHPI_ACCOUNT_ID/],
    ["blank", { AUTHPI_API_KEY: " " }, /Set AUTHPI_API_KEY/],
  ]
  for (const [what, vars, message] of envCases) {
    it(`layerConfig with ${what} fails with a ConfigurationError naming the variables`, async () => {
      const fake = makeFake()
      const layer = AuthPI.layerConfig().pipe(
        Layer.provide(fake.http),
        Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env: vars }))),
      )
      const exit = await Effect.runPromiseExit(Effect.flatMap(AuthPI, (a) => a.me()).pipe(Effect.provide(layer)))
      const error = errorOf(exit)
      assert.ok(error instanceof ConfigurationError)
      assert.match(error.message, message)
      assert.doesNotMatch(inspect(error), /"k"|"t"/)
      assert.equal(fake.sent.length, 0)
    })
  }
})

// ---------------------------------------------------------------------------------------------

describe("AuthPI client: arguments are checked before any request", () => {
  const invalid: ReadonlyArray<[string, (admin: AuthPIService) => Effect.Effect<unknown, unknown>]> = [
    ["issuer_id", (a) => a.issuers.get("")],
    ["issuer_id", (a) => a.issuers.get("..")],
    ["issuer_id", (a) => a.issuer(" ").users.list()],
    ["user_id", (a) => a.issuer("i_1").user("").get()],
    ["limit", (a) => a.issuers.list({ limit: 0 })],
    ["limit", (a) => a.issuers.list({ limit: 101 })],
    ["limit", (a) => a.issuers.list({ limit: 2.5 })],
    ["cursor", (a) => a.issuers.list({ cursor: "" })],
    ["colour", (a) => a.issuer("i_1").users.list({ colour: "blue" } as never)],
    ["sso_enabled", (a) => a.issuer("i_1").organizations.list({ sso_enabled: "yes" as never })],
    ["event_types", (a) => a.events.list({ event_types: ["a,b"] })],
    ["after", (a) => a.events.list({ after: -1 })],
    ["after", (a) => a.events.list({ after: new Date(Number.NaN) })],
    ["idempotencyKey", (a) => a.issuers.create({ name: "x" }, { idempotencyKey: "" })],
    ["idempotencyKey", (a) => a.issuers.create({ name: "x" }, { idempotencyKey: "k".repeat(257) })],
    ["ifMatch", (a) => a.issuers.update("i_1", { name: "x" }, { ifMatch: "a\nb" })],
    ["body", (a) => a.issuers.create(null as never)],
    ["body", (a) => a.issuers.update("i_1", [] as never)],
  ]
  for (const [argument, call] of invalid) {
    it(`a bad ${argument} is a ValidationError without status, naming it in fields`, async () => {
      const { exit, fake } = await exitOf(call)
      const error = errorOf(exit)
      assert.ok(error instanceof ValidationError, `got ${tagOf(error)}`)
      assert.equal(error.status, undefined)
      assert.ok(argument in error.fields, JSON.stringify(error.fields))
      assert.equal(fake.sent.length, 0)
    })
  }

  it("listAll checks its arguments too", async () => {
    const { exit, fake } = await exitOf((admin) => Stream.runCollect(admin.issuers.listAll({ limit: 500 })))
    assert.ok(errorOf(exit) instanceof ValidationError)
    assert.equal(fake.sent.length, 0)
  })
})

// ---------------------------------------------------------------------------------------------

describe("AuthPI client: lifetime and the Promise facade", () => {
  it("after its scope closes, every call fails with ClosedClientError and sends nothing", async () => {
    const fake = makeFake()
    const scope = Scope.makeUnsafe()
    const admin = await Effect.runPromise(
      AuthPI.make({ ...keyed, baseUrl: BASE_URL }).pipe(Effect.provide(fake.http), Scope.provide(scope)),
    )
    await Effect.runPromise(admin.issuers.list())
    await Effect.runPromise(Scope.close(scope, Exit.void))
    const exit = await Effect.runPromiseExit(admin.issuer("i_1").users.create({ email: "x@y.z" }))
    assert.equal(tagOf(errorOf(exit)), "ClosedClientError")
    assert.equal(fake.sent.length, 1)
  })

  it("the Promise client has the same surface: scopes, pages, AsyncIterable listAll, typed rejections", async () => {
    const fake = makeFake()
    for (let i = 0; i < 120; i++) fake.seed("users", { issuer_id: "i_1" }, { email: `u${i}@example.com` })
    await using admin = AuthPIClient.make({ ...keyed, baseUrl: BASE_URL, fetch: fake.fetch })
    const issuer = await admin.issuers.create({ name: "Promise" })
    const user = await admin.issuer(issuer.id).users.create({ email: "p@example.com" })
    const read = await admin.issuer(issuer.id).user(user.id).get()
    assert.equal(read._etag, `"${read.updated_at}"`)
    const page = await admin.issuer("i_1").users.list({ limit: 50 })
    assert.equal(page.data.length, 50)
    const all: Array<string> = []
    for await (const u of admin.issuer("i_1").users.listAll({ limit: 50 })) all.push(u.id)
    assert.equal(all.length, 120)
    assert.equal((await admin.me()).type, "api_key")
    await assert.rejects(admin.issuer("i_1").user("usr_missing").get(), NotFoundError)
    await assert.rejects(admin.issuers.list({ limit: 0 }), ValidationError)
    assert.equal(typeof admin.issuer("i_1").organization("org_1").apiKeys.revoke, "function")
    assert.equal(typeof admin.webhook("wh_1").deliveries.redeliver, "function")
  })

  it("the Promise client: a bad option rejects the first call with ConfigurationError; close() then ClosedClientError", async () => {
    const fake = makeFake()
    const broken = AuthPIClient.make({ fetch: fake.fetch })
    await assert.rejects(broken.issuers.list(), ConfigurationError)
    await broken.close()
    const admin = AuthPIClient.make({ ...keyed, baseUrl: BASE_URL, fetch: fake.fetch })
    await admin.issuers.list()
    await admin.close()
    await assert.rejects(admin.issuers.list(), (error: unknown) => tagOf(error) === "ClosedClientError")
    const iterator = admin.issuers.listAll()[Symbol.asyncIterator]()
    await assert.rejects(iterator.next(), (error: unknown) => tagOf(error) === "ClosedClientError")
    assert.equal(fake.sent.length, 1)
  })

  const pinned = (env: Record<string, string>, fake: Fake) =>
    AuthPI.fromEnv().pipe(
      Layer.provide(Layer.succeed(FetchHttpClient.Fetch, fake.fetch)),
      Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env }))),
    )

  it("fromEnv, the environment pinned: AUTHPI_* set, it sends with them over fetch", async () => {
    const fake = makeFake()
    const env = { AUTHPI_API_KEY: "key_env", AUTHPI_ACCOUNT_ID: ACCOUNT, AUTHPI_BASE_URL: BASE_URL }
    const exit = await Effect.runPromiseExit(
      Effect.flatMap(AuthPI, (admin) => admin.issuers.list()).pipe(Effect.provide(pinned(env, fake))),
    )
    assert.ok(Exit.isSuccess(exit), String(exit))
    assert.equal(fake.sent.length, 1)
    assert.equal(fake.sent[0].headers.authorization, "Bearer key_env")
    assert.equal(fake.sent[0].url.href, `${BASE_URL}/v1/accounts/${ACCOUNT}/issuers`)
  })

  it("fromEnv, the environment pinned: no AUTHPI_* set, a ConfigurationError and no request", async () => {
    const fake = makeFake()
    const exit = await Effect.runPromiseExit(
      Effect.flatMap(AuthPI, (admin) => admin.issuers.list()).pipe(Effect.provide(pinned({}, fake))),
    )
    const error = errorOf(exit)
    assert.ok(error instanceof ConfigurationError, tagOf(error))
    assert.match(error.message, /Set AUTHPI_API_KEY, or AUTHPI_ACCESS_TOKEN with AUTHPI_ACCOUNT_ID/)
    assert.equal(fake.sent.length, 0)
  })
})

// ---------------------------------------------------------------------------------------------

describe("AuthPI client: secrets stay out of errors", () => {
  const SECRET = "key_Sup3rSecretValue"

  it("no error, its inspect output or its JSON holds the API key, the access token or a Basic pair", async () => {
    const errors: Array<unknown> = []
    const fake = makeFake()
    fake.accepted.add("Bearer something-else")
    errors.push(errorOf((await exitOf((a) => a.issuers.list(), { apiKey: SECRET, accountId: ACCOUNT }, fake)).exit))
    errors.push(
      errorOf((await exitOf((a) => a.issuers.list(), { apiKey: `key_id:${SECRET}`, accountId: ACCOUNT }, fake)).exit),
    )
    errors.push(
      errorOf((await exitOf((a) => a.issuers.list(), { accessToken: SECRET, accountId: ACCOUNT }, fake)).exit),
    )
    errors.push(errorOf((await exitOf((a) => a.issuers.list(), { apiKey: SECRET, accessToken: SECRET })).exit))
    errors.push(errorOf((await exitOf((a) => a.issuers.list(), { apiKey: SECRET, baseUrl: "nope" })).exit))
    const down = makeFake()
    down.fault({
      respond: () => {
        throw new TypeError("connection refused")
      },
    })
    errors.push(
      errorOf(
        (await exitOf((a) => a.issuers.list(), { apiKey: SECRET, accountId: ACCOUNT, retries: false }, down)).exit,
      ),
    )
    assert.deepEqual(errors.map(tagOf), [
      "AuthenticationError",
      "AuthenticationError",
      "AuthenticationError",
      "ConfigurationError",
      "ConfigurationError",
      "ConnectionError",
    ])
    const basic = btoa(`key_id:${SECRET}`)
    for (const error of errors) {
      const shown = [inspect(error, { depth: 10 }), JSON.stringify(error), String(error), (error as Error).stack ?? ""]
        .join("\n")
      assert.ok(!shown.includes(SECRET) && !shown.includes(basic), shown)
    }
  })

  it("the secret reaches the API and nothing else: not the results, not the errors of the same client", async () => {
    const fake = makeFake()
    const { exit } = await exitOf(
      (admin) =>
        Effect.gen(function* () {
          const created = yield* admin.issuers.create({ name: "Shown" })
          const page = yield* admin.issuers.list()
          const missing = yield* Effect.flip(admin.issuers.get("i_missing"))
          const invalid = yield* Effect.flip(admin.issuers.list({ limit: 0 }))
          return { created, page, missing, invalid }
        }),
      { apiKey: SECRET, accountId: ACCOUNT },
      fake,
    )
    assert.ok(Exit.isSuccess(exit), String(exit))
    // The test double did receive it: the assertions below look where it could have gone.
    assert.ok(fake.sent.length >= 3)
    assert.ok(fake.sent.every((sent) => sent.headers.authorization === `Bearer ${SECRET}`))
    const { created, page, missing, invalid } = exit.value
    assert.equal(missing._tag, "NotFoundError")
    assert.equal(invalid._tag, "ValidationError")
    for (const value of [created, page, missing, invalid]) {
      const shown = [inspect(value, { depth: 10 }), JSON.stringify(value), String(value)]
      if (value instanceof Error) shown.push(value.stack ?? "")
      assert.ok(!shown.join("\n").includes(SECRET), shown.join("\n"))
    }
  })
})

// ---------------------------------------------------------------------------------------------

describe("verifyWebhookSignature", () => {
  const secret = "whsec_test"
  const payload = JSON.stringify({ type: "user.created", data: { id: "usr_1" } })
  const now = 1_750_000_000_000
  const check = (header: string | null, body = payload, at = now) =>
    Effect.runPromiseExit(verifyWebhookSignature(body, header, secret, { now: at }))

  it("accepts a good signature and answers the payload", async () => {
    const header = await signWebhookPayload(payload, secret, now / 1000)
    const exit = await check(header)
    assert.ok(Exit.isSuccess(exit))
    assert.equal(exit.value, payload)
  })

  it("refuses a tampered body, a wrong secret, a stale signature and a malformed header", async () => {
    const header = await signWebhookPayload(payload, secret, now / 1000)
    const reason = (exit: Exit.Exit<string, { reason: string }>) => errorOf(exit).reason
    assert.equal(reason(await check(header, payload.replace("usr_1", "usr_2"))), "mismatch")
    assert.equal(reason(await check(await signWebhookPayload(payload, "whsec_other", now / 1000))), "mismatch")
    assert.equal(reason(await check(header, payload, now + 301_000)), "stale")
    for (const malformed of [null, "", "v1=abc", `t=${now / 1000}`, "t=x,v1=zz"]) {
      assert.equal(reason(await check(malformed)), "malformed", String(malformed))
    }
  })

  it("an empty secret fails with invalid_secret, never a defect", async () => {
    const header = await signWebhookPayload(payload, secret, now / 1000)
    for (const empty of ["", Redacted.make("")]) {
      const exit = await Effect.runPromiseExit(verifyWebhookSignature(payload, header, empty, { now }))
      const error = errorOf(exit)
      assert.equal(error._tag, "WebhookSignatureError")
      assert.equal(error.reason, "invalid_secret")
    }
  })

  it("a tolerance or a now that is NaN, negative or infinite fails with invalid_options: no replay check is skipped", async () => {
    // Signed a day ago: any working tolerance of 300 s refuses it as stale.
    const old = await signWebhookPayload(payload, secret, now / 1000 - 86_400)
    for (const toleranceSeconds of [NaN, -1, Infinity]) {
      const exit = await Effect.runPromiseExit(verifyWebhookSignature(payload, old, secret, { now, toleranceSeconds }))
      assert.equal(errorOf(exit).reason, "invalid_options", String(toleranceSeconds))
    }
    const exit = await Effect.runPromiseExit(verifyWebhookSignature(payload, old, secret, { now: NaN }))
    assert.equal(errorOf(exit).reason, "invalid_options")
    assert.equal(errorOf(await check(old)).reason, "stale")
    // A tolerance of 0 is a tolerance: a signature made this very second passes.
    const fresh = await signWebhookPayload(payload, secret, now / 1000)
    assert.ok(Exit.isSuccess(
      await Effect.runPromiseExit(
        verifyWebhookSignature(payload, fresh, secret, { now, toleranceSeconds: 0 }),
      ),
    ))
  })
})

// ---------------------------------------------------------------------------------------------
// Against the AuthPI mock (mock/authpi): the client and the mock agree on the wire.

describe("AuthPI client against the AuthPI mock", () => {
  const setup = () => {
    const clock = new MockClock()
    const authpi = new AuthPIMock(clock)
    const mock = mountMocks(clock, [authpi])
    const baseUrl = mock.baseUrl("authpi")
    const run = <A, E>(program: Effect.Effect<A, E, AuthPI>, options: AuthPICredentialOptions = {}) =>
      Effect.runPromiseExit(
        program.pipe(
          Effect.provide(AuthPI.layer({ apiKey: authpi.demo.apiKey, baseUrl, retries: fast, ...options })),
          Effect.provide(mock.layer),
        ),
      )
    const requests = (pattern: RegExp) => mock.journal.filter((entry) => pattern.test(entry.url))
    return { authpi, mock, baseUrl, run, requests }
  }

  it("create, get, conditional update and a stale one (412 with currentEtag), delete", async () => {
    const { authpi, run } = setup()
    const exit = await run(Effect.gen(function* () {
      const users = (yield* AuthPI).issuer(authpi.demo.issuerId).users
      const user = yield* users.create({ email: "alice@example.com", display_name: "Alice" })
      const read = yield* users.get(user.id)
      const updated = yield* users.update(user.id, { display_name: "Bob" }, { ifMatch: read._etag })
      const stale = yield* Effect.flip(users.update(user.id, { display_name: "Eve" }, { ifMatch: read._etag }))
      yield* users.delete(user.id, { ifMatch: updated._etag })
      const gone = yield* Effect.flip(users.get(user.id))
      return { user, read, updated, stale, gone }
    }))
    assert.ok(Exit.isSuccess(exit), String(Exit.isFailure(exit) && exit.cause))
    const { user, read, updated, stale, gone } = exit.value
    assert.match(user.id, /^usr_[0-9a-z]{25}$/)
    assert.equal(read._etag, `"${read.updated_at}"`)
    assert.equal(updated.display_name, "Bob")
    assert.ok(stale._tag === "PreconditionFailedError")
    assert.equal(stale.currentEtag, updated._etag)
    assert.equal(gone._tag, "NotFoundError")
  })

  it("a POST that meets 502 twice is retried with its key and the mock holds it once", async () => {
    const { mock, run, requests } = setup()
    mock.fault({ method: "POST", path: "/issuers", status: 502, times: 2 })
    const exit = await run(Effect.gen(function* () {
      const admin = yield* AuthPI
      yield* admin.issuers.create({ name: "Exactly once" })
      return yield* Stream.runCollect(admin.issuers.listAll())
    }))
    assert.ok(Exit.isSuccess(exit), String(Exit.isFailure(exit) && exit.cause))
    assert.equal(exit.value.filter((issuer) => issuer.name === "Exactly once").length, 1)
    assert.equal(requests(/\/issuers$/).filter((entry) => entry.method === "POST").length, 3)
  })

  it("a GET meeting 503 is retried 3 times, then ServiceUnavailableError", async () => {
    const { mock, run, requests } = setup()
    mock.fault({ method: "GET", path: "/issuers", status: 503 })
    const exit = await run(Effect.flatMap(AuthPI, (admin) => admin.issuers.list()))
    assert.equal(tagOf(errorOf(exit)), "ServiceUnavailableError")
    assert.equal(requests(/\/issuers$/).length, 4)
  })

  it("the edge's plain-text 429 is a RateLimitError with retryAfter", async () => {
    const { mock, run } = setup()
    mock.fault({ path: "/issuers", status: 429, body: "Too Many Requests", headers: { "retry-after": "120" } })
    const error = errorOf(await run(Effect.flatMap(AuthPI, (admin) => admin.issuers.list()), { retries: false }))
    assert.ok(error._tag === "RateLimitError")
    assert.ok(error.retryAfter !== undefined && Duration.equals(error.retryAfter, Duration.minutes(2)))
    assert.equal(error.rawBody, "Too Many Requests")
  })

  it("the demo key as Bearer and as Basic key_id:secret both reach the demo account through /v1/me", async () => {
    const { authpi, run, requests } = setup()
    for (const apiKey of [authpi.demo.apiKey, authpi.demo.basicApiKey]) {
      const exit = await run(Effect.flatMap(AuthPI, (admin) => admin.issuer(authpi.demo.issuerId).get()), { apiKey })
      assert.ok(Exit.isSuccess(exit), String(Exit.isFailure(exit) && exit.cause))
      assert.equal(exit.value.id, authpi.demo.issuerId)
    }
    assert.equal(requests(/\/v1\/me$/).length, 2)
  })

  it("expired access tokens: 20 concurrent calls share one refresh and all succeed", async () => {
    const { authpi, run } = setup()
    authpi.expireAccessTokens()
    let refreshes = 0
    const exit = await run(
      Effect.flatMap(
        AuthPI,
        (admin) => Effect.all(Array.from({ length: 20 }, () => admin.issuers.list()), { concurrency: "unbounded" }),
      ),
      {
        apiKey: undefined,
        accessToken: authpi.demo.accessToken,
        accountId: authpi.demo.accountId,
        onTokenExpired: () => {
          refreshes += 1
          return Promise.resolve(authpi.mintAccessToken())
        },
      },
    )
    assert.ok(Exit.isSuccess(exit), String(Exit.isFailure(exit) && exit.cause))
    assert.equal(refreshes, 1)
  })

  it("no secret in logs: a create that answers secrets and a failing call, logged at every level", async () => {
    const { authpi, run } = setup()
    const lines: Array<string> = []
    const capture = Logger.make((options) => {
      lines.push(
        Logger.formatLogFmt.log(options),
        Logger.formatJson.log(options),
        inspect(options.message, { depth: 10 }),
        Cause.pretty(options.cause),
      )
    })
    const logged = <A, E>(program: Effect.Effect<A, E, AuthPI>) =>
      program.pipe(
        // Logged as an app would: the results, the failure and its cause; and whatever the client logs.
        Effect.tap((value) => Effect.logInfo("done", value)),
        Effect.tapError((error) => Effect.logWarning("failed", error)),
        Effect.tapCause((cause) => Effect.logError(cause)),
        Effect.provide(Logger.layer([capture])),
        Effect.provideService(References.MinimumLogLevel, "Trace"),
      )
    const created = await run(logged(Effect.gen(function* () {
      const admin = yield* AuthPI
      const webhook = yield* admin.webhooks.create({
        name: "Hook",
        url: "http://127.0.0.1:9/hook",
        events: ["user.created"],
        auth_type: "bearer+signature",
      })
      const client = yield* admin.issuer(authpi.demo.issuerId).clients.create({ name: "App" })
      const key = yield* admin.apiKeys.create({ name: "CI", scopes: ["admin"] })
      return { webhook, client, key }
    })))
    assert.ok(Exit.isSuccess(created), String(Exit.isFailure(created) && created.cause))
    const { webhook, client, key } = created.value
    const badKey = `${key.id}.not_${Redacted.value(key.key_secret_plain!)}`
    const failed = await run(logged(Effect.flatMap(AuthPI, (admin) => admin.issuers.list())), { apiKey: badKey })
    assert.equal(tagOf(errorOf(failed)), "AuthenticationError")
    const secrets = [
      Redacted.value(webhook.bearer_token_plain!),
      Redacted.value(webhook.signature_secret_plain!),
      Redacted.value(client.client_secret_plain!),
      Redacted.value(key.key_secret_plain!),
      authpi.demo.apiKey.split(".")[1],
      badKey.split(".")[1],
    ]
    for (const secret of secrets) assert.ok(secret.length >= 20, "a real secret")
    // The logs did see the results and the failure: the ids, and the error's tag.
    const all = lines.join("\n")
    for (const seen of [webhook.id, client.id, key.id, "AuthenticationError"]) assert.ok(all.includes(seen), seen)
    for (const secret of secrets) assert.ok(!all.includes(secret), `a secret in the logs: ${secret.slice(0, 6)}...`)
  })

  it("show-once secrets decode as Redacted: not in String, JSON or inspect, and Redacted.value works", async () => {
    const { authpi, run } = setup()
    const exit = await run(Effect.gen(function* () {
      const admin = yield* AuthPI
      const key = yield* admin.apiKeys.create({ name: "CI", scopes: ["admin"] })
      const webhook = yield* admin.webhooks.create({
        name: "Hook",
        url: "http://127.0.0.1:9/hook",
        events: ["user.created"],
        auth_type: "bearer+signature",
      })
      const issuer = admin.issuer(authpi.demo.issuerId)
      const client = yield* issuer.clients.create({ name: "App" })
      const users = yield* issuer.users.list({ limit: 1 })
      const token = yield* issuer.user(users.data[0].id).tokens.create({ name: "cli" })
      return { key, webhook, client, token }
    }))
    assert.ok(Exit.isSuccess(exit), String(Exit.isFailure(exit) && exit.cause))
    const { key, webhook, client, token } = exit.value
    const secrets = [
      [key, key.key_secret_plain],
      [webhook, webhook.bearer_token_plain],
      [webhook, webhook.signature_secret_plain],
      [client, client.client_secret_plain],
      [token, token.token_plain],
    ] as const
    for (const [result, secret] of secrets) {
      assert.ok(Redacted.isRedacted(secret))
      const plain = Redacted.value(secret)
      assert.match(plain, /^(sk|whbt|whsec|cs|pat)_[0-9a-z]{40}$/)
      for (const shown of [String(result), JSON.stringify(result), inspect(result, { depth: 10 }), String(secret)]) {
        assert.ok(!shown.includes(plain), shown)
      }
    }
    // The plaintext is the key: it authenticates.
    const me = await run(Effect.flatMap(AuthPI, (admin) => admin.me()), {
      apiKey: `${key.id}.${Redacted.value(key.key_secret_plain!)}`,
    })
    assert.ok(Exit.isSuccess(me), String(Exit.isFailure(me) && me.cause))
    assert.equal(me.value.accounts[0].account_id, authpi.demo.accountId)
  })

  it("an idempotent replay of a create answers the same secret, Redacted again", async () => {
    const { run } = setup()
    const exit = await run(Effect.gen(function* () {
      const keys = (yield* AuthPI).apiKeys
      const first = yield* keys.create({ name: "CI" }, { idempotencyKey: "same-key" })
      const again = yield* keys.create({ name: "CI" }, { idempotencyKey: "same-key" })
      return { first, again }
    }))
    assert.ok(Exit.isSuccess(exit), String(Exit.isFailure(exit) && exit.cause))
    const { first, again } = exit.value
    assert.equal(again.id, first.id)
    assert.ok(Redacted.isRedacted(again.key_secret_plain))
    assert.equal(Redacted.value(again.key_secret_plain!), Redacted.value(first.key_secret_plain!))
  })
})
