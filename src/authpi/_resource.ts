// The resource objects, built from a row of the table at run time: its operations and actions as
// methods over the pipeline, each checking its arguments before any request.
import { Effect, Stream } from "effect"
import type { ApiClient, CallOptions } from "../core/client.ts"
import type { Endpoint } from "../core/endpoint.ts"
import { AuthPIApi, MAX_PAGE_SIZE } from "./contract.ts"
import {
  asCreateError,
  asReadError,
  type AuthPIError,
  invalidArgument,
  type ReadError,
  type ValidationError,
} from "./errors.ts"
import { allPages, type Page, pageOf, type WirePage } from "./page.ts"
import type { Action, Filter, Operation } from "./resources.ts"

/** Path parameters, filled as the scopes are entered: `{ account_id, issuer_id }`. */
export type Params = Readonly<Record<string, string>>

/** What the factory reads of a row (the `accounts` root has one too). */
export interface Row {
  readonly operations: ReadonlyArray<Operation>
  /** The item's id parameter: `user_id`. */
  readonly id: string
  readonly filters?: Readonly<Record<string, Filter>> | undefined
  readonly actions?: Readonly<Record<string, Action>> | undefined
}

/** The pipeline of the AuthPI client. */
export type Client = ApiClient<AuthPIError>

type Method = (...args: ReadonlyArray<never>) => unknown

const ENDPOINTS: ReadonlyMap<string, Endpoint> = new Map(AuthPIApi.all.map((endpoint) => [endpoint.name, endpoint]))

/** The endpoint named `name` (`users.list`). */
export const endpointNamed = (name: string): Endpoint => {
  const endpoint = ENDPOINTS.get(name)
  if (endpoint === undefined) throw new Error(`AuthPIApi has no endpoint ${name}`)
  return endpoint
}

/** What every method's body is checked against: a plain object. */
const isRecord = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

// URL normalisation would turn these into another path.
const DOT_SEGMENTS: ReadonlySet<string> = new Set([".", ".."])

/** `parents` and the id `name`, once the id is known to be usable. */
export const withId = <E>(
  parents: Effect.Effect<Params, E>,
  name: string,
  id: unknown,
): Effect.Effect<Params, E | ValidationError> =>
  typeof id !== "string" || id.trim() === "" || DOT_SEGMENTS.has(id)
    ? Effect.fail(invalidArgument(name, "must be a non-empty id"))
    : Effect.map(parents, (params) => ({ ...params, [name]: id }))

// A header value: printable ASCII, no line breaks.
const HEADER_VALUE = /^[\x20-\x7e]+$/

/** The headers of a write: its `Idempotency-Key` (given or generated) and `If-Match`. */
const writeHeaders = (
  options: unknown,
  keyed: "always" | "conditional",
): Effect.Effect<Record<string, string>, ValidationError> => {
  if (options !== undefined && !isRecord(options)) return Effect.fail(invalidArgument("options", "must be an object"))
  const { idempotencyKey, ifMatch } = (options ?? {}) as { idempotencyKey?: unknown; ifMatch?: unknown }
  const headers: Record<string, string> = {}
  if (ifMatch !== undefined) {
    if (typeof ifMatch !== "string" || !HEADER_VALUE.test(ifMatch)) {
      return Effect.fail(invalidArgument("ifMatch", "must be an ETag, as a result's _etag"))
    }
    headers["if-match"] = ifMatch
  }
  if (idempotencyKey !== undefined) {
    if (typeof idempotencyKey !== "string" || idempotencyKey.length > 256 || !HEADER_VALUE.test(idempotencyKey)) {
      return Effect.fail(invalidArgument("idempotencyKey", "must be 1 to 256 printable ASCII characters"))
    }
    headers["idempotency-key"] = idempotencyKey
  } else if (keyed === "always" || ifMatch !== undefined) {
    headers["idempotency-key"] = crypto.randomUUID()
  }
  return Effect.succeed(headers)
}

const checkBody = (body: unknown): Effect.Effect<Readonly<Record<string, unknown>>, ValidationError> =>
  isRecord(body) ? Effect.succeed(body) : Effect.fail(invalidArgument("body", "must be an object"))

const unixMillis = (value: unknown): string | undefined => {
  const millis = value instanceof Date ? value.getTime() : value
  return typeof millis === "number" && Number.isSafeInteger(millis) && millis >= 0 ? String(millis) : undefined
}

const FILTER_VALUE: Readonly<Record<Filter["kind"], (value: unknown) => string | undefined>> = {
  string: (value) => typeof value === "string" && value !== "" ? value : undefined,
  boolean: (value) => typeof value === "boolean" ? String(value) : undefined,
  list: (value) => {
    const items = typeof value === "string" ? [value] : Array.isArray(value) ? value : []
    return items.length > 0 && items.every((item) => typeof item === "string" && item !== "" && !item.includes(","))
      ? items.join(",")
      : undefined
  },
  after: unixMillis,
  before: unixMillis,
}

const FILTER_EXPECTS: Readonly<Record<Filter["kind"], string>> = {
  string: "must be a non-empty string",
  boolean: "must be true or false",
  list: "must be a non-empty string or array of strings without commas",
  after: "must be Unix milliseconds or a Date",
  before: "must be Unix milliseconds or a Date",
}

/**
 * The query of a list (or of a collection's GET action when `paging` is false): `limit` and
 * `cursor` checked, each filter the row has encoded by its kind; anything else refused.
 */
