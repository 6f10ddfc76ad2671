/**
 * The `ApiKeys` service: organizations, projects, products and API keys on any `effect/sql`
 * `SqlClient` (SQLite through {@linkcode SqliteClient}, PostgreSQL through `@effect/sql-pg`).
 *
 * Validation runs in the seed's order (contracts §4.1, §4.4): format (no database access) ->
 * prefix lookup + constant-time hash comparison -> revoked -> expired -> organization -> project ->
 * product -> scopes; then, beyond the seed, the key's rate limit and its usage counters, each one
 * atomic statement so that concurrent validations lose no update.
 *
 * @module
 */
import { Clock, Context, Duration, Effect, Layer, Redacted, Schema } from "effect"
import { SqlClient, type SqlError } from "effect/sql"
import {
  type ApiKey,
  type KeyMetadata,
  KeyMetadataJson,
  type KeyStatus,
  type Organization,
  type Product,
  type Project,
  type RateLimit,
  WINDOW_MILLIS,
} from "./contract.ts"
import {
  ExpiredKey,
  InsufficientScope,
  InvalidKey,
  InvalidRequest,
  KeyNotFound,
  KeyStoreUnavailable,
  OrganizationNotFound,
  ProductNotFound,
  ProjectNotFound,
  QuotaExceeded,
  RevokedKey,
  type ValidateError,
  type VerifyError,
} from "./errors.ts"
import { checkDate, gracePeriodMillis } from "./_input.ts"
import { DEFAULT_KEY_PREFIX, generateKey, hashesEqual, type Plaintext, revealKey, storedForm } from "./key_format.ts"
import { migrate } from "./migrations.ts"
import { SqliteClient, type SqliteOptions } from "./sqlite.ts"

/** Metadata given when a key is created; everything is optional. */
export interface KeyMetadataInput {
  readonly name?: string | undefined
  /** @default [] */
  readonly scopes?: ReadonlyArray<string> | undefined
  /** A number of requests per minute, or a limit per window. Unlimited when absent. */
  readonly rateLimit?: number | RateLimit | undefined
  /** When the key stops validating. Never when absent. */
  readonly expiresAt?: Date | undefined
  /** Your own JSON: a user id, a plan. @default {} */
  readonly custom?: Readonly<Record<string, Schema.Json>> | undefined
}

/** Where a new key applies (the whole organization when neither is given), and its metadata. */
export interface CreateKeyOptions {
  readonly projectId?: string | undefined
  readonly productId?: string | undefined
  readonly metadata?: KeyMetadataInput | undefined
}

/** A new key and its plaintext, `Redacted`: show it to its owner once; it is not stored. */
export interface ApiKeyCreated {
  readonly key: ApiKey
  readonly plaintext: Redacted.Redacted<string>
}

/** What a request needs of a key. Each absent field is not checked. */
export interface ValidateOptions {
  readonly orgId?: string | undefined
  readonly projectId?: string | undefined
  readonly productId?: string | undefined
  /** Every one of these must be among the key's scopes. */
  readonly requiredScopes?: ReadonlyArray<string> | undefined
}

/** Filters of the list calls. */
export interface ListKeysOptions {
  /** Only keys in this status now. */
  readonly status?: KeyStatus | undefined
}

/** Changes to a key's metadata; `null` clears an optional field, `undefined` keeps it. */
export interface KeyUpdate {
  readonly name?: string | null | undefined
  readonly scopes?: ReadonlyArray<string> | undefined
  readonly rateLimit?: number | RateLimit | null | undefined
  readonly expiresAt?: Date | null | undefined
  readonly custom?: Readonly<Record<string, Schema.Json>> | undefined
}

/** Options of `rotateKey`. */
export interface RotateOptions {
  /** How long the old key keeps validating, at most 365 days. @default "1 hour" */
  readonly gracePeriod?: Duration.Input | undefined
  /** Changes to the metadata the new key inherits from the old one. */
  readonly metadata?: KeyUpdate | undefined
}

