/**
 * The PUID API as msw handlers, faithful to contracts.md §1: the same paths, status codes,
 * error bodies and headers as puid.dev, answers encoded with the client's own schemas.
 *
 * @module
 */
import { Schema } from "effect"
import { http, HttpResponse } from "msw/http"
import type { RequestHandler } from "msw"
import {
  DEFAULT_SCOPE,
  ErrorBody,
  IdsResponse,
  MAX_IDS_PER_REQUEST,
  OrdinalResponse,
  Quota,
  RegisteredClient,
  RegisterRequest,
  TokenResponse,
} from "../../src/puid/contract.ts"
import { ordinalToPuid, puidToOrdinal } from "../../src/puid/codec.ts"
import { openApiDocument } from "../openapi.ts"
import type { Principal, PuidState } from "./state.ts"

const NO_STORE = { "cache-control": "no-store" }

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  HttpResponse.json(body as Record<string, unknown>, { status, headers: { ...NO_STORE, ...headers } })

const encodeIds = Schema.encodeSync(IdsResponse)
const encodeOrdinal = Schema.encodeSync(OrdinalResponse)
const encodeQuota = Schema.encodeSync(Quota)
const encodeToken = Schema.encodeSync(TokenResponse)
const encodeClient = Schema.encodeSync(RegisteredClient)
const decodeRegister = Schema.decodeUnknownOption(RegisterRequest)

const unauthorized = () =>
  json({ error: "unauthorized", message: "Send X-API-Key or a Bearer token. Sign in at /dashboard to get one." }, 401)

const principalOf = (state: PuidState, request: Request): Principal | undefined => {
  const auth = request.headers.get("authorization") ?? ""
  const bearer = /^bearer /i.test(auth) ? auth.slice(7).trim() : undefined
  return state.principal(request.headers.get("x-api-key") ?? undefined, bearer)
}

const upgradeUrl = (request: Request) => `${new URL(request.url).origin}/upgrade`

/** The form or JSON body of a token request, as the server reads both. */
const readForm = async (request: Request): Promise<Record<string, string>> => {
  const type = request.headers.get("content-type") ?? ""
  const raw: unknown = type.includes("application/json")
    ? await request.json().catch(() => ({}))
    : Object.fromEntries(new URLSearchParams(await request.text()))
  if (typeof raw !== "object" || raw === null) return {}
  return Object.fromEntries(Object.entries(raw).filter((e): e is [string, string] => typeof e[1] === "string"))
}

