/**
 * Serving an API from its definition (the mocks, and the API-keys HTTP server): each endpoint gets
 * one handler, and the router matches the path (the most specific wins), answers 405 with `Allow`
 * for a wrong method and 404 for an unknown path (both in the API's own error shape), checks the
 * caller, decodes the path parameters, query and body with the endpoint's schemas (400 when they do
 * not decode, or nest too deep; 413 past {@linkcode MAX_BODY_BYTES}), and encodes the handler's
 * answer with its success schema.
 *
 * It is the mock server's hot path: the routes are compiled once (grouped by segment count, the
 * most specific first), nothing is parsed twice, and an answer is one `Response` of a string.
 *
 * @module
 */
import { Result, Schema } from "effect"
import type { AnyApi, Codec, documentEndpoints, Endpoint, Input, Success } from "./endpoint.ts"
import { openApiDocument, toYaml } from "./openapi.ts"

/** A success, encoded by the router with the endpoint's success schema. */
export interface Ok<A> {
  readonly _tag: "Ok"
  readonly value: A
  /** @default the endpoint's `successStatus`, else 200 */
  readonly status?: number | undefined
  readonly headers?: Readonly<Record<string, string>> | undefined
}

/** A success answer of `value`. */
export const ok = <A>(
  value: A,
  init: { readonly status?: number; readonly headers?: Readonly<Record<string, string>> } = {},
): Ok<A> => ({ _tag: "Ok", value, ...init })

/** What a handler answers: a success to encode, or a response it built (an error in the API's shape). */
export type Reply<A> = Ok<A> | Response

/** The request a handler answers, and where the caller reached the API. */
export interface MockRequest {
  readonly request: Request
  readonly url: URL
  /** The API's base URL as the caller reached it (`http://127.0.0.1:4010/puid/api`): documents link to it. */
  readonly baseUrl: string
}

type Answer<A> = Reply<A> | Promise<Reply<A>>

/** One endpoint's handler, as the router runs it. */
export interface Route {
  readonly endpoint: Endpoint
  /** Answers with the decoded input, or with the reason it did not decode. */
  readonly run: (input: Result.Result<unknown, string>, context: MockRequest) => Answer<unknown>
}

/**
 * The handler of `endpoint`: it runs only on input that decodes (else the router answers the API's
 * 400 first).
 */
export const handle = <const P extends Endpoint>(
  endpoint: P,
  handler: (input: Input<P>, context: MockRequest) => Answer<Success<P>>,
): Route => ({
  endpoint,
  run: (input, context) => Result.isSuccess(input) ? handler(input.success as Input<P>, context) : badInput(input),
})

// Marks a 400 the router builds with the API's error shape.
const BAD_INPUT = Symbol("bad input")
const badInput = (input: Result.Failure<unknown, string>) =>
  Object.assign(new Response(null, { status: 400 }), { [BAD_INPUT]: input.failure })

/**
 * The handler of `endpoint` that decides for itself when a bad input is refused: the API checks
 * the credential or a rate limit first.
 */
export const handleRaw = <const P extends Endpoint>(
  endpoint: P,
  handler: (input: Result.Result<Input<P>, string>, context: MockRequest) => Answer<Success<P>>,
): Route => ({ endpoint, run: handler as Route["run"] })

/**
 * The routes of an API's own OpenAPI document (the `documentEndpoints` it spreads into its
 * definition): JSON and YAML, their `servers` the base URL the caller reached.
 */
export const documentRoutes = (api: AnyApi): ReadonlyArray<Route> => {
  const find = (name: keyof typeof documentEndpoints) => {
    const endpoint = api.all.find((e) => e.name === name)
    if (endpoint === undefined) throw new Error(`${api.name}: spread documentEndpoints into its definition`)
    return endpoint
  }
  return [
    handle(find("openApiJson"), (_, { baseUrl }) => ok(openApiDocument(api, baseUrl))),
    handle(find("openApiYaml"), (_, { baseUrl }) => ok(toYaml(openApiDocument(api, baseUrl)))),
  ]
}

