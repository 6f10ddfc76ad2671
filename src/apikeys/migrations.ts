/**
 * The key service's schema, as `effect/sql` migrations. The same SQL runs on SQLite and
 * PostgreSQL: ids are UUID text, instants are epoch milliseconds in `BIGINT` columns (exact on
 * both, and cheap to compare), metadata is JSON text. MySQL has its own spelling of the same
 * tables (ids in `VARCHAR(36)`, as it indexes no `TEXT`; foreign keys as table constraints;
 * binary collation, so that text compares as on the others).
 *
 * @module
 */
import { Effect } from "effect"
import { Migrator, SqlClient, type SqlError } from "effect/sql"

/**
 * The table the migrator records applied migrations in.
 *
 * @example
 * ```ts
 * import { MIGRATIONS_TABLE } from "@gatehouse/sdk/apikeys"
 *
 * // The table to leave alone when your own migrator runs on the same database.
 * console.log(MIGRATIONS_TABLE) // apikeys_migrations
 * ```
 */
export const MIGRATIONS_TABLE = "apikeys_migrations"

/** The tables on MySQL and MariaDB: the same columns, spelled as MySQL needs. */
const createTablesMysql = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const options = sql.literal("ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin")
  const id = sql.literal("VARCHAR(36)")
  yield* sql`CREATE TABLE organizations (
    id ${id} PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    created_at BIGINT NOT NULL
  ) ${options}`
  for (const table of ["projects", "products"]) {
    yield* sql`CREATE TABLE ${sql(table)} (
      id ${id} PRIMARY KEY,
      name VARCHAR(255) NOT NULL,
      org_id ${id} NOT NULL,
      created_at BIGINT NOT NULL,
      INDEX ${sql(`ix_${table}_org_id`)} (org_id),
      FOREIGN KEY (org_id) REFERENCES organizations (id) ON DELETE CASCADE
    ) ${options}`
  }
  yield* sql`CREATE TABLE project_products (
    project_id ${id} NOT NULL,
    product_id ${id} NOT NULL,
    PRIMARY KEY (project_id, product_id),
    FOREIGN KEY (project_id) REFERENCES projects (id) ON DELETE CASCADE,
    FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE CASCADE
  ) ${options}`
  yield* sql`CREATE TABLE api_keys (
    id ${id} PRIMARY KEY,
    org_id ${id} NOT NULL,
    project_id ${id},
    product_id ${id},
    key_prefix VARCHAR(8) NOT NULL,
    key_hash VARCHAR(64) NOT NULL UNIQUE,
    metadata MEDIUMTEXT NOT NULL,
    expires_at BIGINT,
    revoked_at BIGINT,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    use_count BIGINT NOT NULL DEFAULT 0,
    replaced_by ${id},
    INDEX ix_api_keys_key_prefix (key_prefix),
    INDEX ix_api_keys_org_id (org_id),
    INDEX ix_api_keys_project_id (project_id),
    FOREIGN KEY (org_id) REFERENCES organizations (id) ON DELETE CASCADE,
    FOREIGN KEY (project_id) REFERENCES projects (id) ON DELETE CASCADE,
    FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE CASCADE
  ) ${options}`
  yield* sql`CREATE TABLE rate_limit_counters (
    key_id ${id} NOT NULL,
    window_name VARCHAR(8) NOT NULL,
    window_start BIGINT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (key_id, window_name, window_start),
    FOREIGN KEY (key_id) REFERENCES api_keys (id) ON DELETE CASCADE
  ) ${options}`
})

