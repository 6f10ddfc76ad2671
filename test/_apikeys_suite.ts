// The behaviour suite of the ApiKeys service, run on each store (SQLite always, PostgreSQL with DATABASE_URL).
import { after, describe, it } from "node:test"
import assert from "node:assert/strict"
import { inspect } from "node:util"
import { Duration, Effect, Exit, type Layer, ManagedRuntime, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import { TestClock } from "effect/testing"
import { createHash, createHmac } from "node:crypto"
import { ApiKeys, type ApiKeysOptions, type ApiKeysService, makeApiKeys } from "../src/apikeys/service.ts"

/** What the suite runs on: the service, and the SqlClient under it (to scan tables). */
export type SuiteLayer = Layer.Layer<ApiKeys | SqlClient.SqlClient, unknown>

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0)

/** Fails the test unless `exit` failed with an error tagged `tag`; returns that error. */
export const failureOf = <A, E, T extends string>(exit: Exit.Exit<A, E>, tag: T): E & { readonly _tag: T } => {
  if (Exit.isSuccess(exit)) assert.fail(`expected ${tag}, got success`)
  const reason = exit.cause.reasons.find((r) => r._tag === "Fail")
  assert.ok(reason !== undefined && reason._tag === "Fail", `expected ${tag}, got ${String(exit.cause)}`)
  assert.equal((reason.error as { readonly _tag?: unknown })._tag, tag, String(reason.error))
  return reason.error as E & { readonly _tag: T }
}

