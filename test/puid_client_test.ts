import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { inspect } from "node:util"
import { readFileSync } from "node:fs"
import { ConfigProvider, Context, Duration, Effect, Exit, Layer, Redacted, Scope } from "effect"
import { Puid, PuidClient, PuidError, puidToOrdinal } from "../src/puid/mod.ts"
import { RetryPolicy } from "../src/core/retry.ts"
import { fetchLayer } from "../src/core/promise.ts"
import { TestClock } from "effect/testing"
import { USER_AGENT, VERSION } from "../src/core/version.ts"
import { PUID_DEMO } from "../mock/puid/mod.ts"
import { pkceFlow, pkcePair, puidSetup } from "./_puid.ts"

const fast = RetryPolicy.make({ base: "1 millis", jitter: false })

const failure = async (promise: Promise<unknown>): Promise<PuidError> => {
  try {
    await promise
  } catch (error) {
    assert.ok(error instanceof PuidError, `expected a PuidError, got ${String(error)}`)
    return error
  }
  assert.fail("expected a failure")
}

describe("Puid client: methods", () => {
  it("ids(3) returns three ids that decode to consecutive ordinals", async () => {
    const { withKey, run } = puidSetup()
    const ids = await run(withKey(), (puid) => puid.ids(3))
    assert.equal(ids.length, 3)
    const ordinals = ids.map(puidToOrdinal)
    assert.deepEqual(ordinals, [ordinals[0], ordinals[0] + 1n, ordinals[0] + 2n])
  })

  it("id() returns one id, and ids() defaults to one", async () => {
    const { withKey, run, clock, sent } = puidSetup()
    const one = await run(withKey(), (puid) => puid.id())
    clock.advance(1000)
    const list = await run(withKey(), (puid) => puid.ids())
    assert.equal(typeof one, "string")
    assert.equal(list.length, 1)
    assert.ok(sent.every((s) => new URL(s.url).searchParams.get("n") === "1"))
  })

  it("ordinal(puid) asks the API and returns a bigint", async () => {
    const { withKey, run, sent } = puidSetup()
    const [id] = await run(withKey(), (puid) => puid.ids(1))
    const ordinal = await run(withKey(), (puid) => puid.ordinal(id))
    assert.equal(typeof ordinal, "bigint")
    assert.equal(ordinal, puidToOrdinal(id))
    assert.equal(new URL(sent[1].url).pathname, `/puid/api/v1/ordinal/${id}`)
  })

  for (const [puid, character] of [["%", "%"], ["%41", "%"], ["a/b", "/"], ["a?b", "?"], ["ab!c", "!"], [".", "."]]) {
    it(`ordinal(${JSON.stringify(puid)}) fails with invalid_puid naming ${character}, and sends nothing`, async () => {
      const { withKey, run, sent } = puidSetup()
      const error = await failure(run(withKey(), (client) => client.ordinal(puid)))
      assert.equal(error.code, "invalid_puid")
      assert.equal(error.message, `Not a valid PUID: invalid base62 character: ${character}`)
      assert.equal(sent.length, 0)
    })
  }

  it("ordinal of an over-long id is the service's to answer: the codec keeps its low 128 bits", async () => {
    const { withKey, run, sent } = puidSetup()
    const long = "z".repeat(40)
    assert.equal(await run(withKey(), (puid) => puid.ordinal(long)), puidToOrdinal(long))
    assert.equal(sent.length, 1)
  })

  it("quota() reports the plan and spends no id", async () => {
    const { withKey, run, clock } = puidSetup()
    await run(withKey(), (puid) => puid.ids(4))
    clock.advance(1000)
    const first = await run(withKey(), (puid) => puid.quota())
    const second = await run(withKey(), (puid) => puid.quota())
    assert.deepEqual(first, { plan: "free", used: 4, limit: 1000, remaining: 996 })
    assert.deepEqual(second, first)
  })

  it("an unlimited plan reports null limit and remaining", async () => {
    const { withKey, run } = puidSetup()
    const quota = await run(withKey({ apiKey: PUID_DEMO.unlimitedApiKey }), (puid) => puid.quota())
    assert.deepEqual(quota, { plan: "enterprise", used: 0, limit: null, remaining: null })
  })
})

