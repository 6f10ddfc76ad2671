/**
 * The `ApiKeys` service: organizations, projects, products and API keys on any `effect/sql`
 * `SqlClient` (SQLite through {@linkcode SqliteClient}, PostgreSQL through `@effect/sql-pg`, MySQL
 * through `mysql2`), or on the database a URL names.
 * This module holds its interface, its options and its layers; `makeApiKeys` builds it.
 *
 * Validation runs in the seed's order (contracts §4.1, §4.4): format (no database access) ->
 * lookup by the key's hash (unique and indexed) -> revoked -> expired -> organization -> project ->
 * product -> scopes; then, beyond the seed, the key's rate limit (one atomic statement, exact across
 * processes) and its use (`trackUsage`: buffered in memory by default).
 *
 * Every input is checked before any statement runs (ids and names are strings without NUL, metadata
 * is bounded JSON), and a change either completes or leaves nothing.
 *
 * @module
 */
import { Config, Context, type Duration, Effect, Layer, type Redacted, type Schema, type Scope } from "effect"
import { SqlClient } from "effect/sql"
import type { ApiKey, KeyStatus, Organization, Product, Project, RateLimit } from "./contract.ts"
import {
  type AlreadyExists,
  type ExpiredKey,
  type InvalidRequest,
  type KeyNotFound,
  KeyStoreClosed,
  KeyStoreUnavailable,
  type OrganizationNotFound,
  type ProductNotFound,
  type ProjectNotFound,
  type RevokedKey,
  type StoreError,
  type ValidateError,
  type VerifyError,
} from "./errors.ts"
import type { Plaintext } from "./key_format.ts"
import { makeApiKeys, makeCountingApiKeys } from "./make_api_keys.ts"
import { UsageBuffer } from "./_usage.ts"
import { migrate } from "./migrations.ts"
import { SqliteClient, type SqliteOptions } from "../sql/sqlite.ts"
import { type InvalidDatabaseUrl, sqlClientLayer } from "./database_url.ts"

export { makeApiKeys }

/**
 * Metadata given when a key is created; everything is optional.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ApiKeys, type KeyMetadataInput } from "@gatehouse/sdk/apikeys"
 *
 * const metadata: KeyMetadataInput = {
 *   name: "billing worker",
 *   scopes: ["invoices:read"],
 *   rateLimit: { requests: 100, window: "minute" },
 *   expiresAt: new Date(Date.now() + 90 * 86_400_000),
 *   custom: { team: "billing" },
 * }
 * const created = Effect.flatMap(ApiKeys, (keys) =>
 *   Effect.flatMap(keys.createOrganization("Acme"), (org) => keys.createKey(org.id, { metadata })))
 * ```
 */
export interface KeyMetadataInput {
  /** A name for people: 1 to 255 characters. */
  readonly name?: string | undefined
  /** What the key may do: `validateKey` checks `requiredScopes` against them. @default [] */
  readonly scopes?: ReadonlyArray<string> | undefined
  /** A number of requests per minute, or a limit per window. Unlimited when absent. */
  readonly rateLimit?: number | RateLimit | undefined
  /** When the key stops validating. Never when absent. */
  readonly expiresAt?: Date | undefined
  /** Your own JSON: a user id, a plan. @default {} */
  readonly custom?: Readonly<Record<string, Schema.Json>> | undefined
}

/**
 * Where a new key applies (the whole organization when neither is given), and its metadata.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ApiKeys, type CreateKeyOptions } from "@gatehouse/sdk/apikeys"
 *
 * const program = Effect.gen(function* () {
 *   const keys = yield* ApiKeys
 *   const org = yield* keys.createOrganization("Acme")
 *   const project = yield* keys.createProject(org.id, "Storefront")
 *   const options: CreateKeyOptions = { projectId: project.id, metadata: { scopes: ["read"] } } // this project only
 *   return yield* keys.createKey(org.id, options)
 * }).pipe(Effect.provide(ApiKeys.layerSqlite({ filename: ":memory:" })))
 * ```
 */
