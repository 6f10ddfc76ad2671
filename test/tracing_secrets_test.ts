// No secret in spans: every span a client makes (gatehouse's and effect's HttpClient's), its
// attributes, events and exit serialized the ways an exporter does (JSON, inspect, Cause.pretty),
// holds no credential: org keys, admin and validator keys, API keys, tokens, client secrets.
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { inspect } from "node:util"
import { Cause, Effect, Exit, Layer, Tracer } from "effect"
import { APIKEYS_DEMO, ApiKeysMock } from "../mock/apikeys/mod.ts"
import { MachineIdMock } from "../mock/machineid/mod.ts"
import { PUID_DEMO, PuidMock } from "../mock/puid/mod.ts"
import { ApiKeys } from "../src/apikeys/service.ts"
import { ApiKeysHttp } from "../src/apikeys/client.ts"
import { MachineID } from "../src/machineid/mod.ts"
import { Puid } from "../src/puid/mod.ts"
import { RetryPolicy } from "../src/core/retry.ts"
import { harness } from "./_harness.ts"

/** A tracer that keeps every span, for reading back. */
const recordingTracer = () => {
  const spans: Array<Tracer.NativeSpan> = []
  const tracer = Tracer.make({
    span: (options) => {
      const span = new Tracer.NativeSpan(options)
      spans.push(span)
      return span
    },
  })
  return { spans, layer: Layer.succeed(Tracer.Tracer, tracer) }
}

const json = (value: unknown) =>
  JSON.stringify(
    value,
    (_, v) => typeof v === "bigint" ? v.toString() : v instanceof Uint8Array ? new TextDecoder().decode(v) : v,
  )

/** A span as exporters see it: its attributes, events and exit, serialized every usual way. */
const serialized = (span: Tracer.NativeSpan): string => {
  const exit = span.status._tag === "Ended" ? span.status.exit : undefined
  return [
    span.name,
    json(Object.fromEntries(span.attributes)),
    json(span.events),
    inspect(Object.fromEntries(span.attributes), { depth: 20 }),
    inspect(span.events, { depth: 20 }),
    exit === undefined ? "" : inspect(exit, { depth: 20 }),
    exit === undefined ? "" : String(exit),
    exit !== undefined && Exit.isFailure(exit) ? Cause.pretty(exit.cause) : "",
    exit !== undefined && Exit.isSuccess(exit) ? json(exit.value) : "",
    exit !== undefined && Exit.isFailure(exit) ? json(Cause.squash(exit.cause)) : "",
  ].join("\n")
}

/** Runs `program` (its failure is fine) with the tracer; the spans that hold one of `secrets`. */
const leaks = async <R>(
  program: Effect.Effect<unknown, unknown, R>,
  layer: Layer.Layer<R, unknown>,
  secrets: () => ReadonlyArray<string>,
) => {
  const { spans, layer: tracing } = recordingTracer()
  await Effect.runPromiseExit(Effect.provide(program, Layer.merge(layer, tracing)))
  assert.ok(spans.length > 0, "no span was recorded")
  const found = spans.flatMap((span) => {
    const text = serialized(span)
    return secrets().filter((secret) => text.includes(secret)).map((secret) =>
      `${span.name}: ${secret.slice(0, 12)}...`
    )
  })
  return found
}

const noRetry = { retry: RetryPolicy.none }

describe("the span of a call", () => {
  it("is the operation's, a client span with its route, and its trace travels in traceparent", async () => {
    const h = harness((clock) => new MachineIdMock(clock), () => Layer.empty as never)
    const { spans, layer: tracing } = recordingTracer()
    const layer = MachineID.layer({ orgKey: h.api.demo.proOrgKey, baseUrl: h.baseUrl }).pipe(Layer.provide(h.http))
    await Effect.runPromise(
      Effect.provide(Effect.flatMap(MachineID, (m) => m.validate("a")), Layer.merge(layer, tracing)),
    )
    assert.deepEqual(spans.map((span) => span.name), ["machineid.validate"], "one span, effect's HTTP span off")
    const [span] = spans
    assert.equal(span.kind, "client")
    assert.equal(span.attributes.get("url.template"), "/api/v1/devices/validate")
    assert.equal(span.attributes.get("http.response.status_code"), 200)
    assert.equal(h.sent.at(-1)?.headers["traceparent"], `00-${span.traceId}-${span.spanId}-01`)
  })
})

