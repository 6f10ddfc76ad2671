/**
 * The models of the key service and their JSON form, shared by the service, its HTTP API, the
 * typed client and the mock. Each schema's `Type` is the camelCase model; its `Encoded` side is the
 * snake_case JSON of contracts §4.5, with ISO-8601 dates.
 *
 * @module
 */
import { Schema } from "effect"

const Timestamp = Schema.DateFromString

/**
 * A tenant: one of your customers, or your own company.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Organization } from "@gatehouse/sdk/apikeys"
 *
 * const org = Schema.decodeUnknownSync(Organization)({ id: "…", name: "Acme", created_at: "2026-01-01T00:00:00Z" })
 * ```
 */
export const Organization = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  createdAt: Timestamp,
}).pipe(Schema.encodeKeys({ createdAt: "created_at" }))

/** An organization. */
export type Organization = typeof Organization.Type

/**
 * A group of keys within an organization (`v1`, `mobile`); a product is a named API surface.
 * Both have the same shape.
 *
 * @example
 * ```ts
 * import type { Project } from "@gatehouse/sdk/apikeys"
 *
 * const describe = (project: Project) => `${project.name} in ${project.orgId}`
 * ```
 */
export const Project = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  orgId: Schema.String,
  createdAt: Timestamp,
}).pipe(Schema.encodeKeys({ orgId: "org_id", createdAt: "created_at" }))

/** A project. */
export type Project = typeof Project.Type

/**
 * A named API surface of an organization, linked to projects.
 *
 * @example
 * ```ts
 * import type { Product } from "@gatehouse/sdk/apikeys"
 *
 * const label = (product: Product) => product.name
 * ```
 */
export const Product = Project

/** A product. */
export type Product = typeof Product.Type

/**
 * The windows a rate limit counts in: fixed windows aligned on UTC.
 *
 * @example
 * ```ts
 * import type { RateLimitWindow } from "@gatehouse/sdk/apikeys"
 *
 * const window: RateLimitWindow = "minute"
 * ```
 */
export const RateLimitWindow = Schema.Literals(["second", "minute", "hour", "day"])

/** A rate-limit window. */
export type RateLimitWindow = typeof RateLimitWindow.Type

/** Milliseconds in each window. */
export const WINDOW_MILLIS: Readonly<Record<RateLimitWindow, number>> = {
  second: 1_000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
}

/**
 * At most `requests` successful validations per `window`.
 *
 * @example
 * ```ts
 * import type { RateLimit } from "@gatehouse/sdk/apikeys"
 *
 * const limit: RateLimit = { requests: 100, window: "minute" }
 * ```
 */
export const RateLimit = Schema.Struct({
  requests: Schema.Int.check(Schema.isGreaterThan(0)),
  window: RateLimitWindow,
})

/** A rate limit. */
export type RateLimit = typeof RateLimit.Type

/**
 * What a key carries besides its scope: a name, scopes, a rate limit, an expiry and your own JSON.
 *
 * @example
 * ```ts
 * import type { KeyMetadata } from "@gatehouse/sdk/apikeys"
 *
 * const metadata: KeyMetadata = { scopes: ["read"], custom: { user_id: "u_alice" } }
 * ```
 */
export const KeyMetadata = Schema.Struct({
  name: Schema.optionalKey(Schema.String),
  scopes: Schema.Array(Schema.String),
  rateLimit: Schema.optionalKey(RateLimit),
  expiresAt: Schema.optionalKey(Timestamp),
  custom: Schema.JsonObject,
}).pipe(Schema.encodeKeys({ rateLimit: "rate_limit", expiresAt: "expires_at" }))

/** Key metadata. */
export type KeyMetadata = typeof KeyMetadata.Type

/**
 * Key metadata as the JSON text stored in the `api_keys.metadata` column: the one codec the
 * service and the mock's seed write it with.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { KeyMetadataJson } from "@gatehouse/sdk/apikeys"
 *
 * Schema.encodeSync(KeyMetadataJson)({ scopes: ["read"], rateLimit: { requests: 60, window: "minute" }, custom: {} })
 * // '{"scopes":["read"],"rate_limit":{"requests":60,"window":"minute"},"custom":{}}'
 * ```
 */
