import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { Effect, Redacted, Schema } from "effect"
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
