/**
 * The typed HTTP client of a shared key service: the same `ApiKeys` service, answered by a remote
 * HTTP API ({@linkcode handleApiKeysRequest}) over the request pipeline of `src/core`. Errors come
 * back as the same typed errors; an unreachable or failing service is `KeyStoreUnavailable`, and
 * a refused credential `Unauthorized`.
 *
 * Give it the admin key to manage keys, or only the validator key where a service just checks
 * them: `verifyKey` and `validateKey` then work, and every other call fails with `Unauthorized`.
 *
 * @module
 */
import { Clock, Config, ConfigProvider, Effect, Layer, Option, Redacted } from "effect"
import { FetchHttpClient, type HttpClient } from "effect/http"
import { type ApiDefinition, makeApiClient, type TransportOptions } from "../core/client.ts"
import { missingVariables, optionalSecret, optionalText, warnStrayVariables } from "../core/config.ts"
import type { Credential } from "../core/credentials.ts"
import type { Failure } from "../core/failure.ts"
import { RetryPolicy } from "../core/retry.ts"
import type { ApiKey, ApiKeyCreatedJson } from "./contract.ts"
import { checkDate, gracePeriodMillis } from "./_input.ts"
import {
  type ApiKeysError,
  ExpiredKey,
  InsufficientScope,
  type InvalidRequest,
  KeyStoreUnavailable,
  RevokedKey,
  type StoreError,
} from "./errors.ts"
import { securityHeader } from "../core/endpoint.ts"
import { ApiKeysApi, decodeError } from "./http_contract.ts"
import { withGetOrCreate } from "./_get_or_create.ts"
import { revealKey } from "./key_format.ts"
import {
  type ApiKeyCreated,
  ApiKeys,
  type ApiKeysService,
  type KeyMetadataInput,
  type KeyUpdate,
  type ValidateOptions,
} from "./service.ts"

/**
 * Options of {@linkcode ApiKeysHttp.layer}.
 *
 * @example
 * ```ts
 * import { ApiKeysHttp, type ApiKeysHttpClientOptions } from "@gatehouse/sdk/apikeys"
 *
 * const options: ApiKeysHttpClientOptions = {
 *   baseUrl: "http://127.0.0.1:4010/apikeys",
 *   validatorKey: "gatehouse-demo-validator-key",
 *   timeout: "2 seconds",
 * }
 * const layer = ApiKeysHttp.layerFetch(options)
 * ```
 */
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
 * key's own rate limit and is returned at once; validations and creations (POST) are never sent
 * twice.
 *
 * @example
 * ```ts
 * import { APIKEYS_RETRY, ApiKeysHttp, RetryPolicy } from "@gatehouse/sdk/apikeys"
 *
 * console.log(APIKEYS_RETRY.times, [...APIKEYS_RETRY.statuses]) // 2 [502, 503, 504]
 * const layer = ApiKeysHttp.layerFetch({ baseUrl: "http://keys.internal", retry: RetryPolicy.make({ times: 4 }) })
 * ```
 */
export const APIKEYS_RETRY: RetryPolicy = RetryPolicy.make({ times: 2, statuses: [502, 503, 504] })

/**
 * The error table: the typed error the body carries, decoded with the schemas of the errors its
 * status may carry; else `KeyStoreUnavailable` (with the status).
 *
 * @example
 * ```ts
 * import { Headers } from "effect/http"
 * import { toApiKeysError } from "@gatehouse/sdk/apikeys"
 *
 * // An error answer read by your own HTTP code, as the typed error ApiKeysHttp gives.
 * const error = toApiKeysError({
 *   _tag: "Status",
 *   operation: "apikeys.getKey",
 *   message: "HTTP 404",
 *   status: 404,
 *   body: { detail: "API key not found", _tag: "KeyNotFound", keyId: "k1" },
 *   headers: Headers.empty,
 *   requestId: undefined,
 * })
 * console.log(error._tag)
 * ```
 */
export const toApiKeysError = (failure: Failure): ApiKeysError =>
  failure._tag === "Status"
    ? decodeError(failure.status, failure.body) ??
      new KeyStoreUnavailable({ detail: `HTTP ${failure.status} from the key service`, status: failure.status })
    : new KeyStoreUnavailable({ detail: failure.message })

/** `fields` without those set to `undefined`: absent (so unchanged), and not sent. */
const defined = <F extends object>(fields: F): F =>
  Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as F

