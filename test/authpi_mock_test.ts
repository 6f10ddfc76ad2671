import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { Effect, Exit, Layer } from "effect"
import { harness } from "./_harness.ts"
import { AuthPIMock, type AuthPIMockOptions } from "../mock/authpi/mod.ts"
import { WEBHOOK_MAX_ATTEMPTS, WEBHOOK_RETRY_DELAYS_MS } from "../mock/authpi/webhooks.ts"
import { MAX_REPLAYED_BODY_BYTES } from "../mock/authpi/handlers.ts"
import { serveMock } from "../mock/server.ts"
import { AuthPIApi } from "../src/authpi/contract.ts"
import { itemPathOf, parentsOf, type ResourceName, RESOURCES, resources } from "../src/authpi/resources.ts"
import { verifyWebhookSignature } from "../src/authpi/webhook_signature.ts"
import { fillPath, pathParameters } from "../src/core/endpoint.ts"

// deno-lint-ignore no-explicit-any
type Json = any

interface Answer {
  readonly status: number
  readonly headers: Headers
  readonly body: Json
  readonly text: string
}

interface Send {
  readonly body?: unknown
  /** The Authorization header; `null` sends none. @default the demo API key as Bearer */
  readonly auth?: string | null
  readonly headers?: Readonly<Record<string, string>>
}

/** The AuthPI mock in-process on the harness, and raw-fetch helpers over it. */
const fixture = (options: AuthPIMockOptions = {}) => {
  const h = harness((clock) => new AuthPIMock(clock, options), () => Layer.empty)
  const demo = h.api.demo
  const send = async (method: string, path: string, { body, auth, headers = {} }: Send = {}): Promise<Answer> => {
    const all: Record<string, string> = {}
    const authorization = auth === undefined ? `Bearer ${demo.apiKey}` : auth
    if (authorization !== null) all.authorization = authorization
    if (body !== undefined) all["content-type"] = "application/json"
    const response = await h.fetch(`${h.baseUrl}${path}`, {
      method,
      headers: { ...all, ...headers },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    })
    const text = await response.text()
    let json: Json
    try {
      json = text === "" ? undefined : JSON.parse(text)
    } catch {
      json = undefined
    }
    return { status: response.status, headers: response.headers, body: json, text }
  }
  return {
    ...h,
    demo,
    /** The demo account's path. */
    A: `/v1/accounts/${demo.accountId}`,
    send,
    get: (path: string, options?: Send) => send("GET", path, options),
    post: (path: string, body?: unknown, options?: Send) => send("POST", path, { ...options, body }),
    patch: (path: string, body: unknown, options?: Send) => send("PATCH", path, { ...options, body }),
    del: (path: string, options?: Send) => send("DELETE", path, options),
  }
}
type Fixture = ReturnType<typeof fixture>

const fill = (path: string, params: Readonly<Record<string, string>>) => {
  for (const name of pathParameters(path)) assert.ok(params[name] !== undefined, `no value for {${name}} in ${path}`)
  return fillPath(path, params)
}

const spec = (name: ResourceName) => RESOURCES[name] as (typeof resources)[number][1]

/** The row a parent parameter of `path` is an item of. */
const rowOf = (path: string, param: string): ResourceName => {
  const prefix = path.slice(0, path.indexOf(`/{${param}}`))
  const found = resources.find(([, s]) => s.path === prefix && s.id === param)
  assert.ok(found !== undefined, `no row holds {${param}} of ${path}`)
  return found[0]
}

let counter = 0
/** Values of required fields, by name: enough for every row of the table. */
const VALUES: Readonly<Record<string, (n: number) => unknown>> = {
  name: (n) => `name-${n}`,
  url: () => "http://127.0.0.1:9/unreachable",
  events: () => ["nothing.subscribes.to.this"],
  host: (n) => `h${n}-${crypto.randomUUID().slice(0, 8)}.example.com`,
  subject_type: () => "user",
  subject_id: (n) => `usr_subject${n}`,
  body: (n) => `note ${n}`,
  email: (n) => `member${n}@example.com`,
  email_invited: (n) => `invited${n}@example.com`,
  scopes: () => ["read"],
  method: () => "password",
  kind: () => "totp",
}

/** A create body with the row's required fields. */
const sample = (name: ResourceName): Record<string, unknown> =>
  Object.fromEntries((spec(name).required ?? []).map((field) => {
    const n = ++counter
    return [field, VALUES[field]?.(n) ?? `value-${n}`]
  }))

/** Items of the rows the API cannot create, as the mock would hold them. */
const SEEDS: Partial<Record<ResourceName, () => Record<string, unknown>>> = {
  deliveries: () => ({
    event_id: "evt_seeded",
    event_type: "user.created",
    attempt: 1,
    status: "succeeded",
    response_code: 200,
    duration_ms: 3,
  }),
  events: () => ({ type: "seeded.event", data: {} }),
  approvals: () => ({ user_id: `usr_seeded${++counter}`, status: "pending" }),
  sessions: () => ({ status: "active" }),
  trustedDevices: () => ({ name: "Phone" }),
  // Rows the API creates, whose seeds need what the create computes.
  invitations: () => ({ status: "pending", expires_at: Date.now() + 3_600_000 }),
  issuerInvitations: () => ({ status: "pending", expires_at: Date.now() + 3_600_000 }),
  organizationInvitations: () => ({ status: "pending", expires_at: Date.now() + 3_600_000 }),
}

/** A real parent chain for `name`, created through the API (an issuer, its user...). */
const parentsFor = async (f: Fixture, name: ResourceName): Promise<Record<string, string>> => {
  const params: Record<string, string> = { account_id: f.demo.accountId }
  for (const param of parentsOf(spec(name))) {
    const row = rowOf(spec(name).path, param)
    const created = await f.post(fill(`${f.A}${spec(row).path}`, params), sample(row))
    assert.equal(created.status, 201, `creating the ${param} parent: ${created.text}`)
    params[param] = created.body.data.id
  }
  return params
}

/** An item of `name` under `params`: created through the API if it can be, else seeded in the state. */
const makeItem = async (f: Fixture, name: ResourceName, params: Record<string, string>): Promise<Json> => {
  if (spec(name).operations.includes("create")) {
    const created = await f.post(fill(`${f.A}${spec(name).path}`, params), sample(name))
    assert.equal(created.status, 201, created.text)
    assert.equal(created.headers.get("etag"), `"${created.body.data.updated_at}"`)
    return created.body.data
  }
  const seed = SEEDS[name]
  assert.ok(seed !== undefined, `add a seed for ${name}, which the API cannot create`)
  const item = f.api.state.seed(f.demo.accountId, name, params, seed())
  assert.ok(!("status" in item && typeof item.status === "number"), `seeding ${name}: ${JSON.stringify(item)}`)
  return item
}

/** The path parameter value an item is addressed by: its id, or the field its id parameter names (approvals). */
const addressOf = (name: ResourceName, item: Json): string =>
  typeof item[spec(name).id] === "string" ? item[spec(name).id] : item.id

const itemUrl = (f: Fixture, name: ResourceName, params: Record<string, string>, item: Json) =>
  fill(`${f.A}${itemPathOf(spec(name))}`, { ...params, [spec(name).id]: addressOf(name, item) })

const collectionUrl = (f: Fixture, name: ResourceName, params: Record<string, string>) =>
  fill(`${f.A}${spec(name).path}`, params)

const ids = (answer: Answer): Array<string> => answer.body.data.map((item: Json) => item.id)

const sha256 = async (text: string) =>
  Array.from(
    new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text))),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("")

// -------------------------------------------------------------------------------------------------