describe("Puid client: validation before any request", () => {
  for (const count of [0, 11, 1.5, Number.NaN, -1]) {
    it(`ids(${count}) fails with invalid_count and sends nothing`, async () => {
      const { withKey, run, sent } = puidSetup()
      const error = await failure(run(withKey(), (puid) => puid.ids(count)))
      assert.equal(error.code, "invalid_count")
      assert.equal(error.status, undefined)
      assert.equal(sent.length, 0)
    })
  }

  it("ids(true) is rejected like the seed rejects booleans", async () => {
    const { withKey, run, sent } = puidSetup()
    const error = await failure(run(withKey(), (puid) => puid.ids(true as unknown as number)))
    assert.equal(error.code, "invalid_count")
    assert.equal(sent.length, 0)
  })

  for (const puid of ["", ".", "..", 42 as unknown as string]) {
    it(`ordinal(${JSON.stringify(puid)}) fails with invalid_puid and sends nothing`, async () => {
      const { withKey, run, sent } = puidSetup()
      const error = await failure(run(withKey(), (client) => client.ordinal(puid)))
      assert.equal(error.code, "invalid_puid")
      assert.equal(sent.length, 0)
    })
  }

  it("no credential, or both, fails with invalid_credentials and sends nothing", async () => {
    const { run, endpoint, http, sent } = puidSetup()
    const none = await failure(run(Puid.layer({ endpoint }).pipe(Layer.provide(http)), (puid) => puid.id()))
    const both = await failure(
      run(
        Puid.layer({ endpoint, apiKey: "puid_live_x", accessToken: "puid_at_y" }).pipe(Layer.provide(http)),
        (p) => p.id(),
      ),
    )
    assert.equal(none.code, "invalid_credentials")
    assert.equal(both.code, "invalid_credentials")
    assert.equal(sent.length, 0)
  })

  it("client credentials without an id or a secret fail with invalid_client and send nothing", async () => {
    const { withClient, run, sent } = puidSetup()
    const noId = await failure(run(withClient({ clientId: "" }), (puid) => puid.id()))
    const noSecret = await failure(run(withClient({ clientSecret: "" }), (puid) => puid.id()))
    assert.equal(noId.code, "invalid_client")
    assert.equal(noSecret.code, "invalid_client")
    assert.equal(sent.length, 0)
  })
})

describe("Puid client: server errors", () => {
  it("a second call within a second fails with rate_limited, its delay and status 429", async () => {
    const { withKey, run } = puidSetup()
    const error = await failure(run(withKey(), (puid) => Effect.andThen(puid.ids(1), puid.ids(1))))
    assert.equal(error.status, 429)
    assert.equal(error.code, "rate_limited")
    assert.ok(error.retryAfter !== undefined && Duration.toMillis(error.retryAfter) <= 1000)
    assert.ok(Duration.toMillis(error.retryAfter) > 0)
  })

  it("after the clock moves a second on, the next call succeeds", async () => {
    const { withKey, run, clock } = puidSetup()
    await run(withKey(), (puid) => puid.ids(1))
    clock.advance(1000)
    assert.equal((await run(withKey(), (puid) => puid.ids(2))).length, 2)
  })

  it("past the free plan's daily quota, quota_exceeded carries used, limit and plan", async () => {
    const { withKey, run, state } = puidSetup()
    state.setUsed(PUID_DEMO.apiKey, 999)
    const error = await failure(run(withKey(), (puid) => puid.ids(2)))
    assert.equal(error.status, 402)
    assert.equal(error.code, "quota_exceeded")
    assert.deepEqual(error.quota, { used: 999, limit: 1000, plan: "free" })
  })

  it("the quota resets on the next UTC day", async () => {
    const { withKey, run, state, clock } = puidSetup()
    state.setUsed(PUID_DEMO.apiKey, 1000)
    clock.advance(86_400_000)
    assert.equal((await run(withKey(), (puid) => puid.ids(10))).length, 10)
  })

  it("an unknown key fails with unauthorized, status 401", async () => {
    const { withKey, run } = puidSetup()
    const error = await failure(run(withKey({ apiKey: "puid_live_nope" }), (puid) => puid.quota()))
    assert.equal(error.status, 401)
    assert.equal(error.code, "unauthorized")
    assert.match(error.message, /X-API-Key/)
  })

  it("a non-JSON error body gives no code and an HTTP message", async () => {
    const { withKey, run, mock } = puidSetup()
    mock.fault({ path: "/v1/quota", status: 418, body: "teapot" })
    const error = await failure(run(withKey(), (puid) => puid.quota()))
    assert.equal(error.status, 418)
    assert.equal(error.code, undefined)
    assert.equal(error.message, "Request failed with HTTP 418.")
  })

  it("a 2xx body that breaks the contract fails with invalid_response", async () => {
    const { withKey, run, mock } = puidSetup()
    mock.fault({ path: "/v1/quota", status: 200, body: { plan: 1 } })
    const error = await failure(run(withKey(), (puid) => puid.quota()))
    assert.equal(error.code, "invalid_response")
    assert.equal(error.status, 200)
  })

  it("the request id of an error response is kept", async () => {
    const { withKey, run, mock } = puidSetup()
    mock.fault({
      path: "/v1/quota",
      status: 400,
      body: { error: "bad_request" },
      headers: { "x-request-id": "req_42" },
    })
    const error = await failure(run(withKey(), (puid) => puid.quota()))
    assert.equal(error.requestId, "req_42")
  })
})

