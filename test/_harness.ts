// The one test harness of every API: its mock in-process on its own clock, what the client sent
// (raw, before the journal redacts it), a runner that provides a client layer over the mock, and
// `fail`, which expects a failure of one tag and returns it.
import assert from "node:assert/strict"
import { Cause, Effect, Exit, Layer } from "effect"
import type { HttpClient } from "effect/http"
import { fetchLayer } from "../src/core/promise.ts"
import type { MockApi } from "../mock/api.ts"
import { type Mock, mountMocks } from "../mock/app.ts"
import { MockClock } from "../mock/clock.ts"
import { recording, type Sent } from "./_fetch.ts"

/** A client layer over the mock's `HttpClient`. */
export type ClientLayer<I> = Layer.Layer<I, unknown, HttpClient.HttpClient>

/** One API's mock in-process, and how to run a client against it. */
export interface Harness<M extends MockApi, I> {
  readonly clock: MockClock
  /** The API's mock: its state and controls. */
  readonly api: M
  /** The mock app (journal, faults, reset). */
  readonly mock: Mock
  /** The API's base URL on the in-process mock. */
  readonly baseUrl: string
  /** Every request the client sent, with its real header values. */
  readonly sent: ReadonlyArray<Sent>
  /** A `fetch` that answers from the mock and records in `sent`. */
  readonly fetch: typeof globalThis.fetch
  /** The `HttpClient` layer on that `fetch`. */
  readonly http: Layer.Layer<HttpClient.HttpClient>
  /** Runs `program` with the client of `layer` (the API's default client when absent). */
  readonly run: <A, E>(program: Effect.Effect<A, E, I>, layer?: ClientLayer<I>) => Promise<A>
  /** Runs `program`, which must fail with an error tagged `tag` (its own, or its layer's): that error. */
  readonly fail: <T extends string, A, E>(
    tag: T,
    program: Effect.Effect<A, E, I>,
    layer?: ClientLayer<I>,
  ) => Promise<Extract<E, { readonly _tag: T }>>
}

/** The harness of the API `makeApi` builds, whose default client is `client`. */
export const harness = <M extends MockApi, I>(
  makeApi: (clock: MockClock) => M,
  client: (api: M, baseUrl: string) => ClientLayer<I>,
): Harness<M, I> => {
  const clock = new MockClock()
  const api = makeApi(clock)
  const mock = mountMocks(clock, [api])
  const { fetch, sent } = recording(mock.fetch)
  const http = fetchLayer(fetch)
  const baseUrl = mock.baseUrl(api.name)
  const provided = <A, E>(program: Effect.Effect<A, E, I>, layer = client(api, baseUrl)) =>
    Effect.provide(program, Layer.provide(layer, http))
  return {
    clock,
    api,
    mock,
    baseUrl,
    sent,
    fetch,
    http,
    run: (program, layer) => Effect.runPromise(provided(program, layer)),
    fail: async (tag, program, layer) => {
      const exit = await Effect.runPromiseExit(provided(program, layer))
      assert.ok(Exit.isFailure(exit), `expected a failure tagged ${tag}, got a success`)
      const error = Cause.squash(exit.cause) as { readonly _tag?: string }
      assert.equal(error?._tag, tag, `expected a failure tagged ${tag}, got ${String(error)}`)
      return error as never
    },
  }
}