/** The metadata fields to send; fails as the local service does on a `Date` it cannot send. */
const metadataOf = <M extends { readonly expiresAt?: Date | null | undefined }>(
  metadata: M,
): Effect.Effect<M, InvalidRequest> => {
  const sent = defined(metadata)
  return sent.expiresAt === undefined || sent.expiresAt === null
    ? Effect.succeed(sent)
    : Effect.as(checkDate("expiresAt", sent.expiresAt), sent)
}

type Tag = ApiKeysError["_tag"]

const STORE_ERRORS: ReadonlyArray<Tag> = ["KeyStoreUnavailable", "KeyStoreClosed", "Unauthorized"]

/**
 * Narrows the errors of a call to those its operation can fail with (and the `StoreError`s): any
 * other error the server sends means it is not the service this client expects.
 */
const only = <const T extends Tag>(...tags: ReadonlyArray<T>) => {
  const expected = (error: ApiKeysError): error is Extract<ApiKeysError, { readonly _tag: T }> | StoreError =>
    (tags as ReadonlyArray<Tag>).includes(error._tag) || STORE_ERRORS.includes(error._tag)
  return <A>(
    effect: Effect.Effect<A, ApiKeysError>,
  ): Effect.Effect<A, Extract<ApiKeysError, { readonly _tag: T }> | StoreError> =>
    Effect.mapError(
      effect,
      (error) =>
        expected(error) ? error : new KeyStoreUnavailable({ detail: `Unexpected ${error._tag} from the key service` }),
    )
}

const ADMIN_HEADER = securityHeader(ApiKeysApi, "admin")
const VALIDATOR_HEADER = securityHeader(ApiKeysApi, "validator")

const credentialOf = (options: ApiKeysHttpClientOptions): Credential<ApiKeysError> => {
  const [name, secret] = options.adminKey !== undefined
    ? [ADMIN_HEADER, options.adminKey]
    : [VALIDATOR_HEADER, options.validatorKey]
  if (secret === undefined) return { _tag: "None" }
  return { _tag: "Header", name, value: Redacted.isRedacted(secret) ? secret : Redacted.make(secret) }
}

/** An id or a scope as compared: trimmed, lower case. */
const normalized = (value: string): string => value.trim().toLowerCase()

/**
 * A key a verification or validation answered 2xx counts only when every field agrees (fail
 * closed): its status is `active`, and it reaches what the validation asked for: the organization,
 * the project and product it is placed on (an org-wide key's reach is the service's say), every
 * required scope. Anything else is the typed denial it amounts to.
 */
/** The options with `requiredScope`, the seed's single scope, folded into `requiredScopes`. */
const withScope = ({ requiredScope, ...options }: ValidateOptions): ValidateOptions =>
  requiredScope === undefined
    ? options
    : { ...options, requiredScopes: [...new Set([...(options.requiredScopes ?? []), requiredScope])] }

const agreed =
  (needs: ValidateOptions = {}) => (key: ApiKey): Effect.Effect<ApiKey, RevokedKey | ExpiredKey | InsufficientScope> =>
    Effect.flatMap(
      Clock.currentTimeMillis,
      (now): Effect.Effect<ApiKey, RevokedKey | ExpiredKey | InsufficientScope> => {
        if (key.status === "revoked") {
          return Effect.fail(new RevokedKey({ keyId: key.id, revokedAt: key.revokedAt ?? new Date(now) }))
        }
        if (key.status !== "active") {
          return Effect.fail(new ExpiredKey({ keyId: key.id, expiredAt: key.metadata.expiresAt ?? new Date(now) }))
        }
        const differs = (asked: string | undefined, placed: string | null) =>
          asked !== undefined && placed !== null && normalized(asked) !== normalized(placed)
        const refuse = (reason: InsufficientScope["reason"], missingScopes: ReadonlyArray<string> = []) =>
          Effect.fail(new InsufficientScope({ keyId: key.id, reason, missingScopes }))
        if (differs(needs.orgId, key.orgId)) return refuse("organization")
        if (differs(needs.projectId, key.projectId)) return refuse("project")
        if (differs(needs.productId, key.productId)) return refuse("product")
        const scopes = new Set(key.metadata.scopes.map(normalized))
        const missing = (needs.requiredScopes ?? []).filter((scope) => !scopes.has(normalized(scope)))
        return missing.length > 0 ? refuse("scope", missing) : Effect.succeed(key)
      },
    )

