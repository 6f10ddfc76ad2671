// The bounded mock (issue 13): bodies past 1 MiB are 413 and headers past 16 KiB are 431, both in
// the API's own error shape; JSON nested too deep is 400; what unauthenticated callers create is
// capped; the journal keeps cut values; and a short run of the soak (bench/mock_soak.ts) leaves the
// server answering, with every answer one the request's kind expects.
import { after, before, describe, it } from "node:test"
import assert from "node:assert/strict"
import {
  APIKEYS_DEMO,
  createMock,
  type GatehouseMock,
  MACHINEID_DEMO,
  type MockServer,
  PUID_DEMO,
  serveMock,
} from "../mock/mod.ts"
import { MAX_BODY_BYTES, MAX_JSON_DEPTH } from "../src/core/router.ts"
import { MAX_HEADER_BYTES } from "../mock/app.ts"
import { MAX_REGISTERED_CLIENTS } from "../mock/puid/state.ts"
import { MAX_CREATED_ORGS } from "../mock/machineid/state.ts"
import { soak } from "../bench/mock_soak.ts"

const json = { "content-type": "application/json" }
// Bun refuses headers past its own limit (16 KiB, like the mock's) before the mock sees them: a
// 431 without a body.
const isBun = (globalThis as { Bun?: unknown }).Bun !== undefined

/** The error body of a 431: the API's own, or none where the runtime refused first. */
const body431 = async (answer: Response): Promise<Record<string, unknown> | undefined> => {
  const text = await answer.text()
  if (isBun && text === "") return undefined
  return JSON.parse(text)
}

