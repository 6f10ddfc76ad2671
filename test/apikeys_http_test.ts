import { after, describe, it } from "node:test"
import assert from "node:assert/strict"
import { Effect, Exit, Layer, ManagedRuntime, Redacted } from "effect"
import { HttpServerRequest, HttpServerResponse } from "effect/http"
import { mountMocks } from "../mock/app.ts"
import { MockClock } from "../mock/clock.ts"
import { APIKEYS_DEMO, ApiKeysMock } from "../mock/apikeys/mod.ts"
import { ApiKeys } from "../src/apikeys/service.ts"
import { ApiKeysHttp } from "../src/apikeys/client.ts"
import { apiKeyMiddleware, AuthenticatedKey, makeRequestGuard } from "../src/apikeys/guard.ts"
import { makeApiKeysWebHandler } from "../src/apikeys/http_api.ts"
import { failureOf } from "./_apikeys_suite.ts"

const clock = new MockClock()
const apikeys = new ApiKeysMock(clock)
const mock = mountMocks(clock, [apikeys])
const remote = ApiKeysHttp.layer({ baseUrl: mock.baseUrl("apikeys"), adminKey: APIKEYS_DEMO.adminKey }).pipe(
  Layer.provide(mock.layer),
)
const runtime = ManagedRuntime.make(remote)
const keys = <A, E>(f: (keys: typeof ApiKeys.Service) => Effect.Effect<A, E>) =>
  runtime.runPromiseExit(Effect.flatMap(ApiKeys, f))
const ok = async <A, E>(f: (keys: typeof ApiKeys.Service) => Effect.Effect<A, E>) => {
  const exit = await keys(f)
  if (Exit.isFailure(exit)) assert.fail(String(exit.cause))
  return exit.value
}
after(async () => {
  await runtime.dispose()
  await apikeys.dispose()
})

