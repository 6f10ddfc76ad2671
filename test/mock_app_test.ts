import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { createMock, serveMock } from "../mock/mod.ts"
import type { MockApi } from "../mock/api.ts"
import { fillPath, pathParameters } from "../src/core/endpoint.ts"

/** A request of every documented operation of `api`: its method and its path, each parameter filled. */
const operationsOf = (spec: { paths: Record<string, Record<string, { operationId: string }>> }) =>
  Object.entries(spec.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({
      method: method.toUpperCase(),
      path: fillPath(path, Object.fromEntries(pathParameters(path).map((name) => [name, "x"]))),
      operationId: operation.operationId,
    }))
  )

/** A value for every header `api` holds secret, and the request that carries them all. */
const secretsOf = (api: MockApi) =>
  Object.fromEntries(api.definition.secretHeaders.map((name) => [name, `secret-${api.name}-${name}`]))

describe("every API module", () => {
  it("exports VERSION and USER_AGENT, equal to the package's", async () => {
    const { VERSION } = await import("../src/core/version.ts")
    const modules = await Promise.all([
      import("../src/puid/mod.ts"),
      import("../src/machineid/mod.ts"),
      import("../src/apikeys/mod.ts"),
      import("../src/authpi/mod.ts"),
      import("../src/puguh/mod.ts"),
    ])
    for (const module of modules) {
      assert.equal(module.VERSION, VERSION)
      assert.equal(module.USER_AGENT, `gatehouse/${VERSION}`)
    }
  })
})

describe("every API's mock has the one shape", () => {
  for (const name of createMock().apis.map((a) => a.name)) {
    it(`${name}: the routes it serves are the routes its OpenAPI document lists, JSON and YAML`, async () => {
      const mock = createMock()
      const api = mock.apis.find((a) => a.name === name)!
      const spec = await (await mock.fetch(`${mock.baseUrl(name)}/openapi.json`)).json()
      const operations = operationsOf(spec)
      assert.deepEqual(
        operations.map((o) => o.operationId).sort(),
        api.definition.all.map((endpoint) => `${name}.${endpoint.name}`).sort(),
      )
      for (const { method, path, operationId } of operations) {
        await mock.fetch(`${mock.baseUrl(name)}${path}`, { method, body: method === "GET" ? undefined : "{}" })
        assert.equal(mock.journal.at(-1)?.operation, operationId, `${method} ${path} reached no route`)
      }
      const yaml = await mock.fetch(`${mock.baseUrl(name)}/openapi.yaml`)
      assert.equal(yaml.status, 200)
      assert.match(await yaml.text(), /^openapi: "3\.1\.0"\n/)
    })

    it(`${name}: no secret header ever reaches the journal`, async () => {
      const mock = createMock()
      const api = mock.apis.find((a) => a.name === name)!
      const headers = { ...secretsOf(api), authorization: "Bearer secret-bearer", "proxy-authorization": "secret-p" }
      for (const endpoint of api.definition.all) {
        await mock.fetch(`${mock.baseUrl(name)}${fillPath(endpoint.path, {})}`, { method: endpoint.method, headers })
      }
      const journal = JSON.stringify(mock.journal)
      assert.equal(mock.journal.length, api.definition.all.length)
      assert.ok(!journal.includes("secret-"), `a secret in the journal: ${journal.slice(0, 300)}`)
    })

    it(`${name}: a wrong method on a known path is 405 with Allow, an unknown path 404, both in the API's error shape`, async () => {
      const mock = createMock()
      const api = mock.apis.find((a) => a.name === name)!
      const get = api.definition.all.find((e) => e.method === "GET" && pathParameters(e.path).length === 0)!
      const wrong = await mock.fetch(`${mock.baseUrl(name)}${get.path}`, { method: "PATCH", body: "{}" })
      assert.equal(wrong.status, 405)
      assert.match(wrong.headers.get("allow") ?? "", /\bGET\b/)
      const notFound = await mock.fetch(`${mock.baseUrl(name)}/no/such/route`)
      assert.equal(notFound.status, 404)
      const bodies = [await wrong.json(), await notFound.json()]
      const error = await (await mock.fetch(`${mock.baseUrl(name)}/openapi.json`)).json()
      const shape = Object.keys(error.components.schemas.Error.properties ?? {})
      for (const body of bodies) {
        assert.ok(Object.keys(body).every((key) => shape.includes(key)), `${JSON.stringify(body)} is not ${shape}`)
      }
    })
  }

  it("refuses a body nested deeper than the limit with the API's 400, and writes nothing", async () => {
    const mock = createMock()
    const deep = (levels: number) =>
      `{"org_id":"${mock.apikeys.demo.orgId}","custom":{"d":${"[".repeat(levels)}${"]".repeat(levels)}}}`
    const create = (body: string) =>
      mock.fetch(`${mock.baseUrl("apikeys")}/api/keys`, {
        method: "POST",
        headers: { "x-admin-key": mock.apikeys.demo.adminKey, "content-type": "application/json" },
        body,
      })
    const listed = async () =>
      (await (await mock.fetch(`${mock.baseUrl("apikeys")}/api/orgs/${mock.apikeys.demo.orgId}/keys`, {
        headers: { "x-admin-key": mock.apikeys.demo.adminKey },
      })).json()).length
    const before = await listed()
    const refused = await create(deep(6000))
    assert.equal(refused.status, 400)
    assert.match((await refused.json()).detail, /nests deeper than 64/)
    assert.equal(await listed(), before)
    assert.equal((await create(deep(10))).status, 201)
  })

  it("HEAD works wherever GET does, without a body but with its length", async () => {
    const mock = createMock()
    for (const api of mock.apis) {
      const head = await mock.fetch(`${mock.baseUrl(api.name)}/openapi.json`, { method: "HEAD" })
      assert.equal(head.status, 200, api.name)
      assert.equal(await head.text(), "")
      const get = await mock.fetch(`${mock.baseUrl(api.name)}/openapi.json`)
      assert.equal(head.headers.get("content-length"), String((await get.arrayBuffer()).byteLength), api.name)
      const wrong = await mock.fetch(`${mock.baseUrl(api.name)}/openapi.json`, { method: "DELETE" })
      assert.equal(wrong.headers.get("allow"), "GET")
    }
  })

  it("answers each API at its production URL too, a base at the root of its origin included", async () => {
    const mock = createMock()
    const usage = await mock.fetch("https://machineid.io/api/v1/usage", {
      headers: { "x-org-key": mock.machineid.demo.proOrgKey },
    })
    assert.equal(usage.status, 200)
    const spec = await (await mock.fetch("https://machineid.io/openapi.json")).json()
    assert.equal(spec.servers[0].url, "https://machineid.io")
    const quota = await mock.fetch("https://puid.dev/api/v1/quota", { headers: { "x-api-key": mock.puid.demo.apiKey } })
    assert.equal(quota.status, 200)
  })

  it("documents carry the origin the mock is really served at", async () => {
    const mock = createMock()
    const server = await serveMock(mock, { port: 0 })
    try {
      for (const api of mock.apis) {
        const spec = await (await fetch(`${server.url}${api.mount}/openapi.json`)).json()
        assert.equal(spec.servers[0].url, `${server.url}${api.mount}`)
      }
      const meta = await (await fetch(`${server.url}/puid/api/.well-known/oauth-authorization-server`)).json()
      assert.equal(meta.token_endpoint, `${server.url}/puid/api/oauth/token`)
      assert.ok(mock.journal.every((entry) => entry.url.startsWith(server.url)))
    } finally {
      await server.close()
    }
  })
})

