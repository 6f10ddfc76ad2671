/**
 * The typed errors of the key service. Validation errors follow the seed's order (contracts §4.1,
 * §4.4); none of them carries the key's plaintext, in its fields or its message.
 *
 * @module
 */
import { type Cause, Duration, Schema } from "effect"
import { RateLimit } from "./contract.ts"

type InvalidKeyFields = {
  readonly reason: Schema.Literals<readonly ["malformed", "not_found"]>
}

const invalidKeyFields: InvalidKeyFields = {
  reason: Schema.Literals(["malformed", "not_found"]),
}

const InvalidKeyBase: Schema.Class<
  InvalidKey,
  Schema.TaggedStruct<"InvalidKey", InvalidKeyFields>,
  Cause.YieldableError
> = Schema.TaggedError<InvalidKey>()("InvalidKey", invalidKeyFields)

/**
 * The key is malformed (rejected before any database access) or unknown. `reason` tells which;
 * a guard answers 401 to both.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ApiKeys } from "@gatehouse/sdk/apikeys"
 *
 * const check = (key: string) =>
 *   Effect.flatMap(ApiKeys, (keys) => keys.verifyKey(key)).pipe(
 *     Effect.catchTag("InvalidKey", (error) => Effect.succeed(error.reason)),
 *   )
 * ```
 */
export class InvalidKey extends InvalidKeyBase {
  /** What went wrong, in words; never the key's plaintext. */
  override get message(): string {
    return this.reason === "malformed" ? "Malformed key format" : "Key not found"
  }
}

type RevokedKeyFields = {
  readonly keyId: Schema.String
  readonly revokedAt: Schema.DateFromString
}

const revokedKeyFields: RevokedKeyFields = {
  keyId: Schema.String,
  revokedAt: Schema.DateFromString,
}

const RevokedKeyBase: Schema.Class<
  RevokedKey,
  Schema.TaggedStruct<"RevokedKey", RevokedKeyFields>,
  Cause.YieldableError
> = Schema.TaggedError<RevokedKey>()("RevokedKey", revokedKeyFields)

/**
 * The key was revoked (or rotated, and its grace period is over) at `revokedAt`. From
 * `rotateKey`, it may also mean the key was already rotated: `revokedAt` is then when its grace
 * period ends.
 *
 * @example
 * ```ts
 * import { RevokedKey } from "@gatehouse/sdk/apikeys"
 *
 * const when = (error: RevokedKey) => error.revokedAt.toISOString()
 * ```
 */
export class RevokedKey extends RevokedKeyBase {
  /** What went wrong, in words; never the key's plaintext. */
  override get message(): string {
    return `Key '${this.keyId}' has been revoked`
  }
}

type ExpiredKeyFields = {
  readonly keyId: Schema.String
  readonly expiredAt: Schema.DateFromString
}

const expiredKeyFields: ExpiredKeyFields = {
  keyId: Schema.String,
  expiredAt: Schema.DateFromString,
}

const ExpiredKeyBase: Schema.Class<
  ExpiredKey,
  Schema.TaggedStruct<"ExpiredKey", ExpiredKeyFields>,
  Cause.YieldableError
> = Schema.TaggedError<ExpiredKey>()("ExpiredKey", expiredKeyFields)

/**
 * The key's `expiresAt` has passed.
 *
 * @example
 * ```ts
 * import { ExpiredKey } from "@gatehouse/sdk/apikeys"
 *
 * const when = (error: ExpiredKey) => error.expiredAt.toISOString()
 * ```
 */
export class ExpiredKey extends ExpiredKeyBase {
  /** What went wrong, in words; never the key's plaintext. */
  override get message(): string {
    return `Key '${this.keyId}' has expired`
  }
}

type InsufficientScopeFields = {
  readonly keyId: Schema.String
  readonly reason: Schema.Literals<readonly ["organization", "project", "product", "scope"]>
  readonly missingScopes: Schema.$Array<Schema.String>
}

const insufficientScopeFields: InsufficientScopeFields = {
  keyId: Schema.String,
  reason: Schema.Literals(["organization", "project", "product", "scope"]),
  missingScopes: Schema.Array(Schema.String),
}

const InsufficientScopeBase: Schema.Class<
  InsufficientScope,
  Schema.TaggedStruct<"InsufficientScope", InsufficientScopeFields>,
  Cause.YieldableError
> = Schema.TaggedError<InsufficientScope>()("InsufficientScope", insufficientScopeFields)

/**
 * The key is valid but does not reach what the request needs: another organization, project or
 * product (`reason`), or scopes it lacks (`missingScopes`).
 *
 * @example
 * ```ts
 * import { InsufficientScope } from "@gatehouse/sdk/apikeys"
 *
 * const explain = (error: InsufficientScope) =>
 *   error.reason === "scope" ? `missing ${error.missingScopes.join(", ")}` : `wrong ${error.reason}`
 * ```
 */
