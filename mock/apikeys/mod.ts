/**
 * The key-service mock: the real `ApiKeys` service on an in-memory SQLite database, served by the
 * real HTTP API's router (`ApiKeysApi`) under `/apikeys`, on the mock's clock. Seeded with a demo
 * organization, project, product and key; `reset()` brings that state back synchronously
 * (node:sqlite is synchronous, so the seed runs with `runSync`).
 *
 * @module
 */
import { Clock, type Duration, Effect, Layer, ManagedRuntime, Redacted, Schema } from "effect"
import { SqlClient } from "effect/sql"
import type { RequestHandler } from "msw"
import { type MockApi, mswHandlers } from "../api.ts"
import type { Router } from "../../src/core/router.ts"
import type { AnyApi } from "../../src/core/endpoint.ts"
import type { MockClock } from "../clock.ts"
import { KeyMetadataJson } from "../../src/apikeys/contract.ts"
import { ApiKeysApi } from "../../src/apikeys/http_contract.ts"
import { ApiKeys, layerWithUsage } from "../../src/apikeys/service.ts"
import { UsageBuffer } from "../../src/apikeys/_usage.ts"
import { SqliteClient } from "../../src/sql/sqlite.ts"
import { makeApiKeysRouter } from "../../src/apikeys/http_api.ts"
import { storedForm } from "../../src/apikeys/key_format.ts"

/**
 * The mock's demo data: fixed ids and a demo key (never a real secret).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ApiKeys, ApiKeysHttp } from "@gatehouse/sdk/apikeys"
 * import { APIKEYS_DEMO, createMock } from "@gatehouse/sdk/mock"
 *
 * const mock = createMock()
 * const key = await Effect.runPromise(
 *   Effect.flatMap(ApiKeys, (keys) => keys.validateKey(APIKEYS_DEMO.apiKey, { requiredScopes: ["read"] })).pipe(
 *     Effect.provide(ApiKeysHttp.layer({ baseUrl: mock.baseUrl("apikeys"), validatorKey: APIKEYS_DEMO.validatorKey })),
 *     Effect.provide(mock.layer),
 *   ),
 * )
 * console.log(key.id === APIKEYS_DEMO.keyId) // true
 * ```
 */
export const APIKEYS_DEMO = {
  adminKey: "gatehouse-demo-admin-key",
  /** Opens only `POST /api/keys/verify` and `/api/keys/validate`, in `X-Validator-Key`. */
  validatorKey: "gatehouse-demo-validator-key",
  orgId: "00000000-0000-4000-8000-00000000a001",
  projectId: "00000000-0000-4000-8000-00000000b001",
  productId: "00000000-0000-4000-8000-00000000c001",
  keyId: "00000000-0000-4000-8000-00000000d001",
  /** Scopes `read` and `write`, 1000 requests per minute, org-wide. */
  apiKey: "sk_DemoKeyForTheGatehouseMock00000000000000000",
} as const

const TABLES = ["rate_limit_counters", "api_keys", "project_products", "products", "projects", "organizations"]

/**
 * The demo data. What the service can express goes through it: the link of the product to the
 * project, and the key's metadata (checked and stored as `updateKey` does). The service picks
 * random ids and plaintexts, so the rows with the demo's fixed ids, and the demo key's stored form
 * (prefix and hash of its fixed plaintext), go straight to the store.
 */
