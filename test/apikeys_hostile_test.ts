// The key service under hostile input and contention (issue 13), on each store: a write completes or leaves nothing,
// concurrent updates of one key all apply, and what a JavaScript caller without types can pass is a typed
// InvalidRequest, never a defect nor KeyStoreUnavailable.
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { Effect, Exit } from "effect"
import type { Scope } from "effect"
import { SqlClient } from "effect/sql"
import { makeApiKeys } from "../src/apikeys/make_api_keys.ts"
import { migrate } from "../src/apikeys/migrations.ts"
import { MAX_CUSTOM_CHARS, MAX_CUSTOM_DEPTH, MAX_SCOPES } from "../src/apikeys/_metadata.ts"
import { MAX_NAME } from "../src/apikeys/_input.ts"
import type { ApiKeysService } from "../src/apikeys/service.ts"
import { SqliteClient } from "../src/sql/sqlite.ts"
import { failureOf } from "./_apikeys_suite.ts"
import { testStores } from "./_apikeys_stores.ts"

/** What a caller without types may pass where a string is expected. */
// deno-lint-ignore no-explicit-any
type Untyped = any

const NOT_IDS: ReadonlyArray<Untyped> = [null, undefined, 42, {}, ["x"], "", "a\0b"]

/** `{ a: { a: ... } }`: `depth` objects inside the outer one. */
const nested = (depth: number) => {
  let value: Record<string, unknown> = {}
  for (let i = 0; i < depth; i++) value = { a: value }
  return value as Untyped
}

const count = (table: "api_keys" | "organizations" | "projects") =>
  Effect.flatMap(
    SqlClient.SqlClient,
    (sql) => Effect.map(sql<{ n: unknown }>`SELECT COUNT(*) AS n FROM ${sql(table)}`, ([row]) => Number(row.n)),
  )

/** The exit of `effect`: its failure, or its value. */
const attempt = <A, E>(effect: Effect.Effect<A, E>) => Effect.exit(effect)

const onStore = <A, E>(
  layer: ReturnType<ReturnType<typeof testStores>[number]["layer"]>,
  f: (keys: ApiKeysService) => Effect.Effect<A, E, SqlClient.SqlClient | Scope.Scope>,
) =>
  Effect.runPromise(
    Effect.gen(function* () {
      yield* migrate
      return yield* f(yield* makeApiKeys())
    }).pipe(Effect.scoped, Effect.provide(layer)),
  )