const toCreated = (body: ApiKeyCreatedJson): ApiKeyCreated => ({
  key: body.key,
  plaintext: Redacted.make(body.plaintext, { label: "api key" }),
})

const make = (options: ApiKeysHttpClientOptions) =>
  Effect.gen(function* () {
    const api: ApiDefinition<ApiKeysError> = {
      ...options,
      name: ApiKeysApi.name,
      credential: credentialOf(options),
      timeout: options.timeout ?? "10 seconds",
      retry: options.retry ?? APIKEYS_RETRY,
      toError: toApiKeysError,
      secretHeaders: ApiKeysApi.secretHeaders,
    }
    const client = yield* makeApiClient(api)
    const { endpoints } = ApiKeysApi

    const service: ApiKeysService = withGetOrCreate({
      createOrganization: (name) =>
        client.send(endpoints.createOrganization, { payload: { name } }).pipe(only("AlreadyExists", "InvalidRequest")),
      getOrganization: (orgId) =>
        client.send(endpoints.getOrganization, { params: { orgId } }).pipe(only("OrganizationNotFound")),
      listOrganizations: () => client.send(endpoints.listOrganizations, {}).pipe(only()),
      createProject: (orgId, name) =>
        client.send(endpoints.createProject, { params: { orgId }, payload: { name } }).pipe(
          only("OrganizationNotFound", "AlreadyExists", "InvalidRequest"),
        ),
      getProject: (projectId) =>
        client.send(endpoints.getProject, { params: { projectId } }).pipe(only("ProjectNotFound")),
      listProjects: (orgId) =>
        client.send(endpoints.listProjects, { params: { orgId } }).pipe(only("OrganizationNotFound")),
      createProduct: (orgId, name) =>
        client.send(endpoints.createProduct, { params: { orgId }, payload: { name } }).pipe(
          only("OrganizationNotFound", "AlreadyExists", "InvalidRequest"),
        ),
      getProduct: (productId) =>
        client.send(endpoints.getProduct, { params: { productId } }).pipe(only("ProductNotFound")),
      listProducts: (orgId) =>
        client.send(endpoints.listProducts, { params: { orgId } }).pipe(only("OrganizationNotFound")),
      addProductToProject: (productId, projectId) =>
        client.send(endpoints.addProductToProject, { params: { productId, projectId } }).pipe(
          only("ProductNotFound", "ProjectNotFound", "InvalidRequest"),
        ),
      listProjectProducts: (projectId) =>
        client.send(endpoints.listProjectProducts, { params: { projectId } }).pipe(only("ProjectNotFound")),
      createKey: (orgId, create = {}) =>
        metadataOf<KeyMetadataInput>(create.metadata ?? {}).pipe(
          Effect.flatMap((metadata) =>
            client.send(endpoints.createKey, {
              payload: defined({ orgId, projectId: create.projectId, productId: create.productId, ...metadata }),
            })
          ),
          Effect.map(toCreated),
          only("OrganizationNotFound", "ProjectNotFound", "ProductNotFound", "InvalidRequest"),
        ),
      verifyKey: (plaintext) =>
        // The seed's verify answers 400 to every failure; the body still names the typed error.
        client.send(endpoints.verifyKey, { payload: { key: revealKey(plaintext) } }).pipe(
          Effect.flatMap(agreed()),
          only("InvalidKey", "RevokedKey", "ExpiredKey"),
        ),
      validateKey: (plaintext, validate = {}) =>
        client.send(endpoints.validateKey, { payload: defined({ key: revealKey(plaintext), ...withScope(validate) }) })
          .pipe(
            Effect.flatMap(agreed(withScope(validate))),
            only("InvalidKey", "RevokedKey", "ExpiredKey", "InsufficientScope", "QuotaExceeded"),
          ),
      revokeKey: (keyId) =>
        client.send(endpoints.revokeKey, { params: { keyId }, query: {} }).pipe(
          Effect.flatMap((key) =>
            key === undefined
              ? Effect.fail(
                new KeyStoreUnavailable({ detail: "The key service answered a revocation without the key" }),
              )
              : Effect.succeed(key)
          ),
          only("KeyNotFound"),
        ),
      getKey: (keyId) => client.send(endpoints.getKey, { params: { keyId } }).pipe(only("KeyNotFound")),
      listOrgKeys: (orgId, list) =>
        client.send(endpoints.listOrgKeys, { params: { orgId }, query: defined({ status: list?.status }) }).pipe(
          only("OrganizationNotFound"),
        ),
      listProjectKeys: (projectId, list) =>
        client.send(endpoints.listProjectKeys, { params: { projectId }, query: defined({ status: list?.status }) })
          .pipe(only("ProjectNotFound")),
      updateKey: (keyId, update) =>
        metadataOf(update).pipe(
          Effect.flatMap((payload) => client.send(endpoints.updateKey, { params: { keyId }, payload })),
          only("KeyNotFound", "InvalidRequest"),
        ),
      deleteKey: (keyId) =>
        client.send(endpoints.revokeKey, { params: { keyId }, query: { purge: true } }).pipe(
          Effect.asVoid,
          only("KeyNotFound"),
        ),
      rotateKey: (keyId, rotate = {}) =>
        Effect.all([
          rotate.gracePeriod === undefined ? Effect.succeed(undefined) : gracePeriodMillis(rotate.gracePeriod),
          metadataOf<KeyUpdate>(rotate.metadata ?? {}),
        ]).pipe(
          Effect.flatMap(([graceMillis, metadata]) =>
            client.send(endpoints.rotateKey, {
              params: { keyId },
              payload: graceMillis === undefined ? metadata : { gracePeriodSeconds: graceMillis / 1000, ...metadata },
            })
          ),
          Effect.map(toCreated),
          only("KeyNotFound", "RevokedKey", "ExpiredKey", "InvalidRequest"),
        ),
    })
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
  /** From explicit options; needs an `HttpClient` (`FetchHttpClient.layer`, or the mock's `layer`). */
  readonly layer: (options: ApiKeysHttpClientOptions) => Layer.Layer<ApiKeys, never, HttpClient.HttpClient>
  /** {@linkcode ApiKeysHttp.layer} with `fetch` as the transport: ready to provide. */
  readonly layerFetch: (options: ApiKeysHttpClientOptions) => Layer.Layer<ApiKeys>
  /**
   * From the environment: `APIKEYS_BASE_URL` (required unless `options.baseUrl` is given),
   * `APIKEYS_ADMIN_KEY` or `APIKEYS_VALIDATOR_KEY` (optional). A blank variable counts as unset; a
   * missing base URL fails with a `ConfigError` naming the variable, and a set `APIKEYS_*` variable
   * it does not read (a misspelling) is named in that error, or logged as a warning.
   */
  readonly layerConfig: (
    options?: Partial<ApiKeysHttpClientOptions>,
  ) => Layer.Layer<ApiKeys, Config.ConfigError, HttpClient.HttpClient>
  /** {@linkcode ApiKeysHttp.layerConfig} with `fetch` as the transport: ready to provide. */
  readonly fromEnv: (options?: Partial<ApiKeysHttpClientOptions>) => Layer.Layer<ApiKeys, Config.ConfigError>
} = {
  layer: (options) => Layer.effect(ApiKeys, make(options)),
  layerFetch: (options) => ApiKeysHttp.layer(options).pipe(Layer.provide(FetchHttpClient.layer)),
  layerConfig: (options = {}) =>
    Layer.unwrap(Effect.gen(function* () {
      const env = yield* Effect.all({
        baseUrl: optionalText(ENV.baseUrl),
        adminKey: optionalSecret(ENV.adminKey),
        validatorKey: optionalSecret(ENV.validatorKey),
      })
      const known = Object.values(ENV)
      const baseUrl = Option.getOrElse(env.baseUrl, () => options.baseUrl)
      if (baseUrl === undefined) {
        const message = yield* missingVariables(
          `Set ${ENV.baseUrl} to the key service's URL; looked for it, found nothing.`,
          "APIKEYS_",
          known,
        )
        return yield* Effect.fail(new Config.ConfigError(new ConfigProvider.SourceError({ message })))
      }
      yield* warnStrayVariables("APIKEYS_", known)
      return ApiKeysHttp.layer({
        ...options,
        baseUrl,
        adminKey: Option.getOrElse(env.adminKey, () => options.adminKey),
        validatorKey: Option.getOrElse(env.validatorKey, () => options.validatorKey),
      })
    })),
  fromEnv: (options) => ApiKeysHttp.layerConfig(options).pipe(Layer.provide(FetchHttpClient.layer)),
}

/** The environment variables {@linkcode ApiKeysHttp.layerConfig} reads. */
const ENV = {
  baseUrl: "APIKEYS_BASE_URL",
  adminKey: "APIKEYS_ADMIN_KEY",
  validatorKey: "APIKEYS_VALIDATOR_KEY",
} as const
