/**
 * What the MachineID tests share, on the one harness: a mock of MachineID alone, and a runner
 * that provides the client over it.
 *
 * @module
 */
import { Effect, Layer } from "effect"
import type { Mock } from "../mock/app.ts"
import { MachineIdMock } from "../mock/machineid/mod.ts"
import { type InvalidArgument, MachineID, type MachineIdKeyOptions } from "../src/machineid/mod.ts"
import { RetryPolicy } from "../src/core/retry.ts"
import { harness } from "./_harness.ts"

/** A MachineID mock on its own clock, and the `x-org-key` values it received (the journal redacts them). */
export interface Fixture {
  readonly mock: Mock
  readonly machineid: MachineIdMock
  /** The `x-org-key` of every request sent, in order, unredacted (`null` when there was none). */
  readonly orgKeysSent: ReadonlyArray<string | null>
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
  const h = harness(
    (clock) => new MachineIdMock(clock),
    (machineid, baseUrl) => MachineID.layer({ orgKey: machineid.demo.proOrgKey, baseUrl }),
  )
  const layer = (options: Partial<MachineIdKeyOptions> = {}) =>
    MachineID.layer({ orgKey: h.api.demo.proOrgKey, baseUrl: h.baseUrl, ...options })
  return {
    mock: h.mock,
    machineid: h.api,
    get orgKeysSent() {
      return h.sent.map((request) => request.headers["x-org-key"] ?? null)
    },
    run: (program, options) => h.run(program, layer(options)),
    // The layer's own failure (a bad org key) is flipped too.
    fail: (program, options) =>
      Effect.runPromise(Effect.flip(Effect.provide(program, Layer.provide(layer(options), h.http)))),
  }
}

/** The MachineID service, to `flatMap` on. */
export const use = <A, E>(f: (m: typeof MachineID.Service) => Effect.Effect<A, E>): Effect.Effect<A, E, MachineID> =>
  Effect.flatMap(MachineID, f)