export interface CreateKeyOptions {
  /** A project of the organization: the key is valid for it only. */
  readonly projectId?: string | undefined
  /** A product of the organization (linked to `projectId` when both are given): the key is valid for it only. */
  readonly productId?: string | undefined
  /** The key's name, scopes, rate limit, expiry and your own JSON. */
  readonly metadata?: KeyMetadataInput | undefined
}

/**
 * A new key and its plaintext, `Redacted`: show it to its owner once; it is not stored.
 *
 * @example
 * ```ts
 * import { Effect, Redacted } from "effect"
 * import { ApiKeys, type ApiKeyCreated } from "@gatehouse/sdk/apikeys"
 *
 * const created: ApiKeyCreated = await Effect.runPromise(
 *   Effect.gen(function* () {
 *     const keys = yield* ApiKeys
 *     const org = yield* keys.createOrganization("Acme")
 *     return yield* keys.createKey(org.id)
 *   }).pipe(Effect.provide(ApiKeys.layerSqlite({ filename: ":memory:" }))),
 * )
 * console.log(created.key.id, Redacted.value(created.plaintext).startsWith("sk_")) // show the plaintext once
 * ```
 */
export interface ApiKeyCreated {
  /** The key as stored. */
  readonly key: ApiKey
  /** The key itself, `sk_...`: only its prefix and hash are stored. */
  readonly plaintext: Redacted.Redacted<string>
}

/**
 * What a request needs of a key. Each absent field is not checked.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ApiKeys, type ValidateOptions } from "@gatehouse/sdk/apikeys"
 *
 * // What this route needs of a key: the organization's, with the write scope.
 * const needs = (orgId: string): ValidateOptions => ({ orgId, requiredScopes: ["write"] })
 * const check = (plaintext: string, orgId: string) =>
 *   Effect.flatMap(ApiKeys, (keys) => keys.validateKey(plaintext, needs(orgId)))
 * ```
 */
export interface ValidateOptions {
  /** The key must belong to this organization. */
  readonly orgId?: string | undefined
  /** The key must reach this project: be placed in it, or org-wide in its organization. */
  readonly projectId?: string | undefined
  /** The key must reach this product: be placed on it, in a project linked to it, or org-wide in its organization. */
  readonly productId?: string | undefined
  /** Every one of these must be among the key's scopes. */
  readonly requiredScopes?: ReadonlyArray<string> | undefined
  /** One scope the key must have, as well as `requiredScopes`: the seed's `required_scope`. */
  readonly requiredScope?: string | undefined
}

/**
 * What a `getOrCreate*` call found or made, and whether it made it.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ApiKeys, type GetOrCreated, type Organization } from "@gatehouse/sdk/apikeys"
 *
 * const report = ({ value, created }: GetOrCreated<Organization>) => `${value.name}: ${created ? "created" : "found"}`
 * const acme = Effect.map(Effect.flatMap(ApiKeys, (keys) => keys.getOrCreateOrganization("acme")), report)
 * ```
 */
export interface GetOrCreated<A> {
  /** The organization, project or product with the name asked for. */
  readonly value: A
  /** `true` when this call created it. */
  readonly created: boolean
}

/**
 * Filters of the list calls.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ApiKeys, type ListKeysOptions } from "@gatehouse/sdk/apikeys"
 *
 * const active: ListKeysOptions = { status: "active" }
 * const activeKeys = (orgId: string) => Effect.flatMap(ApiKeys, (keys) => keys.listOrgKeys(orgId, active))
 * ```
 */
export interface ListKeysOptions {
  /** Only keys in this status now. */
  readonly status?: KeyStatus | undefined
}

/**
 * Changes to a key's metadata; `null` clears an optional field, `undefined` keeps it.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ApiKeys, type KeyUpdate } from "@gatehouse/sdk/apikeys"
 *
 * const update: KeyUpdate = { scopes: ["read"], rateLimit: null, expiresAt: null } // read only, no limit, no expiry
 * const narrow = (keyId: string) => Effect.flatMap(ApiKeys, (keys) => keys.updateKey(keyId, update))
 * ```
 */
