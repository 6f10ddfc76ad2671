/**
 * The PUID API's mock handlers, one per endpoint of `PuidApi`, faithful to contracts.md §1: the
 * same status codes, error bodies and headers as puid.dev. The router decodes what they take and
 * encodes what they answer with the contract's schemas.
 *
 * @module
 */
import { Result, Schema } from "effect"
import { DEFAULT_SCOPE, type ErrorBody, MAX_IDS_PER_REQUEST, PuidApi } from "../../src/puid/contract.ts"
import { ordinalToPuid, puidToOrdinal } from "../../src/puid/codec.ts"
import { documentRoutes, handle, handleRaw, makeRouter, ok, respondJson, type Router } from "../../src/core/router.ts"
import {
  FREE_DAILY_LIMIT,
  type GrantResult,
  MAX_CLIENT_NAME_LENGTH,
  MAX_REDIRECT_URI_LENGTH,
  MAX_REDIRECT_URIS,
  type Principal,
  type PuidState,
} from "./state.ts"
import { securityHeader } from "../../src/core/endpoint.ts"
import { errorCode, type ErrorContext } from "../api.ts"

const API_KEY_HEADER = securityHeader(PuidApi, "apiKey")

const NO_STORE = { "cache-control": "no-store" }
const encodeError = Schema.encodeSync(PuidApi.errorBody)

/** A PUID error answer: `{ error, message, ...extra }` with `cache-control: no-store`. */
const fail = (status: number, body: ErrorBody, headers?: Record<string, string>) =>
  respondJson(encodeError(body), status, headers === undefined ? NO_STORE : { ...NO_STORE, ...headers })

/** The 429 past one request a second: when to retry (in the body and `Retry-After`), where to upgrade. */
const rateLimited = (message: string, retryAfterMs: number, upgrade: { upgrade_url?: string }) =>
  fail(429, { error: "rate_limited", message, retryAfterMs, ...upgrade }, {
    "retry-after": String(Math.max(1, Math.ceil(retryAfterMs / 1000))),
  })

/** The 402 of a spent daily quota: the caller's usage and plan, where to upgrade. */
const quotaExceeded = (
  message: string,
  quota: { readonly used: number; readonly limit: number; readonly plan: Principal["plan"] },
  upgrade: { upgrade_url?: string },
) => fail(402, { error: "quota_exceeded", message, used: quota.used, limit: quota.limit, plan: quota.plan, ...upgrade })

/**
 * PUID's error answer for any `status` (a forced fault, `Prefer: code=`), as the server words it:
 * a 429 says when to retry and where to upgrade; a 402 gives the caller's quota (the free plan's,
 * spent, for an unknown caller).
 */
export const puidError = (state: PuidState, status: number, message: string, context?: ErrorContext): Response => {
  const upgrade = context === undefined ? {} : { upgrade_url: upgradeUrl(context) }
  if (status === 429) return rateLimited(message, 1000, upgrade)
  if (status !== 402) return fail(status, { error: errorCode(status), message })
  const principal = context === undefined ? undefined : principalOf(state, context.request)
  const limit = (principal === undefined ? undefined : state.limit(principal)) ?? FREE_DAILY_LIMIT
  return quotaExceeded(message, { used: limit, limit, plan: principal?.plan ?? "free" }, upgrade)
}

const unauthorized = () =>
  fail(401, { error: "unauthorized", message: "Send X-API-Key or a Bearer token. Sign in at /dashboard to get one." })

const principalOf = (state: PuidState, request: Request): Principal | undefined => {
  const auth = request.headers.get("authorization") ?? ""
  const bearer = /^bearer /i.test(auth) ? auth.slice(7).trim() : undefined
  return state.principal(request.headers.get(API_KEY_HEADER) ?? undefined, bearer)
}

/** The site's origin: the API lives under `<origin>/api` on puid.dev, under `<mount>` on the mock. */
const upgradeUrl = ({ baseUrl }: { readonly baseUrl: string }) => `${new URL(baseUrl).origin}/upgrade`

