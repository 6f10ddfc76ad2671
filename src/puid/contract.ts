/**
 * The PUID wire contract (contracts.md §1), spelled once: the client decodes with these schemas
 * and the mock encodes with them.
 *
 * @module
 */
import { Schema } from "effect"
import { defineApi, documentEndpoints } from "../core/endpoint.ts"

/**
 * The production endpoint.
 *
 * @example
 * ```ts
 * import { DEFAULT_ENDPOINT, Puid } from "@gatehouse/sdk/puid"
 *
 * console.log(DEFAULT_ENDPOINT) // https://puid.dev/api: where a layer sends without baseUrl or PUID_BASE_URL
 * const layer = Puid.layer({ apiKey: "puid_live_...", baseUrl: DEFAULT_ENDPOINT })
 * ```
 */
export const DEFAULT_ENDPOINT = "https://puid.dev/api"

/**
 * The most ids one request may ask for.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { MAX_IDS_PER_REQUEST, Puid } from "@gatehouse/sdk/puid"
 *
 * // As many ids as one request gives; more fails with invalid_count before any request.
 * const batch = Effect.flatMap(Puid, (puid) => puid.ids(MAX_IDS_PER_REQUEST))
 * ```
 */
export const MAX_IDS_PER_REQUEST = 10

/**
 * The scope a client-credentials token needs to generate ids.
 *
 * @example
 * ```ts
 * import { DEFAULT_SCOPE, Puid } from "@gatehouse/sdk/puid"
 *
 * const layer = Puid.fromClientCredentials({
 *   clientId: "client_...",
 *   clientSecret: "secret_...",
 *   scope: `${DEFAULT_SCOPE} puid:ordinal`,
 * })
 * ```
 */
export const DEFAULT_SCOPE = "puid:generate"

/**
 * Today's usage, as `quota()` returns it: `limit` and `remaining` are `null` on unlimited plans.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Puid, type Quota } from "@gatehouse/sdk/puid"
 *
 * const left = Effect.map(
 *   Effect.flatMap(Puid, (puid) => puid.quota()),
 *   (quota: Quota) => quota.remaining ?? Infinity, // null on an unlimited plan
 * )
 * ```
 */
export interface Quota {
  /** The principal's plan: `free`, `hobby`, `enterprise`. */
  readonly plan: string
  /** Ids generated today (UTC). */
  readonly used: number
  /** Today's limit; `null` on unlimited plans. */
  readonly limit: number | null
  /** What is left today; `null` on unlimited plans. */
  readonly remaining: number | null
}

/** `GET /v1/quota` */
export const Quota: Schema.Codec<Quota, Quota> = Schema.Struct({
  plan: Schema.String,
  used: Schema.Number,
  limit: Schema.NullOr(Schema.Number),
  remaining: Schema.NullOr(Schema.Number),
})

/** `GET /v1/ids` */
export const IdsResponse = Schema.Struct({
  ids: Schema.Array(Schema.String),
  count: Schema.Number,
  quota: Schema.Struct({ used: Schema.Number, limit: Schema.NullOr(Schema.Number) }),
  warning: Schema.optionalKey(Schema.String),
})

/** `GET /v1/ordinal/{puid}`: the ordinal travels as a decimal string. */
export const OrdinalResponse = Schema.Struct({
  puid: Schema.String,
  ordinal: Schema.BigIntFromString,
  truth: Schema.optionalKey(Schema.String),
})

/** `POST /oauth/token` */
export const TokenResponse = Schema.Struct({
  access_token: Schema.String,
  token_type: Schema.String,
  expires_in: Schema.Number,
  scope: Schema.String,
  refresh_token: Schema.optionalKey(Schema.String),
})

/** `POST /oauth/register` request */
export const RegisterRequest = Schema.Struct({
  client_name: Schema.optionalKey(Schema.String),
  redirect_uris: Schema.Array(Schema.String),
})

/** `POST /oauth/register` response */
export const RegisteredClient = Schema.Struct({
  client_id: Schema.String,
  client_secret: Schema.String,
  client_name: Schema.optionalKey(Schema.String),
  redirect_uris: Schema.Array(Schema.String),
  grant_types: Schema.Array(Schema.String),
  scopes_supported: Schema.Array(Schema.String),
})

/** The codes of the API's error bodies; a code the server adds later decodes as a plain string. */
export type PuidServerCode =
  | "unauthorized"
  | "quota_exceeded"
  | "rate_limited"
  | "bad_request"
  | "not_found"
  | "method_not_allowed"
  | "invalid_client"
  | "invalid_grant"
  | "unsupported_grant_type"
  | "invalid_redirect_uris"
  | "invalid_request"
  | "unsupported_response_type"
  | (string & Record<never, never>)

const SERVER_CODES = [
  "unauthorized",
  "quota_exceeded",
  "rate_limited",
  "bad_request",
  "not_found",
  "method_not_allowed",
  "invalid_client",
  "invalid_grant",
  "unsupported_grant_type",
  "invalid_redirect_uris",
  "invalid_request",
  "unsupported_response_type",
] as const

/** An error body's code: a known one, or any string the server adds later. */
export const ServerCode: Schema.Codec<PuidServerCode, string> = Schema.Union([
  Schema.Literals(SERVER_CODES),
  Schema.String,
])