export interface KeyUpdate {
  /** A new name, or `null` to remove it. */
  readonly name?: string | null | undefined
  /** The new scopes, replacing the old ones. */
  readonly scopes?: ReadonlyArray<string> | undefined
  /** A new rate limit (a number is per minute), or `null` for none. */
  readonly rateLimit?: number | RateLimit | null | undefined
  /** A new expiry, or `null` for none. */
  readonly expiresAt?: Date | null | undefined
  /** Your new JSON, replacing the old. */
  readonly custom?: Readonly<Record<string, Schema.Json>> | undefined
}

/**
 * Options of `rotateKey`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ApiKeys, type RotateOptions } from "@gatehouse/sdk/apikeys"
 *
 * // The old key keeps working for a day, so that its users can switch.
 * const options: RotateOptions = { gracePeriod: "1 day", metadata: { name: "rotated" } }
 * const rotate = (keyId: string) => Effect.flatMap(ApiKeys, (keys) => keys.rotateKey(keyId, options))
 * ```
 */
export interface RotateOptions {
  /** How long the old key keeps validating, at most 365 days. @default "1 hour" */
  readonly gracePeriod?: Duration.Input | undefined
  /** Changes to the metadata the new key inherits from the old one. */
  readonly metadata?: KeyUpdate | undefined
}

/**
 * Options of every `ApiKeys` layer.
 *
 * @example
 * ```ts
 * import { ApiKeys, type ApiKeysOptions } from "@gatehouse/sdk/apikeys"
 *
 * const options: ApiKeysOptions = { trackUsage: "buffered", usageFlushInterval: "5 seconds", keyPrefix: "sk" }
 * const layer = ApiKeys.layerSqlite({ ...options, filename: "keys.db" })
 * ```
 */
export interface ApiKeysOptions {
  /** The text before `_` in new keys, and the only one accepted. @default "sk" */
  readonly keyPrefix?: string | undefined
  /**
   * Tags new keys with an environment, `{keyPrefix}_{environment}_{token}` (`sk_live_...`), as
   * 0.2.0 does. Keys of every environment verify (the hash covers the tag). @default "" (untagged)
   */
  readonly environment?: string | undefined
  /**
   * A server-side secret: hashes become HMAC-SHA256 under it, so that a leaked table cannot be
   * checked against guessed keys. Changing it invalidates every key. @default none (plain SHA-256, as the seed)
   */
  readonly pepper?: Redacted.Redacted<string> | undefined
  /**
   * How `lastUsedAt` and `useCount` record each successful verification or validation:
   * - `true` (or `"buffered"`): counted in memory, and written for every key in one statement each
   *   `usageFlushInterval` and when the layer's scope closes. A crash (a killed process, not a closed
   *   scope) loses at most one interval of `useCount`/`lastUsedAt`. Reads (`getKey`, the lists) write
   *   what is pending first, so they see every use this process counted; other processes see them
   *   after the next flush. A key with a rate limit on PostgreSQL records each use with its count, at
   *   once and at no cost.
   * - `"sync"`: one `UPDATE` per use, inside the validation (with the rate-limit count in one
   *   transaction): exact at once for every reader, at the price of a write per validation.
   * - `false`: not recorded.
   *
   * Rate limits are exact across processes in every mode: each request is counted by one atomic statement.
   * @default true
   */
  readonly trackUsage?: boolean | "buffered" | "sync" | undefined
  /** How often buffered uses are written (see `trackUsage`): a positive duration. @default "1 second" */
  readonly usageFlushInterval?: Duration.Input | undefined
  /** Apply pending migrations when the layer is built. @default true */
  readonly migrate?: boolean | undefined
}

/**
 * The key service. Every method can also fail with a `StoreError`: the store failed, is closed, or refused us.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ApiKeys, type ApiKeysService } from "@gatehouse/sdk/apikeys"
 *
 * // A function of your own over the service: revoke every active key of an organization.
 * const revokeAll = (keys: ApiKeysService, orgId: string) =>
 *   Effect.flatMap(
 *     keys.listOrgKeys(orgId, { status: "active" }),
 *     (list) => Effect.forEach(list, (key) => keys.revokeKey(key.id)),
 *   )
 * const program = (orgId: string) => Effect.flatMap(ApiKeys, (keys) => revokeAll(keys, orgId))
 * ```
 */
