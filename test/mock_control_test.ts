import { after, before, describe, it } from "node:test"
import assert from "node:assert/strict"
import { createMock, type MockServer, serveMock } from "../mock/mod.ts"

/** A mock server for the file, and what a curl user sends it. */
const mock = createMock()
let server: MockServer
before(async () => {
  server = await serveMock(mock, { port: 0 })
})
after(() => server.close())

const send = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
  fetch(`${server.url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  })
const json = async (response: Response) => ({ status: response.status, body: await response.json() })
const control = async (method: string, path: string, body?: unknown) => {
  const answer = await send(method, `/__mock${path}`, body)
  return answer.status === 204 || answer.status === 201 && answer.headers.get("content-length") === "0"
    ? { status: answer.status, body: undefined as unknown as Record<string, unknown> }
    : json(answer)
}
const puidQuota = () => send("GET", "/puid/api/v1/quota", undefined, { "x-api-key": mock.puid.demo.apiKey })

describe("faults over HTTP", () => {
  it("get an id (201, Location), are listed, and DELETE /__mock/faults/<id> removes one (then 404)", async () => {
    await control("POST", "/reset")
    const created = await send("POST", "/__mock/faults", { api: "puid", method: "GET", path: "/v1/quota", status: 503 })
    assert.equal(created.status, 201)
    const fault = await created.json()
    assert.match(fault.id, /^f\d+$/)
    assert.equal(created.headers.get("location"), `/__mock/faults/${fault.id}`)
    assert.deepEqual(fault, {
      id: fault.id,
      api: "puid",
      method: "GET",
      path: "/v1/quota",
      status: 503,
      left: null,
      hits: 0,
    })
    assert.equal((await puidQuota()).status, 503)
    const listed = await control("GET", "/faults")
    assert.deepEqual(listed.body.map((f: { id: string; hits: number }) => [f.id, f.hits]), [[fault.id, 1]])
    assert.equal((await control("DELETE", `/faults/${fault.id}`)).status, 204)
    assert.equal((await control("DELETE", `/faults/${fault.id}`)).status, 404)
    assert.equal((await control("DELETE", "/faults/%ZZ")).status, 404) // not percent-encoding: no such fault
    assert.deepEqual((await control("GET", "/faults")).body, [])
    assert.equal((await puidQuota()).status, 200)
  })

  it("a status fault answers each API's own error body for that status", async () => {
    await control("POST", "/reset")
    const cases = [
      ["puid", "/puid/api/v1/quota", (b: Record<string, unknown>) => b.error === "service_unavailable"],
      ["machineid", "/machineid/api/v1/usage", (b: Record<string, unknown>) => b.status === "error" && !!b.error],
      ["apikeys", "/apikeys/api/orgs", (b: Record<string, unknown>) => b._tag === "KeyStoreUnavailable"],
      ["authpi", "/authpi/v1/accounts/x/issuers", (b: Record<string, unknown>) => b.error === "server_error"],
      ["puguh", "/puguh/billing/plans", (b: Record<string, unknown>) => typeof b.detail === "string"],
    ] as const
    for (const [api, path, shaped] of cases) {
      const { id } = (await control("POST", "/faults", { api, path: "/", status: 503, times: 1 })).body
      const answer = await json(await send("GET", path))
      assert.equal(answer.status, 503, api)
      assert.ok(shaped(answer.body), `${api}: ${JSON.stringify(answer.body)}`)
      assert.equal((await control("DELETE", `/faults/${id}`)).status, 404, "a spent fault is gone")
    }
  })

  it("times counts down, then the API answers; a body and headers replace the API's", async () => {
    await control("POST", "/reset")
    const { body } = await control("POST", "/faults", {
      path: "/v1/quota",
      status: 429,
      times: 2,
      body: { custom: true },
      headers: { "retry-after": "7" },
    })
    const first = await puidQuota()
    assert.equal(first.headers.get("retry-after"), "7")
    assert.deepEqual(await first.json(), { custom: true })
    assert.equal((await control("GET", "/faults")).body[0].left, 1)
    assert.equal((await puidQuota()).status, 429)
    assert.equal((await puidQuota()).status, 200)
    assert.deepEqual((await control("GET", "/faults")).body, [], `${body.id} is spent`)
  })

  it("a pathPattern matches by regular expression; probability applies to some requests only", async () => {
    await control("POST", "/reset")
    await control("POST", "/faults", { pathPattern: "^/puid/api/v1/ordinal/\\d+$", status: 500 })
    assert.equal((await send("GET", "/puid/api/v1/ordinal/12")).status, 500)
    assert.notEqual((await send("GET", "/puid/api/v1/ordinal/x")).status, 500)
    await control("DELETE", "/faults")
    mock.fault({ path: "/v1/ordinal/", status: 503, probability: 0.5 })
    const statuses = []
    for (let i = 0; i < 200; i++) statuses.push((await mock.fetch(`${mock.baseUrl("puid")}/v1/ordinal/1`)).status)
    const faulted = statuses.filter((s) => s === 503).length
    assert.ok(faulted > 0 && faulted < 200, `${faulted} of 200 faulted`)
    assert.equal(mock.faults()[0].hits, faulted)
  })

  it("delayMs takes a fixed wait or a [min, max] range; the journal records the time taken", async () => {
    await control("POST", "/reset")
    await control("POST", "/faults", { path: "/v1/quota", delayMs: [60, 80], times: 1 })
    assert.equal((await puidQuota()).status, 200)
    const [entry] = (await control("GET", "/journal?path=/v1/quota")).body
    assert.equal(entry.status, 200)
    assert.ok(entry.durationMs >= 59, `${entry.durationMs} ms`)
  })

  it("drop resets the connection: the caller gets no answer, the journal no status", async () => {
    await control("POST", "/reset")
    // No `times`: a client may send again on a fresh connection after a reset (Bun's fetch does).
    const { body: { id } } = await control("POST", "/faults", { path: "/v1/quota", drop: true })
    await assert.rejects(async () => await (await puidQuota()).text())
    await control("DELETE", `/faults/${id}`)
    const entries = (await control("GET", "/journal")).body
    assert.ok(entries.length >= 1)
    assert.ok(entries.every((entry: { status?: number }) => entry.status === undefined))
  })

  it("refuses a bad fault with 400 naming the field", async () => {
    for (
      const [body, message] of [
        [{ path: "/x", status: 503, probability: 0 }, /probability must be/],
        [{ path: "/x", status: 503, probability: 1.5 }, /probability must be/],
        [{ path: "/x", delayMs: [50, 10] }, /delayMs must be/],
        [{ path: "/x", delayMs: [1, 2, 3] }, /delayMs must be/],
        [{ path: "/x", status: 503, api: "nope" }, /api must be one of puid, machineid/],
        [{ pathPattern: "(", status: 503 }, /pathPattern is not a valid regular expression/],
        [{ path: "/x", pathPattern: "x", status: 503 }, /path or pathPattern, not both/],
        [{ status: 503 }, /path .* is required/],
        [{ path: "/x", status: 503, bogus: 1 }, /unknown field bogus/],
      ] as const
    ) {
      const answer = await control("POST", "/faults", body)
      assert.equal(answer.status, 400, JSON.stringify(body))
      assert.match(answer.body.message, message)
    }
    assert.equal((await send("PUT", "/__mock/faults/f1")).status, 405)
  })
})

describe("every control route checks its body", () => {
  const routes = [
    "/clock",
    "/faults",
    "/verify",
    "/puid/keys",
    "/puid/usage",
    "/authpi/access-tokens",
    "/authpi/access-tokens/expire",
    "/authpi/items",
    "/authpi/webhooks/deliver-due",
    "/puguh/keys/rotate",
    "/puguh/api-keys",
    "/puguh/billing/payment-method",
    "/puguh/billing/suspend",
  ]
  const deep = "[".repeat(10_000) + "]".repeat(10_000)
  const refusal = (body: Record<string, unknown>) => String(body.message ?? body.detail)

  it("not JSON, not an object, too deep, or an unknown field: 400 naming what is wrong", async () => {
    for (const route of routes) {
      for (
        const [body, message] of [
          ["{bad", /not JSON/],
          ["null", /must be a JSON object/],
          ["[]", /must be a JSON object/],
          [deep, /nests deeper than 64 levels/],
          [{ bogus: 1 }, /unknown field bogus/],
        ] as const
      ) {
        const answer = await control("POST", route, body)
        assert.equal(answer.status, 400, `${route} ${JSON.stringify(body).slice(0, 20)}`)
        assert.match(refusal(answer.body), message, route)
      }
    }
  })

  it("a refused body changes nothing: the tokens stay valid, the signing keys stay the same", async () => {
    await control("POST", "/reset")
    const me = () =>
      send("GET", "/authpi/v1/me", undefined, { authorization: `Bearer ${mock.authpi.demo.accessToken}` })
    assert.equal((await me()).status, 200)
    assert.equal((await control("POST", "/authpi/access-tokens/expire", { accessToken: "typo" })).status, 400)
    assert.equal((await me()).status, 200)
    const jwks = async () => (await (await send("GET", "/puguh/.well-known/jwks.json")).json()).keys.length
    const keys = await jwks()
    assert.equal((await control("POST", "/puguh/keys/rotate", "null")).status, 400)
    assert.equal((await control("POST", "/puguh/keys/rotate", { retire: "yes" })).status, 400)
    assert.equal(await jwks(), keys)
    assert.equal((await control("POST", "/puguh/keys/rotate", { retire: false })).status, 200)
    assert.equal(await jwks(), keys + 1)
  })

  it("PUT /__mock/state refuses a body nested too deep, and the state stays", async () => {
    await control("POST", "/reset")
    const before = (await control("GET", "/state")).body
    const answer = await control("PUT", "/state", `{"puid":${deep}}`)
    assert.equal(answer.status, 400)
    assert.match(answer.body.message, /nests deeper than/)
    assert.deepEqual((await control("GET", "/state")).body, before)
  })
})

describe("the journal and verify over HTTP", () => {
  const traffic = async () => {
    await control("POST", "/reset")
    await puidQuota()
    await send("GET", "/puid/api/v1/quota")
    await send("POST", "/machineid/api/v1/devices/register", { deviceId: "d1" }, {
      "x-org-key": mock.machineid.demo.proOrgKey,
      "content-type": "application/json",
    })
    await send("GET", "/nowhere")
  }

  it("entries carry the API, the status and the duration; ?api=&method=&path=&status=&limit= filter", async () => {
    await traffic()
    const all = (await control("GET", "/journal")).body
    assert.deepEqual(all.map((e: { api?: string; status: number }) => [e.api, e.status]), [
      ["puid", 200],
      ["puid", 401],
      ["machineid", 200],
      [undefined, 404],
    ])
    assert.ok(all.every((e: { durationMs: number }) => typeof e.durationMs === "number" && e.durationMs >= 0))
    const count = async (query: string) => (await control("GET", `/journal?${query}`)).body.length
    assert.equal(await count("api=puid"), 2)
    assert.equal(await count("method=post"), 1)
    assert.equal(await count("path=/v1/quota"), 2)
    assert.equal(await count("status=401"), 1)
    assert.equal(await count("api=puid&status=200"), 1)
    assert.equal(await count("pathPattern=^/machineid/"), 1)
    const [last] = (await control("GET", "/journal?limit=1")).body
    assert.equal(last.url, `${server.url}/nowhere`)
  })

  it("a bad filter is 400 naming it; DELETE empties the journal", async () => {
    await traffic()
    const refusals: ReadonlyArray<readonly [string, RegExp]> = [
      ["status=abc", /status must be/],
      ["limit=0", /limit must be/],
      ["x=1", /unknown query parameter x/],
      ["api=nope", /api must be/],
    ]
    for (const [query, message] of refusals) {
      const answer = await control("GET", `/journal?${query}`)
      assert.equal(answer.status, 400, query)
      assert.match(answer.body.message, message)
    }
    assert.equal((await control("DELETE", "/journal")).status, 204)
    assert.deepEqual((await control("GET", "/journal")).body, [])
  })

  it("POST /__mock/verify counts the matching requests, and says whether the expected count matched", async () => {
    await traffic()
    assert.deepEqual((await control("POST", "/verify", { api: "puid", path: "/v1/quota" })).body, { count: 2 })
    assert.deepEqual((await control("POST", "/verify", { method: "POST", expect: 1 })).body, {
      count: 1,
      expected: 1,
      matched: true,
    })
    assert.equal((await control("POST", "/verify", { status: 401, expect: 3 })).body.matched, false)
    assert.equal(mock.verify({ api: "machineid", status: 200 }), 1)
    for (const body of [{ expect: -1 }, { wat: 1 }, { status: 99 }]) {
      assert.equal((await control("POST", "/verify", body)).status, 400, JSON.stringify(body))
    }
  })
})

describe("Prefer: code= forces a documented status, as Prism does", () => {
  it("answers the status with the API's real error body; an undocumented one is 400 listing the documented", async () => {
    await control("POST", "/reset")
    const limited = await send("GET", "/puid/api/v1/ids", undefined, {
      prefer: "code=429",
      "x-api-key": mock.puid.demo.apiKey,
    })
    assert.equal(limited.status, 429)
    assert.equal(limited.headers.get("retry-after"), "1")
    assert.equal((await limited.json()).error, "rate_limited")
    const teapot = await json(await send("GET", "/puid/api/v1/ids", undefined, { prefer: "code=418" }))
    assert.equal(teapot.status, 400)
    assert.equal(
      teapot.body.message,
      "Prefer: code=418 is not documented for GET /v1/ids; documented: 200, 400, 401, 402, 429",
    )
    const missing = await send("POST", "/machineid/api/v1/devices/revoke", "{}", {
      prefer: "code=404",
      "x-org-key": "x",
    })
    assert.equal(missing.status, 404)
    assert.equal((await missing.json()).status, "error")
    const journal = mock.requests({ limit: 3 })
    assert.deepEqual(journal.map((e) => e.operation), ["puid.ids", "puid.ids", "machineid.revoke"])
  })

  it("the forced body is the one the endpoint reached gives for that status", async () => {
    await control("POST", "/reset")
    const quota = await json(
      await send("GET", "/puid/api/v1/ids", undefined, {
        prefer: "code=402",
        "x-api-key": mock.puid.demo.apiKey,
      }),
    )
    assert.equal(quota.status, 402)
    assert.deepEqual(
      { ...quota.body, message: undefined },
      {
        error: "quota_exceeded",
        message: undefined,
        used: 1000,
        limit: 1000,
        plan: "free",
        upgrade_url: `${server.url}/upgrade`,
      },
    )
    const limited = await json(await send("GET", "/puid/api/v1/ids", undefined, { prefer: "code=429" }))
    assert.equal(limited.body.upgrade_url, `${server.url}/upgrade`)

    const decision = await json(
      await send("POST", "/machineid/api/v1/devices/validate", { deviceId: "d1" }, { prefer: "code=401" }),
    )
    assert.equal(decision.status, 401)
    assert.equal(decision.body.allowed, false)
    assert.equal(decision.body.code, "ORG_KEY_INVALID")
    assert.equal(decision.body.error, "invalid_org_key")

    const fault = await control("POST", "/faults", { api: "authpi", path: "/v1/me", status: 401, times: 1 })
    assert.equal(fault.status, 201)
    const authpi = await send("GET", "/authpi/v1/me")
    assert.equal(authpi.status, 401)
    assert.match(authpi.headers.get("www-authenticate") ?? "", /error="invalid_token"/)
    assert.equal((await authpi.json()).error, "invalid_token")

    const login = await send("POST", "/puguh/api/v1/auth/login", { email: "a@b.c", password: "x" }, {
      prefer: "code=401",
      "content-type": "application/json",
    })
    assert.equal(login.status, 401)
    assert.match(login.headers.get("www-authenticate") ?? "", /^Bearer/)
    assert.equal((await login.json()).code, "invalid_credentials")
  })

  it("a status that is not a number, or a fault of a status below 400 without a body, is refused", async () => {
    const word = await json(await send("GET", "/puid/api/v1/ids", undefined, { prefer: "code=abc" }))
    assert.equal(word.status, 400)
    assert.match(word.body.message, /code=abc is not an HTTP status code/)
    const ok = await control("POST", "/faults", { path: "/v1/quota", status: 200 })
    assert.equal(ok.status, 400)
    assert.match(ok.body.message, /below 400 needs a body/)
    const both = await control("POST", "/faults", { path: "/v1/quota", status: 503, drop: true })
    assert.equal(both.status, 400)
    assert.throws(() => mock.fault({ path: "/v1/quota", status: 302 }), RangeError)
    const withBody = await control("POST", "/faults", {
      path: "/v1/quota",
      status: 200,
      body: { fine: true },
      times: 1,
    })
    assert.equal(withBody.status, 201)
    assert.deepEqual(await (await puidQuota()).json(), { fine: true })
  })

  it("the success status leaves the answer to the mock; example= is refused, as there are no named examples", async () => {
    await control("POST", "/reset")
    const ok = await send("GET", "/puid/api/v1/quota", undefined, {
      prefer: "code=200, dynamic=true",
      "x-api-key": mock.puid.demo.apiKey,
    })
    assert.equal(ok.status, 200)
    assert.equal(typeof (await ok.json()).used, "number")
    const example = await json(await send("GET", "/puid/api/v1/quota", undefined, { prefer: "example=big" }))
    assert.equal(example.status, 400)
    assert.match(example.body.message, /no named examples/)
  })
})

describe("the state over HTTP and in code", () => {
  it("GET /__mock/state answers it; PUT restores it after a reset", async () => {
    await control("POST", "/reset")
    const { body: { apiKey } } = await control("POST", "/puid/keys", { plan: "hobby" })
    await control("PATCH", `/machineid/orgs/${mock.machineid.demo.freeOrgKey}`, { planState: "frozen" })
    const { accountId, apiKey: authpiKey } = mock.authpi.demo
    const issuer = await json(
      await send("POST", `/authpi/v1/accounts/${accountId}/issuers`, { name: "Saved" }, {
        authorization: `Bearer ${authpiKey}`,
        "content-type": "application/json",
      }),
    )
    assert.equal(issuer.status, 201)
    const saved = (await control("GET", "/state")).body
    assert.deepEqual(Object.keys(saved).sort(), ["apikeys", "authpi", "machineid", "puid"])
    await control("POST", "/reset")
    const quota = () => send("GET", "/puid/api/v1/quota", undefined, { "x-api-key": apiKey })
    const readIssuer = () =>
      send("GET", `/authpi/v1/accounts/${accountId}/issuers/${issuer.body.data.id}`, undefined, {
        authorization: `Bearer ${authpiKey}`,
      })
    assert.equal((await quota()).status, 401)
    assert.equal((await readIssuer()).status, 404)
    assert.equal((await control("PUT", "/state", saved)).status, 204)
    assert.equal((await quota()).status, 200)
    assert.equal(mock.machineid.state.org(mock.machineid.demo.freeOrgKey).planState, "frozen")
    const restored = await json(await readIssuer())
    assert.equal(restored.status, 200)
    assert.equal(restored.body.data.name, "Saved")
  })

  it("a seed need not be a whole snapshot: the fields given replace those of the seeded state", async () => {
    await control("POST", "/reset")
    const seeded = await control("PUT", "/state", {
      puid: { apiKeys: [["puid_live_MySeededKey", { id: "acct_me", plan: "hobby" }]] },
      machineid: { orgs: [{ orgKey: "org_mine", tier: "pro", devices: [{ deviceId: "laptop" }] }] },
    })
    assert.equal(seeded.status, 204)
    const quota = await json(
      await send("GET", "/puid/api/v1/quota", undefined, { "x-api-key": "puid_live_MySeededKey" }),
    )
    assert.deepEqual([quota.status, quota.body.plan], [200, "hobby"])
    assert.equal((await puidQuota()).status, 401, "the demo keys were replaced")
    const validate = await json(
      await send("POST", "/machineid/api/v1/devices/validate", { deviceId: "laptop" }, {
        "x-org-key": "org_mine",
        "content-type": "application/json",
      }),
    )
    assert.deepEqual([validate.status, validate.body.allowed], [200, true])
  })

  it("a bad state is 400 naming the API, and nothing changes, not even the APIs restored before it", async () => {
    await control("POST", "/reset")
    await control("POST", "/puid/keys", { plan: "hobby" })
    const before = mock.snapshot()
    const good = (await control("GET", "/state")).body
    const refusals: ReadonlyArray<readonly [Record<string, unknown>, RegExp]> = [
      [{ ...good, puid: { next: "x" } }, /^puid: /],
      [{ puid: { apiKeys: [] }, machineid: { orgs: [{ orgKey: "o" }] } }, /^machineid: /],
      [{ nope: {} }, /nope: no such API/],
      [{ puguh: {} }, /puguh: its state cannot be restored/],
    ]
    for (const [state, message] of refusals) {
      const answer = await control("PUT", "/state", state)
      assert.equal(answer.status, 400)
      assert.match(answer.body.message, message)
    }
    assert.deepEqual(mock.snapshot(), before)
  })
})

describe("the index", () => {
  it("GET /__mock lists the APIs and every control route, each API's own included", async () => {
    const { body } = await control("GET", "")
    assert.deepEqual(body.apis.map((api: { name: string }) => api.name), [
      "puid",
      "machineid",
      "apikeys",
      "authpi",
      "puguh",
    ])
    assert.equal(body.apis[0].openapi.json, `${server.url}/puid/api/openapi.json`)
    for (
      const route of [
        "/__mock/faults/<id>",
        "/__mock/verify",
        "/__mock/journal",
        "/__mock/machineid/orgs/<orgKey>",
        "/__mock/puid/keys",
        "/__mock/authpi/items",
        "/__mock/puguh/outbox",
      ]
    ) {
      assert.ok(route in body.control, route)
    }
  })

  it("GET / is a page for a browser and data for Accept: application/json; nothing a request carries is markup", async () => {
    await control("POST", "/reset")
    await send("GET", "/puid/api/<script>alert(1)</script>")
    mock.fault({ path: "<img src=x onerror=alert(1)>", status: 500 })
    const page = await send("GET", "/", undefined, { accept: "text/html" })
    assert.equal(page.headers.get("content-type"), "text/html; charset=utf-8")
    const html = await page.text()
    for (const api of mock.apis) assert.ok(html.includes(`data-api="${api.name}"`), api.name)
    assert.ok(!html.includes("<img src=x") && !html.includes("<script>alert"))
    const data = await json(await send("GET", "/", undefined, { accept: "application/json" }))
    assert.equal(data.body.apis.length, 5)
    assert.equal(data.body.recent.at(-1).url, `${server.url}/puid/api/%3Cscript%3Ealert(1)%3C/script%3E`)
    assert.equal(data.body.faults[0].path, "<img src=x onerror=alert(1)>")
    mock.clearFaults()
  })
})

describe("latency and faults in code", () => {
  it("setLatency delays every API answer, not the control API; a fault's delay replaces it", () => {
    const local = createMock({ apis: ["puid"] })
    assert.deepEqual(local.apis.map((api) => api.name), ["puid"])
    assert.throws(() => createMock({ apis: ["puid", "nope"] }), /no mock API named nope/)
    local.setLatency([40, 50])
    return local.fetch(`${local.baseUrl("puid")}/v1/ordinal/1`).then(async (answer) => {
      assert.equal(answer.status, 200)
      assert.ok(local.journal[0].durationMs! >= 39, `${local.journal[0].durationMs}`)
      const remove = local.fault({ path: "/v1/ordinal", delayMs: 0 })
      await local.fetch(`${local.baseUrl("puid")}/v1/ordinal/1`)
      assert.ok(local.journal[1].durationMs! < 39, `${local.journal[1].durationMs}`)
      remove()
      assert.deepEqual(local.faults(), [])
    })
  })

  it("a seed is where the mock starts and where reset() comes back to; a bad one, or a bad latency, throws", async () => {
    const seed = { machineid: { orgs: [{ orgKey: "org_seeded", tier: "free" }] }, puguh: "ignored: not served" }
    const local = createMock({ apis: ["machineid"], seed })
    const usage = () =>
      local.fetch(`${local.baseUrl("machineid")}/api/v1/usage`, { headers: { "x-org-key": "org_seeded" } })
    assert.equal((await usage()).status, 200)
    local.machineid.state.setPlanTier("org_seeded", "max")
    local.reset()
    assert.equal(local.machineid.state.org("org_seeded").planTier, "free")
    assert.equal(local.machineid.state.isOrgKey(local.machineid.demo.proOrgKey), false)
    assert.throws(() => createMock({ seed: { machineid: { orgs: "x" } } }), /^Error: machineid: /)
    for (const bad of [-1, [20, 10], Number.NaN] as const) assert.throws(() => local.setLatency(bad), RangeError)
  })
})

describe("CORS, for a browser app served from another origin", () => {
  const page = "http://localhost:5173"

  it("a preflight is 204 allowing the origin, the method and the headers asked for", async () => {
    const answer = await send("OPTIONS", "/puid/api/v1/ids?n=1", undefined, {
      origin: page,
      "access-control-request-method": "GET",
      "access-control-request-headers": "x-api-key, content-type",
    })
    assert.equal(answer.status, 204)
    assert.equal(answer.headers.get("access-control-allow-origin"), page)
    assert.equal(answer.headers.get("access-control-allow-credentials"), "true")
    assert.equal(answer.headers.get("access-control-allow-methods"), "GET")
    assert.equal(answer.headers.get("access-control-allow-headers"), "x-api-key, content-type")
    assert.equal(answer.headers.get("vary"), "origin")
    assert.equal(mock.requests({ method: "OPTIONS" }).length, 0) // answered before the mock: not journalled
  })

  it("answers from an origin expose their headers (a request id, Retry-After) to the page", async () => {
    await control("POST", "/reset")
    const first = await send("GET", "/puid/api/v1/ids?n=1", undefined, {
      "x-api-key": mock.puid.demo.apiKey,
      origin: page,
    })
    const limited = await send("GET", "/puid/api/v1/ids?n=1", undefined, {
      "x-api-key": mock.puid.demo.apiKey,
      origin: page,
    })
    assert.deepEqual([first.status, limited.status], [200, 429])
    assert.equal(limited.headers.get("access-control-allow-origin"), page)
    const exposed = limited.headers.get("access-control-expose-headers")!.split(", ")
    assert.ok(exposed.includes("retry-after"), exposed.join())
    assert.ok(exposed.includes("content-type"), exposed.join())
    await Promise.all([first.body?.cancel(), limited.body?.cancel()])
  })

  it("a request without Origin gets no CORS headers, and OPTIONS without a preflight reaches the API", async () => {
    const plain = await puidQuota()
    assert.equal(plain.headers.get("access-control-allow-origin"), null)
    await plain.body?.cancel()
    const options = await send("OPTIONS", "/puid/api/v1/quota", undefined, { origin: page })
    assert.equal(options.status, 405)
    assert.equal(options.headers.get("access-control-allow-origin"), page)
    assert.equal((await options.json()).error, "method_not_allowed")
  })
})

describe("the control API's own checks", () => {
  it("a wrong method on an API's own control route is 405 with Allow", async () => {
    for (
      const [method, path, allow] of [
        ["GET", "/__mock/puid/keys", "POST"],
        ["GET", "/__mock/puguh/keys/rotate", "POST"],
        ["DELETE", "/__mock/puguh/outbox", "GET"],
      ] as const
    ) {
      const answer = await send(method, path)
      assert.equal(answer.status, 405, `${method} ${path}`)
      assert.equal(answer.headers.get("allow"), allow, path)
      assert.equal((await answer.json()).error, "method_not_allowed")
    }
    assert.equal((await send("GET", "/__mock/puid/nothing-here")).status, 404)
  })

  it("PUGUH's control routes refuse in the control API's shape: an unknown organization 404, a bad query 400", async () => {
    const unknown = await control("POST", "/puguh/billing/suspend", { organizationId: "org_nope" })
    assert.equal(unknown.status, 404)
    assert.equal(unknown.body.error, "not_found")
    assert.equal((await control("POST", "/puguh/api-keys", {})).body.message, "organizationId is required")
    const bogus = await control("GET", "/puguh/outbox?bogus=1")
    assert.equal(bogus.status, 400)
    assert.match(bogus.body.message, /unknown query parameter bogus/)
    assert.equal((await control("GET", "/puguh/outbox?email=")).status, 400)
  })

  it("AuthPI's items route names the parent a resource needs", async () => {
    const users = await control("POST", "/authpi/items", { resource: "users" })
    assert.equal(users.status, 400)
    assert.equal(users.body.message, "params.issuer_id is required for users")
  })

  it("bodies past 1 MiB are 413 and headers past 16 KiB 431, as on the APIs; the clock did not move", async () => {
    await control("POST", "/reset")
    const before = (await control("GET", "/health")).body.now
    const big = await send("POST", "/__mock/clock", `{"advanceMs": 1000, "x": "${"a".repeat(1_100_000)}"}`)
    assert.equal(big.status, 413)
    assert.equal((await big.json()).error, "payload_too_large")
    const chunked = await fetch(`${server.url}/__mock/clock`, {
      method: "POST",
      body: new Blob([`{"advanceMs": 1000, "x": "${"a".repeat(1_100_000)}"}`]).stream(),
      // @ts-ignore: Deno and Bun need it for a stream body
      duplex: "half",
    })
    assert.equal(chunked.status, 413)
    await chunked.body?.cancel()
    const headers = await send("GET", "/__mock/health", undefined, { "x-big": "h".repeat(20_000) })
    assert.equal(headers.status, 431)
    const refusal = await headers.text() // empty where the runtime (Bun) refuses first
    if (refusal !== "") assert.equal(JSON.parse(refusal).error, "headers_too_large")
    const moved = (await control("GET", "/health")).body.now - before
    assert.ok(moved < 1000, `the clock moved ${moved} ms: an advance got through`)
  })

  it("reset takes no fields, and PUT /__mock/state refuses a field an API's state does not have", async () => {
    assert.match((await control("POST", "/reset", { x: 1 })).body.message, /unknown field x/)
    const typo = await control("PUT", "/state", { puid: { apiKeyz: [] } })
    assert.equal(typo.status, 400)
    assert.match(typo.body.message, /^puid: .*apiKeyz/)
    assert.doesNotMatch(typo.body.message, /\n/)
    const org = { orgKey: "org_twice", tier: "free" }
    const twice = await control("PUT", "/state", { machineid: { orgs: [org, org] } })
    assert.equal(twice.status, 400)
    assert.equal(twice.body.message, "machineid: orgs: org_twice is given twice")
    assert.equal((await puidQuota()).status, 200, "the demo key still works: nothing changed")
  })
})

describe("HEAD and the index's methods", () => {
  it("HEAD works on the control API and the index; another method on / is 405", async () => {
    const head = await send("HEAD", "/__mock/health")
    assert.equal(head.status, 200)
    assert.equal(await head.text(), "")
    const index = await send("HEAD", "/")
    assert.equal(index.status, 200)
    assert.match(index.headers.get("content-type") ?? "", /text\/html/)
    const post = await send("POST", "/")
    assert.equal(post.status, 405)
    assert.equal(post.headers.get("allow"), "GET, HEAD")
    await post.body?.cancel()
  })

  it("the index answers JSON only when Accept weighs it above HTML", async () => {
    const typeFor = async (accept: string) => {
      const answer = await send("GET", "/", undefined, { accept })
      await answer.body?.cancel()
      return answer.headers.get("content-type")?.split(";")[0]
    }
    assert.equal(await typeFor("application/json"), "application/json")
    assert.equal(await typeFor("application/json;q=0.9, text/html;q=0.1"), "application/json")
    assert.equal(await typeFor("text/html;q=0.9, application/json;q=0.5"), "text/html")
    assert.equal(await typeFor("*/*"), "text/html")
  })
})

describe("PUGUH's 422s name the fields as they travel", () => {
  it("a bad ?page_size= is at [query, page_size], not the TypeScript name", async () => {
    const signIn = await send("POST", "/puguh/api/v1/auth/login", {
      email: mock.puguh.demo.email,
      password: mock.puguh.demo.password,
    }, { "content-type": "application/json" })
    const { access_token } = await signIn.json()
    const answer = await send("GET", "/puguh/api/v1/organizations?page_size=1000", undefined, {
      authorization: `Bearer ${access_token}`,
    })
    assert.equal(answer.status, 422)
    const { detail } = await answer.json()
    assert.deepEqual(detail[0].loc, ["query", "page_size"])
  })
})