const seed = (at: number) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const keys = yield* ApiKeys
    for (const table of TABLES) yield* sql`DELETE FROM ${sql(table)}`
    const d = APIKEYS_DEMO
    yield* sql`INSERT INTO organizations ${sql.insert({ id: d.orgId, name: "Demo Org", created_at: at })}`
    yield* sql`INSERT INTO projects ${sql.insert({ id: d.projectId, name: "v1", org_id: d.orgId, created_at: at })}`
    yield* sql`INSERT INTO products ${
      sql.insert({ id: d.productId, name: "Demo API", org_id: d.orgId, created_at: at })
    }`
    const form = storedForm(d.apiKey)!
    yield* sql`INSERT INTO api_keys ${
      sql.insert({
        id: d.keyId,
        org_id: d.orgId,
        key_prefix: form.prefix,
        key_hash: form.hash,
        metadata: Schema.encodeSync(KeyMetadataJson)({ scopes: [], custom: {} }),
        created_at: at,
        use_count: 0,
      })
    }`
    yield* keys.addProductToProject(d.productId, d.projectId)
    yield* keys.updateKey(d.keyId, {
      name: "Demo key",
      scopes: ["read", "write"],
      rateLimit: { requests: 1000, window: "minute" },
      custom: { plan: "demo" },
    })
  })

/** The key service's tables as JSON, each an array of its rows (column to value). */
export type ApiKeysSnapshot = Readonly<Record<string, ReadonlyArray<Readonly<Record<string, string | number | null>>>>>

const ApiKeysSnapshotSchema = Schema.Record(
  Schema.Literals(TABLES),
  Schema.Array(Schema.Record(Schema.String, Schema.NullOr(Schema.Union([Schema.String, Schema.Number])))),
)

const decodeSnapshot: (input: unknown) => ApiKeysSnapshot = Schema.decodeUnknownSync(ApiKeysSnapshotSchema, {
  onExcessProperty: "error",
})

const dump = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const snapshot: Record<string, ReadonlyArray<Record<string, string | number | null>>> = {}
  for (const table of TABLES) {
    snapshot[table] = yield* sql<Record<string, string | number | null>>`SELECT * FROM ${sql(table)}`
  }
  return snapshot as ApiKeysSnapshot
})

/** Replaces every row with `snapshot`'s in one transaction: on a bad row, nothing changes. */
const load = (snapshot: ApiKeysSnapshot) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    yield* sql.withTransaction(Effect.gen(function* () {
      for (const table of TABLES) yield* sql`DELETE FROM ${sql(table)}`
      // Parents first: the tables are listed children first.
      for (const table of [...TABLES].reverse()) {
        for (const row of snapshot[table]) yield* sql`INSERT INTO ${sql(table)} ${sql.insert(row)}`
      }
    }))
  })

/** Writes the uses counted so far, so that the tables hold them. */
const flushUses = Effect.flatMap(UsageBuffer, (usage) => usage.flush)

/** Forgets the uses not yet written: their rows are about to be replaced. */
const discardUses = Effect.flatMap(UsageBuffer, (usage) => usage.discard)

/** What an error answer of the key service carries for `status`: its `_tag`, as the server would tag it. */
const ERROR_TAGS: Readonly<Record<number, string>> = {
  400: "InvalidRequest",
  401: "Unauthorized",
  404: "RouteNotFound",
  405: "MethodNotAllowed",
  429: "QuotaExceeded",
  503: "KeyStoreUnavailable",
}

const clockOf = (clock: MockClock): Clock.Clock => {
  const nanos = () => BigInt(clock.now()) * 1_000_000n
  return {
    currentTimeMillisUnsafe: () => clock.now(),
    currentTimeMillis: Effect.sync(() => clock.now()),
    currentTimeNanosUnsafe: nanos,
    currentTimeNanos: Effect.sync(nanos),
    monotonicTimeNanosUnsafe: nanos,
    monotonicTimeNanos: Effect.sync(nanos),
    sleep: (duration: Duration.Duration) => Effect.sleep(duration),
  }
}

/**
 * The key-service mock, mounted at `/apikeys`: the HTTP API of `@gatehouse/sdk/apikeys` on a real
 * `ApiKeys` over in-memory SQLite. Requests need `X-Admin-Key: APIKEYS_DEMO.adminKey`; verify and
 * validate also accept `X-Validator-Key: APIKEYS_DEMO.validatorKey`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { createMock } from "@gatehouse/sdk/mock"
 * import { ApiKeys, ApiKeysHttp } from "@gatehouse/sdk/apikeys"
 *
 * const mock = createMock()
 * const key = await Effect.runPromise(
 *   Effect.flatMap(ApiKeys, (keys) => keys.validateKey(mock.apikeys.demo.apiKey, { requiredScopes: ["read"] })).pipe(
 *     Effect.provide(ApiKeysHttp.layer({ baseUrl: mock.baseUrl("apikeys"), adminKey: mock.apikeys.demo.adminKey })),
 *     Effect.provide(mock.layer),
 *   ),
 * )
 * ```
 */
