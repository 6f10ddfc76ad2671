import { after, before, describe, it } from "node:test"
import assert from "node:assert/strict"
import { Cause, Effect, Exit, Schema } from "effect"
import { type ApiClient, makeApiClient } from "../src/core/client.ts"
import { defineApi } from "../src/core/endpoint.ts"
import type { Failure } from "../src/core/failure.ts"
import { fetchLayer } from "../src/core/promise.ts"
import { RetryPolicy } from "../src/core/retry.ts"
import { type FaultyServer, serveFaulty } from "./_faulty_server.ts"

const Thing = Schema.Struct({ id: Schema.String })
const Api = defineApi({
  name: "test",
  title: "test",
  version: "0",
  errorBody: Schema.Unknown,
  endpoints: {
    create: { method: "POST", path: "/things", summary: "a write", payload: Thing, success: Thing },
    read: { method: "GET", path: "/things/1", summary: "a read", success: Thing },
    spend: { method: "GET", path: "/spend", summary: "a read that spends", success: Thing, idempotent: false },
  },
})

let server: FaultyServer
before(async () => {
  server = await serveFaulty(() => Promise.resolve(Response.json({ id: "t_1" })))
})
after(() => server.close())

/** Runs `f` on a client over real sockets, after one request that leaves a keep-alive connection in the pool. */
const overSockets = <A>(f: (client: ApiClient<Failure>) => Effect.Effect<A, Failure>) => {
  const client = makeApiClient<Failure>({
    name: "test",
    baseUrl: server.url,
    credential: { _tag: "None" },
    timeout: "5 seconds",
    retry: RetryPolicy.make({ times: 2, base: "1 millis", jitter: false }),
    toError: (failure) => failure,
  })
  return Effect.runPromiseExit(
    Effect.scoped(
      Effect.flatMap(client, (c) => Effect.andThen(c.send(Api.endpoints.read, {}), Effect.suspend(() => f(c)))),
    ).pipe(Effect.provide(fetchLayer())),
  )
}

describe("a request that is not safe to repeat, on a reused connection", () => {
  for (
    const [name, method, call] of [
      ["a POST", "POST", (c: ApiClient<Failure>) => c.send(Api.endpoints.create, { payload: { id: "x" } })],
      ["a GET with side effects", "GET", (c: ApiClient<Failure>) => c.send(Api.endpoints.spend, {})],
    ] as const
  ) {
    it(`${name} whose connection drops after the server read it reaches the server once, and fails`, async () => {
      server.reset()
      const exit = await overSockets((c) => {
        server.inject({ _tag: "Drop" }, { method })
        return call(c)
      })
      assert.ok(Exit.isFailure(exit))
      assert.equal((Cause.squash(exit.cause) as Failure)._tag, "Transport")
      assert.equal(server.received.filter((r) => r.path !== "/things/1").length, 1, "applied once")
    })
  }

  it("a GET safe to repeat whose answer was lost is sent again, and succeeds", async () => {
    server.reset()
    const exit = await overSockets((c) => {
      server.inject({ _tag: "Drop" }, { method: "GET" })
      return c.send(Api.endpoints.read, {})
    })
    assert.ok(Exit.isSuccess(exit))
    assert.equal(server.received.length, 3, "the warm-up, the lost attempt, the retry")
  })
})