const createTables = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE organizations (
    id TEXT PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    created_at BIGINT NOT NULL
  )`
  for (const table of ["projects", "products"]) {
    yield* sql`CREATE TABLE ${sql(table)} (
      id TEXT PRIMARY KEY,
      name VARCHAR(255) NOT NULL,
      org_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
      created_at BIGINT NOT NULL
    )`
    yield* sql`CREATE INDEX ${sql(`ix_${table}_org_id`)} ON ${sql(table)} (org_id)`
  }
  yield* sql`CREATE TABLE project_products (
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    product_id TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    PRIMARY KEY (project_id, product_id)
  )`
  yield* sql`CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    project_id TEXT REFERENCES projects (id) ON DELETE CASCADE,
    product_id TEXT REFERENCES products (id) ON DELETE CASCADE,
    key_prefix VARCHAR(8) NOT NULL,
    key_hash VARCHAR(64) NOT NULL UNIQUE,
    metadata TEXT NOT NULL DEFAULT '{}',
    expires_at BIGINT,
    revoked_at BIGINT,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    use_count BIGINT NOT NULL DEFAULT 0,
    replaced_by TEXT
  )`
  yield* sql`CREATE INDEX ix_api_keys_key_prefix ON api_keys (key_prefix)`
  yield* sql`CREATE INDEX ix_api_keys_org_id ON api_keys (org_id)`
  yield* sql`CREATE INDEX ix_api_keys_project_id ON api_keys (project_id)`
  yield* sql`CREATE TABLE rate_limit_counters (
    key_id TEXT NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    window_name VARCHAR(8) NOT NULL,
    window_start BIGINT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (key_id, window_name, window_start)
  )`
})

/**
 * `replaced_by` cannot gain a foreign key: SQLite has no `ALTER TABLE ... ADD CONSTRAINT`. So
 * `deleteKey` clears the pointers to the key it deletes (this index finds them), and pointers left
 * dangling by earlier versions are cleared here.
 */
const indexReplacedBy = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  // MySQL has no partial index, and its tables are newer than any dangling pointer.
  if (sql.onDialectOrElse({ mysql: () => true, orElse: () => false })) {
    yield* sql`CREATE INDEX ix_api_keys_replaced_by ON api_keys (replaced_by)`
    return
  }
  yield* sql`CREATE INDEX ix_api_keys_replaced_by ON api_keys (replaced_by) WHERE replaced_by IS NOT NULL`
  yield* sql`UPDATE api_keys SET replaced_by = NULL
    WHERE replaced_by IS NOT NULL AND NOT EXISTS (SELECT 1 FROM api_keys successor WHERE successor.id = api_keys.replaced_by)`
})

/**
 * Names are unique (0.2.0): organizations by name, projects and products by name within their
 * organization. A database with duplicate names from an earlier version fails this migration, and
 * says which index: rename the duplicates, then start again.
 */
const uniqueNames = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE UNIQUE INDEX ux_organizations_name ON organizations (name)`
  yield* sql`CREATE UNIQUE INDEX ux_projects_org_id_name ON projects (org_id, name)`
  yield* sql`CREATE UNIQUE INDEX ux_products_org_id_name ON products (org_id, name)`
})

/**
 * The migrations, in order, for `Migrator.fromRecord`. An applied migration is never edited: a
 * change is a new one.
 *
 * @example
 * ```ts
 * import { Migrator } from "effect/sql"
 * import { migrations } from "@gatehouse/sdk/apikeys"
 *
 * const loader = Migrator.fromRecord(migrations)
 * ```
 */
export const migrations: Record<string, Effect.Effect<void, SqlError.SqlError, SqlClient.SqlClient>> = {
  "0001_create_tables": Effect.flatMap(
    SqlClient.SqlClient,
    (sql) => sql.onDialectOrElse({ mysql: () => createTablesMysql, orElse: () => createTables }),
  ),
  "0002_index_replaced_by": indexReplacedBy,
  "0003_unique_names": uniqueNames,
}

/**
 * Applies the pending migrations (in one transaction, under a lock on PostgreSQL) and returns
 * those it applied. `ApiKeys.layer` runs it for you unless told not to.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { migrate, SqliteClient } from "@gatehouse/sdk/apikeys"
 *
 * const applied = migrate.pipe(Effect.provide(SqliteClient.layer({ filename: "keys.db" })))
 * ```
 */
export const migrate: Effect.Effect<
  ReadonlyArray<readonly [id: number, name: string]>,
  Migrator.MigrationError | SqlError.SqlError,
  SqlClient.SqlClient
> = Migrator.make({})({ loader: Migrator.fromRecord(migrations), table: MIGRATIONS_TABLE })