describe("the key service over HTTP (mock under /apikeys, typed client)", () => {
  it("serves the seeded demo organization and key, and reset() restores them", async () => {
    const key = await ok((k) => k.validateKey(APIKEYS_DEMO.apiKey, { requiredScopes: ["read"] }))
    assert.equal(key.id, APIKEYS_DEMO.keyId)
    assert.equal(key.useCount, 1)
    await ok((k) => k.createOrganization("Temp"))
    apikeys.reset()
    assert.deepEqual((await ok((k) => k.listOrganizations())).map((o) => o.id), [APIKEYS_DEMO.orgId])
    assert.equal((await ok((k) => k.getKey(APIKEYS_DEMO.keyId))).useCount, 0)
  })

  it("round-trips the whole lifecycle with the same typed errors as the local service", async () => {
    const org = await ok((k) => k.createOrganization("Acme"))
    const project = await ok((k) => k.createProject(org.id, "v1"))
    const product = await ok((k) => k.createProduct(org.id, "api"))
    await ok((k) => k.addProductToProject(product.id, project.id))
    assert.deepEqual((await ok((k) => k.listProjectProducts(project.id))).map((p) => p.id), [product.id])
    const created = await ok((k) =>
      k.createKey(org.id, {
        projectId: project.id,
        metadata: {
          scopes: ["read"],
          rateLimit: { requests: 1, window: "day" },
          expiresAt: new Date(Date.now() + 3_600_000),
          custom: { u: 1 },
        },
      })
    )
    assert.ok(Redacted.isRedacted(created.plaintext))
    assert.equal((await ok((k) => k.verifyKey(created.plaintext))).id, created.key.id)
    await ok((k) => k.validateKey(created.plaintext, { productId: product.id }))
    const quota = failureOf(await keys((k) => k.validateKey(created.plaintext)), "QuotaExceeded")
    assert.ok(quota.retryAfter !== undefined)
    const scope = failureOf(await keys((k) => k.verifyKey("sk_nope")), "InvalidKey")
    assert.equal(scope.reason, "malformed")
    failureOf(await keys((k) => k.getKey(crypto.randomUUID())), "KeyNotFound")
    failureOf(await keys((k) => k.createProject(crypto.randomUUID(), "x")), "OrganizationNotFound")
    const updated = await ok((k) => k.updateKey(created.key.id, { scopes: ["read", "write"], expiresAt: null }))
    assert.deepEqual(updated.metadata.scopes, ["read", "write"])
    assert.equal(updated.metadata.expiresAt, undefined)
    const rotated = await ok((k) => k.rotateKey(created.key.id, { gracePeriod: "1 minute" }))
    assert.equal((await ok((k) => k.getKey(created.key.id))).replacedBy, rotated.key.id)
    await ok((k) => k.revokeKey(rotated.key.id))
    failureOf(await keys((k) => k.verifyKey(rotated.plaintext)), "RevokedKey")
    assert.deepEqual((await ok((k) => k.listProjectKeys(project.id, { status: "revoked" }))).map((k) => k.id), [
      rotated.key.id,
    ])
    await ok((k) => k.deleteKey(created.key.id))
    failureOf(await keys((k) => k.deleteKey(created.key.id)), "KeyNotFound")
  })

  it("answers the seed's routes: 201 on create, 400 {detail} on a failed verify, 401 without the admin key", async () => {
    const url = (path: string) => `${mock.baseUrl("apikeys")}${path}`
    const admin = { "x-admin-key": APIKEYS_DEMO.adminKey, "content-type": "application/json" }
    const created = await mock.fetch(url("/api/keys"), {
      method: "POST",
      headers: admin,
      body: JSON.stringify({ org_id: APIKEYS_DEMO.orgId, name: "k", scopes: ["read"], rate_limit: 10 }),
    })
    assert.equal(created.status, 201)
    const body = await created.json() as { key: { metadata: unknown }; plaintext: string }
    assert.match(body.plaintext, /^sk_/)
    assert.deepEqual(body.key.metadata, {
      name: "k",
      scopes: ["read"],
      rate_limit: { requests: 10, window: "minute" },
      custom: {},
    })
    const verify = await mock.fetch(url("/api/keys/verify"), {
      method: "POST",
      headers: admin,
      body: JSON.stringify({ key: "sk_" + "Z".repeat(43) }),
    })
    assert.equal(verify.status, 400)
    assert.equal((await verify.json() as { detail: string }).detail, "Key not found")
    const bad = await mock.fetch(url("/api/orgs"), { method: "POST", headers: admin, body: "{" })
    assert.equal(bad.status, 400)
    assert.equal((await mock.fetch(url("/api/orgs"))).status, 401)
    const unavailable = failureOf(
      await Effect.runPromiseExit(
        Effect.flatMap(ApiKeys, (k) => k.listOrganizations()).pipe(
          Effect.provide(ApiKeysHttp.layer({ baseUrl: mock.baseUrl("apikeys") })),
          Effect.provide(mock.layer),
        ),
      ),
      "KeyStoreUnavailable",
    )
    assert.equal(unavailable.status, 401)
  })
})

