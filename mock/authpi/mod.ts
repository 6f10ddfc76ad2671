/**
 * The AuthPI Admin mock: every resource of the table with real state, cursor pages, ETags,
 * Idempotency-Keys, API keys and access tokens, once-only secrets, events, and webhooks really
 * delivered (signed) to the URLs registered.
 *
 * @module
 */
import type { RequestHandler } from "msw"
import { AuthPIApi, DEFAULT_BASE_URL } from "../../src/authpi/contract.ts"
import { RESOURCES } from "../../src/authpi/resources.ts"
import type { AnyApi } from "../../src/core/endpoint.ts"
import type { Router } from "../../src/core/router.ts"
import { type MockApi, mswHandlers } from "../api.ts"
import { controlBody } from "../control_body.ts"
import type { MockClock } from "../clock.ts"
import { authpiError, authPIRouter } from "./handlers.ts"
import {
  AUTHPI_DEMO,
  type AuthPIDemo,
  type AuthPISnapshot,
  AuthPIState,
  isRefusal,
  type Item,
  type MintedAccessToken,
} from "./state.ts"

export { AUTHPI_DEMO, AuthPIState, IDEMPOTENCY_TTL_MS, IdempotencyStore, isRefusal, newId, Refusal } from "./state.ts"
export type {
  ActionResult,
  AuthPIDemo,
  AuthPISnapshot,
  AuthPIStateOptions,
  CachedAnswer,
  Claim,
  Created,
  EntrySnapshot,
  Item,
  MintedAccessToken,
  Page,
  Principal,
} from "./state.ts"
export {
  type DeliveryStore,
  type ScheduledDelivery,
  WEBHOOK_MAX_ATTEMPTS,
  WEBHOOK_RETRY_DELAYS_MS,
  WEBHOOK_TIMEOUT_MS,
  WEBHOOK_USER_AGENT,
  type WebhookCredentials,
  WebhookDeliveries,
  type WebhookTarget,
} from "./webhooks.ts"
export { authPIRouter, MAX_REPLAYED_BODY_BYTES } from "./handlers.ts"

/**
 * Options of {@linkcode AuthPIMock}.
 *
 * @example
 * ```ts
 * import { AuthPIMock, type AuthPIMockOptions, MockClock, mountMocks } from "@gatehouse/sdk/mock"
 *
 * // Webhooks delivered to an in-process receiver instead of the network.
 * const received: Array<Request> = []
 * const options: AuthPIMockOptions = {
 *   fetch: (input, init) => {
 *     received.push(new Request(input, init))
 *     return Promise.resolve(new Response(null, { status: 204 }))
 *   },
 * }
 * const clock = new MockClock()
 * const mock = mountMocks(clock, [new AuthPIMock(clock, options)])
 * ```
 */
export interface AuthPIMockOptions {
  /** How webhooks are delivered. @default the global `fetch` at the time of each attempt */
  readonly fetch?: typeof globalThis.fetch | undefined
}

const badRequest = (message: string) => Response.json({ error: "bad_request", message }, { status: 400 })

