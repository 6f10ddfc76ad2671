/**
 * The PUID wire contract (contracts.md §1), spelled once: the client decodes with these schemas
 * and the mock encodes with them.
 *
 * @module
 */
import { Schema } from "effect"

/** The production endpoint. */
export const DEFAULT_ENDPOINT = "https://puid.dev/api"

/** The most ids one request may ask for. */
export const MAX_IDS_PER_REQUEST = 10

/** The scope a client-credentials token needs to generate ids. */
export const DEFAULT_SCOPE = "puid:generate"

/** The endpoints, relative to the endpoint URL. */
export const Paths = {
  ids: "/v1/ids",
  ordinal: (puid: string): string => `/v1/ordinal/${encodeURIComponent(puid)}`,
  quota: "/v1/quota",
  token: "/oauth/token",
  register: "/oauth/register",
} as const

/** Today's usage: `limit` and `remaining` are `null` on unlimited plans. */
export const Quota = Schema.Struct({
  plan: Schema.String,
  used: Schema.Number,
  limit: Schema.NullOr(Schema.Number),
  remaining: Schema.NullOr(Schema.Number),
})
/** Today's usage, as `quota()` returns it. */
export type Quota = typeof Quota.Type

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

/** The error body of every non-2xx answer: `{ error, message, ...extra }`. */
export const ErrorBody = Schema.Struct({
  error: Schema.String,
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