export interface ApiKeysService {
  /** Creates an organization; its name is trimmed, 1 to 255 characters, and unique. */
  readonly createOrganization: (
    name: string,
  ) => Effect.Effect<Organization, AlreadyExists | InvalidRequest | StoreError>
  /** The organization with this name, created if there is none (0.2.0's `get_or_create_organization`). */
  readonly getOrCreateOrganization: (
    name: string,
  ) => Effect.Effect<GetOrCreated<Organization>, InvalidRequest | StoreError>
  /** The seed's `use_organization`. */
  readonly getOrganization: (
    orgId: string,
  ) => Effect.Effect<Organization, OrganizationNotFound | InvalidRequest | StoreError>
  /** Every organization, oldest first. */
  readonly listOrganizations: () => Effect.Effect<ReadonlyArray<Organization>, StoreError>
  /** Creates a project in the organization; its name is trimmed, 1 to 255 characters, and unique there. */
  readonly createProject: (
    orgId: string,
    name: string,
  ) => Effect.Effect<Project, OrganizationNotFound | AlreadyExists | InvalidRequest | StoreError>
  /** The organization's project with this name, created if there is none. */
  readonly getOrCreateProject: (
    orgId: string,
    name: string,
  ) => Effect.Effect<GetOrCreated<Project>, OrganizationNotFound | InvalidRequest | StoreError>
  /** The project with this id. */
  readonly getProject: (
    projectId: string,
  ) => Effect.Effect<Project, ProjectNotFound | InvalidRequest | StoreError>
  /** The organization's projects, oldest first. */
  readonly listProjects: (
    orgId: string,
  ) => Effect.Effect<ReadonlyArray<Project>, OrganizationNotFound | InvalidRequest | StoreError>
  /** Creates a product in the organization; its name is trimmed, 1 to 255 characters, and unique there. */
  readonly createProduct: (
    orgId: string,
    name: string,
  ) => Effect.Effect<Product, OrganizationNotFound | AlreadyExists | InvalidRequest | StoreError>
  /** The organization's product with this name, created if there is none. */
  readonly getOrCreateProduct: (
    orgId: string,
    name: string,
  ) => Effect.Effect<GetOrCreated<Product>, OrganizationNotFound | InvalidRequest | StoreError>
  /** The product with this id. */
  readonly getProduct: (
    productId: string,
  ) => Effect.Effect<Product, ProductNotFound | InvalidRequest | StoreError>
  /** The organization's products, oldest first. */
  readonly listProducts: (
    orgId: string,
  ) => Effect.Effect<ReadonlyArray<Product>, OrganizationNotFound | InvalidRequest | StoreError>
  /** Links a product to a project of the same organization; linking twice is a no-op. */
  readonly addProductToProject: (
    productId: string,
    projectId: string,
  ) => Effect.Effect<void, ProductNotFound | ProjectNotFound | InvalidRequest | StoreError>
  /** The products linked to the project, oldest first. */
  readonly listProjectProducts: (
    projectId: string,
  ) => Effect.Effect<ReadonlyArray<Product>, ProjectNotFound | InvalidRequest | StoreError>
  /**
   * Issues a key. The project and product must belong to `orgId`, and a product given with a
   * project must be linked to it.
   */
  readonly createKey: (
    orgId: string,
    options?: CreateKeyOptions,
  ) => Effect.Effect<
    ApiKeyCreated,
    OrganizationNotFound | ProjectNotFound | ProductNotFound | InvalidRequest | StoreError
  >
  /** The key, if it exists and is neither revoked nor expired. */
  readonly verifyKey: (plaintext: Plaintext) => Effect.Effect<ApiKey, VerifyError>
  /** `verifyKey`, then what the request needs, then the key's rate limit. */
  readonly validateKey: (plaintext: Plaintext, options?: ValidateOptions) => Effect.Effect<ApiKey, ValidateError>
  /** Revokes now; a key already revoked keeps its first revocation time. */
  readonly revokeKey: (keyId: string) => Effect.Effect<ApiKey, KeyNotFound | InvalidRequest | StoreError>
  /** The key with this id, in any status. */
  readonly getKey: (keyId: string) => Effect.Effect<ApiKey, KeyNotFound | InvalidRequest | StoreError>
  /** The organization's keys (all of them, whatever their project), oldest first. */
  readonly listOrgKeys: (
    orgId: string,
    options?: ListKeysOptions,
  ) => Effect.Effect<ReadonlyArray<ApiKey>, OrganizationNotFound | InvalidRequest | StoreError>
  /** The keys placed in the project, oldest first. */
  readonly listProjectKeys: (
    projectId: string,
    options?: ListKeysOptions,
  ) => Effect.Effect<ReadonlyArray<ApiKey>, ProjectNotFound | InvalidRequest | StoreError>
  /**
   * Changes the key's metadata; concurrent updates of one key apply one after the other (each on the
   * one before), so that updates of different fields all land.
   */
  readonly updateKey: (
    keyId: string,
    update: KeyUpdate,
  ) => Effect.Effect<ApiKey, KeyNotFound | InvalidRequest | StoreError>
  /** Deletes the key and its counters for good; a key it replaced no longer points to it. */
  readonly deleteKey: (keyId: string) => Effect.Effect<void, KeyNotFound | InvalidRequest | StoreError>
  /**
   * Issues a key with the old key's place and metadata (plus `metadata` changes); the old key
   * keeps validating for the grace period, then fails with `RevokedKey`, and points to the new
   * one in `replacedBy`.
   *
   * A key is rotated once: rotating a revoked key, or one already rotated (even during its grace
   * period, and even by a concurrent call), fails with `RevokedKey` (`revokedAt` is then when the
   * grace period ends). An expired key fails with `ExpiredKey`, unless `metadata.expiresAt` gives
   * the new key a future expiry or none (`null`). A grace period over 365 days is `InvalidRequest`.
   */
  readonly rotateKey: (
    keyId: string,
    options?: RotateOptions,
  ) => Effect.Effect<ApiKeyCreated, KeyNotFound | RevokedKey | ExpiredKey | InvalidRequest | StoreError>
}

