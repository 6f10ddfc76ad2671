import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { Effect, Redacted, Schema } from "effect"
import { TestClock } from "effect/testing"
import { makeApiClient } from "../src/core/client.ts"
import { defineApi } from "../src/core/endpoint.ts"
import type { Credential } from "../src/core/credentials.ts"
import type { Failure } from "../src/core/failure.ts"
import { fetchLayer } from "../src/core/promise.ts"
import { RetryPolicy } from "../src/core/retry.ts"

/** A server that accepts only `current` as a bearer token, and counts what it saw. */
const server = () => {
  const state = { current: "token-1", requests: [] as Array<string> }
  const fetch = ((input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init)
    const auth = request.headers.get("authorization") ?? ""
    state.requests.push(auth)
    return Promise.resolve(
      auth === `Bearer ${state.current}`
        ? Response.json({ ok: true })
        : Response.json({ error: "unauthorized" }, { status: 401 }),
    )
  }) as typeof globalThis.fetch
  return { state, fetch }
}

const { endpoints } = defineApi({
  name: "test",
  title: "test",
  version: "0",
  errorBody: Schema.Unknown,
  secretHeaders: [],
  endpoints: { get: { method: "GET", path: "/x", summary: "a read", success: Schema.Struct({ ok: Schema.Boolean }) } },
})

const client = (credential: Credential<Failure>, fetch: typeof globalThis.fetch) =>
  makeApiClient<Failure>({
    name: "test",
    baseUrl: "http://api.test",
    credential,
    timeout: "5 seconds",
    retry: RetryPolicy.none,
    toError: (failure) => failure,
  }).pipe(Effect.provide(fetchLayer(fetch)))

describe("bearer credentials with a refresh callback", () => {
  it("concurrent 401s share one refresh, and each request is sent again once", async () => {
    const { state, fetch } = server()
    let refreshes = 0
    const credential: Credential<Failure> = {
      _tag: "Bearer",
      token: Redacted.make("token-0"),
      refresh: (expired) =>
        Effect.sync(() => {
          refreshes += 1
          assert.equal(Redacted.value(expired), "token-0")
          return Redacted.make("token-1")
        }),
    }
    const results = await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
      const api = yield* client(credential, fetch)
      return yield* Effect.all(
        Array.from({ length: 5 }, () => api.send(endpoints.get, {})),
        { concurrency: 5 },
      )
    })))
    assert.equal(results.length, 5)
    assert.equal(refreshes, 1)
    assert.equal(state.requests.filter((r) => r === "Bearer token-0").length, 5)
    assert.equal(state.requests.filter((r) => r === "Bearer token-1").length, 5)
  })

  it("a second 401 after the refresh is returned as the API's error, not refreshed again", async () => {
    const { state, fetch } = server()
    state.current = "never"
    let refreshes = 0
    const credential: Credential<Failure> = {
      _tag: "Bearer",
      token: Redacted.make("token-0"),
      refresh: () => Effect.sync(() => (refreshes += 1, Redacted.make(`token-${refreshes}`))),
    }
    const failure = await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
      const api = yield* client(credential, fetch)
      return yield* Effect.flip(api.send(endpoints.get, {}))
    })))
    assert.equal(failure._tag, "Status")
    assert.equal(failure._tag === "Status" && failure.status, 401)
    assert.equal(refreshes, 1)
    assert.equal(state.requests.length, 2)
  })

  it("without a refresh callback a 401 is returned at once", async () => {
    const { state, fetch } = server()
    const failure = await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
      const api = yield* client({ _tag: "Bearer", token: Redacted.make("wrong") }, fetch)
      return yield* Effect.flip(api.send(endpoints.get, {}))
    })))
    assert.equal(failure._tag, "Status")
    assert.equal(state.requests.length, 1)
  })
})

/** A token endpoint that issues tokens living `expiresIn` seconds, and an API that takes any of them. */
const tokenServer = (expiresIn: number) => {
  const state = { issued: 0 }
  const fetch = ((input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init)
    if (new URL(request.url).pathname === "/oauth/token") {
      state.issued += 1
      return Promise.resolve(Response.json({ access_token: `token-${state.issued}`, expires_in: expiresIn }))
    }
    return Promise.resolve(Response.json({ ok: true }))
  }) as typeof globalThis.fetch
  return { state, fetch }
}

describe("client-credentials tokens, on the test clock", () => {
  const credential: Credential<Failure> = {
    _tag: "ClientCredentials",
    clientId: "c",
    clientSecret: Redacted.make("s"),
  }
  /** The token fetches after a call at each of `at` (seconds since the first). */
  const fetchesAt = (expiresIn: number, at: ReadonlyArray<number>) =>
    Effect.runPromise(
      Effect.scoped(Effect.gen(function* () {
        const { state, fetch } = tokenServer(expiresIn)
        const api = yield* client(credential, fetch)
        const counts: Array<number> = []
        let now = 0
        for (const second of at) {
          yield* TestClock.adjust(`${(second - now) * 1000} millis`)
          now = second
          yield* api.send(endpoints.get, {})
          counts.push(state.issued)
        }
        return counts
      })).pipe(Effect.provide(TestClock.layer())),
    )

  it("a token living 20 s is kept for three quarters of its life, not fetched on every call", async () => {
    assert.deepEqual(await fetchesAt(20, [0, 0, 1, 10, 14, 16, 17, 30, 32]), [1, 1, 1, 1, 1, 2, 2, 2, 3])
  })

  it("a token living an hour is renewed 30 s before it expires", async () => {
    assert.deepEqual(await fetchesAt(3600, [0, 1800, 3569, 3571]), [1, 1, 1, 2])
  })
})