describe("Puid client: transport, retries, timeouts", () => {
  it("a dropped connection is retried twice, then fails with network_error and no status", async () => {
    const { withKey, run, mock } = puidSetup()
    mock.fault({ path: "/v1/quota", drop: true })
    const error = await failure(run(withKey({ retry: fast }), (puid) => puid.quota()))
    assert.equal(error.code, "network_error")
    assert.equal(error.status, undefined)
    assert.equal(mock.journal.length, 3)
  })

  it("503 twice then 200 succeeds on the third attempt", async () => {
    const { withKey, run, mock } = puidSetup()
    mock.fault({ path: "/v1/quota", status: 503, times: 2 })
    const quota = await run(withKey({ retry: fast }), (puid) => puid.quota())
    assert.equal(quota.plan, "free")
    assert.equal(mock.journal.length, 3)
  })

  it("429 is not retried by default: the API's one request per second is by design", async () => {
    const { withKey, run, mock } = puidSetup()
    mock.fault({ path: "/v1/quota", status: 429, body: { error: "rate_limited", retryAfterMs: 10 } })
    await failure(run(withKey(), (puid) => puid.quota()))
    assert.equal(mock.journal.length, 1)
  })

  it("RetryPolicy.none sends once", async () => {
    const { withKey, run, mock } = puidSetup()
    mock.fault({ path: "/v1/quota", status: 503 })
    const error = await failure(run(withKey({ retry: RetryPolicy.none }), (puid) => puid.quota()))
    assert.equal(error.status, 503)
    assert.equal(mock.journal.length, 1)
  })

  it("the token exchange, a POST, is never retried", async () => {
    const { withClient, run, mock } = puidSetup()
    mock.fault({ path: "/oauth/token", status: 503 })
    const error = await failure(run(withClient({ retry: fast }), (puid) => puid.quota()))
    assert.equal(error.status, 503)
    assert.equal(mock.journal.length, 1)
  })

  it("an attempt slower than the timeout fails with network_error", async () => {
    const { withKey, run, mock } = puidSetup()
    mock.fault({ path: "/v1/quota", delayMs: 300 })
    const error = await failure(run(withKey({ timeout: "30 millis", retry: RetryPolicy.none }), (puid) => puid.quota()))
    assert.equal(error.code, "network_error")
    assert.match(error.message, /no answer within/)
  })

  it("pacing makes a busy caller wait instead of meeting rate_limited, outside the attempt's timeout", async () => {
    const { withKey, run } = puidSetup()
    const ids = await run(
      withKey({ pacing: true, timeout: "300 millis" }),
      (puid) => Effect.all([puid.ids(1), puid.ids(1)], { concurrency: 2 }),
    )
    assert.equal(ids.flat().length, 2)
  })

  it("pacing leaves quota and ordinal alone: the API limits only ids", async () => {
    const { withKey, run, mock } = puidSetup()
    mock.fault({ path: "/v1/quota", delayMs: 5 })
    const quotas = await run(
      withKey({ pacing: { limit: 1, window: "1 hour" }, timeout: "2 seconds" }),
      (puid) => Effect.all([puid.ids(1), puid.quota(), puid.quota(), puid.ordinal("0")], { concurrency: 4 }),
    )
    assert.equal(quotas.length, 4)
  })

  it("a body that stalls after the headers fails with network_error at the timeout", async () => {
    const { endpoint } = puidSetup()
    const stalled = (() =>
      Promise.resolve(
        new Response(new ReadableStream({ start: () => {} }), { status: 200 }),
      )) as typeof globalThis.fetch
    const layer = Puid.layer({ apiKey: PUID_DEMO.apiKey, endpoint, timeout: "50 millis", retry: RetryPolicy.none })
      .pipe(Layer.provide(fetchLayer(stalled)))
    const error = await failure(
      Effect.runPromise(Effect.flatMap(Puid, (puid) => puid.quota()).pipe(Effect.provide(layer))),
    )
    assert.equal(error.code, "network_error")
  })

  it("a connection lost in the middle of a body is a network error, and retried", async () => {
    const { endpoint } = puidSetup()
    let calls = 0
    const broken = (() => {
      calls += 1
      return Promise.resolve(
        new Response(new ReadableStream({ pull: (c) => c.error(new TypeError("reset")) }), { status: 200 }),
      )
    }) as typeof globalThis.fetch
    const layer = Puid.layer({ apiKey: PUID_DEMO.apiKey, endpoint, retry: fast }).pipe(
      Layer.provide(fetchLayer(broken)),
    )
    const error = await failure(
      Effect.runPromise(Effect.flatMap(Puid, (puid) => puid.quota()).pipe(Effect.provide(layer))),
    )
    assert.equal(error.code, "network_error")
    assert.equal(calls, 3)
  })

  it("an endpoint that is not an absolute http(s) URL fails with invalid_endpoint before any request", async () => {
    const { withKey, run, sent } = puidSetup()
    for (const endpoint of ["puid.dev/api", "ftp://puid.dev/api", ""]) {
      const error = await failure(run(withKey({ endpoint }), (puid) => puid.quota()))
      assert.equal(error.code, "invalid_endpoint")
    }
    assert.equal(sent.length, 0)
  })
})

