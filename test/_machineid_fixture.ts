/**
 * What the MachineID tests share: a mock of MachineID alone, and a runner that provides the
 * client over it.
 *
 * @module
 */
import { Effect, Layer } from "effect"
import { FetchHttpClient } from "effect/http"
import { type Mock, mountMocks } from "../mock/app.ts"
import { MockClock } from "../mock/clock.ts"
import { MachineIdMock } from "../mock/machineid/mod.ts"
import { type InvalidArgument, MachineID, type MachineIdKeyOptions } from "../src/machineid/mod.ts"
import { RetryPolicy } from "../src/core/retry.ts"

/** A MachineID mock on its own clock, and the `x-org-key` values it received (the journal redacts them). */
export interface Fixture {
  readonly mock: Mock
  readonly machineid: MachineIdMock
  readonly orgKeysSent: Array<string | null>
  /** Runs `program` with a MachineID client on `orgKey` (the demo pro org by default). */
  readonly run: <A, E>(
    program: Effect.Effect<A, E, MachineID>,
    options?: Partial<MachineIdKeyOptions>,
  ) => Promise<A>
  /** Like `run`, for a program that must fail: its error (or the layer's, for a bad org key). */
  readonly fail: <A, E>(
    program: Effect.Effect<A, E, MachineID>,
    options?: Partial<MachineIdKeyOptions>,
  ) => Promise<E | InvalidArgument>
}

/** No retries: tests of failures answer at once. */
export const NO_RETRY: RetryPolicy = RetryPolicy.none

export const fixture = (): Fixture => {
  const clock = new MockClock()
  const machineid = new MachineIdMock(clock)
  const mock = mountMocks(clock, [machineid])
  const orgKeysSent: Array<string | null> = []
  const spy = ((input: RequestInfo | URL, init?: RequestInit) => {
    orgKeysSent.push(new Request(input, init).headers.get("x-org-key"))
    return mock.fetch(input, init)
  }) as typeof globalThis.fetch
  const http = FetchHttpClient.layer.pipe(Layer.provide(Layer.succeed(FetchHttpClient.Fetch, spy)))
  const provided = <A, E>(program: Effect.Effect<A, E, MachineID>, options: Partial<MachineIdKeyOptions> = {}) =>
    program.pipe(
      Effect.provide(MachineID.layer({
        orgKey: machineid.demo.proOrgKey,
        baseUrl: mock.baseUrl("machineid"),
        ...options,
      })),
      Effect.provide(http),
    )
  return {
    mock,
    machineid,
    orgKeysSent,
    run: (program, options) => Effect.runPromise(provided(program, options)),
    fail: (program, options) => Effect.runPromise(Effect.flip(provided(program, options))),
  }
}

/** The MachineID service, to `flatMap` on. */
export const use = <A, E>(f: (m: typeof MachineID.Service) => Effect.Effect<A, E>): Effect.Effect<A, E, MachineID> =>
  Effect.flatMap(MachineID, f)