/** The error body of every non-2xx answer: `{ error, message, ...extra }`. */
export const ErrorBody = Schema.Struct({
  error: ServerCode,
  message: Schema.optionalKey(Schema.String),
  error_description: Schema.optionalKey(Schema.String),
  retryAfterMs: Schema.optionalKey(Schema.Number),
  used: Schema.optionalKey(Schema.Number),
  limit: Schema.optionalKey(Schema.NullOr(Schema.Number)),
  plan: Schema.optionalKey(Schema.String),
  upgrade_url: Schema.optionalKey(Schema.String),
  api: Schema.optionalKey(Schema.Boolean),
})
/** A PUID error body. */
export type ErrorBody = typeof ErrorBody.Type

/** `GET /v1/ids` query: `n` ids, 1 to 10. */
export const IdsQuery = Schema.Struct({
  n: Schema.optionalKey(
    Schema.NumberFromString.check(Schema.isInt(), Schema.isBetween({ minimum: 1, maximum: MAX_IDS_PER_REQUEST })),
  ),
})

/** `GET /oauth/authorize` query: the authorization-code grant with PKCE (RFC 6749 §4.1, RFC 7636). */
export const AuthorizeQuery = Schema.Struct({
  response_type: Schema.Literal("code"),
  client_id: Schema.String,
  redirect_uri: Schema.String,
  state: Schema.optionalKey(Schema.String),
  code_challenge: Schema.String.check(Schema.isMinLength(1)),
  /** @default "plain" (RFC 7636 §4.3) */
  code_challenge_method: Schema.optionalKey(Schema.Literals(["S256", "plain"])),
  scope: Schema.optionalKey(Schema.String),
})

/** `POST /oauth/token` form (JSON is accepted too): every grant's fields. */
export const TokenRequest = Schema.Struct({
  grant_type: Schema.String,
  client_id: Schema.optionalKey(Schema.String),
  client_secret: Schema.optionalKey(Schema.String),
  scope: Schema.optionalKey(Schema.String),
  code: Schema.optionalKey(Schema.String),
  redirect_uri: Schema.optionalKey(Schema.String),
  code_verifier: Schema.optionalKey(Schema.String),
  refresh_token: Schema.optionalKey(Schema.String),
})

/** `GET /.well-known/oauth-authorization-server` (RFC 8414). */
export const AuthorizationServerMetadata = Schema.Struct({
  issuer: Schema.String,
  authorization_endpoint: Schema.String,
  token_endpoint: Schema.String,
  registration_endpoint: Schema.String,
  scopes_supported: Schema.Array(Schema.String),
  response_types_supported: Schema.Array(Schema.String),
  grant_types_supported: Schema.Array(Schema.String),
  code_challenge_methods_supported: Schema.Array(Schema.String),
})

const credential = ["apiKey", "bearer"]

/** The PUID API, endpoint by endpoint: the client, the mock and the OpenAPI document read it. */
export const PuidApi = defineApi({
  name: "puid",
  title: "PUID API (gatehouse mock)",
  version: "1.0.0",
  errorBody: ErrorBody,
  securitySchemes: {
    apiKey: { type: "apiKey", in: "header", name: "X-API-Key" },
    bearer: { type: "http", scheme: "bearer" },
  },
  endpoints: {
    ids: {
      method: "GET",
      path: "/v1/ids",
      summary: "Generate 1 to 10 ids, consecutive in the service's counter",
      query: IdsQuery,
      success: IdsResponse,
      errors: {
        400: "n out of range",
        401: "no valid credential",
        402: "daily quota exceeded",
        429: "one request per second",
      },
      // Each call spends quota and counter values: a retry after a lost answer would spend them twice.
      idempotent: false,
      security: credential,
    },
    ordinal: {
      method: "GET",
      path: "/v1/ordinal/{puid}",
      summary: "Decode an id to its counter value",
      params: Schema.Struct({ puid: Schema.String }),
      success: OrdinalResponse,
      errors: { 400: "not a valid PUID" },
    },
    quota: {
      method: "GET",
      path: "/v1/quota",
      summary: "Today's usage; spends no id",
      success: Quota,
      errors: { 401: "no valid credential" },
      security: credential,
    },
    authorize: {
      method: "GET",
      path: "/oauth/authorize",
      summary:
        "OAuth2 authorization endpoint (code grant with PKCE): redirects (302) to redirect_uri with code and state",
      query: AuthorizeQuery,
      success: Schema.Undefined,
      successStatus: 302,
      errors: { 400: "invalid_client, or a redirect_uri not registered for the client (no redirect)" },
    },
    token: {
      method: "POST",
      path: "/oauth/token",
      summary: "OAuth2 token endpoint (client credentials, authorization code with PKCE, refresh token)",
      payload: TokenRequest,
      payloadType: "form",
      success: TokenResponse,
      errors: { 400: "invalid_grant or unsupported_grant_type", 401: "invalid_client" },
    },
    register: {
      method: "POST",
      path: "/oauth/register",
      summary: "Dynamic client registration (RFC 7591)",
      payload: RegisterRequest,
      success: RegisteredClient,
      errors: { 400: "invalid_redirect_uris" },
    },
    authorizationServer: {
      method: "GET",
      path: "/.well-known/oauth-authorization-server",
      summary: "OAuth 2.0 authorization server metadata (RFC 8414)",
      success: AuthorizationServerMetadata,
    },
    ...documentEndpoints,
  },
})
