// The same behaviour suite as SQLite, on MySQL (MariaDB in CI); runs only when MYSQL_URL is set (.ci/mysql.sh sets it).
import { describe, it } from "node:test"
import { Effect, Layer, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import { ApiKeys } from "../src/apikeys/service.ts"
import { MIGRATIONS_TABLE } from "../src/apikeys/migrations.ts"
import { MysqlClient } from "../src/sql/mysql.ts"
import { apiKeysSuite } from "./_apikeys_suite.ts"

const url = typeof process !== "undefined" ? process.env.MYSQL_URL : undefined

/** Starts from an empty schema, so that the migrations run as on a new database. */
const dropTables = Layer.effectDiscard(Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  for (
    const table of ["rate_limit_counters", "api_keys", "project_products", "products", "projects", "organizations"]
  ) {
    yield* sql`DROP TABLE IF EXISTS ${sql(table)}`
  }
  yield* sql`DROP TABLE IF EXISTS ${sql(MIGRATIONS_TABLE)}`
}))

if (url !== undefined && url !== "") {
  apiKeysSuite(
    "MySQL",
    () =>
      ApiKeys.layer().pipe(
        Layer.provide(dropTables),
        Layer.provideMerge(MysqlClient.layer({ url: Redacted.make(url) })),
      ),
  )
} else {
  describe("ApiKeys on MySQL", () => {
    it("runs the behaviour suite when MYSQL_URL is set", { skip: "MYSQL_URL is not set" }, () => {})
  })
}