describe("Puid client: requests", () => {
  it("sends X-API-Key, Accept and User-Agent gatehouse/<version>, and the default headers", async () => {
    const { withKey, run, sent } = puidSetup()
    await run(withKey({ headers: { "x-team": "blue" } }), (puid) => puid.quota())
    assert.equal(sent[0].headers["x-api-key"], PUID_DEMO.apiKey)
    assert.equal(sent[0].headers["accept"], "application/json")
    assert.equal(sent[0].headers["user-agent"], USER_AGENT)
    assert.equal(sent[0].headers["x-team"], "blue")
    assert.equal(sent[0].headers["authorization"], undefined)
  })

  it("an access token goes as a bearer token", async () => {
    const { withKey, run, sent } = puidSetup()
    await failure(run(withKey({ apiKey: undefined, accessToken: "puid_at_unknown" }), (puid) => puid.quota()))
    assert.equal(sent[0].headers["authorization"], "Bearer puid_at_unknown")
    assert.equal(sent[0].headers["x-api-key"], undefined)
  })

  it("an endpoint with a trailing slash reaches the same paths", async () => {
    const { withKey, run, sent, endpoint } = puidSetup()
    await run(withKey({ endpoint: `${endpoint}//` }), (puid) => puid.quota())
    assert.equal(new URL(sent[0].url).pathname, "/puid/api/v1/quota")
  })

  it("VERSION matches deno.json", () => {
    const manifest = JSON.parse(readFileSync(new URL("../deno.json", import.meta.url), "utf8"))
    assert.equal(VERSION, manifest.version)
  })
})

