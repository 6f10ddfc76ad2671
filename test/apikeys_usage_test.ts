// Usage tracking (issue 14): buffered uses written on the interval and when the scope closes, the synchronous mode,
// and rate limits that stay exact across services sharing one database; on each store.
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { Effect, Exit, Redacted } from "effect"
import type { Scope } from "effect"
import { SqlClient } from "effect/sql"
import { TestClock } from "effect/testing"
import { makeApiKeys } from "../src/apikeys/make_api_keys.ts"
import { migrate } from "../src/apikeys/migrations.ts"
import type { ApiKeysOptions } from "../src/apikeys/service.ts"
import { testStores } from "./_apikeys_stores.ts"

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0)

/** A key's counters as stored: what another process reads. */
const stored = (keyId: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(
      sql<
        { use_count: unknown; last_used_at: unknown }
      >`SELECT use_count, last_used_at FROM api_keys WHERE id = ${keyId}`,
      ([row]) => ({
        useCount: Number(row.use_count),
        lastUsedAt: row.last_used_at === null ? null : Number(row.last_used_at),
      }),
    ))

/**
 * The stored counters once a write started elsewhere (the flush fiber) has landed: on PostgreSQL it runs on
 * another connection, so this looks again, a bounded number of times, until they are `useCount`.
 */
const storedOnce = (keyId: string, useCount: number) =>
  Effect.gen(function* () {
    for (let look = 0; look < 200; look++) {
      const row = yield* stored(keyId)
      if (row.useCount === useCount) return row
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 5)))
    }
    return yield* stored(keyId)
  })

/** An organization and two keys, one with a rate limit of `limit` per hour. */
const setup = (options: ApiKeysOptions, limit = 1000) =>
  Effect.gen(function* () {
    const keys = yield* makeApiKeys(options)
    const org = yield* keys.createOrganization("Acme")
    const free = yield* keys.createKey(org.id)
    const limited = yield* keys.createKey(org.id, { metadata: { rateLimit: { requests: limit, window: "hour" } } })
    return { keys, free, limited }
  })

/** Runs `effect` on a fresh, migrated store, at `T0` on a `TestClock`. */
const onStore = <A, E>(
  layer: ReturnType<ReturnType<typeof testStores>[number]["layer"]>,
  effect: Effect.Effect<A, E, SqlClient.SqlClient | TestClock.TestClock | Scope.Scope>,
) =>
  Effect.runPromise(
    Effect.andThen(Effect.andThen(migrate, TestClock.setTime(T0)), effect).pipe(
      Effect.scoped,
      Effect.provide(TestClock.layer()),
      Effect.provide(layer),
    ),
  )

