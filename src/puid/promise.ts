/**
 * The PUID client as Promises, for apps that do not use Effect.
 *
 * @module
 */
import { type PromiseClient, promiseFacade, type WithFetch } from "../core/promise.ts"
import {
  Puid,
  type PuidClientCredentialsOptions,
  type PuidCredentialOptions,
  type PuidOptions,
  type PuidService,
} from "./client.ts"
import { clientError } from "./errors.ts"

export type { WithFetch } from "../core/promise.ts"

const wrap = promiseFacade(
  Puid,
  { ids: true, id: true, ordinal: true, quota: true },
  () => clientError("client_closed", "PuidClient used after close()."),
)

/**
 * `Puid` as Promise methods; they reject with the same `PuidError` instances.
 *
 * @example
 * ```ts
 * import { PuidClient, PuidError } from "@gatehouse/sdk/puid"
 *
 * await using puid = PuidClient.make({ apiKey: "puid_live_..." })
 * try {
 *   const ids = await puid.ids(5)
 * } catch (error) {
 *   if (error instanceof PuidError && error.code === "rate_limited") console.log(error.retryAfter)
 * }
 * ```
 */
export const PuidClient: {
  readonly make: (options: PuidCredentialOptions & WithFetch) => PromiseClient<PuidService>
  readonly fromClientCredentials: (options: PuidClientCredentialsOptions & WithFetch) => PromiseClient<PuidService>
  readonly fromEnv: (options?: PuidOptions & WithFetch) => PromiseClient<PuidService>
} = {
  make: (options) => wrap(Puid.layer(options), options),
  fromClientCredentials: (options) => wrap(Puid.fromClientCredentials(options), options),
  fromEnv: (options = {}) => wrap(Puid.layerConfig(options), options),
}