/** Options of every `ApiKeys` layer. */
export interface ApiKeysOptions {
  /** The text before `_` in new keys, and the only one accepted. @default "sk" */
  readonly keyPrefix?: string | undefined
  /**
   * A server-side secret: hashes become HMAC-SHA256 under it, so that a leaked table cannot be
   * checked against guessed keys. Changing it invalidates every key. @default none (plain SHA-256, as the seed)
   */
  readonly pepper?: Redacted.Redacted<string> | undefined
  /** Record `lastUsedAt` and `useCount` on each successful verification or validation. @default true */
  readonly trackUsage?: boolean | undefined
  /** Apply pending migrations when the layer is built. @default true */
  readonly migrate?: boolean | undefined
}

type Storage = KeyStoreUnavailable

/** The key service. Every method can also fail with `KeyStoreUnavailable`. */
export interface ApiKeysService {
  readonly createOrganization: (name: string) => Effect.Effect<Organization, InvalidRequest | Storage>
  /** The seed's `use_organization`. */
  readonly getOrganization: (orgId: string) => Effect.Effect<Organization, OrganizationNotFound | Storage>
  readonly listOrganizations: () => Effect.Effect<ReadonlyArray<Organization>, Storage>
  readonly createProject: (
    orgId: string,
    name: string,
  ) => Effect.Effect<Project, OrganizationNotFound | InvalidRequest | Storage>
  readonly getProject: (projectId: string) => Effect.Effect<Project, ProjectNotFound | Storage>
  readonly listProjects: (orgId: string) => Effect.Effect<ReadonlyArray<Project>, OrganizationNotFound | Storage>
  readonly createProduct: (
    orgId: string,
    name: string,
  ) => Effect.Effect<Product, OrganizationNotFound | InvalidRequest | Storage>
  readonly getProduct: (productId: string) => Effect.Effect<Product, ProductNotFound | Storage>
  readonly listProducts: (orgId: string) => Effect.Effect<ReadonlyArray<Product>, OrganizationNotFound | Storage>
  /** Links a product to a project of the same organization; linking twice is a no-op. */
  readonly addProductToProject: (
    productId: string,
    projectId: string,
  ) => Effect.Effect<void, ProductNotFound | ProjectNotFound | InvalidRequest | Storage>
  readonly listProjectProducts: (projectId: string) => Effect.Effect<ReadonlyArray<Product>, ProjectNotFound | Storage>
  /**
   * Issues a key. The project and product must belong to `orgId`, and a product given with a
   * project must be linked to it.
   */
  readonly createKey: (
    orgId: string,
    options?: CreateKeyOptions,
  ) => Effect.Effect<ApiKeyCreated, OrganizationNotFound | ProjectNotFound | ProductNotFound | InvalidRequest | Storage>
  /** The key, if it exists and is neither revoked nor expired. */
  readonly verifyKey: (plaintext: Plaintext) => Effect.Effect<ApiKey, VerifyError>
  /** `verifyKey`, then what the request needs, then the key's rate limit. */
  readonly validateKey: (plaintext: Plaintext, options?: ValidateOptions) => Effect.Effect<ApiKey, ValidateError>
  /** Revokes now; a key already revoked keeps its first revocation time. */
  readonly revokeKey: (keyId: string) => Effect.Effect<ApiKey, KeyNotFound | Storage>
  readonly getKey: (keyId: string) => Effect.Effect<ApiKey, KeyNotFound | Storage>
  readonly listOrgKeys: (
    orgId: string,
    options?: ListKeysOptions,
  ) => Effect.Effect<ReadonlyArray<ApiKey>, OrganizationNotFound | Storage>
  readonly listProjectKeys: (
    projectId: string,
    options?: ListKeysOptions,
  ) => Effect.Effect<ReadonlyArray<ApiKey>, ProjectNotFound | Storage>
  /** Changes the key's metadata; concurrent updates of different fields all apply. */
  readonly updateKey: (
    keyId: string,
    update: KeyUpdate,
  ) => Effect.Effect<ApiKey, KeyNotFound | InvalidRequest | Storage>
  /** Deletes the key and its counters for good; a key it replaced no longer points to it. */
  readonly deleteKey: (keyId: string) => Effect.Effect<void, KeyNotFound | Storage>
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
  ) => Effect.Effect<ApiKeyCreated, KeyNotFound | RevokedKey | ExpiredKey | InvalidRequest | Storage>
}