describe("Puid client: OAuth2 client credentials", () => {
  it("fetches no token until the first call, then one token for many calls", async () => {
    const { withClient, sent, clock } = puidSetup()
    await Effect.runPromise(
      Effect.gen(function* () {
        const puid = yield* Puid
        assert.equal(sent.length, 0)
        yield* puid.ids(1)
        clock.advance(1000)
        yield* puid.quota()
        yield* puid.quota()
      }).pipe(Effect.provide(withClient())),
    )
    const tokenRequests = sent.filter((s) => s.url.endsWith("/oauth/token"))
    assert.equal(tokenRequests.length, 1)
    assert.match(tokenRequests[0].body, /grant_type=client_credentials/)
    assert.match(tokenRequests[0].body, /scope=puid%3Agenerate/)
    assert.match(sent[1].headers["authorization"], /^Bearer puid_at_/)
  })

  it("concurrent first calls share one token fetch", async () => {
    const { withClient, run, sent } = puidSetup()
    await run(withClient(), (puid) => Effect.all(Array.from({ length: 8 }, () => puid.quota()), { concurrency: 8 }))
    assert.equal(sent.filter((s) => s.url.endsWith("/oauth/token")).length, 1)
  })

  it("an expired token meets 401, is fetched again once, and the call succeeds", async () => {
    const { withClient, state, sent } = puidSetup()
    await Effect.runPromise(
      Effect.gen(function* () {
        const puid = yield* Puid
        yield* puid.quota()
        state.expireTokens()
        yield* Effect.all([puid.quota(), puid.quota(), puid.quota()], { concurrency: 3 })
      }).pipe(Effect.provide(withClient())),
    )
    assert.equal(sent.filter((s) => s.url.endsWith("/oauth/token")).length, 2)
  })

  it("a token within 30 s of its expiry is fetched again before use", async () => {
    const { withClient, sent } = puidSetup()
    await Effect.runPromise(
      Effect.gen(function* () {
        const puid = yield* Puid
        yield* puid.quota()
        yield* TestClock.adjust("3560 seconds")
        yield* puid.quota()
        yield* TestClock.adjust("10 seconds")
        yield* puid.quota()
      }).pipe(Effect.provide(withClient()), Effect.provide(TestClock.layer())),
    )
    assert.deepEqual(sent.map((s) => new URL(s.url).pathname.replace("/puid/api", "")), [
      "/oauth/token",
      "/v1/quota",
      "/v1/quota",
      "/oauth/token",
      "/v1/quota",
    ])
  })

  it("concurrent callers share one failed token fetch", async () => {
    const { withClient, run, sent } = puidSetup()
    const errors = await run(
      withClient({ clientSecret: "secret_wrong" }),
      (puid) => Effect.all(Array.from({ length: 8 }, () => Effect.flip(puid.quota())), { concurrency: 8 }),
    )
    assert.ok(errors.every((error) => error.code === "invalid_client"))
    assert.equal(sent.filter((s) => s.url.endsWith("/oauth/token")).length, 1)
  })

  it("a client id that is not a string fails with invalid_client before any request", async () => {
    const { withClient, run, sent } = puidSetup()
    const error = await failure(run(withClient({ clientId: undefined as unknown as string }), (puid) => puid.quota()))
    assert.equal(error.code, "invalid_client")
    assert.equal(sent.length, 0)
  })

  it("a wrong secret fails with invalid_client, status 401, the error_description as message", async () => {
    const { withClient, run } = puidSetup()
    const error = await failure(run(withClient({ clientSecret: "secret_wrong" }), (puid) => puid.quota()))
    assert.equal(error.status, 401)
    assert.equal(error.code, "invalid_client")
    assert.equal(error.message, "Unknown client or wrong secret.")
  })

  it("a token response without access_token fails with invalid_client", async () => {
    const { withClient, run, mock } = puidSetup()
    mock.fault({ path: "/oauth/token", status: 200, body: { token_type: "Bearer" } })
    const error = await failure(run(withClient(), (puid) => puid.quota()))
    assert.equal(error.code, "invalid_client")
  })
})

