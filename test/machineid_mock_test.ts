import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { Effect } from "effect"
import { MachineID, MAX_DEVICE_ID_LENGTH, PLAN_LIMITS } from "../src/machineid/mod.ts"
import { MachineIdApi } from "../src/machineid/contract.ts"
import { toYaml } from "../src/core/openapi.ts"
import { serveMock } from "../mock/server.ts"
import { fixture, use } from "./_machineid_fixture.ts"

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

const post = (f: ReturnType<typeof fixture>, path: string, body: unknown, orgKey?: string) =>
  f.mock.fetch(`${f.mock.baseUrl("machineid")}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(orgKey !== undefined && { "x-org-key": orgKey }) },
    body: JSON.stringify(body),
  })

describe("MachineID mock: plans and caps", () => {
  for (const tier of ["free", "pro", "scale", "max"] as const) {
    it(`${tier}: ${PLAN_LIMITS[tier]} devices, then limit_reached, and existing devices keep validating`, async () => {
      const f = fixture()
      const orgKey = f.machineid.state.createOrg(tier)
      for (let i = 1; i < PLAN_LIMITS[tier]; i++) f.machineid.state.register(orgKey, `seed-${i}`)
      const [last, over, existing, usage] = await f.run(
        use((m) => Effect.all([m.register("last"), m.register("over"), m.enforce("seed-1"), m.usage()])),
        { orgKey },
      )
      assert.equal(last.status, "ok")
      assert.equal(over.status, "limit_reached")
      assert.equal(existing.code, "ALLOW")
      assert.deepEqual([usage.planTier, usage.limit, usage.devicesUsed, usage.remaining], [
        tier,
        PLAN_LIMITS[tier],
        PLAN_LIMITS[tier],
        0,
      ])
      assert.equal((await f.run(use((m) => m.validate("over")), { orgKey })).code, "DEVICE_NOT_FOUND")
    })
  }

  it("the demo orgs cover every tier", async () => {
    const f = fixture()
    const { demo } = f.machineid
    const tiers = await Promise.all(
      [demo.freeOrgKey, demo.proOrgKey, demo.scaleOrgKey, demo.maxOrgKey].map((orgKey) =>
        f.run(use((m) => m.usage()), { orgKey }).then((u) => u.planTier)
      ),
    )
    assert.deepEqual(tiers, ["free", "pro", "scale", "max"])
  })

  it("plan states a test sets: inactive and frozen deny, active allows again", async () => {
    const f = fixture()
    const orgKey = f.machineid.demo.proOrgKey
    f.machineid.state.register(orgKey, "a")
    const code = () => f.run(use((m) => m.validate("a"))).then((d) => d.code)
    f.machineid.state.setPlanState(orgKey, "inactive")
    assert.equal(await code(), "PLAN_NOT_ACTIVE")
    f.machineid.state.setPlanState(orgKey, "frozen")
    assert.equal(await code(), "PLAN_FROZEN")
    assert.equal((await f.run(use((m) => m.usage()))).planState, "frozen")
    f.machineid.state.setPlanState(orgKey, "active")
    assert.equal(await code(), "ALLOW")
  })

  it("a tier change moves the cap", async () => {
    const f = fixture()
    const orgKey = f.machineid.demo.freeOrgKey
    f.machineid.state.setPlanTier(orgKey, "scale")
    const usage = await f.run(use((m) => m.usage()), { orgKey })
    assert.deepEqual([usage.planTier, usage.limit], ["scale", 250])
  })

  it("500 concurrent registers of distinct devices on a pro org leave exactly 25, and the counters agree", async () => {
    const f = fixture()
    const orgKey = f.machineid.state.createOrg("pro")
    const ids = Array.from({ length: 500 }, (_, i) => `device-${i}`)
    const [results, list, usage] = await f.run(
      use((m) =>
        Effect.all([
          Effect.forEach(ids, m.register, { concurrency: "unbounded" }),
          m.listDevices(),
          m.usage(),
        ])
      ),
      { orgKey },
    )
    assert.equal(results.filter((r) => r.status === "ok").length, 25)
    assert.equal(results.filter((r) => r.status === "limit_reached").length, 475)
    assert.equal(list.devices.length, 25)
    assert.equal(list.devicesUsed, 25)
    assert.deepEqual([usage.devicesUsed, usage.remaining, usage.limit], [25, 0, 25])
    assert.equal(f.machineid.state.devices(orgKey).length, 25)
    const registered = new Set(results.filter((r) => r.status === "ok").map((r) => r.deviceId))
    assert.deepEqual(new Set(list.devices.map((d) => d.deviceId)), registered)
  })
})

describe("MachineID mock: device rules", () => {
  it("register is idempotent: exists, and the count does not move", async () => {
    const f = fixture()
    const results = await f.run(use((m) => Effect.forEach(["a", "a", " a "], m.register)))
    assert.deepEqual(results.map((r) => [r.status, r.devicesUsed]), [["ok", 1], ["exists", 1], ["exists", 1]])
  })

  it("revoke -> DEVICE_REVOKED; register never restores it; only unrevoke does", async () => {
    const f = fixture()
    const codes = await f.run(use((m) =>
      Effect.gen(function* () {
        yield* m.register("a")
        yield* m.revoke("a")
        const revoked = (yield* m.validate("a")).code
        const again = (yield* m.register("a")).status
        const stillRevoked = (yield* m.validate("a")).code
        yield* m.unrevoke("a")
        return [revoked, again, stillRevoked, (yield* m.validate("a")).code]
      })
    ))
    assert.deepEqual(codes, ["DEVICE_REVOKED", "exists", "DEVICE_REVOKED", "ALLOW"])
  })

  it("remove deletes: the device validates DEVICE_NOT_FOUND and its slot is free", async () => {
    const f = fixture()
    const orgKey = f.machineid.demo.freeOrgKey
    const out = await f.run(
      use((m) =>
        Effect.gen(function* () {
          yield* Effect.forEach(["a", "b", "c"], m.register)
          const full = (yield* m.register("d")).status
          yield* m.remove("b")
          const code = (yield* m.validate("b")).code
          const list = yield* m.listDevices()
          return { full, code, ids: list.devices.map((d) => d.deviceId), now: (yield* m.register("d")).status }
        })
      ),
      { orgKey },
    )
    assert.deepEqual(out, { full: "limit_reached", code: "DEVICE_NOT_FOUND", ids: ["a", "c"], now: "ok" })
  })

  it("revoke, unrevoke and remove of an unknown device: 404 device_not_found", async () => {
    const f = fixture()
    for (const op of ["revoke", "unrevoke", "remove"] as const) {
      const error = await f.fail(use((m) => m[op]("ghost")))
      assert.equal(error._tag, "MachineIdError")
      assert.deepEqual(error._tag === "MachineIdError" && [error.status, error.code], [404, "device_not_found"])
    }
  })

  it("usage counts match the devices, revoked ones included", async () => {
    const f = fixture()
    const [list, usage] = await f.run(use((m) =>
      Effect.gen(function* () {
        yield* Effect.forEach(["a", "b", "c", "d"], m.register)
        yield* m.revoke("b")
        yield* m.remove("c")
        return yield* Effect.all([m.listDevices(), m.usage()])
      })
    ))
    assert.deepEqual(list.devices.map((d) => [d.deviceId, d.status]), [["a", "active"], ["b", "revoked"], [
      "d",
      "active",
    ]])
    assert.equal(list.devicesUsed, list.devices.length)
    assert.equal(usage.devicesUsed, list.devices.length)
    assert.equal(usage.remaining, usage.limit - usage.devicesUsed)
  })

  it("validate moves a device's lastSeenAt on the mock clock", async () => {
    const f = fixture()
    f.machineid.state.register(f.machineid.demo.proOrgKey, "a")
    f.mock.clock.advance(60_000)
    const list = await f.run(use((m) => Effect.andThen(m.validate("a"), m.listDevices())))
    const seen = Date.parse(list.devices[0].lastSeenAt ?? "")
    assert.ok(seen - Date.parse(list.devices[0].createdAt ?? "") >= 60_000)
  })
})

describe("MachineID mock: wire", () => {
  it("a fresh uuid request_id on every validate, echoed in x-request-id", async () => {
    const f = fixture()
    const seen = new Set<string>()
    for (let i = 0; i < 20; i++) {
      const response = await post(f, "/api/v1/devices/validate", { deviceId: "x" }, f.machineid.demo.proOrgKey)
      const body = await response.json()
      assert.equal(response.status, 200)
      assert.match(body.request_id, UUID)
      assert.equal(response.headers.get("x-request-id"), body.request_id)
      seen.add(body.request_id)
    }
    assert.equal(seen.size, 20)
  })

  it("a bad or missing org key: 401 with the contract's error body", async () => {
    const f = fixture()
    for (const orgKey of ["org_nope", undefined]) {
      const response = await post(f, "/api/v1/devices/register", { deviceId: "a" }, orgKey)
      assert.equal(response.status, 401)
      const body = await response.json()
      assert.equal(body.status, "error")
      assert.equal(body.error, "invalid_org_key")
    }
    const error = await f.fail(use((m) => m.listDevices()), { orgKey: "org_nope" })
    assert.equal(error._tag, "MachineIdError")
    assert.deepEqual(error._tag === "MachineIdError" && [error.status, error.code], [401, "invalid_org_key"])
  })

  it("a body without a deviceId: 400 missing_device_id", async () => {
    const f = fixture()
    for (const body of [{}, { deviceId: "  " }, { deviceId: 7 }]) {
      const response = await post(f, "/api/v1/devices/register", body, f.machineid.demo.proOrgKey)
      assert.equal(response.status, 400)
      assert.equal((await response.json()).error, "missing_device_id")
    }
  })

  it("a deviceId over MAX_DEVICE_ID_LENGTH: 400 invalid_device_id, on every device route", async () => {
    const f = fixture()
    const orgKey = f.machineid.demo.proOrgKey
    for (const deviceId of ["x".repeat(MAX_DEVICE_ID_LENGTH + 1), "y".repeat(100_000)]) {
      for (const route of ["register", "validate", "revoke", "unrevoke", "remove"]) {
        const response = await post(f, `/api/v1/devices/${route}`, { deviceId }, orgKey)
        assert.equal(response.status, 400, route)
        assert.equal((await response.json()).error, "invalid_device_id")
      }
      const legacy = await f.mock.fetch(
        `${f.mock.baseUrl("machineid")}/api/v1/devices/validate?deviceId=${deviceId}`,
        { headers: { "x-org-key": orgKey } },
      )
      assert.equal(legacy.status, 400)
      assert.equal((await legacy.json()).error, "invalid_device_id")
    }
    assert.deepEqual(f.machineid.state.devices(orgKey), [])
    const response = await post(f, "/api/v1/devices/register", { deviceId: "z".repeat(MAX_DEVICE_ID_LENGTH) }, orgKey)
    assert.equal(response.status, 200)
  })

  it("legacy GET validate?deviceId= answers the same decision", async () => {
    const f = fixture()
    f.machineid.state.register(f.machineid.demo.proOrgKey, "a")
    const response = await f.mock.fetch(`${f.mock.baseUrl("machineid")}/api/v1/devices/validate?deviceId=a`, {
      headers: { "x-org-key": f.machineid.demo.proOrgKey },
    })
    const body = await response.json()
    assert.deepEqual([body.allowed, body.code], [true, "ALLOW"])
  })

  it("POST /api/v1/org/create makes a free org whose key works", async () => {
    const f = fixture()
    const body = await (await post(f, "/api/v1/org/create", {})).json()
    assert.equal(body.status, "ok")
    assert.match(body.orgApiKey, /^org_/)
    assert.equal((await f.run(use((m) => m.usage()), { orgKey: body.orgApiKey })).planTier, "free")
  })

  it("reset brings back the seeded orgs and drops everything else", () => {
    const f = fixture()
    const orgKey = f.machineid.state.createOrg("max")
    f.machineid.state.register(f.machineid.demo.proOrgKey, "a")
    f.mock.reset()
    assert.equal(f.machineid.state.isOrgKey(orgKey), false)
    assert.deepEqual(f.machineid.state.devices(f.machineid.demo.proOrgKey), [])
    assert.equal(f.mock.journal.length, 0)
  })

  it("the mock answers the client through MachineID.enforce end to end", async () => {
    const f = fixture()
    const decision = await f.run(Effect.andThen(use((m) => m.register("agent")), MachineID.enforce("agent")))
    assert.equal(decision.allowed, true)
  })

  it("serves an OpenAPI document of its routes, bodies from the contract schemas", async () => {
    const f = fixture()
    const response = await f.mock.fetch(`${f.mock.baseUrl("machineid")}/openapi.json`)
    const spec = await response.json()
    assert.equal(response.status, 200)
    assert.equal(spec.openapi, "3.1.0")
    assert.ok(spec.paths["/api/v1/devices/validate"].post.responses["200"])
    assert.deepEqual(spec.components.securitySchemes.orgKey, { type: "apiKey", in: "header", name: "x-org-key" })
  })

  it("the OpenAPI document (JSON and YAML) lists exactly the routes of MachineIdApi, served where it was reached", async () => {
    const f = fixture()
    const routes = MachineIdApi.all.map((e) => `${e.method} ${e.path}`).sort()
    const bases = [f.mock.baseUrl("machineid"), "http://elsewhere.test:8080/machineid"]
    for (const base of bases) {
      const response = await f.mock.fetch(`${base}/openapi.json`)
      assert.equal(response.status, 200)
      assert.equal(response.headers.get("cache-control"), "no-store")
      const spec = await response.json()
      const documented = Object.entries(spec.paths as Record<string, Record<string, unknown>>)
        .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`))
        .sort()
      assert.deepEqual(documented, routes)
      assert.deepEqual(spec.servers, [{ url: base }])
      const yaml = await f.mock.fetch(`${base}/openapi.yaml`)
      assert.equal(yaml.status, 200)
      assert.equal(yaml.headers.get("content-type"), "application/yaml")
      const text = await yaml.text()
      assert.equal(text, toYaml(spec), "the YAML is the same document")
      assert.match(text, /^openapi: "3\.1\.0"\ninfo:\n {2}title: "MachineID API/)
      assert.ok(text.includes(`servers:\n  - url: ${JSON.stringify(base)}\n`), text.slice(0, 300))
    }
    // Every documented route is served: none answers 404 or 405.
    for (const endpoint of MachineIdApi.all) {
      const path = endpoint.path
      const response = await f.mock.fetch(`${f.mock.baseUrl("machineid")}${path}`, { method: endpoint.method })
      assert.ok(![404, 405].includes(response.status), `${endpoint.method} ${path}: ${response.status}`)
    }
  })

  for (
    const [method, path, allow] of [
      ["GET", "/api/v1/devices/register", "POST"],
      ["DELETE", "/api/v1/devices/validate", "POST, GET"],
      ["POST", "/api/v1/usage", "GET"],
      ["PUT", "/openapi.json", "GET"],
    ] as const
  ) {
    it(`a wrong method on a known path: ${method} ${path} answers 405, Allow: ${allow}, in the MachineID shape`, async () => {
      const f = fixture()
      const response = await f.mock.fetch(`${f.mock.baseUrl("machineid")}${path}`, {
        method,
        headers: { "x-org-key": f.machineid.demo.proOrgKey },
      })
      assert.equal(response.status, 405)
      assert.equal(response.headers.get("allow"), allow)
      assert.equal(response.headers.get("cache-control"), "no-store")
      assert.match(response.headers.get("x-request-id") ?? "", UUID)
      const body = await response.json()
      assert.deepEqual(Object.keys(body).sort(), ["error", "message", "status"])
      assert.deepEqual([body.status, body.error], ["error", "method_not_allowed"])
      assert.equal(f.mock.journal.at(-1)?.operation, undefined)
    })
  }

  for (const path of ["/api/v1/devices/nothing", "/api/v2/usage", "", "/"]) {
    it(`an unknown path ${JSON.stringify(path)}: 404 not_found in the MachineID shape`, async () => {
      const f = fixture()
      const response = await f.mock.fetch(`${f.mock.baseUrl("machineid")}${path}`, {
        headers: { "x-org-key": f.machineid.demo.proOrgKey },
      })
      assert.equal(response.status, 404)
      assert.equal(response.headers.get("cache-control"), "no-store")
      assert.match(response.headers.get("x-request-id") ?? "", UUID)
      const body = await response.json()
      assert.deepEqual(Object.keys(body).sort(), ["error", "message", "status"])
      assert.deepEqual([body.status, body.error], ["error", "not_found"])
    })
  }

  it("the org key is checked before the body: a bad key with a bad body is 401, not 400", async () => {
    const f = fixture()
    for (const body of [{}, { deviceId: "" }, { deviceId: "x".repeat(MAX_DEVICE_ID_LENGTH + 1) }, "not json"]) {
      for (const orgKey of ["org_nope", undefined]) {
        const response = await f.mock.fetch(`${f.mock.baseUrl("machineid")}/api/v1/devices/validate`, {
          method: "POST",
          headers: { "content-type": "application/json", ...(orgKey !== undefined && { "x-org-key": orgKey }) },
          body: typeof body === "string" ? body : JSON.stringify(body),
        })
        assert.equal(response.status, 401)
        assert.equal((await response.json()).error, "invalid_org_key")
      }
    }
    const legacy = await f.mock.fetch(`${f.mock.baseUrl("machineid")}/api/v1/devices/validate`)
    assert.equal(legacy.status, 401)
    assert.equal((await legacy.json()).error, "invalid_org_key")
  })

  it("legacy GET validate without a deviceId: 400 missing_device_id", async () => {
    const f = fixture()
    const response = await f.mock.fetch(`${f.mock.baseUrl("machineid")}/api/v1/devices/validate?deviceId=%20`, {
      headers: { "x-org-key": f.machineid.demo.proOrgKey },
    })
    assert.equal(response.status, 400)
    assert.equal((await response.json()).error, "missing_device_id")
    const none = await f.mock.fetch(`${f.mock.baseUrl("machineid")}/api/v1/devices/validate`, {
      headers: { "x-org-key": f.machineid.demo.proOrgKey },
    })
    assert.equal(none.status, 400)
    assert.equal((await none.json()).error, "missing_device_id")
  })

  it("every answer, success or error, is no-store with a fresh x-request-id", async () => {
    const f = fixture()
    const orgKey = f.machineid.demo.proOrgKey
    const base = f.mock.baseUrl("machineid")
    const responses = [
      await post(f, "/api/v1/devices/register", { deviceId: "a" }, orgKey),
      await post(f, "/api/v1/devices/revoke", { deviceId: "ghost" }, orgKey),
      await post(f, "/api/v1/devices/register", {}, orgKey),
      await post(f, "/api/v1/devices/register", { deviceId: "a" }, "org_nope"),
      await f.mock.fetch(`${base}/api/v1/devices/list`, { headers: { "x-org-key": orgKey } }),
      await f.mock.fetch(`${base}/api/v1/usage`, { headers: { "x-org-key": orgKey } }),
      await post(f, "/api/v1/org/create", {}),
      await f.mock.fetch(`${base}/openapi.json`),
      await f.mock.fetch(`${base}/openapi.yaml`),
    ]
    assert.deepEqual(responses.map((r) => r.status), [200, 404, 400, 401, 200, 200, 200, 200, 200])
    const ids = responses.map((r) => r.headers.get("x-request-id") ?? "")
    for (const [i, response] of responses.entries()) {
      assert.equal(response.headers.get("cache-control"), "no-store", `answer ${i}`)
      assert.match(ids[i], UUID)
    }
    assert.equal(new Set(ids).size, ids.length)
  })

  it("x-org-key never reaches the journal, on any route, in-process or over HTTP", async () => {
    const f = fixture()
    const orgKey = f.machineid.state.createOrg("pro")
    assert.ok(f.mock.secretHeaders.has("x-org-key"))
    await f.run(
      use((m) =>
        Effect.all([
          m.register("a"),
          m.validate("a"),
          m.enforce("a"),
          m.listDevices(),
          m.usage(),
          m.revoke("a"),
          m.unrevoke("a"),
          m.remove("a"),
          Effect.flip(m.revoke("ghost")),
        ])
      ),
      { orgKey },
    )
    const base = f.mock.baseUrl("machineid")
    await f.mock.fetch(`${base}/api/v1/devices/validate?deviceId=a`, { headers: { "x-org-key": orgKey } })
    await f.mock.fetch(`${base}/api/v1/devices/register`, { headers: { "X-Org-Key": orgKey } })
    await f.mock.fetch(`${base}/nothing`, { headers: { "x-org-key": orgKey } })
    await post(f, "/api/v1/devices/register", { deviceId: "b" }, "org_wrong_but_still_secret")
    const check = (journal: ReadonlyArray<{ headers: Record<string, string> }>, count: number) => {
      assert.equal(journal.length, count)
      for (const entry of journal) assert.equal(entry.headers["x-org-key"], "<redacted>")
      const text = JSON.stringify(journal)
      for (const secret of [orgKey, "org_wrong_but_still_secret"]) assert.ok(!text.includes(secret), text)
    }
    check(f.mock.journal, 13)

    const server = await serveMock(f.mock, { port: 0 })
    try {
      f.mock.reset()
      const over = `${server.url}/machineid`
      await fetch(`${over}/api/v1/usage`, { headers: { "x-org-key": f.machineid.demo.freeOrgKey } }).then((r) =>
        r.body?.cancel()
      )
      await fetch(`${over}/api/v1/devices/register`, {
        method: "POST",
        headers: { "x-org-key": f.machineid.demo.freeOrgKey, "content-type": "application/json" },
        body: JSON.stringify({ deviceId: "c" }),
      }).then((r) => r.body?.cancel())
      const journal = await (await fetch(`${server.url}/__mock/journal`)).json()
      check(journal, 2)
      assert.ok(!JSON.stringify(journal).includes(f.machineid.demo.freeOrgKey))
    } finally {
      await server.close()
    }
  })
})

