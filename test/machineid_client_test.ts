import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { inspect } from "node:util"
import { Cause, ConfigProvider, Effect, Exit, Fiber, Layer, Logger, Option, Redacted, Schema, Tracer } from "effect"
import { TestClock } from "effect/testing"
import { fetchLayer } from "../src/core/promise.ts"
import {
  EnforcementUnavailable,
  ExecutionDenied,
  InvalidArgument,
  MachineID,
  MachineIDClient,
  MachineIdError,
  MAX_BATCH_SIZE,
  MAX_DEVICE_ID_LENGTH,
  RetryPolicy,
} from "../src/machineid/mod.ts"
import { ErrorBodySchema, MachineIdApi } from "../src/machineid/contract.ts"
import { fixture, NO_RETRY, use } from "./_machineid_fixture.ts"

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

describe("MachineID client: requests", () => {
  it("sends every call with x-org-key, JSON bodies for POSTs, and trims the device id", async () => {
    const f = fixture()
    await f.run(use((m) =>
      Effect.all([
        m.register("  agent-01 \n"),
        m.validate("agent-01"),
        m.listDevices(),
        m.usage(),
        m.revoke("agent-01"),
        m.unrevoke("agent-01"),
        m.remove("agent-01"),
      ])
    ))
    assert.deepEqual(
      f.mock.journal.map((e) => `${e.method} ${new URL(e.url).pathname}`),
      [
        "POST /machineid/api/v1/devices/register",
        "POST /machineid/api/v1/devices/validate",
        "GET /machineid/api/v1/devices/list",
        "GET /machineid/api/v1/usage",
        "POST /machineid/api/v1/devices/revoke",
        "POST /machineid/api/v1/devices/unrevoke",
        "POST /machineid/api/v1/devices/remove",
      ],
    )
    assert.deepEqual(f.mock.journal.map((e) => e.operation), [
      "machineid.register",
      "machineid.validate",
      "machineid.list",
      "machineid.usage",
      "machineid.revoke",
      "machineid.unrevoke",
      "machineid.remove",
    ])
    assert.deepEqual(f.orgKeysSent, Array(7).fill(f.machineid.demo.proOrgKey))
    for (const entry of f.mock.journal) {
      assert.equal(entry.headers["x-org-key"], "<redacted>")
      assert.equal(new URL(entry.url).search, "", "the org key never travels in the URL")
      if (entry.method === "POST") assert.equal(entry.headers["content-type"], "application/json")
    }
    assert.deepEqual(f.machineid.state.devices(f.machineid.demo.proOrgKey), [])
  })

  it("spans keep their names: machineid.<operation>, one per call", async () => {
    const f = fixture()
    const spans: Array<string> = []
    const tracer = Tracer.make({
      span(options) {
        spans.push(options.name)
        return new Tracer.NativeSpan(options)
      },
    })
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
        ])
      ).pipe(Effect.withTracer(tracer)),
    )
    assert.deepEqual(spans.filter((name) => name.startsWith("machineid.")), [
      "machineid.register",
      "machineid.validate",
      "machineid.validate",
      "machineid.list",
      "machineid.usage",
      "machineid.revoke",
      "machineid.unrevoke",
      "machineid.remove",
    ])
  })

  it("the client's secret headers are the definition's", () => {
    assert.deepEqual(MachineIdApi.secretHeaders, ["x-org-key"])
  })

  it("accepts the org key as a Redacted value, and trims it", async () => {
    const f = fixture()
    const usage = await f.run(use((m) => m.usage()), {
      orgKey: Redacted.make(` ${f.machineid.demo.freeOrgKey} `),
    })
    assert.equal(usage.planTier, "free")
    assert.deepEqual(f.orgKeysSent, [f.machineid.demo.freeOrgKey])
  })

  for (const bad of ["", "   ", "\t\n"]) {
    it(`device id ${JSON.stringify(bad)} fails with InvalidArgument before any request, on every method`, async () => {
      const f = fixture()
      const calls: ReadonlyArray<Effect.Effect<unknown, unknown, MachineID>> = [
        use((m) => m.register(bad)),
        use((m) => m.validate(bad)),
        use((m) => m.enforce(bad)),
        use((m) => m.revoke(bad)),
        use((m) => m.unrevoke(bad)),
        use((m) => m.remove(bad)),
        MachineID.enforce(bad),
      ]
      for (const call of calls) {
        const error = await f.fail(call)
        assert.ok(error instanceof InvalidArgument)
        assert.equal(error.argument, "deviceId")
      }
      assert.equal(f.mock.journal.length, 0)
    })
  }

  it("a device id over MAX_DEVICE_ID_LENGTH fails with InvalidArgument before any request, on every method", async () => {
    const f = fixture()
    const long = "x".repeat(MAX_DEVICE_ID_LENGTH + 1)
    const calls: ReadonlyArray<Effect.Effect<unknown, unknown, MachineID>> = [
      use((m) => m.register(long)),
      use((m) => m.validate(long)),
      use((m) => m.enforce(long)),
      use((m) => m.revoke(long)),
      use((m) => m.unrevoke(long)),
      use((m) => m.remove(long)),
      use((m) => m.register("y".repeat(100_000))),
    ]
    for (const call of calls) {
      const error = await f.fail(call)
      assert.ok(error instanceof InvalidArgument, `expected InvalidArgument, got ${inspect(error)}`)
      assert.equal(error.argument, "deviceId")
    }
    assert.equal(f.mock.journal.length, 0)
  })

  it("a device id of exactly MAX_DEVICE_ID_LENGTH, once trimmed, is sent", async () => {
    const f = fixture()
    const id = "x".repeat(MAX_DEVICE_ID_LENGTH)
    const registration = await f.run(use((m) => m.register(`  ${id}  `)))
    assert.deepEqual([registration.status, registration.deviceId], ["ok", id])
  })

  for (const orgKey of ["", "  ", Redacted.make("")]) {
    it(`org key ${inspect(orgKey)} fails the layer with InvalidArgument before any request`, async () => {
      const f = fixture()
      const error = await f.fail(use((m) => m.usage()), { orgKey })
      assert.ok(error instanceof InvalidArgument)
      assert.equal(error.argument, "orgKey")
      assert.equal(f.mock.journal.length, 0)
    })
  }

  it("layerConfig reads MACHINEID_ORG_KEY and MACHINEID_BASE_URL", async () => {
    const f = fixture()
    const env = ConfigProvider.fromEnvRecord({
      MACHINEID_ORG_KEY: f.machineid.demo.scaleOrgKey,
      MACHINEID_BASE_URL: f.mock.baseUrl("machineid"),
    })
    const usage = await Effect.runPromise(
      use((m) => m.usage()).pipe(
        Effect.provide(MachineID.layerConfig().pipe(Layer.provide(f.mock.layer))),
        Effect.provide(ConfigProvider.layer(env)),
      ),
    )
    assert.equal(usage.planTier, "scale")
    assert.equal(usage.limit, 250)
  })

  it("fromEnv without MACHINEID_ORG_KEY fails with a ConfigError, before any request", async () => {
    const error = await Effect.runPromise(
      Effect.flip(
        use((m) => m.usage()).pipe(
          Effect.provide(MachineID.fromEnv()),
          Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnvRecord({}))),
        ),
      ),
    )
    assert.equal(error._tag, "ConfigError")
  })
})

