import { after, before, describe, it } from "node:test"
import assert from "node:assert/strict"
import { Effect, Layer } from "effect"
import { fetchLayer } from "../src/core/promise.ts"
import { Puid, PuidClient, puidToOrdinal } from "../src/puid/mod.ts"
import { RetryPolicy } from "../src/core/retry.ts"
import { createMock, type MockServer, PUID_DEMO, serveMock } from "../mock/mod.ts"
import { pkceFlow, pkcePair, puidSetup } from "./_puid.ts"
import { s256Challenge } from "../mock/puid/mod.ts"

const key = { "x-api-key": PUID_DEMO.apiKey }

describe("PUID mock: /v1/ids", () => {
  it("answers ids, count, quota and the warning, with cache-control: no-store", async () => {
    const { fetch, endpoint } = puidSetup()
    const response = await fetch(`${endpoint}/v1/ids?n=2`, { headers: key })
    assert.equal(response.status, 200)
    assert.equal(response.headers.get("cache-control"), "no-store")
    const body = await response.json()
    assert.equal(body.count, 2)
    assert.deepEqual(body.quota, { used: 2, limit: 1000 })
    assert.equal(typeof body.warning, "string")
  })

  it("accepts a puid_live_ key as a bearer token", async () => {
    const { fetch, endpoint } = puidSetup()
    const response = await fetch(`${endpoint}/v1/ids`, { headers: { authorization: `Bearer ${PUID_DEMO.apiKey}` } })
    assert.equal(response.status, 200)
  })

  it("reads the Bearer scheme case-insensitively", async () => {
    const { fetch, endpoint } = puidSetup()
    const response = await fetch(`${endpoint}/v1/quota`, { headers: { authorization: `bearer ${PUID_DEMO.apiKey}` } })
    assert.equal(response.status, 200)
  })

  it("401 without a credential", async () => {
    const { fetch, endpoint } = puidSetup()
    const response = await fetch(`${endpoint}/v1/ids`)
    assert.equal(response.status, 401)
    assert.equal((await response.json()).error, "unauthorized")
  })

  for (const n of ["0", "11", "abc", "2.5", ""]) {
    it(`400 bad_request for n=${JSON.stringify(n)}`, async () => {
      const { fetch, endpoint } = puidSetup()
      const response = await fetch(`${endpoint}/v1/ids?n=${n}`, { headers: key })
      assert.equal(response.status, 400)
      assert.deepEqual(await response.json(), { error: "bad_request", message: "n must be 1..10." })
    })
  }

  it("checks the rate limit before n: a bad n still spends the second's slot", async () => {
    const { fetch, endpoint } = puidSetup()
    await fetch(`${endpoint}/v1/ids?n=99`, { headers: key })
    const response = await fetch(`${endpoint}/v1/ids?n=1`, { headers: key })
    assert.equal(response.status, 429)
  })

  it("429 carries retry-after, retryAfterMs and upgrade_url", async () => {
    const { fetch, endpoint, clock } = puidSetup()
    await fetch(`${endpoint}/v1/ids`, { headers: key })
    clock.advance(400)
    const response = await fetch(`${endpoint}/v1/ids`, { headers: key })
    const body = await response.json()
    assert.equal(response.status, 429)
    assert.equal(response.headers.get("retry-after"), "1")
    assert.equal(body.error, "rate_limited")
    assert.ok(body.retryAfterMs > 0 && body.retryAfterMs <= 600)
    assert.match(body.upgrade_url, /\/upgrade$/)
  })

  it("the limit is per principal", async () => {
    const { fetch, endpoint } = puidSetup()
    await fetch(`${endpoint}/v1/ids`, { headers: key })
    const other = await fetch(`${endpoint}/v1/ids`, { headers: { "x-api-key": PUID_DEMO.unlimitedApiKey } })
    assert.equal(other.status, 200)
  })

  it("402 when used + n exceeds the free limit, and nothing is spent", async () => {
    const { fetch, endpoint, state } = puidSetup()
    state.setUsed(PUID_DEMO.apiKey, 995)
    const response = await fetch(`${endpoint}/v1/ids?n=6`, { headers: key })
    const body = await response.json()
    assert.equal(response.status, 402)
    assert.equal(body.error, "quota_exceeded")
    assert.deepEqual([body.used, body.limit, body.plan], [995, 1000, "free"])
    assert.equal(state.next, 1n)
  })

  it("hands out consecutive ordinals from one counter", async () => {
    const { fetch, endpoint, clock } = puidSetup()
    const first = await (await fetch(`${endpoint}/v1/ids?n=3`, { headers: key })).json()
    clock.advance(1000)
    const second = await (await fetch(`${endpoint}/v1/ids?n=2`, { headers: key })).json()
    assert.deepEqual([...first.ids, ...second.ids].map(puidToOrdinal), [1n, 2n, 3n, 4n, 5n])
  })
})