describe("the mock app", () => {
  for (const api of createMock().apis.map((a) => a.name)) {
    it(`${api} serves an OpenAPI 3.1 document whose every $ref resolves`, async () => {
      const mock = createMock()
      const response = await mock.fetch(`${mock.baseUrl(api)}/openapi.json`)
      const spec = await response.json()
      assert.equal(response.status, 200)
      assert.equal(spec.openapi, "3.1.0")
      assert.equal(spec.servers[0].url, mock.baseUrl(api))
      const refs = [...JSON.stringify(spec).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1])
      assert.ok(refs.length > 0)
      assert.deepEqual(refs.filter((name) => !(name in spec.components.schemas)), [])
    })
  }

  it("mounts every API under its own prefix and answers 404 elsewhere", async () => {
    const mock = createMock()
    assert.deepEqual(mock.apis.map((api) => api.mount), ["/puid/api", "/machineid", "/apikeys", "/authpi", "/puguh"])
    const response = await mock.fetch("http://anywhere.test/nothing/here")
    assert.equal(response.status, 404)
    assert.equal((await response.json()).error, "not_found")
  })

  it("journals requests with every credential header redacted", async () => {
    const mock = createMock()
    await mock.fetch(`${mock.baseUrl("puid")}/v1/quota`, { headers: { "x-api-key": mock.puid.demo.apiKey } })
    await mock.fetch(`${mock.baseUrl("machineid")}/api/v1/usage`, { headers: { "x-org-key": "org_demo_free" } })
    await mock.fetch(`${mock.baseUrl("apikeys")}/api/orgs`, { headers: { "x-admin-key": mock.apikeys.demo.adminKey } })
    const text = JSON.stringify(mock.journal)
    assert.equal(mock.journal.length, 3)
    for (const secret of [mock.puid.demo.apiKey, "org_demo_free", mock.apikeys.demo.adminKey]) {
      assert.ok(!text.includes(secret), `${secret} in the journal`)
    }
  })

  it("a fault applies to its requests only, as many times as asked, then the API answers again", async () => {
    const mock = createMock()
    mock.fault({ method: "GET", path: "/v1/quota", status: 503, times: 2, headers: { "retry-after": "1" } })
    const quota = () =>
      mock.fetch(`${mock.baseUrl("puid")}/v1/quota`, { headers: { "x-api-key": mock.puid.demo.apiKey } })
    const statuses = [(await quota()).status, (await quota()).status, (await quota()).status]
    assert.deepEqual(statuses, [503, 503, 200])
    const other = await mock.fetch(`${mock.baseUrl("puid")}/v1/ordinal/0`)
    assert.equal(other.status, 200)
  })

  it("reset brings every API back to its seeded state and empties the journal", async () => {
    const mock = createMock()
    const key = mock.puid.state.createApiKey("free")
    mock.clock.advance(5000)
    mock.fault({ path: "/", status: 500 })
    mock.reset()
    const response = await mock.fetch(`${mock.baseUrl("puid")}/v1/quota`, { headers: { "x-api-key": key } })
    assert.equal(response.status, 401)
    assert.ok(Math.abs(mock.clock.now() - Date.now()) < 1000)
    assert.equal(mock.journal.length, 1)
  })
})