const unavailableLayer = (error: { readonly message: string }) => new KeyStoreUnavailable({ detail: error.message })

/**
 * The service, failing with `KeyStoreClosed` once the scope it was built in has closed (its
 * database is closed then, and every statement would fail as an outage).
 */
const closingWithScope = (service: ApiKeysService): Effect.Effect<ApiKeysService, never, Scope.Scope> =>
  Effect.gen(function* () {
    let closed = false
    yield* Effect.addFinalizer(() => Effect.sync(() => (closed = true)))
    const guard =
      <Args extends ReadonlyArray<unknown>, A, E, R>(method: (...args: Args) => Effect.Effect<A, E, R>) =>
      (...args: Args): Effect.Effect<A, E | KeyStoreClosed, R> =>
        Effect.suspend((): Effect.Effect<A, E | KeyStoreClosed, R> =>
          closed ? Effect.fail(new KeyStoreClosed()) : method(...args)
        )
    // Every member of the service is a method returning an Effect: each one is guarded.
    return Object.fromEntries(
      Object.entries(service).map(([name, method]) => [name, guard(method)]),
    ) as unknown as ApiKeysService
  })

/** The service on the `SqlClient` in context, migrated first unless `migrate: false`, and the uses it counts. */
const build = (options: ApiKeysOptions) =>
  Effect.andThen(
    options.migrate === false ? Effect.void : Effect.mapError(migrate, unavailableLayer),
    Effect.flatMap(
      makeCountingApiKeys(options),
      ({ keys, usage }) => Effect.map(closingWithScope(keys), (closing) => ({ keys: closing, usage })),
    ),
  )

/**
 * `ApiKeys.layer`, and the `UsageBuffer` of its service: for the key-service mock, whose reset replaces every row
 * and so forgets the uses not yet written.
 */
export const layerWithUsage = (
  options: ApiKeysOptions = {},
): Layer.Layer<ApiKeys | UsageBuffer, KeyStoreUnavailable, SqlClient.SqlClient> =>
  Layer.effectContext(
    Effect.map(build(options), ({ keys, usage }) => Context.make(ApiKeys, keys).pipe(Context.add(UsageBuffer, usage))),
  )

const ApiKeysBase: Context.ServiceClass<ApiKeys, "@gatehouse/sdk/ApiKeys", ApiKeysService> = Context.Service<
  ApiKeys,
  ApiKeysService