/** The statuses the router answers by itself, in the API's error shape. */
export type RouterStatus = 400 | 404 | 405 | 413 | 431 | 500

/** How an API's server words the errors the router answers by itself, and who may call what. */
export interface RouterErrors {
  /**
   * Checks the caller against the endpoint's `security` before its input is read: a response (the
   * API's 401 or 403) refuses the call, `undefined` lets it through. @default every call goes through
   */
  readonly authorize?: ((endpoint: Endpoint, context: MockRequest) => Response | undefined) | undefined
  /**
   * The API's error answer for `status`: 400 bad input, 404 unknown path, 405 wrong method, 413 a
   * body too large, 431 headers too large, 500 a mock bug.
   */
  readonly error: (status: RouterStatus, message: string, context: MockRequest) => Response
  /** Headers on every answer the router encodes (`cache-control: no-store`, a request id). */
  readonly headers?: (() => Readonly<Record<string, string>>) | undefined
}

/** What the router did with a request: its answer, and the operation it reached (none for 404/405). */
export interface Routed {
  readonly response: Response
  readonly operation: string | undefined
}

/**
 * A compiled router: `path` is the request's path below the API's base URL; `url` is the request's
 * URL when the caller has parsed it already.
 */
export interface Router {
  (request: Request, path: string, baseUrl: string, url?: URL): Promise<Routed>
  /** The API's own error answer for `status`, for a refusal decided before routing (431 headers too large). */
  readonly refuse: (status: RouterStatus, message: string, request: Request, baseUrl: string) => Response
  /** The endpoint a request with `method` for `path` (below the base URL) reaches, as routing finds it. */
  readonly endpointAt: (method: string, path: string) => Endpoint | undefined
}

interface Compiled {
  readonly route: Route
  readonly segments: ReadonlyArray<{ readonly literal: string } | { readonly param: string }>
  readonly query: ((value: unknown) => Result.Result<unknown, string>) | undefined
  readonly params: ((value: unknown) => Result.Result<unknown, string>) | undefined
  readonly payload: ((value: unknown) => Result.Result<unknown, string>) | undefined
  readonly encode: (value: unknown) => unknown
}

const decoder = (schema: Codec | undefined, excess: "error" | "ignore", what: string) => {
  if (schema === undefined) return undefined
  const decode = Schema.decodeUnknownResult(schema, { onExcessProperty: excess })
  return (value: unknown): Result.Result<unknown, string> =>
    Result.mapError(decode(value), (error) => `Invalid ${what}: ${error.message}`)
}

const compile = (route: Route, excess: "error" | "ignore"): Compiled => ({
  route,
  segments: route.endpoint.path.split("/").filter((s) => s !== "").map((segment) =>
    segment.startsWith("{") && segment.endsWith("}") ? { param: segment.slice(1, -1) } : { literal: segment }
  ),
  params: decoder(route.endpoint.params, "ignore", "path"),
  query: decoder(route.endpoint.query, "ignore", "query"),
  payload: decoder(route.endpoint.payload, excess, "body"),
  encode: Schema.encodeUnknownSync(route.endpoint.success),
})

/** The path parameters of `segments` on `compiled`'s path, or `undefined` when it is another path. */
const matchPath = (compiled: Compiled, segments: ReadonlyArray<string>): Record<string, string> | undefined => {
  if (compiled.segments.length !== segments.length) return undefined
  const params: Record<string, string> = {}
  for (let i = 0; i < segments.length; i++) {
    const expected = compiled.segments[i]
    if ("literal" in expected) {
      if (expected.literal !== segments[i]) return undefined
    } else {
      params[expected.param] = segments[i]
    }
  }
  return params
}

/** Higher for more literal segments, earlier ones weighing most: `/keys/verify` over `/keys/{id}`. */
const specificity = (entry: Compiled): number =>
  entry.segments.reduce((score, segment, i) => score + ("literal" in segment ? 2 ** (16 - i) : 0), 0)

