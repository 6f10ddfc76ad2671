import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { createMock } from "../mock/mod.ts"

describe("the mock app", () => {
  for (const api of ["puid", "machineid", "apikeys"]) {
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
    assert.deepEqual(mock.apis.map((api) => api.mount), ["/puid/api", "/machineid", "/apikeys"])
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