describe("AuthPI mock: every row of the table", () => {
  for (const [name, row] of resources) {
    it(`${name}: ${row.operations.join(", ")} under a real parent chain`, async () => {
      const f = fixture()
      const params = await parentsFor(f, name)
      const first = await makeItem(f, name, params)
      f.clock.advance(5)
      const second = await makeItem(f, name, params)
      for (const item of [first, second]) assert.match(item.id, new RegExp(`^${row.prefix}[a-z0-9]{25}$`))
      for (const param of parentsOf(row)) assert.equal(first[param], params[param], `${param} on the item`)

      if (row.operations.includes("get")) {
        const got = await f.get(itemUrl(f, name, params, first))
        assert.equal(got.status, 200, got.text)
        assert.equal(got.body.data.id, first.id)
        assert.equal(got.headers.get("etag"), `"${got.body.data.updated_at}"`)
      }
      if (row.operations.includes("list")) {
        const listed = await f.get(`${collectionUrl(f, name, params)}?limit=100`)
        assert.equal(listed.status, 200, listed.text)
        assert.deepEqual(Object.keys(listed.body).sort(), ["data", "has_more", "next_cursor"])
        const order = ids(listed)
        assert.ok(order.indexOf(second.id) >= 0 && order.indexOf(second.id) < order.indexOf(first.id), "newest first")
      }
      if (row.operations.includes("update")) {
        const before = await f.get(itemUrl(f, name, params, first))
        const patch = { label: `patched-${name}`, ...("name" in first && { name: `renamed-${name}` }) }
        const updated = await f.patch(itemUrl(f, name, params, first), patch)
        assert.equal(updated.status, 200, updated.text)
        assert.equal(updated.body.data.label, `patched-${name}`)
        assert.notEqual(updated.headers.get("etag"), before.headers.get("etag"), "the ETag moves")
        const after = await f.get(itemUrl(f, name, params, first))
        assert.equal(after.body.data.label, `patched-${name}`)
        assert.equal(after.body.data.created_at, first.created_at)
        if ("name" in first) assert.equal(after.body.data.name, `renamed-${name}`)
        assert.equal(after.headers.get("etag"), updated.headers.get("etag"))
      }
      if (row.operations.includes("delete")) {
        const deleted = await f.del(itemUrl(f, name, params, first))
        assert.equal(deleted.status, 204, deleted.text)
        assert.equal(deleted.text, "")
        const gone = await f.get(itemUrl(f, name, params, first))
        if (name === "webhooks") {
          // A webhook's delete is soft (its own tests): it stays, status deleted.
          assert.equal(gone.body.data.status, "deleted")
        } else {
          assert.equal(gone.status, 404)
          assert.equal(gone.body.error, "not_found")
          if (row.operations.includes("list")) {
            assert.ok(!ids(await f.get(`${collectionUrl(f, name, params)}?limit=100`)).includes(first.id))
          }
        }
      }
    })
  }

  for (const [name, row] of resources.filter(([, s]) => parentsOf(s).length > 0)) {
    it(`${name}: 404 not_found when a parent in its path is missing or another's`, async () => {
      const f = fixture()
      const params = await parentsFor(f, name)
      const item = await makeItem(f, name, params)
      for (const param of parentsOf(row)) {
        const missing = { ...params, [param]: `${spec(rowOf(row.path, param)).prefix}${"z".repeat(25)}` }
        const answer = row.operations.includes("list")
          ? await f.get(collectionUrl(f, name, missing))
          : await f.post(collectionUrl(f, name, missing), sample(name))
        assert.equal(answer.status, 404, `${param} missing: ${answer.text}`)
        assert.equal(answer.body.error, "not_found")
        assert.ok(answer.body.error_description.includes(missing[param]))
      }
      // The item exists, but not under another parent.
      const others = await parentsFor(f, name)
      if (row.operations.includes("get")) {
        const elsewhere = await f.get(itemUrl(f, name, others, item))
        assert.equal(elsewhere.status, 404, elsewhere.text)
      }
    })
  }

  it("a create without a required field is 400 invalid_request naming it; defaults apply", async () => {
    const f = fixture()
    for (const [name, row] of resources) {
      if (!row.operations.includes("create") || (row.required ?? []).length === 0) continue
      const params = await parentsFor(f, name)
      const answer = await f.post(collectionUrl(f, name, params), {})
      assert.equal(answer.status, 400, `${name}: ${answer.text}`)
      assert.equal(answer.body.error, "invalid_request")
      assert.deepEqual(Object.keys(answer.body.fields).sort(), [...row.required!].sort())
    }
    const webhook = await f.post(`${f.A}/webhooks`, sample("webhooks"))
    assert.equal(webhook.body.data.auth_type, "signature")
    assert.equal(webhook.body.data.status, "active")
    const org = await f.post(`${f.A}/issuers/${f.demo.issuerId}/organizations`, { name: "Acme", sso_enabled: true })
    assert.deepEqual(
      [org.body.data.sso_enabled, org.body.data.sso_only, org.body.data.invitation_enabled],
      [true, false, true],
    )
  })

  it("a field of the wrong type is 400 with fields; ids, times and parents in a body are ignored", async () => {
    const f = fixture()
    const bad = await f.post(`${f.A}/issuers`, { name: 42 })
    assert.equal(bad.status, 400)
    assert.deepEqual(Object.keys(bad.body.fields), ["name"])
    const issuer = await f.post(`${f.A}/issuers`, { name: "ok", id: "i_mine", created_at: 1 })
    assert.match(issuer.body.data.id, /^i_[a-z0-9]{25}$/)
    assert.notEqual(issuer.body.data.created_at, 1)
    const user = await f.post(`${f.A}/issuers/${issuer.body.data.id}/users`, { issuer_id: "i_other", email: "a@b.c" })
    assert.equal(user.body.data.issuer_id, issuer.body.data.id)
    const patched = await f.patch(`${f.A}/issuers/${issuer.body.data.id}`, { name: ["not", "a", "string"] })
    assert.equal(patched.status, 400)
    assert.equal(patched.body.error, "invalid_request")
  })

  it("a password in a user's body is kept only hashed, never served", async () => {
    const f = fixture()
    const created = await f.post(`${f.A}/issuers/${f.demo.issuerId}/users`, {
      username_type: "email",
      username: "dave@example.com",
      password: "hunter2-hunter2",
    })
    assert.equal(created.status, 201)
    assert.ok(!created.text.includes("hunter2"))
    assert.equal(f.api.state.hashOf(created.body.data.id, "password"), await sha256("hunter2-hunter2"))
    const got = await f.get(`${f.A}/issuers/${f.demo.issuerId}/users/${created.body.data.id}`)
    assert.ok(!got.text.includes("hunter2"))
  })

  it("deleting a parent takes its children: the user's sessions answer 404", async () => {
    const f = fixture()
    const params = await parentsFor(f, "tokens")
    const token = await makeItem(f, "tokens", params)
    assert.equal((await f.del(`${f.A}/issuers/${params.issuer_id}/users/${params.user_id}`)).status, 204)
    assert.equal((await f.get(`${collectionUrl(f, "tokens", params)}`)).status, 404)
    assert.equal(f.api.state.items(f.demo.accountId, "tokens").some((t) => t.id === token.id), false)
    // A user's approval (addressed by the user's id) goes with the user.
    const I = `${f.A}/issuers/${f.demo.issuerId}`
    const waiting = (await f.post(`${I}/users`, { email: "w@example.com", requires_approval: true })).body.data
    assert.equal((await f.get(`${I}/approvals/${waiting.id}`)).status, 200)
    await f.del(`${I}/users/${waiting.id}`)
    assert.equal((await f.get(`${I}/approvals/${waiting.id}`)).status, 404)
  })
})

// -------------------------------------------------------------------------------------------------

describe("AuthPI mock: list filters, every filter of every row", () => {
  for (const [name, row] of resources) {
    for (const [query, filter] of Object.entries(row.filters ?? {})) {
      it(`${name}?${query} (${filter.kind})`, async () => {
        const f = fixture()
        const params = await parentsFor(f, name)
        const base = { ...(SEEDS[name]?.() ?? {}), ...sample(name) }
        const field = filter.field ?? query
        const seed = (fields: Record<string, unknown>) => {
          const item = f.api.state.seed(f.demo.accountId, name, params, { ...base, ...fields })
          if ("error" in item) {
            // A list filter over an array field (`mentions_user_id`): seed the value as a list.
            const again = f.api.state.seed(f.demo.accountId, name, params, {
              ...base,
              ...Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, [v]])),
            })
            assert.ok(!("error" in again), `seeding ${name}: ${JSON.stringify(again)}`)
            return again
          }
          return item
        }
        const list = async (value: string) => {
          const answer = await f.get(
            `${collectionUrl(f, name, params)}?limit=100&${query}=${encodeURIComponent(value)}`,
          )
          assert.equal(answer.status, 200, answer.text)
          return ids(answer)
        }
        switch (filter.kind) {
          case "string": {
            const a = seed({ [field]: "alpha" })
            const b = seed({ [field]: "beta" })
            const found = await list("alpha")
            assert.ok(found.includes(a.id) && !found.includes(b.id))
            break
          }
          case "boolean": {
            const a = seed({ [field]: true })
            const b = seed({ [field]: false })
            const yes = await list("true")
            const no = await list("false")
            assert.ok(yes.includes(a.id) && !yes.includes(b.id))
            assert.ok(no.includes(b.id) && !no.includes(a.id))
            const bad = await f.get(`${collectionUrl(f, name, params)}?${query}=maybe`)
            assert.equal(bad.status, 400)
            assert.equal(bad.body.error, "invalid_request")
            assert.ok(query in bad.body.fields)
            break
          }
          case "list": {
            const a = seed({ [field]: "alpha" })
            const b = seed({ [field]: "beta" })
            const c = seed({ [field]: "gamma" })
            const found = await list("alpha, beta")
            assert.ok(found.includes(a.id) && found.includes(b.id) && !found.includes(c.id))
            const one = await list("gamma")
            assert.ok(one.includes(c.id) && !one.includes(a.id))
            break
          }
          case "after":
          case "before": {
            const a = seed({})
            f.clock.advance(1000)
            const b = seed({})
            const after = await list("after" === filter.kind ? String(a.created_at) : String(b.created_at))
            if (filter.kind === "after") assert.ok(after.includes(b.id) && !after.includes(a.id))
            else assert.ok(after.includes(a.id) && !after.includes(b.id))
            const bad = await f.get(`${collectionUrl(f, name, params)}?${query}=yesterday`)
            assert.equal(bad.status, 400)
            assert.ok(query in bad.body.fields)
            break
          }
        }
      })
    }
  }

  it("filters combine, and events are filtered by issuer, user, client, types and time", async () => {
    const f = fixture()
    const start = f.clock.now()
    f.clock.advance(10)
    const issuer = (await f.post(`${f.A}/issuers`, { name: "Events" })).body.data
    const I = `${f.A}/issuers/${issuer.id}`
    const user = (await f.post(`${I}/users`, { email: "e@example.com" })).body.data
    const client = (await f.post(`${I}/clients`, { name: "App" })).body.data
    await f.patch(`${I}/users/${user.id}`, { display_name: "E" })
    const types = async (query: string) =>
      (await f.get(`${f.A}/events?limit=100&${query}`)).body.data.map((e: Json) => e.type)
    assert.deepEqual(await types(`issuer_id=${issuer.id}`), [
      "user.updated",
      "client.created",
      "user.created",
      "issuer.created",
    ])
    assert.deepEqual(await types(`user_id=${user.id}`), ["user.updated", "user.created"])
    assert.deepEqual(await types(`client_id=${client.id}`), ["client.created"])
    assert.deepEqual(await types(`issuer_id=${issuer.id}&event_types=user.created,client.created`), [
      "client.created",
      "user.created",
    ])
    assert.equal((await types(`after=${start}`)).length, 4)
    assert.equal((await types(`before=${start}`)).length, 0)
  })
})