const decodeSegment = (segment: string): string | undefined => {
  if (!segment.includes("%")) return segment
  try {
    return decodeURIComponent(segment)
  } catch {
    return undefined
  }
}

const NULL_BODY_STATUSES: ReadonlySet<number> = new Set([204, 205, 304])

const JSON_TYPE = { "content-type": "application/json" } as const

/** Sets each of `headers` on `response`. */
const setHeaders = (response: Response, headers: Readonly<Record<string, string>>): void => {
  for (const name in headers) response.headers.set(name, headers[name])
}

/**
 * A response of `body`, `status` and `headers`. The headers are set one by one on the built
 * response, and a 200 is built without an init: on Deno that costs a fraction of converting an
 * init's header record (7 µs of server CPU a request, measured with three headers).
 */
export const respond = (
  body: BodyInit | null,
  status: number,
  headers?: Readonly<Record<string, string>> | undefined,
): Response => {
  const response = status === 200 ? new Response(body) : new Response(body, { status })
  if (headers !== undefined) setHeaders(response, headers)
  return response
}

/** A JSON response of `value` (see {@linkcode respond}). */
export const respondJson = (
  value: unknown,
  status: number,
  headers?: Readonly<Record<string, string>> | undefined,
): Response => {
  const response = respond(JSON.stringify(value), status, JSON_TYPE)
  if (headers !== undefined) setHeaders(response, headers)
  return response
}

/**
 * The largest request body the router reads, in bytes: past it the answer is the API's 413, before
 * (`Content-Length`) or while (a chunked body) the body is read, so a hostile body never lands in memory whole.
 */
export const MAX_BODY_BYTES = 1_048_576

/** Marks a body past {@linkcode MAX_BODY_BYTES}. */
export const TOO_LARGE: unique symbol = Symbol("too large")

/**
 * The body's text, `TOO_LARGE` past {@linkcode MAX_BODY_BYTES} (read no further), or `undefined`
 * when it could not be read.
 */
export const readText = async (request: Request): Promise<string | typeof TOO_LARGE | undefined> => {
  const length = request.headers.get("content-length")
  if (length !== null) {
    return Number(length) > MAX_BODY_BYTES ? TOO_LARGE : request.text().catch(() => undefined)
  }
  if (request.body === null) return ""
  const reader = request.body.getReader()
  const chunks: Array<Uint8Array> = []
  let size = 0
  try {
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
      size += read.value.byteLength
      if (size > MAX_BODY_BYTES) {
        void reader.cancel().catch(() => {})
        return TOO_LARGE
      }
      chunks.push(read.value)
    }
  } catch {
    return undefined
  }
  const bytes = new Uint8Array(size)
  let at = 0
  for (const chunk of chunks) {
    bytes.set(chunk, at)
    at += chunk.byteLength
  }
  return new TextDecoder().decode(bytes)
}

/** The body of `request` as the endpoint reads it: JSON, or a form (which also accepts JSON). */
const readBody = async (
  request: Request,
  type: "json" | "form" | undefined,
): Promise<Result.Result<unknown, string> | typeof TOO_LARGE> => {
  const text = await readText(request)
  if (text === TOO_LARGE) return text
  if (text === undefined) return Result.fail("The request body could not be read")
  const isJson = type !== "form" || (request.headers.get("content-type") ?? "").includes("application/json")
  if (!isJson) return Result.succeed(Object.fromEntries(new URLSearchParams(text)))
  if (text.trim() === "") return Result.succeed(undefined)
  if (nestingOf(text) > MAX_JSON_DEPTH) {
    return Result.fail(`The request body nests deeper than ${MAX_JSON_DEPTH} levels`)
  }
  try {
    return Result.succeed(JSON.parse(text))
  } catch {
    return Result.fail("The request body is not JSON")
  }
}

/**
 * The deepest a request body may nest. Deeper JSON is refused before it is parsed: a handler that
 * walks it (a schema, `structuredClone`, `JSON.stringify`) would overflow the stack after a write.
 */
