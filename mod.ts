/**
 * gatehouse: Effect clients for identity and access APIs, each with a bundled mock.
 *
 * Each API is a namespace here and a subpath export of its own (`@gatehouse/sdk/puid`, ...);
 * the shared pieces every client is built on (retry policies, credentials, the Promise facade)
 * are exported at the top level.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { FetchHttpClient } from "effect/http"
 * import { Puid, RetryPolicy } from "@gatehouse/sdk"
 *
 * const program = Effect.flatMap(Puid.Puid, (puid) => puid.id()).pipe(
 *   Effect.provide(Puid.Puid.layer({ apiKey: "puid_live_...", retry: RetryPolicy.make({ times: 3 }) })),
 *   Effect.provide(FetchHttpClient.layer),
 * )
 * ```
 *
 * @module
 */
export * as Puid from "./src/puid/mod.ts"
export * as MachineID from "./src/machineid/mod.ts"
export * as ApiKeys from "./src/apikeys/mod.ts"
export * as AuthPI from "./src/authpi/mod.ts"
export * as Puguh from "./src/puguh/mod.ts"
export { isRetryable, retryAfter, type RetryInput, RetryPolicy, type RetryPolicyOptions } from "./src/core/retry.ts"
export type { AccessToken, Authenticator, Credential } from "./src/core/credentials.ts"
export {
  CallContext,
  type CallInfo,
  type Middleware,
  withCredential,
  withPacing,
  withRetry,
  withSingleDelivery,
  withTimeout,
} from "./src/core/middleware.ts"
export type { Pacing, TransportOptions } from "./src/core/client.ts"
export {
  fetchLayer,
  type MethodNames,
  type PromiseClient,
  promiseClient,
  type Promised,
  promiseFacade,
  type WithFetch,
} from "./src/core/promise.ts"
export { USER_AGENT, VERSION } from "./src/core/version.ts"