export class InsufficientScope extends InsufficientScopeBase {
  /** What went wrong, in words; never the key's plaintext. */
  override get message(): string {
    return this.reason === "scope"
      ? `Key '${this.keyId}' lacks scopes: ${this.missingScopes.join(", ")}`
      : `Key '${this.keyId}' is not valid for this ${this.reason}`
  }
}

type QuotaExceededFields = {
  readonly keyId: Schema.String
  readonly limit: Schema.Codec<RateLimit>
  readonly retryAfter: Schema.DurationFromMillis
}

const quotaExceededFields: QuotaExceededFields = {
  keyId: Schema.String,
  limit: RateLimit,
  retryAfter: Schema.DurationFromMillis,
}

const QuotaExceededBase: Schema.Class<
  QuotaExceeded,
  Schema.TaggedStruct<"QuotaExceeded", QuotaExceededFields>,
  Cause.YieldableError
> = Schema.TaggedError<QuotaExceeded>()("QuotaExceeded", quotaExceededFields)

/**
 * The key's rate limit is spent for the current window; try again after `retryAfter`
 * (the seed's `QuotaError`).
 *
 * @example
 * ```ts
 * import { Duration } from "effect"
 * import { QuotaExceeded } from "@gatehouse/sdk/apikeys"
 *
 * const seconds = (error: QuotaExceeded) => Math.ceil(Duration.toSeconds(error.retryAfter))
 * ```
 */
export class QuotaExceeded extends QuotaExceededBase {
  /** What went wrong, in words; never the key's plaintext. */
  override get message(): string {
    return `Key '${this.keyId}' exceeded ${this.limit.requests} requests per ${this.limit.window}; retry after ${
      Duration.format(this.retryAfter)
    }`
  }
}

type OrganizationNotFoundFields = {
  readonly orgId: Schema.String
}

const organizationNotFoundFields: OrganizationNotFoundFields = {
  orgId: Schema.String,
}

const OrganizationNotFoundBase: Schema.Class<
  OrganizationNotFound,
  Schema.TaggedStruct<"OrganizationNotFound", OrganizationNotFoundFields>,
  Cause.YieldableError
> = Schema.TaggedError<OrganizationNotFound>()("OrganizationNotFound", organizationNotFoundFields)

/**
 * No organization with this id (`APIKeyError("Organization '<id>' not found")` in the seed).
 *
 * @example
 * ```ts
 * import { OrganizationNotFound } from "@gatehouse/sdk/apikeys"
 *
 * new OrganizationNotFound({ orgId: "nope" }).message // "Organization 'nope' not found"
 * ```
 */
export class OrganizationNotFound extends OrganizationNotFoundBase {
  /** What went wrong, in words; never the key's plaintext. */
  override get message(): string {
    return `Organization '${this.orgId}' not found`
  }
}

type ProjectNotFoundFields = {
  readonly projectId: Schema.String
}

const projectNotFoundFields: ProjectNotFoundFields = {
  projectId: Schema.String,
}

const ProjectNotFoundBase: Schema.Class<
  ProjectNotFound,
  Schema.TaggedStruct<"ProjectNotFound", ProjectNotFoundFields>,
  Cause.YieldableError
> = Schema.TaggedError<ProjectNotFound>()("ProjectNotFound", projectNotFoundFields)

/**
 * No project with this id, or it belongs to another organization.
 *
 * @example
 * ```ts
 * import { ProjectNotFound } from "@gatehouse/sdk/apikeys"
 *
 * new ProjectNotFound({ projectId: "nope" }).message // "Project 'nope' not found"
 * ```
 */
export class ProjectNotFound extends ProjectNotFoundBase {
  /** What went wrong, in words; never the key's plaintext. */
  override get message(): string {
    return `Project '${this.projectId}' not found`
  }
}

type ProductNotFoundFields = {
  readonly productId: Schema.String
}

const productNotFoundFields: ProductNotFoundFields = {
  productId: Schema.String,
}

const ProductNotFoundBase: Schema.Class<
  ProductNotFound,
  Schema.TaggedStruct<"ProductNotFound", ProductNotFoundFields>,
  Cause.YieldableError
> = Schema.TaggedError<ProductNotFound>()("ProductNotFound", productNotFoundFields)

/**
 * No product with this id, or it belongs to another organization.
 *
 * @example
 * ```ts
 * import { ProductNotFound } from "@gatehouse/sdk/apikeys"
 *
 * new ProductNotFound({ productId: "nope" }).message // "Product 'nope' not found"
 * ```
 */
export class ProductNotFound extends ProductNotFoundBase {
  /** What went wrong, in words; never the key's plaintext. */
  override get message(): string {
    return `Product '${this.productId}' not found`
  }
}

type KeyNotFoundFields = {
  readonly keyId: Schema.String
}

const keyNotFoundFields: KeyNotFoundFields = {
  keyId: Schema.String,
}

const KeyNotFoundBase: Schema.Class<
  KeyNotFound,
  Schema.TaggedStruct<"KeyNotFound", KeyNotFoundFields>,
  Cause.YieldableError
> = Schema.TaggedError<KeyNotFound>()("KeyNotFound", keyNotFoundFields)

