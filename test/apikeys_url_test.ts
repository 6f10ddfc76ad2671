// The store chosen by URL, as the seed's APIKeyClient(db_url) and create_tables(db_url).
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { ConfigProvider, Effect, Exit, Layer, Redacted } from "effect"
import { ApiKeys } from "../src/apikeys/service.ts"
import { createTables, parseDatabaseUrl } from "../src/apikeys/database_url.ts"
import { failureOf } from "./_apikeys_suite.ts"

const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "apikeys-url-"))
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}

const located = async (url: string) => {
  const location = await Effect.runPromise(parseDatabaseUrl(url))
  return location.dialect === "sqlite" ? location : { dialect: location.dialect, url: Redacted.value(location.url) }
}

/** Creates an organization and a key through `layer`, and validates the key. */
const roundTrip = (layer: Layer.Layer<ApiKeys, unknown>) =>
  Effect.runPromise(
    Effect.gen(function* () {
      const keys = yield* ApiKeys
      const org = yield* keys.createOrganization(`Acme ${crypto.randomUUID()}`)
      const { plaintext } = yield* keys.createKey(org.id, { metadata: { scopes: ["read"] } })
      return (yield* keys.validateKey(plaintext, { requiredScopes: ["read"] })).orgId === org.id
    }).pipe(Effect.provide(layer)),
  )

describe("ApiKeys: the store chosen by URL", () => {
  it("reads SQLite URLs the seed's way: three slashes relative, four absolute, :memory:", async () => {
    assert.deepEqual(await located("sqlite:///myapp.db"), { dialect: "sqlite", filename: "myapp.db" })
    assert.deepEqual(await located("sqlite:///data/app.db"), { dialect: "sqlite", filename: "data/app.db" })
    assert.deepEqual(await located("sqlite:////var/lib/app.db"), { dialect: "sqlite", filename: "/var/lib/app.db" })
    assert.deepEqual(await located("sqlite+aiosqlite:///acme_demo.db"), { dialect: "sqlite", filename: "acme_demo.db" })
    for (const memory of ["sqlite://:memory:", "sqlite://", "sqlite:///:memory:"]) {
      assert.deepEqual(await located(memory), { dialect: "sqlite", filename: ":memory:" })
    }
  })

  it("reads PostgreSQL and MySQL URLs, with or without a +driver suffix", async () => {
    assert.deepEqual(await located("postgresql://u:p@db:5432/keys"), {
      dialect: "pg",
      url: "postgres://u:p@db:5432/keys",
    })
    assert.deepEqual(await located("postgres://db/keys"), { dialect: "pg", url: "postgres://db/keys" })
    assert.deepEqual(await located("postgresql+asyncpg://db/keys"), { dialect: "pg", url: "postgres://db/keys" })
    assert.deepEqual(await located("mysql://u:p@db:3306/keys"), { dialect: "mysql", url: "mysql://u:p@db:3306/keys" })
    assert.deepEqual(await located("mysql+aiomysql://db/keys"), { dialect: "mysql", url: "mysql://db/keys" })
    assert.deepEqual(await located("mariadb://db/keys"), { dialect: "mysql", url: "mysql://db/keys" })
  })

  it("fails on an unsupported URL with InvalidDatabaseUrl naming the scheme, never the password", async () => {
    const mongo = failureOf(
      await Effect.runPromiseExit(parseDatabaseUrl("mongodb://admin:s3cret@db/keys")),
      "InvalidDatabaseUrl",
    )
    assert.equal(mongo.scheme, "mongodb")
    assert.match(mongo.message, /Unsupported database URL scheme 'mongodb'/)
    assert.doesNotMatch(mongo.message, /s3cret/)
    const none = failureOf(await Effect.runPromiseExit(parseDatabaseUrl("keys.db")), "InvalidDatabaseUrl")
    assert.equal(none.scheme, "")
    const host = failureOf(await Effect.runPromiseExit(parseDatabaseUrl("sqlite://host/keys.db")), "InvalidDatabaseUrl")
    assert.equal(host.scheme, "sqlite")
    // The layer fails the same way, before opening anything.
    const layer = failureOf(
      await Effect.runPromiseExit(Effect.provide(Effect.asVoid(ApiKeys), ApiKeys.layerUrl("redis://cache:6379"))),
      "InvalidDatabaseUrl",
    )
    assert.equal(layer.scheme, "redis")
  })

  it("layerUrl opens a SQLite file that survives a restart", async () => {
    const { dir, remove } = tempDir()
    try {
      const url = `sqlite:///${join(dir, "keys.db")}`
      const plaintext = await Effect.runPromise(
        Effect.gen(function* () {
          const keys = yield* ApiKeys
          const org = yield* keys.createOrganization("Acme")
          return Redacted.value((yield* keys.createKey(org.id)).plaintext)
        }).pipe(Effect.provide(ApiKeys.layerUrl(url))),
      )
      const key = await Effect.runPromise(
        Effect.flatMap(ApiKeys, (keys) => keys.verifyKey(plaintext)).pipe(Effect.provide(ApiKeys.layerUrl(url))),
      )
      assert.equal(key.status, "active")
    } finally {
      remove()
    }
  })

  it("createTables(url) applies the migrations once, as its own call; layerUrl then needs none", async () => {
    const { dir, remove } = tempDir()
    try {
      const url = `sqlite:///${join(dir, "keys.db")}`
      const applied = await Effect.runPromise(createTables(url))
      assert.deepEqual(applied.map(([, name]) => name), ["create_tables", "index_replaced_by", "unique_names"])
      assert.deepEqual(await Effect.runPromise(createTables(url)), [])
      assert.ok(await roundTrip(ApiKeys.layerUrl(url, { migrate: false })))
    } finally {
      remove()
    }
  })

  it("layerConfig reads APIKEYS_DATABASE_URL; a missing one is a ConfigError, a bad one InvalidDatabaseUrl", async () => {
    const withEnv = (env: Record<string, string>) =>
      ApiKeys.layerConfig().pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env }))))
    assert.ok(await roundTrip(withEnv({ APIKEYS_DATABASE_URL: "sqlite://:memory:" })))
    const missing = await Effect.runPromiseExit(Effect.provide(Effect.asVoid(ApiKeys), withEnv({})))
    assert.ok(Exit.isFailure(missing))
    failureOf(missing, "ConfigError")
    const bad = failureOf(
      await Effect.runPromiseExit(
        Effect.provide(Effect.asVoid(ApiKeys), withEnv({ APIKEYS_DATABASE_URL: "oracle://db" })),
      ),
      "InvalidDatabaseUrl",
    )
    assert.equal(bad.scheme, "oracle")
  })

  const servers = [["PostgreSQL", "DATABASE_URL", "postgresql+asyncpg"], ["MySQL", "MYSQL_URL", "mysql+aiomysql"]]
  for (const [name, variable, scheme] of servers) {
    const url = typeof process !== "undefined" ? process.env[variable] : undefined
    it(
      `layerUrl reaches ${name} through ${scheme}://`,
      { skip: url === undefined || url === "" ? `${variable} is not set` : false },
      async () => {
        assert.ok(await roundTrip(ApiKeys.layerUrl(url!.replace(/^[a-z]+:/, `${scheme}:`))))
      },
    )
  }
})
