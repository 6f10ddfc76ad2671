import { describe } from "node:test"
import assert from "node:assert/strict"
import { Clock, Duration, Effect, Exit } from "effect"
import { Headers } from "effect/http"
import { isRetryable, MAX_RETRIES, retryAfter, retryingAfter, type RetryInput, RetryPolicy } from "../src/core/retry.ts"
import { itEffect, itVirtual, runVirtual } from "./_effect.ts"

interface Failed {
  readonly input: RetryInput
}

/** An attempt that fails with `inputs[i]` on its i-th run and succeeds after them; records when each ran. */
const scripted = (inputs: ReadonlyArray<RetryInput>) => {
  const at: Array<number> = []
  const attempt = Effect.gen(function* () {
    at.push(yield* Clock.currentTimeMillis)
    const input = inputs[at.length - 1]
    return input === undefined ? "ok" : yield* Effect.fail<Failed>({ input })
  })
  return { at, attempt }
}

const get = (status: number | undefined, headers: Record<string, string> = {}): RetryInput => ({
  method: "GET",
  idempotent: true,
  status,
  headers: Headers.fromInput(headers),
})
/** `attempt`, retried by `policy` after it fails, as the retry stage does. */
const retrying = <A, E, R>(
  attempt: Effect.Effect<A, E, R>,
  policy: RetryPolicy,
  toInput: (error: E) => RetryInput | undefined,
) => Effect.catch(attempt, (first) => retryingAfter(first, attempt, policy, toInput))

const gaps = (at: ReadonlyArray<number>) => at.slice(1).map((t, i) => t - at[i])
const noJitter = (options: Parameters<typeof RetryPolicy.make>[0] = {}) =>
  RetryPolicy.make({ jitter: false, ...options })

