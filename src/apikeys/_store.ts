// The key service's rows and SQL statements, on the `SqlClient` in context (the schema is in migrations.ts).
//
// Each row is decoded by a schema (SqlSchema); a statement that fails, or a row that does not decode, fails
// with `KeyStoreUnavailable`. The statements that race under concurrency are each one atomic statement: the
// rate-limit count (with the use count folded in on PostgreSQL), the use counts, and the compare-and-set of
// `claimForRotation`; a metadata update holds the key's row (`withKeyLocked`).
// MySQL has neither `RETURNING` nor `ON CONFLICT`: there, each of those is its own statement, read back in the
// same transaction (the row stays locked until it commits), or counted by the rows it changed.
import { Effect, Exit, Option, Schema, SchemaTransformation } from "effect"
import { SqlClient, SqlError, SqlSchema } from "effect/sql"
import {
  type ApiKey,
  type KeyMetadata,
  type KeyStatus,
  type Organization,
  type Project,
  RateLimitWindow,
} from "./contract.ts"
import {
  AlreadyExists,
  KeyNotFound,
  KeyStoreUnavailable,
  OrganizationNotFound,
  ProductNotFound,
  ProjectNotFound,
} from "./errors.ts"
import { undecodable } from "./_metadata.ts"

/** A `BIGINT` column: SQLite reads it as a number, `@effect/sql-pg` as a `bigint`, other drivers as text. */
const BigIntColumn = Schema.Union([
  Schema.Int,
  Schema.BigInt.pipe(Schema.decodeTo(
    Schema.Int,
    SchemaTransformation.transform({ decode: (n: bigint) => Number(n), encode: (n: number) => BigInt(n) }),
  )),
  Schema.FiniteFromString.check(Schema.isInt()),
])

/** An instant, stored as epoch milliseconds (exact on both databases, and cheap to compare). */
const Instant = BigIntColumn.pipe(Schema.decodeTo(Schema.Date, SchemaTransformation.dateFromMillis))

const OrganizationRow = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  createdAt: Instant,
}).pipe(Schema.encodeKeys({ createdAt: "created_at" }))

/** A row of `projects` or `products`: the two tables have the same shape. */
const ProjectRow = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  orgId: Schema.String,
  createdAt: Instant,
}).pipe(Schema.encodeKeys({ orgId: "org_id", createdAt: "created_at" }))

/**
 * A row of `api_keys`, under its column names: it is not the `ApiKey` model (that one has a status
 * and decoded metadata, and no hash), and renaming 13 columns on the hot path of every validation
 * would double the cost of decoding it.
 */
const KeyRow = Schema.Struct({
  id: Schema.String,
  org_id: Schema.String,
  project_id: Schema.NullOr(Schema.String),
  product_id: Schema.NullOr(Schema.String),
  key_prefix: Schema.String,
  key_hash: Schema.String,
  /** The metadata's JSON text, as stored: decoded once the key is known usable, and compared as is. */
  metadata: Schema.String,
  /** `metadata.expiresAt`, in a column of its own. */
  expires_at: Schema.NullOr(Instant),
  /** In the future while a rotated key's grace period runs. */
  revoked_at: Schema.NullOr(Instant),
  created_at: Instant,
  last_used_at: Schema.NullOr(Instant),
  use_count: BigIntColumn,
  replaced_by: Schema.NullOr(Schema.String),
})

/** A row of `api_keys`. */
export type StoredKey = typeof KeyRow.Type

const decodeKeyRowSchema = Schema.decodeUnknownExit(KeyRow)

/** A `BIGINT` column as a number: what `BigIntColumn` reads from a number or a `bigint`; `undefined` otherwise. */
const intOf = (value: unknown): number | undefined => {
  const n = typeof value === "number" ? value : typeof value === "bigint" ? Number(value) : undefined
  return n !== undefined && Number.isSafeInteger(n) ? n : undefined
}

/** An instant column as `Instant` reads it (a valid `Date`), `null` as `null`; `undefined` for anything else. */
const instantOf = (value: unknown): Date | null | undefined => {
  if (value === null) return null
  const millis = intOf(value)
  if (millis === undefined) return undefined
  const date = new Date(millis)
  return Number.isNaN(date.getTime()) ? undefined : date
}

const isNullableString = (value: unknown): value is string | null => value === null || typeof value === "string"

