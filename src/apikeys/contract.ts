/**
 * The models of the key service and their JSON form, shared by the service, its HTTP API, the
 * typed client and the mock. Each schema's `Type` is the camelCase model; its `Encoded` side is the
 * snake_case JSON of contracts §4.5, with ISO-8601 dates. The renaming is the schema's
 * (`Schema.encodeKeys`), never done by hand.
 *
 * @module
 */
import { Schema } from "effect"

const Timestamp = Schema.DateFromString

/** An organization. */
export interface Organization {
  /** Its id. */
  readonly id: string
  /** Its name, 1 to 255 characters. */
  readonly name: string
  /** When it was created. */
  readonly createdAt: Date
}

/**
 * An organization as JSON.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Organization, type OrganizationJson } from "@gatehouse/sdk/apikeys"
 *
 * // An organization as the HTTP API sends it, for a handler of your own.
 * const toJson = (org: Organization): OrganizationJson => Schema.encodeSync(Organization)(org)
 * ```
 */
export interface OrganizationJson {
  /** Its id. */
  readonly id: string
  /** Its name, 1 to 255 characters. */
  readonly name: string
  /** When it was created, ISO 8601. */
  readonly created_at: string
}

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
export const Organization: Schema.Codec<Organization, OrganizationJson> = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  createdAt: Timestamp,
}).pipe(Schema.encodeKeys({ createdAt: "created_at" })).annotate({ identifier: "Organization" })

/** A project (or a product: both have this shape). */
export interface Project {
  /** Its id. */
  readonly id: string
  /** Its name, 1 to 255 characters. */
  readonly name: string
  /** The organization it belongs to. */
  readonly orgId: string
  /** When it was created. */
  readonly createdAt: Date
}

/**
 * A project (or a product) as JSON.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Project, type ProjectJson } from "@gatehouse/sdk/apikeys"
 *
 * const fromJson = (json: ProjectJson): Project => Schema.decodeSync(Project)(json)
 * ```
 */
export interface ProjectJson {
  /** Its id. */
  readonly id: string
  /** Its name, 1 to 255 characters. */
  readonly name: string
  /** The organization it belongs to. */
  readonly org_id: string
  /** When it was created, ISO 8601. */
  readonly created_at: string
}

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
export const Project: Schema.Codec<Project, ProjectJson> = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  orgId: Schema.String,
  createdAt: Timestamp,
}).pipe(Schema.encodeKeys({ orgId: "org_id", createdAt: "created_at" })).annotate({ identifier: "Project" })

/** A product. */
export type Product = Project

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
export const Product: Schema.Codec<Product, ProjectJson> = Project

/** A rate-limit window. */
export type RateLimitWindow = "second" | "minute" | "hour" | "day"

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
export const RateLimitWindow: Schema.Literals<readonly ["second", "minute", "hour", "day"]> = Schema.Literals([
  "second",
  "minute",
  "hour",
  "day",
])

/**
 * Milliseconds in each window.
 *
 * @example
 * ```ts
 * import { WINDOW_MILLIS } from "@gatehouse/sdk/apikeys"
 *
 * // When a fixed rate-limit window that started at `start` ends.
 * const windowEnd = (start: number) => start + WINDOW_MILLIS.minute
 * ```
 */
export const WINDOW_MILLIS: Readonly<Record<RateLimitWindow, number>> = {
  second: 1_000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
}