>()("@gatehouse/sdk/ApiKeys")

/**
 * The key service.
 *
 * `ApiKeys.layer` runs on the `SqlClient` you provide (and applies the migrations);
 * `ApiKeys.layerUrl` on the database a URL names (`sqlite:///keys.db`, `postgres://...`,
 * `mysql://...`), `ApiKeys.layerConfig` on `APIKEYS_DATABASE_URL`; `ApiKeys.layerSqlite` brings
 * its own SQLite database, a file or `":memory:"`. A remote key service is `ApiKeysHttp.layer`.
 *
 * @example
 * ```ts
 * import { Effect, Redacted } from "effect"
 * import { ApiKeys } from "@gatehouse/sdk/apikeys"
 *
 * const program = Effect.gen(function* () {
 *   const keys = yield* ApiKeys
 *   const org = yield* keys.createOrganization("Acme")
 *   const { plaintext } = yield* keys.createKey(org.id, { metadata: { scopes: ["read"], rateLimit: 60 } })
 *   return yield* keys.validateKey(plaintext, { requiredScopes: ["read"] })
 * }).pipe(Effect.provide(ApiKeys.layerSqlite({ filename: "keys.db" })))
 * ```
 */
export class ApiKeys extends ApiKeysBase {
  /**
   * On the `SqlClient` in context; applies pending migrations first unless `migrate: false`.
   *
   * @example
   * ```ts
   * import { Layer, Redacted } from "effect"
   * import { PgClient } from "@effect/sql-pg"
   * import { ApiKeys } from "@gatehouse/sdk/apikeys"
   *
   * const layer = ApiKeys.layer().pipe(
   *   Layer.provide(PgClient.layer({ url: Redacted.make("postgres://postgres@127.0.0.1:5432/postgres") })),
   * )
   * ```
   */
  static readonly layer = (
    options: ApiKeysOptions = {},
  ): Layer.Layer<ApiKeys, KeyStoreUnavailable, SqlClient.SqlClient> =>
    Layer.effect(ApiKeys, Effect.map(build(options), ({ keys }) => keys))

  /**
   * On a `node:sqlite` database: a file that survives restarts, or `":memory:"`.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { ApiKeys } from "@gatehouse/sdk/apikeys"
   *
   * const orgs = Effect.flatMap(ApiKeys, (keys) => keys.listOrganizations()).pipe(
   *   Effect.provide(ApiKeys.layerSqlite({ filename: "keys.db" })),
   * )
   * ```
   */
  static readonly layerSqlite = (
    options: ApiKeysOptions & SqliteOptions,
  ): Layer.Layer<ApiKeys, KeyStoreUnavailable> =>
    ApiKeys.layer(options).pipe(
      Layer.provide(
        Layer.effect(SqlClient.SqlClient, Effect.mapError(SqliteClient.make(options), unavailableLayer)).pipe(
          Layer.provide(SqliteClient.reactivity),
        ),
      ),
    )

  /**
   * On the database a URL names, as the seed's `APIKeyClient(db_url)`: `sqlite:///keys.db`,
   * `sqlite://:memory:`, `postgres://` or `postgresql://`, `mysql://` or `mariadb://`, with an
   * optional `+driver` suffix. An unsupported URL fails with `InvalidDatabaseUrl`.
   */
  static readonly layerUrl = (
    url: string | Redacted.Redacted<string>,
    options: ApiKeysOptions = {},
  ): Layer.Layer<ApiKeys, InvalidDatabaseUrl | KeyStoreUnavailable> =>
    ApiKeys.layer(options).pipe(Layer.provide(sqlClientLayer(url)))

  /** {@linkcode ApiKeys.layerUrl} on the URL in `APIKEYS_DATABASE_URL` (read through `Config`). */
  static readonly layerConfig = (
    options: ApiKeysOptions = {},
  ): Layer.Layer<ApiKeys, InvalidDatabaseUrl | KeyStoreUnavailable | Config.ConfigError> =>
    Layer.unwrap(Effect.map(Config.Redacted("APIKEYS_DATABASE_URL"), (url) => ApiKeys.layerUrl(url, options)))
}
