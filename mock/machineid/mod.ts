/**
 * The MachineID mock: orgs on plan tiers with their device caps, plan states a test can set,
 * devices, and the validate decision.
 *
 * @module
 */
import type { RequestHandler } from "msw"
import { type ErrorContext, type MockApi, mswHandlers } from "../api.ts"
import type { Router } from "../../src/core/router.ts"
import type { AnyApi } from "../../src/core/endpoint.ts"
import { MachineIdApi } from "../../src/machineid/contract.ts"
import type { MockClock } from "../clock.ts"
import { machineIdError, machineIdRouter } from "./handlers.ts"
import { MACHINEID_DEMO, type MachineIdOrgPatch, type MachineIdSnapshot, MachineIdState } from "./state.ts"
import { PLAN_LIMITS } from "../../src/machineid/contract.ts"

export { MACHINEID_DEMO, MachineIdState } from "./state.ts"
export type {
  MachineIdOrgPatch,
  MachineIdOrgView,
  MachineIdPlanState,
  MachineIdPlanTier,
  MachineIdSnapshot,
  MockDecision,
  MockDevice,
  RegisterAtCap,
  RegisterOutcome,
} from "./state.ts"

const controlError = (status: number, error: string, message: string) => Response.json({ error, message }, { status })

/** A PATCH body read field by field: the patch, or the message of the first field refused. */
const readPatch = (body: Record<string, unknown>): MachineIdOrgPatch | string => {
  const patch: { -readonly [K in keyof MachineIdOrgPatch]: MachineIdOrgPatch[K] } = {}
  for (const [field, value] of Object.entries(body)) {
    switch (field) {
      case "planTier":
        if (typeof value !== "string" || !Object.hasOwn(PLAN_LIMITS, value)) {
          return "planTier must be one of free, pro, scale, max"
        }
        patch.planTier = value as keyof typeof PLAN_LIMITS
        break
      case "planState":
        if (value !== "active" && value !== "inactive" && value !== "frozen") {
          return "planState must be one of active, inactive, frozen"
        }
        patch.planState = value
        break
      case "accessUntil": {
        const millis = typeof value === "string" ? Date.parse(value) : NaN
        if (value !== null && Number.isNaN(millis)) return "accessUntil must be an ISO 8601 date-time or null"
        patch.accessUntil = value === null ? null : millis
        break
      }
      case "softGraceWindow":
        if (typeof value !== "boolean") return "softGraceWindow must be a boolean"
        patch.softGraceWindow = value
        break
      case "registerAtCap":
        if (value !== "limit_reached" && value !== "blocked") return "registerAtCap must be limit_reached or blocked"
        patch.registerAtCap = value
        break
      default:
        return `unknown field ${
          JSON.stringify(field)
        }: the fields are planTier, planState, accessUntil, softGraceWindow, registerAtCap`
    }
  }
  return patch
}
export { machineIdRouter } from "./handlers.ts"

/**
 * The MachineID API mock, mounted at `/machineid` (paths `/machineid/api/v1/...`).
 *
 * Rules: caps free 3 / pro 25 / scale 250 / max 1000 devices; register is idempotent and at the
 * cap a new device gets `limit_reached` while existing ones keep validating; a revoked device
 * validates `DEVICE_REVOKED` until `unrevoke` (register never restores it); `remove` deletes; an
 * unknown device validates `DEVICE_NOT_FOUND`; an `inactive` or `frozen` plan denies with
 * `PLAN_NOT_ACTIVE` or `PLAN_FROZEN`, and so does an `accessUntil` in the past (`PLAN_NOT_ACTIVE`,
 * INFERRED); after a downgrade the devices past the cap validate `DEVICE_LIMIT_REACHED`; a bad org
 * key gets 401 `{ status: "error", error: "invalid_org_key" }`, which on validate is also the
 * decision `{ allowed: false, code: "ORG_KEY_INVALID" }` (INFERRED). `revoke_batch` and
 * `unrevoke_batch` take `{ deviceIds: [...] }` and answer one result per id (INFERRED).
 *
 * Control routes (on the mock server, under `/__mock/machineid/`):
 * - `GET orgs/<orgKey>`: the org's tier, state, `accessUntil`, soft grace window, register-at-cap
 *   answer and device counts (404 for an unknown org).
 * - `PATCH orgs/<orgKey>` with any of `planTier` (`free` `pro` `scale` `max`), `planState`
 *   (`active` `inactive` `frozen`), `accessUntil` (ISO 8601 or `null`), `softGraceWindow`
 *   (boolean), `registerAtCap` (`limit_reached`, or `blocked` for the 403 answer): answers the org
 *   as `GET` does; a bad or unknown field is 400 naming it, and nothing changes.
 *
 * In code, the same on `state`: `updateOrg`, `org`, `setPlanTier`, `setPlanState`,
 * `setAccessUntil`, `setSoftGraceWindow`, `setRegisterAtCap`.
 *
 * @example
 * ```ts
 * import { MachineIdMock, MockClock, mountMocks } from "@gatehouse/sdk/mock"
 *
 * const clock = new MockClock()
 * const machineid = new MachineIdMock(clock)
 * const mock = mountMocks(clock, [machineid])
 * const orgKey = machineid.state.createOrg("pro")
 * machineid.state.setPlanState(orgKey, "frozen") // every validate now says PLAN_FROZEN
 * ```
 */