describe("Puid client: tokens of the authorization-code grant (PKCE)", () => {
  it("calls with the access token, then with the rotated one; the old refresh token is refused", async () => {
    const { fetch, endpoint, withKey, run, clock } = puidSetup()
    const flow = pkceFlow(fetch, endpoint)
    const { verifier, challenge } = await pkcePair()
    const granted = await flow.exchange((await flow.code(challenge)).code, verifier)
    assert.equal(granted.status, 200)
    const asBearer = (accessToken: string) => withKey({ apiKey: undefined, accessToken })
    const ids = await run(asBearer(granted.body.access_token), (puid) => puid.ids(3))
    assert.equal(ids.length, 3)
    // The demo account's principal and plan: the usage the demo API key sees.
    const quota = await run(asBearer(granted.body.access_token), (puid) => puid.quota())
    assert.deepEqual(quota, { plan: "free", used: 3, limit: 1000, remaining: 997 })
    assert.equal((await run(withKey(), (puid) => puid.quota())).used, 3)

    const rotated = await flow.refresh(granted.body.refresh_token)
    assert.equal(rotated.status, 200)
    clock.advance(1000)
    assert.equal((await run(asBearer(rotated.body.access_token), (puid) => puid.ids(1))).length, 1)
    const old = await flow.refresh(granted.body.refresh_token)
    assert.deepEqual([old.status, old.body.error], [400, "invalid_grant"])
  })

  it("an access token that has expired is refused by the client's call as unauthorized", async () => {
    const { fetch, endpoint, withKey, run, clock } = puidSetup()
    const flow = pkceFlow(fetch, endpoint)
    const { verifier, challenge } = await pkcePair()
    const { body } = await flow.exchange((await flow.code(challenge)).code, verifier)
    clock.advance(3600_000)
    const error = await failure(run(withKey({ apiKey: undefined, accessToken: body.access_token }), (p) => p.quota()))
    assert.equal(error.status, 401)
    assert.equal(error.code, "unauthorized")
  })

  it("a client-credentials token acts for client:<id> on the free plan", async () => {
    const { withClient, run } = puidSetup()
    assert.deepEqual(await run(withClient(), (puid) => puid.quota()), {
      plan: "free",
      used: 0,
      limit: 1000,
      remaining: 1000,
    })
  })
})

