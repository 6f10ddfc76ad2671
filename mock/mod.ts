/**
 * The gatehouse mock: every API's behaviour and status codes, in-process or as a server.
 *
 * - In-process, no sockets: provide `mock.layer` to any gatehouse client, or pass `mock.fetch`.
 * - Global `fetch` interception for apps that do not use Effect: `mock.interceptGlobalFetch()`.
 * - msw: `mock.puid.handlers("https://puid.dev/api")` for your own `setupServer` (Node 22+).
 * - A real server: `deno task mock`, or `serveMock()` from `@gatehouse/sdk/mock`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { createMock } from "@gatehouse/sdk/mock"
 * import { Puid } from "@gatehouse/sdk/puid"
 *
 * const mock = createMock()
 * const ids = await Effect.runPromise(
 *   Effect.flatMap(Puid, (puid) => puid.ids(3)).pipe(
 *     Effect.provide(Puid.layer({ apiKey: mock.puid.demo.apiKey, endpoint: mock.baseUrl("puid") })),
 *     Effect.provide(mock.layer),
 *   ),
 * )
 * ```
 *
 * @module
 */
import { type Mock, mountMocks } from "./app.ts"
import { MockClock } from "./clock.ts"
import { ApiKeysMock } from "./apikeys/mod.ts"
import { AuthPIMock } from "./authpi/mod.ts"
import { PuguhMock } from "./puguh/mod.ts"
import { MachineIdMock } from "./machineid/mod.ts"
import { PuidMock } from "./puid/mod.ts"

export {
  type ActiveFault,
  type Fault,
  type FaultHandle,
  type JournalEntry,
  type Latency,
  type Mock,
  MOCK_ORIGIN,
  mountMocks,
  type RequestPattern,
} from "./app.ts"
export type { ErrorContext, MockApi } from "./api.ts"
export { MockClock } from "./clock.ts"
export { PUID_DEMO, PuidMock, PuidState } from "./puid/mod.ts"
export { MACHINEID_DEMO, MachineIdMock, MachineIdState } from "./machineid/mod.ts"
export { APIKEYS_DEMO, ApiKeysMock } from "./apikeys/mod.ts"
export { AUTHPI_DEMO, type AuthPIDemo, AuthPIMock, type AuthPIMockOptions, AuthPIState } from "./authpi/mod.ts"
export { PUGUH_DEMO, PuguhMock, PuguhState, totp } from "./puguh/mod.ts"
export type {
  MachineIdPlanState,
  MachineIdPlanTier,
  MockDecision,
  MockDevice,
  RegisterOutcome,
} from "./machineid/mod.ts"
export type { Principal, PuidPlan } from "./puid/mod.ts"
export { type MockServer, serveMock, type ServeOptions } from "./server.ts"

/**
 * Every gatehouse API mock on one clock, with each API's own controls.
 *
 * @example
 * ```ts
 * import { createMock, type GatehouseMock } from "@gatehouse/sdk/mock"
 *
 * const mock: GatehouseMock = createMock()
 * mock.machineid.state.createOrg("max")
 * console.log(mock.puid.demo.apiKey, mock.apikeys.demo.apiKey)
 * ```
 */
export interface GatehouseMock extends Mock {
  /** The PUID mock: its state and demo credentials. */
  readonly puid: PuidMock
  /** The MachineID mock: its orgs, devices and demo org keys. */
  readonly machineid: MachineIdMock
  /** The API-keys mock: the real key service on in-memory SQLite, and its demo data. */
  readonly apikeys: ApiKeysMock
  /** The AuthPI Admin mock: every resource with state, ETags, idempotency, events and signed webhooks. */
  readonly authpi: AuthPIMock
  /** The PUGUH mock: an identity provider (JWTs, magic links, TOTP), organizations, applications and billing. */
  readonly puguh: PuguhMock
}

/**
 * Options of {@linkcode createMock}.
 *
 * @example
 * ```ts
 * import { createMock, type CreateMockOptions } from "@gatehouse/sdk/mock"
 *
 * // PUID and MachineID only, starting from a state another mock saved.
 * const saved = createMock({ apis: ["machineid"] })
 * saved.machineid.state.createOrg("pro")
 * const options: CreateMockOptions = { apis: ["puid", "machineid"], seed: saved.snapshot() }
 * const mock = createMock(options)
 * mock.reset() // back to the saved state, not the built-in one
 * ```
 */
export interface CreateMockOptions {
  /** The APIs to serve, by name (`["puid", "authpi"]`). @default every API */
  readonly apis?: ReadonlyArray<string> | undefined
  /**
   * A state to start from, by API name, as `snapshot()` gives it (or any part of it, for PUID and
   * MachineID); `reset()` comes back to it. An API it names but the mock does not serve is ignored.
   * @default each API's own seeded state
   */
  readonly seed?: Readonly<Record<string, unknown>> | undefined
}

/**
 * The names of every API the mock has, in the order it mounts them.
 *
 * @example
 * ```ts
 * import { createMock, MOCK_APIS } from "@gatehouse/sdk/mock"
 *
 * console.log(MOCK_APIS.join(", ")) // puid, machineid, apikeys, authpi, puguh
 * const mock = createMock({ apis: MOCK_APIS.filter((name) => name !== "authpi") })
 * ```
 */
export const MOCK_APIS: ReadonlyArray<string> = ["puid", "machineid", "apikeys", "authpi", "puguh"]

/**
 * Builds the mock of every API (or of `options.apis` only), in its seeded state (or
 * `options.seed`'s; a seed's APIs that are not served are left out). An unknown API name, in
 * `apis` or in the seed, throws a `RangeError` naming it; a seed that is not a state (an unknown
 * field included) throws an `Error` naming the API.
 *
 * @example
 * ```ts
 * import { createMock } from "@gatehouse/sdk/mock"
 *
 * const mock = createMock({ apis: ["puid"] })
 * const response = await mock.fetch(`${mock.baseUrl("puid")}/v1/ids?n=2`, {
 *   headers: { authorization: `Bearer ${mock.puid.demo.apiKey}` },
 * })
 * console.log(response.status, await response.json()) // 200 { ids: [...] }
 * mock.reset() // the seeded state again: counter, quota, journal, faults
 * ```
 */
export const createMock = (options: CreateMockOptions = {}): GatehouseMock => {
  const unknown = [...options.apis ?? [], ...Object.keys(options.seed ?? {})].find((name) => !MOCK_APIS.includes(name))
  if (unknown !== undefined) throw new RangeError(`no mock API named ${unknown} (the APIs: ${MOCK_APIS.join(", ")})`)
  const clock = new MockClock()
  const puid = new PuidMock(clock)
  const machineid = new MachineIdMock(clock)
  const apikeys = new ApiKeysMock(clock)
  const authpi = new AuthPIMock(clock)
  const puguh = new PuguhMock(clock)
  const all = [puid, machineid, apikeys, authpi, puguh]
  const mock = mountMocks(clock, all.filter((api) => options.apis?.includes(api.name) ?? true))
  const served = new Set(mock.apis.map((api) => api.name))
  const seed = Object.fromEntries(Object.entries(options.seed ?? {}).filter(([name]) => served.has(name)))
  mock.restore(seed)
  return {
    ...mock,
    reset: () => {
      mock.reset()
      mock.restore(seed)
    },
    puid,
    machineid,
    apikeys,
    authpi,
    puguh,
  }
}
