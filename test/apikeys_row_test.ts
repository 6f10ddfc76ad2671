// A stored key's row as every driver answers it: SQLite's numbers, PostgreSQL's bigints, MySQL's integers as text
// all read as the same key; a row that is not a key's fails, never reads as one.
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { Exit } from "effect"
import { decodeKeyRow, type StoredKey } from "../src/apikeys/_store.ts"

const CREATED = 1_767_268_800_000
const USED = CREATED + 60_000

/** A row as SQLite answers it: integers as numbers. */
const sqliteRow = {
  id: "00000000-0000-4000-8000-00000000d001",
  org_id: "00000000-0000-4000-8000-00000000a001",
  project_id: null,
  product_id: "00000000-0000-4000-8000-00000000c001",
  key_prefix: "AbCdEfGh",
  key_hash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
  metadata: '{"scopes":["read"],"custom":{}}',
  expires_at: null,
  revoked_at: CREATED + 3_600_000,
  created_at: CREATED,
  last_used_at: USED,
  use_count: 7,
  replaced_by: null,
}

const expected: StoredKey = {
  ...sqliteRow,
  revoked_at: new Date(CREATED + 3_600_000),
  created_at: new Date(CREATED),
  last_used_at: new Date(USED),
}

const decoded = (row: unknown) => {
  const exit = decodeKeyRow(row)
  assert.ok(Exit.isSuccess(exit), `decodes: ${JSON.stringify(row, (_, v) => typeof v === "bigint" ? `${v}n` : v)}`)
  return exit.value
}

describe("a stored key's row", () => {
  it("reads the same from SQLite's numbers, PostgreSQL's bigints and MySQL's text", () => {
    assert.deepEqual(decoded(sqliteRow), expected)
    assert.deepEqual(
      decoded({ ...sqliteRow, revoked_at: BigInt(CREATED + 3_600_000), created_at: BigInt(CREATED), use_count: 7n }),
      expected,
    )
    assert.deepEqual(
      decoded({ ...sqliteRow, revoked_at: `${CREATED + 3_600_000}`, created_at: `${CREATED}`, use_count: "7" }),
      expected,
    )
  })

  it("keeps the key's columns only", () => {
    assert.deepEqual(decoded({ ...sqliteRow, extra: "column" }), expected)
  })

  for (
    const [what, row] of [
      ["a missing column", { ...sqliteRow, key_hash: undefined }],
      ["an id that is not text", { ...sqliteRow, id: 1 }],
      ["a count that is not an integer", { ...sqliteRow, use_count: 1.5 }],
      ["a count past 2^53", { ...sqliteRow, use_count: 2n ** 60n }],
      ["no creation instant", { ...sqliteRow, created_at: null }],
      ["an instant past what a Date holds", { ...sqliteRow, expires_at: 9e15 }],
      ["not a row", "SELECT *"],
    ] as const
  ) {
    it(`fails on ${what}`, () => {
      assert.ok(Exit.isFailure(decodeKeyRow(row)))
    })
  }
})