describe("Puid client: configuration, lifetime, secrets", () => {
  it("layerConfig reads PUID_API_KEY and PUID_ENDPOINT", async () => {
    const { http, endpoint, sent } = puidSetup()
    const env = ConfigProvider.fromEnv({ env: { PUID_API_KEY: PUID_DEMO.apiKey, PUID_ENDPOINT: endpoint } })
    const layer = Puid.layerConfig().pipe(Layer.provide(http), Layer.provide(ConfigProvider.layer(env)))
    const quota = await Effect.runPromise(Effect.flatMap(Puid, (puid) => puid.quota()).pipe(Effect.provide(layer)))
    assert.equal(quota.plan, "free")
    assert.equal(sent[0].headers["x-api-key"], PUID_DEMO.apiKey)
  })

  it("layerConfig with neither variable fails with invalid_credentials", async () => {
    const { http } = puidSetup()
    const layer = Puid.layerConfig().pipe(
      Layer.provide(http),
      Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env: {} }))),
    )
    const exit = await Effect.runPromiseExit(Effect.flatMap(Puid, (puid) => puid.quota()).pipe(Effect.provide(layer)))
    assert.ok(Exit.isFailure(exit))
    assert.match(String(exit.cause), /invalid_credentials|exactly one/)
  })

  it("a client used after its scope closes fails with client_closed", async () => {
    const { withKey } = puidSetup()
    const error = await Effect.runPromise(Effect.gen(function* () {
      const scope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(withKey(), scope)
      yield* Scope.close(scope, Exit.void)
      const puid = Context.get(context, Puid)
      return yield* Effect.flip(puid.quota())
    }))
    assert.equal(error.code, "client_closed")
  })

  it("the Promise facade resolves values and rejects with PuidError instances", async () => {
    const { fetch, endpoint } = puidSetup()
    const puid = PuidClient.make({ apiKey: PUID_DEMO.apiKey, endpoint, fetch })
    assert.equal((await puid.ids(2)).length, 2)
    const error = await failure(puid.ids(2))
    assert.equal(error.code, "rate_limited")
    await puid.close()
    assert.equal((await failure(puid.quota())).code, "client_closed")
  })

  it("secrets appear in no error message, string, JSON or inspect output", async () => {
    const { withKey, withClient, run, mock } = puidSetup()
    const apiKey = "puid_live_SuperSecretKey0000000000"
    const secret = "secret_SuperSecretClientSecret0000"
    mock.fault({ path: "/oauth/token", status: 500, body: "boom" })
    const errors = [
      await failure(run(withKey({ apiKey }), (puid) => puid.quota())),
      await failure(run(withKey({ apiKey: Redacted.make(apiKey) }), (puid) => puid.ordinal("-"))),
      await failure(run(withClient({ clientSecret: secret }), (puid) => puid.quota())),
      await failure(run(withClient({ clientSecret: "secret_wrong" }), (puid) => puid.quota())),
    ]
    mock.fault({ path: "/v1/quota", drop: true })
    errors.push(await failure(run(withKey({ apiKey, retry: RetryPolicy.none }), (puid) => puid.quota())))
    for (const error of errors) {
      for (const text of [error.message, String(error), JSON.stringify(error), inspect(error, { depth: 10 })]) {
        assert.ok(!text.includes(apiKey), `API key leaked: ${text}`)
        assert.ok(!text.includes(secret), `client secret leaked: ${text}`)
      }
    }
    const facade = PuidClient.make({ apiKey, fetch: mock.fetch })
    assert.ok(!inspect(facade).includes(apiKey))
    await facade.close()
  })

  it("a token answer that does not decode keeps no token in the error", async () => {
    const { withClient, run, mock } = puidSetup()
    const token = "puid_at_LeakedTokenLeakedTokenLeakedToken00"
    mock.fault({ path: "/oauth/token", status: 200, body: { access_token: token, expires_in: "3600" } })
    const error = await failure(run(withClient(), (puid) => puid.quota()))
    assert.equal(error.code, "invalid_client")
    for (const text of [error.message, String(error), JSON.stringify(error), inspect(error, { depth: 10 })]) {
      assert.ok(!text.includes(token), `token leaked: ${text}`)
    }
  })

  it("the Promise client has exactly the API's methods, and prints without calling any", async () => {
    const { fetch, endpoint, sent } = puidSetup()
    const puid = PuidClient.make({ apiKey: PUID_DEMO.apiKey, endpoint, fetch })
    assert.deepEqual(Object.keys(puid).sort(), ["close", "id", "ids", "ordinal", "quota"])
    assert.equal(typeof String(puid), "string")
    assert.equal(typeof JSON.stringify(puid), "string")
    assert.equal(typeof inspect(puid), "string")
    assert.equal(sent.length, 0)
    await puid.close()
  })
})

describe("Puid client: uniqueness", () => {
  it("10,000 ids through concurrent requests of many principals have no duplicate", async () => {
    const { state, clock, run, withKey } = puidSetup()
    const keys = Array.from({ length: 100 }, () => state.createApiKey("enterprise"))
    const clients = keys.map((apiKey) => withKey({ apiKey }))
    const all = new Set<string>()
    for (let round = 0; round < 10; round++) {
      const batches = await Promise.all(clients.map((layer) => run(layer, (puid) => puid.ids(10))))
      for (const batch of batches) {
        const ordinals = batch.map(puidToOrdinal)
        ordinals.forEach((ordinal, i) => assert.equal(ordinal, ordinals[0] + BigInt(i)))
        batch.forEach((id) => all.add(id))
      }
      clock.advance(1000)
    }
    assert.equal(all.size, 10_000)
  })
})