for (const store of testStores("gatehouse_hostile_test")) {
  describe(`ApiKeys under hostile input on ${store.name}`, () => {
    it("metadata nested 10,000 deep fails with InvalidRequest before anything is stored", async () => {
      await onStore(store.layer(), (keys) =>
        Effect.gen(function* () {
          const org = yield* keys.createOrganization("Acme")
          const before = yield* count("api_keys")
          const deep = nested(10_000)
          const created = yield* attempt(keys.createKey(org.id, { metadata: { custom: deep } }))
          assert.match(failureOf(created, "InvalidRequest").detail, /nested at most 32 deep/)
          assert.equal(yield* count("api_keys"), before, "no key stored")

          const key = yield* keys.createKey(org.id, { metadata: { custom: { plan: "pro" } } })
          failureOf(yield* attempt(keys.updateKey(key.key.id, { custom: deep })), "InvalidRequest")
          failureOf(yield* attempt(keys.rotateKey(key.key.id, { metadata: { custom: deep } })), "InvalidRequest")
          const after = yield* keys.getKey(key.key.id)
          assert.deepEqual(after.metadata.custom, { plan: "pro" })
          assert.equal(after.replacedBy, null, "not rotated")
          assert.equal(yield* count("api_keys"), before + 1, "no successor stored")
          // Within the bound is fine: `custom` and 31 objects inside it.
          yield* keys.updateKey(key.key.id, { custom: nested(MAX_CUSTOM_DEPTH - 1) })
          failureOf(yield* attempt(keys.updateKey(key.key.id, { custom: nested(MAX_CUSTOM_DEPTH) })), "InvalidRequest")
        }))
    })

    it("refuses metadata that is too large or not JSON, before any statement", async () => {
      await onStore(store.layer(), (keys) =>
        Effect.gen(function* () {
          const org = yield* keys.createOrganization("Acme")
          const before = yield* count("api_keys")
          const bad: ReadonlyArray<Untyped> = [
            { custom: { blob: "x".repeat(70_000) } },
            { custom: { when: new Date() } },
            { custom: { n: Number.NaN } },
            { custom: { f: () => 1 } },
            { custom: { u: undefined } },
            { custom: [] },
            { custom: null },
            { scopes: Array.from({ length: 300 }, (_, i) => `s${i}`) },
            { scopes: ["read\0"] },
            { scopes: "read" },
            { scopes: [42] },
            { name: "a\0b" },
            { name: 42 },
            { rateLimit: { requests: 5, window: "fortnight" } },
            { rateLimit: { requests: 5, window: "toString" } },
            { rateLimit: "5" },
            { expiresAt: "tomorrow" },
            "metadata",
          ]
          for (const metadata of bad) {
            const exit = yield* attempt(keys.createKey(org.id, { metadata }))
            failureOf(exit, "InvalidRequest")
          }
          assert.equal(yield* count("api_keys"), before)
          // The largest metadata accepted is stored whole (MySQL's TEXT would cut it at 64 KiB): every scope, and
          // `custom` at its bound in characters of three UTF-8 bytes.
          const scopes = Array.from({ length: MAX_SCOPES }, (_, i) => `${i}`.padEnd(MAX_NAME, "s"))
          const custom = { blob: "€".repeat(MAX_CUSTOM_CHARS - '{"blob":""}'.length) }
          const largest = yield* keys.createKey(org.id, { metadata: { scopes, custom } })
          const read = yield* keys.getKey(largest.key.id)
          assert.deepEqual(read.metadata.scopes, scopes)
          assert.deepEqual(read.metadata.custom, custom)
        }))
    })

    it("ids and names that are not strings, or hold a NUL, are InvalidRequest on every method", async () => {
      await onStore(store.layer(), (keys) =>
        Effect.gen(function* () {
          const org = yield* keys.createOrganization("Acme")
          const project = yield* keys.createProject(org.id, "v1")
          const product = yield* keys.createProduct(org.id, "api")
          const key = yield* keys.createKey(org.id)
          for (const bad of NOT_IDS) {
            const calls: ReadonlyArray<readonly [string, Effect.Effect<unknown, { readonly _tag: string }>]> = [
              ["createOrganization", keys.createOrganization(bad)],
              ["getOrganization", keys.getOrganization(bad)],
              ["createProject(orgId)", keys.createProject(bad, "v2")],
              ["createProject(name)", keys.createProject(org.id, bad)],
              ["getProject", keys.getProject(bad)],
              ["listProjects", keys.listProjects(bad)],
              ["getOrCreateOrganization", keys.getOrCreateOrganization(bad)],
              ["getOrCreateProject(orgId)", keys.getOrCreateProject(bad, "v3")],
              ["getOrCreateProject(name)", keys.getOrCreateProject(org.id, bad)],
              ["createProduct(name)", keys.createProduct(org.id, bad)],
              ["getOrCreateProduct(orgId)", keys.getOrCreateProduct(bad, "web")],
              ["getOrCreateProduct(name)", keys.getOrCreateProduct(org.id, bad)],
              ["getProduct", keys.getProduct(bad)],
              ["listProducts", keys.listProducts(bad)],
              ["addProductToProject(productId)", keys.addProductToProject(bad, project.id)],
              ["addProductToProject(projectId)", keys.addProductToProject(product.id, bad)],
              ["listProjectProducts", keys.listProjectProducts(bad)],
              ["createKey(orgId)", keys.createKey(bad)],
              ["revokeKey", keys.revokeKey(bad)],
              ["getKey", keys.getKey(bad)],
              ["listOrgKeys", keys.listOrgKeys(bad)],
              ["listProjectKeys", keys.listProjectKeys(bad)],
              ["updateKey", keys.updateKey(bad, { name: "x" })],
              ["deleteKey", keys.deleteKey(bad)],
              ["rotateKey", keys.rotateKey(bad)],
            ]
            for (const [name, call] of calls) {
              const exit = yield* attempt(call)
              assert.ok(Exit.isFailure(exit), `${name}(${String(bad)}) succeeded`)
              failureOf(exit, "InvalidRequest")
            }
            if (bad !== undefined) {
              failureOf(yield* attempt(keys.createKey(org.id, { projectId: bad })), "InvalidRequest")
              failureOf(yield* attempt(keys.createKey(org.id, { productId: bad })), "InvalidRequest")
            }
          }
          // A key's plaintext that is not a string is malformed; options naming no possible row are not reached.
          for (const bad of NOT_IDS) {
            assert.equal(failureOf(yield* attempt(keys.verifyKey(bad)), "InvalidKey").reason, "malformed")
            if (bad !== undefined) {
              const refused = yield* attempt(keys.validateKey(key.plaintext, { projectId: bad, productId: bad }))
              assert.equal(failureOf(refused, "InsufficientScope").reason, "project")
              const product = yield* attempt(keys.validateKey(key.plaintext, { productId: bad }))
              assert.equal(failureOf(product, "InsufficientScope").reason, "product")
              const scope = yield* attempt(keys.validateKey(key.plaintext, { requiredScope: bad }))
              assert.equal(failureOf(scope, "InsufficientScope").reason, "scope")
            }
          }
          failureOf(
            yield* attempt(keys.validateKey(key.plaintext, { requiredScopes: "read" as Untyped })),
            "InsufficientScope",
          )
          assert.equal(yield* count("organizations"), 1)
          assert.equal(yield* count("projects"), 1)
        }))
    })

    it("a change that fails after its write leaves nothing: revoking a key whose stored metadata is corrupt", async () => {
      await onStore(store.layer(), (keys) =>
        Effect.gen(function* () {
          const sql = yield* SqlClient.SqlClient
          const org = yield* keys.createOrganization("Acme")
          const key = yield* keys.createKey(org.id)
          yield* sql`UPDATE api_keys SET metadata = ${"not json"} WHERE id = ${key.key.id}`
          failureOf(yield* attempt(keys.revokeKey(key.key.id)), "KeyStoreUnavailable")
          failureOf(yield* attempt(keys.updateKey(key.key.id, { name: "x" })), "KeyStoreUnavailable")
          const [row] = yield* sql<
            { revoked_at: unknown; metadata: string }
          >`SELECT revoked_at, metadata FROM api_keys WHERE id = ${key.key.id}`
          assert.equal(row.revoked_at, null, "the revocation was rolled back")
          assert.equal(row.metadata, "not json", "the update wrote nothing")
        }))
    })

    it("a caller changing an answer changes no later answer (metadata is decoded once and shared)", async () => {
      await onStore(store.layer(), (keys) =>
        Effect.gen(function* () {
          const org = yield* keys.createOrganization("Acme")
          const expiresAt = new Date(Date.now() + 3_600_000)
          const key = yield* keys.createKey(org.id, {
            metadata: { scopes: ["read"], expiresAt, custom: { plan: "pro" } },
          })
          const first = yield* keys.validateKey(key.plaintext)
          first.metadata.expiresAt!.setTime(0)
          assert.throws(() => (first.metadata.scopes as Array<string>).push("admin"))
          assert.throws(() => (first.metadata.custom as Record<string, unknown>).plan = "free")
          const second = yield* keys.validateKey(key.plaintext, { requiredScopes: ["read"] })
          assert.deepEqual(second.metadata.expiresAt, expiresAt)
          assert.deepEqual(second.metadata.scopes, ["read"])
          assert.deepEqual(second.metadata.custom, { plan: "pro" })
          failureOf(yield* attempt(keys.validateKey(key.plaintext, { requiredScopes: ["admin"] })), "InsufficientScope")
        }))
    })

    it("200 concurrent updates of one key all apply, one after the other", async () => {
      await onStore(store.layer(), (keys) =>
        Effect.gen(function* () {
          const org = yield* keys.createOrganization("Acme")
          const key = yield* keys.createKey(org.id)
          const results = yield* Effect.all(
            Array.from({ length: 200 }, (_, i) =>
              attempt(
                i % 2 === 0
                  ? keys.updateKey(key.key.id, { custom: { i } })
                  : keys.updateKey(key.key.id, { name: `n${i}` }),
              )),
            { concurrency: "unbounded" },
          )
          const failures = results.filter(Exit.isFailure)
          assert.equal(failures.length, 0, failures.map(String).join("\n"))
          // Each answer is the key as its own update left it: its field set, the other one from an earlier update.
          for (const [i, exit] of results.entries()) {
            if (!Exit.isSuccess(exit)) continue
            if (i % 2 === 0) assert.deepEqual(exit.value.metadata.custom, { i })
            else assert.equal(exit.value.metadata.name, `n${i}`)
          }
          const final = yield* keys.getKey(key.key.id)
          assert.ok(typeof final.metadata.name === "string" && "i" in final.metadata.custom, "both fields landed")
        }))
    })
  })
}

