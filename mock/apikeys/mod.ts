/**
 * The key-service mock: the real `ApiKeys` service on an in-memory SQLite database, served by the
 * real HTTP API under `/apikeys`, on the mock's clock. Seeded with a demo organization, project,
 * product and key; `reset()` brings that state back synchronously (node:sqlite is synchronous,
 * so every effect here runs with `runSync`).
 *
 * @module
 */
import { Clock, type Duration, Effect, Layer, ManagedRuntime, Redacted, Schema } from "effect"
import { SqlClient } from "effect/sql"
import { http } from "msw/http"
import type { RequestHandler } from "msw"
import { legacyRouter, type MockApi } from "../api.ts"
import type { Router } from "../../src/core/router.ts"
import { type AnyApi, defineApi } from "../../src/core/endpoint.ts"
import type { MockClock } from "../clock.ts"
import { KeyMetadataJson } from "../../src/apikeys/contract.ts"
import { ApiKeys } from "../../src/apikeys/service.ts"
import { SqliteClient } from "../../src/apikeys/sqlite.ts"
import { handleApiKeysRequest } from "../../src/apikeys/http_api.ts"
import { storedForm } from "../../src/apikeys/key_format.ts"
import { apiKeysOpenApi } from "./openapi.ts"

/** The mock's demo data: fixed ids and a demo key (never a real secret). */
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

const seed = (at: number) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    for (const table of TABLES) yield* sql`DELETE FROM ${sql(table)}`
    const d = APIKEYS_DEMO
    yield* sql`INSERT INTO organizations ${sql.insert({ id: d.orgId, name: "Demo Org", created_at: at })}`
    yield* sql`INSERT INTO projects ${sql.insert({ id: d.projectId, name: "v1", org_id: d.orgId, created_at: at })}`
    yield* sql`INSERT INTO products ${
      sql.insert({ id: d.productId, name: "Demo API", org_id: d.orgId, created_at: at })
    }`
    yield* sql`INSERT INTO project_products ${sql.insert({ project_id: d.projectId, product_id: d.productId })}`
    const form = storedForm(d.apiKey)!
    const metadata = Schema.encodeSync(KeyMetadataJson)({
      name: "Demo key",
      scopes: ["read", "write"],
      rateLimit: { requests: 1000, window: "minute" },
      custom: { plan: "demo" },
    })
    yield* sql`INSERT INTO api_keys ${
      sql.insert({
        id: d.keyId,
        org_id: d.orgId,
        key_prefix: form.prefix,
        key_hash: form.hash,
        metadata,
        created_at: at,
        use_count: 0,
      })
    }`
  })

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
  readonly definition: AnyApi = defineApi({
    name: "apikeys",
    title: "API keys",
    version: "0",
    endpoints: {},
    errorBody: Schema.Unknown,
    secretHeaders: ["x-admin-key", "x-validator-key"],
  })
  readonly router: Router = legacyRouter(() => this.handlers(`*${this.mount}`))
  readonly demo: typeof APIKEYS_DEMO = APIKEYS_DEMO
  readonly #clock: MockClock
  readonly #runtime: ManagedRuntime.ManagedRuntime<ApiKeys | SqlClient.SqlClient, never>

  constructor(clock: MockClock) {
    this.#clock = clock
    const layer = ApiKeys.layer().pipe(Layer.provideMerge(SqliteClient.layer({ filename: ":memory:" })))
    // In-memory SQLite cannot fail to open; a failure here is a defect of the mock.
    this.#runtime = ManagedRuntime.make(layer as Layer.Layer<ApiKeys | SqlClient.SqlClient>)
    this.reset()
  }

  /** Runs `effect` on the mock's service, at the mock's clock. */
  run<A, E>(effect: Effect.Effect<A, E, ApiKeys | SqlClient.SqlClient>): Promise<A> {
    return this.#runtime.runPromise(Effect.provideService(effect, Clock.Clock, clockOf(this.#clock)))
  }

  handlers(base: string): ReadonlyArray<RequestHandler> {
    const options = {
      adminKey: Redacted.make(APIKEYS_DEMO.adminKey),
      validatorKey: Redacted.make(APIKEYS_DEMO.validatorKey),
    }
    return [
      http.get(
        `${base}/openapi.json`,
        ({ request }) => Response.json(apiKeysOpenApi(request.url.replace(/\/openapi\.json$/, ""))),
      ),
      http.all(`${base}/*`, ({ request }) => {
        const { pathname } = new URL(request.url)
        const at = pathname.indexOf(`${this.mount}/api`)
        const basePath = at < 0 ? "" : pathname.slice(0, at + this.mount.length)
        return this.run(handleApiKeysRequest(request, { ...options, basePath }))
      }),
    ]
  }

  reset(): void {
    this.#runtime.runSync(seed(this.#clock.now()))
  }

  /** Releases the mock's database. */
  dispose(): Promise<void> {
    return this.#runtime.dispose()
  }
}