describe("request guards", () => {
  const local = ApiKeys.layerSqlite({ filename: ":memory:" })
  const guard = makeRequestGuard(remote, { orgId: APIKEYS_DEMO.orgId })
  after(() => guard.close())

  const request = (headers: Record<string, string>) => new Request("http://app.test/data", { headers })

  it("answers 401 to a missing or invalid key, 403 to a revoked key or a missing scope, 429 with Retry-After", async () => {
    apikeys.reset()
    const missing = await guard.check(request({}))
    assert.equal(missing.ok ? 200 : missing.response.status, 401)
    const invalid = await guard.check(request({ "x-api-key": "sk_' OR 1=1 --" }))
    assert.equal(invalid.ok ? 200 : invalid.response.status, 401)
    const bearer = await guard.check(request({ authorization: `Bearer ${APIKEYS_DEMO.apiKey}` }), {
      requiredScopes: ["read"],
    })
    assert.ok(bearer.ok && bearer.key.id === APIKEYS_DEMO.keyId)
    const scope = await guard.check(request({ "x-api-key": APIKEYS_DEMO.apiKey }), { requiredScopes: ["admin"] })
    assert.ok(!scope.ok)
    assert.equal(scope.response.status, 403)
    assert.equal((await scope.response.json() as { error: string }).error, "InsufficientScope")

    const limited = await ok((k) =>
      k.createKey(APIKEYS_DEMO.orgId, { metadata: { rateLimit: { requests: 1, window: "hour" } } })
    )
    const headers = { "x-api-key": Redacted.value(limited.plaintext) }
    assert.ok((await guard.check(request(headers))).ok)
    const refused = await guard.check(request(headers))
    assert.ok(!refused.ok)
    assert.equal(refused.response.status, 429)
    assert.ok(Number(refused.response.headers.get("retry-after")) >= 1)
    await ok((k) => k.revokeKey(limited.key.id))
    const revoked = await guard.check(request(headers))
    assert.equal(revoked.ok ? 200 : revoked.response.status, 403)
    assert.ok(!JSON.stringify(await (revoked.ok ? undefined : revoked.response.json())).includes(headers["x-api-key"]))
  })

  it("as effect/http middleware, runs the app with the AuthenticatedKey or answers the rejection", async () => {
    const runtime = ManagedRuntime.make(local)
    try {
      const plaintext = await runtime.runPromise(Effect.gen(function* () {
        const keys = yield* ApiKeys
        const org = yield* keys.createOrganization("Acme")
        return (yield* keys.createKey(org.id, { metadata: { name: "alice", scopes: ["read"] } })).plaintext
      }))
      const app = Effect.map(AuthenticatedKey, (key) => HttpServerResponse.text(`hello ${key.metadata.name}`)).pipe(
        apiKeyMiddleware({ requiredScopes: ["read"] }),
      )
      const serve = async (headers: Record<string, string>) => {
        const response = await runtime.runPromise(
          Effect.provideService(app, HttpServerRequest.HttpServerRequest, HttpServerRequest.fromWeb(request(headers))),
        )
        return HttpServerResponse.toWeb(response)
      }
      const allowed = await serve({ "x-api-key": Redacted.value(plaintext) })
      assert.equal(allowed.status, 200)
      assert.equal(await allowed.text(), "hello alice")
      assert.equal((await serve({})).status, 401)
      assert.equal((await serve({ authorization: "Bearer sk_" + "Q".repeat(43) })).status, 401)
    } finally {
      await runtime.dispose()
    }
  })
})

describe("the HTTP API's credentials", () => {
  const orgs = (headers: Record<string, string> = {}) => new Request("http://keys.test/api/orgs", { headers })

  it("refuses every request when the admin key it is given is blank, instead of leaving the API open", async () => {
    for (const blank of ["", "   "]) {
      const { handler, dispose } = makeApiKeysWebHandler(ApiKeys.layerSqlite({ filename: ":memory:" }), {
        adminKey: Redacted.make(blank),
      })
      try {
        assert.equal((await handler(orgs())).status, 401)
        assert.equal((await handler(orgs({ "x-admin-key": blank }))).status, 401)
        assert.equal((await handler(orgs({ "x-admin-key": "" }))).status, 401)
      } finally {
        await dispose()
      }
    }
  })

  it("accepts the validator key on verify and validate only, and the typed client uses it", async () => {
    apikeys.reset()
    const validatorOnly = ManagedRuntime.make(
      ApiKeysHttp.layer({ baseUrl: mock.baseUrl("apikeys"), validatorKey: APIKEYS_DEMO.validatorKey }).pipe(
        Layer.provide(mock.layer),
      ),
    )
    try {
      const run = <A, E>(f: (keys: typeof ApiKeys.Service) => Effect.Effect<A, E>) =>
        validatorOnly.runPromiseExit(Effect.flatMap(ApiKeys, f))
      const validated = await run((k) => k.validateKey(APIKEYS_DEMO.apiKey, { requiredScopes: ["read"] }))
      assert.ok(Exit.isSuccess(validated) && validated.value.id === APIKEYS_DEMO.keyId)
      assert.ok(Exit.isSuccess(await run((k) => k.verifyKey(APIKEYS_DEMO.apiKey))))
      failureOf(await run((k) => k.validateKey("sk_" + "Z".repeat(43))), "InvalidKey")
      assert.equal(failureOf(await run((k) => k.listOrganizations()), "KeyStoreUnavailable").status, 401)
      assert.equal(failureOf(await run((k) => k.revokeKey(APIKEYS_DEMO.keyId)), "KeyStoreUnavailable").status, 401)
      const raw = await mock.fetch(`${mock.baseUrl("apikeys")}/api/keys/${APIKEYS_DEMO.keyId}?purge=true`, {
        method: "DELETE",
        headers: { "x-validator-key": APIKEYS_DEMO.validatorKey },
      })
      assert.equal(raw.status, 401)
      assert.equal((await ok((k) => k.getKey(APIKEYS_DEMO.keyId))).revokedAt, null)
    } finally {
      await validatorOnly.dispose()
    }
  })
})