describe("MachineID client: validate returns the decision as data", () => {
  it("allowed, code, requestId, and the legacy fields when present", async () => {
    const f = fixture()
    const decision = await f.run(use((m) => Effect.andThen(m.register("a"), m.validate("a"))))
    assert.equal(decision.allowed, true)
    assert.equal(decision.code, "ALLOW")
    assert.match(decision.requestId, UUID)
    assert.equal(typeof decision.reason, "string")
    assert.equal(decision.status, "ok")
  })

  it("a denial is data, not an error", async () => {
    const f = fixture()
    const decision = await f.run(use((m) => m.validate("never-registered")))
    assert.deepEqual([decision.allowed, decision.code], [false, "DEVICE_NOT_FOUND"])
  })

  it("decodes a decision code it does not know", async () => {
    const f = fixture()
    f.mock.fault({
      path: "/devices/validate",
      status: 200,
      body: { allowed: false, code: "ORG_SUSPENDED", request_id: "r-1" },
    })
    const decision = await f.run(use((m) => m.validate("a")))
    assert.deepEqual(decision, { allowed: false, code: "ORG_SUSPENDED", requestId: "r-1" })
  })

  it("reads a decision from a non-2xx answer too, as the SDK returns any status's JSON", async () => {
    const f = fixture()
    f.mock.fault({
      path: "/devices/validate",
      status: 403,
      body: { allowed: false, code: "DEVICE_REVOKED", request_id: "r-2" },
    })
    const decision = await f.run(use((m) => m.validate("a")))
    assert.deepEqual(decision, { allowed: false, code: "DEVICE_REVOKED", requestId: "r-2" })
  })

  for (const status of [401, 500, 503]) {
    it(`refuses an allow from a ${status}: an allow must come with a 2xx, so it is a MachineIdError`, async () => {
      const f = fixture()
      f.mock.fault({ path: "/devices/validate", status, body: { allowed: true, code: "ALLOW", request_id: "r-3" } })
      const error = await f.fail(use((m) => m.validate("a")), { retry: NO_RETRY })
      assert.ok(error instanceof MachineIdError, `expected MachineIdError, got ${inspect(error)}`)
      assert.equal(error.status, status)
    })
  }

  it("never resends a dropped register, revoke or remove, even under a policy that covers POST", async () => {
    const f = fixture()
    const policy = RetryPolicy.make({ methods: ["POST"], base: "1 millis" })
    for (const op of ["register", "revoke", "unrevoke", "remove"] as const) {
      f.mock.fault({ path: `/devices/${op}`, drop: true, times: 1 })
      const error = await f.fail(use((m) => m[op]("a")), { retry: policy })
      assert.ok(error instanceof MachineIdError, `${op}: ${inspect(error)}`)
      assert.equal(error.code, "network_error")
    }
    assert.equal(f.mock.journal.length, 4, "one attempt each")
    f.mock.fault({ path: "/devices/validate", drop: true, times: 1 })
    await f.run(use((m) => m.validate("a")), { retry: policy })
    assert.equal(f.mock.journal.length, 6, "validate is idempotent: sent again")
  })

  it("retries a dropped validate (a read, safe to resend)", async () => {
    const f = fixture()
    f.mock.fault({ path: "/devices/validate", drop: true, times: 1 })
    const decision = await f.run(use((m) => m.validate("a")))
    assert.equal(decision.code, "DEVICE_NOT_FOUND")
    assert.equal(f.mock.journal.length, 2)
  })
})