/** A rate limit. */
export interface RateLimit {
  /** How many successful validations a window allows. */
  readonly requests: number
  /** The window they are counted in. */
  readonly window: RateLimitWindow
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
export const RateLimit: Schema.Codec<RateLimit> = Schema.Struct({
  requests: Schema.Int.check(Schema.isGreaterThan(0)),
  window: RateLimitWindow,
}).annotate({ identifier: "RateLimit" })

/** Key metadata. */
export interface KeyMetadata {
  /** A name for people. */
  readonly name?: string
  /** What the key may do: `validateKey` checks required scopes against them. */
  readonly scopes: ReadonlyArray<string>
  /** At most so many validations per window; unlimited when absent. */
  readonly rateLimit?: RateLimit
  /** When the key stops validating; never when absent. */
  readonly expiresAt?: Date
  /** Your own JSON: a user id, a plan. */
  readonly custom: Schema.JsonObject
}

/**
 * Key metadata as JSON.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { KeyMetadata, type KeyMetadataEncoded } from "@gatehouse/sdk/apikeys"
 *
 * const fromJson = (json: KeyMetadataEncoded): KeyMetadata => Schema.decodeSync(KeyMetadata)(json)
 * ```
 */
export interface KeyMetadataEncoded {
  /** A name for people. */
  readonly name?: string
  /** What the key may do: `validateKey` checks required scopes against them. */
  readonly scopes: ReadonlyArray<string>
  /** At most so many validations per window; unlimited when absent. */
  readonly rate_limit?: RateLimit
  /** When the key stops validating, ISO 8601; never when absent. */
  readonly expires_at?: string
  /** Your own JSON: a user id, a plan. */
  readonly custom: Schema.JsonObject
}

const METADATA_KEYS = { rateLimit: "rate_limit", expiresAt: "expires_at" } as const

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
export const KeyMetadata: Schema.Codec<KeyMetadata, KeyMetadataEncoded> = Schema.Struct({
  name: Schema.optionalKey(Schema.String),
  scopes: Schema.Array(Schema.String),
  rateLimit: Schema.optionalKey(RateLimit),
  expiresAt: Schema.optionalKey(Timestamp),
  custom: Schema.JsonObject,
}).pipe(Schema.encodeKeys(METADATA_KEYS)).annotate({ identifier: "KeyMetadata" })

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
export const KeyMetadataJson: Schema.Codec<KeyMetadata, string> = Schema.fromJsonString(KeyMetadata)

/** A key status. */
export type KeyStatus = "active" | "revoked" | "expired"

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
export const KeyStatus: Schema.Literals<readonly ["active", "revoked", "expired"]> = Schema.Literals([
  "active",
  "revoked",
  "expired",
])

/** A stored key. */
export interface ApiKey {
  /** Its id. */
  readonly id: string
  /** The organization it belongs to. */
  readonly orgId: string
  /** The project it is valid for, or `null` for every project of its organization. */
  readonly projectId: string | null
  /** The product it is valid for, or `null` for every product. */
  readonly productId: string | null
  /** The first characters of its token, stored to find it (never the key). */
  readonly keyPrefix: string
  /** Its name, scopes, rate limit, expiry and your own JSON. */
  readonly metadata: KeyMetadata
  /** Where it stands now. */
  readonly status: KeyStatus
  /** When it was revoked; in the future, when a rotation's grace period ends. */
  readonly revokedAt: Date | null
  /** When it was created. */
  readonly createdAt: Date
  /** When it last verified or validated. */
  readonly lastUsedAt: Date | null
  /** How many times it verified or validated. */
  readonly useCount: number
  /** The key that replaced it in a rotation. */
  readonly replacedBy: string | null
}

/**
 * A stored key as JSON.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { ApiKey, type ApiKeyJson } from "@gatehouse/sdk/apikeys"
 *
 * // A key as GET /api/keys/<id> answers it (never its plaintext or hash).
 * const toJson = (key: ApiKey): ApiKeyJson => Schema.encodeSync(ApiKey)(key)
 * ```
 */
export interface ApiKeyJson {
  /** Its id. */
  readonly id: string
  /** The organization it belongs to. */
  readonly org_id: string
  /** The project it is valid for, or `null` for every project of its organization. */
  readonly project_id: string | null
  /** The product it is valid for, or `null` for every product. */
  readonly product_id: string | null
  /** The first characters of its token, stored to find it (never the key). */
  readonly key_prefix: string
  /** Its name, scopes, rate limit, expiry and your own JSON. */
  readonly metadata: KeyMetadataEncoded
  /** Where it stands now. */
  readonly status: KeyStatus
  /** When it was revoked; in the future, when a rotation's grace period ends. */
  readonly revoked_at: string | null
  /** When it was created, ISO 8601. */
  readonly created_at: string
  /** When it last verified or validated. */
  readonly last_used_at: string | null
  /** How many times it verified or validated. */
  readonly use_count: number
  /** The key that replaced it in a rotation. */
  readonly replaced_by: string | null
}

/** The fields of {@linkcode ApiKey} (internal: the HTTP server spreads them into its own answers). */
export const API_KEY_FIELDS = {
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
}

/** The JSON names of the fields of {@linkcode ApiKey} that are not spelled as in TypeScript (internal). */
export const API_KEY_JSON_NAMES = {
  orgId: "org_id",
  projectId: "project_id",
  productId: "product_id",
  keyPrefix: "key_prefix",
  revokedAt: "revoked_at",
  createdAt: "created_at",
  lastUsedAt: "last_used_at",
  useCount: "use_count",
  replacedBy: "replaced_by",
} as const

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
export const ApiKey: Schema.Codec<ApiKey, ApiKeyJson> = Schema.Struct(API_KEY_FIELDS).pipe(
  Schema.encodeKeys(API_KEY_JSON_NAMES),
).annotate({ identifier: "ApiKey" })

/** A new key and, this once, its plaintext. */
export interface ApiKeyCreatedJson {
  /** The new key. */
  readonly key: ApiKey
  /** Its plaintext: in this answer only, never stored. */
  readonly plaintext: string
}

/**
 * The JSON answer of `POST /api/keys` and `POST /api/keys/{key_id}/rotate`: the key and, this
 * once, its plaintext.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { ApiKeyCreatedJson } from "@gatehouse/sdk/apikeys"
 *
 * const decode = Schema.decodeUnknownSync(ApiKeyCreatedJson)
 * ```
 */
export const ApiKeyCreatedJson: Schema.Codec<
  ApiKeyCreatedJson,
  { readonly key: ApiKeyJson; readonly plaintext: string }
> = Schema.Struct({ key: ApiKey, plaintext: Schema.String })

const RateLimitInput = Schema.Union([Schema.Int.check(Schema.isGreaterThan(0)), RateLimit])

/**
 * The metadata fields of a body that issues a key: a rate limit is a number of requests per
 * minute, or `{ requests, window }`.
 *
 * @example
 * ```ts
 * import type { CreateKeyBody, KeyMetadataFields } from "@gatehouse/sdk/apikeys"
 *
 * const fields: KeyMetadataFields = { name: "ci", scopes: ["read"], rateLimit: 60 }
 * const body: CreateKeyBody = { orgId: "org-uuid", ...fields }
 * ```
 */
export interface KeyMetadataFields {
  /** A name for people. */
  readonly name?: string
  /** What the key may do: `validateKey` checks required scopes against them. */
  readonly scopes?: ReadonlyArray<string>
  /** Requests per minute, or per window. */
  readonly rateLimit?: number | RateLimit
  /** When the key stops validating. */
  readonly expiresAt?: Date
  /** Your own JSON: a user id, a plan. */
  readonly custom?: Schema.JsonObject
}

/**
 * {@linkcode KeyMetadataFields} as JSON.
 *
 * @example
 * ```ts
 * import type { KeyMetadataFieldsJson } from "@gatehouse/sdk/apikeys"
 *
 * const fields: KeyMetadataFieldsJson = { name: "ci", scopes: ["read"], rate_limit: { requests: 100, window: "hour" } }
 * const body = JSON.stringify({ org_id: "org-uuid", ...fields }) // POST /api/keys
 * ```
 */
export interface KeyMetadataFieldsJson {
  /** A name for people. */
  readonly name?: string
  /** What the key may do: `validateKey` checks required scopes against them. */
  readonly scopes?: ReadonlyArray<string>
  /** Requests per minute, or per window. */
  readonly rate_limit?: number | RateLimit
  /** When the key stops validating, ISO 8601. */
  readonly expires_at?: string
  /** Your own JSON: a user id, a plan. */
  readonly custom?: Schema.JsonObject
}

/**
 * The metadata fields of a body that changes a key: `null` clears an optional one.
 *
 * @example
 * ```ts
 * import type { KeyUpdateFields, UpdateKeyBody } from "@gatehouse/sdk/apikeys"
 *
 * const fields: KeyUpdateFields = { rateLimit: null, expiresAt: null } // no limit, no expiry
 * const body: UpdateKeyBody = { ...fields }
 * ```
 */
export interface KeyUpdateFields {
  /** A name for people; `null` clears it. */
  readonly name?: string | null
  /** What the key may do: `validateKey` checks required scopes against them. */
  readonly scopes?: ReadonlyArray<string>
  /** Requests per minute, or per window; `null` removes the limit. */
  readonly rateLimit?: number | RateLimit | null
  /** When the key stops validating; `null`: never. */
  readonly expiresAt?: Date | null
  /** Your own JSON: a user id, a plan. */
  readonly custom?: Schema.JsonObject
}

/**
 * {@linkcode KeyUpdateFields} as JSON.
 *
 * @example
 * ```ts
 * import type { KeyUpdateFieldsJson } from "@gatehouse/sdk/apikeys"
 *
 * const fields: KeyUpdateFieldsJson = { scopes: ["read"], expires_at: null }
 * const body = JSON.stringify(fields) // PATCH /api/keys/<id>
 * ```
 */
export interface KeyUpdateFieldsJson {
  /** A name for people; `null` clears it. */
  readonly name?: string | null
  /** What the key may do: `validateKey` checks required scopes against them. */
  readonly scopes?: ReadonlyArray<string>
  /** Requests per minute, or per window; `null` removes the limit. */
  readonly rate_limit?: number | RateLimit | null
  /** When the key stops validating, ISO 8601; `null`: never. */
  readonly expires_at?: string | null
  /** Your own JSON: a user id, a plan. */
  readonly custom?: Schema.JsonObject
}

const metadataFields = {
  name: Schema.optionalKey(Schema.String),
  scopes: Schema.optionalKey(Schema.Array(Schema.String)),
  rateLimit: Schema.optionalKey(RateLimitInput),
  expiresAt: Schema.optionalKey(Timestamp),
  custom: Schema.optionalKey(Schema.JsonObject),
}

const updateFields = {
  name: Schema.optionalKey(Schema.NullOr(Schema.String)),
  scopes: Schema.optionalKey(Schema.Array(Schema.String)),
  rateLimit: Schema.optionalKey(Schema.NullOr(RateLimitInput)),
  expiresAt: Schema.optionalKey(Schema.NullOr(Timestamp)),
  custom: Schema.optionalKey(Schema.JsonObject),
}

const wireName = (field: string): string => (METADATA_KEYS as Readonly<Record<string, string>>)[field] ?? field

/**
 * A metadata field comes flat or nested in `metadata`, not both: one of the two would be dropped.
 * The field is named as the body spells it.
 */
const givenOnce = Schema.makeFilter((body: { readonly metadata?: object | undefined }) =>
  Object.keys(body.metadata ?? {}).filter((field) => field in body).map((field) => ({
    path: ["metadata", wireName(field)],
    issue: `${wireName(field)} is given both at the top level and in metadata`,
  }))
)

/** The metadata of a new key nested as answers spell it: `{ name, scopes, rate_limit, expires_at, custom }`. */
const NestedMetadata = Schema.Struct(metadataFields).pipe(Schema.encodeKeys(METADATA_KEYS))
/** The changes to a key's metadata nested as answers spell it; `null` clears an optional field. */
const NestedUpdate = Schema.Struct(updateFields).pipe(Schema.encodeKeys(METADATA_KEYS))

/** The body of `POST /api/keys`. */
export interface CreateKeyBody extends KeyMetadataFields {
  /** The organization the key belongs to. */
  readonly orgId: string
  /** A project of it: the key is valid for it only. */
  readonly projectId?: string | null
  /** A product of it: the key is valid for it only. */
  readonly productId?: string | null
  /** The metadata fields nested, as answers spell a key's `metadata`: the same as giving them flat. */
  readonly metadata?: KeyMetadataFields
}

/**
 * {@linkcode CreateKeyBody} as JSON.
 *
 * @example
 * ```ts
 * import type { CreateKeyBodyJson } from "@gatehouse/sdk/apikeys"
 *
 * const body: CreateKeyBodyJson = { org_id: "org-uuid", name: "ci", scopes: ["read"] }
 * const request = new Request("http://127.0.0.1:4010/apikeys/api/keys", { method: "POST", body: JSON.stringify(body) })
 * ```
 */
export interface CreateKeyBodyJson extends KeyMetadataFieldsJson {
  /** The organization the key belongs to. */
  readonly org_id: string
  /** A project of it: the key is valid for it only. */
  readonly project_id?: string | null
  /** A product of it: the key is valid for it only. */
  readonly product_id?: string | null
  /** The metadata fields nested, as answers spell a key's `metadata`. */
  readonly metadata?: KeyMetadataFieldsJson
}

/**
 * Body of `POST /api/keys` (contracts §4.5): the key's place and its metadata, flat as in the
 * seed, or nested in `metadata` as the key's answers spell it (a field may not be given both
 * ways). `rate_limit` is a number of requests per minute, or `{ requests, window }`.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { CreateKeyBody } from "@gatehouse/sdk/apikeys"
 *
 * Schema.decodeUnknownSync(CreateKeyBody)({ org_id: "…", scopes: ["read"], rate_limit: 60 })
 * Schema.decodeUnknownSync(CreateKeyBody)({ org_id: "…", metadata: { name: "ci", scopes: ["read"] } })
 * ```
 */
export const CreateKeyBody: Schema.Codec<CreateKeyBody, CreateKeyBodyJson> = Schema.Struct({
  orgId: Schema.String,
  projectId: Schema.optionalKey(Schema.NullOr(Schema.String)),
  productId: Schema.optionalKey(Schema.NullOr(Schema.String)),
  ...metadataFields,
  metadata: Schema.optionalKey(NestedMetadata),
}).pipe(Schema.encodeKeys({ orgId: "org_id", projectId: "project_id", productId: "product_id", ...METADATA_KEYS }))
  .check(givenOnce)

/** The body of `PATCH /api/keys/{key_id}`. */
export interface UpdateKeyBody extends KeyUpdateFields {
  /** The fields nested, as answers spell a key's `metadata`: the same as giving them flat. */
  readonly metadata?: KeyUpdateFields
}

/**
 * {@linkcode UpdateKeyBody} as JSON.
 *
 * @example
 * ```ts
 * import type { UpdateKeyBodyJson } from "@gatehouse/sdk/apikeys"
 *
 * const body: UpdateKeyBodyJson = { name: "renamed", rate_limit: 120 }
 * ```
 */
export interface UpdateKeyBodyJson extends KeyUpdateFieldsJson {
  /** The fields nested, as answers spell a key's `metadata`. */
  readonly metadata?: KeyUpdateFieldsJson
}

/**
 * Body of `PATCH /api/keys/{key_id}`: the fields to change, flat or nested in `metadata`; `null`
 * clears an optional one.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { UpdateKeyBody } from "@gatehouse/sdk/apikeys"
 *
 * Schema.decodeUnknownSync(UpdateKeyBody)({ scopes: ["read"], expires_at: null })
 * ```
 */
export const UpdateKeyBody: Schema.Codec<UpdateKeyBody, UpdateKeyBodyJson> = Schema.Struct({
  ...updateFields,
  metadata: Schema.optionalKey(NestedUpdate),
}).pipe(Schema.encodeKeys(METADATA_KEYS)).check(givenOnce)

/** The body of `POST /api/keys/{key_id}/rotate`. */
export interface RotateKeyBody extends KeyUpdateFields {
  /** How long the old key stays valid, in seconds. */
  readonly gracePeriodSeconds?: number
  /** Changes for the new key, nested as answers spell a key's `metadata`. */
  readonly metadata?: KeyUpdateFields
}

/**
 * {@linkcode RotateKeyBody} as JSON.
 *
 * @example
 * ```ts
 * import type { RotateKeyBodyJson } from "@gatehouse/sdk/apikeys"
 *
 * const body: RotateKeyBodyJson = { grace_period_seconds: 3600 }
 * ```
 */
export interface RotateKeyBodyJson extends KeyUpdateFieldsJson {
  /** How long the old key stays valid, in seconds. */
  readonly grace_period_seconds?: number
  /** Changes for the new key, nested as answers spell a key's `metadata`. */
  readonly metadata?: KeyUpdateFieldsJson
}

/**
 * Body of `POST /api/keys/{key_id}/rotate`: how long the old key stays valid, and metadata changes
 * for the new one (flat or nested in `metadata`; `null` clears a field).
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { RotateKeyBody } from "@gatehouse/sdk/apikeys"
 *
 * Schema.decodeUnknownSync(RotateKeyBody)({ grace_period_seconds: 3600 })
 * ```
 */
export const RotateKeyBody: Schema.Codec<RotateKeyBody, RotateKeyBodyJson> = Schema.Struct({
  gracePeriodSeconds: Schema.optionalKey(Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0))),
  ...updateFields,
  metadata: Schema.optionalKey(NestedUpdate),
}).pipe(Schema.encodeKeys({ gracePeriodSeconds: "grace_period_seconds", ...METADATA_KEYS })).check(givenOnce)

