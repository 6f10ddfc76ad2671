import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { Cause, Effect, Exit, Layer, Schema } from "effect"
import { Headers, HttpClient, HttpClientResponse } from "effect/http"
import { type ApiClient, type ApiDefinition, makeApiClient } from "../src/core/client.ts"
import { defineApi } from "../src/core/endpoint.ts"
import type { Failure } from "../src/core/failure.ts"
import { fetchLayer } from "../src/core/promise.ts"
import { RetryPolicy } from "../src/core/retry.ts"

const Api = defineApi({
  name: "test",
  title: "test",
  version: "0",
  errorBody: Schema.Unknown,
  secretHeaders: ["x-secret"],
  endpoints: {
    create: {
      method: "POST",
      path: "/things",
      summary: "a write",
      payload: Schema.Struct({ name: Schema.String }),
      success: Schema.Struct({ id: Schema.String }),
    },
    read: {
      method: "GET",
      path: "/things/{id}",
      summary: "a read",
      params: Schema.Struct({ id: Schema.String }),
      success: Schema.Struct({ id: Schema.String }),
    },
    remove: {
      method: "DELETE",
      path: "/things/{id}",
      summary: "a delete",
      params: Schema.Struct({ id: Schema.String }),
      success: Schema.Void,
      successStatus: 204,
    },
    spend: {
      method: "GET",
      path: "/spend",
      summary: "a read with a side effect",
      success: Schema.Struct({ id: Schema.String }),
      idempotent: false,
    },
  },
})

/** A server that answers 503 `failures` times, then 200, and keeps every request it saw. */
const flaky = (failures: number) => {
  const seen: Array<Request> = []
  const fetch = ((input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init)
    seen.push(request)
    return Promise.resolve(
      seen.length <= failures ? new Response("busy", { status: 503 }) : Response.json({ id: "t_1" }),
    )
  }) as typeof globalThis.fetch
  return { seen, fetch }
}

/** A server whose answers are scripted: a status, or a `TypeError` with a `code` (as fetch rejects). */
const scripted = (answers: ReadonlyArray<number | { readonly code: string }>) => {
  const seen: Array<Request> = []
  const fetch = ((input: RequestInfo | URL, init?: RequestInit) => {
    seen.push(new Request(input, init))
    const answer = answers[seen.length - 1] ?? 200
    return typeof answer === "number"
      ? Promise.resolve(
        answer === 204 || answer === 404
          ? new Response(null, { status: answer })
          : Response.json({ id: "t_1" }, { status: answer }),
      )
      : Promise.reject(Object.assign(new TypeError("fetch failed"), answer))
  }) as typeof globalThis.fetch
  return { seen, fetch }
}

const run = <A>(
  fetch: typeof globalThis.fetch,
  f: (client: ApiClient<Failure>) => Effect.Effect<A, Failure>,
  definition: Partial<ApiDefinition<Failure>> = {},
) =>
  Effect.runPromiseExit(
    Effect.scoped(Effect.flatMap(makeApiClient<Failure>({ ...options, ...definition }), f)).pipe(
      Effect.provide(fetchLayer(fetch)),
    ),
  )

const options: ApiDefinition<Failure> = {
  name: "test",
  baseUrl: "http://api.test/v1",
  credential: { _tag: "None" },
  timeout: "5 seconds",
  retry: RetryPolicy.make({ times: 3, base: "1 millis", jitter: false, statuses: [503] }),
  toError: (failure: Failure) => failure,
}