describe("the control API over HTTP", () => {
  it("checks every body (400 naming the field, unknown fields refused), 405 with Allow, and a health route", async () => {
    const mock = createMock()
    const server = await serveMock(mock, { port: 0 })
    try {
      const send = (method: string, path: string, body?: string) =>
        fetch(`${server.url}/__mock${path}`, { method, body })
      const refused = async (path: string, body: string, message: RegExp) => {
        const answer = await send("POST", path, body)
        assert.equal(answer.status, 400, `${path} ${body}`)
        assert.match((await answer.json()).message, message)
      }
      const health = await send("GET", "/health")
      assert.equal(health.status, 200)
      assert.equal((await health.json()).status, "ok")
      const wrong = await send("GET", "/reset")
      assert.equal(wrong.status, 405)
      assert.equal(wrong.headers.get("allow"), "POST")
      await wrong.body?.cancel()
      for (const body of ["null", "[]", "{bad", '"x"']) await refused("/faults", body, /body/)
      await refused("/faults", '{"path":"/x","status":503,"headers":{"bad header":"x"}}', /headers\.bad header/)
      await refused("/faults", '{"path":"/x","status":503,"times":0}', /times must be/)
      await refused("/faults", '{"path":"/x"}', /at least one of status, delayMs, drop/)
      await refused("/faults", '{"path":"/x","status":503,"bogus":1}', /unknown field bogus/)
      await refused("/faults", '{"path":"/x","drop":"yes"}', /drop must be/)
      for (const body of ['{"advanceMs":"x"}', '{"advanceMs":1.5}', "{}", '{"advanceMs":1,"now":2}']) {
        await refused("/clock", body, /advanceMs|now/)
      }
      await refused("/clock", '{"advanceMs":1000,"extra":1}', /unknown field extra/)
      const set = await send("POST", "/clock", '{"now":"2030-01-01T00:00:00Z"}')
      assert.equal(set.status, 200)
      assert.ok(Math.abs((await set.json()).now - Date.parse("2030-01-01T00:00:00Z")) < 1000)
      assert.equal(mock.journal.length, 0, "control requests are not journalled")
    } finally {
      await server.close()
    }
  })
})

describe("the router reads a query as URLSearchParams does", () => {
  it("the last of a repeated name, percent-decoding, empty pairs skipped", async () => {
    const mock = createMock()
    const countOf = async (query: string) => {
      mock.clock.advance(1_000) // past PUID's one request a second
      const answer = await mock.fetch(`${mock.baseUrl("puid")}/v1/ids${query}`, {
        headers: { "x-api-key": mock.puid.demo.unlimitedApiKey },
      })
      return answer.status === 200 ? (await answer.json()).count : answer.status
    }
    assert.equal(await countOf("?n=2"), 2)
    assert.equal(await countOf("?n=2&n=3"), 3)
    assert.equal(await countOf("?n=%34"), 4)
    assert.equal(await countOf("?&&n=1&"), 1)
    assert.equal(await countOf("?n"), 400)
  })
})
