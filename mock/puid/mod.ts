/**
 * The PUID mock: state, handlers and demo credentials.
 *
 * @module
 */
import type { RequestHandler } from "msw"
import type { AnyApi } from "../../src/core/endpoint.ts"
import { PuidApi } from "../../src/puid/contract.ts"
import { type ErrorContext, type MockApi, mswHandlers } from "../api.ts"
import { controlBody } from "../control_body.ts"
import type { MockClock } from "../clock.ts"
import type { Router } from "../../src/core/router.ts"
import { puidError, puidRouter } from "./handlers.ts"
import { PUID_DEMO, type PuidSnapshot, PuidState } from "./state.ts"

export {
  AUTHORIZATION_CODE_TTL_MILLIS,
  PUID_DEMO,
  PuidState,
  REFRESH_TOKEN_TTL_MILLIS,
  s256Challenge,
} from "./state.ts"
export type { CodeChallengeMethod, GrantResult, IssuedTokens, Principal, PuidPlan, PuidSnapshot } from "./state.ts"

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
  readonly definition: AnyApi = PuidApi
  readonly demo: typeof PUID_DEMO = PUID_DEMO
  readonly credentialHint: string = "X-API-Key: <apiKey>, or Authorization: Bearer <token from POST /oauth/token>"
  /** The principals, the counter, the rate limit and quota, the OAuth clients: what tests set. */
  readonly state: PuidState
  /** Answers a request below the API's base URL, from `PuidApi`. */
  readonly router: Router

  /** A mock in its seeded state, reading `clock`. */
  constructor(clock: MockClock) {
    this.state = new PuidState(clock)
    this.router = puidRouter(this.state)
  }

  /** msw handlers of this API under `base` (`"https://puid.dev/api"`), for your own `setupServer`. */
  handlers(base: string): ReadonlyArray<RequestHandler> {
    return mswHandlers(this, base)
  }

  reset(): void {
    this.state.reset()
  }

  errorResponse(status: number, message: string, context?: ErrorContext): Response {
    return puidError(this.state, status, message, context)
  }

  snapshot(): PuidSnapshot {
    return this.state.snapshot()
  }

  restore(snapshot: unknown): void {
    this.state.restore(snapshot)
  }

  readonly controlRoutes: Readonly<Record<string, Readonly<Record<string, string>>>> = {
    keys: { POST: '{"plan": "free" | "hobby" | "enterprise"}: 201 {apiKey, plan}, a new API key' },
    usage: { POST: '{"apiKey", "used"}: 204, sets the key\'s usage today (the free plan allows 1000)' },
  }

  /** `POST /__mock/puid/keys {"plan"}` mints a key; `POST /__mock/puid/usage {"apiKey","used"}` sets today's usage. */
  async control(request: Request, route: string): Promise<Response | undefined> {
    const fields = CONTROL_FIELDS[route]
    if (request.method !== "POST" || fields === undefined) return undefined
    const badRequest = (message: string) => Response.json({ error: "bad_request", message }, { status: 400 })
    const body = await controlBody(request, fields)
    if (typeof body === "string") return badRequest(body)
    if (route === "keys") {
      const plan = body.plan ?? "free"
      if (plan !== "free" && plan !== "hobby" && plan !== "enterprise") {
        return badRequest("plan must be free, hobby or enterprise")
      }
      return Response.json({ apiKey: this.state.createApiKey(plan), plan }, { status: 201 })
    }
    if (route === "usage") {
      const principal = typeof body.apiKey === "string" ? this.state.principal(body.apiKey, undefined) : undefined
      if (principal === undefined) return badRequest("apiKey must be a key of this mock")
      if (!Number.isInteger(body.used) || (body.used as number) < 0) return badRequest("used must be an integer >= 0")
      this.state.setUsed(principal, body.used as number)
      return new Response(null, { status: 204 })
    }
    return undefined
  }
}

/** The fields each control route takes. */
const CONTROL_FIELDS: Readonly<Record<string, ReadonlyArray<string>>> = { keys: ["plan"], usage: ["apiKey", "used"] }