describe("MachineID client: enforce, the hard gate", () => {
  const denies = async (
    setup: (f: ReturnType<typeof fixture>, orgKey: string) => void,
    code: string,
  ) => {
    const f = fixture()
    const orgKey = f.machineid.state.createOrg("free")
    f.machineid.state.register(orgKey, "agent")
    setup(f, orgKey)
    let ran = false
    const error = await f.fail(
      MachineID.enforce("agent").pipe(Effect.andThen(Effect.sync(() => (ran = true)))),
      { orgKey },
    )
    assert.equal(ran, false, "the program never runs past a denial")
    assert.ok(error instanceof ExecutionDenied, `expected ExecutionDenied, got ${inspect(error)}`)
    assert.equal(error.code, code)
    assert.equal(error.deviceId, "agent")
    assert.match(error.requestId, UUID)
  }

  it("ALLOW: succeeds with the decision and the program runs", async () => {
    const f = fixture()
    f.machineid.state.register(f.machineid.demo.proOrgKey, "agent")
    let ran = false
    const decision = await f.run(MachineID.enforce(" agent ").pipe(Effect.tap(() => Effect.sync(() => (ran = true)))))
    assert.equal(decision.code, "ALLOW")
    assert.equal(ran, true)
  })

  it("DEVICE_REVOKED", () => denies((f, org) => f.machineid.state.revoke(org, "agent"), "DEVICE_REVOKED"))
  it("PLAN_NOT_ACTIVE", () => denies((f, org) => f.machineid.state.setPlanState(org, "inactive"), "PLAN_NOT_ACTIVE"))
  it("PLAN_FROZEN", () => denies((f, org) => f.machineid.state.setPlanState(org, "frozen"), "PLAN_FROZEN"))
  it("DEVICE_NOT_FOUND", () => denies((f, org) => f.machineid.state.remove(org, "agent"), "DEVICE_NOT_FOUND"))
  it("DEVICE_LIMIT_REACHED (past the cap after a downgrade)", () =>
    denies((f, org) => {
      f.machineid.state.remove(org, "agent")
      f.machineid.state.setPlanTier(org, "pro")
      for (const id of ["d1", "d2", "d3", "agent"]) f.machineid.state.register(org, id)
      f.machineid.state.setPlanTier(org, "free")
    }, "DEVICE_LIMIT_REACHED"))

  it("a code it does not know denies, whatever allowed says (fail closed)", async () => {
    const f = fixture()
    f.mock.fault({
      path: "/devices/validate",
      status: 200,
      body: { allowed: false, code: "NEW_CODE", request_id: "r" },
    })
    const error = await f.fail(MachineID.enforce("agent"))
    assert.ok(error instanceof ExecutionDenied)
    assert.equal(error.code, "NEW_CODE")
    f.mock.clearFaults()
    f.mock.fault({
      path: "/devices/validate",
      status: 200,
      body: { allowed: true, code: "ALLOW_GRACE", request_id: "r" },
    })
    const unknown = await f.fail(MachineID.enforce("agent"))
    assert.ok(unknown instanceof ExecutionDenied)
    assert.equal(unknown.code, "ALLOW_GRACE")
  })

  const contradictions: ReadonlyArray<Record<string, unknown>> = [
    { allowed: true, code: "DEVICE_REVOKED" },
    { allowed: true, code: "PLAN_FROZEN" },
    { allowed: true, code: "device_revoked" },
    { allowed: true, code: "ALLOW", revoked: true },
    { allowed: true, code: "ALLOW", valid: false },
    { allowed: true, code: "NEW_CODE", revoked: true },
    { allowed: true, code: " DEVICE_REVOKED " },
    { allowed: true, code: "\tplan_frozen\n" },
    { allowed: true, code: "ALLOW", status: "denied" },
    { allowed: true, code: "ALLOW", status: "error" },
  ]
  for (const body of contradictions) {
    it(`a decision that contradicts itself denies: ${JSON.stringify(body)}`, async () => {
      const f = fixture()
      f.mock.fault({ path: "/devices/validate", status: 200, body: { ...body, request_id: "r-c" } })
      let ran = false
      const error = await f.fail(MachineID.guard("agent")(Effect.sync(() => (ran = true))))
      assert.equal(ran, false)
      assert.ok(error instanceof ExecutionDenied, `expected ExecutionDenied, got ${inspect(error)}`)
      assert.deepEqual([error.code, error.requestId], [body.code, "r-c"])
      assert.match(error.message, /contradicts itself/)
    })
  }

  it("legacy fields that agree with an allow do not deny it", async () => {
    const f = fixture()
    f.mock.fault({
      path: "/devices/validate",
      status: 200,
      body: { allowed: true, code: "ALLOW", request_id: "r", valid: true, revoked: false, status: "ok" },
    })
    assert.equal((await f.run(MachineID.enforce("agent"))).code, "ALLOW")
    f.mock.clearFaults()
    f.mock.fault({
      path: "/devices/validate",
      status: 200,
      body: { allowed: true, code: " allow ", request_id: "r", status: " OK " },
    })
    assert.equal((await f.run(MachineID.enforce("agent"))).code, " allow ", "compared after trimming and case")
  })

  it("a denial from a non-2xx answer is still a denial", async () => {
    const f = fixture()
    f.mock.fault({
      path: "/devices/validate",
      status: 403,
      body: { allowed: false, code: "DEVICE_REVOKED", request_id: "r" },
    })
    const error = await f.fail(MachineID.enforce("agent"), { retry: NO_RETRY })
    assert.ok(error instanceof ExecutionDenied)
    assert.equal(error.code, "DEVICE_REVOKED")
  })

  it("guard runs the program only on an allow", async () => {
    const f = fixture()
    let runs = 0
    const work = Effect.sync(() => ++runs)
    await f.fail(work.pipe(MachineID.guard("agent")))
    assert.equal(runs, 0)
    f.machineid.state.register(f.machineid.demo.proOrgKey, "agent")
    assert.equal(await f.run(work.pipe(MachineID.guard("agent"))), 1)
  })

  const unavailable = async (
    setup: (f: ReturnType<typeof fixture>) => void,
    reason: string,
    options: Parameters<ReturnType<typeof fixture>["fail"]>[1] = { retry: NO_RETRY },
  ) => {
    const f = fixture()
    f.machineid.state.register(f.machineid.demo.proOrgKey, "agent")
    setup(f)
    let ran = false
    const error = await f.fail(MachineID.guard("agent")(Effect.sync(() => (ran = true))), options)
    assert.equal(ran, false, "fail closed: the program never runs without a decision")
    assert.ok(error instanceof EnforcementUnavailable, `expected EnforcementUnavailable, got ${inspect(error)}`)
    assert.equal(error.reason, reason)
    assert.equal(error.deviceId, "agent")
    return error
  }

  it("fails closed on a network failure", async () => {
    await unavailable((f) => f.mock.fault({ path: "/validate", drop: true }), "network")
  })
  it("fails closed on a timeout", async () => {
    await unavailable((f) => f.mock.fault({ path: "/validate", delayMs: 200 }), "timeout", {
      retry: NO_RETRY,
      timeout: "20 millis",
    })
  })
  it("fails closed on an answer that is not a decision", async () => {
    const error = await unavailable(
      (f) => f.mock.fault({ path: "/validate", status: 200, body: { allowed: "yes" } }),
      "invalid_response",
    )
    assert.equal(error.status, 200)
  })
  it("fails closed on a body that is not JSON", async () => {
    await unavailable(
      (f) => f.mock.fault({ path: "/validate", status: 200, body: "<html>oops</html>" }),
      "invalid_response",
    )
  })
  it("fails closed on a 500", async () => {
    const error = await unavailable(
      (f) => f.mock.fault({ path: "/validate", status: 500, body: { status: "error", error: "internal" } }),
      "api_error",
    )
    assert.equal(error.status, 500)
  })
  for (const status of [401, 500, 503]) {
    it(`fails closed on a ${status} whose body says allowed: true`, async () => {
      const error = await unavailable(
        (f) => f.mock.fault({ path: "/validate", status, body: { allowed: true, code: "ALLOW", request_id: "r" } }),
        "api_error",
      )
      assert.equal(error.status, status)
    })
  }
  it("fails closed past enforceTimeout, however many attempts the retry policy has left", async () => {
    const started = Date.now()
    const error = await unavailable((f) => f.mock.fault({ path: "/validate", delayMs: 5_000 }), "timeout", {
      enforceTimeout: "100 millis",
    })
    assert.ok(Date.now() - started < 2_000, `took ${Date.now() - started} ms`)
    assert.equal(error.message, "No decision within 100ms.")
  })
  it("enforceTimeout does not cut a decision that arrives in time", async () => {
    const f = fixture()
    f.machineid.state.register(f.machineid.demo.proOrgKey, "agent")
    f.mock.fault({ path: "/validate", delayMs: 20, times: 1 })
    const decision = await f.run(MachineID.enforce("agent"), { enforceTimeout: "5 seconds" })
    assert.equal(decision.code, "ALLOW")
  })
  it("denies with ORG_KEY_INVALID on a bad org key: the 401 carries the decision", async () => {
    const f = fixture()
    let ran = false
    const error = await f.fail(MachineID.guard("agent")(Effect.sync(() => (ran = true))), { orgKey: "org_wrong" })
    assert.equal(ran, false)
    assert.ok(error instanceof ExecutionDenied, `expected ExecutionDenied, got ${inspect(error)}`)
    assert.equal(error.code, "ORG_KEY_INVALID")
    assert.match(error.requestId, UUID)
    const decision = await f.run(use((m) => m.validate("agent")), { orgKey: "org_wrong" })
    assert.deepEqual([decision.allowed, decision.code, decision.error], [false, "ORG_KEY_INVALID", "invalid_org_key"])
    // Elsewhere a bad key is still an error.
    const usage = await f.fail(use((m) => m.usage()), { orgKey: "org_wrong" })
    assert.ok(usage instanceof MachineIdError)
    assert.deepEqual([usage.status, usage.code], [401, "invalid_org_key"])
  })
  it("fails closed on a 401 without a decision in its body", async () => {
    const error = await unavailable(
      (f) =>
        f.mock.fault({
          path: "/validate",
          status: 401,
          body: { status: "error", error: "invalid_org_key" },
        }),
      "api_error",
    )
    assert.equal(error.status, 401)
    assert.equal(error.code, "invalid_org_key")
  })
})

