// The stores a test runs the key service on: SQLite in memory and in a file, PostgreSQL when DATABASE_URL is set and
// MySQL when MYSQL_URL is (each in a database of the test file's own, so that files running side by side do not share
// tables).
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Layer, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import { PgClient } from "@effect/sql-pg"
import { MIGRATIONS_TABLE } from "../src/apikeys/migrations.ts"
import { MysqlClient } from "../src/sql/mysql.ts"
import { SqliteClient } from "../src/sql/sqlite.ts"

/** A store: a fresh, empty database each time `layer` is built. */
export interface TestStore {
  readonly name: string
  readonly layer: () => Layer.Layer<SqlClient.SqlClient, unknown>
}

const TABLES = ["rate_limit_counters", "api_keys", "project_products", "products", "projects", "organizations"]

/** Starts from an empty schema, so that the migrations run as on a new database. */
const dropTables = Layer.effectDiscard(Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  for (const table of TABLES) yield* sql`DROP TABLE IF EXISTS ${sql(table)} CASCADE`
  yield* sql`DROP TABLE IF EXISTS ${sql(MIGRATIONS_TABLE)}`
}))

/** PostgreSQL's database `database` on the server of `url`, created when missing. */
const postgres = (url: string, database: string): Layer.Layer<SqlClient.SqlClient, unknown> => {
  const create = Layer.effectDiscard(
    Effect.flatMap(SqlClient.SqlClient, (sql) =>
      Effect.gen(function* () {
        const found = yield* sql`SELECT 1 AS found FROM pg_database WHERE datname = ${database}`
        if (found.length === 0) yield* sql`CREATE DATABASE ${sql(database)}`
      })).pipe(Effect.provide(PgClient.layer({ url: Redacted.make(url), maxConnections: 1 }))),
  )
  const own = new URL(url)
  own.pathname = `/${database}`
  return Layer.provideMerge(dropTables, PgClient.layer({ url: Redacted.make(own.toString()) })).pipe(
    Layer.provide(create),
  )
}

/** MySQL's database `{the URL's}_{database}` on the server of `url`, created when missing. */
const mysql = (url: string, database: string): Layer.Layer<SqlClient.SqlClient, unknown> => {
  const own = new URL(url)
  own.pathname = `${own.pathname}_${database}`
  const create = Layer.effectDiscard(
    Effect.flatMap(SqlClient.SqlClient, (sql) => sql`CREATE DATABASE IF NOT EXISTS ${sql(own.pathname.slice(1))}`)
      .pipe(Effect.provide(MysqlClient.layer({ url: Redacted.make(url), maxConnections: 1 }))),
  )
  return Layer.provideMerge(dropTables, MysqlClient.layer({ url: Redacted.make(own.toString()) })).pipe(
    Layer.provide(create),
  )
}

/** A SQLite file in a temporary folder, removed with the layer. */
const sqliteFile: Layer.Layer<SqlClient.SqlClient, unknown> = Layer.unwrap(Effect.gen(function* () {
  const dir = yield* Effect.acquireRelease(
    Effect.sync(() => mkdtempSync(join(tmpdir(), "apikeys-"))),
    (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true })),
  )
  return SqliteClient.layer({ filename: join(dir, "keys.db") })
}))

/** A variable of the environment, unless unset or blank. */
const variable = (name: string): string | undefined => {
  const value = typeof process !== "undefined" ? process.env[name] : undefined
  return value === undefined || value === "" ? undefined : value
}

/**
 * SQLite in memory and in a file, PostgreSQL (database `database`) when DATABASE_URL is set, and MySQL (database
 * `{MYSQL_URL's}_{database}`) when MYSQL_URL is.
 */
export const testStores = (database: string): ReadonlyArray<TestStore> => {
  const pgUrl = variable("DATABASE_URL")
  const mysqlUrl = variable("MYSQL_URL")
  return [
    { name: "SQLite in memory", layer: () => SqliteClient.layer({ filename: ":memory:" }) },
    { name: "a SQLite file", layer: () => sqliteFile },
    ...(pgUrl !== undefined ? [{ name: "PostgreSQL", layer: () => postgres(pgUrl, database) }] : []),
    ...(mysqlUrl !== undefined ? [{ name: "MySQL", layer: () => mysql(mysqlUrl, database) }] : []),
  ]
}