/** The body of `POST /api/keys/verify`. */
export interface VerifyKeyBody {
  /** The plaintext key. */
  readonly key: string
}

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
export const VerifyKeyBody: Schema.Codec<VerifyKeyBody> = Schema.Struct({ key: Schema.String })

/** The body of `POST /api/keys/validate`: a key and what the request needs of it. */
export interface ValidateKeyBody {
  /** The plaintext key. */
  readonly key: string
  /** The organization the request is for. */
  readonly orgId?: string
  /** The project the request is for. */
  readonly projectId?: string
  /** The product the request is for. */
  readonly productId?: string
  /** Scopes the key must have, every one. */
  readonly requiredScopes?: ReadonlyArray<string>
}

/**
 * {@linkcode ValidateKeyBody} as JSON.
 *
 * @example
 * ```ts
 * import type { ValidateKeyBodyJson } from "@gatehouse/sdk/apikeys"
 *
 * const body: ValidateKeyBodyJson = { key: "sk_...", required_scopes: ["read"] }
 * ```
 */
export interface ValidateKeyBodyJson {
  /** The plaintext key. */
  readonly key: string
  /** The organization the request is for. */
  readonly org_id?: string
  /** The project the request is for. */
  readonly project_id?: string
  /** The product the request is for. */
  readonly product_id?: string
  /** Scopes the key must have, every one. */
  readonly required_scopes?: ReadonlyArray<string>
}

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
export const ValidateKeyBody: Schema.Codec<ValidateKeyBody, ValidateKeyBodyJson> = Schema.Struct({
  key: Schema.String,
  orgId: Schema.optionalKey(Schema.String),
  projectId: Schema.optionalKey(Schema.String),
  productId: Schema.optionalKey(Schema.String),
  requiredScopes: Schema.optionalKey(Schema.Array(Schema.String)),
}).pipe(Schema.encodeKeys({
  orgId: "org_id",
  projectId: "project_id",
  productId: "product_id",
  requiredScopes: "required_scopes",
}))

/** The body of `POST /api/orgs`, `/api/orgs/{org_id}/projects` and `/api/orgs/{org_id}/products`. */
export interface NameBody {
  /** 1 to 255 characters. */
  readonly name: string
}

/**
 * Body of `POST /api/orgs`, `/api/orgs/{org_id}/projects` and `/api/orgs/{org_id}/products`.
 *
 * @example
 * ```ts
 * import { NameBody } from "@gatehouse/sdk/apikeys"
 *
 * const body: typeof NameBody.Encoded = { name: "Acme" }
 * ```
 */
export const NameBody: Schema.Codec<NameBody> = Schema.Struct({ name: Schema.String })
