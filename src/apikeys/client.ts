/**
 * The typed HTTP client of a shared key service: the same `ApiKeys` service, answered by a remote
 * HTTP API ({@linkcode handleApiKeysRequest}) over the request pipeline of `src/core`. Errors come
 * back as the same typed errors; an unreachable or failing service is `KeyStoreUnavailable`.
 *
 * @module
 */
import { Duration, Effect, Layer, Redacted, Schema } from "effect"
import { FetchHttpClient, type HttpClient, HttpClientRequest } from "effect/http"
import { type ApiDefinition, makeApiClient, type TransportOptions } from "../core/client.ts"
import type { Credential } from "../core/credentials.ts"
import type { Failure } from "../core/failure.ts"
import { RetryPolicy } from "../core/retry.ts"
import { ApiKey, ApiKeyCreatedJson, Organization, Paths, Project, type RateLimit } from "./contract.ts"
import { type ApiKeysError, KeyStoreUnavailable } from "./errors.ts"
import { ApiKeysErrorJson } from "./http_api.ts"
import { revealKey } from "./key_format.ts"
import { type ApiKeyCreated, ApiKeys, type ApiKeysService, type KeyMetadataInput, type KeyUpdate } from "./service.ts"

/** Options of {@linkcode ApiKeysHttp.layer}. */
export interface ApiKeysHttpClientOptions extends TransportOptions {
  /** The key service's base URL (the mock's is `mock.baseUrl("apikeys")`). */
  readonly baseUrl: string
  /** Sent as `X-Admin-Key` when the service requires one. */
  readonly adminKey?: string | Redacted.Redacted<string> | undefined
}

/**
 * The default retry policy: idempotent requests on transport failures and 502/503/504. A 429 is a
 * key's own rate limit and is returned at once; validations (POST) are never sent twice.
 */
export const APIKEYS_RETRY: RetryPolicy = RetryPolicy.make({ times: 2, statuses: [502, 503, 504] })

const decodeError = Schema.decodeUnknownOption(ApiKeysErrorJson)

/** The error table: the server's typed error when its body carries one, else `KeyStoreUnavailable`. */
export const toApiKeysError = (failure: Failure): ApiKeysError => {
  if (failure._tag === "Status") {
    const decoded = decodeError(failure.body)
    if (decoded._tag === "Some") return decoded.value
    return new KeyStoreUnavailable({ detail: `HTTP ${failure.status} from the key service`, status: failure.status })
  }
  return new KeyStoreUnavailable({ detail: failure.message })
}

const ORGS = Schema.Array(Organization)
const PROJECTS = Schema.Array(Project)
const KEYS = Schema.Array(ApiKey)
const NoContent = Schema.Unknown

const metadataJson = (metadata: KeyMetadataInput | KeyUpdate) => ({
  ...(metadata.name !== undefined && { name: metadata.name }),
  ...(metadata.scopes !== undefined && { scopes: metadata.scopes }),
  ...(metadata.rateLimit !== undefined && { rate_limit: metadata.rateLimit as number | RateLimit | null }),
  ...(metadata.expiresAt !== undefined && { expires_at: metadata.expiresAt?.toISOString() ?? null }),
  ...(metadata.custom !== undefined && { custom: metadata.custom }),
})

const toCreated = (body: typeof ApiKeyCreatedJson.Type): ApiKeyCreated => ({
  key: body.key,
  plaintext: Redacted.make(body.plaintext, { label: "api key" }),
})

