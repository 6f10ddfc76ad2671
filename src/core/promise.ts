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

/**
 * The methods of service `S`, returning Promises instead of Effects.
 *
 * @example
 * ```ts
 * import type { Promised, PuguhOrganizations } from "@gatehouse/sdk/puguh"
 *
 * // The Promise form of a service's methods, for a function that takes a client's part.
 * const count = async (organizations: Promised<PuguhOrganizations>): Promise<number> =>
 *   (await organizations.list()).items.length
 * ```
 */
export type Promised<S> = {
  readonly [K in keyof S]: S[K] extends (...args: infer A) => Effect.Effect<infer R, infer _E, infer _Env>
    ? (...args: A) => Promise<R>
    : never
}

/**
 * A service's Promise facade, and how to release what it holds.
 *
 * @example
 * ```ts
 * import { createMock } from "@gatehouse/sdk/mock"
 * import { type PromiseClient, PuidClient, type PuidService } from "@gatehouse/sdk/puid"
 *
 * const mock = createMock()
 * const puid: PromiseClient<PuidService> = PuidClient.make({
 *   apiKey: mock.puid.demo.apiKey,
 *   baseUrl: mock.baseUrl("puid"),
 *   fetch: mock.fetch,
 * })
 * try {
 *   console.log(await puid.ids(2))
 * } finally {
 *   await puid.close()
 * }
 * ```
 */
export type PromiseClient<S> = Promised<S> & {
  /** Releases the client (its runtime and scope); later calls reject with the API's closed-client error. */
  readonly close: () => Promise<void>
  readonly [Symbol.asyncDispose]: () => Promise<void>
}

// Looked up on every request, so that a `fetch` installed later (an interceptor, a mock) is used.
const globalFetch: typeof globalThis.fetch = (input, init) => globalThis.fetch(input, init)

/**
 * `FetchHttpClient.layer` on `fetch`, or on the given one (the mock's, a proxy's).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { fetchLayer } from "@gatehouse/sdk"
 * import { Puid } from "@gatehouse/sdk/puid"
 *
 * const ids = Effect.flatMap(Puid, (puid) => puid.ids(3)).pipe(
 *   Effect.provide(Puid.layer({ apiKey: "puid_live_..." })),
 *   Effect.provide(fetchLayer()),
 * )
 * ```
 */
export const fetchLayer = (fetch?: typeof globalThis.fetch): Layer.Layer<HttpClient.HttpClient> =>
  FetchHttpClient.layer.pipe(Layer.provide(Layer.succeed(FetchHttpClient.Fetch, fetch ?? globalFetch)))

const settle = <A, E>(exit: Exit.Exit<A, E>): A => {
  if (Exit.isSuccess(exit)) return exit.value
  throw Cause.squash(exit.cause)
}

/**
 * The methods of service `S` that return an Effect: each named once, so a facade misses none.
 *
 * @example
 * ```ts
 * import type { Effect } from "effect"
 * import type { MethodNames } from "@gatehouse/sdk"
 *
 * interface Greeter {
 *   readonly greet: (name: string) => Effect.Effect<string>
 *   readonly language: string
 * }
 * // `language` returns no Effect, so it is not named; leaving out `greet` would not compile.
 * const methods: MethodNames<Greeter> = { greet: true }
 * ```
 */
export type MethodNames<S> = {
  readonly [K in keyof S as S[K] extends (...args: never) => Effect.Effect<unknown, unknown, unknown> ? K : never]: true
}

/**
 * Wraps the service `tag`, built from `layer`, as Promise methods: the ones named in `methods`.
 * After `close`, calls reject with `closedError()`, the API's own error for a closed client.
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
 *   { ids: true, id: true, ordinal: true, quota: true },
 *   () => new Error("closed"),
 * )
 * const ids = await puid.ids(3)
 * await puid.close()
 * ```
 */
export const promiseClient = <I, S extends object, E>(
  tag: Context.Key<I, S>,
  layer: Layer.Layer<I, E>,
  methods: MethodNames<S>,
  closedError: () => unknown,
): PromiseClient<S> => {
  const runtime = ManagedRuntime.make(layer)
  let closed = false
  const close = () => {
    closed = true
    return runtime.dispose()
  }
  const call = (method: string) => (...args: Array<unknown>) =>
    closed ? Promise.reject(closedError()) : runtime.runPromiseExit(
      Effect.flatMap(Effect.service(tag), (service) => {
        const fn = (service as Record<string, (...args: Array<unknown>) => Effect.Effect<unknown, unknown>>)[method]
        return fn(...args)
      }),
    ).then(settle)
  const facade = Object.fromEntries(Object.keys(methods).map((method) => [method, call(method)]))
  return Object.assign(facade, { close, [Symbol.asyncDispose]: close }) as unknown as PromiseClient<S>
}

/**
 * A `fetch` to send requests with (the mock's, a proxy's). @default globalThis.fetch
 *
 * @example
 * ```ts
 * import { createMock } from "@gatehouse/sdk/mock"
 * import { PuidClient } from "@gatehouse/sdk/puid"
 *
 * // Any fetch: here the mock's, in-process.
 * const mock = createMock()
 * await using puid = PuidClient.make({ apiKey: mock.puid.demo.apiKey, baseUrl: mock.baseUrl("puid"), fetch: mock.fetch })
 * console.log(await puid.quota())
 * ```
 */
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
 * const facade = promiseFacade(Puid, { ids: true, id: true, ordinal: true, quota: true }, () => new Error("closed"))
 * const puid = facade(Puid.layer({ apiKey: "puid_live_..." }), {})
 * ```
 */
export const promiseFacade = <I, S extends object>(
  tag: Context.Key<I, S>,
  methods: MethodNames<S>,
  closedError: () => unknown,
): <E>(layer: Layer.Layer<I, E, HttpClient.HttpClient>, options: WithFetch) => PromiseClient<S> =>
<E>(layer: Layer.Layer<I, E, HttpClient.HttpClient>, options: WithFetch): PromiseClient<S> =>
  promiseClient(tag, layer.pipe(Layer.provide(fetchLayer(options.fetch))), methods, closedError)
