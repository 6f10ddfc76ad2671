/**
 * The typed errors of the key service. Validation errors follow the seed's order (contracts §4.1,
 * §4.4); none of them carries the key's plaintext, in its fields or its message.
 *
 * @module
 */
import { Duration, Schema } from "effect"
import { RateLimit } from "./contract.ts"
import type { TaggedErrorClass } from "../core/tagged_error.ts"

type InvalidKeyFields = {
  readonly reason: Schema.Literals<readonly ["malformed", "not_found"]>
}

const InvalidKeyBase: TaggedErrorClass<InvalidKey, "InvalidKey", InvalidKeyFields> = Schema.TaggedError<InvalidKey>()(
  "InvalidKey",
  {
    reason: Schema.Literals(["malformed", "not_found"]),
  },
)

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

const RevokedKeyBase: TaggedErrorClass<RevokedKey, "RevokedKey", RevokedKeyFields> = Schema.TaggedError<RevokedKey>()(
  "RevokedKey",
  {
    keyId: Schema.String,
    revokedAt: Schema.DateFromString,
  },
)

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

const ExpiredKeyBase: TaggedErrorClass<ExpiredKey, "ExpiredKey", ExpiredKeyFields> = Schema.TaggedError<ExpiredKey>()(
  "ExpiredKey",
  {
    keyId: Schema.String,
    expiredAt: Schema.DateFromString,
  },
)

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

const InsufficientScopeBase: TaggedErrorClass<InsufficientScope, "InsufficientScope", InsufficientScopeFields> = Schema
  .TaggedError<InsufficientScope>()("InsufficientScope", {
    keyId: Schema.String,
    reason: Schema.Literals(["organization", "project", "product", "scope"]),
    missingScopes: Schema.Array(Schema.String),
  })

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

const QuotaExceededBase: TaggedErrorClass<QuotaExceeded, "QuotaExceeded", QuotaExceededFields> = Schema.TaggedError<
  QuotaExceeded
>()("QuotaExceeded", {
  keyId: Schema.String,
  limit: RateLimit,
  retryAfter: Schema.DurationFromMillis,
})

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

const OrganizationNotFoundBase: TaggedErrorClass<
  OrganizationNotFound,
  "OrganizationNotFound",
  OrganizationNotFoundFields
> = Schema.TaggedError<OrganizationNotFound>()("OrganizationNotFound", {
  orgId: Schema.String,
})

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

const ProjectNotFoundBase: TaggedErrorClass<ProjectNotFound, "ProjectNotFound", ProjectNotFoundFields> = Schema
  .TaggedError<ProjectNotFound>()("ProjectNotFound", {
    projectId: Schema.String,
  })

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

const ProductNotFoundBase: TaggedErrorClass<ProductNotFound, "ProductNotFound", ProductNotFoundFields> = Schema
  .TaggedError<ProductNotFound>()("ProductNotFound", {
    productId: Schema.String,
  })

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

const KeyNotFoundBase: TaggedErrorClass<KeyNotFound, "KeyNotFound", KeyNotFoundFields> = Schema.TaggedError<
  KeyNotFound
>()("KeyNotFound", {
  keyId: Schema.String,
})

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

type AlreadyExistsFields = {
  readonly kind: Schema.Literals<readonly ["organization", "project", "product"]>
  readonly takenName: Schema.String
  readonly existingId: Schema.String
}

const AlreadyExistsBase: TaggedErrorClass<AlreadyExists, "AlreadyExists", AlreadyExistsFields> = Schema.TaggedError<
  AlreadyExists
>()("AlreadyExists", {
  kind: Schema.Literals(["organization", "project", "product"]),
  takenName: Schema.String,
  existingId: Schema.String,
})

