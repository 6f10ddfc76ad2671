// Fault injection: every client method of PUID, MachineID and the API-keys HTTP client, under four
// faults struck on its request, over real sockets (the mock behind a test-side server that makes
// the faults: see ./_faulty_server.ts). The property: a request not safe to repeat (by its
// endpoint's definition) is applied at most once, and a call whose request was struck is reported
// truthfully: a success only when the request was safe to repeat (and was repeated), else a typed
// error; never a defect, never a success that did not happen. Cases run at once, each on its own
// client, told apart by a header.
import { after, before, describe, it } from "node:test"
import assert from "node:assert/strict"
import { Cause, Effect, Exit, Layer } from "effect"
import { type AnyApi, isIdempotent } from "../src/core/endpoint.ts"
import { fetchLayer } from "../src/core/promise.ts"
import { RetryPolicy } from "../src/core/retry.ts"
import { Puid } from "../src/puid/mod.ts"
import { PuidApi } from "../src/puid/contract.ts"
import { MachineID } from "../src/machineid/mod.ts"
import { MachineIdApi } from "../src/machineid/contract.ts"
import { ApiKeys, type ApiKeysService } from "../src/apikeys/service.ts"
import { ApiKeysHttp } from "../src/apikeys/client.ts"
import { ApiKeysApi } from "../src/apikeys/http_contract.ts"
import { type Mock, MOCK_ORIGIN, mountMocks } from "../mock/app.ts"
import { MockClock } from "../mock/clock.ts"
import { PUID_DEMO, PuidMock } from "../mock/puid/mod.ts"
import { MachineIdMock } from "../mock/machineid/mod.ts"
import { APIKEYS_DEMO, ApiKeysMock } from "../mock/apikeys/mod.ts"
import { CASE_HEADER, type Fault, type FaultyServer, type Received, serveFaulty } from "./_faulty_server.ts"

