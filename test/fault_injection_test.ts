// Fault injection: every client method of the five APIs (AuthPI's generated from its resource
// table: each operation, `listAll` and action of every row; PUGUH's every method that sends a
// request), under four faults struck on its request, over real sockets (the mock behind a test-side
// server that makes the faults: see ./_faulty_server.ts). The property: a request not safe to
// repeat (by its endpoint's definition) is applied at most once, and a call whose request was struck
// is reported truthfully: a success only when the request was safe to repeat (and was repeated),
// else a typed error; never a defect, never a success that did not happen. Where a call changes
// state, the state after is checked too (one item per create, the change made when it succeeded).
// Cases run many at once, each on its own client, told apart by a header.
import { after, before, describe, it } from "node:test"
import assert from "node:assert/strict"
import { Cause, Effect, Exit, Layer, Stream } from "effect"
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
import { AUTHPI_DEMO, AuthPIMock, isRefusal, type Refusal } from "../mock/authpi/mod.ts"
import { AuthPI } from "../src/authpi/mod.ts"
import { AuthPIApi } from "../src/authpi/contract.ts"
import {
  parentsOf,
  type ResourceName,
  RESOURCES,
  resources,
  type ResourceSpec,
  type Scope,
} from "../src/authpi/resources.ts"
import { PUGUH_DEMO, PuguhMock, totp } from "../mock/puguh/mod.ts"
import { type BillingPrefix, Puguh, type PuguhService } from "../src/puguh/mod.ts"
import { PuguhApi } from "../src/puguh/contract.ts"
import { CASE_HEADER, type Fault, type FaultyServer, type Received, serveFaulty } from "./_faulty_server.ts"

