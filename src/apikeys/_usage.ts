// How a key's uses (`useCount`, `lastUsedAt`) reach the store: not at all, one UPDATE per use ("sync"), or counted
// in memory and written for every key in one statement per interval and when the service's scope closes
// ("buffered", the default). Buffered, a crash loses at most one interval of uses; rate limits stay exact either way,
// as they are their own atomic statement (see `_validate.ts`).
import { Context, Duration, Effect, Latch, Semaphore } from "effect"
import type { Scope } from "effect"
import type { KeyStoreUnavailable } from "./errors.ts"
import type { Store, StoredKey, UseBatch } from "./_store.ts"

/** `ApiKeysOptions.trackUsage`, resolved. */
export type UsageMode = "off" | "sync" | "buffered"

/** The uses of a service. */
export interface Usage {
  readonly mode: UsageMode
  /** Counts one use of `key` at `at`: the key as it stands with that use counted. */
  readonly record: (key: StoredKey, at: number) => Effect.Effect<StoredKey, KeyStoreUnavailable>
  /**
   * `record` where it is done in memory ("off", "buffered"), run when called: the hot path of a validation calls
   * it as one of its steps. `undefined` where a use is a statement ("sync").
   */
  readonly recordInMemory: ((key: StoredKey, at: number) => StoredKey) | undefined
  /**
   * Writes the uses counted so far, so that a read that follows sees them all (a no-op unless buffered).
   * A failed write keeps them for the next flush.
   */
  readonly flush: Effect.Effect<void>
  /**
   * Forgets the uses counted and not yet written (a no-op unless buffered), for a store whose rows are replaced
   * (a mock's reset): the keys they counted are gone, or are other keys under the same ids. It takes no lock,
   * so that a synchronous reset can run it; a write already under way still lands.
   */
  readonly discard: Effect.Effect<void>
}

/**
 * The uses of the `ApiKeys` service beside it in context: for the key-service mock, whose reset replaces every row
 * under a running service (`ApiKeys.layer` does not provide it).
 */
export class UsageBuffer extends Context.Service<UsageBuffer, Usage>()("@gatehouse/sdk/apikeys/UsageBuffer") {}

interface Pending {
  count: number
  at: number
}

/** What a failed flush leaves for the next one: `from` merged into `into`. */
const mergeInto = (into: Map<string, Pending>, from: ReadonlyMap<string, Pending>) => {
  for (const [id, use] of from) {
    const pending = into.get(id)
    if (pending === undefined) into.set(id, use)
    else {
      pending.count += use.count
      pending.at = Math.max(pending.at, use.at)
    }
  }
}

/**
 * The uses of a service in `mode`. Buffered, a fiber of the current scope writes them every `interval`, and the
 * scope's end writes what is left.
 */
export const makeUsage = (
  store: Store,
  mode: UsageMode,
  interval: Duration.Duration,
): Effect.Effect<Usage, never, Scope.Scope> =>
  Effect.gen(function* () {
    if (mode === "off") {
      return {
        mode,
        record: (key) => Effect.succeed(key),
        recordInMemory: (key) => key,
        flush: Effect.void,
        discard: Effect.void,
      }
    }
    if (mode === "sync") {
      return { mode, record: store.recordUse, recordInMemory: undefined, flush: Effect.void, discard: Effect.void }
    }

    let pending = new Map<string, Pending>()
    // The uses being written: still counted in answers until the write is over.
    let writing: ReadonlyMap<string, Pending> = new Map()
    const oneWriter = yield* Semaphore.make(1)
    // Open while uses wait to be written: the writer sleeps out an interval only then, so an idle
    // service holds no timer, and a script that validated a key exits when it is done.
    const usesWaiting = Latch.makeUnsafe(false)

    const flush = oneWriter.withPermit(Effect.suspend(() => {
      usesWaiting.closeUnsafe()
      if (pending.size === 0) return Effect.void
      writing = pending
      pending = new Map()
      const batch: UseBatch = Array.from(writing, ([id, use]) => ({ id, count: use.count, at: use.at }))
      return store.addUses(batch).pipe(
        Effect.catch((error) =>
          Effect.andThen(
            Effect.sync(() => {
              mergeInto(pending, writing)
              usesWaiting.openUnsafe()
            }),
            Effect.logWarning(`API keys: ${batch.length} keys' uses kept for the next flush`, error),
          )
        ),
        Effect.ensuring(Effect.sync(() => writing = new Map())),
      )
    })).pipe(Effect.uninterruptible)

    yield* Effect.addFinalizer(() => flush)
    yield* Effect.forkScoped(
      Effect.forever(usesWaiting.await.pipe(Effect.andThen(Effect.sleep(interval)), Effect.andThen(flush))),
    )

    const discard = Effect.sync(() => void (pending = new Map()))

    const recordInMemory = (key: StoredKey, at: number): StoredKey => {
      let use = pending.get(key.id)
      if (use === undefined) {
        pending.set(key.id, use = { count: 0, at })
        usesWaiting.openUnsafe()
      }
      use.count += 1
      use.at = Math.max(use.at, at)
      const inFlight = writing.get(key.id)?.count ?? 0
      return { ...key, use_count: key.use_count + inFlight + use.count, last_used_at: new Date(at) }
    }
    return {
      mode,
      record: (key, at) => Effect.sync(() => recordInMemory(key, at)),
      recordInMemory,
      flush,
      discard,
    }
  })

/** The default of `ApiKeysOptions.usageFlushInterval`. */
export const DEFAULT_FLUSH_INTERVAL: Duration.Duration = Duration.seconds(1)
