/**
 * The MachineID mock's in-memory state and rules: orgs with a plan tier (and its device cap) and
 * a plan state, their devices, and the validate decision.
 *
 * @module
 */
import { type DecisionCode, type Plan, PLAN_LIMITS } from "../../src/machineid/contract.ts"
import type { MockClock } from "../clock.ts"
import { Schema } from "effect"

/**
 * The plan tiers the mock knows, with their caps in `PLAN_LIMITS`.
 *
 * @example
 * ```ts
 * import { createMock, MACHINEID_DEMO, type MachineIdPlanTier } from "@gatehouse/sdk/mock"
 *
 * const { machineid } = createMock()
 * const tier: MachineIdPlanTier = "scale"
 * machineid.state.setPlanTier(MACHINEID_DEMO.freeOrgKey, tier)
 * console.log(machineid.state.plan(MACHINEID_DEMO.freeOrgKey))
 * ```
 */
export type MachineIdPlanTier = keyof typeof PLAN_LIMITS

/**
 * The plan states the mock knows: only `active` allows execution.
 *
 * @example
 * ```ts
 * import { createMock, MACHINEID_DEMO, type MachineIdPlanState } from "@gatehouse/sdk/mock"
 *
 * const { machineid } = createMock()
 * const state: MachineIdPlanState = "inactive"
 * machineid.state.setPlanState(MACHINEID_DEMO.proOrgKey, state)
 * console.log(machineid.state.validate(MACHINEID_DEMO.proOrgKey, "agent-01").allowed) // false
 * ```
 */
export type MachineIdPlanState = "active" | "inactive" | "frozen"

/**
 * A device as the mock keeps it.
 *
 * @example
 * ```ts
 * import { createMock, MACHINEID_DEMO, type MockDevice } from "@gatehouse/sdk/mock"
 *
 * const { machineid } = createMock()
 * machineid.state.register(MACHINEID_DEMO.freeOrgKey, "agent-01")
 * const devices: ReadonlyArray<MockDevice> = machineid.state.devices(MACHINEID_DEMO.freeOrgKey)
 * console.log(devices.map((device) => `${device.deviceId} ${device.status}`)) // ["agent-01 active"]
 * ```
 */
export interface MockDevice {
  /** The trimmed device id. */
  readonly deviceId: string
  /** Only `unrevoke` takes a device from `revoked` back to `active`. */
  readonly status: "active" | "revoked"
  /** Registered at, in mock-clock epoch millis. */
  readonly createdAt: number
  /** Last validated at, in mock-clock epoch millis; `null` if never. */
  readonly lastSeenAt: number | null
}

/**
 * How the mock answers a register of a new device at the cap: `limit_reached` as data (200, the
 * API page), or 403 `{ status: "blocked", error: "device_limit_reached", ... }` (the newest docs).
 */
export type RegisterAtCap = "limit_reached" | "blocked"

/** What a test or a curl user may change of an org; every field is optional. */
export interface MachineIdOrgPatch {
  /** Another tier: its cap applies at once; existing devices stay (past the cap they are refused). */
  readonly planTier?: MachineIdPlanTier | undefined
  /** `inactive` and `frozen` deny every device. */
  readonly planState?: MachineIdPlanState | undefined
  /** When paid access ends (epoch millis on the mock clock), or `null`; once past, validate denies `PLAN_NOT_ACTIVE`. */
  readonly accessUntil?: number | null | undefined
  /** Reported by register and usage; it changes no decision. */
  readonly softGraceWindow?: boolean | undefined
  /** How a register at the cap is answered. */
  readonly registerAtCap?: RegisterAtCap | undefined
}

/** An org as the control route shows it. */
export interface MachineIdOrgView {
  readonly planTier: MachineIdPlanTier
  readonly planState: MachineIdPlanState
  /** ISO 8601, or `null`. */
  readonly accessUntil: string | null
  /** Whether `accessUntil` is past on the mock clock (validate then denies `PLAN_NOT_ACTIVE`). */
  readonly accessExpired: boolean
  readonly softGraceWindow: boolean
  readonly registerAtCap: RegisterAtCap
  readonly limit: number
  readonly devicesUsed: number
  readonly remaining: number
  readonly overLimit: boolean
  /** Devices by status. */
  readonly activeDevices: number
  readonly revokedDevices: number
}