/** The fields each `POST` control route takes. */
const CONTROL_FIELDS: Readonly<Record<string, ReadonlyArray<string>>> = {
  "access-tokens": ["account_ids", "ttl_seconds"],
  "access-tokens/expire": ["access_token"],
  items: ["resource", "account_id", "params", "fields"],
  "webhooks/deliver-due": [],
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const isStrings = (value: unknown): value is Array<string> =>
  Array.isArray(value) && value.every((v) => typeof v === "string")

/**
 * The AuthPI Admin API mock, mounted at `/authpi` (paths `/authpi/v1/...`), faithful to
 * contracts.md §3.
 *
 * - Every row of the resource table with real state per account: create 201 with prefixed ids,
 *   `required` fields (400 `invalid_request` with `fields`), `defaults`, the row's `limit` per
 *   parent (409); lists newest first in cursor pages (`limit` 1-100, default 50) with the row's
 *   filters; get, update (a merge) and delete (204); 404 when a parent is missing.
 * - A webhook's delete is soft: it becomes `status: "deleted"` and stays readable (`GET` answers
 *   it, with that status; its deliveries are kept), gets no delivery again, and refuses updates
 *   (409). Unfiltered lists include deleted webhooks: filter `status=active` to exclude them
 *   (`status` is `active`, `disabled` or `deleted`).
 * - `ETag: "<updated_at>"` on every single resource, `If-Match` on PATCH and DELETE (412 with
 *   `currentETag`); `Idempotency-Key` on writes (replay, 422, concurrent 409, 24 h on the clock).
 * - Credentials: the demo API key (`Bearer key_id.secret` or `Basic base64(key_id:secret)`,
 *   one account), API keys created through the API, access tokens (`mintAccessToken`,
 *   `expireAccessTokens` for a client's refresh path) and personal tokens.
 * - Secrets answered once by the create and kept as SHA-256; a webhook's bearer token and
 *   signing secret are also kept in the clear in a private field, to deliver with.
 * - Events for every write, and webhooks delivered for real, signed (`X-Webhook-Signature`),
 *   retried after 1, 5 and 30 min on the mock clock; `settled()` waits for deliveries in flight.
 * - An idempotent replay (the same `Idempotency-Key` and body within 24 h) answers the identical
 *   create answer, its secrets included: the seed's idempotency contract wins over "returned
 *   once", so a client that lost the first answer still gets its secret. A new key is a new item
 *   and a new secret; a read never shows one.
 * - No sign-in lockout: the Admin API has no sign-in (the checklist's lockout row is for the
 *   auth flows); a wrong credential is a 401 however often it is sent.
 *
 * Control routes, on the mock server under `/__mock/authpi/`: `POST access-tokens
 * {account_ids?, ttl_seconds?}`, `POST access-tokens/expire {access_token?}`, `POST items
 * {resource, account_id?, params?, fields?}` (seed any row, sessions included), `POST
 * webhooks/deliver-due`, `GET webhooks/settled`, `GET webhooks/outbox`.
 *
 * @example
 * ```ts
 * import { AuthPIMock, MockClock, mountMocks } from "@gatehouse/sdk/mock"
 *
 * const clock = new MockClock()
 * const authpi = new AuthPIMock(clock)
 * const mock = mountMocks(clock, [authpi])
 * const { accountId, apiKey } = authpi.demo
 * const created = await mock.fetch(`${mock.baseUrl("authpi")}/v1/accounts/${accountId}/issuers`, {
 *   method: "POST",
 *   headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json", "idempotency-key": "k1" },
 *   body: JSON.stringify({ name: "Staging" }),
 * })
 * created.status // 201, with an ETag
 * authpi.expireAccessTokens() // every access token now answers 401: exercise a client's refresh
 * clock.advance(60_000) // failed webhook deliveries due by now are tried again
 * await authpi.settled() // and have been answered
 * ```
 */
export class AuthPIMock implements MockApi {
  readonly name = "authpi"
  readonly mount = "/authpi"
  readonly productionBaseUrl: string = DEFAULT_BASE_URL
  /** What it serves and documents (115 endpoints from the table), and its secret header (`authorization`). */
  readonly definition: AnyApi = AuthPIApi
  /** The demo credentials and ids, printed by the mock server. */
  readonly demo: AuthPIDemo = AUTHPI_DEMO
  readonly credentialHint: string = "Authorization: Bearer <apiKey or accessToken>, or Basic base64(<basicApiKey>)"
  /** The accounts, their items, credentials, Idempotency-Keys and webhook deliveries. */
  readonly state: AuthPIState
  /** Every endpoint of the definition over `state`. */
  readonly router: Router

  /** A mock in its seeded state, reading `clock`. */
  constructor(clock: MockClock, options: AuthPIMockOptions = {}) {
    this.state = new AuthPIState(clock, { fetch: options.fetch })
    this.router = authPIRouter(this.state)
    clock.onChange(() => this.state.webhooks.deliverDue())
  }

  /** msw handlers of this API under `base` (`"https://api.authpi.dev"`), for your own `setupServer`. */
  handlers(base: string): ReadonlyArray<RequestHandler> {
    return mswHandlers(this, base)
  }

  reset(): void {
    this.state.reset()
  }

  errorResponse(status: number, message: string): Response {
    return authpiError(status, message)
  }

  snapshot(): AuthPISnapshot {
    return this.state.snapshot()
  }

  restore(snapshot: unknown): void {
    this.state.restore(snapshot)
  }

  /** Resolves when no webhook delivery is in flight. Deliveries never delay the API's answers. */
  settled(): Promise<void> {
    return this.state.webhooks.settled()
  }

  /** Starts the webhook retries due on the mock clock (moving the clock does it too); returns how many. */
  deliverDue(): number {
    return this.state.webhooks.deliverDue()
  }

  /** Mints an access token (both demo accounts, an hour on the mock clock, by default). */
  mintAccessToken(
    options: { readonly accountIds?: ReadonlyArray<string>; readonly ttlMs?: number | null } = {},
  ): MintedAccessToken {
    return this.state.mintAccessToken(options)
  }

  /** Expires every access token (the demo one too, until `reset()`), or only `accessToken`; returns how many. */
  expireAccessTokens(accessToken?: string): number {
    return this.state.expireAccessTokens(accessToken)
  }

  readonly controlRoutes: Readonly<Record<string, Readonly<Record<string, string>>>> = {
    "access-tokens": { POST: "{account_ids?, ttl_seconds?}: 201, a new access token" },
    "access-tokens/expire": { POST: "{access_token?}: expire one access token, or every one" },
    items: { POST: "{resource, account_id?, params?, fields?}: 201, seed any row of the resource table" },
    "webhooks/deliver-due": { POST: "start the webhook retries due on the mock clock" },
    "webhooks/settled": { GET: "answers once no webhook delivery is in flight" },
    "webhooks/outbox": { GET: "the webhook deliveries made" },
  }

  /** The mock's control routes, under `/__mock/authpi/` (see the class's description). */
  async control(request: Request, route: string): Promise<Response | undefined> {
    const path = route.replace(/\/+$/, "")
    if (request.method === "GET") {
      if (path === "webhooks/settled") {
        await this.settled()
        return new Response(null, { status: 204 })
      }
      if (path === "webhooks/outbox") {
        const data = this.state.accountIds().flatMap((id) => this.state.items(id, "deliveries"))
          .sort((a, b) => b.created_at - a.created_at)
        return Response.json({ data, scheduled: this.state.webhooks.scheduled() })
      }
      return undefined
    }
    const fields = CONTROL_FIELDS[path]
    if (request.method !== "POST" || fields === undefined) return undefined
    const body = await controlBody(request, fields)
    if (typeof body === "string") return badRequest(body)
    switch (path) {
      case "access-tokens": {
        const accountIds = body.account_ids
        if (accountIds !== undefined && !(isStrings(accountIds) && accountIds.length > 0)) {
          return badRequest("account_ids must be a non-empty array of account ids")
        }
        const unknown = (accountIds ?? []).find((id) => this.state.account(id) === undefined)
        if (unknown !== undefined) return badRequest(`account_ids: no account ${unknown}`)
        const ttl = body.ttl_seconds
        if (ttl !== undefined && ttl !== null && !(Number.isSafeInteger(ttl) && (ttl as number) > 0)) {
          return badRequest("ttl_seconds must be a positive integer, or null for no expiry")
        }
        const minted = this.mintAccessToken({
          accountIds,
          ttlMs: ttl === undefined ? undefined : ttl === null ? null : (ttl as number) * 1000,
        })
        return Response.json(minted, { status: 201 })
      }
      case "access-tokens/expire": {
        if (body.access_token !== undefined && typeof body.access_token !== "string") {
          return badRequest("access_token must be a string")
        }
        return Response.json({ expired: this.expireAccessTokens(body.access_token) })
      }
      case "items": {
        const resource = body.resource
        if (typeof resource !== "string" || !(resource in RESOURCES)) {
          return badRequest(`resource must be a row of the table: ${Object.keys(RESOURCES).join(", ")}`)
        }
        const accountId = body.account_id ?? AUTHPI_DEMO.accountId
        if (typeof accountId !== "string" || this.state.account(accountId) === undefined) {
          return badRequest("account_id must be an account of the mock")
        }
        const params = body.params ?? {}
        if (!isRecord(params) || !Object.values(params).every((v) => typeof v === "string")) {
          return badRequest("params must be an object of strings (the parents: issuer_id, user_id...)")
        }
        const parents = [...RESOURCES[resource as keyof typeof RESOURCES].path.matchAll(/\{(\w+)\}/g)].map((m) => m[1])
        const missing = parents.find((name) => (params as Record<string, unknown>)[name] === undefined)
        if (missing !== undefined) return badRequest(`params.${missing} is required for ${resource}`)
        const fields = body.fields ?? {}
        if (!isRecord(fields)) return badRequest("fields must be an object")
        const created = this.state.create(accountId, resource, params as Record<string, string>, fields)
        if (isRefusal(created)) {
          return Response.json({ error: created.error, message: created.description, ...created.extra }, {
            status: created.status,
          })
        }
        return Response.json({ data: created.answer satisfies Item }, { status: 201 })
      }
      case "webhooks/deliver-due": {
        await this.settled()
        const started = this.deliverDue()
        await this.settled()
        return Response.json({ started, scheduled: this.state.webhooks.scheduled().length })
      }
      default:
        return undefined
    }
  }
}