/**
 * A row of `api_keys` as `KeyRow` decodes it, read column by column in the shapes SQLite and PostgreSQL answer
 * with (text, `null`, integers as numbers or `bigint`s); any other shape (MySQL's integers as text, a row that
 * does not decode) goes through the schema, which stays the one definition of the row. The hot path of every
 * validation: about a tenth of the cost of the schema's interpreter (0.5 µs against 5 µs a row on Deno).
 */
export const decodeKeyRow = (row: unknown): Exit.Exit<StoredKey, Schema.SchemaError> => {
  if (typeof row !== "object" || row === null) return decodeKeyRowSchema(row)
  const r = row as Record<keyof StoredKey, unknown>
  const { id, org_id, project_id, product_id, key_prefix, key_hash, metadata, replaced_by } = r
  const expires_at = instantOf(r.expires_at)
  const revoked_at = instantOf(r.revoked_at)
  const created_at = instantOf(r.created_at)
  const last_used_at = instantOf(r.last_used_at)
  const use_count = intOf(r.use_count)
  return typeof id === "string" && typeof org_id === "string" && isNullableString(project_id) &&
      isNullableString(product_id) && typeof key_prefix === "string" && typeof key_hash === "string" &&
      typeof metadata === "string" && expires_at !== undefined && revoked_at !== undefined &&
      created_at instanceof Date &&
      last_used_at !== undefined && use_count !== undefined && isNullableString(replaced_by)
    ? Exit.succeed({
      id,
      org_id,
      project_id,
      product_id,
      key_prefix,
      key_hash,
      metadata,
      expires_at,
      revoked_at,
      created_at,
      last_used_at,
      use_count,
      replaced_by,
    })
    : decodeKeyRowSchema(row)
}

/** Uses to add, per key: how many, and the latest instant. */
export type UseBatch = ReadonlyArray<{ readonly id: string; readonly count: number; readonly at: number }>

/** Where a key stands at `at`: `revoked` wins over `expired`. */
const statusOf = (key: StoredKey, at: number): KeyStatus =>
  key.revoked_at !== null && key.revoked_at.getTime() <= at
    ? "revoked"
    : key.expires_at !== null && key.expires_at.getTime() < at
    ? "expired"
    : "active"

/** The key as the service answers it at `at`, with its decoded `metadata`. */
export const toApiKey = (key: StoredKey, metadata: KeyMetadata, at: number): ApiKey => ({
  id: key.id,
  orgId: key.org_id,
  projectId: key.project_id,
  productId: key.product_id,
  keyPrefix: key.key_prefix,
  metadata,
  status: statusOf(key, at),
  revokedAt: key.revoked_at,
  createdAt: key.created_at,
  lastUsedAt: key.last_used_at,
  useCount: key.use_count,
  replacedBy: key.replaced_by,
})

type StorageError = SqlError.SqlError | Schema.SchemaError

const isStorageError = (error: unknown): error is StorageError =>
  typeof error === "object" && error !== null && "_tag" in error &&
  (error._tag === "SqlError" || error._tag === "SchemaError")

/** What a storage failure is to a caller. */
const unavailable = (error: StorageError): KeyStoreUnavailable =>
  error._tag === "SqlError" ? new KeyStoreUnavailable({ detail: error.message }) : undecodable()

/** Storage failures become `KeyStoreUnavailable`; the typed errors pass through. */
const stored = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
): Effect.Effect<A, Exclude<E, StorageError> | KeyStoreUnavailable, R> =>
  Effect.mapError(effect, (error) => isStorageError(error) ? unavailable(error) : error as Exclude<E, StorageError>)

/**
 * An insert of a named row: a name already taken fails with `AlreadyExists`, carrying the id of
 * the row that has it (`existing` finds it).
 */
const uniquelyNamed = <R, R2>(
  insert: Effect.Effect<void, StorageError, R>,
  kind: AlreadyExists["kind"],
  name: string,
  existing: Effect.Effect<ReadonlyArray<{ readonly id: string }>, SqlError.SqlError, R2>,
): Effect.Effect<void, AlreadyExists | KeyStoreUnavailable, R | R2> =>
  stored(Effect.catchIf(
    insert,
    (error) => error._tag === "SqlError" && error.reason._tag === "UniqueViolation",
    (error) =>
      Effect.flatMap(existing, (rows): Effect.Effect<never, StorageError | AlreadyExists> =>
        rows.length === 0
          ? Effect.fail(error)
          : Effect.fail(new AlreadyExists({ kind, takenName: name, existingId: rows[0].id }))),
  ))