interface NamedRow {
  readonly id: string
  readonly name: string
  readonly org_id: string
  readonly created_at: unknown
}

interface KeyRow {
  readonly id: string
  readonly org_id: string
  readonly project_id: string | null
  readonly product_id: string | null
  readonly key_prefix: string
  readonly key_hash: string
  readonly metadata: string
  readonly expires_at: unknown
  readonly revoked_at: unknown
  readonly created_at: unknown
  readonly last_used_at: unknown
  readonly use_count: unknown
  readonly replaced_by: string | null
}

const MAX_NAME = 255
const DEFAULT_GRACE: Duration.Input = "1 hour"
/** Compare-and-set rounds of `updateKey`: each round one of the racing writers wins. */
const UPDATE_ATTEMPTS = 32
/** A stored row that does not decode fails with `SchemaError`, hence `KeyStoreUnavailable`. */
const decodeMetadata = Schema.decodeUnknownEffect(KeyMetadataJson)
const encodeMetadata = (metadata: KeyMetadata): Effect.Effect<string, InvalidRequest> =>
  Effect.mapError(
    Schema.encodeEffect(KeyMetadataJson)(metadata),
    (error) => new InvalidRequest({ detail: `metadata is not JSON: ${error.message}` }),
  )

// PostgreSQL returns BIGINT as text; SQLite as a number.
const millis = (value: unknown): number | null => value === null || value === undefined ? null : Number(value)
const dateOf = (value: unknown): Date | null => {
  const ms = millis(value)
  return ms === null ? null : new Date(ms)
}

const statusOf = (row: KeyRow, now: number): KeyStatus => {
  const revokedAt = millis(row.revoked_at)
  if (revokedAt !== null && revokedAt <= now) return "revoked"
  const expiresAt = millis(row.expires_at)
  return expiresAt !== null && expiresAt < now ? "expired" : "active"
}

const toApiKey = (row: KeyRow, metadata: KeyMetadata, now: number): ApiKey => ({
  id: row.id,
  orgId: row.org_id,
  projectId: row.project_id,
  productId: row.product_id,
  keyPrefix: row.key_prefix,
  metadata,
  status: statusOf(row, now),
  revokedAt: dateOf(row.revoked_at),
  createdAt: new Date(Number(row.created_at)),
  lastUsedAt: dateOf(row.last_used_at),
  useCount: Number(row.use_count),
  replacedBy: row.replaced_by,
})

const toOrganization = (row: Omit<NamedRow, "org_id">): Organization => ({
  id: row.id,
  name: row.name,
  createdAt: new Date(Number(row.created_at)),
})

const toProject = (row: NamedRow): Project => ({
  id: row.id,
  name: row.name,
  orgId: row.org_id,
  createdAt: new Date(Number(row.created_at)),
})

const checkName = (what: string, name: string): Effect.Effect<string, InvalidRequest> => {
  const trimmed = typeof name === "string" ? name.trim() : ""
  return trimmed === "" || trimmed.length > MAX_NAME
    ? Effect.fail(new InvalidRequest({ detail: `${what} name must be 1 to ${MAX_NAME} characters` }))
    : Effect.succeed(trimmed)
}

const rateLimitOf = (input: number | RateLimit): RateLimit | InvalidRequest => {
  const limit: RateLimit = typeof input === "number" ? { requests: input, window: "minute" } : input
  return Number.isInteger(limit.requests) && limit.requests > 0 && limit.window in WINDOW_MILLIS
    ? { requests: limit.requests, window: limit.window }
    : new InvalidRequest({ detail: "rateLimit must be a positive integer of requests per second|minute|hour|day" })
}

const scopesOf = (scopes: ReadonlyArray<string>): ReadonlyArray<string> | InvalidRequest =>
  scopes.every((scope) => typeof scope === "string" && scope !== "")
    ? [...new Set(scopes)]
    : new InvalidRequest({ detail: "scopes must be non-empty strings" })