describe("MachineID client: register, list, usage", () => {
  it("restore, the seed's alias of unrevoke, brings a revoked device back to ALLOW", async () => {
    const f = fixture()
    const decision = await f.run(use((m) =>
      Effect.gen(function* () {
        yield* m.register("agent-09")
        yield* m.revoke("agent-09")
        const restored = yield* m.restore("agent-09")
        assert.equal(restored.deviceId, "agent-09")
        return yield* m.validate("agent-09")
      })
    ))
    assert.equal(decision.code, "ALLOW")
    assert.equal(f.mock.journal.at(-2)?.operation, "machineid.unrevoke")
  })

  it("decodes register's plan fields: ok, then exists", async () => {
    const f = fixture()
    const [first, again] = await f.run(use((m) => Effect.all([m.register("a"), m.register("a")])))
    assert.equal(first.status, "ok")
    assert.equal(again.status, "exists")
    assert.deepEqual(
      [again.planTier, again.planState, again.limit, again.devicesUsed, again.remaining],
      ["pro", "active", 25, 1, 24],
    )
  })

  it("limit_reached at the cap is data", async () => {
    const f = fixture()
    const results = await f.run(use((m) => Effect.forEach(["a", "b", "c", "d"], m.register)), {
      orgKey: f.machineid.demo.freeOrgKey,
    })
    assert.deepEqual(results.map((r) => r.status), ["ok", "ok", "ok", "limit_reached"])
    assert.deepEqual([results[3].devicesUsed, results[3].remaining], [3, 0])
  })

  it("a 403 blocked register (newer servers) reads as limit_reached", async () => {
    const f = fixture()
    const plan = { planTier: "free", planState: "active", limit: 3, devicesUsed: 3, remaining: 0 }
    f.mock.fault({
      path: "/register",
      status: 403,
      body: { status: "blocked", error: "device_limit_reached", ...plan },
      times: 1,
    })
    const registration = await f.run(use((m) => m.register("d")))
    assert.equal(registration.status, "limit_reached")
    assert.equal(registration.deviceId, "d")
    f.mock.fault({ path: "/register", status: 403, body: { status: "blocked", error: "device_limit_reached" } })
    const error = await f.fail(use((m) => m.register("d")))
    assert.ok(error instanceof MachineIdError)
    assert.deepEqual([error.status, error.code], [403, "device_limit_reached"])
  })

  it("listDevices and usage carry the plan fields", async () => {
    const f = fixture()
    const [list, usage] = await f.run(
      use((m) =>
        Effect.andThen(
          Effect.all([m.register("a"), m.register("b"), m.revoke("b")]),
          Effect.all([m.listDevices(), m.usage()]),
        )
      ),
    )
    assert.deepEqual(list.devices.map((d) => [d.deviceId, d.status]), [["a", "active"], ["b", "revoked"]])
    assert.deepEqual([list.planTier, list.limit, list.devicesUsed], ["pro", 25, 2])
    assert.deepEqual(
      [usage.planTier, usage.planState, usage.limit, usage.devicesUsed, usage.remaining, usage.overLimit],
      ["pro", "active", 25, 2, 23, false],
    )
  })

  it("an API error carries status, code, message and request id", async () => {
    const f = fixture()
    const error = await f.fail(use((m) => m.revoke("ghost")))
    assert.ok(error instanceof MachineIdError)
    assert.deepEqual([error.status, error.code], [404, "device_not_found"])
    assert.match(error.requestId ?? "", UUID)
    assert.equal(typeof error.message, "string")
  })

  it("an error body with a code this version does not know: decoded, the code kept", async () => {
    const body = { status: "error", error: "org_suspended", message: "The org is suspended." }
    assert.deepEqual(Option.getOrUndefined(Schema.decodeUnknownOption(ErrorBodySchema)(body)), body)
    const f = fixture()
    f.mock.fault({ path: "/usage", status: 409, body, headers: { "x-request-id": "r-409" } })
    const error = await f.fail(use((m) => m.usage()), { retry: NO_RETRY })
    assert.ok(error instanceof MachineIdError)
    assert.deepEqual([error.status, error.code, error.message, error.requestId], [
      409,
      "org_suspended",
      "The org is suspended.",
      "r-409",
    ])
    assert.deepEqual(error.body, body)
    f.mock.fault({ path: "/validate", status: 409, body })
    const unavailable = await f.fail(MachineID.enforce("a"), { retry: NO_RETRY })
    assert.ok(unavailable instanceof EnforcementUnavailable)
    assert.deepEqual([unavailable.reason, unavailable.status, unavailable.code], ["api_error", 409, "org_suspended"])
  })

  it("a non-2xx whose body is not an error body: no code, the status in the message", async () => {
    const f = fixture()
    f.mock.fault({ path: "/usage", status: 502, body: "<html>bad gateway</html>" })
    const error = await f.fail(use((m) => m.usage()), { retry: NO_RETRY })
    assert.ok(error instanceof MachineIdError)
    assert.deepEqual([error.status, error.code, error.message], [502, undefined, "MachineID answered HTTP 502."])
  })

  it("a network failure is a MachineIdError with code network_error", async () => {
    const f = fixture()
    f.mock.fault({ path: "/usage", drop: true })
    const error = await f.fail(use((m) => m.usage()), { retry: NO_RETRY })
    assert.ok(error instanceof MachineIdError)
    assert.equal(error.code, "network_error")
    assert.equal(error.status, undefined)
  })
})