// -------------------------------------------------------------------------------------------------

describe("AuthPI mock: pagination", () => {
  it("notes list pinned first, then newest first, with pinned:timestamp cursors across the boundary", async () => {
    const f = fixture()
    const ids: Record<string, string> = {}
    for (const [name, pinned] of [["a", false], ["b", true], ["c", false], ["d", true]] as const) {
      f.clock.advance(5)
      const note = { subject_type: "user", subject_id: "usr_x", body: name, pinned }
      ids[name] = (await f.post(`${f.A}/notes`, note)).body.data.id
    }
    const seen: Array<string> = []
    const cursors: Array<string> = []
    let cursor: string | null = null
    do {
      const page: Answer = await f.get(`${f.A}/notes?limit=1${cursor === null ? "" : `&cursor=${cursor}`}`)
      assert.equal(page.status, 200)
      seen.push(...page.body.data.map((note: { id: string }) => note.id))
      cursor = page.body.next_cursor
      if (cursor !== null) cursors.push(cursor)
    } while (cursor !== null)
    assert.deepEqual(seen, [ids.d, ids.b, ids.c, ids.a])
    assert.deepEqual(cursors.map((c) => c.split(":")[0]), ["1", "1", "0"])
    assert.ok(cursors.every((c) => /^[01]:\d+:\d+$/.test(c)), cursors.join(" "))
    assert.equal((await f.get(`${f.A}/notes?cursor=${ids.a}`)).status, 400)
  })

  it("cursor pages newest first: limit, has_more, next_cursor = the last id, to the end", async () => {
    const f = fixture()
    const issuer = (await f.post(`${f.A}/issuers`, { name: "Pages" })).body.data
    const path = `${f.A}/issuers/${issuer.id}/groups`
    const created: Array<string> = []
    for (let i = 0; i < 7; i++) created.push((await f.post(path, { name: `g${i}` })).body.data.id)
    const pages: Array<Answer> = []
    let cursor: string | null = null
    do {
      const page: Answer = await f.get(`${path}?limit=3${cursor === null ? "" : `&cursor=${cursor}`}`)
      assert.equal(page.status, 200)
      pages.push(page)
      cursor = page.body.next_cursor
    } while (cursor !== null)
    assert.deepEqual(pages.map((p) => p.body.data.length), [3, 3, 1])
    assert.deepEqual(pages.map((p) => p.body.has_more), [true, true, false])
    for (const page of pages.slice(0, -1)) assert.equal(page.body.next_cursor, page.body.data.at(-1).id)
    assert.deepEqual(pages.flatMap(ids), [...created].reverse())
  })

  it("limit defaults to 50; 0, 101 and non-numbers are 400 naming limit; an unknown cursor is 400", async () => {
    const f = fixture()
    const issuer = (await f.post(`${f.A}/issuers`, { name: "Many" })).body.data
    const path = `${f.A}/issuers/${issuer.id}/groups`
    for (let i = 0; i < 60; i++) {
      f.api.state.seed(f.demo.accountId, "groups", { issuer_id: issuer.id }, { name: `g${i}`, member_ids: [] })
    }
    const first = await f.get(path)
    assert.equal(first.body.data.length, 50)
    assert.equal(first.body.has_more, true)
    const rest = await f.get(`${path}?cursor=${first.body.next_cursor}`)
    assert.deepEqual([rest.body.data.length, rest.body.has_more, rest.body.next_cursor], [10, false, null])
    assert.equal((await f.get(`${path}?limit=100`)).body.data.length, 60)
    for (const limit of ["0", "101", "ten", "-1", "1.5"]) {
      const answer = await f.get(`${path}?limit=${limit}`)
      assert.equal(answer.status, 400, `limit=${limit}`)
      assert.equal(answer.body.error, "invalid_request")
      assert.ok("limit" in answer.body.fields)
    }
    const unknown = await f.get(`${path}?cursor=grp_nope`)
    assert.equal(unknown.status, 400)
    assert.ok("cursor" in unknown.body.fields)
  })

  it("a cursor still works after its item is deleted", async () => {
    const f = fixture()
    const path = `${f.A}/members`
    for (let i = 0; i < 4; i++) await f.post(path, { email: `p${i}@example.com` })
    const page = await f.get(`${path}?limit=2`)
    await f.del(`${path}/${page.body.next_cursor}`)
    const next = await f.get(`${path}?limit=2&cursor=${page.body.next_cursor}`)
    assert.equal(next.status, 200)
    assert.equal(next.body.data.length, 2)
  })

  it("GET /v1/accounts pages the caller's accounts", async () => {
    const f = fixture()
    const token = `Bearer ${f.demo.accessToken}`
    const all = await f.get("/v1/accounts", { auth: token })
    assert.deepEqual(ids(all).sort(), [f.demo.accountId, f.demo.otherAccountId].sort())
    const one = await f.get("/v1/accounts?limit=1", { auth: token })
    assert.equal(one.body.has_more, true)
    const two = await f.get(`/v1/accounts?limit=1&cursor=${one.body.next_cursor}`, { auth: token })
    assert.equal(two.body.has_more, false)
    assert.deepEqual(ids(await f.get("/v1/accounts")), [f.demo.accountId])
  })
})

// -------------------------------------------------------------------------------------------------