const make = (options: ApiKeysHttpClientOptions) =>
  Effect.gen(function* () {
    const credential: Credential<ApiKeysError> = options.adminKey === undefined ? { _tag: "None" } : {
      _tag: "Header",
      name: "x-admin-key",
      value: Redacted.isRedacted(options.adminKey) ? options.adminKey : Redacted.make(options.adminKey),
    }
    const api: ApiDefinition<ApiKeysError> = {
      ...options,
      name: "apikeys",
      credential,
      timeout: options.timeout ?? "10 seconds",
      retry: options.retry ?? APIKEYS_RETRY,
      toError: toApiKeysError,
      secretHeaders: ["x-admin-key"],
    }
    const client = yield* makeApiClient(api)
    // The server sends only the errors each operation can produce; the casts narrow to them.
    const get = <A, I>(operation: string, path: string, schema: Schema.Codec<A, I>) =>
      client.call(`apikeys.${operation}`, HttpClientRequest.get(path), schema)
    const send = <A, I>(
      operation: string,
      method: "POST" | "PATCH" | "DELETE",
      path: string,
      body: unknown,
      schema: Schema.Codec<A, I>,
    ) => {
      const request = HttpClientRequest.make(method)(path)
      return client.call(
        `apikeys.${operation}`,
        body === undefined ? request : HttpClientRequest.bodyJsonUnsafe(request, body),
        schema,
      )
    }
    const withStatus = (path: string, status: string | undefined) =>
      status === undefined ? path : `${path}?status=${encodeURIComponent(status)}`

    const service: { readonly [K in keyof ApiKeysService]: (...args: Parameters<ApiKeysService[K]>) => unknown } = {
      createOrganization: (name) => send("createOrganization", "POST", Paths.orgs, { name }, Organization),
      getOrganization: (orgId) => get("getOrganization", Paths.org(orgId), Organization),
      listOrganizations: () => get("listOrganizations", Paths.orgs, ORGS),
      createProject: (orgId, name) => send("createProject", "POST", Paths.orgProjects(orgId), { name }, Project),
      getProject: (projectId) => get("getProject", Paths.project(projectId), Project),
      listProjects: (orgId) => get("listProjects", Paths.orgProjects(orgId), PROJECTS),
      createProduct: (orgId, name) => send("createProduct", "POST", Paths.orgProducts(orgId), { name }, Project),
      getProduct: (productId) => get("getProduct", Paths.product(productId), Project),
      listProducts: (orgId) => get("listProducts", Paths.orgProducts(orgId), PROJECTS),
      addProductToProject: (productId, projectId) =>
        Effect.asVoid(send("addProductToProject", "POST", Paths.link(productId, projectId), undefined, NoContent)),
      listProjectProducts: (projectId) => get("listProjectProducts", Paths.projectProducts(projectId), PROJECTS),
      createKey: (orgId, create = {}) =>
        Effect.map(
          send("createKey", "POST", Paths.keys, {
            org_id: orgId,
            ...(create.projectId !== undefined && { project_id: create.projectId }),
            ...(create.productId !== undefined && { product_id: create.productId }),
            ...metadataJson(create.metadata ?? {}),
          }, ApiKeyCreatedJson),
          toCreated,
        ),
      verifyKey: (plaintext) =>
        // The seed's verify answers 400 to every failure; the body still names the typed error.
        send("verifyKey", "POST", Paths.verify, { key: revealKey(plaintext) }, ApiKey),
      validateKey: (plaintext, validate = {}) =>
        send("validateKey", "POST", Paths.validate, {
          key: revealKey(plaintext),
          ...(validate.orgId !== undefined && { org_id: validate.orgId }),
          ...(validate.projectId !== undefined && { project_id: validate.projectId }),
          ...(validate.productId !== undefined && { product_id: validate.productId }),
          ...(validate.requiredScopes !== undefined && { required_scopes: validate.requiredScopes }),
        }, ApiKey),
      revokeKey: (keyId) => send("revokeKey", "DELETE", Paths.key(keyId), undefined, ApiKey),
      getKey: (keyId) => get("getKey", Paths.key(keyId), ApiKey),
      listOrgKeys: (orgId, list) => get("listOrgKeys", withStatus(Paths.orgKeys(orgId), list?.status), KEYS),
      listProjectKeys: (projectId, list) =>
        get("listProjectKeys", withStatus(Paths.projectKeys(projectId), list?.status), KEYS),
      updateKey: (keyId, update) => send("updateKey", "PATCH", Paths.key(keyId), metadataJson(update), ApiKey),
      deleteKey: (keyId) =>
        Effect.asVoid(send("deleteKey", "DELETE", `${Paths.key(keyId)}?purge=true`, undefined, NoContent)),
      rotateKey: (keyId, rotate = {}) =>
        Effect.map(
          send("rotateKey", "POST", Paths.rotate(keyId), {
            ...(rotate.gracePeriod !== undefined && {
              grace_period_seconds: Duration.toMillis(Duration.fromInputUnsafe(rotate.gracePeriod)) / 1000,
            }),
            ...metadataJson(rotate.metadata ?? {}),
          }, ApiKeyCreatedJson),
          toCreated,
        ),
    }
    return ApiKeys.of(service as unknown as ApiKeysService)
  })

/**
 * The `ApiKeys` service of a remote key service, so that a fleet of services shares one store.
 * A local `ApiKeys` layer and this one are interchangeable, guards included.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { FetchHttpClient } from "effect/http"
 * import { ApiKeys, ApiKeysHttp } from "@gatehouse/sdk/apikeys"
 *
 * const key = Effect.flatMap(ApiKeys, (keys) => keys.validateKey("sk_...", { requiredScopes: ["read"] })).pipe(
 *   Effect.provide(ApiKeysHttp.layer({ baseUrl: "http://keys.internal", adminKey: "..." })),
 *   Effect.provide(FetchHttpClient.layer),
 * )
 * ```
 */
export const ApiKeysHttp: {
  readonly layer: (options: ApiKeysHttpClientOptions) => Layer.Layer<ApiKeys, never, HttpClient.HttpClient>
  readonly layerFetch: (options: ApiKeysHttpClientOptions) => Layer.Layer<ApiKeys>
} = {
  layer: (options) => Layer.effect(ApiKeys, make(options)),
  layerFetch: (options) => Layer.effect(ApiKeys, make(options)).pipe(Layer.provide(FetchHttpClient.layer)),
}