describe("the client from a definition", () => {
  it("builds the request from the endpoint: method, filled path, encoded body", async () => {
    const { seen, fetch } = flaky(0)
    const exit = await run(fetch, (c) => c.send(Api.endpoints.read, { params: { id: "a/b c" } }))
    assert.ok(Exit.isSuccess(exit))
    assert.equal(seen[0].method, "GET")
    assert.equal(seen[0].url, "http://api.test/v1/things/a%2Fb%20c")
  })

  it("exchange keeps the status, the headers and the request id of the answer; the same request twice is sent twice", async () => {
    const seen: Array<Request> = []
    const fetch = ((input: RequestInfo | URL, init?: RequestInit) => {
      seen.push(new Request(input, init))
      return Promise.resolve(
        Response.json({ id: `t_${seen.length}` }, { headers: { "x-request-id": `r-${seen.length}` } }),
      )
    }) as typeof globalThis.fetch
    const exit = await run(
      fetch,
      (c) => Effect.all([c.exchange(Api.endpoints.spend, {}), c.send(Api.endpoints.spend, {})]),
    )
    assert.ok(Exit.isSuccess(exit))
    const [answer, second] = exit.value
    assert.deepEqual([answer.value, answer.status, answer.requestId], [{ id: "t_1" }, 200, "r-1"])
    assert.match(answer.headers["content-type"] ?? "", /^application\/json/)
    assert.deepEqual(second, { id: "t_2" })
    assert.deepEqual(seen.map((request) => [request.method, request.url, request.headers.get("accept")]), [
      ["GET", "http://api.test/v1/spend", "application/json"],
      ["GET", "http://api.test/v1/spend", "application/json"],
    ])
  })

  it("a POST is sent once on 503: it is not safe to repeat", async () => {
    const { seen, fetch } = flaky(1)
    const exit = await run(fetch, (c) => c.send(Api.endpoints.create, { payload: { name: "x" } }))
    assert.ok(Exit.isFailure(exit))
    assert.equal(seen.length, 1)
  })

  it("a POST with an Idempotency-Key the API honours is retried, the same key on every attempt", async () => {
    const { seen, fetch } = flaky(2)
    const exit = await run(
      fetch,
      (c) => c.send(Api.endpoints.create, { payload: { name: "x" } }, { headers: { "idempotency-key": "k-1" } }),
      { idempotencyKeys: true },
    )
    assert.ok(Exit.isSuccess(exit))
    assert.deepEqual(seen.map((r) => r.headers.get("idempotency-key")), ["k-1", "k-1", "k-1"])
    assert.deepEqual(await Promise.all(seen.map((r) => r.text())), Array(3).fill(JSON.stringify({ name: "x" })))
  })

  it("a POST with an Idempotency-Key the API does not honour is sent once", async () => {
    const { seen, fetch } = flaky(1)
    const exit = await run(
      fetch,
      (c) => c.send(Api.endpoints.create, { payload: { name: "x" } }, { headers: { "idempotency-key": "k-1" } }),
    )
    assert.ok(Exit.isFailure(exit))
    assert.equal(seen.length, 1)
  })

  it("a POST whose connection was refused never left, and is sent again; a reset one is not", async () => {
    const refused = scripted([{ code: "ECONNREFUSED" }, 201])
    assert.ok(Exit.isSuccess(await run(refused.fetch, (c) => c.send(Api.endpoints.create, { payload: { name: "x" } }))))
    assert.equal(refused.seen.length, 2)
    const reset = scripted([{ code: "ECONNRESET" }, 201])
    const exit = await run(reset.fetch, (c) => c.send(Api.endpoints.create, { payload: { name: "x" } }))
    assert.ok(Exit.isFailure(exit))
    assert.equal((Cause.squash(exit.cause) as Failure)._tag, "Transport")
    assert.equal(reset.seen.length, 1)
  })

  it("a DELETE that meets 404 after a lost answer succeeds: the lost attempt deleted it", async () => {
    const lost = scripted([{ code: "ECONNRESET" }, 404])
    assert.ok(Exit.isSuccess(await run(lost.fetch, (c) => c.send(Api.endpoints.remove, { params: { id: "1" } }))))
    assert.equal(lost.seen.length, 2)
    const gone = scripted([404])
    const exit = await run(gone.fetch, (c) => c.send(Api.endpoints.remove, { params: { id: "1" } }))
    assert.ok(Exit.isFailure(exit), "a first 404 is a 404")
    const refused = scripted([{ code: "ECONNREFUSED" }, 404])
    assert.ok(Exit.isFailure(await run(refused.fetch, (c) => c.send(Api.endpoints.remove, { params: { id: "1" } }))))
  })

  it("a GET the definition marks not idempotent is sent once; a plain GET is retried", async () => {
    const spend = flaky(1)
    assert.ok(Exit.isFailure(await run(spend.fetch, (c) => c.send(Api.endpoints.spend, {}))))
    assert.equal(spend.seen.length, 1)
    const read = flaky(1)
    assert.ok(Exit.isSuccess(await run(read.fetch, (c) => c.send(Api.endpoints.read, { params: { id: "1" } }))))
    assert.equal(read.seen.length, 2)
  })

  it("a body that does not encode fails before any request", async () => {
    const { seen, fetch } = flaky(0)
    const exit = await run(fetch, (c) => c.send(Api.endpoints.create, { payload: { name: 1 as unknown as string } }))
    assert.ok(Exit.isFailure(exit))
    assert.equal(seen.length, 0)
  })
})

describe("the client's secret headers", () => {
  it("are appended to the redacted names a user set, never replacing them", async () => {
    let seen: ReadonlyArray<string | RegExp> = []
    const http = Layer.succeed(
      HttpClient.HttpClient,
      HttpClient.make((request) =>
        Effect.map(Headers.CurrentRedactedNames, (names) => {
          seen = names
          return HttpClientResponse.fromWeb(request, Response.json({ id: "t_1" }))
        })
      ),
    )
    const exit = await Effect.runPromiseExit(
      Effect.scoped(Effect.flatMap(
        makeApiClient<Failure>({ ...options, secretHeaders: Api.secretHeaders }),
        (c) => c.send(Api.endpoints.read, { params: { id: "1" } }),
      )).pipe(
        Effect.provide(http),
        Effect.provideService(Headers.CurrentRedactedNames, ["x-mine"]),
      ),
    )
    assert.ok(Exit.isSuccess(exit))
    assert.ok(seen.includes("x-mine"), `${seen}`)
    assert.ok(seen.includes("x-secret"), `${seen}`)
  })
})