export class MachineIdMock implements MockApi {
  readonly name = "machineid"
  readonly mount = "/machineid"
  readonly productionBaseUrl = "https://machineid.io"
  /** What it serves and documents, and its secret header (`x-org-key`). */
  readonly definition: AnyApi = MachineIdApi
  readonly demo: typeof MACHINEID_DEMO = MACHINEID_DEMO
  readonly credentialHint: string = "x-org-key: <an org key>"
  /** The orgs and devices, and the controls a test sets them with. */
  readonly state: MachineIdState
  /** Every endpoint of the definition over `state`. */
  readonly router: Router

  /** A mock in its seeded state, reading `clock`. */
  constructor(clock: MockClock) {
    this.state = new MachineIdState(clock)
    this.router = machineIdRouter(this.state)
  }

  /** msw handlers of this API under `base` (`"https://machineid.io"`), for your own `setupServer`. */
  handlers(base: string): ReadonlyArray<RequestHandler> {
    return mswHandlers(this, base)
  }

  reset(): void {
    this.state.reset()
  }

  errorResponse(status: number, message: string, context?: ErrorContext): Response {
    return machineIdError(this.state, status, message, context)
  }

  snapshot(): MachineIdSnapshot {
    return this.state.snapshot()
  }

  restore(snapshot: unknown): void {
    this.state.restore(snapshot)
  }

  readonly controlRoutes: Readonly<Record<string, Readonly<Record<string, string>>>> = {
    "orgs/<orgKey>": {
      GET: "the org: tier, state, accessUntil, softGraceWindow, registerAtCap, device counts (404 for an unknown org)",
      PATCH:
        '{planTier?: "free"|"pro"|"scale"|"max", planState?: "active"|"inactive"|"frozen", accessUntil?: ISO date | null, softGraceWindow?: boolean, registerAtCap?: "limit_reached"|"blocked"}: the org',
    },
  }

  /** `GET` / `PATCH /__mock/machineid/orgs/<orgKey>`: see the class's description. */
  async control(request: Request, route: string): Promise<Response | undefined> {
    const match = /^orgs\/([^/]+)$/.exec(route)
    if (match === null) return undefined
    let orgKey: string
    try {
      orgKey = decodeURIComponent(match[1])
    } catch {
      return controlError(404, "not_found", "no org with that key")
    }
    if (request.method !== "GET" && request.method !== "PATCH") {
      return Response.json({ error: "method_not_allowed", message: `${request.method} is not allowed here` }, {
        status: 405,
        headers: { allow: "GET, PATCH" },
      })
    }
    if (!this.state.isOrgKey(orgKey)) return controlError(404, "not_found", "no org with that key")
    if (request.method === "PATCH") {
      let body: unknown
      try {
        body = JSON.parse(await request.text())
      } catch {
        return controlError(400, "bad_request", "the body must be a JSON object")
      }
      if (typeof body !== "object" || body === null || Array.isArray(body)) {
        return controlError(400, "bad_request", "the body must be a JSON object")
      }
      const patch = readPatch(body as Record<string, unknown>)
      if (typeof patch === "string") return controlError(400, "bad_request", patch)
      this.state.updateOrg(orgKey, patch)
    }
    return Response.json({ orgKey, ...this.state.org(orgKey) })
  }
}
