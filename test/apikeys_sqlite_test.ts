import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Layer, ManagedRuntime, Redacted } from "effect"
import { Migrator, SqlClient } from "effect/sql"
import { ApiKeys } from "../src/apikeys/service.ts"
import { SqliteClient } from "../src/sql/sqlite.ts"
import { apiKeysSuite, failureOf } from "./_apikeys_suite.ts"

apiKeysSuite(
  "SQLite in memory",
  () => ApiKeys.layer().pipe(Layer.provideMerge(SqliteClient.layer({ filename: ":memory:" }))),
)

const tempFile = () => {
  const dir = mkdtempSync(join(tmpdir(), "apikeys-"))
  return { filename: join(dir, "keys.db"), remove: () => rmSync(dir, { recursive: true, force: true }) }
}

describe("ApiKeys after its scope closed", () => {
  it("fails with KeyStoreClosed, not KeyStoreUnavailable, on calls made or run after the close", async () => {
    const runtime = ManagedRuntime.make(ApiKeys.layerSqlite({ filename: ":memory:" }))
    const keys = await runtime.runPromise(Effect.map(ApiKeys, (service) => service))
    const org = await runtime.runPromise(keys.createOrganization("Acme"))
    const made = keys.getOrganization(org.id)
    await runtime.dispose()
    failureOf(await Effect.runPromiseExit(made), "KeyStoreClosed")
    failureOf(await Effect.runPromiseExit(keys.verifyKey("sk_" + "A".repeat(43))), "KeyStoreClosed")
    const closed = failureOf(await Effect.runPromiseExit(keys.createOrganization("Later")), "KeyStoreClosed")
    assert.equal(closed.message, "The key store is closed: its layer's scope has ended")
  })
})