interface Org {
  tier: MachineIdPlanTier
  state: MachineIdPlanState
  accessUntil: number | null
  softGraceWindow: boolean
  registerAtCap: RegisterAtCap
  /** In registration order: after a downgrade, the devices past the cap are the ones refused. */
  readonly devices: Map<string, MockDevice>
}

/**
 * The demo org keys every fresh MachineID mock accepts: one org per plan tier. Not secrets.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { createMock, MACHINEID_DEMO } from "@gatehouse/sdk/mock"
 * import { MachineID } from "@gatehouse/sdk/machineid"
 *
 * const mock = createMock()
 * const decision = await Effect.runPromise(
 *   Effect.gen(function* () {
 *     const machineId = yield* MachineID
 *     yield* machineId.register("agent-01")
 *     return yield* machineId.validate("agent-01")
 *   }).pipe(
 *     Effect.provide(MachineID.layer({ orgKey: MACHINEID_DEMO.proOrgKey, baseUrl: mock.baseUrl("machineid") })),
 *     Effect.provide(mock.layer),
 *   ),
 * )
 * console.log(decision.allowed, decision.code) // true ALLOW
 * ```
 */
export const MACHINEID_DEMO = {
  freeOrgKey: "org_demo_free",
  proOrgKey: "org_demo_pro",
  scaleOrgKey: "org_demo_scale",
  maxOrgKey: "org_demo_max",
} as const

/**
 * What a register did.
 *
 * @example
 * ```ts
 * import { createMock, MACHINEID_DEMO, type RegisterOutcome } from "@gatehouse/sdk/mock"
 *
 * const { machineid } = createMock()
 * const first: RegisterOutcome = machineid.state.register(MACHINEID_DEMO.freeOrgKey, "agent-01")
 * const again: RegisterOutcome = machineid.state.register(MACHINEID_DEMO.freeOrgKey, "agent-01")
 * console.log(first, again) // ok exists
 * ```
 */
export type RegisterOutcome = "ok" | "exists" | "limit_reached"

/**
 * A validate decision, before it is encoded.
 *
 * @example
 * ```ts
 * import { createMock, MACHINEID_DEMO, type MockDecision } from "@gatehouse/sdk/mock"
 *
 * const { machineid } = createMock()
 * const decision: MockDecision = machineid.state.validate(MACHINEID_DEMO.freeOrgKey, "never-registered")
 * console.log(decision.allowed, decision.code) // false DEVICE_NOT_FOUND
 * ```
 */
export interface MockDecision {
  /** `true` only for `ALLOW`. */
  readonly allowed: boolean
  /** The decision code. */
  readonly code: DecisionCode
  /** A fresh uuid per validate. */
  readonly requestId: string
  /** The legacy human-readable reason. */
  readonly reason: string
}

const REASONS: Readonly<Record<string, string>> = {
  ALLOW: "Device is active and the plan allows execution.",
  DEVICE_NOT_FOUND: "Device is not registered in this org.",
  DEVICE_REVOKED: "Device has been revoked.",
  PLAN_NOT_ACTIVE: "The org's plan is not active.",
  PLAN_FROZEN: "The org's plan is frozen.",
  ORG_KEY_INVALID: "The org key is not one of an org.",
  DEVICE_LIMIT_REACHED: "The org has more devices than its plan allows.",
}

/** Every org of a MachineID mock as JSON, by org key: its plan, its devices in registration order. */
export interface MachineIdSnapshot {
  readonly orgs: ReadonlyArray<{
    readonly orgKey: string
    readonly tier: MachineIdPlanTier
    readonly state: MachineIdPlanState
    readonly accessUntil: number | null
    readonly softGraceWindow: boolean
    readonly registerAtCap: RegisterAtCap
    readonly devices: ReadonlyArray<MockDevice>
  }>
}

