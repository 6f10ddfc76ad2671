/**
 * The typed HTTP client of a shared key service: the same `ApiKeys` service, answered by a remote
 * HTTP API ({@linkcode handleApiKeysRequest}) over the request pipeline of `src/core`. Errors come
 * back as the same typed errors; an unreachable or failing service is `KeyStoreUnavailable`.
 *
 * Give it the admin key to manage keys, or only the validator key where a service just checks
 * them: `verifyKey` and `validateKey` then work, and every other call fails with
 * `KeyStoreUnavailable` (status 401).
 *
 * @module
 */
import { Effect, Layer, Redacted, Schema } from "effect"
import { FetchHttpClient, type HttpClient, HttpClientRequest } from "effect/http"
import { type ApiDefinition, makeApiClient, type TransportOptions } from "../core/client.ts"
import type { Credential } from "../core/credentials.ts"
import type { Failure } from "../core/failure.ts"
import { RetryPolicy } from "../core/retry.ts"
import { ApiKey, ApiKeyCreatedJson, Organization, Paths, Project } from "./contract.ts"
import { checkDate, gracePeriodMillis } from "./_input.ts"
import { type ApiKeysError, type InvalidRequest, KeyStoreUnavailable } from "./errors.ts"
import { ApiKeysErrorJson } from "./http_api.ts"
import { revealKey } from "./key_format.ts"
import { type ApiKeyCreated, ApiKeys, type ApiKeysService, type KeyMetadataInput, type KeyUpdate } from "./service.ts"