export const MAX_JSON_DEPTH = 64

/** How deep `text`'s brackets nest, outside strings (an upper bound for malformed JSON). */
export const nestingOf = (text: string): number => {
  let depth = 0
  let deepest = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 92) i++ // a backslash escapes the next character
      else if (c === 34) inString = false
    } else if (c === 34) inString = true
    else if (c === 123 || c === 91) deepest = Math.max(deepest, ++depth)
    else if (c === 125 || c === 93) depth--
  }
  return deepest
}

/**
 * The query's parameters as an object, the last of a repeated name kept: what
 * `Object.fromEntries(url.searchParams)` answers. A query with nothing to decode (no `%`, no `+`)
 * is split as it is, which costs a fraction of walking `URLSearchParams` (7% of a PUID request's
 * server time on Deno).
 */
const queryOf = (url: URL): Record<string, string> => {
  const search = url.search
  if (search.length <= 1) return {}
  if (search.includes("%") || search.includes("+")) return Object.fromEntries(url.searchParams)
  const pairs: Array<[string, string]> = []
  for (const pair of search.slice(1).split("&")) {
    if (pair === "") continue
    const at = pair.indexOf("=")
    pairs.push(at < 0 ? [pair, ""] : [pair.slice(0, at), pair.slice(at + 1)])
  }
  return Object.fromEntries(pairs)
}

const all = (
  results: ReadonlyArray<Result.Result<unknown, string> | undefined>,
): Result.Result<Array<unknown>, string> => {
  const values: Array<unknown> = []
  for (const result of results) {
    if (result !== undefined && Result.isFailure(result)) return Result.fail(result.failure)
    values.push(result === undefined ? undefined : result.success)
  }
  return Result.succeed(values)
}

/** The answer to HEAD: GET's status and headers, its body's length, no body. */
const headOf = async (response: Response): Promise<Response> => {
  const headers = new Headers(response.headers)
  if (response.body !== null) headers.set("content-length", String((await response.arrayBuffer()).byteLength))
  return new Response(null, { status: response.status, headers })
}

/**
 * Compiles `api`'s routes. Every endpoint of the definition needs exactly one route, and every
 * route an endpoint of it: a mock that serves what its document does not list, or the reverse,
 * fails here.
 */