for (const store of testStores("gatehouse_usage_test")) {
  describe(`usage tracking on ${store.name}`, () => {
    it("buffered (the default): uses are counted in memory and written when the interval ends", async () => {
      await onStore(
        store.layer(),
        Effect.gen(function* () {
          const { keys, free } = yield* setup({})
          let answered = 0
          for (let i = 0; i < 5; i++) answered = (yield* keys.validateKey(free.plaintext)).useCount
          assert.equal(answered, 5, "an answer counts this process's uses")
          assert.deepEqual(yield* stored(free.key.id), { useCount: 0, lastUsedAt: null }, "nothing written yet")
          yield* TestClock.adjust("1 second")
          assert.deepEqual(yield* storedOnce(free.key.id, 5), { useCount: 5, lastUsedAt: T0 })
          yield* keys.verifyKey(free.plaintext)
          yield* TestClock.adjust("1 second")
          assert.deepEqual(yield* storedOnce(free.key.id, 6), { useCount: 6, lastUsedAt: T0 + 1000 })
        }),
      )
    })

    it("buffered: what is pending is written when the service's scope closes", async () => {
      await onStore(
        store.layer(),
        Effect.gen(function* () {
          const ids = yield* Effect.scoped(Effect.gen(function* () {
            const { keys, free } = yield* setup({ usageFlushInterval: "1 hour" })
            for (let i = 0; i < 4; i++) yield* keys.validateKey(free.plaintext)
            assert.equal((yield* stored(free.key.id)).useCount, 0)
            return free.key.id
          }))
          assert.deepEqual(yield* stored(ids), { useCount: 4, lastUsedAt: T0 })
        }),
      )
    })

    it("buffered: a read (getKey, a list) writes what is pending first, so it sees every use", async () => {
      await onStore(
        store.layer(),
        Effect.gen(function* () {
          const { keys, free } = yield* setup({ usageFlushInterval: "1 hour" })
          for (let i = 0; i < 3; i++) yield* keys.validateKey(free.plaintext)
          assert.equal((yield* keys.getKey(free.key.id)).useCount, 3)
          assert.equal((yield* stored(free.key.id)).useCount, 3)
          yield* keys.validateKey(free.plaintext)
          const listed = yield* keys.listOrgKeys(free.key.orgId)
          assert.equal(listed.find((key) => key.id === free.key.id)?.useCount, 4)
        }),
      )
    })

    it('"sync": each use is written by the validation itself, with or without a rate limit', async () => {
      await onStore(
        store.layer(),
        Effect.gen(function* () {
          const { keys, free, limited } = yield* setup({ trackUsage: "sync" })
          for (const [i, created] of [free, limited, free].entries()) {
            const key = yield* keys.validateKey(created.plaintext)
            const row = yield* stored(created.key.id)
            assert.equal(row.useCount, key.useCount, `validation ${i}`)
            assert.equal(row.lastUsedAt, T0)
          }
          assert.equal((yield* stored(free.key.id)).useCount, 2)
        }),
      )
    })

    it("trackUsage: false records no use", async () => {
      await onStore(
        store.layer(),
        Effect.gen(function* () {
          const ids = yield* Effect.scoped(Effect.gen(function* () {
            const { keys, free, limited } = yield* setup({ trackUsage: false })
            yield* keys.validateKey(free.plaintext)
            yield* keys.validateKey(limited.plaintext)
            assert.equal((yield* keys.getKey(free.key.id)).useCount, 0)
            return [free.key.id, limited.key.id]
          }))
          for (const id of ids) assert.deepEqual(yield* stored(id), { useCount: 0, lastUsedAt: null })
        }),
      )
    })

    for (const trackUsage of [true, "sync"] as const) {
      it(`rate limits stay exact with trackUsage ${JSON.stringify(trackUsage)}: two services on one database, 80 concurrent validations`, async () => {
        await onStore(
          store.layer(),
          Effect.gen(function* () {
            const outcome = yield* Effect.scoped(Effect.gen(function* () {
              const first = yield* setup({ trackUsage }, 25)
              const second = yield* makeApiKeys({ trackUsage })
              const results = yield* Effect.all(
                Array.from({ length: 80 }, (_, i) =>
                  Effect.exit(
                    (i % 4 < 2 ? first.keys : second).validateKey(
                      i % 2 === 0 ? first.limited.plaintext : Redacted.value(first.free.plaintext),
                    ),
                  )),
                { concurrency: "unbounded" },
              )
              return { results, free: first.free.key.id, limited: first.limited.key.id }
            }))
            const limited = outcome.results.filter((_, i) => i % 2 === 0)
            assert.equal(limited.filter(Exit.isSuccess).length, 25)
            assert.equal(outcome.results.filter((_, i) => i % 2 === 1).filter(Exit.isSuccess).length, 40)
            assert.equal((yield* stored(outcome.limited)).useCount, 25)
            assert.equal((yield* stored(outcome.free)).useCount, 40)
          }),
        )
      })
    }

    it("refuses a usageFlushInterval that is not a positive duration, naming it", async () => {
      for (const usageFlushInterval of [0, -1, Number.NaN, Infinity]) {
        const exit = await Effect.runPromiseExit(
          Effect.scoped(makeApiKeys({ usageFlushInterval })).pipe(Effect.provide(store.layer())),
        )
        assert.ok(Exit.isFailure(exit))
        assert.match(String(exit.cause), /usageFlushInterval must be a positive, finite duration/)
      }
    })
  })
}