describe("RetryPolicy", () => {
  itVirtual("backs off 500 ms, 1 s by default and stops after 2 retries", () =>
    Effect.gen(function* () {
      const { at, attempt } = scripted([get(503), get(503), get(503), get(503)])
      const exit = yield* runVirtual(retrying(attempt, noJitter(), (e) => e.input))
      assert.ok(Exit.isFailure(exit))
      assert.deepEqual(gaps(at), [500, 1000])
    }))

  itVirtual("caps the backoff", () =>
    Effect.gen(function* () {
      const { at, attempt } = scripted(Array.from({ length: 6 }, () => get(502)))
      yield* runVirtual(retrying(attempt, noJitter({ times: 5, base: "1 second", cap: "3 seconds" }), (e) => e.input))
      assert.deepEqual(gaps(at), [1000, 2000, 3000, 3000, 3000])
    }))

  itVirtual("waits at least Retry-After seconds", () =>
    Effect.gen(function* () {
      const { at, attempt } = scripted([get(429, { "retry-after": "3" })])
      const exit = yield* runVirtual(retrying(attempt, noJitter(), (e) => e.input))
      assert.ok(Exit.isSuccess(exit))
      assert.deepEqual(gaps(at), [3000])
    }))

  itVirtual("waits until a Retry-After HTTP-date", () =>
    Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const date = new Date(now + 5000).toUTCString()
      const { at, attempt } = scripted([get(503, { "retry-after": date })])
      yield* runVirtual(retrying(attempt, noJitter(), (e) => e.input))
      assert.ok(gaps(at)[0] >= 4000 && gaps(at)[0] <= 5000, `gap ${gaps(at)[0]}`)
    }))

  itVirtual("gives up at once when Retry-After exceeds the ceiling", () =>
    Effect.gen(function* () {
      const { at, attempt } = scripted([get(503, { "retry-after": "3600" })])
      const exit = yield* runVirtual(retrying(attempt, noJitter(), (e) => e.input))
      assert.ok(Exit.isFailure(exit))
      assert.equal(at.length, 1)
    }))

  itVirtual("never retries a POST, a 500 by a narrower policy, or a 404", () =>
    Effect.gen(function* () {
      for (
        const [input, policy] of [
          [{ ...get(503), method: "POST" }, noJitter()],
          [get(500), noJitter({ statuses: [503] })],
          [get(404), noJitter()],
        ] as const
      ) {
        const { at, attempt } = scripted([input])
        yield* runVirtual(retrying(attempt, policy, (e) => e.input))
        assert.equal(at.length, 1)
      }
    }))

  itVirtual("retries transport failures unless told not to", () =>
    Effect.gen(function* () {
      const on = scripted([get(undefined), get(undefined)])
      yield* runVirtual(retrying(on.attempt, noJitter(), (e) => e.input))
      assert.equal(on.at.length, 3)
      const off = scripted([get(undefined)])
      yield* runVirtual(retrying(off.attempt, noJitter({ retryTransportErrors: false }), (e) => e.input))
      assert.equal(off.at.length, 1)
    }))

  itVirtual("jitter keeps each delay within ±20 %", () =>
    Effect.gen(function* () {
      const { at, attempt } = scripted([get(503), get(503)])
      yield* runVirtual(retrying(attempt, RetryPolicy.make(), (e) => e.input), "10 millis")
      const [first, second] = gaps(at)
      assert.ok(first >= 400 && first <= 610, `first ${first}`)
      assert.ok(second >= 800 && second <= 1210, `second ${second}`)
    }))

  itEffect(
    "every policy is bounded: times is clamped to 0..MAX_RETRIES, bad durations fall back",
    () =>
      Effect.sync(() => {
        assert.equal(RetryPolicy.make({ times: Number.POSITIVE_INFINITY }).times, MAX_RETRIES)
        assert.equal(RetryPolicy.make({ times: 1e9 }).times, MAX_RETRIES)
        assert.equal(RetryPolicy.make({ times: Number.NaN }).times, 0)
        assert.equal(RetryPolicy.make({ times: -3 }).times, 0)
        const policy = RetryPolicy.make({ cap: "soon" as Duration.Input, maxRetryAfter: "later" as Duration.Input })
        assert.equal(Duration.toMillis(policy.maxRetryAfter), 60_000)
      }),
  )

  itVirtual("a hand-built policy with unbounded times still stops at MAX_RETRIES", () =>
    Effect.gen(function* () {
      const { at, attempt } = scripted(Array.from({ length: 50 }, () => get(503)))
      const policy = { ...noJitter({ base: "1 millis", cap: "1 millis" }), times: Number.POSITIVE_INFINITY }
      yield* runVirtual(retrying(attempt, policy, (e) => e.input), "1 millis")
      assert.equal(at.length, MAX_RETRIES + 1)
    }))

  itEffect("retryAfter reads seconds and dates; isRetryable honours the method set", () =>
    Effect.sync(() => {
      assert.equal(Duration.toMillis(retryAfter(Headers.fromInput({ "retry-after": "2" }), 0)!), 2000)
      assert.equal(retryAfter(Headers.fromInput({}), 0), undefined)
      assert.equal(retryAfter(Headers.fromInput({ "retry-after": "soon" }), 0), undefined)
      assert.equal(isRetryable(RetryPolicy.make({ methods: ["POST"] }), { ...get(503), method: "POST" }, 0), true)
      assert.equal(isRetryable(RetryPolicy.none, get(503), 0), false)
    }))

  itEffect(
    "a request not safe to repeat is retried only with an Idempotency-Key, or when it never left",
    () =>
      Effect.sync(() => {
        const policy = RetryPolicy.make({ methods: ["GET", "POST"] })
        const post = (status: number | undefined, more: Partial<RetryInput> = {}): RetryInput => ({
          ...get(status),
          method: "POST",
          idempotent: false,
          ...more,
        })
        assert.equal(isRetryable(policy, post(503), 0), false, "the policy covering POST is not enough")
        assert.equal(isRetryable(policy, post(undefined), 0), false, "a reset: it may have been applied")
        assert.equal(isRetryable(policy, post(undefined, { refused: true }), 0), true, "refused: it never left")
        assert.equal(isRetryable(RetryPolicy.make(), post(undefined, { refused: true }), 0), true)
        assert.equal(isRetryable(policy, post(503, { idempotencyKey: true }), 0), true)
        assert.equal(
          isRetryable(RetryPolicy.make({ retryTransportErrors: false }), post(undefined, { refused: true }), 0),
          false,
        )
      }),
  )
})