describe("MachineID client: Promise facade", () => {
  it("resolves with data and rejects with the same error instances", async () => {
    const f = fixture()
    const client = MachineIDClient.make({
      orgKey: f.machineid.demo.proOrgKey,
      baseUrl: f.mock.baseUrl("machineid"),
      fetch: f.mock.fetch,
    })
    assert.equal((await client.register("a")).status, "ok")
    assert.equal((await client.enforce("a")).code, "ALLOW")
    await client.revoke("a")
    await assert.rejects(client.enforce("a"), (e) => e instanceof ExecutionDenied && e.code === "DEVICE_REVOKED")
    await assert.rejects(client.validate(" "), (e) => e instanceof InvalidArgument)
    await client.close()
    await assert.rejects(client.usage(), (e) => e instanceof MachineIdError && e.code === "client_closed")
  })
})

describe("MachineID client: secrets", () => {
  const SECRET = "org_SuperSecretKeyThatMustNotLeak"

  const assertAbsent = (value: unknown, where: string) => {
    for (const text of [String(value), JSON.stringify(value) ?? "", inspect(value, { depth: 10 })]) {
      assert.ok(!text.includes(SECRET), `org key leaked in ${where}: ${text}`)
    }
  }

  it("the org key is absent from every error and from the logs", async () => {
    const f = fixture()
    f.machineid.state.register(f.machineid.demo.proOrgKey, "agent")
    const lines: Array<string> = []
    const capture = Logger.layer([Logger.make((options) => lines.push(inspect(options.message, { depth: 10 })))])
    const programs: ReadonlyArray<Effect.Effect<unknown, unknown, MachineID>> = [
      use((m) => m.usage()),
      use((m) => m.enforce("agent")),
      use((m) => m.register("")),
      MachineID.enforce("agent").pipe(Effect.timeout("5 seconds")),
    ]
    const failures = programs.map((program) =>
      Effect.flip(program).pipe(
        Effect.tap((error) => Effect.logError("failed", error)),
      )
    )
    const errors = await f.run(
      Effect.all(failures).pipe(Effect.provide(capture)),
      { orgKey: SECRET, retry: NO_RETRY },
    )
    f.mock.fault({ path: "/usage", drop: true })
    errors.push(await f.fail(use((m) => m.usage()), { orgKey: SECRET, retry: NO_RETRY }))
    assert.equal(errors.length, 5)
    for (const error of errors) assertAbsent(error, inspect(error))
    assert.ok(lines.length >= 4)
    assertAbsent(lines.join("\n"), "logs")
    assertAbsent(f.mock.journal, "the mock's journal")
    assert.equal(f.orgKeysSent[0], SECRET, "the key itself was sent")
  })

  it("a Redacted org key stays redacted when inspected", () => {
    assertAbsent(Redacted.make(SECRET), "Redacted")
  })
})