describe("MachineID mock: plan controls over HTTP and in code", () => {
  const served = async (body: (f: ReturnType<typeof fixture>, url: string) => Promise<void>) => {
    const f = fixture()
    const server = await serveMock(f.mock, { port: 0 })
    try {
      await body(f, server.url)
    } finally {
      await server.close()
    }
  }
  const patch = (url: string, orgKey: string, body: unknown) =>
    fetch(`${url}/__mock/machineid/orgs/${orgKey}`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
    })

  it("GET shows the org: tier, state, accessUntil, soft grace window, register-at-cap answer, device counts", () =>
    served(async (f, url) => {
      const orgKey = f.machineid.demo.freeOrgKey
      f.machineid.state.register(orgKey, "a")
      f.machineid.state.register(orgKey, "b")
      f.machineid.state.revoke(orgKey, "b")
      const answer = await fetch(`${url}/__mock/machineid/orgs/${orgKey}`)
      assert.equal(answer.status, 200)
      assert.deepEqual(await answer.json(), {
        orgKey,
        planTier: "free",
        planState: "active",
        accessUntil: null,
        accessExpired: false,
        softGraceWindow: false,
        registerAtCap: "limit_reached",
        limit: 3,
        devicesUsed: 2,
        remaining: 1,
        overLimit: false,
        activeDevices: 1,
        revokedDevices: 1,
      })
    }))

  it("PATCH reaches PLAN_FROZEN, PLAN_NOT_ACTIVE (state and a past accessUntil) and DEVICE_LIMIT_REACHED", () =>
    served(async (f, url) => {
      const orgKey = f.machineid.demo.proOrgKey
      for (const id of ["d1", "d2", "d3", "d4"]) f.machineid.state.register(orgKey, id)
      const code = (id = "d1") => f.run(use((m) => m.validate(id))).then((d) => d.code)

      const frozen = await patch(url, orgKey, { planState: "frozen" })
      assert.equal(frozen.status, 200)
      assert.equal((await frozen.json()).planState, "frozen")
      assert.equal(await code(), "PLAN_FROZEN")

      await patch(url, orgKey, { planState: "inactive" }).then((r) => r.body?.cancel())
      assert.equal(await code(), "PLAN_NOT_ACTIVE")

      await patch(url, orgKey, { planState: "active" }).then((r) => r.body?.cancel())
      const past = new Date(f.mock.clock.now() - 1000).toISOString()
      const expired = await (await patch(url, orgKey, { accessUntil: past })).json()
      assert.deepEqual([expired.accessUntil, expired.accessExpired], [past, true])
      assert.equal(await code(), "PLAN_NOT_ACTIVE")
      const future = new Date(f.mock.clock.now() + 60_000).toISOString()
      await patch(url, orgKey, { accessUntil: future, softGraceWindow: true }).then((r) => r.body?.cancel())
      assert.equal(await code(), "ALLOW")
      const usage = await f.run(use((m) => m.usage()))
      assert.deepEqual([usage.accessUntil, usage.softGraceWindow], [future, true])
      await patch(url, orgKey, { accessUntil: null }).then((r) => r.body?.cancel())

      const downgraded = await (await patch(url, orgKey, { planTier: "free" })).json()
      assert.deepEqual([downgraded.limit, downgraded.overLimit], [3, true])
      assert.equal(await code("d3"), "ALLOW")
      assert.equal(await code("d4"), "DEVICE_LIMIT_REACHED")
    }))

  it("registerAtCap: blocked answers a register at the cap with 403 blocked, which the client reads as limit_reached", () =>
    served(async (f, url) => {
      const orgKey = f.machineid.demo.freeOrgKey
      for (const id of ["a", "b", "c"]) f.machineid.state.register(orgKey, id)
      const set = await (await patch(url, orgKey, { registerAtCap: "blocked" })).json()
      assert.equal(set.registerAtCap, "blocked")
      const answer = await post(f, "/api/v1/devices/register", { deviceId: "d" }, orgKey)
      assert.equal(answer.status, 403)
      const body = await answer.json()
      assert.deepEqual([body.status, body.error, body.deviceId, body.limit, body.remaining], [
        "blocked",
        "device_limit_reached",
        "d",
        3,
        0,
      ])
      const registration = await f.run(use((m) => m.register("e")), { orgKey })
      assert.equal(registration.status, "limit_reached")
      assert.equal(registration.limit, 3)
      // An existing device is still `exists`, and the default comes back.
      assert.equal((await f.run(use((m) => m.register("a")), { orgKey })).status, "exists")
      f.machineid.state.setRegisterAtCap(orgKey, "limit_reached")
      assert.equal((await post(f, "/api/v1/devices/register", { deviceId: "d" }, orgKey)).status, 200)
    }))

  it("PATCH refuses a bad body with 400 naming the field, changing nothing; an unknown org is 404", () =>
    served(async (f, url) => {
      const orgKey = f.machineid.demo.proOrgKey
      const cases: ReadonlyArray<readonly [unknown, string]> = [
        [{ planTier: "gold" }, "planTier"],
        [{ planState: "paused" }, "planState"],
        [{ accessUntil: "tomorrow" }, "accessUntil"],
        [{ accessUntil: 5 }, "accessUntil"],
        [{ softGraceWindow: "yes" }, "softGraceWindow"],
        [{ registerAtCap: "deny" }, "registerAtCap"],
        [{ planState: "frozen", color: "red" }, "color"],
        ["[1]", "JSON object"],
        ["null", "JSON object"],
        ["not json", "JSON object"],
      ]
      for (const [body, named] of cases) {
        const answer = await patch(url, orgKey, body)
        assert.equal(answer.status, 400, JSON.stringify(body))
        const error = await answer.json()
        assert.equal(error.error, "bad_request")
        assert.ok(error.message.includes(named), `${error.message} names ${named}`)
      }
      assert.equal(f.machineid.state.org(orgKey).planState, "active", "a refused PATCH changes nothing")
      for (const method of ["GET", "PATCH"]) {
        const answer = await fetch(`${url}/__mock/machineid/orgs/org_nobody`, {
          method,
          body: method === "PATCH" ? "{}" : undefined,
        })
        assert.equal(answer.status, 404)
        await answer.body?.cancel()
      }
      const wrong = await fetch(`${url}/__mock/machineid/orgs/${orgKey}`, { method: "DELETE" })
      assert.deepEqual([wrong.status, wrong.headers.get("allow")], [405, "GET, PATCH"])
      await wrong.body?.cancel()
    }))

  it("in code: updateOrg and org, the same controls", async () => {
    const f = fixture()
    const orgKey = f.machineid.state.createOrg("scale")
    f.machineid.state.register(orgKey, "a")
    f.machineid.state.updateOrg(orgKey, { planTier: "max", softGraceWindow: true, accessUntil: f.mock.clock.now() })
    const org = f.machineid.state.org(orgKey)
    assert.deepEqual([org.planTier, org.limit, org.softGraceWindow, org.accessExpired], ["max", 1000, true, true])
    assert.equal((await f.run(use((m) => m.validate("a")), { orgKey })).code, "PLAN_NOT_ACTIVE")
    f.machineid.state.setAccessUntil(orgKey, null)
    assert.equal((await f.run(use((m) => m.validate("a")), { orgKey })).code, "ALLOW")
  })
})