describe("AuthPI mock: custom actions", () => {
  it("approvals: a user created with requires_approval waits; approve makes it active, reject disables", async () => {
    const f = fixture()
    const I = `${f.A}/issuers/${f.demo.issuerId}`
    const make = async (email: string) => (await f.post(`${I}/users`, { email, requires_approval: true })).body.data
    const ann = await make("ann@example.com")
    const ben = await make("ben@example.com")
    assert.equal(ann.status, "pending")
    const pending = await f.get(`${I}/approvals?status=pending`)
    assert.ok(pending.body.data.some((a: Json) => a.user_id === ann.id))
    const approval = await f.get(`${I}/approvals/${ann.id}`)
    assert.equal(approval.status, 200)
    assert.equal(approval.body.data.status, "pending")
    assert.match(approval.body.data.id, /^apr_[a-z0-9]{25}$/)

    const approved = await f.post(`${I}/approvals/${ann.id}/approve`)
    assert.equal(approved.status, 200, approved.text)
    assert.equal(approved.body.data.status, "approved")
    assert.equal(approved.headers.get("etag"), `"${approved.body.data.updated_at}"`)
    assert.equal((await f.get(`${I}/users/${ann.id}`)).body.data.status, "active")
    const again = await f.post(`${I}/approvals/${ann.id}/approve`)
    assert.equal(again.status, 409)
    assert.equal(again.body.error, "conflict")

    const rejected = await f.post(`${I}/approvals/${ben.id}/reject`)
    assert.equal(rejected.body.data.status, "rejected")
    assert.equal((await f.get(`${I}/users/${ben.id}`)).body.data.status, "disabled")
    const events = await f.get(`${f.A}/events?event_types=user.approved,user.rejected`)
    assert.deepEqual(events.body.data.map((e: Json) => [e.type, e.user_id, e.issuer_id]), [
      ["user.rejected", ben.id, f.demo.issuerId],
      ["user.approved", ann.id, f.demo.issuerId],
    ])
    assert.equal((await f.post(`${I}/approvals/usr_${"z".repeat(25)}/approve`)).status, 404)
  })

  for (const [name, row] of resources.filter(([, s]) => s.actions !== undefined && "revoke" in s.actions)) {
    it(`${name}: revoke sets status revoked and records ${row.actions!.revoke.event}`, async () => {
      const f = fixture()
      const params = await parentsFor(f, name)
      const item = await makeItem(f, name, params)
      const revoked = await f.post(`${itemUrl(f, name, params, item)}/revoke`)
      assert.equal(revoked.status, 200, revoked.text)
      assert.equal(revoked.body.data.status, "revoked")
      assert.equal(typeof revoked.body.data.revoked_at, "number")
      assert.equal((await f.get(itemUrl(f, name, params, item))).body.data.status, "revoked")
      const events = await f.get(`${f.A}/events?event_types=${row.actions!.revoke.event}`)
      assert.equal(events.body.data[0]?.data.id, item.id)
      // Revoking twice is fine, and records nothing more.
      assert.equal((await f.post(`${itemUrl(f, name, params, item)}/revoke`)).status, 200)
      assert.equal((await f.get(`${f.A}/events?event_types=${row.actions!.revoke.event}`)).body.data.length, 1)
    })
  }

  it("sessions: suspend sets status suspended and records session.suspended; a revoked one is not suspended", async () => {
    const f = fixture()
    const params = await parentsFor(f, "sessions")
    const session = await makeItem(f, "sessions", params)
    const url = itemUrl(f, "sessions", params, session)
    const suspended = await f.post(`${url}/suspend`)
    assert.equal(suspended.status, 200, suspended.text)
    assert.equal(suspended.body.data.id, session.id)
    assert.equal(suspended.body.data.status, "suspended")
    assert.equal(typeof suspended.body.data.suspended_at, "number")
    assert.equal(suspended.headers.get("etag"), `"${suspended.body.data.updated_at}"`)
    assert.equal((await f.get(url)).body.data.status, "suspended")
    const listed = await f.get(`${fillPath(`${f.A}${RESOURCES.sessions.path}`, params)}?status=suspended`)
    assert.deepEqual(listed.body.data.map((s: Json) => s.id), [session.id])
    const events = async () => (await f.get(`${f.A}/events?event_types=session.suspended`)).body.data
    assert.deepEqual((await events()).map((e: Json) => [e.data.id, e.user_id]), [[session.id, params.user_id]])
    // Suspending twice is fine, and records nothing more; a revoked session stays revoked.
    assert.equal((await f.post(`${url}/suspend`)).status, 200)
    assert.equal((await events()).length, 1)
    await f.post(`${url}/revoke`)
    assert.equal((await f.post(`${url}/suspend`)).status, 409)
    assert.equal((await f.get(url)).body.data.status, "revoked")
  })

  for (const name of ["invitations", "issuerInvitations", "organizationInvitations"] as const) {
    it(`${name}: created pending with expires_at; resend moves expires_at; a revoked one is not resent`, async () => {
      const f = fixture()
      const params = await parentsFor(f, name)
      const created = await f.post(collectionUrl(f, name, params), {
        email_invited: "x@example.com",
        scopes: ["member"],
        expires_in_seconds: 3600,
      })
      assert.equal(created.status, 201, created.text)
      const invitation = created.body.data
      assert.equal(invitation.status, "pending")
      assert.equal(invitation.expires_at, invitation.created_at + 3_600_000)
      if (name === "organizationInvitations") assert.equal(invitation.org_id, params.org_id)
      f.clock.advance(10 * 60_000)
      const before = f.clock.now()
      const resent = await f.post(`${itemUrl(f, name, params, invitation)}/resend`)
      assert.equal(resent.status, 200)
      assert.equal(resent.body.data.expires_at, resent.body.data.resent_at + 3_600_000)
      assert.ok(resent.body.data.resent_at >= before && resent.body.data.resent_at <= f.clock.now())
      assert.ok(resent.body.data.expires_at > invitation.expires_at)
      await f.post(`${itemUrl(f, name, params, invitation)}/revoke`)
      const refused = await f.post(`${itemUrl(f, name, params, invitation)}/resend`)
      assert.equal(refused.status, 409)
      const noScopes = await f.post(collectionUrl(f, name, params), { email_invited: "y@example.com", scopes: [] })
      assert.equal(noScopes.status, 400)
      assert.ok("scopes" in noScopes.body.fields)
    })
  }

  it("domains: verify marks it verified (domain.verified); addressed by id or host; 20 at most; a duplicate host is 409", async () => {
    const f = fixture()
    const created = await f.post(`${f.A}/domains`, { host: "Auth.Example.com" })
    assert.equal(created.status, 201)
    const domain = created.body.data
    assert.deepEqual([domain.host, domain.verified], ["auth.example.com", false])
    assert.match(domain.verification_token, /^authpi-verify=/)
    const verified = await f.post(`${f.A}/domains/${domain.id}/verify`)
    assert.equal(verified.body.data.verified, true)
    assert.equal((await f.get(`${f.A}/events?event_types=domain.verified`)).body.data[0].data.id, domain.id)
    assert.equal((await f.get(`${f.A}/domains/auth.example.com`)).body.data.id, domain.id)
    const duplicate = await f.post(`${f.A}/domains`, { host: "auth.example.com" })
    assert.equal(duplicate.status, 409)
    assert.equal(duplicate.body.error, "conflict")
    assert.equal((await f.post(`${f.A}/domains`, { host: "not a host" })).status, 400)
    for (let i = 1; i < 20; i++) {
      assert.equal((await f.post(`${f.A}/domains`, { host: `d${i}.example.com` })).status, 201)
    }
    const over = await f.post(`${f.A}/domains`, { host: "d20.example.com" })
    assert.equal(over.status, 409, over.text)
    assert.equal((await f.del(`${f.A}/domains/auth.example.com`)).status, 204)
    assert.equal((await f.post(`${f.A}/domains`, { host: "d20.example.com" })).status, 201)
  })

  it("tokens: 50 active per user, then 409; a revoked token frees its slot", async () => {
    const f = fixture()
    const params = await parentsFor(f, "tokens")
    const path = collectionUrl(f, "tokens", params)
    let first: Json
    for (let i = 0; i < 50; i++) {
      const answer = await f.post(path, { name: `t${i}` })
      assert.equal(answer.status, 201)
      first ??= answer.body.data
    }
    const over = await f.post(path, { name: "t50" })
    assert.equal(over.status, 409)
    assert.equal(over.body.error, "conflict")
    assert.match(over.body.error_description, /50/)
    await f.post(`${path}/${first.id}/revoke`)
    assert.equal((await f.post(path, { name: "t50" })).status, 201)
  })

  it("events: aggregate counts by type over the filters; an event is read by its id", async () => {
    const f = fixture()
    const issuer = (await f.post(`${f.A}/issuers`, { name: "Agg" })).body.data
    for (let i = 0; i < 3; i++) await f.post(`${f.A}/issuers/${issuer.id}/users`, { email: `u${i}@example.com` })
    await f.patch(`${f.A}/issuers/${issuer.id}`, { name: "Agg 2" })
    const aggregate = await f.get(`${f.A}/events/aggregate?issuer_id=${issuer.id}`)
    assert.equal(aggregate.status, 200, aggregate.text)
    assert.deepEqual(aggregate.body.data, {
      total: 5,
      by_type: { "issuer.created": 1, "user.created": 3, "issuer.updated": 1 },
    })
    const typed = await f.get(`${f.A}/events/aggregate?issuer_id=${issuer.id}&event_types=user.created`)
    assert.deepEqual(typed.body.data, { total: 3, by_type: { "user.created": 3 } })
    const latest = (await f.get(`${f.A}/events?limit=1`)).body.data[0]
    const one = await f.get(`${f.A}/events/${latest.id}`)
    assert.equal(one.body.data.type, "issuer.updated")
    assert.equal(one.headers.get("etag"), `"${latest.updated_at}"`)
  })

  it("agents: has_verifiers follows the agent's verifiers", async () => {
    const f = fixture()
    const params = await parentsFor(f, "agentVerifiers")
    const agentPath = `${f.A}/issuers/${params.issuer_id}/agents/${params.agent_id}`
    assert.equal((await f.get(agentPath)).body.data.has_verifiers, false)
    const verifier = (await f.post(`${agentPath}/verifiers`, { kind: "jwks" })).body.data
    assert.equal(verifier.agent_id, params.agent_id)
    assert.equal((await f.get(agentPath)).body.data.has_verifiers, true)
    const filtered = await f.get(`${f.A}/issuers/${params.issuer_id}/agents?has_verifiers=true`)
    assert.deepEqual(ids(filtered), [params.agent_id])
    await f.del(`${agentPath}/verifiers/${verifier.id}`)
    assert.equal((await f.get(agentPath)).body.data.has_verifiers, false)
  })
})

// -------------------------------------------------------------------------------------------------

describe("AuthPI mock: ETags and If-Match", () => {
  it("a stale If-Match is 412 with currentETag; the current one, *, or none passes", async () => {
    const f = fixture()
    const created = await f.post(`${f.A}/issuers`, { name: "v1" })
    const path = `${f.A}/issuers/${created.body.data.id}`
    const stale = created.headers.get("etag")!
    const updated = await f.patch(path, { name: "v2" }, { headers: { "if-match": stale } })
    assert.equal(updated.status, 200)
    const current = updated.headers.get("etag")!
    assert.notEqual(current, stale)
    const refused = await f.patch(path, { name: "v3" }, { headers: { "if-match": stale } })
    assert.equal(refused.status, 412)
    assert.deepEqual(Object.keys(refused.body).sort(), ["currentETag", "error", "error_description", "retryable"])
    assert.deepEqual([refused.body.error, refused.body.currentETag, refused.body.retryable], [
      "precondition_failed",
      current,
      false,
    ])
    assert.equal((await f.get(path)).body.data.name, "v2")
    assert.equal((await f.patch(path, { name: "v3" }, { headers: { "if-match": "*" } })).status, 200)
    assert.equal((await f.patch(path, { name: "v4" })).status, 200)
    const deleteStale = await f.del(path, { headers: { "if-match": current } })
    assert.equal(deleteStale.status, 412)
    const now = (await f.get(path)).headers.get("etag")!
    assert.equal((await f.del(path, { headers: { "if-match": now } })).status, 204)
  })

  it("the account: GET and PATCH with an ETag, If-Match checked", async () => {
    const f = fixture()
    const got = await f.get(f.A)
    assert.equal(got.body.data.id, f.demo.accountId)
    assert.equal(got.headers.get("etag"), `"${got.body.data.updated_at}"`)
    const renamed = await f.patch(f.A, { name: "Renamed" }, { headers: { "if-match": got.headers.get("etag")! } })
    assert.equal(renamed.body.data.name, "Renamed")
    const stale = await f.patch(f.A, { name: "Again" }, { headers: { "if-match": got.headers.get("etag")! } })
    assert.equal(stale.status, 412)
    assert.equal(stale.body.currentETag, renamed.headers.get("etag"))
    assert.equal((await f.get(`${f.A}/events?event_types=account.updated`)).body.data.length, 1)
  })
})

// -------------------------------------------------------------------------------------------------

