/**
 * The PUGUH mock: an identity provider a test can trust, with organizations, applications and
 * billing.
 *
 * @module
 */
import type { RequestHandler } from "msw"
import { type ErrorContext, type MockApi, mswHandlers } from "../api.ts"
import { controlBody } from "../control_body.ts"
import type { AnyApi } from "../../src/core/endpoint.ts"
import type { Router } from "../../src/core/router.ts"
import { PuguhApi } from "../../src/puguh/contract.ts"
import type { MockClock } from "../clock.ts"
import { puguhError, puguhRouter } from "./handlers.ts"
import { Problem } from "./problem.ts"
import { PUGUH_DEMO, PuguhState } from "./state.ts"

export {
  ACCESS_TOKEN_SECONDS,
  INVITATION_DAYS,
  LOCKOUT_FAILURES,
  LOCKOUT_MINUTES,
  MAGIC_LINK_MINUTES,
  PUGUH_DEMO,
  PuguhState,
  REFRESH_TOKEN_DAYS,
} from "./state.ts"
export type {
  IssuedTokens,
  MagicLinkMail,
  MockApplication,
  MockApplicationMember,
  MockInvitation,
  MockMember,
  MockOrganization,
  MockUsage,
  MockUser,
  Principal as PuguhPrincipal,
  TokenOwner,
} from "./state.ts"
export {
  BillingState,
  DECLINED_PAYMENT_METHOD,
  GRACE_PERIOD_DAYS,
  type MockInvoice,
  type MockPlan,
  type MockSubscription,
  type MockSubscriptionStatus,
  PAST_DUE_DAYS,
  PUGUH_PLANS,
} from "./billing.ts"
export { SigningKeys } from "./keys.ts"
export { PBKDF2_ITERATIONS } from "./password.ts"
export { Problem } from "./problem.ts"
export { matchTotp, newTotpSecret, totp, TOTP_DIGITS, TOTP_PERIOD_SECONDS } from "./totp.ts"
export { puguhRouter } from "./handlers.ts"

/** A refused control request, in the control API's shape (not the API's). */
const refused = (status: number, message: string) =>
  Response.json({ error: status === 404 ? "not_found" : "bad_request", message }, { status })
const badRequest = (message: string) => refused(400, message)

/** The fields each `POST` control route takes. */
const CONTROL_FIELDS: Readonly<Record<string, ReadonlyArray<string>>> = {
  "keys/rotate": ["retire"],
  "api-keys": ["organizationId"],
  "billing/payment-method": ["organizationId", "paymentMethodId"],
  "billing/suspend": ["organizationId"],
}

/**
 * The PUGUH API mock, mounted at `/puguh` (paths `/puguh/api/v1/...`, `/puguh/billing/...`,
 * `/puguh/.well-known/jwks.json`).
 *
 * Rules (contracts.md §2; INFERRED where the docs are silent):
 * - **Sign-in.** Passwords hashed with PBKDF2-SHA-256. Login answers an RS256 access token (1 h,
 *   `iss` `DEFAULT_ISSUER`, `aud` `DEFAULT_AUDIENCE`, `kid` in the header) and a refresh token; a
 *   refresh spends the refresh token and answers new ones in the same session, and a spent one
 *   presented again revokes the session (401 `refresh_token_reused`; its access tokens stop
 *   working). Five failed sign-ins in a row lock the account for 15 minutes (429, `Retry-After`).
 * - **Keys.** JWKS at `/.well-known/jwks.json`; `state.keys.rotate()` (or the control route)
 *   makes a new signing key, the old one still published unless retired.
 * - **Magic links.** Single use, 15 minutes; the outbox is `state.outbox()` or the control route.
 * - **MFA.** TOTP (RFC 6238: SHA-1, 30 s, 6 digits, one step either side, each code once); once
 *   confirmed, login needs `mfa_code`; disabling needs a code.
 * - **Organizations.** Roles owner / admin / member / viewer: a viewer reads only; members also
 *   create and change applications; admins also change the organization, its members and billing,
 *   and delete applications; only the owner deletes the organization or transfers ownership (there
 *   is exactly one). An API key acts as admin in its own organization and needs `X-Organization-ID`.
 *   Invitations to existing users join them at once; others join when they register. Deletes are
 *   soft.
 * - **Billing.** Plans in IDR; a subscription moves `active -> past_due -> grace_period (7 days) ->
 *   cancelled` on the mock clock (see `BillingState`), `suspended` by the control route; invoices
 *   `INV-YYYY-NNNN`; usage counts the authenticated calls made in each organization. Served under
 *   `/billing` and `/api/v1/billing`.
 * - **Errors.** FastAPI's `{"detail": ...}` with a `code`; 422 lists `{loc, msg, type}`.
 *
 * @example
 * ```ts
 * import { MockClock, mountMocks, PuguhMock } from "@gatehouse/sdk/mock"
 *
 * const clock = new MockClock()
 * const puguh = new PuguhMock(clock)
 * const mock = mountMocks(clock, [puguh])
 * await mock.fetch(`${mock.baseUrl("puguh")}/api/v1/auth/magic-link`, {
 *   method: "POST",
 *   headers: { "content-type": "application/json" },
 *   body: JSON.stringify({ email: puguh.demo.email }),
 * })
 * const [mail] = puguh.state.outbox(puguh.demo.email) // the link's token: mail.token
 * ```
 */
