/**
 * The AuthPI Admin API's mock handlers, generated from the resource table like the definition
 * they serve (`AuthPIApi`): for each row its generic operations and its actions, plus `/v1/me`
 * and the accounts. The wire, after contracts.md §3:
 *
 * - the credential first (`authorize`): 401 `invalid_token` (or `session_expired`), 403
 *   `access_denied` for an account the credential does not reach, 403 `insufficient_scope` for a
 *   write by a read-only key, 415 `invalid_content_type` for a body that is not JSON;
 * - `Idempotency-Key` on POST, PATCH and DELETE (1-256 characters, scoped per account): claimed
 *   before the body is read, so a concurrent duplicate is a 409 with `Retry-After`; a 2xx answer
 *   is kept 24 h and replayed with `Idempotent-Replayed: true`; the same key with another request
 *   is a 422;
 * - `{ data }` envelopes, `ETag: "<updated_at>"` on every single resource, `If-Match` on PATCH
 *   and DELETE (412 with `currentETag`);
 * - errors `{ error, error_description, ...}` with `cache-control: no-store` and `x-request-id`.
 *
 * @module
 */
import { Redacted, Result, Schema } from "effect"
import { AuthPIApi, endpointOf, ErrorBodySchema } from "../../src/authpi/contract.ts"
import { type ResourceName, RESOURCES, resources, type ResourceSpec } from "../../src/authpi/resources.ts"
import type { Endpoint } from "../../src/core/endpoint.ts"
import {
  documentRoutes,
  handleRaw,
  makeRouter,
  type MockRequest,
  ok,
  type Reply,
  type Route,
  type Router,
} from "../../src/core/router.ts"
import { errorCode } from "../api.ts"
import {
  type ActionResult,
  type AuthPIState,
  type Claim,
  IMPLEMENTED_ACTIONS,
  isRefusal,
  type Item,
  type Page,
  type Principal,
  randomChars,
  Refusal,
} from "./state.ts"

/** A replayed answer larger than this is replayed with an empty body (contracts.md §3.2). */
export const MAX_REPLAYED_BODY_BYTES = 512 * 1024

const answerHeaders = (): Record<string, string> => ({
  "cache-control": "no-store",
  "x-request-id": `req_${randomChars(24)}`,
})

const encodeError = Schema.encodeSync(ErrorBodySchema)

/** A refusal as the API answers it. */
const fail = (refusal: Refusal): Response =>
  Response.json(
    encodeError({ error: refusal.error, error_description: refusal.description, ...refusal.extra }),
    { status: refusal.status, headers: { ...answerHeaders(), ...refusal.headers } },
  )

/** AuthPI's error answer for any `status` (a forced fault, `Prefer: code=`), in OAuth's words. */
export const authpiError = (status: number, message: string): Response =>
  fail(
    new Refusal(
      status,
      AUTHPI_CODES[status] ?? (status >= 500 ? "server_error" : errorCode(status)),
      message,
      {},
      status === 429
        ? { "retry-after": "1" }
        : status === 401
        ? { "www-authenticate": 'Bearer realm="authpi", error="invalid_token"' }
        : {},
    ),
  )

/** AuthPI's own codes where they are not the usual one for the status. */
const AUTHPI_CODES: Readonly<Record<number, string>> = {
  400: "invalid_request",
  401: "invalid_token",
  403: "access_denied",
}

const etag = (item: Item): Record<string, string> => ({ etag: `"${item.updated_at}"` })

const single = (item: Item, status?: number) => ok({ data: item }, { headers: etag(item), status })

/**
 * A create's (or an update's) answer with its show-once secrets as `Redacted`: the router encodes
 * every answer with the endpoint's success schema, whose secrets are `Redacted` once decoded (the
 * wire still carries them as plain strings).
 */
const withSecrets = (row: ResourceSpec, answer: Item): Item => {
  const secrets = (row.secrets ?? []).filter((field) => typeof answer[field] === "string")
  return secrets.length === 0 ? answer : {
    ...answer,
    ...Object.fromEntries(secrets.map((field) => [field, Redacted.make(answer[field] as string)])),
  }
}