/** The PUID handlers under `base` (the endpoint URL or an msw pattern ending where `/v1` begins). */
export const puidHandlers = (state: PuidState, base: string): ReadonlyArray<RequestHandler> => [
  http.get(`${base}/v1/ids`, ({ request }) => {
    const principal = principalOf(state, request)
    if (principal === undefined) return unauthorized()
    const admission = state.admit(principal)
    if (!admission.allowed) {
      return json(
        {
          error: "rate_limited",
          message: "One request per second. Want more? That requires an upgrade.",
          retryAfterMs: admission.retryAfterMs,
          upgrade_url: upgradeUrl(request),
        },
        429,
        { "retry-after": String(Math.ceil(admission.retryAfterMs / 1000)) },
      )
    }
    const n = Number(new URL(request.url).searchParams.get("n") ?? "1")
    if (!Number.isInteger(n) || n < 1 || n > MAX_IDS_PER_REQUEST) {
      return json({ error: "bad_request", message: `n must be 1..${MAX_IDS_PER_REQUEST}.` }, 400)
    }
    const quota = state.spend(principal, n)
    if (!quota.ok) {
      return json({
        error: "quota_exceeded",
        message: `Daily quota of ${quota.limit} ids reached.`,
        used: quota.used,
        limit: quota.limit,
        plan: quota.plan,
        upgrade_url: upgradeUrl(request),
      }, 402)
    }
    const ids = state.allocate(n).map(ordinalToPuid)
    return json(encodeIds({
      ids,
      count: ids.length,
      quota: { used: quota.used, limit: quota.limit },
      warning: "Sequential under a disguise. Subtracting two reveals our total issuance. Do not use this.",
    }))
  }),

  // msw has already decoded the path parameter.
  http.get(`${base}/v1/ordinal/:puid`, ({ params }) => {
    const puid = String(params.puid)
    try {
      const ordinal = puidToOrdinal(puid)
      return json(encodeOrdinal({ puid, ordinal, truth: `This "random unique" id was always just #${ordinal}.` }))
    } catch (error) {
      return json({ error: "bad_request", message: `Not a valid PUID: ${(error as Error).message}` }, 400)
    }
  }),

  http.get(`${base}/v1/quota`, ({ request }) => {
    const principal = principalOf(state, request)
    if (principal === undefined) return unauthorized()
    const used = state.used(principal)
    const limit = state.limit(principal)
    return json(encodeQuota({
      plan: principal.plan,
      used,
      limit,
      remaining: limit === null ? null : Math.max(0, limit - used),
    }))
  }),

  http.post(`${base}/oauth/token`, async ({ request }) => {
    const form = await readForm(request)
    switch (form.grant_type) {
      case "client_credentials": {
        const issued = state.issueToken(form.client_id ?? "", form.client_secret ?? "", form.scope ?? DEFAULT_SCOPE)
        if (issued === undefined) {
          return json({ error: "invalid_client", error_description: "Unknown client or wrong secret." }, 401)
        }
        return json(encodeToken({
          access_token: issued.token,
          token_type: "Bearer",
          expires_in: issued.expiresIn,
          scope: issued.scope,
        }))
      }
      case "authorization_code":
      case "refresh_token":
        return json({ error: "invalid_grant", error_description: "The code or refresh token is invalid." }, 400)
      default:
        return json({ error: "unsupported_grant_type" }, 400)
    }
  }),

  http.post(`${base}/oauth/register`, async ({ request }) => {
    const body = decodeRegister(await request.json().catch(() => undefined))
    if (body._tag === "None" || body.value.redirect_uris.length === 0) {
      return json(
        { error: "invalid_redirect_uris", error_description: "redirect_uris must be a non-empty array." },
        400,
      )
    }
    const { client_name: name, redirect_uris: redirectUris } = body.value
    const { clientId, secret } = state.registerClient(name, redirectUris)
    return json(encodeClient({
      client_id: clientId,
      client_secret: secret,
      ...(name !== undefined && { client_name: name }),
      redirect_uris: redirectUris,
      grant_types: ["authorization_code", "refresh_token", "client_credentials"],
      scopes_supported: ["puid:generate", "puid:ordinal"],
    }))
  }),

  http.get(`${base}/.well-known/oauth-authorization-server`, ({ request }) => {
    const endpoint = request.url.replace(/\/\.well-known\/oauth-authorization-server$/, "")
    const origin = new URL(request.url).origin
    return json({
      issuer: origin,
      authorization_endpoint: `${origin}/oauth/authorize`,
      token_endpoint: `${endpoint}/oauth/token`,
      registration_endpoint: `${endpoint}/oauth/register`,
      scopes_supported: ["puid:generate", "puid:ordinal"],
      response_types_supported: ["code"],
      grant_types_supported: ["authorization_code", "refresh_token", "client_credentials"],
      code_challenge_methods_supported: ["S256", "plain"],
    })
  }),

  http.get(`${base}/openapi.json`, ({ request }) => json(openApi(request.url.replace(/\/openapi\.json$/, "")))),

  http.all(base, () => json({ error: "not_found", api: true }, 404)),
  http.all(`${base}/*`, () => json({ error: "not_found", api: true }, 404)),
]

/** The OpenAPI document puid.dev serves: `/v1/ids` and `/v1/ordinal/{puid}`. */
const openApi = (serverUrl: string) =>
  openApiDocument({
    title: "PUID API (gatehouse mock)",
    version: "1.0.0",
    serverUrl,
    securitySchemes: {
      apiKey: { type: "apiKey", in: "header", name: "X-API-Key" },
      bearer: { type: "http", scheme: "bearer" },
    },
    errorBody: ErrorBody,
    operations: [
      {
        method: "get",
        path: "/v1/ids",
        operationId: "ids",
        summary: "Generate 1 to 10 ids",
        security: ["apiKey", "bearer"],
        parameters: [{
          name: "n",
          in: "query",
          schema: { type: "integer", minimum: 1, maximum: MAX_IDS_PER_REQUEST, default: 1 },
        }],
        response: IdsResponse,
        errors: {
          400: "n out of range",
          401: "no valid credential",
          402: "daily quota exceeded",
          429: "one request per second",
        },
      },
      {
        method: "get",
        path: "/v1/ordinal/{puid}",
        operationId: "ordinal",
        summary: "Decode an id to its counter value",
        parameters: [{ name: "puid", in: "path", required: true, schema: { type: "string" } }],
        response: OrdinalResponse,
        errors: { 400: "not a valid PUID" },
      },
    ],
  })