/** The row, or `notFound()` when there is none. */
const orNotFound = <A, E, R, N>(
  effect: Effect.Effect<Option.Option<A>, E, R>,
  notFound: () => N,
): Effect.Effect<A, E | N, R> =>
  Effect.flatMap(effect, Option.match({ onNone: () => Effect.fail(notFound()), onSome: Effect.succeed }))

/**
 * The statements of the key service. Every one fails with `KeyStoreUnavailable` when the database
 * does, and lookups by id with the seed's not-found error.
 */
export const makeStore = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const mysql = sql.onDialectOrElse({ mysql: () => true, orElse: () => false })
  /** MySQL rolls a deadlocked transaction back whole: it is run again, as InnoDB advises. */
  const retryDeadlock = <A, E extends { readonly _tag: string }, R>(effect: Effect.Effect<A, E, R>) =>
    mysql
      ? Effect.retry(effect, {
        while: (error) => SqlError.isSqlError(error) && error.reason._tag === "DeadlockError",
        times: 10,
      })
      : effect
  /**
   * MySQL's statements that read back what they wrote run in a transaction of their own (not a savepoint:
   * a deadlock rolls the whole transaction back), run again on a deadlock.
   */
  const transactional = <A, E extends { readonly _tag: string }, R>(effect: Effect.Effect<A, E, R>) =>
    mysql ? retryDeadlock(sql.withTransaction(effect)) : effect
  /** How many rows a MySQL statement matched. */
  const matched = (statement: { readonly raw: Effect.Effect<unknown, SqlError.SqlError> }) =>
    Effect.map(statement.raw, (header) => Number((header as { readonly affectedRows?: unknown }).affectedRows ?? 0))

  const organization = SqlSchema.findOneOption({
    Request: Schema.String,
    Result: OrganizationRow,
    execute: (id) => sql`SELECT id, name, created_at FROM organizations WHERE id = ${id}`,
  })
  const organizations = SqlSchema.findAll({
    Request: Schema.Void,
    Result: OrganizationRow,
    execute: () => sql`SELECT id, name, created_at FROM organizations ORDER BY created_at, id`,
  })
  const insertOrganization = SqlSchema.void({
    Request: OrganizationRow,
    execute: (row) => sql`INSERT INTO organizations ${sql.insert(row)}`,
  })

  /** `projects` and `products`: the same statements on two tables. */
  const named = <N>(table: "projects" | "products", notFound: (id: string) => N) => {
    const byId = SqlSchema.findOneOption({
      Request: Schema.String,
      Result: ProjectRow,
      execute: (id) => sql`SELECT id, name, org_id, created_at FROM ${sql(table)} WHERE id = ${id}`,
    })
    const byOrganization = SqlSchema.findAll({
      Request: Schema.String,
      Result: ProjectRow,
      execute: (orgId) =>
        sql`SELECT id, name, org_id, created_at FROM ${sql(table)} WHERE org_id = ${orgId} ORDER BY created_at, id`,
    })
    const insert = SqlSchema.void({
      Request: ProjectRow,
      execute: (row) => sql`INSERT INTO ${sql(table)} ${sql.insert(row)}`,
    })
    return {
      get: (id: string): Effect.Effect<Project, N | KeyStoreUnavailable> =>
        stored(orNotFound(byId(id), () => notFound(id))),
      list: (orgId: string): Effect.Effect<ReadonlyArray<Project>, KeyStoreUnavailable> =>
        stored(byOrganization(orgId)),
      /** Inserts the row; its name must be new in its organization. */
      insert: (row: Project): Effect.Effect<void, AlreadyExists | KeyStoreUnavailable> =>
        uniquelyNamed(
          insert(row),
          table === "projects" ? "project" : "product",
          row.name,
          sql<{ id: string }>`SELECT id FROM ${sql(table)} WHERE org_id = ${row.orgId} AND name = ${row.name}`,
        ),
      /** Whether the row `id` exists and belongs to `orgId`. */
      inOrganization: (id: string, orgId: string): Effect.Effect<boolean, KeyStoreUnavailable> =>
        stored(Effect.map(
          sql`SELECT 1 AS found FROM ${sql(table)} WHERE id = ${id} AND org_id = ${orgId}`,
          (rows) => rows.length > 0,
        )),
    }
  }

  const projectProducts = SqlSchema.findAll({
    Request: Schema.String,
    Result: ProjectRow,
    execute: (projectId) =>
      sql`SELECT p.id, p.name, p.org_id, p.created_at FROM products p
        JOIN project_products pp ON pp.product_id = p.id WHERE pp.project_id = ${projectId}
        ORDER BY p.created_at, p.id`,
  })

  const key = SqlSchema.findOneOption({
    Request: Schema.String,
    Result: KeyRow,
    execute: (id) => sql`SELECT * FROM api_keys WHERE id = ${id}`,
  })
  // The hot path of every validation: one indexed read (`key_hash` is unique), its row decoded synchronously, and
  // its failures made `KeyStoreUnavailable`, in one step.
  const keyWithHash = (hash: string): Effect.Effect<StoredKey | undefined, KeyStoreUnavailable> =>
    Effect.matchEffect(sql`SELECT * FROM api_keys WHERE key_hash = ${hash}`, {
      onFailure: (error) => Effect.fail(unavailable(error)),
      onSuccess: (rows): Exit.Exit<StoredKey | undefined, KeyStoreUnavailable> => {
        if (rows.length === 0) return Exit.succeed(undefined)
        const decoded = decodeKeyRow(rows[0])
        return Exit.isSuccess(decoded) ? Exit.succeed(decoded.value) : Exit.fail(undecodable())
      },
    })
  const keysOfOrganization = SqlSchema.findAll({
    Request: Schema.String,
    Result: KeyRow,
    execute: (orgId) => sql`SELECT * FROM api_keys WHERE org_id = ${orgId} ORDER BY created_at, id`,
  })
  const keysOfProject = SqlSchema.findAll({
    Request: Schema.String,
    Result: KeyRow,
    execute: (projectId) => sql`SELECT * FROM api_keys WHERE project_id = ${projectId} ORDER BY created_at, id`,
  })
  const insertKey = SqlSchema.void({
    Request: KeyRow,
    execute: (row) => sql`INSERT INTO api_keys ${sql.insert(row)}`,
  })
  const recordUse = SqlSchema.findOneOption({
    Request: Schema.Struct({ keyId: Schema.String, at: Schema.Number }),
    Result: Schema.Struct({ use_count: BigIntColumn }),
    execute: ({ keyId, at }) =>
      // MySQL: read back in the caller's transaction (`transactional`), which holds the row.
      mysql
        ? Effect.andThen(
          sql`UPDATE api_keys SET use_count = use_count + 1, last_used_at = ${at} WHERE id = ${keyId}`,
          sql`SELECT use_count FROM api_keys WHERE id = ${keyId}`,
        )
        : sql`UPDATE api_keys SET use_count = use_count + 1, last_used_at = ${at} WHERE id = ${keyId} RETURNING use_count`,
  })
  const CountRequest = Schema.Struct({
    keyId: Schema.String,
    window: RateLimitWindow,
    windowStart: Schema.Number,
    limit: Schema.Number,
  })
  const countStatement = ({ keyId, window, windowStart, limit }: typeof CountRequest.Type) =>
    sql`INSERT INTO rate_limit_counters (key_id, window_name, window_start, count)
      VALUES (${keyId}, ${window}, ${windowStart}, 1)
      ON CONFLICT (key_id, window_name, window_start)
      DO UPDATE SET count = rate_limit_counters.count + 1 WHERE rate_limit_counters.count < ${limit}
      RETURNING count`
  /** MySQL's `countStatement`: the row made sure of, counted unless full, and read back, in one transaction. */
  const countMysql = ({ keyId, window, windowStart, limit }: typeof CountRequest.Type) =>
    Effect.gen(function* () {
      yield* sql`INSERT INTO rate_limit_counters (key_id, window_name, window_start, count)
        VALUES (${keyId}, ${window}, ${windowStart}, 0) ON DUPLICATE KEY UPDATE count = count`
      const where = sql`key_id = ${keyId} AND window_name = ${window} AND window_start = ${windowStart}`
      const counted = yield* matched(
        sql`UPDATE rate_limit_counters SET count = count + 1 WHERE ${where} AND count < ${limit}`,
      )
      return counted === 0 ? [] : yield* sql`SELECT count FROM rate_limit_counters WHERE ${where}`
    })
  const countRequest = SqlSchema.findOneOption({
    Request: CountRequest,
    Result: Schema.Struct({ count: BigIntColumn }),
    execute: mysql ? countMysql : countStatement,
  })
  /** PostgreSQL: the request counted and the use recorded in one statement, one round trip. */
  const countRequestAndUse = SqlSchema.findOneOption({
    Request: Schema.Struct({ ...CountRequest.fields, at: Schema.Number }),
    Result: Schema.Struct({ count: BigIntColumn, use_count: Schema.NullOr(BigIntColumn) }),
    execute: ({ at, ...request }) =>
      sql`WITH counted AS (${countStatement(request)}),
        used AS (UPDATE api_keys SET use_count = use_count + 1, last_used_at = ${at}
          WHERE id = ${request.keyId} AND EXISTS (SELECT 1 FROM counted) RETURNING use_count)
        SELECT counted.count, used.use_count FROM counted LEFT JOIN used ON true`,
  })
  const foldsUse = sql.onDialectOrElse({ pg: () => true, orElse: () => false })
  /** A key's row, held until the transaction ends: `FOR UPDATE`, or SQLite's write lock (`BEGIN IMMEDIATE`). */
  const keyForUpdate = SqlSchema.findOneOption({
    Request: Schema.String,
    Result: KeyRow,
    execute: (id) =>
      sql.onDialectOrElse({
        sqlite: () => sql`SELECT * FROM api_keys WHERE id = ${id}`,
        orElse: () => sql`SELECT * FROM api_keys WHERE id = ${id} FOR UPDATE`,
      }),
  })
  const lockingTransaction = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    sql.onDialectOrElse({
      sqlite: () => Effect.provideService(sql.withTransaction(effect), SqlClient.BeginTransaction, "BEGIN IMMEDIATE"),
      orElse: () => sql.withTransaction(effect),
    })
  const setMetadata = SqlSchema.findOneOption({
    Request: Schema.Struct({ keyId: Schema.String, metadata: Schema.String, expiresAt: Schema.NullOr(Instant) }),
    Result: KeyRow,
    execute: ({ keyId, metadata, expiresAt }) =>
      mysql
        ? Effect.andThen(
          sql`UPDATE api_keys SET metadata = ${metadata}, expires_at = ${expiresAt} WHERE id = ${keyId}`,
          sql`SELECT * FROM api_keys WHERE id = ${keyId}`,
        )
        : sql`UPDATE api_keys SET metadata = ${metadata}, expires_at = ${expiresAt} WHERE id = ${keyId} RETURNING *`,
  })

  return {
    organization: (orgId: string): Effect.Effect<Organization, OrganizationNotFound | KeyStoreUnavailable> =>
      stored(orNotFound(organization(orgId), () => new OrganizationNotFound({ orgId }))),
    organizations: (): Effect.Effect<ReadonlyArray<Organization>, KeyStoreUnavailable> =>
      stored(organizations(undefined)),
    /** Inserts the organization; its name must be new. */
    insertOrganization: (row: Organization): Effect.Effect<void, AlreadyExists | KeyStoreUnavailable> =>
      uniquelyNamed(
        insertOrganization(row),
        "organization",
        row.name,
        sql<{ id: string }>`SELECT id FROM organizations WHERE name = ${row.name}`,
      ),

    projects: named("projects", (projectId) => new ProjectNotFound({ projectId })),
    products: named("products", (productId) => new ProductNotFound({ productId })),
    /** Links a product to a project; linking twice is a no-op. */
    link: (productId: string, projectId: string): Effect.Effect<void, KeyStoreUnavailable> =>
      stored(Effect.asVoid(
        mysql
          ? sql`INSERT INTO project_products (project_id, product_id) VALUES (${projectId}, ${productId})
            ON DUPLICATE KEY UPDATE project_id = project_id`
          : sql`INSERT INTO project_products (project_id, product_id) VALUES (${projectId}, ${productId})
          ON CONFLICT (project_id, product_id) DO NOTHING`,
      )),
    linked: (projectId: string, productId: string): Effect.Effect<boolean, KeyStoreUnavailable> =>
      stored(Effect.map(
        sql`SELECT 1 AS found FROM project_products WHERE project_id = ${projectId} AND product_id = ${productId}`,
        (rows) => rows.length > 0,
      )),
    projectProducts: (projectId: string): Effect.Effect<ReadonlyArray<Project>, KeyStoreUnavailable> =>
      stored(projectProducts(projectId)),

    key: (keyId: string): Effect.Effect<StoredKey, KeyNotFound | KeyStoreUnavailable> =>
      stored(orNotFound(key(keyId), () => new KeyNotFound({ keyId }))),
    /** The key whose stored hash is `hash`, if any. */
    keyWithHash,
    keysOfOrganization: (orgId: string): Effect.Effect<ReadonlyArray<StoredKey>, KeyStoreUnavailable> =>
      stored(keysOfOrganization(orgId)),
    keysOfProject: (projectId: string): Effect.Effect<ReadonlyArray<StoredKey>, KeyStoreUnavailable> =>
      stored(keysOfProject(projectId)),
    insertKey: (row: StoredKey): Effect.Effect<void, KeyStoreUnavailable> => stored(insertKey(row)),
    /** Counts one use at `at`, in one statement: the key with its new count, or as it was if it is gone. */
    recordUse: (row: StoredKey, at: number): Effect.Effect<StoredKey, KeyStoreUnavailable> =>
      stored(Effect.map(transactional(recordUse({ keyId: row.id, at })), (counted) =>
        Option.match(counted, {
          onNone: () => row,
          onSome: ({ use_count }) => ({ ...row, use_count, last_used_at: new Date(at) }),
        }))),
    /**
     * Adds uses to many keys in one statement (keys that are gone are skipped); `lastUsedAt` only moves forward.
     * Its JSON parameter keeps the statement's text, and so its prepared statement, the same for any batch.
     */
    addUses: (batch: UseBatch): Effect.Effect<void, KeyStoreUnavailable> => {
      const uses = JSON.stringify(batch)
      const statement: Effect.Effect<void, SqlError.SqlError> = sql.onDialectOrElse({
        // One statement per key, in one transaction: the batch holds the keys used in one interval.
        mysql: () =>
          sql.withTransaction(
            Effect.forEach(batch, ({ id, count, at }) =>
              sql`UPDATE api_keys SET use_count = use_count + ${count},
              last_used_at = GREATEST(COALESCE(last_used_at, 0), ${at}) WHERE id = ${id}`, { discard: true }),
          ),
        pg: () =>
          Effect.asVoid(
            sql`UPDATE api_keys AS k SET use_count = k.use_count + u.count, last_used_at = GREATEST(k.last_used_at, u.at)
            FROM jsonb_to_recordset(${uses}::jsonb) AS u(id text, count bigint, at bigint) WHERE k.id = u.id`,
          ),
        orElse: () =>
          Effect.asVoid(
            sql`UPDATE api_keys SET use_count = use_count + u.count, last_used_at = MAX(COALESCE(last_used_at, 0), u.at)
            FROM (SELECT value ->> 'id' AS id, value ->> 'count' AS count, value ->> 'at' AS at FROM json_each(${uses})) AS u
            WHERE api_keys.id = u.id`,
          ),
      })
      return stored(statement)
    },
    /** Whether `countRequest` records the use in the same statement, at no cost (PostgreSQL). */
    foldsUse,
    /**
     * Counts one request in the key's window starting at `windowStart`, unless `limit` are counted
     * already, in one statement: the new count, or none when the window is full. With `useAt`, a use
     * of the key at that instant is recorded with it (one statement on PostgreSQL, one transaction
     * elsewhere), and its new `useCount` returned.
     */
    countRequest: (
      keyId: string,
      window: RateLimitWindow,
      windowStart: number,
      limit: number,
      useAt?: number,
    ): Effect.Effect<Option.Option<{ count: number; useCount?: number }>, KeyStoreUnavailable> => {
      const request = { keyId, window, windowStart, limit }
      if (useAt === undefined) return stored(transactional(countRequest(request)))
      const folded = foldsUse
        ? Effect.map(
          countRequestAndUse({ ...request, at: useAt }),
          Option.map(({ count, use_count }) => ({ count, useCount: use_count ?? undefined })),
        )
        : sql.withTransaction(Effect.flatMap(
          countRequest(request),
          Option.match({
            onNone: () => Effect.succeedNone,
            onSome: ({ count }) =>
              Effect.map(
                recordUse({ keyId, at: useAt }),
                (used) => Option.some({ count, useCount: Option.getOrUndefined(used)?.use_count }),
              ),
          }),
        ))
      return stored(retryDeadlock(folded))
    },
    /** Drops the key's counters of windows before `windowStart`. */
    dropCountersBefore: (keyId: string, windowStart: number): Effect.Effect<void, KeyStoreUnavailable> =>
      stored(Effect.asVoid(
        sql`DELETE FROM rate_limit_counters WHERE key_id = ${keyId} AND window_start < ${windowStart}`,
      )),
    /** Revokes at `at`, unless the key was revoked earlier (a rotated key's later revocation is brought forward). */
    revoke: (keyId: string, at: number): Effect.Effect<void, KeyStoreUnavailable> =>
      stored(Effect.asVoid(
        sql`UPDATE api_keys SET revoked_at = ${at} WHERE id = ${keyId} AND (revoked_at IS NULL OR revoked_at > ${at})`,
      )),
    /**
     * Runs `change` on the key's row in a transaction that holds the row, so that concurrent changes of one key
     * apply one after the other (each sees the one before), and a failure leaves nothing.
     */
    withKeyLocked: <A, E, R>(
      keyId: string,
      change: (key: StoredKey) => Effect.Effect<A, E, R>,
    ): Effect.Effect<A, E | KeyNotFound | KeyStoreUnavailable, R> =>
      stored(
        lockingTransaction(Effect.flatMap(orNotFound(keyForUpdate(keyId), () => new KeyNotFound({ keyId })), change)),
      ),
    /** Writes `metadata` (and `expires_at`, its expiry): the key as written. Run it in `withKeyLocked`. */
    setMetadata: (
      keyId: string,
      metadata: string,
      expiresAt: Date | null,
    ): Effect.Effect<StoredKey, KeyNotFound | KeyStoreUnavailable> =>
      stored(orNotFound(setMetadata({ keyId, metadata, expiresAt }), () => new KeyNotFound({ keyId }))),
    /**
     * Compare-and-set: marks `keyId` replaced by `successorId`, its grace period ending at `until`,
     * if it is neither replaced nor revoked at `at`. Of concurrent rotations, only the first to commit
     * claims it.
     */
    claimForRotation: (
      keyId: string,
      successorId: string,
      at: number,
      until: number,
    ): Effect.Effect<boolean, KeyStoreUnavailable> =>
      stored(
        mysql
          ? Effect.map(
            matched(sql`UPDATE api_keys SET replaced_by = ${successorId},
              revoked_at = CASE WHEN revoked_at IS NULL OR revoked_at > ${until} THEN ${until} ELSE revoked_at END
              WHERE id = ${keyId} AND replaced_by IS NULL AND (revoked_at IS NULL OR revoked_at > ${at})`),
            (rows) => rows > 0,
          )
          : Effect.map(
            sql`UPDATE api_keys SET replaced_by = ${successorId},
          revoked_at = CASE WHEN revoked_at IS NULL OR revoked_at > ${until} THEN ${until} ELSE revoked_at END
          WHERE id = ${keyId} AND replaced_by IS NULL AND (revoked_at IS NULL OR revoked_at > ${at})
          RETURNING id`,
            (rows) => rows.length > 0,
          ),
      ),
    /** Deletes the key and its counters, and clears the pointer of the key it replaced, in one transaction. */
    deleteKey: (keyId: string): Effect.Effect<void, KeyNotFound | KeyStoreUnavailable> =>
      stored(sql.withTransaction(Effect.gen(function* () {
        yield* sql`UPDATE api_keys SET replaced_by = NULL WHERE replaced_by = ${keyId}`
        const deleted = mysql
          ? yield* matched(sql`DELETE FROM api_keys WHERE id = ${keyId}`)
          : (yield* sql`DELETE FROM api_keys WHERE id = ${keyId} RETURNING id`).length
        if (deleted === 0) return yield* new KeyNotFound({ keyId })
      }))),
    /** Runs `effect` in a transaction. */
    transaction: <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | KeyStoreUnavailable, R> =>
      stored(sql.withTransaction(effect)),
  }
})

/** The statements of the key service. */
export type Store = Effect.Success<typeof makeStore>