describe("MachineID client: batches", () => {
  it("revokeBatch and unrevokeBatch: one result per id, and the decisions follow", async () => {
    const f = fixture()
    const orgKey = f.machineid.demo.proOrgKey
    for (const id of ["a", "b"]) f.machineid.state.register(orgKey, id)
    const [revoked, deniedA, restored, allowedA] = await f.run(use((m) =>
      Effect.all([
        m.revokeBatch([" a ", "b", "ghost"]),
        m.validate("a"),
        m.unrevokeBatch(["a"]),
        m.validate("a"),
      ])
    ))
    assert.equal(revoked.handler, "devices/revoke_batch")
    assert.deepEqual(revoked.results, [
      { deviceId: "a", status: "ok" },
      { deviceId: "b", status: "ok" },
      { deviceId: "ghost", status: "not_found" },
    ])
    assert.equal(deniedA.code, "DEVICE_REVOKED")
    assert.deepEqual(restored.results, [{ deviceId: "a", status: "ok" }])
    assert.equal(allowedA.code, "ALLOW")
    assert.deepEqual(f.mock.journal.map((entry) => entry.operation), [
      "machineid.revokeBatch",
      "machineid.validate",
      "machineid.unrevokeBatch",
      "machineid.validate",
    ])
  })

  const bad: ReadonlyArray<readonly [string, ReadonlyArray<string>]> = [
    ["an empty list", []],
    ["a blank id", ["a", "  "]],
    ["a too long id", ["a", "x".repeat(MAX_DEVICE_ID_LENGTH + 1)]],
    ["more than MAX_BATCH_SIZE ids", Array.from({ length: MAX_BATCH_SIZE + 1 }, (_, i) => `d${i}`)],
    ["not an array", "a" as unknown as ReadonlyArray<string>],
  ]
  for (const [what, ids] of bad) {
    it(`${what} fails with InvalidArgument before any request, on both batch methods`, async () => {
      const f = fixture()
      for (const op of ["revokeBatch", "unrevokeBatch"] as const) {
        const error = await f.fail(use((m) => m[op](ids)))
        assert.ok(error instanceof InvalidArgument, inspect(error))
        assert.equal(error.argument, "deviceIds")
      }
      assert.equal(f.mock.journal.length, 0)
    })
  }

  it("the Promise facade has both", async () => {
    const f = fixture()
    f.machineid.state.register(f.machineid.demo.proOrgKey, "a")
    await using client = MachineIDClient.make({
      orgKey: f.machineid.demo.proOrgKey,
      baseUrl: f.mock.baseUrl("machineid"),
      fetch: f.mock.fetch,
    })
    assert.deepEqual((await client.revokeBatch(["a"])).results, [{ deviceId: "a", status: "ok" }])
    assert.deepEqual((await client.unrevokeBatch(["a"])).results, [{ deviceId: "a", status: "ok" }])
    await assert.rejects(client.revokeBatch([]), InvalidArgument)
  })
})