describe("ApiKeys on a SQLite file", () => {
  it("keeps keys, usage and revocations across a restart", async () => {
    const { filename, remove } = tempFile()
    try {
      const first = ManagedRuntime.make(ApiKeys.layerSqlite({ filename }))
      const { created, revoked } = await first.runPromise(Effect.gen(function* () {
        const keys = yield* ApiKeys
        const org = yield* keys.createOrganization("Acme")
        const created = yield* keys.createKey(org.id, { metadata: { scopes: ["read"] } })
        const revoked = yield* keys.createKey(org.id)
        yield* keys.validateKey(created.plaintext)
        yield* keys.revokeKey(revoked.key.id)
        return { created, revoked }
      }))
      await first.dispose()

      const second = ManagedRuntime.make(ApiKeys.layerSqlite({ filename }))
      const after = await second.runPromise(Effect.gen(function* () {
        const keys = yield* ApiKeys
        const key = yield* keys.validateKey(created.plaintext, { requiredScopes: ["read"] })
        const refused = yield* Effect.exit(keys.verifyKey(revoked.plaintext))
        return { key, refused }
      }))
      await second.dispose()
      assert.equal(after.key.id, created.key.id)
      assert.equal(after.key.useCount, 2)
      failureOf(after.refused, "RevokedKey")
    } finally {
      remove()
    }
  })

  it("names the path it cannot open", async () => {
    const filename = join(tmpdir(), `missing-${crypto.randomUUID()}`, "keys.db")
    const exit = await Effect.runPromiseExit(Effect.provide(Effect.asVoid(ApiKeys), ApiKeys.layerSqlite({ filename })))
    const error = failureOf(exit, "KeyStoreUnavailable")
    assert.ok(error.detail.includes(`Cannot open SQLite database '${filename}'`), error.detail)
  })

  it("migrates once: a second start applies nothing", async () => {
    const { filename, remove } = tempFile()
    try {
      const { migrate } = await import("../src/apikeys/migrations.ts")
      const run = () => Effect.runPromise(migrate.pipe(Effect.provide(SqliteClient.layer({ filename }))))
      assert.deepEqual(await run(), [[1, "create_tables"], [2, "index_replaced_by"], [3, "unique_names"]])
      assert.deepEqual(await run(), [])
    } finally {
      remove()
    }
  })

  it("migration 3 (unique names) refuses a database with duplicate names, and the layer says which migration", async () => {
    const { filename, remove } = tempFile()
    try {
      const { migrations, MIGRATIONS_TABLE } = await import("../src/apikeys/migrations.ts")
      const version2 = Migrator.make({})({
        loader: Migrator.fromRecord({
          "0001_create_tables": migrations["0001_create_tables"],
          "0002_index_replaced_by": migrations["0002_index_replaced_by"],
        }),
        table: MIGRATIONS_TABLE,
      })
      await Effect.runPromise(
        Effect.gen(function* () {
          yield* version2
          const sql = yield* SqlClient.SqlClient
          for (const id of ["o1", "o2"]) {
            yield* sql`INSERT INTO organizations ${sql.insert({ id, name: "Acme", created_at: 0 })}`
          }
        }).pipe(Effect.provide(SqliteClient.layer({ filename }))),
      )
      const exit = await Effect.runPromiseExit(
        Effect.provide(Effect.asVoid(ApiKeys), ApiKeys.layerSqlite({ filename })),
      )
      assert.match(failureOf(exit, "KeyStoreUnavailable").detail, /unique_names/)
    } finally {
      remove()
    }
  })

  it("migration 2 clears replacedBy pointers left dangling by version 1", async () => {
    const { filename, remove } = tempFile()
    try {
      const { migrate, migrations, MIGRATIONS_TABLE } = await import("../src/apikeys/migrations.ts")
      const sqlite = SqliteClient.layer({ filename })
      const version1 = Migrator.make({})({
        loader: Migrator.fromRecord({ "0001_create_tables": migrations["0001_create_tables"] }),
        table: MIGRATIONS_TABLE,
      })
      await Effect.runPromise(
        Effect.gen(function* () {
          yield* version1
          const sql = yield* SqlClient.SqlClient
          yield* sql`INSERT INTO organizations ${sql.insert({ id: "o", name: "Acme", created_at: 0 })}`
          for (const [id, replacedBy] of [["a", "gone"], ["b", "a"]]) {
            yield* sql`INSERT INTO api_keys ${
              sql.insert({ id, org_id: "o", key_prefix: id, key_hash: id, created_at: 0, replaced_by: replacedBy })
            }`
          }
        }).pipe(Effect.provide(sqlite)),
      )
      const rows = await Effect.runPromise(
        Effect.gen(function* () {
          assert.deepEqual(yield* migrate, [[2, "index_replaced_by"], [3, "unique_names"]])
          const sql = yield* SqlClient.SqlClient
          return yield* sql<
            { id: string; replaced_by: string | null }
          >`SELECT id, replaced_by FROM api_keys ORDER BY id`
        }).pipe(Effect.provide(sqlite)),
      )
      assert.deepEqual(rows.map((row) => [row.id, row.replaced_by]), [["a", null], ["b", "a"]])
    } finally {
      remove()
    }
  })
})

describe("ApiKeys without a database", () => {
  it("rejects a malformed key without touching the database", async () => {
    // No migrations: any query fails with KeyStoreUnavailable, so InvalidKey proves no query ran.
    const runtime = ManagedRuntime.make(
      ApiKeys.layer({ migrate: false }).pipe(Layer.provideMerge(SqliteClient.layer({ filename: ":memory:" }))),
    )
    try {
      const malformed = await runtime.runPromiseExit(Effect.flatMap(ApiKeys, (k) => k.verifyKey("sk_nope")))
      assert.equal(failureOf(malformed, "InvalidKey").reason, "malformed")
      const wellFormed = await runtime.runPromiseExit(
        Effect.flatMap(ApiKeys, (k) => k.validateKey(Redacted.make("sk_" + "A".repeat(43)))),
      )
      failureOf(wellFormed, "KeyStoreUnavailable")
      await runtime.runPromise(Effect.flatMap(SqlClient.SqlClient, (sql) => sql`SELECT 1 AS one`))
    } finally {
      await runtime.dispose()
    }
  })
})