const MachineIdSnapshotSchema = Schema.Struct({
  orgs: Schema.Array(Schema.Struct({
    orgKey: Schema.String,
    tier: Schema.Literals(["free", "pro", "scale", "max"]),
    state: Schema.optionalKey(Schema.Literals(["active", "inactive", "frozen"])),
    accessUntil: Schema.optionalKey(Schema.NullOr(Schema.Number)),
    softGraceWindow: Schema.optionalKey(Schema.Boolean),
    registerAtCap: Schema.optionalKey(Schema.Literals(["limit_reached", "blocked"])),
    devices: Schema.optionalKey(Schema.Array(Schema.Struct({
      deviceId: Schema.String,
      status: Schema.optionalKey(Schema.Literals(["active", "revoked"])),
      createdAt: Schema.optionalKey(Schema.Number),
      lastSeenAt: Schema.optionalKey(Schema.NullOr(Schema.Number)),
    }))),
  })),
})

/** The first key of `keys` that is there twice. */
const repeated = (keys: ReadonlyArray<string>): string | undefined => {
  const seen = new Set<string>()
  return keys.find((key) => seen.size === seen.add(key).size)
}

const decodeSnapshot = Schema.decodeUnknownSync(MachineIdSnapshotSchema, {
  onExcessProperty: "error",
})

/**
 * The most orgs `createOrg` keeps (`POST /api/v1/org/create` needs no credential): past it the
 * oldest created org is forgotten; the demo orgs never are.
 */
export const MAX_CREATED_ORGS = 10_000

/**
 * The mock's state. Device times read the shared {@linkcode MockClock}.
 *
 * @example
 * ```ts
 * import { createMock } from "@gatehouse/sdk/mock"
 *
 * const { machineid } = createMock()
 * const orgKey = machineid.state.createOrg("free")
 * machineid.state.register(orgKey, "agent-01")
 * machineid.state.revoke(orgKey, "agent-01")
 * console.log(machineid.state.validate(orgKey, "agent-01").code) // DEVICE_REVOKED
 * machineid.state.setPlanState(orgKey, "frozen") // every validate now says PLAN_FROZEN
 * ```
 */
export class MachineIdState {
  readonly #clock: MockClock
  #orgs = new Map<string, Org>()
  // Orgs created after the seed, oldest first: the ones that may be forgotten.
  #created = new Set<string>()

  /** A state seeded with the demo orgs, reading `clock`. */
  constructor(clock: MockClock) {
    this.#clock = clock
    this.reset()
  }

  /** Back to the seeded state: one empty, active demo org per tier. */
  reset(): void {
    this.#created.clear()
    this.#orgs = new Map([
      [MACHINEID_DEMO.freeOrgKey, this.#newOrg("free")],
      [MACHINEID_DEMO.proOrgKey, this.#newOrg("pro")],
      [MACHINEID_DEMO.scaleOrgKey, this.#newOrg("scale")],
      [MACHINEID_DEMO.maxOrgKey, this.#newOrg("max")],
    ])
  }

  /** Every org and its devices, as JSON. */
  snapshot(): MachineIdSnapshot {
    return {
      orgs: [...this.#orgs].map(([orgKey, { devices, ...org }]) => ({
        orgKey,
        ...org,
        devices: [...devices.values()],
      })),
    }
  }

