/**
 * API keys: issue, scope, validate, rate-limit, track, rotate and revoke keys on SQLite,
 * PostgreSQL or MySQL (chosen by URL, as the seed: `ApiKeys.layerUrl("sqlite:///keys.db")`), the Effect equivalent of apikeys-platform 0.1.2 (and what 0.2.0 added); request
 * guards for servers; the service's HTTP API and a typed client for it.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ApiKeys } from "@gatehouse/sdk/apikeys"
 *
 * const program = Effect.gen(function* () {
 *   const keys = yield* ApiKeys
 *   const org = yield* keys.createOrganization("Acme")
 *   const { plaintext } = yield* keys.createKey(org.id, { metadata: { scopes: ["read"], rateLimit: 60 } })
 *   return yield* keys.validateKey(plaintext, { requiredScopes: ["read"] })
 * }).pipe(Effect.provide(ApiKeys.layerSqlite({ filename: "keys.db" })))
 * ```
 *
 * @module
 */
export {
  type ApiKeyCreated,
  ApiKeys,
  type ApiKeysOptions,
  type ApiKeysService,
  type CreateKeyOptions,
  type GetOrCreated,
  type KeyMetadataInput,
  type KeyUpdate,
  type ListKeysOptions,
  makeApiKeys,
  type RotateOptions,
  type ValidateOptions,
} from "./service.ts"
export {
  ApiKey,
  ApiKeyCreatedJson,
  type ApiKeyJson,
  CreateKeyBody,
  type CreateKeyBodyJson,
  KeyMetadata,
  type KeyMetadataEncoded,
  type KeyMetadataFields,
  type KeyMetadataFieldsJson,
  KeyMetadataJson,
  KeyStatus,
  type KeyUpdateFields,
  type KeyUpdateFieldsJson,
  NameBody,
  Organization,
  type OrganizationJson,
  Product,
  Project,
  type ProjectJson,
  RateLimit,
  RateLimitWindow,
  RotateKeyBody,
  type RotateKeyBodyJson,
  UpdateKeyBody,
  type UpdateKeyBodyJson,
  ValidateKeyBody,
  type ValidateKeyBodyJson,
  VerifyKeyBody,
  WINDOW_MILLIS,
} from "./contract.ts"
export { ApiKeysErrorBody, type ApiKeysErrorTag, Paths } from "./http_contract.ts"
export {
  AlreadyExists,
  type ApiKeysError,
  ApiKeysErrorJson,
  ExpiredKey,
  InsufficientScope,
  InvalidKey,
  InvalidRequest,
  KeyNotFound,
  KeyStoreClosed,
  KeyStoreUnavailable,
  OrganizationNotFound,
  ProductNotFound,
  ProjectNotFound,
  QuotaExceeded,
  RevokedKey,
  type StoreError,
  Unauthorized,
  type ValidateError,
  type VerifyError,
} from "./errors.ts"
export {
  DEFAULT_KEY_PREFIX,
  generateKey,
  hashesEqual,
  hashKey,
  MAX_KEY_LENGTH,
  type Plaintext,
  PREFIX_LENGTH,
  revealKey,
  type StoredForm,
  storedForm,
  TOKEN_LENGTH,
} from "./key_format.ts"
export { migrate, migrations, MIGRATIONS_TABLE } from "./migrations.ts"
export { SqliteClient, type SqliteOptions } from "../sql/sqlite.ts"
export {
  createTables,
  DATABASE_SCHEMES,
  type DatabaseLocation,
  InvalidDatabaseUrl,
  parseDatabaseUrl,
  sqlClientLayer,
} from "./database_url.ts"
export {
  apiKeyMiddleware,
  AuthenticatedKey,
  guardHeaders,
  type GuardRejection,
  type GuardResult,
  makeRequestGuard,
  MissingKey,
  readApiKey,
  type RejectionAnswer,
  rejectionAnswer,
  type RequestGuard,
} from "./guard.ts"
export {
  type ApiKeysHttpOptions,
  type ApiKeysWebHandler,
  handleApiKeysRequest,
  makeApiKeysWebHandler,
} from "./http_api.ts"
export { APIKEYS_RETRY, ApiKeysHttp, type ApiKeysHttpClientOptions, toApiKeysError } from "./client.ts"
export { ApiKeysClient } from "./promise.ts"
export type { PromiseClient, WithFetch } from "../core/promise.ts"
export { RetryPolicy, type RetryPolicyOptions } from "../core/retry.ts"
export type { Pacing, TransportOptions } from "../core/client.ts"
export { USER_AGENT, VERSION } from "../core/version.ts"
