import { after, describe, it } from "node:test"
import assert from "node:assert/strict"
import { Effect, Exit, Layer, ManagedRuntime, Redacted } from "effect"
import { FetchHttpClient, type HttpClient, HttpServerRequest, HttpServerResponse } from "effect/http"
import { PgClient } from "@effect/sql-pg"
import { APIKEYS_DEMO, ApiKeysMock } from "../mock/apikeys/mod.ts"
import { ApiKeys, type ApiKeysService } from "../src/apikeys/service.ts"
import { ApiKeysHttp } from "../src/apikeys/client.ts"
import { apiKeyMiddleware, AuthenticatedKey, makeRequestGuard } from "../src/apikeys/guard.ts"
import { handleApiKeysRequest, makeApiKeysWebHandler } from "../src/apikeys/http_api.ts"
import { ApiKeysApi } from "../src/apikeys/http_contract.ts"
import { fillPath } from "../src/core/endpoint.ts"
import { failureOf } from "./_apikeys_suite.ts"
import { harness } from "./_harness.ts"

// The one harness: the key-service mock in-process, the typed client over it with the admin key.
const h = harness(
  (clock) => new ApiKeysMock(clock),
  (_, baseUrl) => ApiKeysHttp.layer({ baseUrl, adminKey: APIKEYS_DEMO.adminKey }),
)
const { mock, api: apikeys } = h
const remote = ApiKeysHttp.layer({ baseUrl: h.baseUrl, adminKey: APIKEYS_DEMO.adminKey }).pipe(Layer.provide(h.http))
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

type Run = <A, E>(f: (keys: ApiKeysService) => Effect.Effect<A, E>) => Promise<Exit.Exit<A, E>>

/** The whole lifecycle of a key through the typed client, on the store behind `keys`. */
const lifecycle = async (keys: Run) => {
  const ok = async <A, E>(f: (keys: ApiKeysService) => Effect.Effect<A, E>) => {
    const exit = await keys(f)
    if (Exit.isFailure(exit)) assert.fail(String(exit.cause))
    return exit.value
  }
  const org = await ok((k) => k.createOrganization(`Acme ${crypto.randomUUID()}`))
  const project = await ok((k) => k.createProject(org.id, "v1"))
  // A taken name travels as 409 AlreadyExists, with the id that has it.
  assert.equal(failureOf(await keys((k) => k.createOrganization(org.name)), "AlreadyExists").existingId, org.id)
  assert.equal(failureOf(await keys((k) => k.createProject(org.id, "v1")), "AlreadyExists").existingId, project.id)
  assert.deepEqual(await ok((k) => k.getOrCreateProject(org.id, "v1")), { value: project, created: false })
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
  const missing = failureOf(
    await keys((k) => k.validateKey(created.plaintext, { requiredScope: "write" })),
    "InsufficientScope",
  )
  assert.deepEqual(missing.missingScopes, ["write"])
  await ok((k) => k.validateKey(created.plaintext, { productId: product.id, requiredScope: "read" }))
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
}

/** An `HttpClient` whose requests `handler` answers, without sockets. */
const handlerClient = (handler: (request: Request) => Promise<Response>): Layer.Layer<HttpClient.HttpClient> =>
  Layer.provide(
    FetchHttpClient.layer,
    Layer.succeed(
      FetchHttpClient.Fetch,
      ((input: RequestInfo | URL, init?: RequestInit) => handler(new Request(input, init))) as typeof fetch,
    ),
  )

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

  it("counts uses in memory: snapshot() holds them, and reset() and restore() leave none of them behind", async () => {
    const validate = () => ok((k) => k.validateKey(APIKEYS_DEMO.apiKey))
    const storedUses = (snapshot: ReturnType<typeof apikeys.snapshot>) =>
      snapshot.api_keys.find((row) => row.id === APIKEYS_DEMO.keyId)?.use_count
    apikeys.reset()
    for (let i = 0; i < 3; i++) await validate()
    const snapshot = apikeys.snapshot()
    assert.equal(storedUses(snapshot), 3)
    assert.equal((await validate()).useCount, 4)
    apikeys.restore(snapshot)
    assert.equal((await ok((k) => k.getKey(APIKEYS_DEMO.keyId))).useCount, 3)
    assert.equal((await validate()).useCount, 4)
    apikeys.reset()
    assert.equal(storedUses(apikeys.snapshot()), 0)
    assert.equal((await ok((k) => k.getKey(APIKEYS_DEMO.keyId))).useCount, 0)
    assert.equal((await validate()).useCount, 1)
  })

  it("round-trips the whole lifecycle with the same typed errors as the local service", () => lifecycle(keys))

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
    // A missing or wrong admin key is Unauthorized, with the server's words: not an outage.
    for (const adminKey of [undefined, "wrong"]) {
      const refused = failureOf(
        await Effect.runPromiseExit(
          Effect.flatMap(ApiKeys, (k) => k.listOrganizations()).pipe(
            Effect.provide(ApiKeysHttp.layer({ baseUrl: mock.baseUrl("apikeys"), adminKey })),
            Effect.provide(mock.layer),
          ),
        ),
        "Unauthorized",
      )
      assert.equal(refused.detail, "Missing or wrong X-Admin-Key")
    }
  })
})