describe("AuthPI mock: Idempotency-Key", () => {
  const key = (value: string) => ({ headers: { "idempotency-key": value } })

  it("a replay answers the same status and body with Idempotent-Replayed, and applies nothing twice", async () => {
    const f = fixture()
    const first = await f.post(`${f.A}/issuers/${f.demo.issuerId}/clients`, { name: "Once" }, key("k-1"))
    const second = await f.post(`${f.A}/issuers/${f.demo.issuerId}/clients`, { name: "Once" }, key("k-1"))
    assert.equal(first.status, 201)
    assert.equal(second.status, 201)
    assert.equal(second.text, first.text, "the identical body, the once-only secret included")
    assert.equal(first.headers.get("idempotent-replayed"), null)
    assert.equal(second.headers.get("idempotent-replayed"), "true")
    assert.equal(second.headers.get("etag"), first.headers.get("etag"))
    const clients = f.api.state.items(f.demo.accountId, "clients").filter((c) => c.name === "Once")
    assert.equal(clients.length, 1)
    assert.equal((await f.get(`${f.A}/events?event_types=client.created`)).body.data.length, 1)
    // The same body with its keys in another order is the same request.
    const reordered = await f.post(`${f.A}/issuers/${f.demo.issuerId}/clients`, '{"name":"Once"}', key("k-1"))
    assert.equal(reordered.status, 201)
  })

  it("a replayed answer over MAX_REPLAYED_BODY_BYTES has an empty body; one just under keeps it", async () => {
    const f = fixture()
    const bytes = (text: string) => new TextEncoder().encode(text).length
    // An unknown field is kept and answered: the answer's size follows it.
    const create = (note: string, k: string) => f.post(`${f.A}/issuers`, { name: "Big", note }, key(k))
    const over = "x".repeat(MAX_REPLAYED_BODY_BYTES)
    const first = await create(over, "k-big")
    assert.equal(first.status, 201, first.text.slice(0, 200))
    assert.equal(first.body.data.note, over, "the first answer is whole")
    assert.ok(bytes(first.text) > MAX_REPLAYED_BODY_BYTES)
    const replay = await create(over, "k-big")
    assert.equal(replay.status, 201)
    assert.equal(replay.headers.get("idempotent-replayed"), "true")
    assert.equal(replay.text, "", "replayed with an empty body")
    assert.equal(f.api.state.items(f.demo.accountId, "issuers").filter((i) => i.name === "Big").length, 1)
    // Just under the limit (the stored answer, its envelope included): replayed whole.
    const overhead = bytes(first.text) - bytes(over)
    const under = "y".repeat(MAX_REPLAYED_BODY_BYTES - overhead - 64)
    const kept = await create(under, "k-under")
    assert.ok(bytes(kept.text) <= MAX_REPLAYED_BODY_BYTES)
    const again = await create(under, "k-under")
    assert.equal(again.headers.get("idempotent-replayed"), "true")
    assert.equal(again.text, kept.text)
  })

  it("the same key with another body, or on another path, is 422 invalid_request", async () => {
    const f = fixture()
    assert.equal((await f.post(`${f.A}/issuers`, { name: "A" }, key("k-2"))).status, 201)
    const other = await f.post(`${f.A}/issuers`, { name: "B" }, key("k-2"))
    assert.equal(other.status, 422)
    assert.equal(other.body.error, "invalid_request")
    assert.match(other.body.error_description, /different request body/)
    assert.equal((await f.post(`${f.A}/members`, { email: "m@example.com" }, key("k-2"))).status, 422)
  })

  it("only 2xx answers are kept: a 400 lets the key go", async () => {
    const f = fixture()
    assert.equal((await f.post(`${f.A}/issuers`, {}, key("k-3"))).status, 400)
    const fixed = await f.post(`${f.A}/issuers`, { name: "Fixed" }, key("k-3"))
    assert.equal(fixed.status, 201)
    assert.equal(fixed.headers.get("idempotent-replayed"), null)
  })

  it("a concurrent duplicate, while the first is in flight, is 409 conflict with Retry-After", async () => {
    const f = fixture()
    const encoder = new TextEncoder()
    let finish!: () => void
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode('{"name":'))
        finish = () => {
          controller.enqueue(encoder.encode('"Slow"}'))
          controller.close()
        }
      },
    })
    const url = `${f.baseUrl}${f.A}/issuers`
    const headers = {
      authorization: `Bearer ${f.demo.apiKey}`,
      "content-type": "application/json",
      "idempotency-key": "k-4",
    }
    const first = f.mock.fetch(url, { method: "POST", headers, body, duplex: "half" } as RequestInit)
    await new Promise((resolve) => setTimeout(resolve, 20))
    const duplicate = await f.post(`${f.A}/issuers`, { name: "Slow" }, key("k-4"))
    assert.equal(duplicate.status, 409)
    assert.equal(duplicate.body.error, "conflict")
    assert.equal(duplicate.headers.get("retry-after"), "1")
    finish()
    const done = await first
    assert.equal(done.status, 201)
    const replay = await f.post(`${f.A}/issuers`, { name: "Slow" }, key("k-4"))
    assert.equal(replay.status, 201)
    assert.equal(replay.headers.get("idempotent-replayed"), "true")
    assert.equal(replay.body.data.id, (await done.json()).data.id)
  })

  it("keys expire after 24 h on the mock clock, and are scoped per account", async () => {
    const f = fixture()
    const token = `Bearer ${f.demo.accessToken}`
    assert.equal((await f.post(`${f.A}/issuers`, { name: "Day 1" }, key("k-5"))).status, 201)
    const other = await f.post(`/v1/accounts/${f.demo.otherAccountId}/issuers`, { name: "Elsewhere" }, {
      auth: token,
      ...key("k-5"),
    })
    assert.equal(other.status, 201)
    assert.equal(other.headers.get("idempotent-replayed"), null)
    f.clock.advance(24 * 3600 * 1000 - 1000)
    assert.equal((await f.post(`${f.A}/issuers`, { name: "Day 2" }, key("k-5"))).status, 422)
    f.clock.advance(1001)
    const fresh = await f.post(`${f.A}/issuers`, { name: "Day 2" }, key("k-5"))
    assert.equal(fresh.status, 201)
    assert.equal(fresh.headers.get("idempotent-replayed"), null)
  })

  it("PATCH and DELETE with a key: a retry after the change is replayed, not refused by its stale If-Match", async () => {
    const f = fixture()
    const created = await f.post(`${f.A}/issuers`, { name: "v1" })
    const path = `${f.A}/issuers/${created.body.data.id}`
    const ifMatch = created.headers.get("etag")!
    const options = { headers: { "idempotency-key": "k-6", "if-match": ifMatch } }
    const first = await f.patch(path, { name: "v2" }, options)
    const retried = await f.patch(path, { name: "v2" }, options)
    assert.equal(first.status, 200)
    assert.deepEqual([retried.status, retried.text, retried.headers.get("idempotent-replayed")], [
      200,
      first.text,
      "true",
    ])
    assert.equal((await f.get(`${f.A}/events?event_types=issuer.updated`)).body.data.length, 1)
    const del = { headers: { "idempotency-key": "k-7", "if-match": first.headers.get("etag")! } }
    assert.equal((await f.del(path, del)).status, 204)
    const again = await f.del(path, del)
    assert.deepEqual([again.status, again.headers.get("idempotent-replayed")], [204, "true"])
  })

  it("a key of 257 characters, or empty, is 400", async () => {
    const f = fixture()
    const long = await f.post(`${f.A}/issuers`, { name: "x" }, key("k".repeat(257)))
    assert.equal(long.status, 400)
    assert.ok("Idempotency-Key" in long.body.fields)
    assert.equal((await f.post(`${f.A}/issuers`, { name: "x" }, key(""))).status, 400)
    assert.equal((await f.post(`${f.A}/issuers`, { name: "x" }, key("k".repeat(256)))).status, 201)
  })
})

// -------------------------------------------------------------------------------------------------