export const apiKeysSuite = (name: string, makeLayer: () => SuiteLayer): void => {
  describe(`ApiKeys on ${name}`, () => {
    let runtime: ManagedRuntime.ManagedRuntime<ApiKeys | SqlClient.SqlClient, never> | undefined
    // A layer that fails to build fails every test with its cause; its error type adds nothing here.
    const rt = () => (runtime ??= ManagedRuntime.make(makeLayer() as Layer.Layer<ApiKeys | SqlClient.SqlClient>))
    after(async () => {
      await runtime?.dispose()
    })
    /** Runs at a virtual instant: `TestClock` starts at `at` and moves only when told. */
    const exitAt = <A, E>(effect: Effect.Effect<A, E, ApiKeys | SqlClient.SqlClient | TestClock.TestClock>, at = T0) =>
      rt().runPromiseExit(
        Effect.andThen(TestClock.setTime(at), effect).pipe(Effect.provide(TestClock.layer())),
      )
    const exit = <A, E>(effect: Effect.Effect<A, E, ApiKeys | SqlClient.SqlClient>) => exitAt(effect)
    const okAt = async <A, E>(effect: Effect.Effect<A, E, ApiKeys | SqlClient.SqlClient | TestClock.TestClock>) => {
      const result = await exitAt(effect)
      if (Exit.isFailure(result)) assert.fail(String(result.cause))
      return result.value
    }
    /** Every call runs at T0 unless it moves the clock itself. */
    const keys = <A, E>(f: (keys: ApiKeysService) => Effect.Effect<A, E>) => okAt(Effect.flatMap(ApiKeys, f))
    const fails = async <A, E, T extends string>(effect: Effect.Effect<A, E, ApiKeys | SqlClient.SqlClient>, tag: T) =>
      failureOf(await exit(effect), tag)

    /** An organization of its own (names are unique), with a project, and a product linked to it. */
    const setup = () =>
      keys((k) =>
        Effect.gen(function* () {
          const org = yield* k.createOrganization(`Acme ${crypto.randomUUID()}`)
          const project = yield* k.createProject(org.id, "v1")
          const product = yield* k.createProduct(org.id, "api")
          yield* k.addProductToProject(product.id, project.id)
          return { org, project, product }
        })
      )
    const service = ApiKeys

    describe("organizations, projects, products", () => {
      it("creates, gets and lists them, with links", async () => {
        const { org, project, product } = await setup()
        const other = await keys((k) => k.createProduct(org.id, "unlinked"))
        assert.equal((await keys((k) => k.getOrganization(org.id))).name, org.name)
        assert.deepEqual((await keys((k) => k.getProject(project.id))).orgId, org.id)
        assert.deepEqual((await keys((k) => k.listProjects(org.id))).map((p) => p.name), ["v1"])
        assert.deepEqual(
          new Set((await keys((k) => k.listProducts(org.id))).map((p) => p.id)),
          new Set([product.id, other.id]),
        )
        assert.deepEqual((await keys((k) => k.listProjectProducts(project.id))).map((p) => p.id), [product.id])
        await keys((k) => k.addProductToProject(product.id, project.id)) // twice is a no-op
        assert.equal((await keys((k) => k.listProjectProducts(project.id))).length, 1)
        assert.ok((await keys((k) => k.listOrganizations())).some((o) => o.id === org.id))
      })

      it("keeps names unique: AlreadyExists carries the id that has the name; getOrCreate* returns it", async () => {
        const { org, project, product } = await setup()
        const taken = await fails(
          Effect.flatMap(service, (k) => k.createOrganization(`  ${org.name} `)),
          "AlreadyExists",
        )
        assert.deepEqual([taken.kind, taken.takenName, taken.existingId], ["organization", org.name, org.id])
        assert.equal(taken.message, `Organization '${org.name}' already exists`)
        const projectTaken = await fails(Effect.flatMap(service, (k) => k.createProject(org.id, "v1")), "AlreadyExists")
        assert.deepEqual([projectTaken.kind, projectTaken.existingId], ["project", project.id])
        const productTaken = await fails(
          Effect.flatMap(service, (k) => k.createProduct(org.id, "api")),
          "AlreadyExists",
        )
        assert.deepEqual([productTaken.kind, productTaken.existingId], ["product", product.id])
        // Unique within an organization only, and case counts.
        const other = await keys((k) => k.createOrganization(org.name.toUpperCase()))
        assert.notEqual((await keys((k) => k.createProject(other.id, "v1"))).id, project.id)

        assert.deepEqual(await keys((k) => k.getOrCreateOrganization(org.name)), { value: org, created: false })
        assert.deepEqual(await keys((k) => k.getOrCreateProject(org.id, "v1")), { value: project, created: false })
        assert.deepEqual(await keys((k) => k.getOrCreateProduct(org.id, "api")), { value: product, created: false })
        const fresh = await keys((k) => k.getOrCreateProject(org.id, "v2"))
        assert.equal(fresh.created, true)
        assert.deepEqual(await keys((k) => k.getProject(fresh.value.id)), fresh.value)
        const missing = crypto.randomUUID()
        await fails(Effect.flatMap(service, (k) => k.getOrCreateProduct(missing, "api")), "OrganizationNotFound")
        await fails(Effect.flatMap(service, (k) => k.getOrCreateOrganization(" ")), "InvalidRequest")
      })

      it("getOrCreate* under concurrency: one row per name, one call reports it created", async () => {
        const name = `Race ${crypto.randomUUID()}`
        const results = await keys((k) =>
          Effect.all(Array.from({ length: 8 }, () => k.getOrCreateOrganization(name)), { concurrency: "unbounded" })
        )
        assert.equal(new Set(results.map((r) => r.value.id)).size, 1)
        assert.equal(results.filter((r) => r.created).length, 1)
      })

      it("fails with the seed's not-found errors, carrying the id", async () => {
        const { org, project } = await setup()
        const missing = crypto.randomUUID()
        assert.equal(
          (await fails(Effect.flatMap(service, (k) => k.getOrganization(missing)), "OrganizationNotFound")).orgId,
          missing,
        )
        const error = await fails(Effect.flatMap(service, (k) => k.createProject(missing, "x")), "OrganizationNotFound")
        assert.equal(error.message, `Organization '${missing}' not found`)
        await fails(Effect.flatMap(service, (k) => k.createProduct(missing, "x")), "OrganizationNotFound")
        await fails(Effect.flatMap(service, (k) => k.getProject(missing)), "ProjectNotFound")
        await fails(Effect.flatMap(service, (k) => k.getProduct(missing)), "ProductNotFound")
        await fails(Effect.flatMap(service, (k) => k.addProductToProject(missing, project.id)), "ProductNotFound")
        await fails(Effect.flatMap(service, (k) => k.listProjects(missing)), "OrganizationNotFound")
        await fails(Effect.flatMap(service, (k) => k.createKey(missing)), "OrganizationNotFound")
        await fails(Effect.flatMap(service, (k) => k.createKey(org.id, { projectId: missing })), "ProjectNotFound")
        await fails(Effect.flatMap(service, (k) => k.createKey(org.id, { productId: missing })), "ProductNotFound")
        await fails(Effect.flatMap(service, (k) => k.getKey(missing)), "KeyNotFound")
        await fails(Effect.flatMap(service, (k) => k.revokeKey(missing)), "KeyNotFound")
      })

      it("refuses empty names, cross-organization links and keys placed in another organization", async () => {
        const a = await setup()
        const b = await setup()
        await fails(Effect.flatMap(service, (k) => k.createOrganization("  ")), "InvalidRequest")
        await fails(Effect.flatMap(service, (k) => k.addProductToProject(b.product.id, a.project.id)), "InvalidRequest")
        await fails(
          Effect.flatMap(service, (k) => k.createKey(a.org.id, { projectId: b.project.id })),
          "InvalidRequest",
        )
        const unlinked = await keys((k) => k.createProduct(a.org.id, "unlinked"))
        await fails(
          Effect.flatMap(service, (k) => k.createKey(a.org.id, { projectId: a.project.id, productId: unlinked.id })),
          "InvalidRequest",
        )
      })
    })

    describe("createKey", () => {
      it("returns a Redacted sk_ plaintext once, and stores only its prefix and hash", async () => {
        const { org, project, product } = await setup()
        const created = await keys((k) =>
          k.createKey(org.id, {
            projectId: project.id,
            productId: product.id,
            metadata: {
              name: "Alice's key",
              scopes: ["read", "write"],
              rateLimit: 1000,
              custom: { user_id: "u_alice", plan: "pro" },
            },
          })
        )
        const plaintext = Redacted.value(created.plaintext)
        assert.match(plaintext, /^sk_[A-Za-z0-9_-]{43}$/)
        assert.equal(created.key.keyPrefix, plaintext.slice(3, 11))
        assert.ok(!inspect(created, { depth: 10 }).includes(plaintext))
        assert.ok(!JSON.stringify(created).includes(plaintext))
        assert.deepEqual(created.key.metadata, {
          name: "Alice's key",
          scopes: ["read", "write"],
          rateLimit: { requests: 1000, window: "minute" },
          custom: { user_id: "u_alice", plan: "pro" },
        })
        assert.equal(created.key.status, "active")
        assert.equal(created.key.useCount, 0)
        const got = await keys((k) => k.getKey(created.key.id))
        assert.deepEqual(got, created.key)
      })

      it("never stores a plaintext: no table holds the key or its token", async () => {
        const { org } = await setup()
        const created = await keys((k) => k.createKey(org.id, { metadata: { scopes: ["read"], rateLimit: 5 } }))
        const plaintext = Redacted.value(created.plaintext)
        await keys((k) => k.validateKey(created.plaintext))
        await keys((k) => k.rotateKey(created.key.id))
        const dump = await rt().runPromise(Effect.gen(function* () {
          const sql = yield* SqlClient.SqlClient
          const tables = [
            "organizations",
            "projects",
            "products",
            "project_products",
            "api_keys",
            "rate_limit_counters",
          ]
          const rows = []
          for (const table of tables) rows.push(...(yield* sql`SELECT * FROM ${sql(table)}`))
          return JSON.stringify(rows, (_, value) => typeof value === "bigint" ? String(value) : value)
        }))
        assert.ok(dump.includes(created.key.id))
        assert.ok(!dump.includes(plaintext.slice(3)), "the token is stored somewhere")
        assert.ok(!dump.includes(plaintext.slice(3, 20)), "a long part of the token is stored somewhere")
      })

      it("issues distinct keys under concurrent creates", async () => {
        const { org } = await setup()
        const created = await keys((k) =>
          Effect.all(Array.from({ length: 30 }, () => k.createKey(org.id)), { concurrency: "unbounded" })
        )
        const listed = await keys((k) => k.listOrgKeys(org.id))
        assert.equal(listed.length, 30)
        assert.equal(new Set(created.map((c) => Redacted.value(c.plaintext))).size, 30)
        assert.deepEqual(new Set(listed.map((k) => k.id)), new Set(created.map((c) => c.key.id)))
      })
    })

    describe("verifyKey", () => {
      it("returns the key and records its use", async () => {
        const { org } = await setup()
        const created = await keys((k) => k.createKey(org.id))
        const key = await okAt(Effect.flatMap(service, (k) => k.verifyKey(created.plaintext)))
        assert.equal(key.id, created.key.id)
        assert.equal(key.useCount, 1)
        assert.deepEqual(key.lastUsedAt, new Date(T0))
        assert.equal((await keys((k) => k.verifyKey(Redacted.value(created.plaintext)))).useCount, 2)
      })

      it("fails malformed keys with InvalidKey(malformed), unknown ones with InvalidKey(not_found)", async () => {
        for (const bad of ["", "sk_", "pk_" + "A".repeat(43), "sk_" + "A".repeat(42), "sk_" + "A".repeat(44)]) {
          const error = await fails(Effect.flatMap(service, (k) => k.verifyKey(bad)), "InvalidKey")
          assert.equal(error.reason, "malformed")
          assert.equal(error.message, "Malformed key format")
        }
        const error = await fails(Effect.flatMap(service, (k) => k.verifyKey("sk_" + "A".repeat(43))), "InvalidKey")
        assert.equal(error.reason, "not_found")
        assert.equal(error.message, "Key not found")
      })

      it("fails a revoked key with RevokedKey, keeping the first revocation time", async () => {
        const { org } = await setup()
        const created = await keys((k) => k.createKey(org.id))
        const revoked = await okAt(Effect.flatMap(service, (k) => k.revokeKey(created.key.id)))
        assert.equal(revoked.status, "revoked")
        await okAt(
          Effect.andThen(TestClock.adjust("1 hour"), Effect.flatMap(service, (k) => k.revokeKey(created.key.id))),
        )
        const error = await fails(Effect.flatMap(service, (k) => k.verifyKey(created.plaintext)), "RevokedKey")
        assert.equal(error.keyId, created.key.id)
        assert.deepEqual(error.revokedAt, new Date(T0))
      })

      it("fails an expired key with ExpiredKey(expiredAt)", async () => {
        const { org } = await setup()
        const expiresAt = new Date(T0 + 60_000)
        const created = await keys((k) => k.createKey(org.id, { metadata: { expiresAt } }))
        await okAt(Effect.flatMap(service, (k) => k.verifyKey(created.plaintext)))
        const result = await exitAt(Effect.flatMap(service, (k) => k.verifyKey(created.plaintext)), T0 + 60_001)
        const error = failureOf(result, "ExpiredKey")
        assert.deepEqual(error.expiredAt, expiresAt)
      })
    })

    describe("validateKey", () => {
      it("checks organization, project, product and scopes, broad keys reaching narrower places", async () => {
        const { org, project, product } = await setup()
        const other = await setup()
        const unlinked = await keys((k) => k.createProduct(org.id, "unlinked"))
        const orgWide = await keys((k) => k.createKey(org.id, { metadata: { scopes: ["read"] } }))
        const projectKey = await keys((k) => k.createKey(org.id, { projectId: project.id }))
        const productKey = await keys((k) => k.createKey(org.id, { projectId: project.id, productId: product.id }))
        const reason = async (
          plaintext: Redacted.Redacted<string>,
          options: Parameters<ApiKeysService["validateKey"]>[1],
        ) =>
          (await fails(Effect.flatMap(service, (k) => k.validateKey(plaintext, options)), "InsufficientScope")).reason

        await keys((k) =>
          k.validateKey(orgWide.plaintext, { orgId: org.id, projectId: project.id, productId: product.id })
        )
        assert.equal(await reason(orgWide.plaintext, { orgId: other.org.id }), "organization")
        assert.equal(await reason(orgWide.plaintext, { projectId: other.project.id }), "project")
        assert.equal(await reason(orgWide.plaintext, { productId: other.product.id }), "product")
        await keys((k) => k.validateKey(projectKey.plaintext, { projectId: project.id, productId: product.id }))
        assert.equal(await reason(projectKey.plaintext, { productId: unlinked.id }), "product")
        assert.equal(await reason(projectKey.plaintext, { projectId: other.project.id }), "project")
        await keys((k) => k.validateKey(productKey.plaintext, { productId: product.id }))
        assert.equal(await reason(productKey.plaintext, { productId: unlinked.id }), "product")

        const scope = await fails(
          Effect.flatMap(
            service,
            (k) => k.validateKey(orgWide.plaintext, { requiredScopes: ["read", "write", "admin"] }),
          ),
          "InsufficientScope",
        )
        assert.deepEqual(scope.missingScopes, ["write", "admin"])
        // requiredScope, the seed's single scope, adds to requiredScopes.
        await keys((k) => k.validateKey(orgWide.plaintext, { requiredScope: "read" }))
        const single = await fails(
          Effect.flatMap(
            service,
            (k) => k.validateKey(orgWide.plaintext, { requiredScopes: ["read"], requiredScope: "write" }),
          ),
          "InsufficientScope",
        )
        assert.deepEqual(single.missingScopes, ["write"])
        const alone = await fails(
          Effect.flatMap(service, (k) => k.validateKey(orgWide.plaintext, { requiredScope: "admin" })),
          "InsufficientScope",
        )
        assert.deepEqual(alone.missingScopes, ["admin"], "requiredScope alone is checked")
        assert.equal((await keys((k) => k.getKey(orgWide.key.id))).useCount, 2, "refusals are not uses")
      })

      it("follows the seed's order: revoked before expired before scope", async () => {
        const { org, product } = await setup()
        const other = await setup()
        const created = await keys((k) => k.createKey(org.id, { metadata: { expiresAt: new Date(T0 - 1) } }))
        const wrong = { orgId: other.org.id, productId: product.id, requiredScopes: ["x"] }
        await fails(Effect.flatMap(service, (k) => k.validateKey(created.plaintext, wrong)), "ExpiredKey")
        await keys((k) => k.revokeKey(created.key.id))
        await fails(Effect.flatMap(service, (k) => k.validateKey(created.plaintext, wrong)), "RevokedKey")
        await fails(Effect.flatMap(service, (k) => k.validateKey("sk_bad", wrong)), "InvalidKey")
      })

      it("computes retryAfter as upstream does: max(1, whole seconds to the window's end + 1)", async () => {
        const { org } = await setup()
        const refusedAfter = async (window: "second" | "hour", elapsed: Duration.Input) => {
          const created = await keys((k) => k.createKey(org.id, { metadata: { rateLimit: { requests: 1, window } } }))
          const validate = Effect.flatMap(service, (k) => k.validateKey(created.plaintext))
          const refused = await okAt(Effect.gen(function* () {
            yield* TestClock.adjust(elapsed)
            yield* validate
            return yield* Effect.flip(validate)
          }))
          assert.equal(refused._tag, "QuotaExceeded")
          return refused._tag === "QuotaExceeded" ? Duration.toMillis(refused.retryAfter) : -1
        }
        assert.equal(await refusedAfter("second", "250 millis"), 1_000) // int(0.75) + 1
        assert.equal(await refusedAfter("hour", "1799500 millis"), 1_801_000) // int(1800.5) + 1
      })

      it("enforces the key's rate limit per fixed window, with retryAfter to the window's end", async () => {
        const { org } = await setup()
        const created = await keys((k) =>
          k.createKey(org.id, { metadata: { rateLimit: { requests: 3, window: "minute" } } })
        )
        const validate = Effect.flatMap(service, (k) => k.validateKey(created.plaintext))
        const result = await okAt(Effect.gen(function* () {
          yield* TestClock.adjust("10 seconds")
          for (let i = 0; i < 3; i++) yield* validate
          const refused = yield* Effect.flip(validate)
          yield* TestClock.adjust("50 seconds")
          const again = yield* validate
          return { refused, again }
        }))
        assert.equal(result.refused._tag, "QuotaExceeded")
        if (result.refused._tag !== "QuotaExceeded") return
        // Upstream's delay: max(1, whole seconds to the window's end + 1).
        assert.equal(Duration.toMillis(result.refused.retryAfter), 51_000)
        assert.deepEqual(result.refused.limit, { requests: 3, window: "minute" })
        assert.equal(result.again.useCount, 4)
      })

      it("loses no update under concurrency: exact use counts and rate-limit counters", async () => {
        const { org } = await setup()
        const limited = await keys((k) =>
          k.createKey(org.id, { metadata: { rateLimit: { requests: 25, window: "hour" } } })
        )
        const free = await keys((k) => k.createKey(org.id))
        const outcome = await okAt(Effect.gen(function* () {
          const k = yield* service
          const results = yield* Effect.all(
            Array.from(
              { length: 60 },
              (_, i) => Effect.exit(k.validateKey(i % 2 === 0 ? limited.plaintext : free.plaintext)),
            ),
            { concurrency: "unbounded" },
          )
          return { results, limited: yield* k.getKey(limited.key.id), free: yield* k.getKey(free.key.id) }
        }))
        const limitedResults = outcome.results.filter((_, i) => i % 2 === 0)
        assert.equal(limitedResults.filter(Exit.isSuccess).length, 25)
        assert.equal(outcome.limited.useCount, 25)
        assert.equal(outcome.free.useCount, 30)
        const counters = await rt().runPromise(
          Effect.flatMap(
            SqlClient.SqlClient,
            (sql) => sql<{ count: unknown }>`SELECT count FROM rate_limit_counters WHERE key_id = ${limited.key.id}`,
          ),
        )
        assert.deepEqual(counters.map((c) => Number(c.count)), [25])
      })
    })

    describe("lifecycle", () => {
      it("lists keys by organization and project, filtered by status", async () => {
        const { org, project } = await setup()
        const active = await keys((k) => k.createKey(org.id, { projectId: project.id }))
        const revoked = await keys((k) => k.createKey(org.id, { projectId: project.id }))
        const expired = await keys((k) => k.createKey(org.id, { metadata: { expiresAt: new Date(T0 - 1) } }))
        await keys((k) => k.revokeKey(revoked.key.id))
        const ids = (list: ReadonlyArray<{ id: string }>) => list.map((k) => k.id)
        const list = (options: Parameters<ApiKeysService["listOrgKeys"]>[1]) =>
          okAt(Effect.flatMap(service, (k) => k.listOrgKeys(org.id, options)))
        assert.deepEqual((await list(undefined)).length, 3)
        assert.deepEqual(ids(await list({ status: "active" })), [active.key.id])
        assert.deepEqual(ids(await list({ status: "revoked" })), [revoked.key.id])
        assert.deepEqual(ids(await list({ status: "expired" })), [expired.key.id])
        const inProject = await okAt(
          Effect.flatMap(service, (k) => k.listProjectKeys(project.id, { status: "active" })),
        )
        assert.deepEqual(ids(inProject), [active.key.id])
      })

      it("updates metadata, clearing fields with null", async () => {
        const { org } = await setup()
        const created = await keys((k) =>
          k.createKey(org.id, { metadata: { name: "a", scopes: ["read"], expiresAt: new Date(T0 - 1), rateLimit: 1 } })
        )
        await fails(Effect.flatMap(service, (k) => k.verifyKey(created.plaintext)), "ExpiredKey")
        const updated = await keys((k) =>
          k.updateKey(created.key.id, {
            name: null,
            scopes: ["read", "write"],
            expiresAt: null,
            custom: { plan: "pro" },
          })
        )
        assert.deepEqual(updated.metadata, {
          scopes: ["read", "write"],
          rateLimit: { requests: 1, window: "minute" },
          custom: { plan: "pro" },
        })
        await keys((k) => k.validateKey(created.plaintext, { requiredScopes: ["write"] }))
        assert.deepEqual(await keys((k) => k.getKey(created.key.id)).then((k) => k.metadata), updated.metadata)
        await fails(Effect.flatMap(service, (k) => k.updateKey(created.key.id, { rateLimit: 0 })), "InvalidRequest")
        await fails(Effect.flatMap(service, (k) => k.updateKey(crypto.randomUUID(), {})), "KeyNotFound")
      })

      it("deletes a key for good", async () => {
        const { org } = await setup()
        const created = await keys((k) => k.createKey(org.id, { metadata: { rateLimit: 10 } }))
        await keys((k) => k.validateKey(created.plaintext))
        await keys((k) => k.deleteKey(created.key.id))
        await fails(Effect.flatMap(service, (k) => k.getKey(created.key.id)), "KeyNotFound")
        assert.equal(
          (await fails(Effect.flatMap(service, (k) => k.verifyKey(created.plaintext)), "InvalidKey")).reason,
          "not_found",
        )
        await fails(Effect.flatMap(service, (k) => k.deleteKey(created.key.id)), "KeyNotFound")
      })

      it("rotates: the new key inherits place and metadata, the old one works through its grace period", async () => {
        const { org, project } = await setup()
        const old = await keys((k) => k.createKey(org.id, { projectId: project.id, metadata: { scopes: ["read"] } }))
        const result = await okAt(Effect.gen(function* () {
          const k = yield* service
          const rotated = yield* k.rotateKey(old.key.id, { gracePeriod: "10 minutes", metadata: { name: "v2" } })
          const oldDuringGrace = yield* k.validateKey(old.plaintext, { projectId: project.id })
          const fresh = yield* k.validateKey(rotated.plaintext, { projectId: project.id, requiredScopes: ["read"] })
          yield* TestClock.adjust("10 minutes")
          const oldAfter = yield* Effect.flip(k.verifyKey(old.plaintext))
          const again = yield* Effect.flip(k.rotateKey(old.key.id))
          return { rotated, oldDuringGrace, fresh, oldAfter, again }
        }))
        assert.notEqual(result.rotated.key.id, old.key.id)
        assert.equal(result.rotated.key.projectId, project.id)
        assert.deepEqual(result.rotated.key.metadata, { name: "v2", scopes: ["read"], custom: {} })
        assert.equal(result.oldDuringGrace.replacedBy, result.rotated.key.id)
        assert.deepEqual(result.oldDuringGrace.revokedAt, new Date(T0 + 600_000))
        assert.equal(result.oldDuringGrace.status, "active")
        assert.equal(result.fresh.id, result.rotated.key.id)
        assert.equal(result.oldAfter._tag, "RevokedKey")
        assert.equal(result.again._tag, "RevokedKey")
      })
    })

    describe("concurrency", () => {
      it("loses no update: concurrent updates of different fields all land", async () => {
        const { org } = await setup()
        const expiresAt = new Date(T0 + 86_400_000)
        for (let round = 0; round < 10; round++) {
          const created = await keys((k) => k.createKey(org.id))
          const key = await keys((k) =>
            Effect.andThen(
              Effect.all([
                k.updateKey(created.key.id, { name: "n" }),
                k.updateKey(created.key.id, { scopes: ["x"] }),
                k.updateKey(created.key.id, { rateLimit: 5 }),
                k.updateKey(created.key.id, { expiresAt }),
                k.updateKey(created.key.id, { custom: { plan: "pro" } }),
              ], { concurrency: "unbounded" }),
              k.getKey(created.key.id),
            )
          )
          assert.deepEqual(key.metadata, {
            name: "n",
            scopes: ["x"],
            rateLimit: { requests: 5, window: "minute" },
            expiresAt,
            custom: { plan: "pro" },
          }, `round ${round}`)
        }
      })

      it("rotates once under concurrent rotations: one successor, the others fail with RevokedKey", async () => {
        const { org } = await setup()
        const old = await keys((k) => k.createKey(org.id))
        const results = await keys((k) =>
          Effect.all(
            Array.from({ length: 6 }, () => Effect.exit(k.rotateKey(old.key.id, { gracePeriod: "1 hour" }))),
            { concurrency: "unbounded" },
          )
        )
        const winners = results.filter(Exit.isSuccess)
        assert.equal(winners.length, 1)
        for (const result of results.filter(Exit.isFailure)) {
          assert.deepEqual(failureOf(result, "RevokedKey").revokedAt, new Date(T0 + 3_600_000))
        }
        const listed = await keys((k) => k.listOrgKeys(org.id))
        assert.deepEqual(new Set(listed.map((k) => k.id)), new Set([old.key.id, winners[0].value.key.id]))
        assert.equal((await keys((k) => k.getKey(old.key.id))).replacedBy, winners[0].value.key.id)
      })
    })

    describe("rotation limits", () => {
      it("refuses a grace period over 365 days or not finite, and the key stays readable", async () => {
        const { org } = await setup()
        const old = await keys((k) => k.createKey(org.id))
        for (const gracePeriod of [1e300, "366 days", Infinity, -1, Number.NaN] as const) {
          await fails(Effect.flatMap(service, (k) => k.rotateKey(old.key.id, { gracePeriod })), "InvalidRequest")
        }
        assert.equal((await keys((k) => k.getKey(old.key.id))).replacedBy, null)
        assert.equal((await keys((k) => k.listOrgKeys(org.id))).length, 1)
        const rotated = await keys((k) => k.rotateKey(old.key.id, { gracePeriod: "365 days" }))
        assert.deepEqual(
          (await keys((k) => k.getKey(old.key.id))).revokedAt,
          new Date(T0 + 365 * 86_400_000),
        )
        assert.equal((await keys((k) => k.validateKey(rotated.plaintext))).id, rotated.key.id)
      })

      it("accepts a grace period that is not a whole number of milliseconds", async () => {
        const { org } = await setup()
        const old = await keys((k) => k.createKey(org.id))
        await keys((k) => k.rotateKey(old.key.id, { gracePeriod: Duration.micros(1500n) }))
        const key = await keys((k) => k.getKey(old.key.id))
        assert.ok(key.revokedAt !== null && key.revokedAt.getTime() >= T0 + 1)
      })

      it("fails to rotate an expired key with ExpiredKey, unless the new key gets a future expiresAt or none", async () => {
        const { org } = await setup()
        const expiredAt = new Date(T0 - 1)
        const expired = await keys((k) => k.createKey(org.id, { metadata: { expiresAt: expiredAt } }))
        const error = await fails(Effect.flatMap(service, (k) => k.rotateKey(expired.key.id)), "ExpiredKey")
        assert.deepEqual(error.expiredAt, expiredAt)
        await fails(
          Effect.flatMap(service, (k) => k.rotateKey(expired.key.id, { metadata: { expiresAt: new Date(T0 - 5) } })),
          "ExpiredKey",
        )
        assert.equal((await keys((k) => k.getKey(expired.key.id))).replacedBy, null)
        const renewed = await keys((k) =>
          k.rotateKey(expired.key.id, { metadata: { expiresAt: new Date(T0 + 60_000) } })
        )
        assert.equal(renewed.key.status, "active")
        await keys((k) => k.validateKey(renewed.plaintext))
        const other = await keys((k) => k.createKey(org.id, { metadata: { expiresAt: expiredAt } }))
        const forever = await keys((k) => k.rotateKey(other.key.id, { metadata: { expiresAt: null } }))
        assert.equal(forever.key.metadata.expiresAt, undefined)
      })

      it("clears the old key's replacedBy when its successor is deleted", async () => {
        const { org } = await setup()
        const old = await keys((k) => k.createKey(org.id))
        const rotated = await keys((k) => k.rotateKey(old.key.id))
        await keys((k) => k.deleteKey(rotated.key.id))
        const key = await keys((k) => k.getKey(old.key.id))
        assert.equal(key.replacedBy, null)
        assert.deepEqual(key.revokedAt, new Date(T0 + 3_600_000), "the grace period still ends")
      })
    })

    describe("options and stored form", () => {
      /** Runs `f` on a second service over the same tables, built with `options`. */
      const withOptions = <A, E>(options: ApiKeysOptions, f: (keys: ApiKeysService) => Effect.Effect<A, E>) =>
        okAt(Effect.scoped(Effect.flatMap(makeApiKeys(options), f)))
      const storedRow = (keyId: string) =>
        rt().runPromise(Effect.flatMap(
          SqlClient.SqlClient,
          (sql) =>
            sql<
              { key_prefix: string; key_hash: string }
            >`SELECT key_prefix, key_hash FROM api_keys WHERE id = ${keyId}`,
        )).then((rows) => rows[0])
      const sha256 = (text: string) => createHash("sha256").update(text).digest("hex")

      it("stores the token's first 8 characters and the lowercase hex SHA-256 of the whole key", async () => {
        const { org } = await setup()
        const created = await keys((k) => k.createKey(org.id))
        const plaintext = Redacted.value(created.plaintext)
        assert.match(plaintext, /^sk_[A-Za-z0-9_-]{43}$/)
        const row = await storedRow(created.key.id)
        assert.equal(row.key_prefix, plaintext.slice(3, 11))
        assert.equal(created.key.keyPrefix, plaintext.slice(3, 11))
        assert.match(row.key_hash, /^[0-9a-f]{64}$/)
        assert.equal(row.key_hash, sha256(plaintext))
      })

      it("tags keys with an environment, {prefix}_{env}_{token}, which any service verifies and none can alter", async () => {
        const { org } = await setup()
        const created = await withOptions({ environment: "live" }, (k) => k.createKey(org.id))
        const plaintext = Redacted.value(created.plaintext)
        assert.match(plaintext, /^sk_live_[A-Za-z0-9_-]{43}$/)
        const row = await storedRow(created.key.id)
        assert.equal(row.key_prefix, plaintext.slice(-43, -35), "the prefix is read from the token, after the tag")
        assert.equal(row.key_hash, sha256(plaintext))
        assert.equal((await withOptions({ environment: "live" }, (k) => k.validateKey(plaintext))).id, created.key.id)
        assert.equal((await keys((k) => k.verifyKey(plaintext))).id, created.key.id, "an untagged service reads it")
        const altered = "sk_test_" + plaintext.slice(-43)
        assert.equal(
          (await fails(Effect.flatMap(service, (k) => k.verifyKey(altered)), "InvalidKey")).reason,
          "not_found",
        )
        const untagged = "sk_" + plaintext.slice(-43)
        assert.equal(
          (await fails(Effect.flatMap(service, (k) => k.verifyKey(untagged)), "InvalidKey")).reason,
          "not_found",
        )
      })

      it("keyPrefix: new keys start with it, and keys with another prefix are malformed", async () => {
        const { org } = await setup()
        const created = await withOptions({ keyPrefix: "pk" }, (k) => k.createKey(org.id))
        const plaintext = Redacted.value(created.plaintext)
        assert.match(plaintext, /^pk_[A-Za-z0-9_-]{43}$/)
        assert.equal((await storedRow(created.key.id)).key_hash, sha256(plaintext))
        assert.equal((await withOptions({ keyPrefix: "pk" }, (k) => k.verifyKey(plaintext))).id, created.key.id)
        assert.equal(
          (await fails(Effect.flatMap(service, (k) => k.verifyKey(plaintext)), "InvalidKey")).reason,
          "malformed",
        )
        const sk = await keys((k) => k.createKey(org.id))
        const refused = await exit(
          Effect.scoped(Effect.flatMap(makeApiKeys({ keyPrefix: "pk" }), (k) => k.verifyKey(sk.plaintext))),
        )
        assert.equal(failureOf(refused, "InvalidKey").reason, "malformed")
      })

      it("pepper: the stored hash is HMAC-SHA256 under it, and a service without it finds no key", async () => {
        const { org } = await setup()
        const pepper = Redacted.make("server-side secret")
        const created = await withOptions({ pepper }, (k) => k.createKey(org.id))
        const plaintext = Redacted.value(created.plaintext)
        const row = await storedRow(created.key.id)
        assert.equal(row.key_hash, createHmac("sha256", "server-side secret").update(plaintext).digest("hex"))
        assert.notEqual(row.key_hash, sha256(plaintext))
        assert.equal((await withOptions({ pepper }, (k) => k.validateKey(plaintext))).id, created.key.id)
        assert.equal(
          (await fails(Effect.flatMap(service, (k) => k.verifyKey(plaintext)), "InvalidKey")).reason,
          "not_found",
        )
        const other = await exit(
          Effect.scoped(
            Effect.flatMap(makeApiKeys({ pepper: Redacted.make("another") }), (k) => k.verifyKey(plaintext)),
          ),
        )
        assert.equal(failureOf(other, "InvalidKey").reason, "not_found")
      })

      it("trackUsage: false leaves lastUsedAt and useCount alone, on verify and validate", async () => {
        const { org } = await setup()
        const created = await keys((k) => k.createKey(org.id))
        const untracked = await withOptions({ trackUsage: false }, (k) =>
          Effect.gen(function* () {
            yield* k.verifyKey(created.plaintext)
            return yield* k.validateKey(created.plaintext)
          }))
        assert.equal(untracked.useCount, 0)
        assert.equal(untracked.lastUsedAt, null)
        const stored = await keys((k) => k.getKey(created.key.id))
        assert.equal(stored.useCount, 0)
        assert.equal(stored.lastUsedAt, null)
        assert.equal((await keys((k) => k.validateKey(created.plaintext))).useCount, 1, "the default service counts")
      })
    })

    describe("stored data", () => {
      it("fails with KeyStoreUnavailable, not a defect, when a stored key's metadata does not decode", async () => {
        const { org } = await setup()
        const created = await keys((k) => k.createKey(org.id))
        await rt().runPromise(Effect.flatMap(
          SqlClient.SqlClient,
          (sql) => sql`UPDATE api_keys SET metadata = ${'{"scopes": 5}'} WHERE id = ${created.key.id}`,
        ))
        await fails(Effect.flatMap(service, (k) => k.getKey(created.key.id)), "KeyStoreUnavailable")
        await fails(Effect.flatMap(service, (k) => k.validateKey(created.plaintext)), "KeyStoreUnavailable")
        await fails(Effect.flatMap(service, (k) => k.listOrgKeys(org.id)), "KeyStoreUnavailable")
        await fails(Effect.flatMap(service, (k) => k.updateKey(created.key.id, { name: "x" })), "KeyStoreUnavailable")
      })
    })

    describe("hostile input", () => {
      it("stores SQL-injection-shaped names verbatim and rejects injection-shaped keys and ids", async () => {
        const names = ["'); DROP TABLE api_keys; --", "Robert'); DELETE FROM organizations;--", '" OR 1=1 --']
        for (const name of names) {
          const org = await keys((k) => k.createOrganization(name))
          assert.equal((await keys((k) => k.getOrganization(org.id))).name, name)
          const project = await keys((k) => k.createProject(org.id, name))
          assert.equal(project.name, name)
          const created = await keys((k) =>
            k.createKey(org.id, { metadata: { name, scopes: [name], custom: { [name]: name } } })
          )
          assert.deepEqual((await keys((k) => k.getKey(created.key.id))).metadata.custom, { [name]: name })
        }
        for (const bad of ["sk_' OR '1'='1", "sk_A' OR 1=1 --" + "A".repeat(28), "sk_%%%%%%%%" + "A".repeat(35)]) {
          await fails(Effect.flatMap(service, (k) => k.verifyKey(bad)), "InvalidKey")
        }
        for (const id of ["' OR 1=1 --", "x'; DROP TABLE api_keys; --"]) {
          await fails(Effect.flatMap(service, (k) => k.getKey(id)), "KeyNotFound")
          await fails(Effect.flatMap(service, (k) => k.getOrganization(id)), "OrganizationNotFound")
          await fails(Effect.flatMap(service, (k) => k.deleteKey(id)), "KeyNotFound")
        }
        const { org } = await setup()
        const created = await keys((k) => k.createKey(org.id))
        assert.equal((await keys((k) => k.verifyKey(created.plaintext))).id, created.key.id, "tables survived")
      })

      it("keeps plaintext keys out of error messages and inspect output", async () => {
        const { org } = await setup()
        const created = await keys((k) => k.createKey(org.id, { metadata: { rateLimit: 1 } }))
        const plaintext = Redacted.value(created.plaintext)
        await keys((k) => k.validateKey(created.plaintext))
        const quota = await fails(Effect.flatMap(service, (k) => k.validateKey(created.plaintext)), "QuotaExceeded")
        await keys((k) => k.revokeKey(created.key.id))
        const revoked = await fails(Effect.flatMap(service, (k) => k.validateKey(plaintext)), "RevokedKey")
        for (const error of [quota, revoked]) {
          assert.ok(!error.message.includes(plaintext.slice(3)))
          assert.ok(!inspect(error).includes(plaintext.slice(3)))
        }
        assert.equal(String(created.plaintext).includes(plaintext.slice(3)), false)
      })
    })
  })
}
