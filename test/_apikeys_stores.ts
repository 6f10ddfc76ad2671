// The stores a test runs the key service on: SQLite in memory and in a file, PostgreSQL when DATABASE_URL is set
// (in a database of the test file's own, so that files running side by side do not share tables), and MySQL when
// MYSQL_URL is set (its one database: test files run one after the other).
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Layer, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import { PgClient } from "@effect/sql-pg"
import { MIGRATIONS_TABLE } from "../src/apikeys/migrations.ts"
import { SqliteClient } from "../src/sql/sqlite.ts"
import { MysqlClient } from "../src/sql/mysql.ts"

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

/** A SQLite file in a temporary folder, removed with the layer. */
const sqliteFile: Layer.Layer<SqlClient.SqlClient, unknown> = Layer.unwrap(Effect.gen(function* () {
  const dir = yield* Effect.acquireRelease(
    Effect.sync(() => mkdtempSync(join(tmpdir(), "apikeys-"))),
    (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true })),
  )
  return SqliteClient.layer({ filename: join(dir, "keys.db") })
}))

/** SQLite in memory and in a file, PostgreSQL (database `database`) when DATABASE_URL is set, MySQL with MYSQL_URL. */
export const testStores = (database: string): ReadonlyArray<TestStore> => {
  const env = (name: string) => {
    const value = typeof process !== "undefined" ? process.env[name] : undefined
    return value === undefined || value === "" ? undefined : value
  }
  const url = env("DATABASE_URL")
  const mysql = env("MYSQL_URL")
  return [
    { name: "SQLite in memory", layer: () => SqliteClient.layer({ filename: ":memory:" }) },
    { name: "a SQLite file", layer: () => sqliteFile },
    ...(url !== undefined ? [{ name: "PostgreSQL", layer: () => postgres(url, database) }] : []),
    ...(mysql !== undefined
      ? [{
        name: "MySQL",
        layer: () => Layer.provideMerge(dropTables, MysqlClient.layer({ url: Redacted.make(mysql) })),
      }]
      : []),
  ]
}