/** `{ data }` with every `Redacted` field of `data` read out: a value `structuredClone` keeps whole. */
const unredacted = (value: unknown): { readonly value: unknown; readonly redacted: ReadonlyArray<string> } => {
  const data = (value as { readonly data?: unknown } | undefined)?.data
  if (typeof data !== "object" || data === null || Array.isArray(data)) return { value, redacted: [] }
  const redacted = Object.keys(data).filter((key) => Redacted.isRedacted((data as Record<string, unknown>)[key]))
  if (redacted.length === 0) return { value, redacted }
  const plain = Object.fromEntries(
    Object.entries(data).map(([key, v]) => [key, Redacted.isRedacted(v) ? Redacted.value(v) : v]),
  )
  return { value: { ...(value as object), data: plain }, redacted }
}

/** The inverse of {@linkcode unredacted}: the fields named `Redacted` again. */
const reredacted = (value: unknown, redacted: ReadonlyArray<string> | undefined): unknown => {
  if (redacted === undefined || redacted.length === 0) return value
  const data = (value as { readonly data: Record<string, unknown> }).data
  return {
    ...(value as object),
    data: {
      ...data,
      ...Object.fromEntries(redacted.map((key) => [key, Redacted.make(data[key] as string)])),
    },
  }
}

const page = (result: Page | Refusal) => isRefusal(result) ? fail(result) : ok(result)

/** What the router decoded, as every handler here reads it. */
interface Decoded {
  readonly params: Readonly<Record<string, string>>
  readonly query: Readonly<Record<string, unknown>>
  readonly payload: Readonly<Record<string, unknown>> | undefined
}

const decoded = (input: Result.Result<unknown, string>): Decoded => {
  const value = (Result.isSuccess(input) ? input.success : {}) as Partial<Decoded>
  return { params: value.params ?? {}, query: value.query ?? {}, payload: value.payload }
}

/** The 400 of an input that did not decode, naming `limit` when it is the culprit. */
const badInput = (message: string, context: MockRequest): Response => {
  const limit = context.url.searchParams.get("limit")
  if (limit !== null && !(/^\d+$/.test(limit) && Number(limit) >= 1 && Number(limit) <= 100)) {
    return fail(
      new Refusal(400, "invalid_request", "limit must be an integer from 1 to 100.", {
        fields: { limit: "must be an integer from 1 to 100" },
      }),
    )
  }
  return fail(new Refusal(400, "invalid_request", message))
}

/** The path of the request below the API's base URL. */
const apiPath = (context: MockRequest): string => {
  const base = new URL(context.baseUrl).pathname.replace(/\/+$/, "")
  return context.url.pathname.slice(base.length) || "/"
}

/** The account a request's path names (`/v1/accounts/{account_id}/...`), if any. */
const accountOf = (context: MockRequest): string | undefined => {
  const match = /^\/v1\/accounts\/([^/]+)/.exec(apiPath(context))
  if (match === null) return undefined
  try {
    return decodeURIComponent(match[1])
  } catch {
    return match[1]
  }
}

/** JSON or nothing: a body of any other type is a 415. */
const isJsonOrEmpty = (request: Request): boolean => {
  const type = request.headers.get("content-type")
  if (type === null) return request.body === null
  const media = type.split(";")[0].trim().toLowerCase()
  return media === "application/json" || media.endsWith("+json")
}

/** JSON with its object keys sorted: two bodies that say the same are the same request. */
const canonical = (value: unknown): string =>
  JSON.stringify(
    value,
    (_, v) =>
      v !== null && typeof v === "object" && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0))
        : v,
  )

const WRITES: ReadonlySet<string> = new Set(["POST", "PATCH", "DELETE", "PUT"])

/** What `authorize` learnt of a request, for its handler. */
interface Admitted {
  readonly principal: Principal
  readonly claim: Claim | undefined
}

type Handler = (input: Result.Result<unknown, string>, context: MockRequest) => Reply<unknown> | Promise<Reply<unknown>>