describe("AuthPI mock: credentials", () => {
  it("401 invalid_token without a credential, or with a bad one; the demo key as Bearer, Bearer pair and Basic", async () => {
    const f = fixture()
    const none = await f.get("/v1/me", { auth: null })
    assert.equal(none.status, 401)
    assert.equal(none.body.error, "invalid_token")
    assert.match(none.headers.get("www-authenticate") ?? "", /^Bearer /)
    const [keyId, secret] = f.demo.basicApiKey.split(":")
    for (
      const auth of ["Bearer nope", `Bearer ${keyId}.wrong`, `Basic ${btoa(`${keyId}:wrong`)}`, "Basic !!!", "Token x"]
    ) {
      const answer = await f.get("/v1/me", { auth })
      assert.equal(answer.status, 401, auth)
      assert.equal(answer.body.error, "invalid_token")
    }
    for (const auth of [`Bearer ${f.demo.apiKey}`, `Bearer ${keyId}:${secret}`, `Basic ${btoa(f.demo.basicApiKey)}`]) {
      const me = await f.get("/v1/me", { auth })
      assert.equal(me.status, 200, auth)
      assert.deepEqual(me.body.data, {
        type: "api_key",
        accounts: [{ account_id: f.demo.accountId, org_id: null, scopes: ["admin"] }],
      })
    }
  })

  it("an API key reaches its own account only: another's is 403 access_denied; the access token reaches both", async () => {
    const f = fixture()
    const other = `/v1/accounts/${f.demo.otherAccountId}/issuers`
    const refused = await f.get(other)
    assert.equal(refused.status, 403)
    assert.equal(refused.body.error, "access_denied")
    assert.equal((await f.post(other, { name: "x" })).status, 403)
    assert.equal((await f.get(`/v1/accounts/acc_${"z".repeat(25)}`)).status, 403)
    const token = `Bearer ${f.demo.accessToken}`
    assert.equal((await f.get(other, { auth: token })).status, 200)
    const me = await f.get("/v1/me", { auth: token })
    assert.equal(me.body.data.type, "user")
    assert.deepEqual(me.body.data.accounts.map((a: Json) => a.account_id), [f.demo.accountId, f.demo.otherAccountId])
  })

  it("expireAccessTokens: the next call is 401 session_expired; a minted token works until its TTL on the clock", async () => {
    const f = fixture()
    const minted = f.api.mintAccessToken({ accountIds: [f.demo.otherAccountId], ttlMs: 60_000 })
    assert.match(minted.access_token, /^at_[a-z0-9]{40}$/)
    const auth = `Bearer ${minted.access_token}`
    const me = await f.get("/v1/me", { auth })
    assert.deepEqual(me.body.data.accounts.map((a: Json) => a.account_id), [f.demo.otherAccountId])
    assert.equal((await f.get(f.A, { auth })).status, 403)
    f.clock.advance(60_000)
    const expired = await f.get("/v1/me", { auth })
    assert.equal(expired.status, 401)
    assert.equal(expired.body.error, "session_expired")

    assert.equal((await f.get("/v1/me", { auth: `Bearer ${f.demo.accessToken}` })).status, 200)
    const fresh = f.api.mintAccessToken()
    assert.equal(f.api.expireAccessTokens(), 2)
    assert.equal((await f.get("/v1/me", { auth: `Bearer ${f.demo.accessToken}` })).status, 401)
    assert.equal((await f.get("/v1/me", { auth: `Bearer ${fresh.access_token}` })).status, 401)
    const after = f.api.mintAccessToken()
    assert.equal((await f.get("/v1/me", { auth: `Bearer ${after.access_token}` })).status, 200)
    f.mock.reset()
    assert.equal((await f.get("/v1/me", { auth: `Bearer ${f.demo.accessToken}` })).status, 200)
  })

  it("an API key created through the API is a credential of its account (Basic or Bearer), until revoked", async () => {
    const f = fixture()
    const created = await f.post(`${f.A}/api-keys`, { name: "CI" })
    const { id, key_secret_plain } = created.body.data
    const basic = `Basic ${btoa(`${id}:${key_secret_plain}`)}`
    assert.equal((await f.get(`${f.A}/issuers`, { auth: basic })).status, 200)
    assert.equal((await f.get(`${f.A}/issuers`, { auth: `Bearer ${id}.${key_secret_plain}` })).status, 200)
    await f.post(`${f.A}/api-keys/${id}/revoke`)
    const revoked = await f.get(`${f.A}/issuers`, { auth: basic })
    assert.equal(revoked.status, 401)
    // A read-only key reads, and may not write.
    const reader = (await f.post(`${f.A}/api-keys`, { name: "Reader", scopes: ["read"] })).body.data
    const readerAuth = `Basic ${btoa(`${reader.id}:${reader.key_secret_plain}`)}`
    assert.equal((await f.get(`${f.A}/issuers`, { auth: readerAuth })).status, 200)
    const write = await f.post(`${f.A}/issuers`, { name: "no" }, { auth: readerAuth })
    assert.equal(write.status, 403)
    assert.equal(write.body.error, "insufficient_scope")
    // A user's personal token is a credential too.
    const params = await parentsFor(f, "tokens")
    const token = (await f.post(collectionUrl(f, "tokens", params), { name: "cli" })).body.data
    const me = await f.get("/v1/me", { auth: `Bearer ${token.token_plain}` })
    assert.equal(me.body.data.type, "personal_token")
  })

  it("415 invalid_content_type for a body that is not JSON; the credential is checked first", async () => {
    const f = fixture()
    const text = await f.post(`${f.A}/issuers`, undefined, {
      headers: { "content-type": "text/plain" },
    })
    assert.equal(text.status, 415)
    assert.equal(text.body.error, "invalid_content_type")
    const form = await f.send("POST", `${f.A}/issuers`, {
      body: "name=x",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    })
    assert.equal(form.status, 415)
    const untyped = await f.fetch(`${f.baseUrl}${f.A}/issuers`, {
      method: "POST",
      headers: { authorization: `Bearer ${f.demo.apiKey}` },
      body: '{"name":"x"}',
    })
    assert.equal(untyped.status, 415)
    const json = await f.post(`${f.A}/issuers`, { name: "ok" }, {
      headers: { "content-type": "application/json; charset=utf-8" },
    })
    assert.equal(json.status, 201)
    const unauthenticated = await f.post(`${f.A}/issuers`, "x", {
      auth: null,
      headers: { "content-type": "text/plain" },
    })
    assert.equal(unauthenticated.status, 401)
    const broken = await f.post(`${f.A}/issuers`, "{not json")
    assert.equal(broken.status, 400)
    assert.equal(broken.body.error, "invalid_request")
  })

  it("404 for an unknown path and 405 with Allow for a wrong method, in the API's error shape", async () => {
    const f = fixture()
    const unknown = await f.get("/v1/nothing")
    assert.deepEqual([unknown.status, unknown.body.error], [404, "not_found"])
    const wrong = await f.send("PUT", `${f.A}/issuers`)
    assert.deepEqual([wrong.status, wrong.body.error], [405, "method_not_allowed"])
    assert.match(wrong.headers.get("allow") ?? "", /GET, POST|POST, GET/)
  })
})

// -------------------------------------------------------------------------------------------------

describe("AuthPI mock: secrets answered once", () => {
  for (const [name, row] of resources.filter(([, s]) => (s.secrets ?? []).length > 0)) {
    it(`${name}: ${row.secrets!.join(", ")} only in the create answer, kept as SHA-256, never in reads, lists, events or the journal`, async () => {
      const f = fixture()
      const params = await parentsFor(f, name)
      const body = name === "webhooks" ? { ...sample(name), auth_type: "bearer+signature" } : sample(name)
      const created = await f.post(collectionUrl(f, name, params), body)
      assert.equal(created.status, 201, created.text)
      const item = created.body.data
      const plains: Array<string> = row.secrets!.map((field) => item[field])
      for (const [i, field] of row.secrets!.entries()) {
        assert.equal(typeof plains[i], "string", field)
        assert.ok(plains[i].length >= 40)
        assert.equal(f.api.state.hashOf(item.id, field), await sha256(plains[i]))
      }
      const reads = [
        row.operations.includes("get") ? await f.get(itemUrl(f, name, params, item)) : undefined,
        row.operations.includes("list") ? await f.get(collectionUrl(f, name, params)) : undefined,
        row.operations.includes("update") ? await f.patch(itemUrl(f, name, params, item), { label: "x" }) : undefined,
        await f.get(`${f.A}/events?limit=100`),
      ]
      const seen = reads.map((answer) => answer?.text ?? "").join("\n") + JSON.stringify(f.mock.journal) +
        JSON.stringify(f.api.state.items(f.demo.accountId, name)) + JSON.stringify(f.api.state)
      for (const [i, plain] of plains.entries()) {
        assert.ok(!seen.includes(plain), `${row.secrets![i]} was served again`)
        for (const field of row.secrets!) assert.ok(!seen.includes(`"${field}"`), `${field} in a later read`)
      }
    })
  }

  it("webhooks: only the secrets its auth_type needs; a change to bearer answers the new token once", async () => {
    const f = fixture()
    const none = await f.post(`${f.A}/webhooks`, { ...sample("webhooks"), auth_type: "none" })
    assert.equal(none.body.data.bearer_token_plain, undefined)
    assert.equal(none.body.data.signature_secret_plain, undefined)
    const signed = await f.post(`${f.A}/webhooks`, sample("webhooks"))
    assert.equal(signed.body.data.bearer_token_plain, undefined)
    assert.match(signed.body.data.signature_secret_plain, /^whsec_/)
    const moved = await f.patch(`${f.A}/webhooks/${signed.body.data.id}`, { auth_type: "bearer+signature" })
    assert.match(moved.body.data.bearer_token_plain, /^whbt_/)
    assert.equal(moved.body.data.signature_secret_plain, undefined)
    const bad = await f.post(`${f.A}/webhooks`, { ...sample("webhooks"), auth_type: "hmac" })
    assert.equal(bad.status, 400)
    assert.ok("auth_type" in bad.body.fields)
    const badUrl = await f.post(`${f.A}/webhooks`, { ...sample("webhooks"), url: "ftp://x" })
    assert.ok("url" in badUrl.body.fields)
  })
})

// -------------------------------------------------------------------------------------------------

/** A tiny HTTP server on Deno or Bun, for webhooks to reach. */
const serve = (handler: (request: Request) => Response | Promise<Response>) => {
  const runtime = globalThis as {
    Bun?: { serve(o: unknown): { port: number; stop(force: boolean): void } }
    Deno?: { serve(o: unknown, h: unknown): { addr: { port: number }; shutdown(): Promise<void> } }
  }
  if (runtime.Bun !== undefined) {
    const server = runtime.Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: handler })
    return { url: `http://127.0.0.1:${server.port}`, close: () => Promise.resolve(server.stop(true)) }
  }
  const server = runtime.Deno!.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, handler)
  return { url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() }
}

interface Received {
  readonly headers: Record<string, string>
  readonly body: string
}

/** A webhook receiver answering with `status(n)` for its n-th request (0-based). */
const receiver = (status: (n: number) => number = () => 200) => {
  const received: Array<Received> = []
  const server = serve(async (request) => {
    const n = received.length
    received.push({ headers: Object.fromEntries(request.headers), body: await request.text() })
    return new Response(null, { status: status(n) })
  })
  return { ...server, received }
}

const verify = (body: string, header: string | undefined, secret: string, now: number) =>
  Effect.runPromiseExit(verifyWebhookSignature(body, header, secret, { now }))