/** Applies `update` to `metadata`, checking each field. */
const updateMetadata = (metadata: KeyMetadata, update: KeyUpdate): Effect.Effect<KeyMetadata, InvalidRequest> =>
  Effect.gen(function* () {
    const next: {
      -readonly [K in keyof KeyMetadata]: KeyMetadata[K]
    } = { ...metadata }
    if (update.name === null) delete next.name
    else if (update.name !== undefined) next.name = yield* checkName("key", update.name)
    if (update.scopes !== undefined) {
      const scopes = scopesOf(update.scopes)
      if (scopes instanceof InvalidRequest) return yield* scopes
      next.scopes = scopes
    }
    if (update.rateLimit === null) delete next.rateLimit
    else if (update.rateLimit !== undefined) {
      const limit = rateLimitOf(update.rateLimit)
      if (limit instanceof InvalidRequest) return yield* limit
      next.rateLimit = limit
    }
    if (update.expiresAt === null) delete next.expiresAt
    else if (update.expiresAt !== undefined) next.expiresAt = yield* checkDate("expiresAt", update.expiresAt)
    if (update.custom !== undefined) {
      if (typeof update.custom !== "object" || update.custom === null || Array.isArray(update.custom)) {
        return yield* new InvalidRequest({ detail: "custom must be a JSON object" })
      }
      next.custom = update.custom
    }
    return next
  })

const EMPTY_METADATA: KeyMetadata = { scopes: [], custom: {} }

const unavailable = (error: SqlError.SqlError | Schema.SchemaError): KeyStoreUnavailable =>
  new KeyStoreUnavailable({ detail: error._tag === "SqlError" ? error.message : "stored data does not decode" })

/**
 * Builds the service on the `SqlClient` in context (migrations are not run: see `migrate`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { makeApiKeys, migrate, SqliteClient } from "@gatehouse/sdk/apikeys"
 *
 * const service = Effect.andThen(migrate, makeApiKeys()).pipe(
 *   Effect.provide(SqliteClient.layer({ filename: ":memory:" })),
 * )
 * ```
 */