/**
 * No key with this id.
 *
 * @example
 * ```ts
 * import { KeyNotFound } from "@gatehouse/sdk/apikeys"
 *
 * new KeyNotFound({ keyId: "nope" }).message // "Key 'nope' not found"
 * ```
 */
export class KeyNotFound extends KeyNotFoundBase {
  /** What went wrong, in words; never the key's plaintext. */
  override get message(): string {
    return `Key '${this.keyId}' not found`
  }
}

type InvalidRequestFields = {
  readonly detail: Schema.String
}

const invalidRequestFields: InvalidRequestFields = {
  detail: Schema.String,
}

const InvalidRequestBase: Schema.Class<
  InvalidRequest,
  Schema.TaggedStruct<"InvalidRequest", InvalidRequestFields>,
  Cause.YieldableError
> = Schema.TaggedError<InvalidRequest>()("InvalidRequest", invalidRequestFields)

/**
 * The request itself is unusable: an empty name, a product not linked to the key's project, a
 * negative grace period, a body that does not decode.
 *
 * @example
 * ```ts
 * import { InvalidRequest } from "@gatehouse/sdk/apikeys"
 *
 * new InvalidRequest({ detail: "name must not be empty" }).message // "name must not be empty"
 * ```
 */
export class InvalidRequest extends InvalidRequestBase {
  /** What went wrong, in words; never the key's plaintext. */
  override get message(): string {
    return this.detail
  }
}

type KeyStoreUnavailableFields = {
  readonly detail: Schema.String
  readonly status: Schema.optionalKey<Schema.Number>
}

const keyStoreUnavailableFields: KeyStoreUnavailableFields = {
  detail: Schema.String,
  status: Schema.optionalKey(Schema.Number),
}

const KeyStoreUnavailableBase: Schema.Class<
  KeyStoreUnavailable,
  Schema.TaggedStruct<"KeyStoreUnavailable", KeyStoreUnavailableFields>,
  Cause.YieldableError
> = Schema.TaggedError<KeyStoreUnavailable>()("KeyStoreUnavailable", keyStoreUnavailableFields)

/**
 * The key store could not answer: the database failed, or the remote key service could not be
 * reached or was not authorised. A guard answers 503.
 *
 * @example
 * ```ts
 * import { KeyStoreUnavailable } from "@gatehouse/sdk/apikeys"
 *
 * new KeyStoreUnavailable({ detail: "connection refused" }).message
 * ```
 */
export class KeyStoreUnavailable extends KeyStoreUnavailableBase {
  /** What went wrong, in words; never the key's plaintext. */
  override get message(): string {
    return `Key store unavailable: ${this.detail}`
  }
}

/**
 * Why a key did not verify.
 *
 * @example
 * ```ts
 * import type { VerifyError } from "@gatehouse/sdk/apikeys"
 *
 * const tag = (error: VerifyError) => error._tag
 * ```
 */
export type VerifyError = InvalidKey | RevokedKey | ExpiredKey | KeyStoreUnavailable

/**
 * Why a key did not validate for a request.
 *
 * @example
 * ```ts
 * import type { ValidateError } from "@gatehouse/sdk/apikeys"
 *
 * const status = (error: ValidateError) => error._tag === "QuotaExceeded" ? 429 : 401
 * ```
 */
export type ValidateError = VerifyError | InsufficientScope | QuotaExceeded

/**
 * Every error of the key service.
 *
 * @example
 * ```ts
 * import type { ApiKeysError } from "@gatehouse/sdk/apikeys"
 *
 * const tag = (error: ApiKeysError) => error._tag
 * ```
 */
export type ApiKeysError =
  | ValidateError
  | OrganizationNotFound
  | ProjectNotFound
  | ProductNotFound
  | KeyNotFound
  | InvalidRequest

/**
 * Every typed error of the key service as one schema, `{ _tag, ...fields }`: the HTTP API's error
 * bodies carry it, and the typed client decodes it back into the same error.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { ApiKeysErrorJson } from "@gatehouse/sdk/apikeys"
 *
 * const error = Schema.decodeUnknownSync(ApiKeysErrorJson)({ _tag: "KeyNotFound", keyId: "k1" })
 * ```
 */
export const ApiKeysErrorJson: Schema.Union<
  readonly [
    typeof InvalidKey,
    typeof RevokedKey,
    typeof ExpiredKey,
    typeof InsufficientScope,
    typeof QuotaExceeded,
    typeof OrganizationNotFound,
    typeof ProjectNotFound,
    typeof ProductNotFound,
    typeof KeyNotFound,
    typeof InvalidRequest,
    typeof KeyStoreUnavailable,
  ]
> = Schema.Union([
  InvalidKey,
  RevokedKey,
  ExpiredKey,
  InsufficientScope,
  QuotaExceeded,
  OrganizationNotFound,
  ProjectNotFound,
  ProductNotFound,
  KeyNotFound,
  InvalidRequest,
  KeyStoreUnavailable,
])