/** The AuthPI router: every endpoint of `AuthPIApi` over `state`. */
export const authPIRouter = (state: AuthPIState): Router => {
  const admitted = new WeakMap<Request, Admitted>()
  const principalOf = (context: MockRequest): Principal => admitted.get(context.request)!.principal

  /**
   * A write under `Idempotency-Key`: the claim `authorize` made is replayed, refused (another
   * request), or run and then kept (2xx) or let go.
   */
  const idempotent = (endpoint: Endpoint, run: Handler): Route =>
    handleRaw(endpoint, async (input, context) => {
      const claim = admitted.get(context.request)?.claim
      if (claim === undefined || claim.kind === "in_flight") return run(input, context)
      const body = Result.isSuccess(input) ? canonical(decoded(input).payload ?? null) : `\u0000${randomChars(8)}`
      const fingerprint = `${context.request.method} ${apiPath(context)}\n${body}`
      if (claim.kind === "replay") {
        if (claim.answer.fingerprint !== fingerprint) {
          return fail(
            new Refusal(
              422,
              "invalid_request",
              "Idempotency-Key has already been used with a different request body.",
            ),
          )
        }
        const headers = { ...claim.answer.headers, "idempotent-replayed": "true" }
        const size = new TextEncoder().encode(JSON.stringify(claim.answer.value) ?? "").length
        return size > MAX_REPLAYED_BODY_BYTES
          ? new Response(null, { status: claim.answer.status, headers: { ...answerHeaders(), ...headers } })
          : ok(reredacted(structuredClone(claim.answer.value), claim.answer.redacted), {
            status: claim.answer.status,
            headers,
          })
      }
      let reply: Reply<unknown>
      try {
        reply = await run(input, context)
      } catch (error) {
        state.idempotency.release(claim.scope, claim.key)
        throw error
      }
      if (reply instanceof Response) {
        state.idempotency.release(claim.scope, claim.key)
        return reply
      }
      // Kept with its secrets read out (a `Redacted` does not survive `structuredClone`), and
      // redacted again when replayed.
      const kept = unredacted(reply.value)
      state.idempotency.complete(claim.scope, claim.key, {
        fingerprint,
        status: reply.status ?? endpoint.successStatus ?? 200,
        value: kept.value,
        headers: reply.headers ?? {},
        ...(kept.redacted.length > 0 && { redacted: kept.redacted }),
      })
      return reply
    })

  const route = (endpoint: Endpoint, run: Handler): Route =>
    WRITES.has(endpoint.method) ? idempotent(endpoint, run) : handleRaw(endpoint, run)

  const generic = (name: ResourceName, operation: string): Route => {
    const endpoint = endpointOf(`${name}.${operation}`)
    return route(endpoint, (input, context) => {
      if (Result.isFailure(input)) return badInput(input.failure, context)
      const { params, query, payload } = decoded(input)
      const accountId = params.account_id
      const ifMatch = context.request.headers.get("if-match")
      switch (operation) {
        case "list":
          return page(state.list(accountId, name, params, query))
        case "create": {
          const created = state.create(accountId, name, params, payload ?? {})
          return isRefusal(created) ? fail(created) : single(withSecrets(RESOURCES[name], created.answer))
        }
        case "get": {
          const item = state.get(accountId, name, params)
          return isRefusal(item) ? fail(item) : single(item)
        }
        case "update": {
          const updated = state.update(accountId, name, params, payload ?? {}, ifMatch)
          return isRefusal(updated) ? fail(updated) : single(withSecrets(RESOURCES[name], updated.answer))
        }
        case "delete": {
          const removed = state.remove(accountId, name, params, ifMatch)
          return isRefusal(removed) ? fail(removed) : ok(undefined)
        }
        default:
          throw new Error(`authpi mock: no operation ${operation}`)
      }
    })
  }

  const action = (name: ResourceName, key: string): Route =>
    route(endpointOf(`${name}.${key}`), (input, context) => {
      if (Result.isFailure(input)) return badInput(input.failure, context)
      const { params, query } = decoded(input)
      const result: ActionResult = state.act(params.account_id, name, key, params, query)
      if (isRefusal(result)) return fail(result)
      return "item" in result ? single(result.item, 200) : ok({ data: result.value })
    })

  const tableRoutes = resources.flatMap(([name, spec]: readonly [ResourceName, ResourceSpec]) => {
    for (const key of Object.keys(spec.actions ?? {})) {
      if (!IMPLEMENTED_ACTIONS.includes(key)) {
        throw new Error(`authpi mock: the table's ${name} has the action ${key}, which the mock does not implement`)
      }
    }
    return [
      ...spec.operations.map((operation) => generic(name, operation)),
      ...Object.keys(spec.actions ?? {}).map((key) => action(name, key)),
    ]
  })

  const accountRoutes = [
    handleRaw(endpointOf("me"), (_, context) => ok({ data: state.me(principalOf(context)) })),
    handleRaw(endpointOf("accounts.list"), (input, context) => {
      if (Result.isFailure(input)) return badInput(input.failure, context)
      return page(state.accounts(principalOf(context), decoded(input).query))
    }),
    handleRaw(endpointOf("accounts.get"), (input, context) => {
      if (Result.isFailure(input)) return badInput(input.failure, context)
      const accountId = decoded(input).params.account_id
      const account = state.account(accountId)
      return account === undefined ? fail(new Refusal(404, "not_found", `No account ${accountId}.`)) : single(account)
    }),
    route(endpointOf("accounts.update"), (input, context) => {
      if (Result.isFailure(input)) return badInput(input.failure, context)
      const { params, payload } = decoded(input)
      const updated = state.updateAccount(params.account_id, payload ?? {}, context.request.headers.get("if-match"))
      return isRefusal(updated) ? fail(updated) : single(updated)
    }),
  ]

  return makeRouter(AuthPIApi, [...accountRoutes, ...tableRoutes, ...documentRoutes(AuthPIApi)], {
    headers: answerHeaders,
    authorize: (endpoint, context) => {
      // Retries whose time has come start on any request (and whenever the clock moves).
      state.webhooks.deliverDue()
      if (endpoint.security === undefined) return undefined
      const { request } = context
      const principal = state.authenticate(request.headers.get("authorization"))
      if (isRefusal(principal)) return fail(principal)
      const accountId = accountOf(context)
      if (accountId !== undefined && !principal.accountIds.includes(accountId)) {
        return fail(new Refusal(403, "access_denied", `This credential cannot reach the account ${accountId}.`))
      }
      const write = WRITES.has(endpoint.method)
      if (write && !principal.canWrite) {
        return fail(new Refusal(403, "insufficient_scope", "This API key may only read: its scopes hold no write."))
      }
      if (endpoint.payload !== undefined && !isJsonOrEmpty(request)) {
        return fail(
          new Refusal(
            415,
            "invalid_content_type",
            `Send the body as application/json, not ${request.headers.get("content-type") ?? "untyped"}.`,
          ),
        )
      }
      const key = request.headers.get("idempotency-key")
      let claim: Claim | undefined
      if (write && key !== null) {
        if (key.length < 1 || key.length > 256) {
          return fail(
            new Refusal(400, "invalid_request", "Idempotency-Key must be 1 to 256 characters.", {
              fields: { "Idempotency-Key": "must be 1 to 256 characters" },
            }),
          )
        }
        claim = state.idempotency.claim(accountId ?? principal.id, key)
        if (claim.kind === "in_flight") {
          return fail(
            new Refusal(
              409,
              "conflict",
              "A request with this Idempotency-Key is still in progress; retry after it completes.",
              {},
              { "retry-after": "1" },
            ),
          )
        }
      }
      admitted.set(request, { principal, claim })
      return undefined
    },
    error: (status, message) => {
      const code = {
        400: "invalid_request",
        404: "not_found",
        405: "method_not_allowed",
        413: "request_too_large",
        431: "headers_too_large",
        500: "server_error",
      }[status]
      return fail(new Refusal(status, code, message))
    },
  })
}