describe("the bounded mock server", () => {
  let mock: GatehouseMock
  let server: MockServer
  before(async () => {
    mock = createMock()
    server = await serveMock(mock, { port: 0 })
  })
  after(() => server.close())

  const post = (path: string, headers: Record<string, string>, body: BodyInit) =>
    fetch(`${server.url}${path}`, { method: "POST", headers: { ...json, ...headers }, body })

  const tooLarge = JSON.stringify({ deviceId: "x".repeat(MAX_BODY_BYTES) })

  it("a body past 1 MiB is 413 in each API's error shape, before anything is stored", async () => {
    const puid = await post(
      "/puid/api/oauth/register",
      {},
      JSON.stringify({ redirect_uris: ["x".repeat(MAX_BODY_BYTES)] }),
    )
    assert.equal(puid.status, 413)
    assert.equal(((await puid.json()) as { error: string }).error, "payload_too_large")

    const machineid = await post(
      "/machineid/api/v1/devices/register",
      { "x-org-key": MACHINEID_DEMO.proOrgKey },
      tooLarge,
    )
    assert.equal(machineid.status, 413)
    assert.equal(((await machineid.json()) as { error: string }).error, "payload_too_large")
    assert.equal(mock.machineid.state.devices(MACHINEID_DEMO.proOrgKey).length, 0)

    const apikeys = await post("/apikeys/api/keys/verify", { "x-validator-key": APIKEYS_DEMO.validatorKey }, tooLarge)
    assert.equal(apikeys.status, 413)
    assert.equal(((await apikeys.json()) as { _tag: string })._tag, "PayloadTooLarge")
  })

  it("a chunked body (no Content-Length) is cut off at 1 MiB: 413", async () => {
    let sent = 0
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > 2 * MAX_BODY_BYTES) return controller.close()
        controller.enqueue(new Uint8Array(65_536).fill(32))
        sent += 65_536
      },
    })
    const answer = await fetch(`${server.url}/apikeys/api/keys/verify`, {
      method: "POST",
      headers: { ...json, "x-validator-key": APIKEYS_DEMO.validatorKey },
      body,
      duplex: "half",
    } as RequestInit).catch(() => undefined)
    // The server answers without reading the rest; a client may see the reset instead.
    if (answer !== undefined) {
      assert.equal(answer.status, 413)
      await answer.body?.cancel()
    }
    const health = await fetch(`${server.url}/__mock/health`)
    assert.equal(health.status, 200)
    await health.body?.cancel()
  })

  it("headers past 16 KiB are 431 in the API's error shape, and on an unknown path", async () => {
    const padding = { "x-padding": "p".repeat(MAX_HEADER_BYTES + 1) }
    const puid = await fetch(`${server.url}/puid/api/v1/quota`, {
      headers: { "x-api-key": PUID_DEMO.apiKey, ...padding },
    })
    assert.equal(puid.status, 431)
    assert.equal((await body431(puid))?.error ?? "headers_too_large", "headers_too_large")
    const apikeys = await fetch(`${server.url}/apikeys/api/keys`, { headers: padding })
    assert.equal(apikeys.status, 431)
    assert.equal((await body431(apikeys))?._tag ?? "HeadersTooLarge", "HeadersTooLarge")
    const nowhere = await fetch(`${server.url}/nowhere`, { headers: padding })
    assert.equal(nowhere.status, 431)
    assert.equal((await body431(nowhere))?.error ?? "headers_too_large", "headers_too_large")
  })

  it(`JSON nested deeper than ${MAX_JSON_DEPTH} is 400 and creates no key`, async () => {
    const keysBefore = await (await fetch(`${server.url}/apikeys/api/keys`, {
      headers: { "x-admin-key": APIKEYS_DEMO.adminKey },
    })).text()
    const deep = "[".repeat(10_000) + "]".repeat(10_000)
    const answer = await post("/apikeys/api/keys", { "x-admin-key": APIKEYS_DEMO.adminKey }, `{"metadata":${deep}}`)
    assert.equal(answer.status, 400)
    assert.equal(((await answer.json()) as { _tag: string })._tag, "InvalidRequest")
    const keysAfter = await (await fetch(`${server.url}/apikeys/api/keys`, {
      headers: { "x-admin-key": APIKEYS_DEMO.adminKey },
    })).text()
    assert.equal(keysAfter, keysBefore)
  })

  it("a PUID registration past its size caps is 400; past 1,000 clients the oldest is forgotten, never the demo client", async () => {
    const many = await post(
      "/puid/api/oauth/register",
      {},
      JSON.stringify({ redirect_uris: Array(6).fill("https://a.test/cb") }),
    )
    assert.equal(many.status, 400)
    assert.equal(((await many.json()) as { error: string }).error, "invalid_redirect_uris")
    const long = await post(
      "/puid/api/oauth/register",
      {},
      JSON.stringify({ client_name: "n".repeat(257), redirect_uris: ["https://a.test/cb"] }),
    )
    assert.equal(long.status, 400)
    assert.equal(((await long.json()) as { error: string }).error, "invalid_client_metadata")

    const first = await post("/puid/api/oauth/register", {}, JSON.stringify({ redirect_uris: ["https://a.test/cb"] }))
    assert.equal(first.status, 200)
    const { client_id } = (await first.json()) as { client_id: string }
    for (let i = 0; i < MAX_REGISTERED_CLIENTS - 1; i++) {
      mock.puid.state.registerClient(undefined, ["https://a.test/cb"])
    }
    assert.ok(mock.puid.state.hasClient(client_id), "the 1,000th registration keeps the first")
    mock.puid.state.registerClient(undefined, ["https://a.test/cb"])
    assert.ok(!mock.puid.state.hasClient(client_id), "the 1,001st forgets the first")
    assert.ok(mock.puid.state.hasClient(PUID_DEMO.clientId))
  })

  it("MachineID keeps at most 10,000 created orgs (org/create needs no credential), never dropping a demo org", async () => {
    const created = await fetch(`${server.url}/machineid/api/v1/org/create`, { method: "POST" })
    const { orgApiKey } = (await created.json()) as { orgApiKey: string }
    assert.ok(mock.machineid.state.isOrgKey(orgApiKey))
    for (let i = 0; i < MAX_CREATED_ORGS; i++) mock.machineid.state.createOrg()
    assert.ok(!mock.machineid.state.isOrgKey(orgApiKey))
    for (const key of Object.values(MACHINEID_DEMO)) assert.ok(mock.machineid.state.isOrgKey(key), key)
  })

  it("the journal keeps secrets out and long values cut, and answers after large requests", async () => {
    mock.reset()
    await (await fetch(`${server.url}/puid/api/v1/quota?q=${"u".repeat(5_000)}`, {
      headers: { "x-api-key": PUID_DEMO.apiKey, "x-long": "l".repeat(5_000) },
    })).body?.cancel()
    const entry = mock.journal.at(-1)!
    assert.equal(entry.headers["x-api-key"], "<redacted>")
    assert.ok(entry.headers["x-long"].length < 2_100, "a long header value is cut")
    assert.match(entry.headers["x-long"], /more characters\)$/)
    assert.ok(entry.url.length < 2_100, "a long URL is cut")
    const journal = await fetch(`${server.url}/__mock/journal`)
    assert.equal(journal.status, 200)
    await journal.body?.cancel()
  })

  it("a short soak (every hostile kind of bench/mock_soak.ts): every answer expected, the server still answers", async () => {
    const { counts, wrong } = await soak(server.url, 400, 8)
    assert.deepEqual(wrong, [])
    assert.ok(Object.keys(counts).length >= 14, `every kind sent: ${Object.keys(counts)}`)
    const health = await fetch(`${server.url}/__mock/health`)
    assert.equal(health.status, 200)
    await health.body?.cancel()
  })
})
