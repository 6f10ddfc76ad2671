/**
 * The Promise facade: any gatehouse service as plain async methods, for apps that do not use
 * Effect. Each call runs on one `ManagedRuntime`; a failure rejects with the same typed error
 * instance the Effect API fails with.
 *
 * @module
 */
import { Cause, Effect, Exit, Layer, ManagedRuntime } from "effect"
import type { Context } from "effect"
import { FetchHttpClient, type HttpClient } from "effect/http"

/** The methods of service `S`, returning Promises instead of Effects. */
export type Promised<S> = {
  readonly [K in keyof S]: S[K] extends (...args: infer A) => Effect.Effect<infer R, infer _E, infer _Env>
    ? (...args: A) => Promise<R>
    : never
}

/** A service's Promise facade, and how to release what it holds. */
export type PromiseClient<S> = Promised<S> & {
  /** Releases the client (its runtime and scope); later calls reject with the API's closed-client error. */
  readonly close: () => Promise<void>
  readonly [Symbol.asyncDispose]: () => Promise<void>
}

/** `FetchHttpClient.layer` on `fetch`, or on the given one (the mock's, a proxy's). */
export const fetchLayer = (fetch?: typeof globalThis.fetch): Layer.Layer<HttpClient.HttpClient> =>
  fetch === undefined ? FetchHttpClient.layer : FetchHttpClient.layer.pipe(
    Layer.provide(Layer.succeed(FetchHttpClient.Fetch, fetch)),
  )

const settle = <A, E>(exit: Exit.Exit<A, E>): A => {
  if (Exit.isSuccess(exit)) return exit.value
  throw Cause.squash(exit.cause)
}

/**
 * Wraps the service `tag`, built from `layer`, as Promise methods. After `close`, calls reject
 * with `closedError()`, the API's own error for a closed client.
 *
 * @example
 * ```ts
 * import { promiseClient, fetchLayer } from "@gatehouse/sdk"
 * import { Puid } from "@gatehouse/sdk/puid"
 * import { Layer } from "effect"
 *
 * const puid = promiseClient(
 *   Puid,
 *   Puid.layer({ apiKey: "puid_live_..." }).pipe(Layer.provide(fetchLayer())),
 *   () => new Error("closed"),
 * )
 * const ids = await puid.ids(3)
 * await puid.close()
 * ```
 */
export const promiseClient = <I, S extends object, E>(
  tag: Context.Key<I, S>,
  layer: Layer.Layer<I, E>,
  closedError: () => unknown,
): PromiseClient<S> => {
  const runtime = ManagedRuntime.make(layer)
  let closed = false
  const close = () => {
    closed = true
    return runtime.dispose()
  }
  const call = (method: PropertyKey) => (...args: Array<unknown>) =>
    closed ? Promise.reject(closedError()) : runtime.runPromiseExit(
      Effect.flatMap(Effect.service(tag), (service) => {
        const fn =
          (service as Record<PropertyKey, (...args: Array<unknown>) => Effect.Effect<unknown, unknown>>)[method]
        return fn(...args)
      }),
    ).then(settle)
  return new Proxy({} as PromiseClient<S>, {
    get: (_, property) =>
      property === "close" || property === Symbol.asyncDispose
        ? close
        : property === "then"
        ? undefined
        : call(property),
  })
}

/** A `fetch` to send requests with (the mock's, a proxy's). @default globalThis.fetch */
export interface WithFetch {
  /** The `fetch` the client sends with. */
  readonly fetch?: typeof globalThis.fetch | undefined
}

/**
 * The facade maker of one API: turns any layer of `tag` that needs an `HttpClient` into its
 * Promise client on `options.fetch`.
 *
 * @example
 * ```ts
 * import { promiseFacade } from "@gatehouse/sdk"
 * import { Puid } from "@gatehouse/sdk/puid"
 *
 * const facade = promiseFacade(Puid, () => new Error("closed"))
 * const puid = facade(Puid.layer({ apiKey: "puid_live_..." }), {})
 * ```
 */
export const promiseFacade =
  <I, S extends object>(tag: Context.Key<I, S>, closedError: () => unknown) =>
  <E>(layer: Layer.Layer<I, E, HttpClient.HttpClient>, options: WithFetch): PromiseClient<S> =>
    promiseClient(tag, layer.pipe(Layer.provide(fetchLayer(options.fetch))), closedError)