describe("PUID mock: other routes", () => {
  it("decodes an ordinal without a credential, as the server does", async () => {
    const { fetch, endpoint } = puidSetup()
    const response = await fetch(`${endpoint}/v1/ordinal/0`)
    const body = await response.json()
    assert.equal(response.status, 200)
    assert.equal(body.ordinal, puidToOrdinal("0").toString())
  })

  it("400 with the character for a bad PUID", async () => {
    const { fetch, endpoint } = puidSetup()
    const response = await fetch(`${endpoint}/v1/ordinal/${encodeURIComponent("a-b")}`)
    assert.equal(response.status, 400)
    assert.deepEqual(await response.json(), {
      error: "bad_request",
      message: "Not a valid PUID: invalid base62 character: -",
    })
  })

  for (const path of ["/v2/nothing", ""]) {
    it(`404 {error: not_found, api: true} and no-store for ${JSON.stringify(path || "the bare endpoint")}`, async () => {
      const { fetch, endpoint } = puidSetup()
      const response = await fetch(`${endpoint}${path}`)
      assert.equal(response.status, 404)
      assert.equal(response.headers.get("cache-control"), "no-store")
      assert.deepEqual(await response.json(), { error: "not_found", api: true })
    })
  }

  it("token: client_credentials by form or JSON; 401 invalid_client; 400 for other grants", async () => {
    const { fetch, endpoint } = puidSetup()
    const form = new URLSearchParams({
      grant_type: "client_credentials",
      client_id: PUID_DEMO.clientId,
      client_secret: PUID_DEMO.clientSecret,
    })
    const byForm = await fetch(`${endpoint}/oauth/token`, { method: "POST", body: form })
    const token = await byForm.json()
    assert.equal(byForm.status, 200)
    assert.match(token.access_token, /^puid_at_[0-9A-Za-z]{32}$/)
    assert.deepEqual([token.token_type, token.expires_in, token.scope], ["Bearer", 3600, "puid:generate"])
    const byJson = await fetch(`${endpoint}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ...Object.fromEntries(form), client_secret: "nope" }),
    })
    assert.equal(byJson.status, 401)
    assert.equal((await byJson.json()).error, "invalid_client")
    const grant = await fetch(`${endpoint}/oauth/token`, { method: "POST", body: "grant_type=refresh_token" })
    assert.deepEqual([grant.status, (await grant.json()).error], [400, "invalid_grant"])
    const unknown = await fetch(`${endpoint}/oauth/token`, { method: "POST", body: "grant_type=password" })
    assert.deepEqual([unknown.status, (await unknown.json()).error], [400, "unsupported_grant_type"])
  })

  it("a token without puid:generate cannot generate ids", async () => {
    const { fetch, endpoint } = puidSetup()
    const body = new URLSearchParams({
      grant_type: "client_credentials",
      client_id: PUID_DEMO.clientId,
      client_secret: PUID_DEMO.clientSecret,
      scope: "puid:ordinal",
    })
    const { access_token } = await (await fetch(`${endpoint}/oauth/token`, { method: "POST", body })).json()
    const response = await fetch(`${endpoint}/v1/ids`, { headers: { authorization: `Bearer ${access_token}` } })
    assert.equal(response.status, 401)
  })

  it("register: a client that then gets tokens; 400 invalid_redirect_uris without redirect_uris", async () => {
    const { fetch, endpoint } = puidSetup()
    const post = (body: unknown) =>
      fetch(`${endpoint}/oauth/register`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      })
    const bad = await post({ client_name: "x", redirect_uris: [] })
    assert.deepEqual([bad.status, (await bad.json()).error], [400, "invalid_redirect_uris"])
    const ok = await post({ client_name: "app", redirect_uris: ["https://app.test/cb"] })
    const client = await ok.json()
    assert.equal(ok.status, 200)
    assert.match(client.client_id, /^client_[0-9A-Za-z]{16}$/)
    assert.match(client.client_secret, /^secret_[0-9A-Za-z]{32}$/)
    const body = new URLSearchParams({
      grant_type: "client_credentials",
      client_id: client.client_id,
      client_secret: client.client_secret,
    })
    assert.equal((await fetch(`${endpoint}/oauth/token`, { method: "POST", body })).status, 200)
  })

  it("serves its OpenAPI document (JSON and YAML) and OAuth metadata, all pointing at where it is served", async () => {
    const { fetch, endpoint } = puidSetup()
    const spec = await (await fetch(`${endpoint}/openapi.json`)).json()
    assert.deepEqual(Object.keys(spec.paths), [
      "/v1/ids",
      "/v1/ordinal/{puid}",
      "/v1/quota",
      "/oauth/authorize",
      "/oauth/token",
      "/oauth/register",
      "/.well-known/oauth-authorization-server",
      "/openapi.json",
      "/openapi.yaml",
    ])
    assert.deepEqual(spec.servers, [{ url: endpoint }])
    const yaml = await fetch(`${endpoint}/openapi.yaml`)
    assert.equal(yaml.headers.get("content-type"), "application/yaml")
    assert.match(await yaml.text(), /^openapi: "3\.1\.0"\ninfo:\n {2}title: "PUID API/)
    const meta = await (await fetch(`${endpoint}/.well-known/oauth-authorization-server`)).json()
    assert.equal(meta.token_endpoint, `${endpoint}/oauth/token`)
    assert.equal(meta.registration_endpoint, `${endpoint}/oauth/register`)
  })
})

describe("mock server over HTTP", () => {
  const mock = createMock()
  let server: MockServer
  before(async () => {
    server = await serveMock(mock, { port: 0 })
  })
  after(() => server.close())

  it("serves the PUID client over loopback and the control API moves the clock", async () => {
    mock.reset()
    const layer = Puid.layer({ apiKey: PUID_DEMO.apiKey, endpoint: `${server.url}/puid/api` }).pipe(
      Layer.provide(fetchLayer()),
    )
    const run = <A, E>(f: (puid: Puid["Service"]) => Effect.Effect<A, E>) =>
      Effect.runPromise(Effect.flatMap(Puid, f).pipe(Effect.provide(layer)))
    assert.equal((await run((puid) => puid.ids(3))).length, 3)
    const limited = await run((puid) => Effect.flip(puid.ids(1)))
    assert.equal(limited.code, "rate_limited")
    const moved = await fetch(`${server.url}/__mock/clock`, {
      method: "POST",
      body: JSON.stringify({ advanceMs: 1000 }),
    })
    assert.equal(moved.status, 200)
    assert.equal((await run((puid) => puid.ids(1))).length, 1)
    const journal = await (await fetch(`${server.url}/__mock/journal`)).json()
    assert.equal(journal.length, 3)
    assert.equal(journal[0].headers["x-api-key"], "<redacted>")
  })

  it("a drop fault resets the connection: the client sees network_error, and retries", async () => {
    mock.reset()
    await fetch(`${server.url}/__mock/faults`, {
      method: "POST",
      body: JSON.stringify({ path: "/v1/quota", drop: true }),
    })
    const layer = Puid.layer({
      apiKey: PUID_DEMO.apiKey,
      endpoint: `${server.url}/puid/api`,
      retry: RetryPolicy.make({ base: "1 millis" }),
    }).pipe(Layer.provide(fetchLayer()))
    const error = await Effect.runPromise(
      Effect.flatMap(Puid, (puid) => Effect.flip(puid.quota())).pipe(Effect.provide(layer)),
    )
    assert.equal(error.code, "network_error")
    // Three attempts by the policy; Bun's fetch may itself resend a GET once on a reset connection.
    assert.ok(mock.journal.length >= 3 && mock.journal.length <= 6, `${mock.journal.length} requests`)
    await fetch(`${server.url}/__mock/faults`, { method: "DELETE" })
  })

  it("the control API refuses a fault or a clock it could not honour, with 400", async () => {
    mock.reset()
    const post = (path: string, body: unknown) =>
      fetch(`${server.url}/__mock/${path}`, { method: "POST", body: JSON.stringify(body) })
    for (const fault of [{ status: 503 }, { path: "/v1/ids", status: 99 }, { path: "/v1/ids", delayMs: -1 }]) {
      const response = await post("faults", fault)
      assert.equal(response.status, 400)
      assert.equal((await response.json()).error, "bad_request")
    }
    for (const clock of [{ advanceMs: 1e300 }, { now: -1 }]) assert.equal((await post("clock", clock)).status, 400)
    const quota = await fetch(`${server.url}/puid/api/v1/quota`, { headers: key })
    assert.equal(quota.status, 200)
  })

  it("PUID's control routes mint a key on a plan and set its usage, so quota_exceeded is one call away", async () => {
    mock.reset()
    const post = (route: string, body: unknown) =>
      fetch(`${server.url}/__mock/puid/${route}`, { method: "POST", body: JSON.stringify(body) })
    const minted = await post("keys", { plan: "free" })
    const { apiKey } = await minted.json()
    assert.equal(minted.status, 201)
    assert.match(apiKey, /^puid_live_[0-9A-Za-z]{24}$/)
    assert.equal((await post("usage", { apiKey, used: 1000 })).status, 204)
    const ids = await fetch(`${server.url}/puid/api/v1/ids`, { headers: { "x-api-key": apiKey } })
    assert.equal(ids.status, 402)
    assert.equal((await post("usage", { apiKey: "puid_live_unknown", used: 1 })).status, 400)
    assert.equal((await post("keys", { plan: "platinum" })).status, 400)
    assert.equal((await post("nothing", {})).status, 404)
    for (const body of ["null", "[]", "{bad", '"text"']) {
      for (const route of ["keys", "usage"]) {
        const answer = await fetch(`${server.url}/__mock/puid/${route}`, { method: "POST", body })
        assert.equal(answer.status, 400, `${route} with ${body}`)
        assert.equal((await answer.json()).error, "bad_request")
      }
    }
  })

  it("forces a fault through the control API, then clears it", async () => {
    mock.reset()
    const add = await fetch(`${server.url}/__mock/faults`, {
      method: "POST",
      body: JSON.stringify({ path: "/v1/quota", status: 503, times: 1 }),
    })
    assert.equal(add.status, 201)
    const quota = () => fetch(`${server.url}/puid/api/v1/quota`, { headers: key })
    assert.equal((await quota()).status, 503)
    assert.equal((await quota()).status, 200)
    const reset = await fetch(`${server.url}/__mock/reset`, { method: "POST" })
    assert.equal(reset.status, 204)
    const info = await (await fetch(`${server.url}/__mock`)).json()
    assert.equal(info.apis[0].baseUrl, `${server.url}/puid/api`)
  })
})

describe("PUID mock: demo credentials", () => {
  it("are in the contract's formats", () => {
    assert.match(PUID_DEMO.apiKey, /^puid_live_[0-9A-Za-z]{24}$/)
    assert.match(PUID_DEMO.unlimitedApiKey, /^puid_live_[0-9A-Za-z]{24}$/)
    assert.match(PUID_DEMO.clientId, /^client_[0-9A-Za-z]{16}$/)
    assert.match(PUID_DEMO.clientSecret, /^secret_[0-9A-Za-z]{32}$/)
  })
})

describe("PUID mock: authorization code with PKCE", () => {
  const setup = () => {
    const h = puidSetup()
    return { ...h, ...pkceFlow(h.fetch, h.endpoint) }
  }
  const demo = {
    response_type: "code",
    client_id: PUID_DEMO.clientId,
    redirect_uri: PUID_DEMO.redirectUri,
    state: "st4te",
    code_challenge: "c".repeat(43),
  }

  it("computes S256 as RFC 7636's example does", async () => {
    assert.equal(
      await s256Challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
      "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    )
  })

  it("the discovery document points at /oauth/authorize, which the mock serves", async () => {
    const { fetch, endpoint } = setup()
    const metadata = await (await fetch(`${endpoint}/.well-known/oauth-authorization-server`)).json()
    assert.equal(metadata.authorization_endpoint, `${endpoint}/oauth/authorize`)
    assert.deepEqual(metadata.code_challenge_methods_supported, ["S256", "plain"])
    const response = await fetch(`${metadata.authorization_endpoint}?${new URLSearchParams(demo)}`)
    assert.equal(response.status, 302)
  })

  it("the whole flow: authorize -> 302 -> token -> a call -> refresh -> the old refresh token refused", async () => {
    const { fetch, endpoint, exchange, refresh, authorize, clock } = setup()
    const { verifier, challenge } = await pkcePair()
    const answer = await authorize({ ...demo, code_challenge: challenge, code_challenge_method: "S256" })
    assert.equal(answer.status, 302)
    assert.equal(answer.headers.get("cache-control"), "no-store")
    const location = new URL(answer.headers.get("location")!)
    assert.equal(`${location.origin}${location.pathname}`, PUID_DEMO.redirectUri)
    assert.equal(location.searchParams.get("state"), "st4te")
    assert.equal(await answer.text(), "")
    const granted = await exchange(location.searchParams.get("code")!, verifier)
    assert.equal(granted.status, 200)
    assert.match(granted.body.access_token, /^puid_at_[0-9A-Za-z]{32}$/)
    assert.match(granted.body.refresh_token, /^puid_rt_[0-9A-Za-z]{32}$/)
    assert.equal(granted.body.token_type, "Bearer")
    assert.equal(granted.body.expires_in, 3600)
    assert.equal(granted.body.scope, "puid:generate")
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
    const ids = await fetch(`${endpoint}/v1/ids?n=2`, { headers: bearer(granted.body.access_token) })
    assert.equal(ids.status, 200)
    // The demo account's: the same usage the demo API key sees.
    const quota = await (await fetch(`${endpoint}/v1/quota`, { headers: key })).json()
    assert.equal(quota.used, 2)

    const rotated = await refresh(granted.body.refresh_token)
    assert.equal(rotated.status, 200)
    assert.match(rotated.body.refresh_token, /^puid_rt_[0-9A-Za-z]{32}$/)
    assert.notEqual(rotated.body.refresh_token, granted.body.refresh_token)
    assert.notEqual(rotated.body.access_token, granted.body.access_token)
    clock.advance(1000)
    assert.equal((await fetch(`${endpoint}/v1/ids`, { headers: bearer(rotated.body.access_token) })).status, 200)
    const old = await refresh(granted.body.refresh_token)
    assert.equal(old.status, 400)
    assert.equal(old.body.error, "invalid_grant")
    assert.equal((await refresh(rotated.body.refresh_token)).status, 200)
  })

  it("plain: the verifier is the challenge", async () => {
    const { code, exchange } = setup()
    const verifier = "p".repeat(43)
    const issued = await code(verifier, { code_challenge_method: "plain" })
    assert.equal((await exchange(issued.code, "q".repeat(43))).body.error, "invalid_grant")
    const again = await code(verifier, { code_challenge_method: "plain" })
    assert.equal((await exchange(again.code, verifier)).status, 200)
  })

  it("code_challenge_method defaults to plain", async () => {
    const { authorize, exchange } = setup()
    const verifier = "d".repeat(64)
    const response = await authorize({ ...demo, code_challenge: verifier })
    const issued = new URL(response.headers.get("location")!).searchParams.get("code")!
    assert.equal((await exchange(issued, verifier)).status, 200)
  })

  it("400 invalid_client for an unknown client, with no redirect", async () => {
    const { authorize } = setup()
    const response = await authorize({ ...demo, client_id: "client_nobody0000000000" })
    assert.equal(response.status, 400)
    assert.equal(response.headers.get("location"), null)
    const body = await response.json()
    assert.equal(body.error, "invalid_client")
    assert.equal(typeof body.error_description, "string")
  })

  it("400 for a redirect URI not registered for the client (another client's too), with no redirect", async () => {
    const { authorize, fetch, endpoint } = setup()
    const registered = await (await fetch(`${endpoint}/oauth/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ client_name: "app", redirect_uris: ["https://app.example/cb"] }),
    })).json()
    for (
      const query of [
        { ...demo, redirect_uri: "https://evil.example/cb" },
        { ...demo, redirect_uri: `${PUID_DEMO.redirectUri}/extra` },
        { ...demo, redirect_uri: "https://app.example/cb" },
        { ...demo, client_id: registered.client_id, redirect_uri: PUID_DEMO.redirectUri },
        { ...demo, redirect_uri: "" },
      ]
    ) {
      const response = await authorize(query)
      assert.equal(response.status, 400, query.redirect_uri)
      assert.equal(response.headers.get("location"), null)
      const body = await response.json()
      assert.equal(body.error, "invalid_request")
      assert.equal(typeof body.error_description, "string")
    }
    const ok = await authorize({ ...demo, client_id: registered.client_id, redirect_uri: "https://app.example/cb" })
    assert.equal(ok.status, 302)
    assert.match(ok.headers.get("location")!, /^https:\/\/app\.example\/cb\?code=/)
  })

  it("a known client and redirect URI with a bad request: the error goes back to the client, with state", async () => {
    const { authorize } = setup()
    const cases = [
      [{ ...demo, response_type: "token" }, "unsupported_response_type"],
      [{ ...demo, code_challenge: "" }, "invalid_request"],
      [{ ...demo, code_challenge_method: "S512" }, "invalid_request"],
    ] as const
    for (const [query, error] of cases) {
      const response = await authorize(query)
      assert.equal(response.status, 302)
      const location = new URL(response.headers.get("location")!)
      assert.equal(location.searchParams.get("error"), error)
      assert.equal(location.searchParams.get("state"), "st4te")
      assert.equal(location.searchParams.get("code"), null)
    }
  })

  it("invalid_grant: a wrong verifier, a wrong redirect URI, another client, an unknown code", async () => {
    const { code, exchange, fetch, endpoint } = setup()
    const { verifier, challenge } = await pkcePair()
    const registered = await (await fetch(`${endpoint}/oauth/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ redirect_uris: [PUID_DEMO.redirectUri] }),
    })).json()
    const refusals: Array<[string, Record<string, string>, string]> = [
      ["wrong verifier", {}, "W".repeat(43)],
      ["no verifier", { code_verifier: "" }, ""],
      ["malformed verifier", {}, "short"],
      ["wrong redirect_uri", { redirect_uri: "https://evil.example/cb" }, verifier],
      ["no redirect_uri", { redirect_uri: "" }, verifier],
      ["another client", { client_id: registered.client_id, client_secret: registered.client_secret }, verifier],
    ]
    for (const [what, extra, presented] of refusals) {
      const issued = await code(challenge)
      const refused = await exchange(issued.code, presented, extra)
      assert.equal(refused.status, 400, what)
      assert.equal(refused.body.error, "invalid_grant", what)
      assert.equal(typeof refused.body.error_description, "string", what)
    }
    const unknown = await exchange("puid_ac_unknown", verifier)
    assert.equal(unknown.status, 400)
    assert.equal(unknown.body.error, "invalid_grant")
  })

  it("401 invalid_client at the token endpoint for an unknown client or a wrong secret", async () => {
    const { code, exchange } = setup()
    const { verifier, challenge } = await pkcePair()
    const extras: Array<Record<string, string>> = [{ client_id: "client_nobody0000000000" }, {
      client_secret: "secret_wrong",
    }]
    for (const extra of extras) {
      const refused = await exchange((await code(challenge)).code, verifier, extra)
      assert.equal(refused.status, 401)
      assert.equal(refused.body.error, "invalid_client")
    }
    const withSecret = await exchange((await code(challenge)).code, verifier, { client_secret: PUID_DEMO.clientSecret })
    assert.equal(withSecret.status, 200)
  })

  it("a code is single use", async () => {
    const { code, exchange, state } = setup()
    const { verifier, challenge } = await pkcePair()
    const issued = await code(challenge)
    assert.ok(state.isCodeLive(issued.code))
    assert.equal((await exchange(issued.code, verifier)).status, 200)
    assert.ok(!state.isCodeLive(issued.code))
    const again = await exchange(issued.code, verifier)
    assert.equal(again.status, 400)
    assert.equal(again.body.error, "invalid_grant")
  })

  it("a failed attempt spends the code too", async () => {
    const { code, exchange } = setup()
    const { verifier, challenge } = await pkcePair()
    const issued = await code(challenge)
    assert.equal((await exchange(issued.code, "W".repeat(43))).status, 400)
    assert.equal((await exchange(issued.code, verifier)).body.error, "invalid_grant")
  })

  it("a code expires after 60 s on the mock clock", async () => {
    const { code, exchange, clock } = setup()
    const { verifier, challenge } = await pkcePair()
    const early = await code(challenge)
    clock.advance(59_000)
    assert.equal((await exchange(early.code, verifier)).status, 200)
    const late = await code(challenge)
    clock.advance(60_000)
    const refused = await exchange(late.code, verifier)
    assert.equal(refused.status, 400)
    assert.equal(refused.body.error, "invalid_grant")
  })

  it("a refresh token lives 90 days on the mock clock, for its own client only", async () => {
    const { code, exchange, refresh, clock, fetch, endpoint } = setup()
    const { verifier, challenge } = await pkcePair()
    const { body } = await exchange((await code(challenge)).code, verifier)
    const registered = await (await fetch(`${endpoint}/oauth/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ redirect_uris: ["https://app.example/cb"] }),
    })).json()
    assert.equal((await refresh(body.refresh_token, { client_id: registered.client_id })).body.error, "invalid_grant")
    // The mock clock runs with real time too: a second short of 90 days.
    clock.advance(90 * 86_400_000 - 1000)
    const rotated = await refresh(body.refresh_token)
    assert.equal(rotated.status, 200)
    clock.advance(90 * 86_400_000)
    const expired = await refresh(rotated.body.refresh_token)
    assert.equal(expired.status, 400)
    assert.equal(expired.body.error, "invalid_grant")
    assert.equal((await refresh("puid_rt_unknown")).body.error, "invalid_grant")
  })

  it("reset forgets codes and refresh tokens", async () => {
    const { code, exchange, refresh, api } = setup()
    const { verifier, challenge } = await pkcePair()
    const { body } = await exchange((await code(challenge)).code, verifier)
    const pending = await code(challenge)
    api.reset()
    assert.equal((await refresh(body.refresh_token)).body.error, "invalid_grant")
    assert.equal((await exchange(pending.code, verifier)).body.error, "invalid_grant")
  })
})

describe("global fetch interception", () => {
  it("answers requests to puid.dev from the mock until restored", async () => {
    const mock = createMock()
    const restore = mock.interceptGlobalFetch()
    try {
      const response = await fetch("https://puid.dev/api/v1/quota", { headers: key })
      assert.equal(response.status, 200)
      assert.equal((await response.json()).plan, "free")
    } finally {
      restore()
    }
    assert.equal(mock.journal.length, 1)
  })

  it("reaches a Promise client made after interception, even after earlier Effect requests", async () => {
    const mock = createMock()
    await Effect.runPromise(
      Effect.flatMap(Puid, (puid) => Effect.flip(puid.quota())).pipe(
        Effect.provide(
          Puid.layer({ apiKey: "puid_live_x", endpoint: "http://127.0.0.1:9/api", retry: RetryPolicy.none }),
        ),
        Effect.provide(fetchLayer()),
      ),
    )
    const restore = mock.interceptGlobalFetch()
    try {
      await using puid = PuidClient.make({ apiKey: PUID_DEMO.apiKey })
      assert.equal((await puid.quota()).plan, "free")
    } finally {
      restore()
    }
  })
})
