/**
 * The MachineID mock: orgs on plan tiers with their device caps, plan states a test can set,
 * devices, and the validate decision.
 *
 * @module
 */
import type { RequestHandler } from "msw"
import { type MockApi, mswHandlers } from "../api.ts"
import type { Router } from "../../src/core/router.ts"
import type { AnyApi } from "../../src/core/endpoint.ts"
import { MachineIdApi } from "../../src/machineid/contract.ts"
import type { MockClock } from "../clock.ts"
import { machineIdRouter } from "./handlers.ts"
import { MACHINEID_DEMO, MachineIdState } from "./state.ts"

export { MACHINEID_DEMO, MachineIdState } from "./state.ts"
export type { MachineIdPlanState, MachineIdPlanTier, MockDecision, MockDevice, RegisterOutcome } from "./state.ts"
export { machineIdRouter } from "./handlers.ts"

/**
 * The MachineID API mock, mounted at `/machineid` (paths `/machineid/api/v1/...`).
 *
 * Rules: caps free 3 / pro 25 / scale 250 / max 1000 devices; register is idempotent and at the
 * cap a new device gets `limit_reached` while existing ones keep validating; a revoked device
 * validates `DEVICE_REVOKED` until `unrevoke` (register never restores it); `remove` deletes; an
 * unknown device validates `DEVICE_NOT_FOUND`; an `inactive` or `frozen` plan denies with
 * `PLAN_NOT_ACTIVE` or `PLAN_FROZEN`; after a downgrade the devices past the cap validate
 * `DEVICE_LIMIT_REACHED`; a bad org key gets 401 `{ status: "error", error: "invalid_org_key" }`.
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
}
