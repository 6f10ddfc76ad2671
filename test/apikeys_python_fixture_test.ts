// A database as the Python library (apikeys-platform 0.1.2) writes it validates here: the same key
// format, the same stored prefix and hash, and its metadata JSON read as ours once the rows are copied.
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { Effect, Layer, ManagedRuntime } from "effect"
import { SqlClient } from "effect/sql"
import { ApiKeys } from "../src/apikeys/service.ts"
import { hashKey, storedForm } from "../src/apikeys/key_format.ts"
import { SqliteClient } from "../src/sql/sqlite.ts"

const PLAINTEXT = "sk_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
const FIXTURE = new URL("./fixtures/apikeys_python_0_1_2.sql", import.meta.url)

type Row = Record<string, string | null>

/** SQLAlchemy's CHAR(32) hex UUID, dashed as ours. */
const dashed = (hex: string | null) =>
  hex === null
    ? null
    : `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
/** SQLAlchemy's DATETIME text (UTC, no zone), as our epoch milliseconds. */
const millis = (text: string | null) => text === null ? null : Date.parse(`${text.replace(" ", "T")}Z`)

/** The Python library's rows, as our tables spell them (Deno refuses ATTACH without every permission). */
const pythonRows = () => {
  const python = new DatabaseSync(":memory:")
  python.exec(readFileSync(FIXTURE, "utf8"))
  const all = (sql: string) => python.prepare(sql).all() as Array<Row>
  const named = (table: string) =>
    all(`SELECT * FROM ${table}`).map((row) => ({
      id: dashed(row.id),
      name: row.name,
      ...(row.org_id === undefined ? {} : { org_id: dashed(row.org_id) }),
      created_at: millis(row.created_at),
    }))
  const rows = {
    organizations: named("organizations"),
    projects: named("projects"),
    products: named("products"),
    project_products: all("SELECT * FROM project_products").map((row) => ({
      project_id: dashed(row.project_id),
      product_id: dashed(row.product_id),
    })),
    api_keys: all("SELECT * FROM api_keys").map((row) => ({
      id: dashed(row.id),
      org_id: dashed(row.org_id),
      project_id: dashed(row.project_id),
      product_id: dashed(row.product_id),
      key_prefix: row.key_prefix,
      key_hash: row.key_hash,
      metadata: row.metadata,
      expires_at: millis((JSON.parse(row.metadata!) as { expires_at: string | null }).expires_at),
      revoked_at: millis(row.revoked_at),
      created_at: millis(row.created_at),
    })),
  }
  python.close()
  return rows
}

describe("a database written by apikeys-platform 0.1.2", () => {
  it("stores what this library computes: the token's first 8 characters and the SHA-256 of the whole key", () => {
    const python = new DatabaseSync(":memory:")
    python.exec(readFileSync(FIXTURE, "utf8"))
    const row = python.prepare("SELECT key_prefix, key_hash FROM api_keys").get() as Record<string, string>
    python.close()
    assert.deepEqual(storedForm(PLAINTEXT), { prefix: row.key_prefix, hash: row.key_hash })
    assert.equal(hashKey(PLAINTEXT), "5a86bd3d09f2cbdbc046ea17340a0501bc7fba258e1d0f340c231509fcbf88f8")
  })

  it("validates its key here once its rows are copied, metadata JSON as the Python library wrote it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "apikeys-python-"))
    const runtime = ManagedRuntime.make(
      ApiKeys.layer().pipe(Layer.provideMerge(SqliteClient.layer({ filename: join(dir, "keys.db") }))),
    )
    try {
      const rows = pythonRows()
      await runtime.runPromise(Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        for (const [table, list] of Object.entries(rows)) {
          for (const row of list) yield* sql`INSERT INTO ${sql(table)} ${sql.insert(row)}`
        }
      }))
      const key = await runtime.runPromise(Effect.flatMap(ApiKeys, (keys) =>
        keys.validateKey(PLAINTEXT, {
          orgId: "6f1e0c2a-9b3d-4e5f-8a7b-6c5d4e3f2a1b",
          productId: "0a1b2c3d-4e5f-4071-8293-a4b5c6d7e8f9",
          requiredScope: "read",
        })))
      assert.equal(key.id, "c0ffee00-c0ff-ee00-c0ff-ee00c0ffee00")
      assert.equal(key.keyPrefix, "AAECAwQF")
      assert.deepEqual(key.metadata, {
        name: "Alice's key",
        scopes: ["read", "write"],
        rateLimit: { requests: 1000, window: "minute" },
        custom: { user_id: "u_alice", plan: "pro" },
      })
      assert.deepEqual(key.createdAt, new Date("2026-01-01T12:00:03.123Z"))
      assert.equal(key.useCount, 1)
      const org = await runtime.runPromise(Effect.flatMap(ApiKeys, (keys) => keys.getOrganization(key.orgId)))
      assert.deepEqual(org, { id: key.orgId, name: "Acme Inc", createdAt: new Date("2026-01-01T12:00:00Z") })
    } finally {
      await runtime.dispose()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