describe("no secret in spans", () => {
  it("PUID: the API key, the client secret and the access token", async () => {
    const h = harness((clock) => new PuidMock(clock), () => Layer.empty as never)
    const calls = Effect.flatMap(
      Puid,
      (puid) => Effect.all([puid.id(), puid.ordinal("not-a-puid"), puid.quota()], { mode: "result" }),
    )
    const key = Puid.layer({ apiKey: PUID_DEMO.unlimitedApiKey, endpoint: h.baseUrl, ...noRetry })
    assert.deepEqual(await leaks(calls, key.pipe(Layer.provide(h.http)), () => [PUID_DEMO.unlimitedApiKey]), [])
    h.mock.fault({ path: "/v1/ids", drop: true })
    assert.deepEqual(await leaks(calls, key.pipe(Layer.provide(h.http)), () => [PUID_DEMO.unlimitedApiKey]), [])
    h.mock.clearFaults()
    const client = Puid.fromClientCredentials({
      clientId: PUID_DEMO.clientId,
      clientSecret: PUID_DEMO.clientSecret,
      endpoint: h.baseUrl,
      ...noRetry,
    })
    const tokens = () =>
      h.sent.flatMap((sent) => {
        const auth = sent.headers["authorization"]
        return auth?.startsWith("Bearer ") ? [auth.slice(7)] : []
      })
    assert.deepEqual(
      await leaks(calls, client.pipe(Layer.provide(h.http)), () => [PUID_DEMO.clientSecret, ...tokens()]),
      [],
    )
    assert.ok(tokens().length > 0)
  })

  it("MachineID: the org key", async () => {
    const h = harness((clock) => new MachineIdMock(clock), () => Layer.empty as never)
    const orgKey = h.api.demo.proOrgKey
    const calls = Effect.flatMap(
      MachineID,
      (m) =>
        Effect.all([m.register("a"), m.validate("a"), m.enforce("a"), m.revoke("a"), m.enforce("a"), m.usage()], {
          mode: "result",
        }),
    )
    const layer = MachineID.layer({ orgKey, baseUrl: h.baseUrl, ...noRetry }).pipe(Layer.provide(h.http))
    assert.deepEqual(await leaks(calls, layer, () => [orgKey]), [])
    h.mock.fault({ path: "/devices", drop: true })
    assert.deepEqual(await leaks(calls, layer, () => [orgKey]), [])
    h.mock.clearFaults()
    h.mock.clearFaults()
    h.mock.fault({ path: "/devices", status: 500 })
    assert.deepEqual(await leaks(calls, layer, () => [orgKey]), [])
  })

  it("API keys: the admin key, the validator key and the keys themselves", async () => {
    const h = harness((clock) => new ApiKeysMock(clock), () => Layer.empty as never)
    const secrets = () => [APIKEYS_DEMO.adminKey, APIKEYS_DEMO.validatorKey, APIKEYS_DEMO.apiKey]
    const calls = Effect.flatMap(ApiKeys, (k) =>
      Effect.all([
        k.validateKey(APIKEYS_DEMO.apiKey),
        k.verifyKey(APIKEYS_DEMO.apiKey),
        k.getKey(APIKEYS_DEMO.keyId),
        k.getKey("missing"),
      ], { mode: "result" }))
    for (const credentials of [{ adminKey: APIKEYS_DEMO.adminKey }, { validatorKey: APIKEYS_DEMO.validatorKey }]) {
      const layer = ApiKeysHttp.layer({ baseUrl: h.baseUrl, ...credentials, ...noRetry }).pipe(Layer.provide(h.http))
      assert.deepEqual(await leaks(calls, layer, secrets), [])
      h.mock.fault({ path: "/api/keys", drop: true })
      assert.deepEqual(await leaks(calls, layer, secrets), [])
      h.mock.clearFaults()
    }
    const created = Effect.flatMap(ApiKeys, (k) => k.createKey(APIKEYS_DEMO.orgId))
    const layer = ApiKeysHttp.layer({ baseUrl: h.baseUrl, adminKey: APIKEYS_DEMO.adminKey }).pipe(Layer.provide(h.http))
    const plaintexts = () => h.sent.flatMap((s) => [...s.body.matchAll(/sk_[A-Za-z0-9]+/g)].map((m) => m[0]))
    assert.deepEqual(await leaks(created, layer, () => [...secrets(), ...plaintexts()]), [])
    await h.api.dispose()
  })
})