describe("AuthPI mock: events and webhooks", () => {
  it("writes record <event>.created|updated|deleted with the issuer, user and client they concern", async () => {
    const f = fixture()
    const issuer = (await f.post(`${f.A}/issuers`, { name: "E" })).body.data
    const I = `${f.A}/issuers/${issuer.id}`
    const user = (await f.post(`${I}/users`, { email: "e@example.com" })).body.data
    const client = (await f.post(`${I}/clients`, { name: "C" })).body.data
    await f.patch(`${I}/users/${user.id}`, { display_name: "E" })
    await f.del(`${I}/users/${user.id}`)
    await f.del(`${I}/clients/${client.id}`)
    const events = (await f.get(`${f.A}/events?issuer_id=${issuer.id}`)).body.data
    assert.deepEqual(events.map((e: Json) => [e.type, e.user_id ?? null, e.client_id ?? null]), [
      ["client.deleted", null, client.id],
      ["user.deleted", user.id, null],
      ["user.updated", user.id, null],
      ["client.created", null, client.id],
      ["user.created", user.id, null],
      ["issuer.created", null, null],
    ])
    for (const event of events) {
      assert.match(event.id, /^evt_[a-z0-9]{25}$/)
      assert.equal(event.issuer_id, issuer.id)
    }
    assert.equal(events[3].data.id, client.id)
    assert.equal(events[3].data.client_secret_plain, undefined)
  })

  it("an event goes to each active webhook subscribed to it, signed and with its bearer token", async () => {
    const f = fixture()
    const hook = receiver()
    try {
      const webhook = (await f.post(`${f.A}/webhooks`, {
        name: "Users",
        url: `${hook.url}/hook`,
        events: ["user.created"],
        auth_type: "bearer+signature",
      })).body.data
      const everything = (await f.post(`${f.A}/webhooks`, { name: "All", url: `${hook.url}/all`, events: ["*"] }))
        .body.data
      const disabled = (await f.post(`${f.A}/webhooks`, { name: "Off", url: `${hook.url}/off`, events: ["*"] })).body
        .data
      await f.patch(`${f.A}/webhooks/${disabled.id}`, { status: "disabled" })
      await f.api.settled()
      hook.received.length = 0
      const disabledBefore = (await f.get(`${f.A}/webhooks/${disabled.id}/deliveries`)).body.data.length

      const started = Date.now()
      const user = (await f.post(`${f.A}/issuers/${f.demo.issuerId}/users`, { email: "hook@example.com" })).body.data
      assert.ok(Date.now() - started < 1000)
      await f.api.settled()
      assert.equal(hook.received.length, 2)
      const signed = hook.received.find((r) => r.headers["x-webhook-id"] === webhook.id)!
      const event = JSON.parse(signed.body)
      assert.deepEqual([event.type, event.data.id, event.user_id, event.issuer_id], [
        "user.created",
        user.id,
        user.id,
        f.demo.issuerId,
      ])
      assert.equal(signed.headers["content-type"], "application/json")
      assert.equal(signed.headers.authorization, `Bearer ${webhook.bearer_token_plain}`)
      assert.equal(signed.headers["x-webhook-event"], "user.created")
      const good = await verify(
        signed.body,
        signed.headers["x-webhook-signature"],
        webhook.signature_secret_plain,
        f.clock.now(),
      )
      assert.ok(Exit.isSuccess(good), String(good))
      const tampered = await verify(
        signed.body.replace("hook@", "evil@"),
        signed.headers["x-webhook-signature"],
        webhook.signature_secret_plain,
        f.clock.now(),
      )
      assert.ok(Exit.isFailure(tampered))
      const wrongSecret = await verify(signed.body, signed.headers["x-webhook-signature"], "whsec_other", f.clock.now())
      assert.ok(Exit.isFailure(wrongSecret))
      const stale = await verify(
        signed.body,
        signed.headers["x-webhook-signature"],
        webhook.signature_secret_plain,
        f.clock.now() + 3_600_000,
      )
      assert.ok(Exit.isFailure(stale))
      const all = hook.received.find((r) => r.headers["x-webhook-id"] === everything.id)!
      assert.equal(all.headers.authorization, undefined)
      assert.equal(JSON.parse(all.body).id, event.id)

      const deliveries = await f.get(`${f.A}/webhooks/${webhook.id}/deliveries`)
      assert.equal(deliveries.body.data.length, 1)
      const delivery = deliveries.body.data[0]
      assert.deepEqual(
        [delivery.status, delivery.response_code, delivery.attempt, delivery.event_id, delivery.next_attempt_at],
        ["succeeded", 200, 1, event.id, null],
      )
      assert.match(delivery.id, /^dlv_[a-z0-9]{25}$/)
      assert.equal(typeof delivery.duration_ms, "number")
      // It had its own webhook.created while still active; nothing since it was disabled.
      assert.equal((await f.get(`${f.A}/webhooks/${disabled.id}/deliveries`)).body.data.length, disabledBefore)
      const filtered = await f.get(`${f.A}/webhooks/${webhook.id}/deliveries?status=failed`)
      assert.equal(filtered.body.data.length, 0)
    } finally {
      await hook.close()
    }
  })

  it("a failed delivery is retried when the mock clock moves: 1 min, 5 min, 30 min, 4 attempts in all", async () => {
    const f = fixture()
    const hook = receiver((n) => n < 1 ? 500 : 200)
    const failing = receiver(() => 503)
    try {
      const webhook = (await f.post(`${f.A}/webhooks`, { name: "R", url: hook.url, events: ["issuer.created"] })).body
        .data
      const never = (await f.post(`${f.A}/webhooks`, { name: "N", url: failing.url, events: ["issuer.created"] })).body
        .data
      await f.post(`${f.A}/issuers`, { name: "Retry me" })
      await f.api.settled()
      const first = (await f.get(`${f.A}/webhooks/${webhook.id}/deliveries`)).body.data
      assert.deepEqual([first[0].status, first[0].response_code], ["failed", 500])
      // The mock clock runs on with real time: within a second of a minute after the attempt.
      assert.ok(Math.abs(first[0].next_attempt_at - (f.clock.now() + WEBHOOK_RETRY_DELAYS_MS[0])) < 1000)

      f.clock.advance(WEBHOOK_RETRY_DELAYS_MS[0] - 1000)
      await f.api.settled()
      assert.equal(hook.received.length, 1, "not yet due")
      f.clock.advance(1000)
      await f.api.settled()
      assert.equal(hook.received.length, 2)
      const second = (await f.get(`${f.A}/webhooks/${webhook.id}/deliveries`)).body.data
      assert.deepEqual(second.map((d: Json) => [d.attempt, d.status]), [[2, "succeeded"], [1, "failed"]])
      assert.equal(second[0].event_id, second[1].event_id)

      for (const wait of WEBHOOK_RETRY_DELAYS_MS.slice(1)) {
        f.clock.advance(wait)
        await f.api.settled()
      }
      f.clock.advance(24 * 3600 * 1000)
      await f.api.settled()
      const exhausted = (await f.get(`${f.A}/webhooks/${never.id}/deliveries`)).body.data
      assert.deepEqual(
        exhausted.map((d: Json) => [d.attempt, d.status, d.response_code]),
        [[4, "failed", 503], [3, "failed", 503], [2, "failed", 503], [1, "failed", 503]],
      )
      assert.equal(exhausted.length, WEBHOOK_MAX_ATTEMPTS)
      assert.equal(exhausted[0].next_attempt_at, null)
      assert.equal(f.api.state.webhooks.scheduled().length, 0)
    } finally {
      await hook.close()
      await failing.close()
    }
  })

  it("an unreachable receiver records response_code null; deliverDue() runs due retries; redeliver sends again now", async () => {
    const f = fixture()
    let up = false
    const hook = receiver(() => up ? 204 : 500)
    try {
      const down = (await f.post(`${f.A}/webhooks`, {
        name: "Down",
        url: "http://127.0.0.1:9/",
        events: ["member.created"],
      })).body.data
      const webhook = (await f.post(`${f.A}/webhooks`, { name: "Up", url: hook.url, events: ["member.created"] }))
        .body.data
      await f.post(`${f.A}/members`, { email: "m@example.com" })
      await f.api.settled()
      const unreachable = (await f.get(`${f.A}/webhooks/${down.id}/deliveries`)).body.data[0]
      assert.deepEqual([unreachable.status, unreachable.response_code], ["failed", null])

      const failed = (await f.get(`${f.A}/webhooks/${webhook.id}/deliveries`)).body.data[0]
      up = true
      const redelivered = await f.post(`${f.A}/webhooks/${webhook.id}/deliveries/${failed.id}/redeliver`)
      assert.equal(redelivered.status, 200, redelivered.text)
      assert.deepEqual([redelivered.body.data.attempt, redelivered.body.data.event_id], [2, failed.event_id])
      await f.api.settled()
      const after = (await f.get(`${f.A}/webhooks/${webhook.id}/deliveries/${redelivered.body.data.id}`)).body.data
      assert.deepEqual([after.status, after.response_code], ["succeeded", 204])
      assert.equal(hook.received.length, 2)
      // The redelivery replaced the retry that was waiting for this webhook.
      assert.ok(f.api.state.webhooks.scheduled().every((s) => s.webhookId !== webhook.id))

      f.clock.set(f.clock.now()) // no move: nothing due yet
      assert.equal(f.api.deliverDue(), 0)
      const due = f.api.state.webhooks.scheduled()[0]
      assert.equal(due.webhookId, down.id)
      // Time passes without the clock being moved by hand (real time runs it on): deliverDue() starts the retry.
      f.clock.set(due.dueAt - 50)
      await f.api.settled()
      await new Promise((resolve) => setTimeout(resolve, 60))
      assert.equal(f.api.deliverDue(), 1)
      await f.api.settled()
      assert.equal((await f.get(`${f.A}/webhooks/${down.id}/deliveries`)).body.data.length, 2)
    } finally {
      await hook.close()
    }
  })

  it("deliveries never delay the API's answer; settled() waits for them", async () => {
    const f = fixture()
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const hook = serve(async () => {
      await gate
      return new Response(null, { status: 200 })
    })
    try {
      const webhook = (await f.post(`${f.A}/webhooks`, { name: "Slow", url: hook.url, events: ["group.created"] })).body
        .data
      const answered = await f.post(`${f.A}/issuers/${f.demo.issuerId}/groups`, { name: "G" })
      assert.equal(answered.status, 201)
      const pending = (await f.get(`${f.A}/webhooks/${webhook.id}/deliveries`)).body.data[0]
      assert.equal(pending.status, "pending")
      let settled = false
      const waiting = f.api.settled().then(() => (settled = true))
      await new Promise((resolve) => setTimeout(resolve, 20))
      assert.equal(settled, false)
      release()
      await waiting
      const done = (await f.get(`${f.A}/webhooks/${webhook.id}/deliveries`)).body.data[0]
      assert.equal(done.status, "succeeded")
    } finally {
      release()
      await hook.close()
    }
  })

  it("a deleted webhook's waiting retries are dropped; it and its deliveries stay readable", async () => {
    const f = fixture()
    const webhook = (await f.post(`${f.A}/webhooks`, {
      name: "Gone",
      url: "http://127.0.0.1:9/",
      events: ["note.created"],
    })).body.data
    await f.post(`${f.A}/notes`, { subject_type: "user", subject_id: "usr_x", body: "hi" })
    await f.api.settled()
    assert.equal(f.api.state.webhooks.scheduled().length, 1)
    assert.equal((await f.del(`${f.A}/webhooks/${webhook.id}`)).status, 204)
    assert.equal(f.api.state.webhooks.scheduled().length, 0)
    const deliveries = await f.get(`${f.A}/webhooks/${webhook.id}/deliveries`)
    assert.equal(deliveries.status, 200)
    assert.equal(deliveries.body.data.length, 1)
  })

  it("webhook delete is soft: status deleted, listed with status=deleted (and unfiltered), not with active; GET answers it", async () => {
    const f = fixture()
    const create = (name: string) =>
      f.post(`${f.A}/webhooks`, { name, url: "http://127.0.0.1:9/", events: ["note.created"] })
    const gone = (await create("Gone")).body.data
    const kept = (await create("Kept")).body.data
    assert.equal((await f.del(`${f.A}/webhooks/${gone.id}`)).status, 204)
    const read = await f.get(`${f.A}/webhooks/${gone.id}`)
    assert.equal(read.status, 200)
    assert.deepEqual([read.body.data.id, read.body.data.status], [gone.id, "deleted"])
    assert.equal(read.headers.get("etag"), `"${read.body.data.updated_at}"`)
    const ids = async (query: string) =>
      (await f.get(`${f.A}/webhooks${query}`)).body.data.map((w: Json) => w.id).filter((id: string) =>
        id === gone.id || id === kept.id
      )
    assert.deepEqual(await ids("?status=deleted"), [gone.id])
    assert.deepEqual(await ids("?status=active"), [kept.id])
    assert.deepEqual(await ids(""), [kept.id, gone.id])
    const events = (await f.get(`${f.A}/events?event_types=webhook.deleted`)).body.data
    assert.deepEqual(events.map((e: Json) => e.data.id), [gone.id])
    // Deleting it again changes nothing; an update is refused; it cannot be redelivered to.
    const again = await f.del(`${f.A}/webhooks/${gone.id}`)
    assert.equal(again.status, 204)
    assert.equal((await f.get(`${f.A}/webhooks/${gone.id}`)).body.data.updated_at, read.body.data.updated_at)
    assert.equal((await f.patch(`${f.A}/webhooks/${gone.id}`, { status: "active" })).status, 409)
    assert.equal((await f.patch(`${f.A}/webhooks/${kept.id}`, { status: "deleted" })).status, 400)
  })

  it("a deleted webhook gets no delivery of a later event; an active one does", async () => {
    const f = fixture()
    const hook = receiver()
    try {
      const create = (name: string) =>
        f.post(`${f.A}/webhooks`, { name, url: `${hook.url}/${name}`, events: ["note.created"] })
      const gone = (await create("gone")).body.data
      const kept = (await create("kept")).body.data
      await f.del(`${f.A}/webhooks/${gone.id}`)
      await f.api.settled()
      hook.received.length = 0
      await f.post(`${f.A}/notes`, { subject_type: "user", subject_id: "usr_x", body: "after" })
      await f.api.settled()
      assert.deepEqual(hook.received.map((r) => r.headers["x-webhook-id"]), [kept.id])
      assert.equal((await f.get(`${f.A}/webhooks/${gone.id}/deliveries`)).body.data.length, 0)
      assert.equal((await f.get(`${f.A}/webhooks/${kept.id}/deliveries`)).body.data.length, 1)
    } finally {
      await hook.close()
    }
  })
})

