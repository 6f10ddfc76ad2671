/**
 * The AuthPI Admin wire contract (contracts.md §3): its envelopes, its error body, and its
 * definition, every endpoint generated from the resource table (`./resources.ts`) plus the
 * account root (`/v1/me`, `/v1/accounts`). The client and the mock both read `AuthPIApi`.
 *
 * @module
 */
import { Schema } from "effect"
import { type AnyApi, type Codec, defineApi, documentEndpoints, type EndpointSpec } from "../core/endpoint.ts"
import { AccountSchema, BodySchema, MeSchema } from "./models.ts"
import { type Action, itemPathOf, type Operation, resources, type ResourceSpec } from "./resources.ts"

/**
 * The production base URL (the 0.3.0 README's; the API docs say `https://api.authpi.com`).
 *
 * @example
 * ```ts
 * import { AuthPI, DEFAULT_BASE_URL } from "@gatehouse/sdk/authpi"
 *
 * console.log(DEFAULT_BASE_URL) // used without baseUrl or AUTHPI_BASE_URL
 * const layer = AuthPI.layer({ apiKey: "key_...", baseUrl: DEFAULT_BASE_URL })
 * ```
 */
export const DEFAULT_BASE_URL = "https://api.authpi.dev"

/** Where every account-level path starts. */
export const ACCOUNT_PATH = "/v1/accounts/{account_id}"

/**
 * The most items one page holds, and the default.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { AuthPI, MAX_PAGE_SIZE } from "@gatehouse/sdk/authpi"
 *
 * // The fewest requests for a walk through every account: full pages.
 * const accounts = Effect.flatMap(AuthPI, (admin) => admin.accounts.list({ limit: MAX_PAGE_SIZE }))
 * ```
 */
export const MAX_PAGE_SIZE = 100
/**
 * The items of a page when `limit` is not given.
 *
 * @example
 * ```ts
 * import { DEFAULT_PAGE_SIZE } from "@gatehouse/sdk/authpi"
 *
 * console.log(DEFAULT_PAGE_SIZE) // 50: a page's items when list() is given no limit
 * ```
 */
export const DEFAULT_PAGE_SIZE = 50

/**
 * The codes of the API's error bodies this version knows; a code the API adds later is kept as is.
 *
 * @example
 * ```ts
 * import type { AuthPIErrorCode } from "@gatehouse/sdk/authpi"
 *
 * const advice = (code: AuthPIErrorCode): string => {
 *   switch (code) {
 *     case "rate_limited":
 *       return "slow down"
 *     case "precondition_failed":
 *       return "read the resource again, then retry with its new _etag"
 *     default:
 *       return code
 *   }
 * }
 * ```
 */
export type AuthPIErrorCode =
  | "invalid_request"
  | "invalid_content_type"
  | "access_denied"
  | "insufficient_scope"
  | "session_expired"
  | "unauthorized_client"
  | "invalid_token"
  | "not_found"
  | "method_not_allowed"
  | "conflict"
  | "precondition_failed"
  | "rate_limited"
  | "server_error"
  | (string & Record<never, never>)

/**
 * An error body: `{ error, error_description, retryable?, currentETag?, fields? }`.
 *
 * @example
 * ```ts
 * import type { ErrorBody } from "@gatehouse/sdk/authpi"
 *
 * const body: ErrorBody = { error: "precondition_failed", error_description: "stale _etag", currentETag: "W/\"3\"" }
 * ```
 */
export interface ErrorBody {
  /** The error code, snake_case. */
  readonly error: AuthPIErrorCode
  /** What went wrong, in words. */
  readonly error_description?: string | undefined
  /** Whether sending the request again may succeed. */
  readonly retryable?: boolean | undefined
  /** On 412: the resource's current `ETag`. */
  readonly currentETag?: string | undefined
  /** On 400/422: what is wrong with which field. */
  readonly fields?: Readonly<Record<string, string>> | undefined
  /** A request or trace id, when the API sends one in the body. */
  readonly reference?: string | undefined
  /** Fields the API added after this version. */
  readonly [field: string]: unknown
}