describe("ApiKeys on one SQLite file shared by two processes", () => {
  it("concurrent updates of one key from two processes all apply, none KeyStoreUnavailable", async () => {
    const dir = mkdtempSync(join(tmpdir(), "apikeys-"))
    const filename = join(dir, "keys.db")
    try {
      await Effect.runPromise(
        Effect.gen(function* () {
          yield* migrate
          const keys = yield* makeApiKeys()
          const org = yield* keys.createOrganization("Acme")
          const key = yield* keys.createKey(org.id)
          let childDone = false
          const child = updater(filename, key.key.id, 100).finally(() => childDone = true)
          // Updates in rounds of 10 for as long as the other process runs, so that the two overlap; each round lets
          // the event loop see whether it has ended (SQLite answers synchronously), and 500 rounds are the most.
          const results: Array<Exit.Exit<unknown, unknown>> = []
          for (let round = 0; (!childDone || round < 10) && round < 500; round++) {
            results.push(
              ...yield* Effect.all(
                Array.from({ length: 10 }, (_, i) => attempt(keys.updateKey(key.key.id, { custom: { round, i } }))),
                { concurrency: "unbounded" },
              ),
            )
            yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 1)))
          }
          const failures = results.filter(Exit.isFailure)
          assert.equal(failures.length, 0, failures.map(String).join("\n"))
          assert.deepEqual(yield* Effect.promise(() => child), [], "the other process's failures")
        }).pipe(Effect.scoped, Effect.provide(SqliteClient.layer({ filename }))),
      )
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

/** Runs `updates` concurrent updates of `keyId` in another process (test/_apikeys_updater.ts): its failures. */
const updater = (filename: string, keyId: string, updates: number): Promise<ReadonlyArray<string>> => {
  const script = fileURLToPath(new URL("./_apikeys_updater.ts", import.meta.url))
  const isDeno = (globalThis as { Deno?: unknown }).Deno !== undefined
  const args = [script, filename, keyId, String(updates)]
  const child = spawn(process.execPath, isDeno ? ["run", "--allow-all", ...args] : args, {
    stdio: ["ignore", "pipe", "inherit"],
  })
  let out = ""
  child.stdout.on("data", (chunk) => out += chunk)
  return new Promise((resolve, reject) => {
    child.on("error", reject)
    child.on(
      "close",
      (code) => code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`updater exited with ${code}`)),
    )
  })
}