describe("apikey-server's routes (/v1/keys) on the mock, over HTTP", () => {
  const url = (path: string) => `${mock.baseUrl("apikeys")}/v1/keys${path}`
  const admin = { "x-admin-key": APIKEYS_DEMO.adminKey, "content-type": "application/json" }
  const send = (path: string, method: string, body?: unknown, headers: Record<string, string> = admin) =>
    mock.fetch(url(path), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  type KeyJson = { id: string; org_id: string; status: string; metadata: Record<string, unknown>; plaintext?: string }
  const verify = async (key: string) => {
    const response = await send("/verify", "POST", { key })
    assert.equal(response.status, 200)
    return await response.json() as { valid: boolean; key?: KeyJson; reason?: string }
  }

  it("creates (201, the plaintext beside the key's fields), verifies, lists, revokes (204) and deletes (204)", async () => {
    apikeys.reset()
    const created = await send("", "POST", { org_id: APIKEYS_DEMO.orgId, name: "ci", scopes: ["read"] })
    assert.equal(created.status, 201)
    const key = await created.json() as KeyJson
    assert.match(key.plaintext ?? "", /^sk_[A-Za-z0-9_-]{43}$/)
    assert.equal(key.status, "active")
    assert.equal(key.org_id, APIKEYS_DEMO.orgId)
    assert.deepEqual(key.metadata, { name: "ci", scopes: ["read"], custom: {} })

    const valid = await verify(key.plaintext!)
    assert.equal(valid.valid, true)
    assert.equal(valid.key?.id, key.id)
    assert.deepEqual(await verify("sk_" + "Z".repeat(43)), { valid: false, reason: "invalid" })
    assert.deepEqual(await verify("not a key"), { valid: false, reason: "invalid" })

    const listed = async (query: string) =>
      ((await (await send(query, "GET")).json()) as ReadonlyArray<KeyJson>).map((k) => k.id)
    assert.ok((await listed(`?org_id=${APIKEYS_DEMO.orgId}`)).includes(key.id))
    assert.ok((await listed("")).includes(key.id), "every key without a filter")
    assert.equal((await send(`?project_id=${crypto.randomUUID()}`, "GET")).status, 404)

    const revoked = await send(`/${key.id}/revoke`, "POST")
    assert.equal(revoked.status, 204)
    assert.equal(await revoked.text(), "")
    assert.deepEqual(await verify(key.plaintext!), { valid: false, reason: "revoked" })
    assert.equal((await (await send(`/${key.id}`, "GET")).json() as KeyJson).status, "revoked")

    assert.equal((await send(`/${key.id}`, "DELETE")).status, 204)
    const gone = await send(`/${key.id}`, "GET")
    assert.equal(gone.status, 404)
    assert.equal((await gone.json() as { _tag: string })._tag, "KeyNotFound")
    assert.equal((await send(`/${key.id}/revoke`, "POST")).status, 404)
    assert.equal((await send(`/${key.id}`, "DELETE")).status, 404)
  })

  it("answers an expired key {valid: false, reason: expired}; PATCH replaces the metadata as upstream does", async () => {
    apikeys.reset()
    const past = new Date(Date.now() - 60_000).toISOString()
    const expired = await (await send("", "POST", { org_id: APIKEYS_DEMO.orgId, expires_at: past })).json() as KeyJson
    assert.deepEqual(await verify(expired.plaintext!), { valid: false, reason: "expired" })

    const key = await (await send("", "POST", {
      org_id: APIKEYS_DEMO.orgId,
      name: "old",
      scopes: ["read", "write"],
      rate_limit: { requests: 5, window: "hour" },
      custom: { plan: "pro" },
    })).json() as KeyJson
    const patched = await send(`/${key.id}`, "PATCH", { scopes: ["read"] })
    assert.equal(patched.status, 200)
    assert.deepEqual((await patched.json() as KeyJson).metadata, { scopes: ["read"], custom: {} })
  })

  it("answers a refused creation 400 (upstream's status) with the typed error in the body", async () => {
    const missing = crypto.randomUUID()
    const refused = await send("", "POST", { org_id: missing })
    assert.equal(refused.status, 400)
    const body = await refused.json() as { _tag: string; orgId: string; detail: string }
    assert.deepEqual([body._tag, body.orgId], ["OrganizationNotFound", missing])
  })

  it("opens verify to the validator key, and every other route to the admin key only", async () => {
    const validator = { "x-validator-key": APIKEYS_DEMO.validatorKey, "content-type": "application/json" }
    const verified = await send("/verify", "POST", { key: APIKEYS_DEMO.apiKey }, validator)
    assert.equal(verified.status, 200)
    assert.equal((await verified.json() as { valid: boolean }).valid, true)
    const routes: ReadonlyArray<readonly [string, string, unknown?]> = [
      ["", "GET"],
      ["", "POST", { org_id: APIKEYS_DEMO.orgId }],
      [`/${APIKEYS_DEMO.keyId}`, "GET"],
      [`/${APIKEYS_DEMO.keyId}`, "PATCH", {}],
      [`/${APIKEYS_DEMO.keyId}/revoke`, "POST"],
      [`/${APIKEYS_DEMO.keyId}`, "DELETE"],
    ]
    for (const [path, method, body] of routes) {
      for (const headers of [validator, { "content-type": "application/json" }]) {
        const refused = await send(path, method, body, headers)
        assert.equal(refused.status, 401, `${method} ${path}`)
        assert.equal((await refused.json() as { _tag: string })._tag, "Unauthorized")
      }
    }
    assert.equal((await send("/verify", "POST", { key: APIKEYS_DEMO.apiKey }, {})).status, 401)
    assert.equal((await send(`/${APIKEYS_DEMO.keyId}`, "GET")).status, 200, "the admin key opens them")
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
      failureOf(await run((k) => k.listOrganizations()), "Unauthorized")
      failureOf(await run((k) => k.revokeKey(APIKEYS_DEMO.keyId)), "Unauthorized")
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

describe("the HTTP API from its one definition", () => {
  const base = () => mock.baseUrl("apikeys")
  const admin = { "x-admin-key": APIKEYS_DEMO.adminKey, "content-type": "application/json" }
  const send = (method: string, path: string, body?: unknown, headers: Record<string, string> = admin) =>
    mock.fetch(`${base()}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  const detail = async (response: Response) => (await response.json() as { detail: string; _tag: string })

  /** Every route of the server before the definition (its table), and the two documents. */
  const ROUTES = [
    "GET /api/orgs",
    "POST /api/orgs",
    "GET /api/orgs/{org_id}",
    "GET /api/orgs/{org_id}/projects",
    "POST /api/orgs/{org_id}/projects",
    "GET /api/orgs/{org_id}/products",
    "POST /api/orgs/{org_id}/products",
    "GET /api/projects/{project_id}",
    "GET /api/projects/{project_id}/products",
    "GET /api/products/{product_id}",
    "POST /api/products/{product_id}/projects/{project_id}",
    "GET /api/orgs/{org_id}/keys",
    "GET /api/projects/{project_id}/keys",
    "POST /api/keys",
    "POST /api/keys/verify",
    "POST /api/keys/validate",
    "GET /api/keys/{key_id}",
    "PATCH /api/keys/{key_id}",
    "DELETE /api/keys/{key_id}",
    "POST /api/keys/{key_id}/rotate",
    "POST /v1/keys/verify",
    "GET /v1/keys",
    "POST /v1/keys",
    "GET /v1/keys/{key_id}",
    "PATCH /v1/keys/{key_id}",
    "POST /v1/keys/{key_id}/revoke",
    "DELETE /v1/keys/{key_id}",
    "GET /openapi.json",
    "GET /openapi.yaml",
  ]

  it("serves exactly the routes its OpenAPI document lists: every route of the server's table", async () => {
    apikeys.reset()
    const spec = await (await mock.fetch(`${base()}/openapi.json`)).json() as {
      paths: Record<string, Record<string, { operationId: string }>>
    }
    const documented = Object.entries(spec.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({ route: `${method.toUpperCase()} ${path}`, operation }))
    )
    assert.deepEqual(documented.map((d) => d.route).sort(), [...ROUTES].sort())
    assert.deepEqual(
      ApiKeysApi.all.map((endpoint) => `${endpoint.method} ${endpoint.path}`).sort(),
      [...ROUTES].sort(),
    )
    const ids = {
      org_id: APIKEYS_DEMO.orgId,
      project_id: APIKEYS_DEMO.projectId,
      product_id: APIKEYS_DEMO.productId,
      key_id: crypto.randomUUID(),
    }
    for (const { route, operation } of documented) {
      const [method, path] = route.split(" ")
      const response = await send(method, fillPath(path, ids), method === "GET" ? undefined : {})
      assert.equal(mock.journal.at(-1)?.operation, operation.operationId, `${route} reached no route`)
      assert.notEqual(response.status, 405, route)
      if (response.status === 404) assert.notEqual((await detail(response))._tag, "RouteNotFound", route)
    }
  })

  it("answers a wrong method with 405 and Allow, an unknown path with 404, both as {detail, _tag}", async () => {
    const wrong = await send("DELETE", "/api/orgs")
    assert.equal(wrong.status, 405)
    assert.equal(wrong.headers.get("allow"), "GET, POST")
    assert.deepEqual(await wrong.json(), { detail: "Method Not Allowed", _tag: "MethodNotAllowed" })
    const link = await send("GET", `/api/products/${APIKEYS_DEMO.productId}/projects/${APIKEYS_DEMO.projectId}`)
    assert.equal(link.status, 405)
    assert.equal(link.headers.get("allow"), "POST")
    for (const path of ["/api/nothing", "/api", "/api/keys/x/y/z", "/elsewhere"]) {
      const missing = await send("GET", path)
      assert.equal(missing.status, 404, path)
      assert.deepEqual(await missing.json(), { detail: "Not Found", _tag: "RouteNotFound" }, path)
    }
  })

  it("keeps X-Admin-Key and X-Validator-Key out of the journal", async () => {
    mock.reset()
    const validator = ApiKeysHttp.layer({ baseUrl: base(), validatorKey: APIKEYS_DEMO.validatorKey }).pipe(
      Layer.provide(mock.layer),
    )
    await Effect.runPromise(
      Effect.flatMap(ApiKeys, (k) => k.verifyKey(APIKEYS_DEMO.apiKey)).pipe(Effect.provide(validator)),
    )
    await ok((k) => k.listOrganizations())
    await send("POST", "/api/keys/validate", { key: APIKEYS_DEMO.apiKey }, {
      "x-admin-key": APIKEYS_DEMO.adminKey,
      "x-validator-key": APIKEYS_DEMO.validatorKey,
    })
    const journal = JSON.stringify(mock.journal)
    assert.equal(mock.journal.length, 3)
    assert.ok(!journal.includes(APIKEYS_DEMO.adminKey) && !journal.includes(APIKEYS_DEMO.validatorKey), journal)
    assert.equal(mock.journal[0].headers["x-validator-key"], "<redacted>")
    assert.equal(mock.journal[1].headers["x-admin-key"], "<redacted>")
    assert.deepEqual(mock.journal.map((entry) => entry.operation), [
      "apikeys.verifyKey",
      "apikeys.listOrganizations",
      "apikeys.validateKey",
    ])
  })

  it("takes a key's metadata nested as its answers spell it, on create and on PATCH, never dropping it", async () => {
    apikeys.reset()
    const created = await send("POST", "/api/keys", {
      org_id: APIKEYS_DEMO.orgId,
      metadata: { name: "ci", scopes: ["deploy"], rate_limit: { requests: 5, window: "hour" }, custom: { team: "a" } },
    })
    assert.equal(created.status, 201)
    const { key, plaintext } = await created.json() as { key: { id: string; metadata: unknown }; plaintext: string }
    assert.deepEqual(key.metadata, {
      name: "ci",
      scopes: ["deploy"],
      rate_limit: { requests: 5, window: "hour" },
      custom: { team: "a" },
    })
    assert.deepEqual((await ok((k) => k.validateKey(plaintext, { requiredScopes: ["deploy"] }))).metadata.scopes, [
      "deploy",
    ])
    const patched = await send("PATCH", `/api/keys/${key.id}`, { metadata: { scopes: ["read"], rate_limit: null } })
    assert.equal(patched.status, 200)
    assert.deepEqual((await patched.json() as { metadata: unknown }).metadata, {
      name: "ci",
      scopes: ["read"],
      custom: { team: "a" },
    })
    // A key's own `metadata`, as GET answers it, can be sent back as is.
    const own = await (await send("GET", `/api/keys/${key.id}`)).json() as { metadata: unknown }
    assert.equal((await send("PATCH", `/api/keys/${key.id}`, { metadata: own.metadata })).status, 200)
    const rotated = await send("POST", `/api/keys/${key.id}/rotate`, { metadata: { name: "ci-2" } })
    assert.equal(rotated.status, 201)
    assert.equal((await rotated.json() as { key: { metadata: { name: string } } }).key.metadata.name, "ci-2")
    // Given both ways, one of the two would be dropped: refused, the field named as sent.
    const twice = await send("POST", "/api/keys", {
      org_id: APIKEYS_DEMO.orgId,
      rate_limit: 10,
      metadata: { rate_limit: 20 },
    })
    assert.equal(twice.status, 400)
    const refused = await detail(twice)
    assert.equal(refused._tag, "InvalidRequest")
    assert.match(refused.detail, /rate_limit is given both at the top level and in metadata/)
  })

  it("refuses an unknown body field with a 400 that names it", async () => {
    for (
      const [method, path, body, field] of [
        ["POST", "/api/keys", { org_id: APIKEYS_DEMO.orgId, scope: ["read"] }, "scope"],
        ["POST", "/api/keys", { org_id: APIKEYS_DEMO.orgId, metadata: { scopes: [], ttl: 5 } }, "ttl"],
        ["PATCH", `/api/keys/${APIKEYS_DEMO.keyId}`, { expires: null }, "expires"],
        ["POST", "/api/orgs", { name: "Acme", plan: "pro" }, "plan"],
        ["POST", "/api/keys/validate", { key: APIKEYS_DEMO.apiKey, required_scope: ["x"] }, "required_scope"],
      ] as const
    ) {
      const response = await send(method, path, body)
      assert.equal(response.status, 400, `${method} ${path}`)
      const refused = await detail(response)
      assert.equal(refused._tag, "InvalidRequest")
      assert.ok(refused.detail.includes(`"${field}"`), refused.detail)
    }
    const bad = await send("GET", `/api/orgs/${APIKEYS_DEMO.orgId}/keys?status=lost`)
    assert.equal(bad.status, 400)
    assert.equal((await detail(bad))._tag, "InvalidRequest")
  })

  it("opens verify and validate only to the validator key; 401 everywhere else, the documents to anyone", async () => {
    apikeys.reset()
    const validator = { "x-validator-key": APIKEYS_DEMO.validatorKey, "content-type": "application/json" }
    const ids = { org_id: APIKEYS_DEMO.orgId, project_id: APIKEYS_DEMO.projectId, product_id: APIKEYS_DEMO.productId }
    for (const endpoint of ApiKeysApi.all) {
      const path = fillPath(endpoint.path, { ...ids, key_id: APIKEYS_DEMO.keyId })
      const body = endpoint.payload === undefined ? undefined : { key: APIKEYS_DEMO.apiKey }
      const response = await send(endpoint.method, path, body, validator)
      const expected = endpoint.security === undefined ? 200 : endpoint.security.includes("validator") ? 200 : 401
      assert.equal(response.status, expected, `${endpoint.method} ${endpoint.path}`)
      if (expected === 401) assert.equal((await detail(response))._tag, "Unauthorized")
      const anonymous = await send(endpoint.method, path, body, {})
      assert.equal(anonymous.status, endpoint.security === undefined ? 200 : 401, `${endpoint.method} ${endpoint.path}`)
    }
    assert.equal((await ok((k) => k.getKey(APIKEYS_DEMO.keyId))).revokedAt, null)
  })

  it("retries what is safe to repeat, never a validation", async () => {
    apikeys.reset()
    mock.fault({ method: "GET", path: `/api/keys/${APIKEYS_DEMO.keyId}`, status: 503, times: 1 })
    assert.equal((await ok((k) => k.getKey(APIKEYS_DEMO.keyId))).id, APIKEYS_DEMO.keyId)
    mock.fault({ method: "POST", path: "/api/keys/validate", status: 503, times: 1 })
    const before = mock.journal.length
    const refused = failureOf(await keys((k) => k.validateKey(APIKEYS_DEMO.apiKey)), "KeyStoreUnavailable")
    assert.equal(refused.status, 503)
    assert.equal(mock.journal.length, before + 1)
    mock.clearFaults()
  })
})

describe("the HTTP API as a server", () => {
  it("keeps working under its basePath, and answers 404 {detail, _tag} outside it", async () => {
    const { handler, dispose } = makeApiKeysWebHandler(ApiKeys.layerSqlite({ filename: ":memory:" }), {
      adminKey: Redacted.make("admin"),
      basePath: "/keys/",
    })
    try {
      const orgs = await handler(new Request("http://keys.test/keys/api/orgs", { headers: { "x-admin-key": "admin" } }))
      assert.equal(orgs.status, 200)
      assert.deepEqual(await orgs.json(), [])
      const outside = await handler(new Request("http://keys.test/api/orgs", { headers: { "x-admin-key": "admin" } }))
      assert.equal(outside.status, 404)
      assert.deepEqual(await outside.json(), { detail: "Not Found", _tag: "RouteNotFound" })
      const spec = await (await handler(new Request("http://keys.test/keys/openapi.json"))).json()
      assert.deepEqual(spec.servers, [{ url: "http://keys.test/keys" }])
    } finally {
      await dispose()
    }
  })

  it("answers in the context of the effect that handles the request", async () => {
    const answer = await Effect.runPromise(
      Effect.gen(function* () {
        const keys = yield* ApiKeys
        const org = yield* keys.createOrganization("Acme")
        const response = yield* handleApiKeysRequest(
          new Request(`http://keys.test/v1/api/orgs/${org.id}`),
          { basePath: "/v1" },
        )
        return { org, response }
      }).pipe(Effect.provide(ApiKeys.layerSqlite({ filename: ":memory:" }))),
    )
    assert.equal(answer.response.status, 200)
    assert.equal((await answer.response.json() as { id: string }).id, answer.org.id)
  })

  it("answers 503 KeyStoreUnavailable when its store cannot be built", async () => {
    const { handler, dispose } = makeApiKeysWebHandler(
      ApiKeys.layerSqlite({ filename: "/nonexistent-dir/for/sure/keys.db" }),
    )
    try {
      const response = await handler(new Request("http://keys.test/api/orgs"))
      assert.equal(response.status, 503)
      assert.deepEqual(await response.json(), {
        detail: "Key store unavailable",
        _tag: "KeyStoreUnavailable",
        detail_code: "unavailable",
      })
    } finally {
      await dispose()
    }
  })
})

const databaseUrl = typeof process !== "undefined" ? process.env.DATABASE_URL : undefined

describe("the key service over HTTP on PostgreSQL", () => {
  const enabled = databaseUrl !== undefined && databaseUrl !== ""
  it("round-trips the whole lifecycle through the server and the typed client", {
    skip: enabled ? false : "DATABASE_URL is not set",
  }, async () => {
    const { handler, dispose } = makeApiKeysWebHandler(
      ApiKeys.layer().pipe(Layer.provide(PgClient.layer({ url: Redacted.make(databaseUrl!) }))),
      { adminKey: Redacted.make("pg-admin") },
    )
    const pg = ManagedRuntime.make(
      ApiKeysHttp.layer({ baseUrl: "http://keys.test", adminKey: "pg-admin" }).pipe(
        Layer.provide(handlerClient(handler)),
      ),
    )
    try {
      await lifecycle((f) => pg.runPromiseExit(Effect.flatMap(ApiKeys, f)))
    } finally {
      await pg.dispose()
      await dispose()
    }
  })
})