export class ApiKeysMock implements MockApi {
  readonly name = "apikeys"
  readonly mount = "/apikeys"
  readonly productionBaseUrl = "https://apikeys.gatehouse.invalid"
  /** What it serves and documents, and its secret headers (`x-admin-key`, `x-validator-key`). */
  readonly definition: AnyApi = ApiKeysApi
  readonly demo: typeof APIKEYS_DEMO = APIKEYS_DEMO
  readonly credentialHint: string = "X-Admin-Key: <adminKey>; verify also takes X-Validator-Key: <validatorKey>"
  /** The HTTP API's own router (the server's), its service calls run on the mock's database and clock. */
  readonly router: Router
  readonly #clock: MockClock
  readonly #runtime: ManagedRuntime.ManagedRuntime<ApiKeys | UsageBuffer | SqlClient.SqlClient, never>

  /** A mock in its seeded state, reading `clock`. */
  constructor(clock: MockClock) {
    this.#clock = clock
    // Uses buffered, as by default: every read of keys through the service writes them first, and reset() and
    // restore() forget those not yet written (their rows are replaced).
    const layer = layerWithUsage().pipe(Layer.provideMerge(SqliteClient.layer({ filename: ":memory:" })))
    // In-memory SQLite cannot fail to open; a failure here is a defect of the mock.
    this.#runtime = ManagedRuntime.make(layer as Layer.Layer<ApiKeys | UsageBuffer | SqlClient.SqlClient>)
    this.router = makeApiKeysRouter(
      { adminKey: Redacted.make(APIKEYS_DEMO.adminKey), validatorKey: Redacted.make(APIKEYS_DEMO.validatorKey) },
      (effect) => this.#runtime.runPromiseExit(this.#atClock(effect)),
    )
    this.reset()
  }

  #atClock<A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> {
    return Effect.provideService(effect, Clock.Clock, clockOf(this.#clock))
  }

  /** Runs `effect` on the mock's service, at the mock's clock. */
  run<A, E>(effect: Effect.Effect<A, E, ApiKeys | SqlClient.SqlClient>): Promise<A> {
    return this.#runtime.runPromise(this.#atClock(effect))
  }

  /** msw handlers of this API under `base` (`"https://apikeys.gatehouse.invalid"`), for your own `setupServer`. */
  handlers(base: string): ReadonlyArray<RequestHandler> {
    return mswHandlers(this, base)
  }

  reset(): void {
    this.#runtime.runSync(this.#atClock(Effect.andThen(discardUses, seed(this.#clock.now()))))
  }

  /** The key service's answer for any `status` (a forced fault, `Prefer: code=`): `{ detail, _tag }`. */
  errorResponse(status: number, message: string): Response {
    const _tag = ERROR_TAGS[status] ?? (status >= 500 ? "InternalError" : "Error")
    // A 503 carries its status, which the client's KeyStoreUnavailable keeps.
    const extra = status === 503 ? { detail_code: "unavailable", status } : {}
    return Response.json({ detail: message, _tag, ...extra }, {
      status,
      headers: status === 429 || status === 503 ? { "retry-after": "1" } : {},
    })
  }

  snapshot(): ApiKeysSnapshot {
    return this.#runtime.runSync(Effect.andThen(flushUses, dump))
  }

  restore(snapshot: unknown): void {
    const rows = decodeSnapshot(snapshot)
    this.#runtime.runSync(Effect.andThen(discardUses, load(rows)))
  }

  /** Releases the mock's database. */
  dispose(): Promise<void> {
    return this.#runtime.dispose()
  }
}