describe("MachineID client: fields the schema does not know are kept", () => {
  const extra = { tenant: "t-1", meta: { region: "eu" } }
  const plan = { planTier: "pro", planState: "active", limit: 25, devicesUsed: 1, remaining: 24 }
  const cases = [
    [
      "register",
      "/register",
      { status: "ok", deviceId: "a", ...plan },
      (m: typeof MachineID.Service) => m.register("a"),
    ],
    [
      "validate",
      "/devices/validate",
      { allowed: true, code: "ALLOW", request_id: "r" },
      (m: typeof MachineID.Service) => m.validate("a"),
    ],
    [
      "enforce",
      "/devices/validate",
      { allowed: true, code: "ALLOW", request_id: "r" },
      (m: typeof MachineID.Service) => m.enforce("a"),
    ],
    ["usage", "/usage", plan, (m: typeof MachineID.Service) => m.usage()],
    ["listDevices", "/devices/list", { devices: [], planTier: "pro", limit: 25, devicesUsed: 0 }, (
      m: typeof MachineID.Service,
    ) => m.listDevices()],
    ["revoke", "/devices/revoke", { status: "ok", deviceId: "a" }, (m: typeof MachineID.Service) => m.revoke("a")],
    [
      "revokeBatch",
      "/devices/revoke_batch",
      { status: "ok", results: [] },
      (m: typeof MachineID.Service) => m.revokeBatch(["a"]),
    ],
  ] as const
  type Call = (m: typeof MachineID.Service) => Effect.Effect<Record<string, unknown>, unknown>
  for (const [name, path, body, call] of cases as ReadonlyArray<readonly [string, string, object, Call]>) {
    it(`${name}: an extra field reaches the caller as it came`, async () => {
      const f = fixture()
      f.mock.fault({ path, status: 200, body: { ...body, ...extra } })
      const result: Record<string, unknown> = await f.run(use(call))
      assert.equal(result.tenant, "t-1")
      assert.deepEqual(result.meta, { region: "eu" })
    })
  }
  it("validate still renames request_id to requestId, and keeps no request_id", async () => {
    const f = fixture()
    f.mock.fault({
      path: "/devices/validate",
      status: 200,
      body: { allowed: true, code: "ALLOW", request_id: "r", x: 1 },
    })
    const decision = await f.run(use((m) => m.validate("a")))
    assert.deepEqual(decision, { allowed: true, code: "ALLOW", requestId: "r", x: 1 })
  })
})