describe("the typed client's input checks", () => {
  it("fails with InvalidRequest, as the local service does, on an invalid Date or grace period", async () => {
    const invalid = new Date(Number.NaN)
    failureOf(
      await keys((k) => k.createKey(APIKEYS_DEMO.orgId, { metadata: { expiresAt: invalid } })),
      "InvalidRequest",
    )
    failureOf(await keys((k) => k.updateKey(APIKEYS_DEMO.keyId, { expiresAt: invalid })), "InvalidRequest")
    for (const gracePeriod of ["soon" as never, Infinity, "400 days"] as const) {
      failureOf(await keys((k) => k.rotateKey(APIKEYS_DEMO.keyId, { gracePeriod })), "InvalidRequest")
    }
    assert.equal((await ok((k) => k.getKey(APIKEYS_DEMO.keyId))).replacedBy, null)
  })
})

describe("request guard options", () => {
  it("combines per-call options with the guard's defaults: undefined keeps a default, scopes add up", async () => {
    const runtime = ManagedRuntime.make(ApiKeys.layerSqlite({ filename: ":memory:" }))
    const guard = makeRequestGuard(
      Layer.effect(ApiKeys, Effect.promise(() => runtime.runPromise(ApiKeys))),
      { requiredScopes: ["admin"] },
    )
    try {
      const { reader, admin } = await runtime.runPromise(Effect.gen(function* () {
        const keys = yield* ApiKeys
        const org = yield* keys.createOrganization("Acme")
        const reader = yield* keys.createKey(org.id, { metadata: { scopes: ["read"] } })
        const admin = yield* keys.createKey(org.id, { metadata: { scopes: ["read", "admin"] } })
        return { reader: Redacted.value(reader.plaintext), admin: Redacted.value(admin.plaintext) }
      }))
      const check = (key: string, options?: Parameters<typeof guard.check>[1]) =>
        guard.check(new Request("http://app.test/", { headers: { "x-api-key": key } }), options)
      const status = (result: Awaited<ReturnType<typeof check>>) => result.ok ? 200 : result.response.status
      assert.equal(status(await check(reader)), 403)
      assert.equal(status(await check(reader, { requiredScopes: undefined })), 403)
      assert.equal(status(await check(reader, { requiredScopes: ["read"] })), 403)
      assert.equal(status(await check(admin, { requiredScopes: ["read"] })), 200)
      const refused = await check(admin, { requiredScopes: ["write"] })
      assert.ok(!refused.ok && refused.rejection._tag === "InsufficientScope")
      assert.deepEqual(refused.rejection.missingScopes, ["write"])
    } finally {
      await guard.close()
      await runtime.dispose()
    }
  })
})
