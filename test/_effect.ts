// Effect-aware wrappers over node:test, so the same files run under `deno test` and `bun test`.
import { it } from "node:test"
import { type Duration, Effect, Fiber, type Scope } from "effect"
import { TestClock } from "effect/testing"

/** A test whose Effect runs scoped, on the live clock. */
export const itEffect = <A, E>(name: string, self: () => Effect.Effect<A, E, Scope.Scope>): void => {
  it(name, async () => {
    await Effect.runPromise(Effect.scoped(self()))
  })
}

/** A test whose Effect runs scoped, on a TestClock that only `TestClock.adjust` moves. */
export const itVirtual = <A, E>(
  name: string,
  self: () => Effect.Effect<A, E, Scope.Scope | TestClock.TestClock>,
): void => {
  it(name, async () => {
    await Effect.runPromise(Effect.scoped(self()).pipe(Effect.provide(TestClock.layer())))
  })
}

/** Runs `effect` on virtual time, moving the clock by `step` until it ends (bounded). */
export const runVirtual = <A, E, R>(effect: Effect.Effect<A, E, R>, step: Duration.Input = "100 millis") =>
  Effect.gen(function* () {
    const fiber = yield* Effect.forkChild(effect)
    for (let i = 0; i < 5000 && fiber.pollUnsafe() === undefined; i++) {
      yield* TestClock.withLive(Effect.sleep(0))
      yield* TestClock.adjust(step)
    }
    return yield* Fiber.await(fiber)
  })