/** The schema of {@linkcode ErrorBody}. */
export const ErrorBodySchema: Schema.Codec<ErrorBody, ErrorBody> = Schema.StructWithRest(
  Schema.Struct({
    error: Schema.String,
    error_description: Schema.optionalKey(Schema.String),
    retryable: Schema.optionalKey(Schema.Boolean),
    currentETag: Schema.optionalKey(Schema.String),
    fields: Schema.optionalKey(Schema.Record(Schema.String, Schema.String)),
    reference: Schema.optionalKey(Schema.String),
  }),
  [Schema.Record(Schema.String, Schema.Unknown)],
)

/** `{ data: item }`: a single resource. */
const single = (model: Codec) => Schema.Struct({ data: model })

/** `{ data: [...], has_more, next_cursor }`: one page of a list. */
const page = (model: Codec) =>
  Schema.Struct({ data: Schema.Array(model), has_more: Schema.Boolean, next_cursor: Schema.NullOr(Schema.String) })

const PageSize = Schema.NumberFromString.check(Schema.isInt(), Schema.isBetween({ minimum: 1, maximum: MAX_PAGE_SIZE }))

/** The query of a list: `limit`, `cursor`, and the row's filters (all strings on the wire). */
const listQuery = (spec: ResourceSpec) =>
  Schema.Struct({
    limit: Schema.optionalKey(PageSize),
    cursor: Schema.optionalKey(Schema.String),
    ...Object.fromEntries(Object.keys(spec.filters ?? {}).map((name) => [name, Schema.optionalKey(Schema.String)])),
  })

/** Path parameters: one string per name the path holds. */
const paramsOf = (path: string) =>
  Schema.Struct(Object.fromEntries([...path.matchAll(/\{([^}]+)\}/g)].map((m) => [m[1], Schema.String])))

const NoContent = Schema.Undefined

const account = (path: string) => `${ACCOUNT_PATH}${path}`

const WRITE_ERRORS = {
  400: "invalid_request: the body or a parameter is wrong (`fields` says which)",
  401: "no valid credential",
  403: "the credential cannot reach this account, or lacks the scope",
  404: "no such resource, or no such parent",
  409: "conflict: a duplicate, or a concurrent request with the same Idempotency-Key",
  412: "If-Match does not match the current ETag",
  415: "the body is not JSON",
  422: "the Idempotency-Key was used with another body",
  429: "rate limited",
}
const READ_ERRORS = { 401: WRITE_ERRORS[401], 403: WRITE_ERRORS[403], 404: WRITE_ERRORS[404], 429: WRITE_ERRORS[429] }

const generic = (spec: ResourceSpec, operation: Operation): EndpointSpec => {
  const collection = account(spec.path)
  const item = account(itemPathOf(spec))
  switch (operation) {
    case "list":
      return {
        method: "GET",
        path: collection,
        summary: `List ${spec.noun}s, newest first`,
        params: paramsOf(collection),
        query: listQuery(spec),
        success: page(spec.model),
        errors: { 400: "limit outside 1-100, or a bad filter", ...READ_ERRORS },
      }
    case "create":
      return {
        method: "POST",
        path: collection,
        summary: `Create a ${spec.noun}`,
        params: paramsOf(collection),
        payload: BodySchema,
        success: single(spec.model),
        successStatus: 201,
        errors: WRITE_ERRORS,
      }
    case "get":
      return {
        method: "GET",
        path: item,
        summary: `Get a ${spec.noun}`,
        params: paramsOf(item),
        success: single(spec.model),
        errors: READ_ERRORS,
      }
    case "update":
      return {
        method: "PATCH",
        path: item,
        summary: `Update a ${spec.noun} (If-Match makes it conditional)`,
        params: paramsOf(item),
        payload: BodySchema,
        success: single(spec.model),
        errors: WRITE_ERRORS,
      }
    case "delete":
      return {
        method: "DELETE",
        path: item,
        summary: `Delete a ${spec.noun} (If-Match makes it conditional)`,
        params: paramsOf(item),
        success: NoContent,
        successStatus: 204,
        errors: { ...READ_ERRORS, 412: WRITE_ERRORS[412] },
      }
  }
}