describe("MachineID client: the default timeout", () => {
  it("is 10 seconds: an attempt that never answers fails with timeout at 10 s of virtual time, not before", async () => {
    const f = fixture()
    f.mock.fault({ path: "/usage", delayMs: 600_000 })
    const exit = await Effect.runPromise(
      Effect.gen(function* () {
        const fiber = yield* Effect.forkChild(Effect.exit(use((m) => m.usage())))
        for (let i = 0; i < 10; i++) yield* TestClock.withLive(Effect.sleep(1))
        yield* TestClock.adjust("9990 millis")
        for (let i = 0; i < 10; i++) yield* TestClock.withLive(Effect.sleep(1))
        assert.equal(fiber.pollUnsafe(), undefined, "still waiting at 9.99 s")
        yield* TestClock.adjust("20 millis")
        return yield* Fiber.join(fiber)
      }).pipe(
        Effect.provide(Layer.provide(
          MachineID.layer({
            orgKey: f.machineid.demo.proOrgKey,
            baseUrl: f.mock.baseUrl("machineid"),
            retry: NO_RETRY,
          }),
          fetchLayer(f.mock.fetch),
        )),
        Effect.provide(TestClock.layer()),
      ),
    )
    assert.ok(Exit.isFailure(exit))
    const error = Cause.squash(exit.cause)
    assert.ok(error instanceof MachineIdError, inspect(error))
    assert.equal(error.code, "timeout")
  })
})