export const KeyMetadataJson = Schema.fromJsonString(KeyMetadata)

/**
 * Where a key stands now: `revoked` wins over `expired`.
 *
 * @example
 * ```ts
 * import type { KeyStatus } from "@gatehouse/sdk/apikeys"
 *
 * const onlyActive: KeyStatus = "active"
 * ```
 */
export const KeyStatus = Schema.Literals(["active", "revoked", "expired"])

/** A key status. */
export type KeyStatus = typeof KeyStatus.Type

/**
 * A key as stored: never its plaintext.
 *
 * `revokedAt` in the future means the key was rotated and stays valid until then; `replacedBy`
 * names its successor. `lastUsedAt` and `useCount` count successful verifications and validations.
 *
 * @example
 * ```ts
 * import type { ApiKey } from "@gatehouse/sdk/apikeys"
 *
 * const owner = (key: ApiKey) => key.metadata.custom.user_id
 * ```
 */
export const ApiKey = Schema.Struct({
  id: Schema.String,
  orgId: Schema.String,
  projectId: Schema.NullOr(Schema.String),
  productId: Schema.NullOr(Schema.String),
  keyPrefix: Schema.String,
  metadata: KeyMetadata,
  status: KeyStatus,
  revokedAt: Schema.NullOr(Timestamp),
  createdAt: Timestamp,
  lastUsedAt: Schema.NullOr(Timestamp),
  useCount: Schema.Int,
  replacedBy: Schema.NullOr(Schema.String),
}).pipe(Schema.encodeKeys({
  orgId: "org_id",
  projectId: "project_id",
  productId: "product_id",
  keyPrefix: "key_prefix",
  revokedAt: "revoked_at",
  createdAt: "created_at",
  lastUsedAt: "last_used_at",
  useCount: "use_count",
  replacedBy: "replaced_by",
}))

/** A stored key. */
export type ApiKey = typeof ApiKey.Type

/**
 * The JSON answer of `POST /api/keys`: the key and, this once, its plaintext.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { ApiKeyCreatedJson } from "@gatehouse/sdk/apikeys"
 *
 * const decode = Schema.decodeUnknownSync(ApiKeyCreatedJson)
 * ```
 */
export const ApiKeyCreatedJson = Schema.Struct({ key: ApiKey, plaintext: Schema.String })

const RateLimitInput = Schema.Union([Schema.Int.check(Schema.isGreaterThan(0)), RateLimit])

const MetadataFields = {
  name: Schema.optionalKey(Schema.String),
  scopes: Schema.optionalKey(Schema.Array(Schema.String)),
  rate_limit: Schema.optionalKey(RateLimitInput),
  expires_at: Schema.optionalKey(Timestamp),
  custom: Schema.optionalKey(Schema.JsonObject),
}

/**
 * Body of `POST /api/keys` (contracts §4.5): the key's place and its metadata, flat.
 * `rate_limit` is a number of requests per minute, or `{ requests, window }`.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { CreateKeyBody } from "@gatehouse/sdk/apikeys"
 *
 * Schema.decodeUnknownSync(CreateKeyBody)({ org_id: "…", scopes: ["read"], rate_limit: 60 })
 * ```
 */
export const CreateKeyBody = Schema.Struct({
  org_id: Schema.String,
  project_id: Schema.optionalKey(Schema.NullOr(Schema.String)),
  product_id: Schema.optionalKey(Schema.NullOr(Schema.String)),
  ...MetadataFields,
})

/**
 * Body of `PATCH /api/keys/{id}`: the fields to change; `null` clears an optional one.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { UpdateKeyBody } from "@gatehouse/sdk/apikeys"
 *
 * Schema.decodeUnknownSync(UpdateKeyBody)({ scopes: ["read"], expires_at: null })
 * ```
 */