export class PuguhMock implements MockApi {
  readonly name = "puguh"
  readonly mount = "/puguh"
  readonly productionBaseUrl = "https://api-puguh.arsaka.io"
  /** What it serves and documents, and its secret headers (`authorization`, `x-api-key`). */
  readonly definition: AnyApi = PuguhApi
  /** The demo users, organization, application and key, printed by the mock server. */
  readonly demo: typeof PUGUH_DEMO = PUGUH_DEMO
  readonly credentialHint: string =
    "POST /api/v1/auth/login {email, password}, then Bearer; or X-API-Key: <apiKey> with X-Organization-ID"
  /** Users, tokens, organizations, applications, billing: what tests read and set. */
  readonly state: PuguhState
  /** Every endpoint of the definition over `state`. */
  readonly router: Router

  /** A mock in its seeded state, reading `clock`. */
  constructor(clock: MockClock) {
    this.state = new PuguhState(clock)
    this.router = puguhRouter(this.state)
  }

  /** msw handlers of this API under `base` (`"https://api-puguh.arsaka.io"`), for your own `setupServer`. */
  handlers(base: string): ReadonlyArray<RequestHandler> {
    return mswHandlers(this, base)
  }

  reset(): void {
    this.state.reset()
  }

  errorResponse(status: number, message: string, context?: ErrorContext): Response {
    return puguhError(status, message, context)
  }

  readonly controlRoutes: Readonly<Record<string, Readonly<Record<string, string>>>> = {
    outbox: { GET: "the magic-link emails sent; ?email= for one address" },
    "keys/rotate": { POST: '{"retire"?: boolean}: a new signing key, {kid, published}' },
    "api-keys": { POST: '{"organizationId"}: 201, a new API key of the organization' },
    "billing/payment-method": {
      POST: '{"organizationId", "paymentMethodId"}: what renewals charge (pm_card_declined declines)',
    },
    "billing/suspend": { POST: '{"organizationId"}: suspend its subscription' },
  }

  /**
   * Control routes under `/__mock/puguh/`:
   * - `GET outbox[?email=]`: the magic-link emails sent;
   * - `POST keys/rotate {"retire"?: boolean}`: a new signing key (`{kid, published}`);
   * - `POST api-keys {"organizationId"}`: a new API key of the organization;
   * - `POST billing/payment-method {"organizationId", "paymentMethodId"}`: what renewals charge
   *   (`pm_card_declined` declines);
   * - `POST billing/suspend {"organizationId"}`: suspend its subscription.
   */
  async control(request: Request, route: string): Promise<Response | undefined> {
    const state = this.state
    if (request.method === "GET" && route === "outbox") {
      const query = new URL(request.url).searchParams
      const unknown = [...query.keys()].find((name) => name !== "email")
      if (unknown !== undefined) return badRequest(`unknown query parameter ${unknown} (known: email)`)
      const email = query.get("email")
      if (email === "") return badRequest("email must be an address")
      return Response.json(state.outbox(email ?? undefined))
    }
    const fields = CONTROL_FIELDS[route]
    if (request.method !== "POST" || fields === undefined) return undefined
    const body = await controlBody(request, fields)
    if (typeof body === "string") return badRequest(body)
    const organizationId = typeof body.organizationId === "string" ? body.organizationId : undefined
    try {
      switch (route) {
        case "keys/rotate": {
          if (body.retire !== undefined && typeof body.retire !== "boolean") {
            return badRequest("retire must be a boolean")
          }
          const kid = state.keys.rotate(body.retire === true)
          return Response.json({ kid, published: state.keys.publishedKids })
        }
        case "api-keys":
          if (organizationId === undefined) return badRequest("organizationId is required")
          return Response.json({ apiKey: state.createApiKey(organizationId), organizationId }, { status: 201 })
        case "billing/payment-method":
          if (organizationId === undefined || typeof body.paymentMethodId !== "string") {
            return badRequest("organizationId and paymentMethodId are required")
          }
          state.billing.setPaymentMethod(organizationId, body.paymentMethodId)
          return new Response(null, { status: 204 })
        case "billing/suspend":
          if (organizationId === undefined) return badRequest("organizationId is required")
          state.billing.suspend(organizationId)
          return new Response(null, { status: 204 })
        default:
          return undefined
      }
    } catch (error) {
      if (error instanceof Problem) return refused(error.status === 404 ? 404 : 400, error.message)
      throw error
    }
  }
}