  /**
   * Replaces every org with `snapshot`'s. An org needs only `orgKey` and `tier` (an active plan,
   * no devices otherwise), a device only `deviceId` (active, registered now, never seen): so a
   * snapshot is also a seed. Throws, changing nothing, when it is not a MachineID snapshot.
   */
  restore(snapshot: unknown): void {
    const { orgs } = decodeSnapshot(snapshot)
    const twice = repeated(orgs.map((org) => org.orgKey))
    if (twice !== undefined) throw new Error(`orgs: ${twice} is given twice`)
    for (const { orgKey, devices = [] } of orgs) {
      const device = repeated(devices.map((device) => device.deviceId))
      if (device !== undefined) throw new Error(`orgs: ${orgKey}: device ${device} is given twice`)
    }
    const now = this.#clock.now()
    this.#orgs = new Map(
      orgs.map(({ orgKey, tier, devices = [], ...plan }) => [orgKey, {
        ...this.#newOrg(tier),
        ...plan,
        devices: new Map(devices.map((device) => [device.deviceId, {
          status: "active",
          createdAt: now,
          lastSeenAt: null,
          ...device,
        }])),
      }]),
    )
  }

  #newOrg(tier: MachineIdPlanTier, state: MachineIdPlanState = "active"): Org {
    return {
      tier,
      state,
      accessUntil: null,
      softGraceWindow: false,
      registerAtCap: "limit_reached",
      devices: new Map(),
    }
  }

  #org(orgKey: string): Org {
    const org = this.#orgs.get(orgKey)
    if (org === undefined) throw new Error("unknown org key")
    return org
  }

  /** Creates an org on `tier` and returns its key, `org_...`; past {@linkcode MAX_CREATED_ORGS}, the oldest is forgotten. */
  createOrg(tier: MachineIdPlanTier = "free", state: MachineIdPlanState = "active"): string {
    const key = `org_${crypto.randomUUID().replaceAll("-", "")}`
    this.#orgs.set(key, this.#newOrg(tier, state))
    this.#created.add(key)
    if (this.#created.size > MAX_CREATED_ORGS) {
      const oldest = this.#created.values().next().value!
      this.#created.delete(oldest)
      this.#orgs.delete(oldest)
    }
    return key
  }

  /** Whether `orgKey` belongs to an org. */
  isOrgKey(orgKey: string | null | undefined): orgKey is string {
    return orgKey !== null && orgKey !== undefined && this.#orgs.has(orgKey)
  }

  /** Moves an org to another tier (its cap changes; existing devices stay). */
  setPlanTier(orgKey: string, tier: MachineIdPlanTier): void {
    this.#org(orgKey).tier = tier
  }

  /** Sets an org's plan state: `inactive` and `frozen` deny every device. */
  setPlanState(orgKey: string, state: MachineIdPlanState): void {
    this.#org(orgKey).state = state
  }

  /**
   * Sets when paid access ends (epoch millis on the mock clock), or `null` (no end). Once it is
   * past, validate denies every device with `PLAN_NOT_ACTIVE` (INFERRED: the API reports the
   * access clock and documents no code for it; an ended access is a plan that is not active).
   */
  setAccessUntil(orgKey: string, epochMillis: number | null): void {
    this.#org(orgKey).accessUntil = epochMillis
  }

  /** Sets the soft grace window flag that register and usage report; it changes no decision. */
  setSoftGraceWindow(orgKey: string, softGraceWindow: boolean): void {
    this.#org(orgKey).softGraceWindow = softGraceWindow
  }

  /** How a register of a new device at the cap is answered: `limit_reached` (200, the default) or 403 `blocked`. */
  setRegisterAtCap(orgKey: string, registerAtCap: RegisterAtCap): void {
    this.#org(orgKey).registerAtCap = registerAtCap
  }

  /** Applies every field of `patch` that is present; throws on an unknown org. */
  updateOrg(orgKey: string, patch: MachineIdOrgPatch): void {
    const org = this.#org(orgKey)
    if (patch.planTier !== undefined) org.tier = patch.planTier
    if (patch.planState !== undefined) org.state = patch.planState
    if (patch.accessUntil !== undefined) org.accessUntil = patch.accessUntil
    if (patch.softGraceWindow !== undefined) org.softGraceWindow = patch.softGraceWindow
    if (patch.registerAtCap !== undefined) org.registerAtCap = patch.registerAtCap
  }

  /** The org's settings and device counts; throws on an unknown org. */
  org(orgKey: string): MachineIdOrgView {
    const org = this.#org(orgKey)
    const plan = this.plan(orgKey)
    const devices = [...org.devices.values()]
    const revokedDevices = devices.filter((device) => device.status === "revoked").length
    return {
      planTier: org.tier,
      planState: org.state,
      accessUntil: plan.accessUntil ?? null,
      accessExpired: this.#accessExpired(org),
      softGraceWindow: org.softGraceWindow,
      registerAtCap: org.registerAtCap,
      limit: plan.limit,
      devicesUsed: plan.devicesUsed,
      remaining: plan.remaining,
      overLimit: plan.overLimit === true,
      activeDevices: devices.length - revokedDevices,
      revokedDevices,
    }
  }

  #accessExpired(org: Org): boolean {
    return org.accessUntil !== null && org.accessUntil <= this.#clock.now()
  }

  /** The org's devices, in registration order. */
  devices(orgKey: string): ReadonlyArray<MockDevice> {
    return [...this.#org(orgKey).devices.values()]
  }

  /** Idempotent: an existing device (revoked included, which stays revoked) is `exists`. */
  register(orgKey: string, deviceId: string): RegisterOutcome {
    const org = this.#org(orgKey)
    if (org.devices.has(deviceId)) return "exists"
    if (org.devices.size >= PLAN_LIMITS[org.tier]) return "limit_reached"
    org.devices.set(deviceId, { deviceId, status: "active", createdAt: this.#clock.now(), lastSeenAt: null })
    return "ok"
  }

  /** The decision a validate with an org key that is not one of an org gets: `ORG_KEY_INVALID`. */
  invalidOrgKeyDecision(): MockDecision {
    return { allowed: false, code: "ORG_KEY_INVALID", requestId: crypto.randomUUID(), reason: REASONS.ORG_KEY_INVALID }
  }

  /** How `orgKey`'s org answers a register at the cap. */
  registerAtCap(orgKey: string): RegisterAtCap {
    return this.#org(orgKey).registerAtCap
  }

  /** The decision on a device, with a fresh request id; a known device's `lastSeenAt` moves on. */
  validate(orgKey: string, deviceId: string): MockDecision {
    const org = this.#org(orgKey)
    const device = org.devices.get(deviceId)
    if (device !== undefined) org.devices.set(deviceId, { ...device, lastSeenAt: this.#clock.now() })
    const code = this.#decide(org, device)
    return { allowed: code === "ALLOW", code, requestId: crypto.randomUUID(), reason: REASONS[code] }
  }

  #decide(org: Org, device: MockDevice | undefined): DecisionCode {
    if (device === undefined) return "DEVICE_NOT_FOUND"
    if (device.status === "revoked") return "DEVICE_REVOKED"
    if (org.state === "frozen") return "PLAN_FROZEN"
    if (org.state !== "active" || this.#accessExpired(org)) return "PLAN_NOT_ACTIVE"
    const position = [...org.devices.keys()].indexOf(device.deviceId)
    return position >= PLAN_LIMITS[org.tier] ? "DEVICE_LIMIT_REACHED" : "ALLOW"
  }

  /** Revokes a device; `false` when there is none. Revoking twice is fine. */
  revoke(orgKey: string, deviceId: string): boolean {
    return this.#setStatus(orgKey, deviceId, "revoked")
  }

  /** Restores a revoked device; `false` when there is none. */
  unrevoke(orgKey: string, deviceId: string): boolean {
    return this.#setStatus(orgKey, deviceId, "active")
  }

  #setStatus(orgKey: string, deviceId: string, status: MockDevice["status"]): boolean {
    const devices = this.#org(orgKey).devices
    const device = devices.get(deviceId)
    if (device === undefined) return false
    devices.set(deviceId, { ...device, status })
    return true
  }

  /** Deletes a device, freeing its slot; `false` when there is none. */
  remove(orgKey: string, deviceId: string): boolean {
    return this.#org(orgKey).devices.delete(deviceId)
  }

  /** The org's plan and counts: every registered device (active or revoked) uses a slot. */
  plan(orgKey: string): Plan {
    const org = this.#org(orgKey)
    const limit = PLAN_LIMITS[org.tier]
    const devicesUsed = org.devices.size
    return {
      planTier: org.tier,
      planState: org.state,
      accessUntil: org.accessUntil === null ? null : new Date(org.accessUntil).toISOString(),
      limit,
      devicesUsed,
      remaining: Math.max(0, limit - devicesUsed),
      overLimit: devicesUsed > limit,
      softGraceWindow: org.softGraceWindow,
    }
  }
}