const queryOf = (
  noun: string,
  filters: Readonly<Record<string, Filter>>,
  options: unknown,
  paging: boolean,
): Effect.Effect<Record<string, unknown>, ValidationError> => {
  if (options !== undefined && !isRecord(options)) return Effect.fail(invalidArgument("options", "must be an object"))
  const query: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(options ?? {})) {
    if (value === undefined) continue
    if (paging && name === "limit") {
      if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > MAX_PAGE_SIZE) {
        return Effect.fail(invalidArgument("limit", `must be an integer from 1 to ${MAX_PAGE_SIZE}`))
      }
      query.limit = value
    } else if (paging && name === "cursor") {
      if (typeof value !== "string" || value === "") {
        return Effect.fail(invalidArgument("cursor", "must be a page's nextCursor"))
      }
      query.cursor = value
    } else if (!Object.hasOwn(filters, name)) {
      const known = Object.keys(filters)
      return Effect.fail(
        invalidArgument(
          name,
          `is not a filter of ${noun}${known.length === 0 ? "" : ` (filters: ${known.join(", ")})`}`,
        ),
      )
    } else {
      const { kind } = filters[name]
      const encoded = FILTER_VALUE[kind](value)
      if (encoded === undefined) return Effect.fail(invalidArgument(name, FILTER_EXPECTS[kind]))
      query[name] = encoded
    }
  }
  return Effect.succeed(query)
}

/** A single resource's `{ data }`, with `_etag` from the answer's `ETag` when it has one. */
const single = (answer: { readonly value: unknown; readonly headers: Readonly<Record<string, string>> }) => {
  const data = (answer.value as { readonly data: Readonly<Record<string, unknown>> }).data
  const etag = answer.headers["etag"]
  return etag === undefined ? data : { ...data, _etag: etag }
}

type Input = { readonly params?: Params; readonly query?: unknown; readonly payload?: unknown }

const send = (client: Client, endpoint: Endpoint, input: Input, options?: CallOptions) =>
  client.exchange(endpoint, input as never, options)

/** A read of one item (a `get`, a scope's `get()`, an item's GET action). */
export const readOne = (
  client: Client,
  endpoint: Endpoint,
  params: Effect.Effect<Params, ReadError>,
): Effect.Effect<unknown, ReadError> =>
  Effect.flatMap(
    params,
    (params) => Effect.mapError(Effect.map(send(client, endpoint, { params }), single), asReadError),
  )

/** The object of resource `name` (`users`) under `parents`: its row's operations and actions as methods. */
export const makeResource = (
  client: Client,
  name: string,
  row: Row,
  parents: Effect.Effect<Params, ReadError>,
): Readonly<Record<string, Method>> => {
  const filters = row.filters ?? {}
  const endpoint = (operation: string) => endpointNamed(`${name}.${operation}`)
  const item = (id: unknown) => withId(parents, row.id, id)

  const write = (
    operation: string,
    params: Effect.Effect<Params, ReadError>,
    body: unknown,
    options: unknown,
    keyed: "always" | "conditional",
  ) => {
    const target = endpoint(operation)
    return Effect.flatMap(
      Effect.all([params, body === undefined ? Effect.void : checkBody(body), writeHeaders(options, keyed)]),
      ([params, payload, headers]) => {
        const sent = Effect.map(
          send(client, target, { params, payload }, { headers }),
          (answer) => target.method === "DELETE" ? undefined : single(answer),
        )
        // A POST sends no If-Match: a 412 to it is unexpected.
        return target.method === "POST" ? Effect.mapError(sent, asCreateError) : sent
      },
    )
  }

  const list = (options?: unknown): Effect.Effect<Page<unknown>, ReadError> =>
    Effect.flatMap(
      Effect.all([parents, queryOf(name, filters, options, true)]),
      ([params, query]) =>
        Effect.mapError(
          Effect.map(
            send(client, endpoint("list"), { params, query }),
            (answer) => pageOf(answer.value as WirePage<unknown>),
          ),
          asReadError,
        ),
    )

  const operations: Readonly<Record<Operation, Readonly<Record<string, Method>>>> = {
    list: {
      list,
      listAll: (options?: unknown) => {
        if (options !== undefined && !isRecord(options)) {
          return Stream.fail(invalidArgument("options", "must be an object"))
        }
        const given = options ?? {}
        return allPages(given.cursor as string | undefined, (cursor) => list({ ...given, cursor }))
      },
    },
    create: { create: (body: unknown, options?: unknown) => write("create", parents, body ?? null, options, "always") },
    get: { get: (id: unknown) => readOne(client, endpoint("get"), item(id)) },
    update: {
      update: (id: unknown, body: unknown, options?: unknown) =>
        write("update", item(id), body ?? null, options, "conditional"),
    },
    delete: {
      delete: (id: unknown, options?: unknown) => write("delete", item(id), undefined, options, "conditional"),
    },
  }

  const action = (key: string, act: Action): Method => {
    const target = endpoint(key)
    if (act.method === "GET") {
      return act.on === "item"
        ? (id: unknown) => readOne(client, target, item(id))
        : (filters?: unknown) =>
          Effect.flatMap(
            Effect.all([parents, queryOf(name, row.filters ?? {}, filters, false)]),
            ([params, query]) =>
              Effect.mapError(Effect.map(send(client, target, { params, query }), single), asReadError),
          )
    }
    // A POST: `(id?, body?, options?)`, the body only when the action takes one.
    return (...args: ReadonlyArray<unknown>) => {
      const rest = act.on === "item" ? args.slice(1) : args
      const [body, options] = act.payload === undefined ? [undefined, rest[0]] : [rest[0] ?? null, rest[1]]
      return write(key, act.on === "item" ? item(args[0]) : parents, body, options, "always")
    }
  }

  return Object.assign(
    {},
    ...row.operations.map((operation) => operations[operation]),
    Object.fromEntries(Object.entries(row.actions ?? {}).map(([key, act]) => [key, action(key, act)])),
  )
}
