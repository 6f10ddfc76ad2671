/**
 * The AuthPI client as Promises, for apps that do not use Effect: the same surface, scopes
 * included (`admin.issuer(i).user(u).sessions.list()`), every Effect method a Promise that rejects
 * with the same typed error instances, every `listAll` an `AsyncIterable`.
 *
 * The core's `promiseFacade` wraps a service's top-level methods only; this one walks the scope
 * tree of the table, as the service is built.
 *
 * @module
 */
import { Cause, Effect, Exit, Layer, ManagedRuntime, Stream } from "effect"
import type { HttpClient } from "effect/http"
import { fetchLayer, type WithFetch } from "../core/promise.ts"
import type { Row } from "./_resource.ts"
import { ACCOUNTS, methodsOf, rowsIn, scopesIn } from "./_scopes.ts"
import { AuthPI, type AuthPICredentialOptions, type AuthPIOptions, type AuthPIService } from "./client.ts"
import { ClosedClientError } from "./errors.ts"
import type { Scope } from "./resources.ts"

export type { WithFetch } from "../core/promise.ts"

/**
 * `T` with its Effects as Promises and its Streams as `AsyncIterable`s, all the way down: a
 * method that returns a scope returns its Promise form.
 *
 * @example
 * ```ts
 * import type { IssuerScope, Promised } from "@gatehouse/sdk/authpi"
 *
 * declare const issuer: Promised<IssuerScope>
 * const users = await issuer.users.list({ limit: 10 })
 * ```
 */
export type Promised<T> = {
  readonly [K in keyof T]: T[K] extends (...args: infer A) => Stream.Stream<infer R, infer _E, infer _X>
    ? (...args: A) => AsyncIterable<R>
    : T[K] extends (...args: infer A) => Effect.Effect<infer R, infer _E, infer _X> ? (...args: A) => Promise<R>
    : T[K] extends (...args: infer A) => infer O ? (...args: A) => Promised<O>
    : Promised<T[K]>
}

/**
 * The AuthPI client as Promises, and how to release it.
 *
 * @example
 * ```ts
 * import { AuthPIClient, type AuthPIPromiseClient } from "@gatehouse/sdk/authpi"
 *
 * const admin: AuthPIPromiseClient = AuthPIClient.make({ apiKey: "key_..." })
 * await admin.close()
 * ```
 */
export type AuthPIPromiseClient = Promised<AuthPIService> & {
  /** Releases the client; later calls reject with `ClosedClientError`. The injected `fetch` is not closed. */
  readonly close: () => Promise<void>
  readonly [Symbol.asyncDispose]: () => Promise<void>
}

type Node = Readonly<Record<string, (...args: ReadonlyArray<unknown>) => unknown>>
type Locate = (service: AuthPIService) => Node

const settle = <A, E>(exit: Exit.Exit<A, E>): A => {
  if (Exit.isSuccess(exit)) return exit.value
  throw Cause.squash(exit.cause)
}

const facade = <E>(layer: Layer.Layer<AuthPI, E, HttpClient.HttpClient>, options: WithFetch): AuthPIPromiseClient => {
  const runtime = ManagedRuntime.make(layer.pipe(Layer.provide(fetchLayer(options.fetch))))
  let closed = false
  const closedError = () => new ClosedClientError({ message: "AuthPIClient used after close()." })

  const call = (locate: Locate, method: string) => (...args: ReadonlyArray<unknown>) =>
    closed ? Promise.reject(closedError()) : runtime.runPromiseExit(
      Effect.flatMap(AuthPI, (service) => locate(service)[method](...args) as Effect.Effect<unknown, unknown>),
    ).then(settle)

  const iterate = (locate: Locate, method: string) => (...args: ReadonlyArray<unknown>): AsyncIterable<unknown> => ({
    [Symbol.asyncIterator]: () => {
      const stream = Stream.unwrap(
        Effect.map(AuthPI, (service) => locate(service)[method](...args) as Stream.Stream<unknown, unknown>),
      )
      let inner: Promise<AsyncIterator<unknown>> | undefined
      const start = () =>
        inner ??= runtime.runPromiseExit(Stream.toAsyncIterableEffect(stream)).then(settle).then((iterable) =>
          iterable[Symbol.asyncIterator]()
        )
      return {
        next: () => closed ? Promise.reject(closedError()) : start().then((iterator) => iterator.next()),
        return: async () => {
          const iterator = inner === undefined ? undefined : await inner
          return (await iterator?.return?.()) ?? { done: true, value: undefined }
        },
      }
    },
  })

  const resource = (locate: Locate, row: Row) =>
    Object.fromEntries(
      methodsOf(row).map((method) => [method, method === "listAll" ? iterate(locate, method) : call(locate, method)]),
    )

  const scope = (locate: Locate, at: Scope): Record<string, unknown> => ({
    ...Object.fromEntries(
      rowsIn(at).map((
        [, spec],
      ) => [spec.accessor, resource((service) => locate(service)[spec.accessor] as never, spec)]),
    ),
    ...Object.fromEntries(
      scopesIn(at).map(([child]) => [child, (id: string) => {
        const entity: Locate = (service) => locate(service)[child](id) as Node
        return { get: call(entity, "get"), ...scope(entity, child) }
      }]),
    ),
  })

  const root: Locate = (service) => service as unknown as Node
  const close = () => {
    closed = true
    return runtime.dispose()
  }
  return {
    ...scope(root, "account"),
    me: call(root, "me"),
    accounts: resource((service) => service.accounts as unknown as Node, ACCOUNTS),
    close,
    [Symbol.asyncDispose]: close,
  } as unknown as AuthPIPromiseClient
}

/**
 * `AuthPI` as Promises; they reject with the same error instances (`NotFoundError`,
 * `RateLimitError`...), and a bad option rejects the first call with `ConfigurationError`.
 *
 * @example
 * ```ts
 * import { AuthPIClient, NotFoundError } from "@gatehouse/sdk/authpi"
 *
 * await using admin = AuthPIClient.make({ apiKey: "key_..." })
 * const page = await admin.issuers.list({ limit: 10 })
 * for await (const user of admin.issuer(page.data[0].id).users.listAll()) console.log(user.id)
 * try {
 *   await admin.issuer("i_1").user("usr_404").get()
 * } catch (error) {
 *   if (error instanceof NotFoundError) console.log("no such user", error.reference)
 * }
 * ```
 */
export const AuthPIClient: {
  /** From an API key, or an access token with `accountId`; `fetch` sends the requests. @default globalThis.fetch */
  readonly make: (options: AuthPICredentialOptions & WithFetch) => AuthPIPromiseClient
  /** From `AUTHPI_API_KEY` / `AUTHPI_ACCESS_TOKEN`, `AUTHPI_ACCOUNT_ID`, `AUTHPI_BASE_URL`. */
  readonly fromEnv: (options?: AuthPIOptions & WithFetch) => AuthPIPromiseClient
} = {
  make: (options) => facade(AuthPI.layer(options), options),
  fromEnv: (options = {}) => facade(AuthPI.layerConfig(options), options),
}