const GRANT_TYPES = ["authorization_code", "refresh_token", "client_credentials"]
const SCOPES = ["puid:generate", "puid:ordinal"]

const { endpoints } = PuidApi

const ROUTER_ERRORS = {
  400: "bad_request",
  405: "method_not_allowed",
  413: "payload_too_large",
  431: "headers_too_large",
  500: "internal_error",
} as const

/** The PUID router: every endpoint of `PuidApi` over `state`. */
export const puidRouter = (state: PuidState): Router =>
  makeRouter(PuidApi, [
    // The server's order: credential, rate limit, then `n` (a bad n still spends the second), quota.
    handleRaw(endpoints.ids, (input, context) => {
      const principal = principalOf(state, context.request)
      if (principal === undefined) return unauthorized()
      const admission = state.admit(principal)
      if (!admission.allowed) {
        return rateLimited("One request per second. Want more? That requires an upgrade.", admission.retryAfterMs, {
          upgrade_url: upgradeUrl(context),
        })
      }
      if (Result.isFailure(input)) {
        return fail(400, { error: "bad_request", message: `n must be 1..${MAX_IDS_PER_REQUEST}.` })
      }
      const n = input.success.query.n ?? 1
      const quota = state.spend(principal, n)
      if (!quota.ok) {
        return quotaExceeded(`Daily quota of ${quota.limit} ids reached.`, quota, { upgrade_url: upgradeUrl(context) })
      }
      const ids = state.allocate(n).map(ordinalToPuid)
      return ok({
        ids,
        count: ids.length,
        quota: { used: quota.used, limit: quota.limit },
        warning: "Sequential under a disguise. Subtracting two reveals our total issuance. Do not use this.",
      })
    }),

    handle(endpoints.ordinal, ({ params: { puid } }) => {
      try {
        const ordinal = puidToOrdinal(puid)
        return ok({ puid, ordinal, truth: `This "random unique" id was always just #${ordinal}.` })
      } catch (error) {
        return fail(400, { error: "bad_request", message: `Not a valid PUID: ${(error as Error).message}` })
      }
    }),

    handle(endpoints.quota, (_, { request }) => {
      const principal = principalOf(state, request)
      if (principal === undefined) return unauthorized()
      const used = state.used(principal)
      const limit = state.limit(principal)
      return ok({ plan: principal.plan, used, limit, remaining: limit === null ? null : Math.max(0, limit - used) })
    }),

    // Unknown client or redirect URI: a 400, never a redirect; past that, errors go back to the client.
    handleRaw(endpoints.authorize, (input, { url }) => {
      const clientId = url.searchParams.get("client_id") ?? ""
      const redirectUri = url.searchParams.get("redirect_uri") ?? ""
      if (!state.hasClient(clientId)) {
        return fail(400, { error: "invalid_client", error_description: "Unknown client_id." })
      }
      const target = state.isRegisteredRedirect(clientId, redirectUri) ? URL.parse(redirectUri) : null
      if (target === null) {
        return fail(400, {
          error: "invalid_request",
          error_description: "redirect_uri is not registered for this client.",
        })
      }
      const stateParam = url.searchParams.get("state")
      const redirect = (params: Record<string, string>) => {
        for (const [name, value] of Object.entries(params)) target.searchParams.set(name, value)
        if (stateParam !== null) target.searchParams.set("state", stateParam)
        return new Response(null, { status: 302, headers: { ...NO_STORE, location: target.href } })
      }
      if (Result.isFailure(input)) {
        return url.searchParams.get("response_type") === "code"
          ? redirect({ error: "invalid_request", error_description: input.failure })
          : redirect({ error: "unsupported_response_type", error_description: "response_type must be code." })
      }
      const { query } = input.success
      const code = state.issueCode({
        clientId,
        redirectUri,
        challenge: query.code_challenge,
        method: query.code_challenge_method ?? "plain",
        scope: query.scope ?? DEFAULT_SCOPE,
      })
      return redirect({ code })
    }),

    handleRaw(endpoints.token, async (input) => {
      const form = Result.isSuccess(input) ? input.success.payload : undefined
      const granted = (result: GrantResult) =>
        result.ok
          ? ok({
            access_token: result.tokens.accessToken,
            token_type: "Bearer",
            expires_in: result.tokens.expiresIn,
            scope: result.tokens.scope,
            refresh_token: result.tokens.refreshToken,
          })
          : fail(result.error === "invalid_client" ? 401 : 400, {
            error: result.error,
            error_description: result.description,
          })
      switch (form?.grant_type) {
        case "client_credentials": {
          const scope = form.scope ?? DEFAULT_SCOPE
          const issued = state.issueToken(form.client_id ?? "", form.client_secret ?? "", scope)
          if (issued === undefined) {
            return fail(401, { error: "invalid_client", error_description: "Unknown client or wrong secret." })
          }
          return ok({ access_token: issued.token, token_type: "Bearer", expires_in: issued.expiresIn, scope })
        }
        case "authorization_code":
          return granted(
            await state.redeemCode({
              code: form.code ?? "",
              clientId: form.client_id ?? "",
              clientSecret: form.client_secret,
              redirectUri: form.redirect_uri,
              verifier: form.code_verifier,
            }),
          )
        case "refresh_token":
          return granted(state.refresh(form.refresh_token ?? "", form.client_id))
        default:
          return fail(400, { error: "unsupported_grant_type" })
      }
    }),

    handleRaw(endpoints.register, (input) => {
      const body = Result.isSuccess(input) ? input.success.payload : undefined
      if (body === undefined || body.redirect_uris.length === 0) {
        return fail(400, {
          error: "invalid_redirect_uris",
          error_description: "redirect_uris must be a non-empty array.",
        })
      }
      const { client_name: name, redirect_uris: redirectUris } = body
      if (
        redirectUris.length > MAX_REDIRECT_URIS || redirectUris.some((uri) => uri.length > MAX_REDIRECT_URI_LENGTH)
      ) {
        return fail(400, {
          error: "invalid_redirect_uris",
          error_description:
            `At most ${MAX_REDIRECT_URIS} redirect_uris, each at most ${MAX_REDIRECT_URI_LENGTH} characters.`,
        })
      }
      if (name !== undefined && name.length > MAX_CLIENT_NAME_LENGTH) {
        return fail(400, {
          error: "invalid_client_metadata",
          error_description: `client_name must be at most ${MAX_CLIENT_NAME_LENGTH} characters.`,
        })
      }
      const { clientId, secret } = state.registerClient(name, redirectUris)
      return ok({
        client_id: clientId,
        client_secret: secret,
        ...(name !== undefined && { client_name: name }),
        redirect_uris: redirectUris,
        grant_types: GRANT_TYPES,
        scopes_supported: SCOPES,
      })
    }),

    handle(endpoints.authorizationServer, (_, { baseUrl }) => {
      const origin = new URL(baseUrl).origin
      return ok({
        issuer: origin,
        authorization_endpoint: `${baseUrl}${endpoints.authorize.path}`,
        token_endpoint: `${baseUrl}${endpoints.token.path}`,
        registration_endpoint: `${baseUrl}${endpoints.register.path}`,
        scopes_supported: SCOPES,
        response_types_supported: ["code"],
        grant_types_supported: GRANT_TYPES,
        code_challenge_methods_supported: ["S256", "plain"],
      })
    }),

    ...documentRoutes(PuidApi),
  ], {
    headers: () => NO_STORE,
    error: (status, message) =>
      status === 404 ? fail(404, { error: "not_found", api: true }) : fail(status, {
        error: ROUTER_ERRORS[status],
        message,
      }),
  })