/** Each attempt of a call under a fault within this; a late answer comes well after it. */
const TIMEOUT_MILLIS = 3000
/** Cases at once: enough to overlap the late answers, few enough that a loaded machine answers the rest in time. */
const CONCURRENCY = 64
/** The attempts of the setup and the checks: long, as the machine may be loaded. */
const SLOW_MILLIS = 20_000
const FAULTS: Readonly<Record<string, Fault>> = {
  "502": { _tag: "Status", status: 502 },
  "503 + Retry-After": { _tag: "Status", status: 503, headers: { "retry-after": "1" } },
  "a connection dropped after the server applied it": { _tag: "Drop" },
  "an answer later than the timeout": { _tag: "Late", millis: TIMEOUT_MILLIS * 5 },
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
// Webhook deliveries answered at once, without the network.
const authpi = new AuthPIMock(clock, { fetch: () => Promise.resolve(new Response("ok")) })
const puguh = new PuguhMock(clock)
const mock: Mock = mountMocks(clock, [puid, machineid, apikeys, authpi, puguh])
let server: FaultyServer
before(async () => {
  server = await serveFaulty((request) => {
    const url = new URL(request.url)
    // PUID answers one request per second per caller: each of its requests comes a second later.
    if (url.pathname.startsWith(mountOf(PuidApi))) clock.advance(1000)
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
  readonly after?: (service: S, made: never, succeeded: boolean, id: string) => Effect.Effect<void, unknown>
}

/** An API under test: its definition, mount, the client layer (with `headers`) and its methods. */
interface Suite<S> {
  readonly api: AnyApi
  /** Whether the API honours an `Idempotency-Key`. */
  readonly idempotencyKeys?: boolean
  /** Runs `f` with a client that sends `headers` on every request, each attempt within `timeout` ms. */
  readonly use: <A>(
    headers: Record<string, string>,
    timeout: number,
    f: (service: S) => Effect.Effect<A, unknown>,
  ) => Effect.Effect<A, unknown>
  readonly cases: ReadonlyArray<Case<S>>
}

/** Where the mock serves `api`: `/puid/api` (no trailing slash). */
const mountOf = (api: AnyApi) => new URL(mock.baseUrl(api.name)).pathname.replace(/\/+$/, "")

const templates = (api: AnyApi) =>
  api.all.map((endpoint) => ({
    endpoint,
    pattern: new RegExp(`^${mountOf(api)}${endpoint.path.replace(/\{[^}]+\}/g, "[^/]+")}$`),
  }))

/**
 * Whether the request the server received may be applied twice: its endpoint's definition says
 * so, or it carries an `Idempotency-Key` and the API honours them (the server applies it once).
 */
const safeToRepeat = (suite: Pick<Suite<unknown>, "api" | "idempotencyKeys">, received: Received): boolean => {
  const found = templates(suite.api).find(({ endpoint, pattern }) =>
    endpoint.method === received.method && pattern.test(received.path)
  )
  assert.ok(found !== undefined, `${received.method} ${received.path} is no endpoint of ${suite.api.name}`)
  return isIdempotent(found.endpoint) || (suite.idempotencyKeys === true && received.idempotencyKey !== undefined)
}

const runCase = async <S>(suite: Suite<S>, c: Case<S>, faultName: string) => {
  const id = `${suite.api.name}.${c.method} ${faultName}`
  const run = <A>(f: (service: S) => Effect.Effect<A, unknown>, timeout = SLOW_MILLIS) =>
    Effect.runPromiseExit(suite.use({ [CASE_HEADER]: id }, timeout, f))
  const made = c.setup === undefined ? undefined : await run((s) => c.setup!(s, id))
  if (made !== undefined && Exit.isFailure(made)) assert.fail(`${id}: setup failed: ${Cause.pretty(made.cause)}`)
  server.inject(FAULTS[faultName], { case: id })
  const exit = await run((s) => c.call(s, made?.value as never, id), TIMEOUT_MILLIS)
  const seen = server.received.filter((r) => r.case === id)
  const struck = seen.find((r) => r.fault !== undefined)
  assert.ok(struck !== undefined, `${id}: the fault struck no request: ${exit}`)
  const after = seen.slice(seen.indexOf(struck))
  // Applied at most once: each request not safe to repeat.
  const unsafe = after.filter((r) => r.applied && !safeToRepeat(suite, r))
  const keys = unsafe.map((r) => `${r.method} ${r.path}`)
  assert.equal(new Set(keys).size, keys.length, `${id}: applied twice: ${keys.join(", ")}`)
  // Truthful: a typed failure unless the struck request could be, and was, repeated.
  if (Exit.isFailure(exit)) {
    assert.ok(Cause.hasFails(exit.cause) && !Cause.hasDies(exit.cause), `${id}: not a typed failure`)
    const error = Cause.squash(exit.cause) as { readonly _tag?: unknown }
    assert.equal(typeof error._tag, "string", `${id}: an untyped failure`)
  }
  if (safeToRepeat(suite, struck)) {
    assert.ok(Exit.isSuccess(exit), `${id}: a request safe to repeat was not repeated: ${exit}`)
  } else {
    assert.ok(Exit.isFailure(exit), `${id}: a success for a request the server may not have applied`)
  }
  if (c.after !== undefined) {
    const checked = await run((s) => c.after!(s, made?.value as never, Exit.isSuccess(exit), id))
    if (Exit.isFailure(checked)) assert.fail(`${id}: ${Cause.pretty(checked.cause)}`)
  }
}

/** Every case of every API, to run under a fault. */
const cases: Array<(faultName: string) => Promise<void>> = []
const describeSuite = <S>(suite: Suite<S>) => {
  for (const c of suite.cases) cases.push((faultName) => runCase(suite, c, faultName))
}

const base = (name: string) => `${server.url}${new URL(mock.baseUrl(name)).pathname}`
const transport = (headers: Record<string, string>, timeout: number) => ({ headers, retry, timeout })
const using =
  <I, S>(tag: Effect.Effect<S, never, I>, layer: Layer.Layer<I, unknown>) =>
  <A>(f: (service: S) => Effect.Effect<A, unknown>) => Effect.provide(Effect.flatMap(tag, f), layer)

// -- PUID ---------------------------------------------------------------------------------------

type PuidS = typeof Puid.Service
describeSuite<PuidS>({
  api: PuidApi,
  use: (headers, timeout, f) =>
    using(
      Puid,
      Puid.layer({ apiKey: PUID_DEMO.unlimitedApiKey, endpoint: base("puid"), ...transport(headers, timeout) }).pipe(
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
  use: (headers, timeout, f) =>
    using(
      MachineID,
      MachineID.layer({
        orgKey: machineid.demo.scaleOrgKey,
        baseUrl: base("machineid"),
        ...transport(headers, timeout),
      }).pipe(
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
  use: (headers, timeout, f) =>
    using(
      ApiKeys,
      ApiKeysHttp.layer({ baseUrl: base("apikeys"), adminKey: APIKEYS_DEMO.adminKey, ...transport(headers, timeout) })
        .pipe(
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

// -- AuthPI: every method, from the resource table ----------------------------------------------

type AuthPIS = typeof AuthPI.Service
const account = AUTHPI_DEMO.accountId
const state = authpi.state
/** Fails the setup when the mock refused. */
const kept = <A>(made: A | Refusal): A => {
  if (isRefusal(made)) throw new Error(`authpi setup: ${made.description}`)
  return made
}
let markers = 0
/** A word of its own for each thing a case makes, found back in the state by it. */
const marker = () => `m${++markers}x`
const invitation = (m: string) => ({ email_invited: `${m}@example.com`, scopes: ["read"] })
/** A valid create body of each row the API creates (`{ name }` unless named here), `m` in a field the item keeps. */
const bodies: Readonly<Record<string, (m: string) => Record<string, unknown>>> = {
  webhooks: (m) => ({ name: m, url: "http://127.0.0.1:9/hook", events: ["fault.test"] }),
  domains: (m) => ({ host: `${m}.example.com` }),
  notes: (m) => ({ subject_type: "user", subject_id: "usr_1", body: m }),
  members: (m) => ({ email: `${m}@example.com` }),
  invitations: invitation,
  issuerInvitations: invitation,
  organizationInvitations: invitation,
  users: (m) => ({ username_type: "email", username: `${m}@example.com`, email: `${m}@example.com` }),
  authMethods: (m) => ({ name: m, method: "password" }),
  userVerifiers: (m) => ({ kind: "totp", name: m }),
  agentVerifiers: (m) => ({ kind: "totp", name: m }),
}
const bodyOf = (name: ResourceName, m: string) => (bodies[name] ?? ((m: string) => ({ name: m })))(m)
/** Items the API cannot create, as the mock's tests seed them. */
const seeds: Readonly<Record<string, Record<string, unknown>>> = {
  events: { type: "user.created", data: {} },
  sessions: { status: "active", ip: "203.0.113.7", user_agent: "Mozilla/5.0" },
  trustedDevices: { name: "Laptop", last_seen_at: 0 },
  deliveries: {
    event_id: "evt_1",
    event_type: "user.created",
    attempt: 1,
    status: "failed",
    response_code: 500,
    duration_ms: 1,
    next_attempt_at: null,
  },
}
/** A fresh parent of each kind, made in the state (no request). */
const parentRows: Readonly<Record<string, ResourceName>> = {
  issuer_id: "issuers",
  user_id: "users",
  agent_id: "agents",
  org_id: "organizations",
  webhook_id: "webhooks",
}
const parentsFor = (spec: ResourceSpec): Record<string, string> => {
  const params: Record<string, string> = {}
  for (const param of parentsOf(spec)) {
    params[param] = kept(state.create(account, parentRows[param], params, bodyOf(parentRows[param], marker()))).item.id
  }
  return params
}
/** What a case made: the parents, and the item (its id as the client names it). */
interface Made {
  readonly params: Record<string, string>
  readonly id: string
}
const madeItem = (name: ResourceName, spec: ResourceSpec): Made => {
  const params = parentsFor(spec)
  if (name === "approvals") {
    // A user waiting for approval: the approval is named by the user's id.
    const body = { ...bodyOf("users", marker()), requires_approval: true }
    return { params, id: kept(state.create(account, "users", params, body)).item.id }
  }
  const seed = seeds[name]
  const item = seed === undefined
    ? kept(state.create(account, name, params, bodyOf(name, marker()))).item
    : kept(state.seed(account, name, params, seed))
  return { params, id: item.id }
}
/** The client's object of a row, under `params`. */
const resourceOf = (a: AuthPIS, spec: ResourceSpec, p: Record<string, string>) => {
  const scopes: Record<Scope, () => unknown> = {
    account: () => a,
    webhook: () => a.webhook(p.webhook_id),
    issuer: () => a.issuer(p.issuer_id),
    user: () => a.issuer(p.issuer_id).user(p.user_id),
    agent: () => a.issuer(p.issuer_id).agent(p.agent_id),
    organization: () => a.issuer(p.issuer_id).organization(p.org_id),
  }
  return (scopes[spec.scope]() as Record<string, Record<string, (...args: Array<unknown>) => unknown>>)[spec.accessor]
}
const itemOf = (name: ResourceName, made: Made) =>
  state.get(account, name, { account_id: account, ...made.params, [RESOURCES[name].id]: made.id })
/** An item action's effect on the item, checked after a success. */
const actionEffects: Readonly<Record<string, Record<string, unknown>>> = {
  approve: { status: "approved" },
  reject: { status: "rejected" },
  revoke: { status: "revoked" },
  suspend: { status: "suspended" },
  resend: { status: "pending" },
  verify: { verified: true },
}
const countMarked = (name: ResourceName, m: string) =>
  state.items(account, name).filter((item) => JSON.stringify(item).includes(`"${m}`)).length

/** The cases of one row: each operation and action it has, a list's `listAll` too. */
const resourceCases = (name: ResourceName, spec: ResourceSpec): Array<Case<AuthPIS>> => {
  const setup = () => Effect.sync(() => madeItem(name, spec))
  const fresh = () => Effect.sync(() => ({ params: parentsFor(spec), id: marker() }))
  const on = (a: AuthPIS, made: Made) => resourceOf(a, spec, made.params)
  const cases: Array<Case<AuthPIS>> = []
  const add = (method: string, c: Omit<Case<AuthPIS>, "method">) => cases.push({ method: `${name}.${method}`, ...c })
  for (const operation of spec.operations) {
    switch (operation) {
      case "list":
        add("list", { setup, call: (a, made: Made) => on(a, made).list() as Effect.Effect<unknown, unknown> })
        add("listAll", {
          setup,
          call: (a, made: Made) => Stream.runCollect(on(a, made).listAll() as Stream.Stream<unknown, unknown>),
        })
        break
      case "get":
        add("get", { setup, call: (a, made: Made) => on(a, made).get(made.id) as Effect.Effect<unknown, unknown> })
        break
      case "create":
        // `made.id` is the marker the body carries: one item made when it succeeded, at most one else.
        add("create", {
          setup: fresh,
          call: (a, made: Made) => on(a, made).create(bodyOf(name, made.id)) as Effect.Effect<unknown, unknown>,
          after: (_, made: Made, succeeded) =>
            Effect.sync(() => {
              const count = countMarked(name, made.id)
              assert.ok(succeeded ? count === 1 : count <= 1, `${count} made`)
            }),
        })
        break
      case "update": {
        const m = marker()
        add("update", {
          setup,
          call: (a, made: Made) => on(a, made).update(made.id, bodyOf(name, m)) as Effect.Effect<unknown, unknown>,
          after: (_, made: Made, succeeded) =>
            Effect.sync(() =>
              succeeded && assert.ok(JSON.stringify(itemOf(name, made)).includes(`"${m}`), "not updated")
            ),
        })
        break
      }
      case "delete":
        add("delete", {
          setup,
          call: (a, made: Made) => on(a, made).delete(made.id) as Effect.Effect<unknown, unknown>,
          // A success means it is gone (a webhook stays, `deleted`).
          after: (_, made: Made, succeeded) =>
            Effect.sync(() => {
              const item = itemOf(name, made)
              if (succeeded) assert.ok(isRefusal(item) || item.status === "deleted", "not deleted")
            }),
        })
        break
    }
  }
  for (const [action, { on: where, method }] of Object.entries(spec.actions ?? {})) {
    if (where === "collection") {
      add(action, { setup, call: (a, made: Made) => on(a, made)[action]() as Effect.Effect<unknown, unknown> })
      continue
    }
    add(action, {
      setup,
      call: (a, made: Made) => on(a, made)[action](made.id) as Effect.Effect<unknown, unknown>,
      after: (_, made: Made, succeeded) =>
        Effect.sync(() => {
          if (action === "redeliver") {
            // One delivery seeded; a redelivery adds one, never two.
            const count = state.items(account, "deliveries").filter((d) =>
              d.webhook_id === made.params.webhook_id && d.event_id === "evt_1"
            ).length
            assert.ok(succeeded ? count === 2 : count <= 2, `${count} deliveries`)
          } else if (succeeded && method === "POST") {
            const item = itemOf(name, made) as Record<string, unknown>
            const effect = actionEffects[action]
            assert.ok(effect !== undefined, `${action}: its effect on the item is not named here`)
            for (const [field, value] of Object.entries(effect)) {
              assert.equal(item[field], value, `${action}: ${field}`)
            }
          }
        }),
    })
  }
  // An account holds only so many of some rows (domains): each case removes what it made.
  if (spec.limit === undefined || parentsOf(spec).length > 0) return cases
  return cases.map((c) => ({
    ...c,
    after: (a: AuthPIS, made: Made, succeeded: boolean, id: string) =>
      Effect.ensuring(
        c.after?.(a, made as never, succeeded, id) ?? Effect.void,
        Effect.sync(() => {
          for (const item of state.items(account, name)) {
            if (item.id === made.id || JSON.stringify(item).includes(`"${made.id}`)) {
              state.remove(account, name, { account_id: account, [spec.id]: item.id })
            }
          }
        }),
      ),
  }))
}

describeSuite<AuthPIS>({
  api: AuthPIApi,
  idempotencyKeys: true,
  use: (headers, timeout, f) =>
    using(
      AuthPI,
      AuthPI.layer({
        apiKey: AUTHPI_DEMO.apiKey,
        accountId: AUTHPI_DEMO.accountId,
        baseUrl: base("authpi"),
        defaultHeaders: headers,
        retries: retry,
        timeout,
      }).pipe(Layer.provide(fetchLayer())),
    )(f),
  cases: [
    { method: "me", call: (a) => a.me() },
    { method: "accounts.list", call: (a) => a.accounts.list() },
    { method: "accounts.listAll", call: (a) => Stream.runCollect(a.accounts.listAll()) },
    { method: "accounts.get", call: (a) => a.accounts.get(account) },
    { method: "accounts.update", call: (a) => a.accounts.update(account, { name: "Demo account" }) },
    ...resources.flatMap(([name, spec]) => resourceCases(name, spec)),
  ],
})

// -- PUGUH: every method ---------------------------------------------------------------------------

let slugs = 0
/** A slug of its own for each thing a case makes. */
const slug = () => `case-${++slugs}`
const acme = PUGUH_DEMO.organizationId
const owner = await puguh.state.issueTokens(puguh.state.userByEmail(PUGUH_DEMO.email)!.id)
/** The access token a case signs in with, by case: a user of its own where the call changes the user. */
const signedIn = new Map<string, string>()
/** Makes a user of the case's own, signed in for its calls; returns them. */
const ownUser = (id: string) =>
  Effect.promise(async () => {
    const user = puguh.state.createUser(`${slug()}@example.com`)
    signedIn.set(id, (await puguh.state.issueTokens(user.id)).accessToken)
    return user
  })
/** A member of Acme of the case's own (not signed in). */
const acmeMember = () =>
  Effect.sync(() => {
    const user = puguh.state.createUser(`${slug()}@example.com`)
    puguh.state.addMember(acme, user.id, "member")
    return user
  })
const organization = (p: PuguhService, id: string) => p.organizations.create({ name: id, slug: slug() })
const application = (p: PuguhService, id: string) => p.applications.create({ orgId: acme, name: id, slug: slug() })
const subscribed = (p: PuguhService, id: string) =>
  Effect.tap(
    organization(p, id),
    (org) => p.billing.createSubscription({ orgId: org.id, planId: "pro", paymentMethodId: "pm_card_visa" }),
  )
/** A code of the user's authenticator, now. */
const code = (secret: string) => Effect.promise(() => totp(secret, clock.now()))
/** A user of the case's own with MFA set up (not yet on): its authenticator's secret. */
const mfaSetUp = (id: string) =>
  Effect.map(ownUser(id), (user) => ({ userId: user.id, secret: puguh.state.setupMfa(user.id).secret }))
const mfaOn = (id: string) =>
  Effect.tap(mfaSetUp(id), ({ userId, secret }) =>
    Effect.promise(async () => {
      await puguh.state.confirmMfa(userId, await totp(secret, clock.now()))
      // A code is taken once per 30 s step: the call's is of the next.
      clock.advance(30_000)
    }))

/** The billing calls, served at either prefix. */
const billing: ReadonlyArray<Case<PuguhService>> = [
  { method: "billing.getPlans", call: (p) => p.billing.getPlans() },
  { method: "billing.getPlan", call: (p) => p.billing.getPlan("pro") },
  { method: "billing.getSubscription", call: (p) => p.billing.getSubscription(acme) },
  {
    method: "billing.createSubscription",
    setup: organization,
    call: (p, made: { id: string }) =>
      p.billing.createSubscription({ orgId: made.id, planId: "pro", paymentMethodId: "pm_card_visa" }),
  },
  {
    method: "billing.upgrade",
    setup: subscribed,
    call: (p, made: { id: string }) => p.billing.upgrade({ orgId: made.id, planId: "business" }),
  },
  { method: "billing.cancel", setup: subscribed, call: (p, made: { id: string }) => p.billing.cancel(made.id) },
  { method: "billing.getInvoices", call: (p) => p.billing.getInvoices(acme) },
  { method: "billing.getUsage", call: (p) => p.billing.getUsage(acme) },
]
/** PUGUH's suite: its client with `options`, `cases`. */
const puguhSuite = (cases: ReadonlyArray<Case<PuguhService>>, options: { billingPrefix?: BillingPrefix } = {}) =>
  describeSuite<PuguhService>({
    api: PuguhApi,
    use: (headers, timeout, f) =>
      using(
        Puguh,
        Puguh.layer({
          accessToken: signedIn.get(headers[CASE_HEADER]) ?? owner.accessToken,
          baseUrl: base("puguh"),
          ...options,
          ...transport(headers, timeout),
        }).pipe(Layer.provide(fetchLayer())),
      )(f),
    cases,
  })

puguhSuite([
  // auth
  { method: "auth.login", call: (p) => p.auth.login({ email: PUGUH_DEMO.email, password: PUGUH_DEMO.password }) },
  {
    method: "auth.register",
    setup: () => Effect.sync(() => `${slug()}@example.com`),
    call: (p, email: string) => p.auth.register({ email, password: "correct-horse-battery" }),
    after: (_, email: string, succeeded) =>
      Effect.sync(() => succeeded && assert.ok(puguh.state.userByEmail(email) !== undefined, "not registered")),
  },
  {
    method: "auth.refreshToken",
    setup: () => Effect.promise(() => puguh.state.issueTokens(puguh.state.userByEmail(PUGUH_DEMO.email)!.id)),
    call: (p, made: { refreshToken: string }) => p.auth.refreshToken(made.refreshToken),
  },
  { method: "auth.validateToken", call: (p) => p.auth.validateToken(owner.accessToken) },
  {
    method: "auth.requestMagicLink",
    setup: (_, id) => Effect.map(ownUser(id), (user) => user.email),
    call: (p, email: string) => p.auth.requestMagicLink(email),
    after: (_, email: string, succeeded) =>
      Effect.sync(() => {
        const sent = puguh.state.outbox(email).length
        assert.ok(succeeded ? sent === 1 : sent <= 1, `${sent} links sent`)
      }),
  },
  {
    method: "auth.verifyMagicLink",
    setup: (_, id) =>
      Effect.map(ownUser(id), (user) => {
        puguh.state.requestMagicLink(user.email, server.url)
        return puguh.state.outbox(user.email)[0].token
      }),
    call: (p, token: string) => p.auth.verifyMagicLink(token),
  },
  { method: "auth.setupMfa", setup: (_, id) => ownUser(id), call: (p) => p.auth.setupMfa() },
  {
    method: "auth.confirmMfa",
    setup: (_, id) => mfaSetUp(id),
    call: (p, made: { secret: string }) => Effect.flatMap(code(made.secret), p.auth.confirmMfa),
  },
  {
    method: "auth.disableMfa",
    setup: (_, id) => mfaOn(id),
    call: (p, made: { secret: string }) => Effect.flatMap(code(made.secret), p.auth.disableMfa),
  },
  { method: "verifyToken", call: (p) => p.verifyToken(owner.accessToken) },
  // organizations
  { method: "organizations.list", call: (p) => p.organizations.list() },
  { method: "organizations.listAll", call: (p) => Stream.runCollect(p.organizations.listAll()) },
  { method: "organizations.get", call: (p) => p.organizations.get(acme) },
  { method: "organizations.create", call: (p, _, id) => organization(p, id) },
  {
    method: "organizations.update",
    setup: organization,
    call: (p, made: { id: string }) => p.organizations.update({ orgId: made.id, name: "renamed" }),
  },
  {
    method: "organizations.delete",
    setup: organization,
    call: (p, made: { id: string }) => p.organizations.delete(made.id),
  },
  { method: "organizations.listMembers", call: (p) => p.organizations.listMembers(acme) },
  { method: "organizations.listAllMembers", call: (p) => Stream.runCollect(p.organizations.listAllMembers(acme)) },
  {
    method: "organizations.inviteMember",
    setup: () => Effect.sync(() => `${slug()}@example.com`),
    call: (p, email: string) => p.organizations.inviteMember({ orgId: acme, email, role: "viewer" }),
    after: (_, email: string, succeeded) =>
      Effect.sync(() => {
        const invited = puguh.state.invitations(acme).filter((i) => i.email === email).length
        assert.ok(succeeded ? invited === 1 : invited <= 1, `${invited} invitations`)
      }),
  },
  {
    method: "organizations.updateMemberRole",
    setup: acmeMember,
    call: (p, made: { id: string }) =>
      p.organizations.updateMemberRole({ orgId: acme, userId: made.id, role: "admin" }),
  },
  {
    method: "organizations.removeMember",
    setup: acmeMember,
    call: (p, made: { id: string }) => p.organizations.removeMember({ orgId: acme, userId: made.id }),
  },
  // applications
  { method: "applications.list", call: (p) => p.applications.list(acme) },
  { method: "applications.listAll", call: (p) => Stream.runCollect(p.applications.listAll(acme)) },
  { method: "applications.get", call: (p) => p.applications.get(PUGUH_DEMO.applicationId) },
  { method: "applications.create", call: (p, _, id) => application(p, id) },
  {
    method: "applications.update",
    setup: application,
    call: (p, made: { id: string }) => p.applications.update({ appId: made.id, name: "renamed" }),
  },
  {
    method: "applications.delete",
    setup: application,
    call: (p, made: { id: string }) => p.applications.delete(made.id),
  },
  { method: "applications.listMembers", call: (p) => p.applications.listMembers(PUGUH_DEMO.applicationId) },
  {
    method: "applications.listAllMembers",
    call: (p) => Stream.runCollect(p.applications.listAllMembers(PUGUH_DEMO.applicationId)),
  },
  {
    method: "applications.addMember",
    setup: (p, id) => Effect.all({ app: application(p, id), user: acmeMember() }),
    call: (p, made: { app: { id: string }; user: { id: string } }) =>
      p.applications.addMember({ appId: made.app.id, userId: made.user.id, role: "viewer" }),
  },
  ...billing,
])
// The same calls at the other prefix the API serves billing under: every endpoint of the definition.
puguhSuite(billing.map((c) => ({ ...c, method: `${c.method} at /api/v1/billing` })), {
  billingPrefix: "/api/v1/billing",
})

// The APIs' cases together under each fault: the waits (a Retry-After, a timeout) overlap.
describe("every client method under faults", () => {
  for (const faultName of Object.keys(FAULTS)) {
    it(`under ${faultName}: applied at most once, reported truthfully`, () =>
      Effect.runPromise(
        Effect.forEach(cases, (run) => Effect.promise(() => run(faultName)), {
          concurrency: CONCURRENCY,
          discard: true,
        }),
      ))
  }
})