export const makeRouter = (api: AnyApi, routes: ReadonlyArray<Route>, errors: RouterErrors): Router => {
  const routed = new Set(routes.map((route) => route.endpoint.name))
  const missing = api.all.filter((endpoint) => !routed.has(endpoint.name)).map((e) => e.name)
  const unknown = routes.filter((route) => !api.all.includes(route.endpoint)).map((r) => r.endpoint.name)
  if (missing.length > 0 || unknown.length > 0 || routed.size !== routes.length) {
    throw new Error(`${api.name} mock: routes without handlers [${missing}], handlers without routes [${unknown}]`)
  }
  // The routes of one path share a pattern; the most specific pattern that matches wins, so a
  // literal segment beats a parameter (`/keys/verify` before `/keys/{id}`) whatever the method.
  const patterns = new Map<string, Array<Compiled>>()
  for (const route of routes) {
    const entry = compile(route, api.excessProperties ?? "ignore")
    const same = patterns.get(route.endpoint.path)
    if (same === undefined) patterns.set(route.endpoint.path, [entry])
    else same.push(entry)
  }
  // By segment count, so that a request is matched only against patterns of its length.
  const byLength = new Map<number, Array<Array<Compiled>>>()
  for (const pattern of [...patterns.values()].sort((a, b) => specificity(b[0]) - specificity(a[0]))) {
    const length = pattern[0].segments.length
    byLength.set(length, [...byLength.get(length) ?? [], pattern])
  }
  const headers = errors.headers

  const encode = (entry: Compiled, reply: Reply<unknown>): Response => {
    if (reply instanceof Response) return reply
    const status = reply.status ?? entry.route.endpoint.successStatus ?? 200
    const type = entry.route.endpoint.successType
    const empty = NULL_BODY_STATUSES.has(status)
    // JSON unless the answer's headers say otherwise; an endpoint's own type always.
    const response = empty
      ? respond(null, status)
      : type === undefined
      ? respond(JSON.stringify(entry.encode(reply.value)), status, JSON_TYPE)
      : respond(String(entry.encode(reply.value)), status)
    if (headers !== undefined) setHeaders(response, headers())
    if (reply.headers !== undefined) setHeaders(response, reply.headers)
    if (type !== undefined && !empty) response.headers.set("content-type", type)
    return response
  }

  const run = async (entry: Compiled, raw: Record<string, string>, context: MockRequest): Promise<Response> => {
    const params: Record<string, string> = {}
    for (const name in raw) {
      const decoded = decodeSegment(raw[name])
      if (decoded === undefined) return errors.error(400, `Malformed path parameter ${name}`, context)
      params[name] = decoded
    }
    const { endpoint } = entry.route
    const refused = errors.authorize?.(endpoint, context)
    if (refused !== undefined) return refused
    const body = entry.payload === undefined ? undefined : await readBody(context.request, endpoint.payloadType)
    if (body === TOO_LARGE) {
      return errors.error(413, `The request body is larger than ${MAX_BODY_BYTES} bytes`, context)
    }
    const decoded = all([
      entry.params?.(params),
      entry.query?.(queryOf(context.url)),
      body === undefined ? undefined : Result.flatMap(body, entry.payload!),
    ])
    const input = Result.map(decoded, ([params, query, payload]) => ({ params, query, payload }))
    const reply = await entry.route.run(input, context)
    const badInput = (reply as { [BAD_INPUT]?: string })[BAD_INPUT]
    return badInput === undefined ? encode(entry, reply) : errors.error(400, badInput, context)
  }

  /** The routes of the most specific pattern that `path` matches, with its path parameters. */
  const lookup = (path: string) => {
    const segments = path.split("/").filter((s) => s !== "")
    let params: Record<string, string> | undefined
    const pattern = byLength.get(segments.length)?.find((entries) =>
      (params = matchPath(entries[0], segments)) !== undefined
    )
    return pattern === undefined || params === undefined ? undefined : { pattern, params }
  }
  // HEAD is GET without the body (RFC 9110 §9.3.2), wherever the API serves GET.
  const entryFor = (pattern: ReadonlyArray<Compiled>, method: string) => {
    const wanted = method === "HEAD" ? "GET" : method
    return pattern.find((e) => e.route.endpoint.method === wanted)
  }

  const route = async (request: Request, path: string, baseUrl: string, url?: URL): Promise<Routed> => {
    const context: MockRequest = { request, url: url ?? new URL(request.url), baseUrl }
    const found = lookup(path)
    if (found === undefined) {
      return { response: errors.error(404, `No route ${request.method} ${path || "/"}`, context), operation: undefined }
    }
    const { pattern, params } = found
    const entry = entryFor(pattern, request.method)
    if (entry === undefined) {
      const response = errors.error(405, `${request.method} is not allowed on ${path}`, context)
      response.headers.set("allow", pattern.map((e) => e.route.endpoint.method).join(", "))
      return { response, operation: undefined }
    }
    const operation = `${api.name}.${entry.route.endpoint.name}`
    try {
      const response = await run(entry, params, context)
      return { response: request.method === "HEAD" ? await headOf(response) : response, operation }
    } catch (error) {
      const message = `The mock failed on ${operation}: ${error instanceof Error ? error.message : String(error)}`
      return { response: errors.error(500, message, context), operation }
    }
  }
  return Object.assign(route, {
    refuse: (status: RouterStatus, message: string, request: Request, baseUrl: string) =>
      errors.error(status, message, { request, url: new URL(request.url), baseUrl }),
    endpointAt: (method: string, path: string) => {
      const found = lookup(path)
      return found === undefined ? undefined : entryFor(found.pattern, method)?.route.endpoint
    },
  })
}
