/**
 * The PUID mock: state, handlers and demo credentials.
 *
 * @module
 */
import type { RequestHandler } from "msw"
import type { MockApi } from "../api.ts"
import type { MockClock } from "../clock.ts"
import { puidHandlers } from "./handlers.ts"
import { PUID_DEMO, PuidState } from "./state.ts"

export { PUID_DEMO, PuidState } from "./state.ts"
export type { Principal, PuidPlan } from "./state.ts"
export { puidHandlers } from "./handlers.ts"

/**
 * The PUID API mock, mounted at `/puid/api`.
 *
 * @example
 * ```ts
 * import { createMock } from "@gatehouse/sdk/mock"
 *
 * const mock = createMock()
 * mock.puid.state.setUsed(mock.puid.demo.apiKey, 1000) // the next ids() meets quota_exceeded
 * mock.clock.advance(1000)                            // past the one-per-second limit
 * ```
 */
export class PuidMock implements MockApi {
  readonly name = "puid"
  readonly mount = "/puid/api"
  readonly productionBaseUrl = "https://puid.dev/api"
  readonly demo: typeof PUID_DEMO = PUID_DEMO
  readonly state: PuidState

  constructor(clock: MockClock) {
    this.state = new PuidState(clock)
  }

  handlers(base: string): ReadonlyArray<RequestHandler> {
    return puidHandlers(this.state, base)
  }

  reset(): void {
    this.state.reset()
  }
}
