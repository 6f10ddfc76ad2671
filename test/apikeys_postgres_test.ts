// The same behaviour suite as SQLite, on PostgreSQL; runs only when DATABASE_URL is set (.ci/run sets it).
import { describe, it } from "node:test"
import { Effect, Layer, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import { PgClient } from "@effect/sql-pg"
import { ApiKeys } from "../src/apikeys/service.ts"
import { MIGRATIONS_TABLE } from "../src/apikeys/migrations.ts"
import { apiKeysSuite } from "./_apikeys_suite.ts"

const url = typeof process !== "undefined" ? process.env.DATABASE_URL : undefined

/** Starts from an empty schema, so that the migrations run as on a new database. */
const dropTables = Layer.effectDiscard(Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  for (
    const table of ["rate_limit_counters", "api_keys", "project_products", "products", "projects", "organizations"]
  ) {
    yield* sql`DROP TABLE IF EXISTS ${sql(table)} CASCADE`
  }
  yield* sql`DROP TABLE IF EXISTS ${sql(MIGRATIONS_TABLE)}`
}))

if (url !== undefined && url !== "") {
  apiKeysSuite(
    "PostgreSQL",
    () =>
      ApiKeys.layer().pipe(
        Layer.provide(dropTables),
        Layer.provideMerge(PgClient.layer({ url: Redacted.make(url) })),
      ),
  )
} else {
  describe("ApiKeys on PostgreSQL", () => {
    it("runs the behaviour suite when DATABASE_URL is set", { skip: "DATABASE_URL is not set" }, () => {})
  })
}
