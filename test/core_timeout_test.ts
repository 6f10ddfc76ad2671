import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { Cause, type Duration, Effect, Exit, Fiber } from "effect"
import { HttpClient, HttpClientError } from "effect/http"
import { TestClock } from "effect/testing"
import { isAttemptTimeout, withTimeout } from "../src/core/middleware.ts"
import { fetchLayer } from "../src/core/promise.ts"

/** A server that answers `/fast` at once and never answers `/stalled` (until the request is aborted). */
const fetch = ((input: RequestInfo | URL, init?: RequestInit) => {
  const url = new URL(input instanceof Request ? input.url : input)
  if (url.pathname === "/fast") return Promise.resolve(Response.json({ ok: true }))
  return new Promise<Response>((_, reject) => {
    const signal = init?.signal
    signal?.addEventListener("abort", () => reject(signal.reason))
  })
}) as typeof globalThis.fetch

/** GETs `path` through a client whose attempts have `limit`: the exit, its error an `HttpClientError`. */
const get = (limit: Duration.Input) => (path: string) =>
  Effect.flatMap(HttpClient.HttpClient, (http) => withTimeout(limit)(http).get(`http://api.test${path}`))

const timedOut = (exit: Exit.Exit<unknown, HttpClientError.HttpClientError>): boolean => {
  if (Exit.isSuccess(exit)) return false
  const error = Cause.squash(exit.cause)
  return HttpClientError.isHttpClientError(error) && isAttemptTimeout(error)
}

describe("withTimeout", () => {
  it("a stalled attempt times out after earlier attempts ended in time, and a later one is not cut short", async () => {
    const timeout = withTimeout("300 millis")
    const client = Effect.map(HttpClient.HttpClient, timeout)
    const [first, stalled, after] = await Effect.runPromise(
      Effect.flatMap(client, (http) =>
        Effect.all([
          Effect.exit(http.get("http://api.test/fast")),
          Effect.exit(http.get("http://api.test/stalled")),
          Effect.exit(http.get("http://api.test/fast")),
        ])).pipe(Effect.provide(fetchLayer(fetch))),
    )
    assert.equal(Exit.isSuccess(first) && first.value.status, 200)
    assert.ok(timedOut(stalled))
    assert.equal(Exit.isSuccess(after) && after.value.status, 200)
  })

  it("concurrent attempts each keep their own deadline: the stalled one times out, the others answer", async () => {
    const exits = await Effect.runPromise(
      Effect.all(
        ["/stalled", "/fast", "/stalled", "/fast"].map((path) => Effect.exit(get("200 millis")(path))),
        { concurrency: "unbounded" },
      ).pipe(Effect.provide(fetchLayer(fetch))),
    )
    assert.deepEqual(exits.map((exit) => Exit.isSuccess(exit) ? exit.value.status : timedOut(exit)), [
      true,
      200,
      true,
      200,
    ])
  })

  it("on a TestClock, an attempt times out when the test clock passes the limit", async () => {
    const exit = await Effect.runPromise(
      Effect.gen(function* () {
        const fiber = yield* Effect.forkChild(Effect.exit(get("5 seconds")("/stalled")))
        yield* TestClock.adjust("4 seconds")
        assert.equal(fiber.pollUnsafe(), undefined)
        yield* TestClock.adjust("2 seconds")
        return yield* Fiber.join(fiber)
      }).pipe(Effect.provide(TestClock.layer()), Effect.provide(fetchLayer(fetch))),
    )
    assert.ok(timedOut(exit))
  })
})