export const UpdateKeyBody = Schema.Struct({
  name: Schema.optionalKey(Schema.NullOr(Schema.String)),
  scopes: Schema.optionalKey(Schema.Array(Schema.String)),
  rate_limit: Schema.optionalKey(Schema.NullOr(RateLimitInput)),
  expires_at: Schema.optionalKey(Schema.NullOr(Timestamp)),
  custom: Schema.optionalKey(Schema.JsonObject),
})

/**
 * Body of `POST /api/keys/{id}/rotate`: how long the old key stays valid, and metadata changes
 * for the new one.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { RotateKeyBody } from "@gatehouse/sdk/apikeys"
 *
 * Schema.decodeUnknownSync(RotateKeyBody)({ grace_period_seconds: 3600 })
 * ```
 */
export const RotateKeyBody = Schema.Struct({
  grace_period_seconds: Schema.optionalKey(Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0))),
  ...MetadataFields,
})

/**
 * Body of `POST /api/keys/verify`.
 *
 * @example
 * ```ts
 * import { VerifyKeyBody } from "@gatehouse/sdk/apikeys"
 *
 * const body: typeof VerifyKeyBody.Encoded = { key: "sk_..." }
 * ```
 */
export const VerifyKeyBody = Schema.Struct({ key: Schema.String })

/**
 * Body of `POST /api/keys/validate`: the key and what the request needs of it.
 *
 * @example
 * ```ts
 * import { ValidateKeyBody } from "@gatehouse/sdk/apikeys"
 *
 * const body: typeof ValidateKeyBody.Encoded = { key: "sk_...", required_scopes: ["read"] }
 * ```
 */
export const ValidateKeyBody = Schema.Struct({
  key: Schema.String,
  org_id: Schema.optionalKey(Schema.String),
  project_id: Schema.optionalKey(Schema.String),
  product_id: Schema.optionalKey(Schema.String),
  required_scopes: Schema.optionalKey(Schema.Array(Schema.String)),
})

/**
 * Body of `POST /api/orgs`, `/api/orgs/{id}/projects` and `/api/orgs/{id}/products`.
 *
 * @example
 * ```ts
 * import { NameBody } from "@gatehouse/sdk/apikeys"
 *
 * const body: typeof NameBody.Encoded = { name: "Acme" }
 * ```
 */
export const NameBody = Schema.Struct({ name: Schema.String })

/**
 * The HTTP API's paths, relative to its base URL (the mock serves them under `/apikeys`).
 *
 * @example
 * ```ts
 * import { Paths } from "@gatehouse/sdk/apikeys"
 *
 * Paths.orgKeys("3f…") // "/api/orgs/3f…/keys"
 * ```
 */
export const Paths = {
  orgs: "/api/orgs",
  org: (orgId: string): string => `/api/orgs/${encodeURIComponent(orgId)}`,
  orgProjects: (orgId: string): string => `/api/orgs/${encodeURIComponent(orgId)}/projects`,
  orgProducts: (orgId: string): string => `/api/orgs/${encodeURIComponent(orgId)}/products`,
  orgKeys: (orgId: string): string => `/api/orgs/${encodeURIComponent(orgId)}/keys`,
  project: (projectId: string): string => `/api/projects/${encodeURIComponent(projectId)}`,
  projectProducts: (projectId: string): string => `/api/projects/${encodeURIComponent(projectId)}/products`,
  projectKeys: (projectId: string): string => `/api/projects/${encodeURIComponent(projectId)}/keys`,
  product: (productId: string): string => `/api/products/${encodeURIComponent(productId)}`,
  link: (productId: string, projectId: string): string =>
    `/api/products/${encodeURIComponent(productId)}/projects/${encodeURIComponent(projectId)}`,
  keys: "/api/keys",
  key: (keyId: string): string => `/api/keys/${encodeURIComponent(keyId)}`,
  rotate: (keyId: string): string => `/api/keys/${encodeURIComponent(keyId)}/rotate`,
  verify: "/api/keys/verify",
  validate: "/api/keys/validate",
} as const