describe("MachineID mock: ORG_KEY_INVALID and batches", () => {
  it("validate with a bad org key: 401 whose body is the error body and the ORG_KEY_INVALID decision; others plain 401", async () => {
    const f = fixture()
    for (const orgKey of ["org_wrong", undefined]) {
      const answer = await post(f, "/api/v1/devices/validate", { deviceId: "a" }, orgKey)
      assert.equal(answer.status, 401)
      const body = await answer.json()
      assert.deepEqual([body.allowed, body.code, body.error, body.status], [
        false,
        "ORG_KEY_INVALID",
        "invalid_org_key",
        "error",
      ])
      assert.equal(body.request_id, answer.headers.get("x-request-id"))
      assert.match(body.request_id, UUID)
    }
    const legacy = await f.mock.fetch(`${f.mock.baseUrl("machineid")}/api/v1/devices/validate?deviceId=a`, {
      headers: { "x-org-key": "org_wrong" },
    })
    assert.deepEqual([legacy.status, (await legacy.json()).code], [401, "ORG_KEY_INVALID"])
    const register = await post(f, "/api/v1/devices/register", { deviceId: "a" }, "org_wrong")
    const body = await register.json()
    assert.deepEqual([register.status, body.error, body.code], [401, "invalid_org_key", undefined])
  })

  it("revoke_batch / unrevoke_batch: one result per id, in order, ok or not_found", async () => {
    const f = fixture()
    const orgKey = f.machineid.demo.proOrgKey
    for (const id of ["a", "b"]) f.machineid.state.register(orgKey, id)
    const revoked = await post(f, "/api/v1/devices/revoke_batch", { deviceIds: [" a ", "ghost", "b"] }, orgKey)
    assert.equal(revoked.status, 200)
    assert.deepEqual(await revoked.json(), {
      status: "ok",
      handler: "devices/revoke_batch",
      results: [{ deviceId: "a", status: "ok" }, { deviceId: "ghost", status: "not_found" }, {
        deviceId: "b",
        status: "ok",
      }],
    })
    assert.deepEqual(f.machineid.state.devices(orgKey).map((d) => d.status), ["revoked", "revoked"])
    const restored = await (await post(f, "/api/v1/devices/unrevoke_batch", { deviceIds: ["b"] }, orgKey)).json()
    assert.equal(restored.handler, "devices/unrevoke_batch")
    assert.deepEqual(f.machineid.state.devices(orgKey).map((d) => d.status), ["revoked", "active"])
  })

  it("a batch body is checked whole before any device changes", async () => {
    const f = fixture()
    const orgKey = f.machineid.demo.proOrgKey
    f.machineid.state.register(orgKey, "a")
    const cases: ReadonlyArray<readonly [unknown, string]> = [
      [{}, "missing_device_id"],
      [{ deviceIds: [] }, "missing_device_id"],
      [{ deviceIds: "a" }, "missing_device_id"],
      [{ deviceIds: ["a", " "] }, "missing_device_id"],
      [{ deviceIds: ["a", "x".repeat(MAX_DEVICE_ID_LENGTH + 1)] }, "invalid_device_id"],
      [{ deviceIds: Array.from({ length: 101 }, (_, i) => `d${i}`) }, "invalid_device_id"],
    ]
    for (const [body, code] of cases) {
      const answer = await post(f, "/api/v1/devices/revoke_batch", body, orgKey)
      assert.deepEqual([answer.status, (await answer.json()).error], [400, code], JSON.stringify(body).slice(0, 60))
    }
    assert.equal(f.machineid.state.devices(orgKey)[0].status, "active")
    const unauthorized = await post(f, "/api/v1/devices/revoke_batch", { deviceIds: ["a"] }, "org_wrong")
    assert.equal(unauthorized.status, 401)
    await unauthorized.body?.cancel()
  })
})