/**
 * The name is taken (0.2.0): organization names are unique, and project and product names within
 * their organization. `takenName` is the name, `existingId` the one that has it; the
 * `getOrCreate*` calls return that one.
 *
 * @example
 * ```ts
 * import { AlreadyExists } from "@gatehouse/sdk/apikeys"
 *
 * new AlreadyExists({ kind: "organization", takenName: "Acme", existingId: "o1" }).message
 * // "Organization 'Acme' already exists"
 * ```
 */
export class AlreadyExists extends AlreadyExistsBase {
  /** What went wrong, in words. */
  override get message(): string {
    const what = `${this.kind[0].toUpperCase()}${this.kind.slice(1)} '${this.takenName}' already exists`
    return this.kind === "organization" ? what : `${what} in this organization`
  }
}

type InvalidRequestFields = {
  readonly detail: Schema.String
}

const InvalidRequestBase: TaggedErrorClass<InvalidRequest, "InvalidRequest", InvalidRequestFields> = Schema.TaggedError<
  InvalidRequest
>()("InvalidRequest", {
  detail: Schema.String,
})

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

const KeyStoreUnavailableBase: TaggedErrorClass<KeyStoreUnavailable, "KeyStoreUnavailable", KeyStoreUnavailableFields> =
  Schema.TaggedError<KeyStoreUnavailable>()("KeyStoreUnavailable", {
    detail: Schema.String,
    status: Schema.optionalKey(Schema.Number),
  })

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

// An error without fields: `{}` is the fields' type, as Schema.TaggedError has it.
// deno-lint-ignore ban-types
const KeyStoreClosedBase: TaggedErrorClass<KeyStoreClosed, "KeyStoreClosed", {}> = Schema.TaggedError<
  KeyStoreClosed
>()("KeyStoreClosed", {})

/**
 * The service was used after its layer's scope closed (a disposed `ManagedRuntime`, a finished
 * `Effect.scoped`): a bug in the caller, not an outage. A guard answers 503.
 *
 * @example
 * ```ts
 * import { KeyStoreClosed } from "@gatehouse/sdk/apikeys"
 *
 * new KeyStoreClosed().message // "The key store is closed: its layer's scope has ended"
 * ```
 */
export class KeyStoreClosed extends KeyStoreClosedBase {
  /** What went wrong, in words. */
  override get message(): string {
    return "The key store is closed: its layer's scope has ended"
  }
}

type UnauthorizedFields = {
  readonly detail: Schema.String
}

const UnauthorizedBase: TaggedErrorClass<Unauthorized, "Unauthorized", UnauthorizedFields> = Schema.TaggedError<
  Unauthorized
>()("Unauthorized", {
  detail: Schema.String,
})

/**
 * The remote key service refused this client's credential: a missing or wrong `X-Admin-Key`, or
 * a validator key used for a call only the admin key opens. Over HTTP only. A guard answers 503.
 *
 * @example
 * ```ts
 * import { Unauthorized } from "@gatehouse/sdk/apikeys"
 *
 * new Unauthorized({ detail: "Missing or wrong X-Admin-Key" }).message
 * ```
 */
export class Unauthorized extends UnauthorizedBase {
  /** What went wrong, in words. */
  override get message(): string {
    return this.detail
  }
}

/**
 * Why the key store could not answer at all: it failed, it is closed, or (over HTTP) it refused
 * the client's credential. Every call of the service can fail with these.
 *
 * @example
 * ```ts
 * import type { StoreError } from "@gatehouse/sdk/apikeys"
 *
 * const outage = (error: StoreError) => error._tag === "KeyStoreUnavailable"
 * ```
 */
export type StoreError = KeyStoreUnavailable | KeyStoreClosed | Unauthorized

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
export type VerifyError = InvalidKey | RevokedKey | ExpiredKey | StoreError

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
  | AlreadyExists
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
    typeof AlreadyExists,
    typeof InvalidRequest,
    typeof KeyStoreUnavailable,
    typeof KeyStoreClosed,
    typeof Unauthorized,
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
  AlreadyExists,
  InvalidRequest,
  KeyStoreUnavailable,
  KeyStoreClosed,
  Unauthorized,
])
