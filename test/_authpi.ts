// A small AuthPI server for the client's tests, routed by the definition itself (`makeRouter`
// over `AuthPIApi`, so a request the contract does not accept is a 400 here too): items kept per
// path, newest first, cursor pages, ETags and If-Match, Idempotency-Key replay, a credential check,
// and scripted faults (an answer of our choosing, or an answer lost after the request applied).
import { Effect, Layer } from "effect"
import type { HttpClient } from "effect/http"
import { fetchLayer } from "../src/core/promise.ts"
import { fillPath } from "../src/core/endpoint.ts"
import { documentRoutes, handle, makeRouter, ok, type Route } from "../src/core/router.ts"
import { ACCOUNT_PATH, AuthPIApi, DEFAULT_PAGE_SIZE } from "../src/authpi/contract.ts"
import { itemPathOf, type ResourceName, RESOURCES, type ResourceSpec } from "../src/authpi/resources.ts"
import { AuthPI, type AuthPICredentialOptions } from "../src/authpi/mod.ts"

export const BASE_URL = "http://authpi.test"
export const ACCOUNT = "acc_test0000000000000000000001"

type Item = Record<string, unknown> & { readonly id: string; readonly created_at: number; updated_at: number }

/** A request as sent: method, URL, headers, body. */
export interface Sent {
  readonly method: string
  readonly url: URL
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

/** A scripted answer to the next requests that match. */
export interface Fault {
  readonly match?: (request: Request) => boolean
  /** How many requests it answers. @default 1 */
  times?: number
  /**
   * The answer; or `"lost"`: the request is served, then the connection drops before the answer;
   * or `"late"`: the request is served at once, its answer sent only after `lateMs` (past a
   * client's timeout, the request applied all the same).
   */
  readonly respond: ((request: Request) => Response | Promise<Response>) | "lost" | "late"
  /** How late a `"late"` answer is, in milliseconds. @default 200 */
  readonly lateMs?: number
}

const STATUS_AFTER: Readonly<Record<string, string>> = {
  approve: "approved",
  reject: "rejected",
  revoke: "revoked",
  suspend: "suspended",
}

const errorBody = (status: number, error: string, description: string, extra: Record<string, unknown> = {}) =>
  Response.json({ error, error_description: description, ...extra }, { status })

export const makeFake = () => {
  let clock = 1_700_000_000_000
  let counter = 0
  let requestIds = 0
  const items = new Map<string, Item>()
  const collections = new Map<string, Array<string>>()
  const idempotency = new Map<
    string,
    { body: string; status: number; payload: unknown; headers: Record<string, string> }
  >()
  const sent: Array<Sent> = []
  const faults: Array<Fault> = []
  const counts = { me: 0, applied: 0 }
  /** Credentials accepted as `Authorization`; everything is when empty. */
  const accepted = new Set<string>()
  let me = { type: "api_key", accounts: [{ account_id: ACCOUNT, org_id: null, scopes: ["admin"] }] }

  const etagOf = (item: Item) => `"${item.updated_at}"`
  const withEtag = (item: Item) => ({ headers: { etag: etagOf(item) } })

  const parentsOf = (params: Record<string, string>) =>
    Object.fromEntries(Object.entries(params).filter(([name]) => name !== "account_id"))

  /** Stores `item` at its item path and in front of its collection. */
  const put = (collection: string, itemPath: string, item: Item) => {
    items.set(itemPath, item)
    const list = collections.get(collection) ?? []
    if (!list.includes(itemPath)) list.unshift(itemPath)
    collections.set(collection, list)
  }

  const paths = (spec: ResourceSpec, params: Record<string, string>, id?: string) => ({
    collection: fillPath(`${ACCOUNT_PATH}${spec.path}`, params),
    item: id === undefined ? "" : fillPath(`${ACCOUNT_PATH}${itemPathOf(spec)}`, { ...params, [spec.id]: id }),
  })

  /** Adds an item directly, as if created: `seed("users", { issuer_id: "i_1" }, { status: "active" })`. */
  const seed = (name: ResourceName, parents: Record<string, string>, fields: Record<string, unknown> = {}): Item => {
    const spec: ResourceSpec = RESOURCES[name]
    const params = { account_id: ACCOUNT, ...parents }
    const id = typeof fields.id === "string" ? fields.id : `${spec.prefix}${String(++counter).padStart(25, "0")}`
    clock += 1
    const item: Item = {
      ...spec.defaults,
      ...parentsOf(params),
      ...fields,
      id,
      created_at: clock,
      updated_at: clock,
    }
    const at = paths(spec, params, id)
    // Sessions are listed per user and read per issuer: both paths lead to the item.
    put(at.collection, at.item, item)
    return item
  }

  const conditional = (request: Request, item: Item): Response | undefined => {
    const ifMatch = request.headers.get("if-match")
    return ifMatch === null || ifMatch === etagOf(item) ? undefined : errorBody(
      412,
      "precondition_failed",
      "The resource has been modified since the provided ETag",
      { currentETag: etagOf(item), retryable: false },
    )
  }

  const notFound = () => errorBody(404, "not_found", "No such resource")

  const listOf = (spec: ResourceSpec, params: Record<string, string>, query: Record<string, unknown>) => {
    const { collection } = paths(spec, params)
    let all = (collections.get(collection) ?? []).map((path) => items.get(path)!).filter((item) => item !== undefined)
    for (const [name, filter] of Object.entries(spec.filters ?? {})) {
      const value = query[name]
      if (typeof value !== "string") continue
      const field = filter.field ?? name
      all = all.filter((item) => {
        switch (filter.kind) {
          case "string":
            return item[field] === value
          case "boolean":
            return String(item[field]) === value
          case "list":
            return value.split(",").some((one) =>
              Array.isArray(item[field]) ? (item[field] as Array<unknown>).includes(one) : item[field] === one
            )
          case "after":
            return item.created_at > Number(value)
          case "before":
            return item.created_at < Number(value)
        }
      })
    }
    const start = typeof query.cursor === "string" ? all.findIndex((item) => item.id === query.cursor) + 1 : 0
    const limit = typeof query.limit === "number" ? query.limit : DEFAULT_PAGE_SIZE
    const data = all.slice(start, start + limit)
    const hasMore = start + limit < all.length
    return { data, has_more: hasMore, next_cursor: hasMore ? data[data.length - 1].id : null }
  }

  const tableRoutes = (): Array<Route> =>
    AuthPIApi.all.flatMap((endpoint) => {
      const [name, operation] = endpoint.name.split(".") as [ResourceName, string]
      const spec: ResourceSpec | undefined = RESOURCES[name]
      if (spec === undefined || operation === undefined) return []
      return [handle(endpoint, (input, { request }) => {
        const { params = {}, query = {}, payload } = input as {
          params?: Record<string, string>
          query?: Record<string, unknown>
          payload?: Record<string, unknown>
        }
        const id = params[spec.id]
        const at = paths(spec, params, id)
        const found = items.get(at.item)
        switch (operation) {
          case "list":
            return ok(listOf(spec, params, query))
          case "create": {
            counts.applied += 1
            const item = seed(name, parentsOf(params), payload)
            return ok({ data: item }, { status: 201, ...withEtag(item) })
          }
          case "get":
            return found === undefined ? notFound() : ok({ data: found }, withEtag(found))
          case "update": {
            if (found === undefined) return notFound()
            const refused = conditional(request, found)
            if (refused !== undefined) return refused
            counts.applied += 1
            clock += 1
            const item = { ...found, ...payload, id: found.id, created_at: found.created_at, updated_at: clock }
            items.set(at.item, item)
            return ok({ data: item }, withEtag(item))
          }
          case "delete": {
            if (found === undefined) return notFound()
            const refused = conditional(request, found)
            if (refused !== undefined) return refused
            counts.applied += 1
            items.delete(at.item)
            return ok(undefined, { status: 204 })
          }
          default: {
            const action = spec.actions?.[operation]
            if (action?.on === "collection") {
              const all = listOf(spec, params, { ...query, limit: 100 }).data
              const byType: Record<string, number> = {}
              for (const item of all) byType[String(item.type)] = (byType[String(item.type)] ?? 0) + 1
              return ok({ data: { total: all.length, by_type: byType } } as never)
            }
            if (found === undefined) return notFound()
            counts.applied += 1
            clock += 1
            const item = {
              ...found,
              status: STATUS_AFTER[operation] ?? found.status,
              last_action: operation,
              updated_at: clock,
            }
            items.set(at.item, item)
            return ok({ data: item }, withEtag(item))
          }
        }
      })]
    })

  const account = (id: string) => ({ id, name: "Test account", created_at: 1, updated_at: 1 })

  const rootRoutes: Array<Route> = [
    handle(AuthPIApi.all.find((e) => e.name === "me")!, () => {
      counts.me += 1
      return ok({ data: me })
    }),
    handle(
      AuthPIApi.all.find((e) => e.name === "accounts.list")!,
      () => ok({ data: [account(ACCOUNT)], has_more: false, next_cursor: null }),
    ),
    handle(
      AuthPIApi.all.find((e) => e.name === "accounts.get")!,
      (input) => ok({ data: account((input as { params: { account_id: string } }).params.account_id) }),
    ),
    handle(AuthPIApi.all.find((e) => e.name === "accounts.update")!, (input) => {
      const { params, payload } = input as { params: { account_id: string }; payload: Record<string, unknown> }
      return ok({ data: { ...account(params.account_id), ...payload, updated_at: 2 } }, { headers: { etag: '"2"' } })
    }),
  ]

  const router = makeRouter(AuthPIApi, [...rootRoutes, ...tableRoutes(), ...documentRoutes(AuthPIApi)], {
    authorize: (_, { request }) => {
      const credential = request.headers.get("authorization")
      if (credential === null) return errorBody(401, "invalid_token", "No credential")
      return accepted.size === 0 || accepted.has(credential)
        ? undefined
        : errorBody(401, "invalid_token", "The credential is not valid")
    },
    error: (status, message) => errorBody(status, status === 400 ? "invalid_request" : "not_found", message),
  })

  /** Replays an `Idempotency-Key` seen before with the same body; serves and remembers a new one. */
  const serve = async (request: Request): Promise<Response> => {
    const key = request.method === "POST" ? request.headers.get("idempotency-key") : null
    const body = await request.clone().text()
    const known = key === null ? undefined : idempotency.get(key)
    if (known !== undefined) {
      if (known.body !== body) {
        return errorBody(422, "invalid_request", "Idempotency-Key already used with another body")
      }
      return new Response(JSON.stringify(known.payload), {
        status: known.status,
        headers: { ...known.headers, "idempotent-replayed": "true" },
      })
    }
    const { response } = await router(request, new URL(request.url).pathname, BASE_URL)
    if (key !== null && response.ok) {
      idempotency.set(key, {
        body,
        status: response.status,
        payload: await response.clone().json(),
        headers: Object.fromEntries(response.headers),
      })
    }
    return response
  }

  const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init)
    const body = request.method === "GET" || request.method === "HEAD" ? "" : await request.clone().text()
    sent.push({ method: request.method, url: new URL(request.url), headers: Object.fromEntries(request.headers), body })
    const fault = faults.find((f) => (f.times ?? 1) > 0 && (f.match?.(request) ?? true))
    if (fault !== undefined) fault.times = (fault.times ?? 1) - 1
    if (fault !== undefined && fault.respond === "lost") {
      await serve(request)
      throw new TypeError("connection reset by peer")
    }
    if (fault !== undefined && fault.respond === "late") {
      const served = await serve(request)
      await new Promise((resolve) => setTimeout(resolve, fault.lateMs ?? 200))
      return served
    }
    const response = fault !== undefined && typeof fault.respond === "function"
      ? await fault.respond(request)
      : await serve(request)
    const headers = new Headers(response.headers)
    if (!headers.has("x-request-id")) headers.set("x-request-id", `req_${++requestIds}`)
    return new Response(response.body, { status: response.status, headers })
  }) as typeof globalThis.fetch

  const http: Layer.Layer<HttpClient.HttpClient> = fetchLayer(fetch)

  return {
    fetch,
    http,
    sent,
    counts,
    accepted,
    seed,
    items,
    /** Answers the next matching requests as scripted. */
    fault: (fault: Fault) => faults.push(fault),
    setMe: (value: typeof me) => (me = value),
    /** The requests to paths ending with `suffix` (method too, when given). */
    to: (suffix: string, method?: string) =>
      sent.filter((s) => s.url.pathname.endsWith(suffix) && (method === undefined || s.method === method)),
    /** An `AuthPI` layer over this server. */
    layer: (options: AuthPICredentialOptions = { apiKey: "key_test", accountId: ACCOUNT }) =>
      AuthPI.layer({ baseUrl: BASE_URL, ...options }).pipe(Layer.provide(http)),
    /** Runs `program` with an `AuthPI` over this server. */
    run: <A, E>(
      program: Effect.Effect<A, E, AuthPI>,
      options?: AuthPICredentialOptions,
    ): Promise<A> =>
      Effect.runPromise(
        program.pipe(
          Effect.provide(
            AuthPI.layer({ baseUrl: BASE_URL, ...(options ?? { apiKey: "key_test", accountId: ACCOUNT }) }),
          ),
          Effect.provide(http),
        ),
      ),
  }
}

export type Fake = ReturnType<typeof makeFake>