const action = (spec: ResourceSpec, act: Action): EndpointSpec => {
  const path = account(`${act.on === "item" ? itemPathOf(spec) : spec.path}/${act.segment}`)
  return {
    method: act.method,
    path,
    summary: act.summary,
    params: paramsOf(path),
    ...(act.payload !== undefined && { payload: act.payload }),
    ...(act.method === "GET" && act.on === "collection" && { query: listQuery(spec) }),
    success: single(act.success ?? spec.model),
    errors: act.method === "GET" ? READ_ERRORS : WRITE_ERRORS,
    // An action changes state: it is repeated only with an Idempotency-Key.
    ...(act.method === "POST" && { idempotent: false }),
  }
}

/** Every credential the API takes; the OpenAPI documents need none. */
const SECURED = { security: ["apiKey", "basic", "accessToken"] } as const

/** Every endpoint of the table, named `<resource>.<operation or action>`. */
const tableEndpoints = (): Record<string, EndpointSpec> =>
  Object.fromEntries(
    resources.flatMap(([name, spec]) => [
      ...spec.operations.map((operation) =>
        [`${name}.${operation}`, { ...generic(spec, operation), ...SECURED }] as const
      ),
      ...Object.entries(spec.actions ?? {}).map(([key, act]) =>
        [`${name}.${key}`, { ...action(spec, act), ...SECURED }] as const
      ),
    ]),
  )

const accountEndpoints: Record<string, EndpointSpec> = {
  me: {
    method: "GET",
    path: "/v1/me",
    summary: "Who is calling, and the accounts the credential reaches",
    success: single(MeSchema),
    errors: { 401: READ_ERRORS[401] },
  },
  "accounts.list": {
    method: "GET",
    path: "/v1/accounts",
    summary: "The accounts the credential reaches",
    query: Schema.Struct({ limit: Schema.optionalKey(PageSize), cursor: Schema.optionalKey(Schema.String) }),
    success: page(AccountSchema),
    errors: { 400: "limit outside 1-100", 401: READ_ERRORS[401] },
  },
  "accounts.get": {
    method: "GET",
    path: ACCOUNT_PATH,
    summary: "Get an account",
    params: paramsOf(ACCOUNT_PATH),
    success: single(AccountSchema),
    errors: READ_ERRORS,
  },
  "accounts.update": {
    method: "PATCH",
    path: ACCOUNT_PATH,
    summary: "Update an account (If-Match makes it conditional)",
    params: paramsOf(ACCOUNT_PATH),
    payload: BodySchema,
    success: single(AccountSchema),
    errors: WRITE_ERRORS,
  },
}

/**
 * The AuthPI Admin API, every endpoint of it: `me`, `accounts.*`, `<resource>.<operation>` for
 * each row of the table and each of its actions, and the OpenAPI documents.
 */
export const AuthPIApi: AnyApi = defineApi({
  name: "authpi",
  title: "AuthPI Admin API (gatehouse mock)",
  version: "0.3.0",
  errorBody: ErrorBodySchema,
  securitySchemes: {
    apiKey: { type: "http", scheme: "bearer", description: "An API key `key_...`, or `key_id:secret` as Basic" },
    basic: { type: "http", scheme: "basic", description: "An API key as `key_id:secret`" },
    accessToken: { type: "http", scheme: "bearer", description: "A user session's access token, with `account_id`" },
  },
  endpoints: {
    ...Object.fromEntries(Object.entries(accountEndpoints).map(([name, spec]) => [name, { ...spec, ...SECURED }])),
    ...tableEndpoints(),
    ...documentEndpoints,
  },
})

/** The endpoint named `name` (`users.list`, `me`): the definition's, for the client and the mock. */
export const endpointOf = (name: string): AnyApi["all"][number] => {
  const found = AuthPIApi.all.find((endpoint) => endpoint.name === name)
  if (found === undefined) throw new Error(`AuthPIApi has no endpoint ${name}`)
  return found
}