// -------------------------------------------------------------------------------------------------

describe("AuthPI mock: the edge, the document, the server", () => {
  it("an edge 429 with a non-JSON body, through a fault", async () => {
    const f = fixture()
    const remove = f.mock.fault({
      path: "/authpi/v1/me",
      status: 429,
      body: "rate limited",
      headers: { "retry-after": "2" },
    })
    const limited = await f.get("/v1/me")
    assert.deepEqual([limited.status, limited.text, limited.headers.get("retry-after")], [429, "rate limited", "2"])
    assert.equal(limited.body, undefined, "not JSON")
    remove()
    assert.equal((await f.get("/v1/me")).status, 200)
  })

  it("its OpenAPI document lists every endpoint of the definition, and each reaches its route", async () => {
    const f = fixture()
    const document = (await f.get("/openapi.json", { auth: null })).body
    const operations = Object.entries(document.paths as Record<string, Record<string, { operationId: string }>>)
      .flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })))
    assert.equal(operations.length, AuthPIApi.all.length)
    for (const { path, method, op } of operations) {
      const filled = fillPath(path, Object.fromEntries(pathParameters(path).map((p) => [p, "x"])))
      await f.mock.fetch(`${f.baseUrl}${filled}`, { method: method.toUpperCase() })
      assert.equal(f.mock.journal.at(-1)?.operation, op.operationId)
    }
    const yaml = await f.get("/openapi.yaml", { auth: null })
    assert.match(yaml.text, /^openapi: "3\.1\.0"\n/)
  })

  it("the demo: both credential forms, both accounts, an issuer with users, sessions and trusted devices", async () => {
    const f = fixture()
    const { demo } = f
    for (const value of Object.values(demo)) assert.equal(typeof value, "string")
    assert.equal(demo.basicApiKey.split(":")[0], demo.apiKey.split(".")[0])
    const users = (await f.get(`${f.A}/issuers/${demo.issuerId}/users`)).body.data
    assert.equal(users.length, 3)
    const sessions = await f.get(`${f.A}/issuers/${demo.issuerId}/users/${users[0].id}/sessions`)
    assert.equal(sessions.body.data.length, 1)
    const session = sessions.body.data[0]
    assert.equal((await f.get(`${f.A}/issuers/${demo.issuerId}/sessions/${session.id}`)).body.data.user_id, users[0].id)
    assert.equal(
      (await f.get(`${f.A}/issuers/${demo.issuerId}/users/${users[0].id}/trusted-devices`)).body.data.length,
      1,
    )
    assert.equal((await f.get(`${f.A}/events`)).body.data.length, 0, "the seed records no events")
  })

  it("over HTTP: control routes mint and expire access tokens, seed items, deliver due webhooks, list the outbox", async () => {
    const f = fixture()
    const server = await serveMock(f.mock, { port: 0 })
    const control = (route: string, body?: unknown, method = "POST") =>
      fetch(`${server.url}/__mock/authpi/${route}`, {
        method,
        headers: { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
    try {
      const minted = await control("access-tokens", { account_ids: [f.demo.otherAccountId], ttl_seconds: 60 })
      assert.equal(minted.status, 201)
      const token = await minted.json()
      assert.equal(token.token_type, "Bearer")
      const me = await fetch(`${server.url}/authpi/v1/me`, {
        headers: { authorization: `Bearer ${token.access_token}` },
      })
      assert.equal((await me.json()).data.accounts[0].account_id, f.demo.otherAccountId)
      for (
        const [body, field] of [
          [{ ttl_seconds: -1 }, "ttl_seconds"],
          [{ account_ids: "acc" }, "account_ids"],
          [{ account_ids: ["acc_nope"] }, "account_ids"],
        ] as const
      ) {
        const refused = await control("access-tokens", body)
        assert.equal(refused.status, 400)
        assert.match((await refused.json()).message, new RegExp(field))
      }
      const expired = await control("access-tokens/expire", {})
      assert.equal((await expired.json()).expired, 2)
      const after = await fetch(`${server.url}/authpi/v1/me`, {
        headers: { authorization: `Bearer ${token.access_token}` },
      })
      assert.equal(after.status, 401)
      assert.equal((await control("access-tokens/expire", { access_token: 5 })).status, 400)

      const users = f.api.state.items(f.demo.accountId, "users")
      const seeded = await control("items", {
        resource: "sessions",
        params: { issuer_id: f.demo.issuerId, user_id: users[0].id },
        fields: { status: "expired" },
      })
      assert.equal(seeded.status, 201)
      assert.match((await seeded.json()).data.id, /^ses_/)
      const badResource = await control("items", { resource: "nope" })
      assert.equal(badResource.status, 400)
      assert.match((await badResource.json()).message, /resource/)
      const missingParent = await control("items", { resource: "sessions", params: { issuer_id: f.demo.issuerId } })
      assert.equal(missingParent.status, 400)
      assert.equal((await missingParent.json()).message, "params.user_id is required for sessions")
      const unknownParent = await control("items", {
        resource: "sessions",
        params: { issuer_id: f.demo.issuerId, user_id: "usr_nope" },
      })
      assert.equal(unknownParent.status, 404)
      assert.equal((await control("items", { resource: "sessions", params: [1] })).status, 400)

      await f.post(`${f.A}/webhooks`, { name: "Down", url: "http://127.0.0.1:9/", events: ["*"] })
      await (await control("webhooks/settled", undefined, "GET")).body?.cancel()
      const outbox = await (await control("webhooks/outbox", undefined, "GET")).json()
      assert.equal(outbox.data.length, 1)
      assert.equal(outbox.data[0].event_type, "webhook.created")
      assert.equal(outbox.scheduled.length, 1)
      f.clock.set(outbox.scheduled[0].dueAt - 50)
      await f.api.settled()
      await new Promise((resolve) => setTimeout(resolve, 60))
      const due = await (await control("webhooks/deliver-due", {})).json()
      assert.deepEqual(due, { started: 1, scheduled: 1 })
      assert.equal((await control("nothing", {})).status, 404)
    } finally {
      await server.close()
    }
  })
})
