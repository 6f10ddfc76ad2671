/**
 * A shared key service's HTTP client as Promises, for apps that do not use Effect.
 *
 * @module
 */
import { type PromiseClient, promiseFacade, type WithFetch } from "../core/promise.ts"
import { ApiKeysHttp, type ApiKeysHttpClientOptions } from "./client.ts"
import { KeyStoreClosed } from "./errors.ts"
import { ApiKeys, type ApiKeysService } from "./service.ts"

const wrap = promiseFacade(ApiKeys, {
  createOrganization: true,
  getOrCreateOrganization: true,
  getOrganization: true,
  listOrganizations: true,
  createProject: true,
  getOrCreateProject: true,
  getProject: true,
  listProjects: true,
  createProduct: true,
  getOrCreateProduct: true,
  getProduct: true,
  listProducts: true,
  addProductToProject: true,
  listProjectProducts: true,
  createKey: true,
  verifyKey: true,
  validateKey: true,
  revokeKey: true,
  getKey: true,
  listOrgKeys: true,
  listProjectKeys: true,
  updateKey: true,
  deleteKey: true,
  rotateKey: true,
}, () => new KeyStoreClosed())

/**
 * `ApiKeysHttp` as Promise methods; they reject with the same typed errors (`InvalidKey`,
 * `RevokedKey`, `KeyStoreUnavailable`...). A created key's plaintext is a `Redacted`: read it once
 * with `Redacted.value` (or `revealKey`) to hand it to its owner.
 *
 * @example
 * ```ts
 * import { Redacted } from "effect"
 * import { ApiKeysClient } from "@gatehouse/sdk/apikeys"
 *
 * await using keys = ApiKeysClient.make({ baseUrl: "http://keys.internal", adminKey: "..." })
 * const org = await keys.createOrganization("Acme")
 * const { key, plaintext } = await keys.createKey(org.id, { metadata: { scopes: ["read"] } })
 * console.log(key.id, Redacted.value(plaintext)) // the plaintext, shown once
 * ```
 */
export const ApiKeysClient: {
  /** From explicit options. */
  readonly make: (options: ApiKeysHttpClientOptions & WithFetch) => PromiseClient<ApiKeysService>
  /** From `APIKEYS_BASE_URL`, `APIKEYS_ADMIN_KEY` / `APIKEYS_VALIDATOR_KEY` (see {@linkcode ApiKeysHttp.layerConfig}). */
  readonly fromEnv: (options?: Partial<ApiKeysHttpClientOptions> & WithFetch) => PromiseClient<ApiKeysService>
} = {
  make: (options) => wrap(ApiKeysHttp.layer(options), options),
  fromEnv: (options = {}) => wrap(ApiKeysHttp.layerConfig(options), options),
}
