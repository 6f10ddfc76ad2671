/**
 * PUID: provably unique ids, their ordinals, today's quota, and OAuth2 client credentials.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { FetchHttpClient } from "effect/http"
 * import { Puid } from "@gatehouse/sdk/puid"
 *
 * const ids = Effect.flatMap(Puid, (puid) => puid.ids(3)).pipe(
 *   Effect.provide(Puid.layer({ apiKey: "puid_live_..." })),
 *   Effect.provide(FetchHttpClient.layer),
 * )
 * ```
 *
 * @module
 */
export {
  Puid,
  PUID_PACING,
  PUID_RETRY,
  type PuidClientCredentialsOptions,
  type PuidCredentialOptions,
  type PuidOptions,
  type PuidService,
  type Secret,
} from "./client.ts"
export { InvalidPuidCharacter, ordinalToPuid, puidToOrdinal } from "./codec.ts"
export { DEFAULT_ENDPOINT, DEFAULT_SCOPE, MAX_IDS_PER_REQUEST, type Quota } from "./contract.ts"
export { PuidError, type PuidErrorCode } from "./errors.ts"
export { PuidClient, type WithFetch } from "./promise.ts"
export { RetryPolicy, type RetryPolicyOptions } from "../core/retry.ts"
export type { Pacing, TransportOptions } from "../core/client.ts"
export type { PromiseClient } from "../core/promise.ts"
export { USER_AGENT, VERSION } from "../core/version.ts"