export const makeApiKeys = (
  options: ApiKeysOptions = {},
): Effect.Effect<ApiKeysService, never, SqlClient.SqlClient> =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const keyPrefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX
    const trackUsage = options.trackUsage ?? true
    const formOptions = { keyPrefix, pepper: options.pepper }

    /** Storage failures become `KeyStoreUnavailable`; the typed errors pass through. */
    const stored = <A, E>(
      effect: Effect.Effect<A, E | SqlError.SqlError | Schema.SchemaError>,
    ): Effect.Effect<A, Exclude<E, SqlError.SqlError | Schema.SchemaError> | KeyStoreUnavailable> =>
      Effect.catchIf(
        effect,
        (error): error is SqlError.SqlError | Schema.SchemaError =>
          typeof error === "object" && error !== null && "_tag" in error &&
          (error._tag === "SqlError" || error._tag === "SchemaError"),
        (error) => Effect.fail(unavailable(error)),
      ) as Effect.Effect<A, Exclude<E, SqlError.SqlError | Schema.SchemaError> | KeyStoreUnavailable>

    const orgRow = (orgId: string) =>
      Effect.flatMap(
        sql<NamedRow>`SELECT id, name, created_at FROM organizations WHERE id = ${orgId}`,
        (rows) => rows.length === 0 ? Effect.fail(new OrganizationNotFound({ orgId })) : Effect.succeed(rows[0]),
      )
    const namedRow = <E>(table: "projects" | "products", id: string, notFound: () => E) =>
      Effect.flatMap(
        sql<NamedRow>`SELECT id, name, org_id, created_at FROM ${sql(table)} WHERE id = ${id}`,
        (rows) => rows.length === 0 ? Effect.fail(notFound()) : Effect.succeed(rows[0]),
      )
    const projectRow = (projectId: string) => namedRow("projects", projectId, () => new ProjectNotFound({ projectId }))
    const productRow = (productId: string) => namedRow("products", productId, () => new ProductNotFound({ productId }))
    const keyRow = (keyId: string) =>
      Effect.flatMap(
        sql<KeyRow>`SELECT * FROM api_keys WHERE id = ${keyId}`,
        (rows) => rows.length === 0 ? Effect.fail(new KeyNotFound({ keyId })) : Effect.succeed(rows[0]),
      )
    const linked = (projectId: string, productId: string) =>
      Effect.map(
        sql`SELECT 1 AS found FROM project_products WHERE project_id = ${projectId} AND product_id = ${productId}`,
        (rows) => rows.length > 0,
      )

    const createNamed = (table: "projects" | "products", orgId: string, name: string) =>
      stored(Effect.gen(function* () {
        const checked = yield* checkName(table === "projects" ? "project" : "product", name)
        yield* orgRow(orgId)
        const row: NamedRow = { id: crypto.randomUUID(), name: checked, org_id: orgId, created_at: yield* now }
        yield* sql`INSERT INTO ${sql(table)} ${sql.insert({ ...row })}`
        return toProject(row)
      }))

    const listNamed = (table: "projects" | "products", orgId: string) =>
      stored(Effect.gen(function* () {
        yield* orgRow(orgId)
        const rows = yield* sql<NamedRow>`SELECT id, name, org_id, created_at FROM ${
          sql(table)
        } WHERE org_id = ${orgId} ORDER BY created_at, id`
        return rows.map(toProject)
      }))

    const now = Clock.currentTimeMillis

    const keyOf = (row: KeyRow, at: number) => Effect.map(decodeMetadata(row.metadata), (m) => toApiKey(row, m, at))

    /** Checks that a new key's project and product exist, belong to `orgId`, and are linked. */
    const checkPlacement = (orgId: string, projectId: string | undefined, productId: string | undefined) =>
      Effect.gen(function* () {
        yield* orgRow(orgId)
        if (projectId !== undefined) {
          const project = yield* projectRow(projectId)
          if (project.org_id !== orgId) {
            return yield* new InvalidRequest({ detail: `Project '${projectId}' belongs to another organization` })
          }
        }
        if (productId !== undefined) {
          const product = yield* productRow(productId)
          if (product.org_id !== orgId) {
            return yield* new InvalidRequest({ detail: `Product '${productId}' belongs to another organization` })
          }
          if (projectId !== undefined && !(yield* linked(projectId, productId))) {
            return yield* new InvalidRequest({
              detail: `Product '${productId}' is not linked to project '${projectId}'`,
            })
          }
        }
      })

    const insertKey = (
      place: { readonly orgId: string; readonly projectId: string | null; readonly productId: string | null },
      metadata: KeyMetadata,
      at: number,
    ) =>
      Effect.gen(function* () {
        const plaintext = generateKey(keyPrefix)
        // A fresh key is always well formed.
        const form = storedForm(Redacted.value(plaintext), formOptions)!
        const row: KeyRow = {
          id: crypto.randomUUID(),
          org_id: place.orgId,
          project_id: place.projectId,
          product_id: place.productId,
          key_prefix: form.prefix,
          key_hash: form.hash,
          metadata: yield* encodeMetadata(metadata),
          expires_at: metadata.expiresAt?.getTime() ?? null,
          revoked_at: null,
          created_at: at,
          last_used_at: null,
          use_count: 0,
          replaced_by: null,
        }
        yield* sql`INSERT INTO api_keys ${sql.insert({ ...row })}`
        return { key: toApiKey(row, metadata, at), plaintext } satisfies ApiKeyCreated
      })

    /** Finds the key of a plaintext and checks it is usable now: the seed's `verify_key`. */
    const lookup = (plaintext: Plaintext) =>
      Effect.gen(function* () {
        const key = revealKey(plaintext)
        const form = typeof key === "string" ? storedForm(key, formOptions) : undefined
        if (form === undefined) return yield* new InvalidKey({ reason: "malformed" })
        const candidates = yield* sql<KeyRow>`SELECT * FROM api_keys WHERE key_prefix = ${form.prefix}`
        let found: KeyRow | undefined
        for (const candidate of candidates) {
          if (hashesEqual(candidate.key_hash, form.hash)) found = candidate
        }
        if (found === undefined) return yield* new InvalidKey({ reason: "not_found" })
        const at = yield* now
        const revokedAt = millis(found.revoked_at)
        if (revokedAt !== null && revokedAt <= at) {
          return yield* new RevokedKey({ keyId: found.id, revokedAt: new Date(revokedAt) })
        }
        const expiresAt = millis(found.expires_at)
        if (expiresAt !== null && expiresAt < at) {
          return yield* new ExpiredKey({ keyId: found.id, expiredAt: new Date(expiresAt) })
        }
        return { row: found, metadata: yield* decodeMetadata(found.metadata), at }
      })

    const checkReach = (row: KeyRow, scopes: ReadonlyArray<string>, options: ValidateOptions) =>
      Effect.gen(function* () {
        const refuse = (reason: InsufficientScope["reason"], missingScopes: ReadonlyArray<string> = []) =>
          new InsufficientScope({ keyId: row.id, reason, missingScopes })
        if (options.orgId !== undefined && options.orgId !== row.org_id) return yield* refuse("organization")
        if (options.projectId !== undefined) {
          const reaches = row.project_id !== null
            ? row.project_id === options.projectId
            : (yield* sql`SELECT 1 AS found FROM projects WHERE id = ${options.projectId} AND org_id = ${row.org_id}`)
              .length > 0
          if (!reaches) return yield* refuse("project")
        }
        if (options.productId !== undefined) {
          const reaches = row.product_id !== null
            ? row.product_id === options.productId
            : row.project_id !== null
            ? yield* linked(row.project_id, options.productId)
            : (yield* sql`SELECT 1 AS found FROM products WHERE id = ${options.productId} AND org_id = ${row.org_id}`)
              .length > 0
          if (!reaches) return yield* refuse("product")
        }
        const missing = (options.requiredScopes ?? []).filter((scope) => !scopes.includes(scope))
        if (missing.length > 0) return yield* refuse("scope", missing)
      })

    /** Counts one request in the key's current window, unless the window is full: one statement. */
    const spend = (row: KeyRow, limit: RateLimit, at: number) =>
      Effect.gen(function* () {
        const size = WINDOW_MILLIS[limit.window]
        const start = Math.floor(at / size) * size
        const counted = yield* sql<{ readonly count: unknown }>`
          INSERT INTO rate_limit_counters (key_id, window_name, window_start, count)
          VALUES (${row.id}, ${limit.window}, ${start}, 1)
          ON CONFLICT (key_id, window_name, window_start)
          DO UPDATE SET count = rate_limit_counters.count + 1 WHERE rate_limit_counters.count < ${limit.requests}
          RETURNING count`
        if (counted.length === 0) {
          return yield* new QuotaExceeded({ keyId: row.id, limit, retryAfter: Duration.millis(start + size - at) })
        }
        if (Number(counted[0].count) === 1) {
          yield* sql`DELETE FROM rate_limit_counters WHERE key_id = ${row.id} AND window_start < ${start}`
        }
      })

    const recordUse = (row: KeyRow, at: number): Effect.Effect<KeyRow, SqlError.SqlError> =>
      trackUsage
        ? Effect.map(
          sql<{ readonly use_count: unknown }>`UPDATE api_keys SET use_count = use_count + 1, last_used_at = ${at}
            WHERE id = ${row.id} RETURNING use_count`,
          (rows) => rows.length === 0 ? row : { ...row, use_count: rows[0].use_count, last_used_at: at },
        )
        : Effect.succeed(row)

    const listKeys = (rows: ReadonlyArray<KeyRow>, options: ListKeysOptions | undefined) =>
      Effect.gen(function* () {
        const at = yield* now
        const keys = yield* Effect.forEach(rows, (row) => keyOf(row, at))
        return options?.status === undefined ? keys : keys.filter((key) => key.status === options.status)
      })

    /** A key is rotated once, and not into an expired successor. */
    const checkRotatable = (row: KeyRow, successor: KeyMetadata, at: number) =>
      Effect.gen(function* () {
        const revokedAt = millis(row.revoked_at)
        if (revokedAt !== null && (revokedAt <= at || row.replaced_by !== null)) {
          return yield* new RevokedKey({ keyId: row.id, revokedAt: new Date(revokedAt) })
        }
        const expiresAt = millis(row.expires_at)
        if (expiresAt !== null && expiresAt < at && (successor.expiresAt?.getTime() ?? Infinity) < at) {
          return yield* new ExpiredKey({ keyId: row.id, expiredAt: new Date(expiresAt) })
        }
      })

    const revokeAt = (keyId: string, at: number) =>
      sql`UPDATE api_keys SET revoked_at = ${at} WHERE id = ${keyId} AND (revoked_at IS NULL OR revoked_at > ${at})`

    return ApiKeys.of({
      createOrganization: (name) =>
        stored(Effect.gen(function* () {
          const row = { id: crypto.randomUUID(), name: yield* checkName("organization", name), created_at: yield* now }
          yield* sql`INSERT INTO organizations ${sql.insert(row)}`
          return toOrganization(row)
        })),
      getOrganization: (orgId) => stored(Effect.map(orgRow(orgId), toOrganization)),
      listOrganizations: () =>
        stored(
          Effect.map(
            sql<NamedRow>`SELECT id, name, created_at FROM organizations ORDER BY created_at, id`,
            (rows) => rows.map(toOrganization),
          ),
        ),
      createProject: (orgId, name) => createNamed("projects", orgId, name),
      getProject: (projectId) => stored(Effect.map(projectRow(projectId), toProject)),
      listProjects: (orgId) => listNamed("projects", orgId),
      createProduct: (orgId, name) => createNamed("products", orgId, name),
      getProduct: (productId) => stored(Effect.map(productRow(productId), toProject)),
      listProducts: (orgId) => listNamed("products", orgId),
      addProductToProject: (productId, projectId) =>
        stored(Effect.gen(function* () {
          const product = yield* productRow(productId)
          const project = yield* projectRow(projectId)
          if (product.org_id !== project.org_id) {
            return yield* new InvalidRequest({
              detail: "A product can only be linked to a project of its organization",
            })
          }
          yield* sql`INSERT INTO project_products (project_id, product_id) VALUES (${projectId}, ${productId})
            ON CONFLICT (project_id, product_id) DO NOTHING`
        })),
      listProjectProducts: (projectId) =>
        stored(Effect.gen(function* () {
          yield* projectRow(projectId)
          const rows = yield* sql<NamedRow>`SELECT p.id, p.name, p.org_id, p.created_at FROM products p
            JOIN project_products pp ON pp.product_id = p.id WHERE pp.project_id = ${projectId}
            ORDER BY p.created_at, p.id`
          return rows.map(toProject)
        })),
      createKey: (orgId, createOptions = {}) =>
        stored(Effect.gen(function* () {
          const metadata = yield* updateMetadata(EMPTY_METADATA, createOptions.metadata ?? {})
          yield* checkPlacement(orgId, createOptions.projectId, createOptions.productId)
          return yield* insertKey(
            { orgId, projectId: createOptions.projectId ?? null, productId: createOptions.productId ?? null },
            metadata,
            yield* now,
          )
        })),
      verifyKey: (plaintext) =>
        stored(Effect.gen(function* () {
          const { row, metadata, at } = yield* lookup(plaintext)
          return toApiKey(yield* recordUse(row, at), metadata, at)
        })),
      validateKey: (plaintext, validateOptions = {}) =>
        stored(Effect.gen(function* () {
          const { row, metadata, at } = yield* lookup(plaintext)
          yield* checkReach(row, metadata.scopes, validateOptions)
          if (metadata.rateLimit !== undefined) yield* spend(row, metadata.rateLimit, at)
          return toApiKey(yield* recordUse(row, at), metadata, at)
        })),
      revokeKey: (keyId) =>
        stored(Effect.gen(function* () {
          const at = yield* now
          yield* revokeAt(keyId, at)
          return yield* keyOf(yield* keyRow(keyId), at)
        })),
      getKey: (keyId) => stored(Effect.flatMap(keyRow(keyId), (row) => Effect.flatMap(now, (at) => keyOf(row, at)))),
      listOrgKeys: (orgId, listOptions) =>
        stored(Effect.gen(function* () {
          yield* orgRow(orgId)
          const rows = yield* sql<KeyRow>`SELECT * FROM api_keys WHERE org_id = ${orgId} ORDER BY created_at, id`
          return yield* listKeys(rows, listOptions)
        })),
      listProjectKeys: (projectId, listOptions) =>
        stored(Effect.gen(function* () {
          yield* projectRow(projectId)
          const rows = yield* sql<KeyRow>`SELECT * FROM api_keys WHERE project_id = ${projectId}
            ORDER BY created_at, id`
          return yield* listKeys(rows, listOptions)
        })),
      updateKey: (keyId, update) =>
        stored(Effect.gen(function* () {
          // Compare-and-set on the metadata read, so that a concurrent update is never overwritten.
          for (let attempt = 0; attempt < UPDATE_ATTEMPTS; attempt++) {
            const row = yield* keyRow(keyId)
            const metadata = yield* updateMetadata(yield* decodeMetadata(row.metadata), update)
            const encoded = yield* encodeMetadata(metadata)
            const updated = yield* sql<KeyRow>`UPDATE api_keys
              SET metadata = ${encoded}, expires_at = ${metadata.expiresAt?.getTime() ?? null}
              WHERE id = ${keyId} AND metadata = ${row.metadata} RETURNING *`
            if (updated.length > 0) return toApiKey(updated[0], metadata, yield* now)
          }
          return yield* new KeyStoreUnavailable({ detail: `Key '${keyId}' changed under too many concurrent updates` })
        })),
      deleteKey: (keyId) =>
        stored(sql.withTransaction(Effect.gen(function* () {
          yield* sql`UPDATE api_keys SET replaced_by = NULL WHERE replaced_by = ${keyId}`
          const rows = yield* sql`DELETE FROM api_keys WHERE id = ${keyId} RETURNING id`
          if (rows.length === 0) return yield* new KeyNotFound({ keyId })
        }))),
      rotateKey: (keyId, rotateOptions = {}) =>
        stored(Effect.gen(function* () {
          const grace = yield* gracePeriodMillis(rotateOptions.gracePeriod ?? DEFAULT_GRACE)
          const old = yield* keyRow(keyId)
          const at = yield* now
          const metadata = yield* updateMetadata(yield* decodeMetadata(old.metadata), rotateOptions.metadata ?? {})
          yield* checkRotatable(old, metadata, at)
          const until = at + grace
          return yield* sql.withTransaction(Effect.gen(function* () {
            const created = yield* insertKey(
              { orgId: old.org_id, projectId: old.project_id, productId: old.product_id },
              metadata,
              at,
            )
            // Claims the old key: of concurrent rotations, only the first to commit matches.
            const claimed = yield* sql`UPDATE api_keys SET replaced_by = ${created.key.id},
              revoked_at = CASE WHEN revoked_at IS NULL OR revoked_at > ${until} THEN ${until} ELSE revoked_at END
              WHERE id = ${keyId} AND replaced_by IS NULL AND (revoked_at IS NULL OR revoked_at > ${at})
              RETURNING id`
            if (claimed.length > 0) return created
            const current = yield* keyRow(keyId)
            return yield* new RevokedKey({ keyId, revokedAt: dateOf(current.revoked_at) ?? new Date(at) })
          }))
        })),
    })
  })

const unavailableLayer = (error: { readonly message: string }) => new KeyStoreUnavailable({ detail: error.message })

/**
 * The key service.
 *
 * `ApiKeys.layer` runs on the `SqlClient` you provide (and applies the migrations);
 * `ApiKeys.layerSqlite` brings its own SQLite database, a file or `":memory:"`. For PostgreSQL,
 * provide `PgClient.layer` from `@effect/sql-pg`. A remote key service is `ApiKeysHttp.layer`.
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
export class ApiKeys extends Context.Service<ApiKeys, ApiKeysService>()("@gatehouse/sdk/ApiKeys") {
  /** On the `SqlClient` in context; applies pending migrations first unless `migrate: false`. */
  static readonly layer = (
    options: ApiKeysOptions = {},
  ): Layer.Layer<ApiKeys, KeyStoreUnavailable, SqlClient.SqlClient> =>
    Layer.effect(
      ApiKeys,
      Effect.andThen(
        options.migrate === false ? Effect.void : Effect.mapError(migrate, unavailableLayer),
        makeApiKeys(options),
      ),
    )

  /** On a `node:sqlite` database: a file that survives restarts, or `":memory:"`. */
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
}