/** Every attempt within this; a late answer comes after it. */
const TIMEOUT_MILLIS = 1000
const FAULTS: Readonly<Record<string, Fault>> = {
  "502": { _tag: "Status", status: 502 },
  "503 + Retry-After": { _tag: "Status", status: 503, headers: { "retry-after": "1" } },
  "a connection dropped after the server applied it": { _tag: "Drop" },
  "an answer later than the timeout": { _tag: "Late", millis: TIMEOUT_MILLIS * 1.5 },
}
// Fast backoff, every method: which requests are repeated is the definition's say alone.
const retry = RetryPolicy.make({
  times: 2,
  base: "1 millis",
  jitter: false,
  statuses: [502, 503, 504],
  methods: ["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "POST", "PATCH"],
})

const clock = new MockClock()
const puid = new PuidMock(clock)
const machineid = new MachineIdMock(clock)
const apikeys = new ApiKeysMock(clock)
const mock: Mock = mountMocks(clock, [puid, machineid, apikeys])
let server: FaultyServer
before(async () => {
  server = await serveFaulty((request) => {
    const url = new URL(request.url)
    // PUID answers one request per second per caller: each request comes a second later.
    clock.advance(1000)
    return mock.fetch(new Request(`${MOCK_ORIGIN}${url.pathname}${url.search}`, request))
  })
})
after(async () => {
  await server.close()
  await apikeys.dispose()
})

/** A client method under test: what it needs made first, the call, and what must hold after. */
interface Case<S> {
  readonly method: string
  readonly setup?: (service: S, id: string) => Effect.Effect<unknown, unknown>
  readonly call: (service: S, made: never, id: string) => Effect.Effect<unknown, unknown>
  /** What must hold after the call, given whether it succeeded. */
  readonly after?: (service: S, made: never, succeeded: boolean) => Effect.Effect<void, unknown>
}

/** An API under test: its definition, mount, the client layer (with `headers`) and its methods. */
interface Suite<S> {
  readonly api: AnyApi
  /** Runs `f` with a client that sends `headers` on every request. */
  readonly use: <A>(headers: Record<string, string>, f: (service: S) => Effect.Effect<A, unknown>) => Effect.Effect<
    A,
    unknown
  >
  readonly cases: ReadonlyArray<Case<S>>
}

/** Where the mock serves `api`: `/puid/api` (no trailing slash). */
const mountOf = (api: AnyApi) => new URL(mock.baseUrl(api.name)).pathname.replace(/\/+$/, "")

const templates = (api: AnyApi) =>
  api.all.map((endpoint) => ({
    endpoint,
    pattern: new RegExp(`^${mountOf(api)}${endpoint.path.replace(/\{[^}]+\}/g, "[^/]+")}$`),
  }))

/** Whether the request the server received may be applied twice, by its endpoint's definition. */
const safeToRepeat = (api: AnyApi, received: Received): boolean => {
  const found = templates(api).find(({ endpoint, pattern }) =>
    endpoint.method === received.method && pattern.test(received.path)
  )
  assert.ok(found !== undefined, `${received.method} ${received.path} is no endpoint of ${api.name}`)
  return isIdempotent(found.endpoint)
}

const runCase = async <S>(suite: Suite<S>, c: Case<S>, faultName: string) => {
  const id = `${suite.api.name}.${c.method} ${faultName}`
  const run = <A>(f: (service: S) => Effect.Effect<A, unknown>) =>
    Effect.runPromiseExit(suite.use({ [CASE_HEADER]: id }, f))
  const made = c.setup === undefined ? undefined : await run((s) => c.setup!(s, id))
  if (made !== undefined && Exit.isFailure(made)) assert.fail(`${id}: setup failed: ${Cause.pretty(made.cause)}`)
  server.inject(FAULTS[faultName], { case: id })
  const exit = await run((s) => c.call(s, made?.value as never, id))
  const seen = server.received.filter((r) => r.case === id)
  const struck = seen.find((r) => r.fault !== undefined)
  assert.ok(struck !== undefined, `${id}: the fault struck no request`)
  const after = seen.slice(seen.indexOf(struck))
  // Applied at most once: each request not safe to repeat.
  const unsafe = after.filter((r) => r.applied && !safeToRepeat(suite.api, r))
  const keys = unsafe.map((r) => `${r.method} ${r.path}`)
  assert.equal(new Set(keys).size, keys.length, `${id}: applied twice: ${keys.join(", ")}`)
  // Truthful: a typed failure unless the struck request could be, and was, repeated.
  if (Exit.isFailure(exit)) {
    assert.ok(Cause.hasFails(exit.cause) && !Cause.hasDies(exit.cause), `${id}: not a typed failure`)
    const error = Cause.squash(exit.cause) as { readonly _tag?: unknown }
    assert.equal(typeof error._tag, "string", `${id}: an untyped failure`)
  }
  if (safeToRepeat(suite.api, struck)) {
    assert.ok(Exit.isSuccess(exit), `${id}: a request safe to repeat was not repeated: ${exit}`)
  } else {
    assert.ok(Exit.isFailure(exit), `${id}: a success for a request the server may not have applied`)
  }
  if (c.after !== undefined) {
    const checked = await run((s) => c.after!(s, made?.value as never, Exit.isSuccess(exit)))
    if (Exit.isFailure(checked)) assert.fail(`${id}: ${Cause.pretty(checked.cause)}`)
  }
}

const describeSuite = <S>(suite: Suite<S>) =>
  describe(`${suite.api.name} under faults`, () => {
    for (const faultName of Object.keys(FAULTS)) {
      it(`every method under ${faultName}: applied at most once, reported truthfully`, async () => {
        await Promise.all(suite.cases.map((c) => runCase(suite, c, faultName)))
      })
    }
  })

const base = (name: string) => `${server.url}${new URL(mock.baseUrl(name)).pathname}`
const transport = (headers: Record<string, string>) => ({ headers, retry, timeout: TIMEOUT_MILLIS })
const using =
  <I, S>(tag: Effect.Effect<S, never, I>, layer: Layer.Layer<I, unknown>) =>
  <A>(f: (service: S) => Effect.Effect<A, unknown>) => Effect.provide(Effect.flatMap(tag, f), layer)

// -- PUID ---------------------------------------------------------------------------------------

type PuidS = typeof Puid.Service
describeSuite<PuidS>({
  api: PuidApi,
  use: (headers, f) =>
    using(
      Puid,
      Puid.layer({ apiKey: PUID_DEMO.unlimitedApiKey, endpoint: base("puid"), ...transport(headers) }).pipe(
        Layer.provide(fetchLayer()),
      ),
    )(f),
  cases: [
    { method: "ids", call: (p) => p.ids(3) },
    { method: "id", call: (p) => p.id() },
    { method: "ordinal", setup: (p) => p.id(), call: (p, made: string) => p.ordinal(made) },
    { method: "quota", call: (p) => p.quota() },
  ],
})

// -- MachineID ----------------------------------------------------------------------------------

type MachineIdS = typeof MachineID.Service
const device = (id: string) => `dev-${id.replace(/[^a-z0-9]+/gi, "-")}`
const registered = (m: MachineIdS, id: string) => Effect.as(m.register(device(id)), device(id))
const revoked = (m: MachineIdS, id: string) => Effect.flatMap(registered(m, id), (d) => Effect.as(m.revoke(d), d))
/** After a call that changes `made`'s device: it shows `revoked` when the call's change took (or not). */
const revokedAfter =
  (expected: (succeeded: boolean) => boolean | undefined) => (m: MachineIdS, made: string, succeeded: boolean) =>
    Effect.flatMap(m.listDevices(), (list) => {
      const want = expected(succeeded)
      const isRevoked = list.devices.some((d) => d.deviceId === made && d.status === "revoked")
      if (want !== undefined) assert.equal(isRevoked, want, `${made} revoked`)
      return Effect.void
    })

describeSuite<MachineIdS>({
  api: MachineIdApi,
  use: (headers, f) =>
    using(
      MachineID,
      MachineID.layer({ orgKey: machineid.demo.scaleOrgKey, baseUrl: base("machineid"), ...transport(headers) }).pipe(
        Layer.provide(fetchLayer()),
      ),
    )(f),
  cases: [
    { method: "register", call: (m, _, id) => m.register(device(id)) },
    { method: "validate", setup: registered, call: (m, made: string) => m.validate(made) },
    { method: "enforce", setup: registered, call: (m, made: string) => m.enforce(made) },
    { method: "listDevices", call: (m) => m.listDevices() },
    {
      method: "revoke",
      setup: registered,
      call: (m, made: string) => m.revoke(made),
      after: revokedAfter((ok) => ok ? true : undefined),
    },
    {
      method: "unrevoke",
      setup: revoked,
      call: (m, made: string) => m.unrevoke(made),
      after: revokedAfter((ok) => ok ? false : undefined),
    },
    { method: "restore", setup: revoked, call: (m, made: string) => m.restore(made) },
    { method: "revokeBatch", setup: registered, call: (m, made: string) => m.revokeBatch([made]) },
    { method: "unrevokeBatch", setup: revoked, call: (m, made: string) => m.unrevokeBatch([made]) },
    { method: "remove", setup: registered, call: (m, made: string) => m.remove(made) },
    { method: "usage", call: (m) => m.usage() },
  ],
})

// -- API keys (the HTTP client) -----------------------------------------------------------------

const org = APIKEYS_DEMO.orgId
const withKey = (k: ApiKeysService) => k.createKey(org, { metadata: { scopes: ["read"] } })
const countOrgs = (k: ApiKeysService) => Effect.map(k.listOrganizations(), (orgs) => orgs.length)

describeSuite<ApiKeysService>({
  api: ApiKeysApi,
  use: (headers, f) =>
    using(
      ApiKeys,
      ApiKeysHttp.layer({ baseUrl: base("apikeys"), adminKey: APIKEYS_DEMO.adminKey, ...transport(headers) }).pipe(
        Layer.provide(fetchLayer()),
      ),
    )(f),
  cases: [
    {
      method: "createOrganization",
      setup: (k) => countOrgs(k),
      call: (k, _, id) => k.createOrganization(id),
      after: (k, before: number) =>
        Effect.map(countOrgs(k), (now) => assert.ok(now - before <= 1, `${now - before} organizations made`)),
    },
    { method: "getOrganization", call: (k) => k.getOrganization(org) },
    { method: "listOrganizations", call: (k) => k.listOrganizations() },
    { method: "createProject", call: (k, _, id) => k.createProject(org, id) },
    { method: "getProject", call: (k) => k.getProject(APIKEYS_DEMO.projectId) },
    { method: "listProjects", call: (k) => k.listProjects(org) },
    { method: "createProduct", call: (k, _, id) => k.createProduct(org, id) },
    { method: "getProduct", call: (k) => k.getProduct(APIKEYS_DEMO.productId) },
    { method: "listProducts", call: (k) => k.listProducts(org) },
    {
      method: "addProductToProject",
      call: (k) => k.addProductToProject(APIKEYS_DEMO.productId, APIKEYS_DEMO.projectId),
    },
    { method: "listProjectProducts", call: (k) => k.listProjectProducts(APIKEYS_DEMO.projectId) },
    { method: "createKey", call: (k) => withKey(k) },
    {
      method: "verifyKey",
      setup: withKey,
      call: (k, made: { plaintext: never }) => k.verifyKey(made.plaintext),
      after: (k, made: { key: { id: string } }) =>
        Effect.map(k.getKey(made.key.id), (key) => assert.ok(key.useCount <= 1, `${key.useCount} uses counted`)),
    },
    {
      method: "validateKey",
      setup: withKey,
      call: (k, made: { plaintext: never }) => k.validateKey(made.plaintext),
      after: (k, made: { key: { id: string } }) =>
        Effect.map(k.getKey(made.key.id), (key) => assert.ok(key.useCount <= 1, `${key.useCount} uses counted`)),
    },
    { method: "revokeKey", setup: withKey, call: (k, made: { key: { id: string } }) => k.revokeKey(made.key.id) },
    { method: "getKey", call: (k) => k.getKey(APIKEYS_DEMO.keyId) },
    { method: "listOrgKeys", call: (k) => k.listOrgKeys(org) },
    { method: "listProjectKeys", call: (k) => k.listProjectKeys(APIKEYS_DEMO.projectId) },
    {
      method: "updateKey",
      setup: withKey,
      call: (k, made: { key: { id: string } }) => k.updateKey(made.key.id, { name: "renamed" }),
    },
    {
      method: "deleteKey",
      setup: withKey,
      call: (k, made: { key: { id: string } }) => k.deleteKey(made.key.id),
      // A success means it is gone.
      after: (k, made: { key: { id: string } }, succeeded) =>
        succeeded ? Effect.flip(Effect.asVoid(k.getKey(made.key.id))) : Effect.void,
    },
    { method: "rotateKey", setup: withKey, call: (k, made: { key: { id: string } }) => k.rotateKey(made.key.id) },
  ],
})