/** Options of {@linkcode ApiKeysHttp.layer}. */
export interface ApiKeysHttpClientOptions extends TransportOptions {
  /** The key service's base URL (the mock's is `mock.baseUrl("apikeys")`). */
  readonly baseUrl: string
  /** Sent as `X-Admin-Key` when the service requires one: opens every call. */
  readonly adminKey?: string | Redacted.Redacted<string> | undefined
  /**
   * Sent as `X-Validator-Key` when no `adminKey` is given: opens `verifyKey` and `validateKey`
   * only, which is all a service that checks keys needs.
   */
  readonly validatorKey?: string | Redacted.Redacted<string> | undefined
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

/** The JSON of metadata fields; fails as the local service does on a `Date` it cannot send. */
const metadataJson = (metadata: KeyMetadataInput | KeyUpdate): Effect.Effect<object, InvalidRequest> =>
  Effect.map(
    metadata.expiresAt === undefined || metadata.expiresAt === null
      ? Effect.succeed(metadata.expiresAt)
      : checkDate("expiresAt", metadata.expiresAt),
    (expiresAt) => ({
      ...(metadata.name !== undefined && { name: metadata.name }),
      ...(metadata.scopes !== undefined && { scopes: metadata.scopes }),
      ...(metadata.rateLimit !== undefined && { rate_limit: metadata.rateLimit }),
      ...(expiresAt !== undefined && { expires_at: expiresAt?.toISOString() ?? null }),
      ...(metadata.custom !== undefined && { custom: metadata.custom }),
    }),
  )

type Tag = ApiKeysError["_tag"]

/**
 * Narrows the errors of a call to those its operation can fail with (and `KeyStoreUnavailable`):
 * any other error the server sends means it is not the service this client expects.
 */
const only = <const T extends Tag>(...tags: ReadonlyArray<T>) => {
  const expected = (error: ApiKeysError): error is Extract<ApiKeysError, { readonly _tag: T }> =>
    (tags as ReadonlyArray<Tag>).includes(error._tag)
  return <A>(
    effect: Effect.Effect<A, ApiKeysError>,
  ): Effect.Effect<A, Extract<ApiKeysError, { readonly _tag: T }> | KeyStoreUnavailable> =>
    Effect.mapError(
      effect,
      (error) =>
        error._tag === "KeyStoreUnavailable" || expected(error)
          ? error
          : new KeyStoreUnavailable({ detail: `Unexpected ${error._tag} from the key service` }),
    )
}

const credentialOf = (options: ApiKeysHttpClientOptions): Credential<ApiKeysError> => {
  const [name, secret] = options.adminKey !== undefined
    ? ["x-admin-key", options.adminKey]
    : ["x-validator-key", options.validatorKey]
  if (secret === undefined) return { _tag: "None" }
  return { _tag: "Header", name, value: Redacted.isRedacted(secret) ? secret : Redacted.make(secret) }
}

const toCreated = (body: typeof ApiKeyCreatedJson.Type): ApiKeyCreated => ({
  key: body.key,
  plaintext: Redacted.make(body.plaintext, { label: "api key" }),
})

const make = (options: ApiKeysHttpClientOptions) =>
  Effect.gen(function* () {
    const api: ApiDefinition<ApiKeysError> = {
      ...options,
      name: "apikeys",
      credential: credentialOf(options),
      timeout: options.timeout ?? "10 seconds",
      retry: options.retry ?? APIKEYS_RETRY,
      toError: toApiKeysError,
      secretHeaders: ["x-admin-key", "x-validator-key"],
    }
    const client = yield* makeApiClient(api)
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

    const service: ApiKeysService = {
      createOrganization: (name) =>
        send("createOrganization", "POST", Paths.orgs, { name }, Organization).pipe(only("InvalidRequest")),
      getOrganization: (orgId) =>
        get("getOrganization", Paths.org(orgId), Organization).pipe(only("OrganizationNotFound")),
      listOrganizations: () => get("listOrganizations", Paths.orgs, ORGS).pipe(only()),
      createProject: (orgId, name) =>
        send("createProject", "POST", Paths.orgProjects(orgId), { name }, Project).pipe(
          only("OrganizationNotFound", "InvalidRequest"),
        ),
      getProject: (projectId) => get("getProject", Paths.project(projectId), Project).pipe(only("ProjectNotFound")),
      listProjects: (orgId) =>
        get("listProjects", Paths.orgProjects(orgId), PROJECTS).pipe(only("OrganizationNotFound")),
      createProduct: (orgId, name) =>
        send("createProduct", "POST", Paths.orgProducts(orgId), { name }, Project).pipe(
          only("OrganizationNotFound", "InvalidRequest"),
        ),
      getProduct: (productId) => get("getProduct", Paths.product(productId), Project).pipe(only("ProductNotFound")),
      listProducts: (orgId) =>
        get("listProducts", Paths.orgProducts(orgId), PROJECTS).pipe(only("OrganizationNotFound")),
      addProductToProject: (productId, projectId) =>
        send("addProductToProject", "POST", Paths.link(productId, projectId), undefined, NoContent).pipe(
          Effect.asVoid,
          only("ProductNotFound", "ProjectNotFound", "InvalidRequest"),
        ),
      listProjectProducts: (projectId) =>
        get("listProjectProducts", Paths.projectProducts(projectId), PROJECTS).pipe(only("ProjectNotFound")),
      createKey: (orgId, create = {}) =>
        metadataJson(create.metadata ?? {}).pipe(
          Effect.flatMap((metadata) =>
            send("createKey", "POST", Paths.keys, {
              org_id: orgId,
              ...(create.projectId !== undefined && { project_id: create.projectId }),
              ...(create.productId !== undefined && { product_id: create.productId }),
              ...metadata,
            }, ApiKeyCreatedJson)
          ),
          Effect.map(toCreated),
          only("OrganizationNotFound", "ProjectNotFound", "ProductNotFound", "InvalidRequest"),
        ),
      verifyKey: (plaintext) =>
        // The seed's verify answers 400 to every failure; the body still names the typed error.
        send("verifyKey", "POST", Paths.verify, { key: revealKey(plaintext) }, ApiKey).pipe(
          only("InvalidKey", "RevokedKey", "ExpiredKey"),
        ),
      validateKey: (plaintext, validate = {}) =>
        send("validateKey", "POST", Paths.validate, {
          key: revealKey(plaintext),
          ...(validate.orgId !== undefined && { org_id: validate.orgId }),
          ...(validate.projectId !== undefined && { project_id: validate.projectId }),
          ...(validate.productId !== undefined && { product_id: validate.productId }),
          ...(validate.requiredScopes !== undefined && { required_scopes: validate.requiredScopes }),
        }, ApiKey).pipe(only("InvalidKey", "RevokedKey", "ExpiredKey", "InsufficientScope", "QuotaExceeded")),
      revokeKey: (keyId) => send("revokeKey", "DELETE", Paths.key(keyId), undefined, ApiKey).pipe(only("KeyNotFound")),
      getKey: (keyId) => get("getKey", Paths.key(keyId), ApiKey).pipe(only("KeyNotFound")),
      listOrgKeys: (orgId, list) =>
        get("listOrgKeys", withStatus(Paths.orgKeys(orgId), list?.status), KEYS).pipe(only("OrganizationNotFound")),
      listProjectKeys: (projectId, list) =>
        get("listProjectKeys", withStatus(Paths.projectKeys(projectId), list?.status), KEYS).pipe(
          only("ProjectNotFound"),
        ),
      updateKey: (keyId, update) =>
        metadataJson(update).pipe(
          Effect.flatMap((body) => send("updateKey", "PATCH", Paths.key(keyId), body, ApiKey)),
          only("KeyNotFound", "InvalidRequest"),
        ),
      deleteKey: (keyId) =>
        send("deleteKey", "DELETE", `${Paths.key(keyId)}?purge=true`, undefined, NoContent).pipe(
          Effect.asVoid,
          only("KeyNotFound"),
        ),
      rotateKey: (keyId, rotate = {}) =>
        Effect.all([
          rotate.gracePeriod === undefined ? Effect.succeed(undefined) : gracePeriodMillis(rotate.gracePeriod),
          metadataJson(rotate.metadata ?? {}),
        ]).pipe(
          Effect.flatMap(([graceMillis, metadata]) =>
            send("rotateKey", "POST", Paths.rotate(keyId), {
              ...(graceMillis !== undefined && { grace_period_seconds: graceMillis / 1000 }),
              ...metadata,
            }, ApiKeyCreatedJson)
          ),
          Effect.map(toCreated),
          only("KeyNotFound", "RevokedKey", "ExpiredKey", "InvalidRequest"),
        ),
    }
    return ApiKeys.of(service)
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
 *   Effect.provide(ApiKeysHttp.layer({ baseUrl: "http://keys.internal", validatorKey: "..." })),
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
