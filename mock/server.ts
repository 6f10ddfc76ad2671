/**
 * The mock as a real HTTP server: every API under its own prefix on one port, plus a small
 * control API under `/__mock` (reset, clock, faults, journal). Runs on Deno, Bun and Node.
 *
 * `deno task mock [--port 4010] [--hostname 127.0.0.1]`
 *
 * @module
 */
import {
  type Fault,
  headerBytesOf,
  headersTooLarge,
  JOURNAL_LIMIT,
  type Latency,
  MAX_HEADER_BYTES,
  type Mock,
  type RequestPattern,
  statusNeedsBody,
} from "./app.ts"
import { faultJson, indexHtml, indexOf, liveIndexOf, wantsJson } from "./index_page.ts"
import { serve } from "./serve.ts"
import { controlBody, unknownField } from "./control_body.ts"
import { MAX_BODY_BYTES, MAX_JSON_DEPTH, readText, TOO_LARGE } from "../src/core/router.ts"

/** A journal query: a request pattern and how many of the most recent matches. */
type JournalQuery = RequestPattern & { readonly limit?: number | undefined }

/**
 * Options of {@linkcode serveMock}.
 *
 * @example
 * ```ts
 * import { createMock, serveMock, type ServeOptions } from "@gatehouse/sdk/mock"
 *
 * const options: ServeOptions = { port: 0, hostname: "127.0.0.1" } // any free port
 * const server = await serveMock(createMock(), options)
 * console.log(server.port > 0) // true
 * await server.close()
 * ```
 */
export interface ServeOptions {
  /** The port; `0` picks a free one. @default 4010 */
  readonly port?: number | undefined
  /** The interface to listen on. @default "127.0.0.1" */
  readonly hostname?: string | undefined
}

/**
 * A running mock server.
 *
 * @example
 * ```ts
 * import { createMock, type MockServer, serveMock } from "@gatehouse/sdk/mock"
 *
 * const server: MockServer = await serveMock(createMock(), { port: 0 })
 * const health = await fetch(`${server.url}/__mock/health`)
 * console.log(health.status) // 200
 * await server.close()
 * ```
 */
export interface MockServer {
  /** `http://127.0.0.1:4010` */
  readonly url: string
  /** The port it listens on (the one picked, for `port: 0`). */
  readonly port: number
  /** Stops the server. */
  readonly close: () => Promise<void>
}

type Handler = (request: Request) => Promise<Response>

const isStatus = (value: unknown) => Number.isInteger(value) && (value as number) >= 200 && (value as number) <= 599
const isCount = (value: unknown, max: number) =>
  Number.isInteger(value) && (value as number) >= 0 && (value as number) <= max
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
const MAX_DELAY_MS = 3_600_000

/** A regular expression from `source`, or why not. */
const regExpOf = (field: string, source: unknown): RegExp | string => {
  if (typeof source !== "string" || source === "") return `${field} must be a regular expression`
  try {
    return new RegExp(source)
  } catch {
    return `${field} is not a valid regular expression`
  }
}

/** The request pattern of `input`'s `api`, `method`, `path` (contained) or `pathPattern` (a RegExp), `status`. */
const patternOf = (mock: Mock, input: Record<string, unknown>): RequestPattern | string => {
  if (input.api !== undefined && !mock.apis.some((api) => api.name === input.api)) {
    return `api must be one of ${mock.apis.map((api) => api.name).join(", ")}`
  }
  if (input.method !== undefined && (typeof input.method !== "string" || !HEADER_NAME.test(input.method))) {
    return "method must be an HTTP method"
  }
  if (input.path !== undefined && input.pathPattern !== undefined) return "give path or pathPattern, not both"
  if (input.path !== undefined && (typeof input.path !== "string" || input.path === "")) {
    return "path must be a string the request's path contains"
  }
  const path = input.pathPattern === undefined
    ? input.path as string | undefined
    : regExpOf("pathPattern", input.pathPattern)
  if (typeof path === "string" && input.pathPattern !== undefined) return path
  if (input.status !== undefined && !isStatus(input.status)) return "status must be an integer from 200 to 599"
  return {
    api: input.api as string | undefined,
    method: input.method as string | undefined,
    path,
    status: input.status as number | undefined,
  }
}

/** `delayMs`: milliseconds, or a `[min, max]` range. */
const latencyOf = (value: unknown): Latency | string => {
  if (isCount(value, MAX_DELAY_MS)) return value as number
  if (
    Array.isArray(value) && value.length === 2 && value.every((v) => isCount(v, MAX_DELAY_MS)) && value[0] <= value[1]
  ) {
    return [value[0], value[1]]
  }
  return `delayMs must be an integer from 0 to ${MAX_DELAY_MS}, or a range [min, max]`
}

const FAULT_FIELDS = [
  "api",
  "method",
  "path",
  "pathPattern",
  "status",
  "body",
  "headers",
  "delayMs",
  "drop",
  "times",
  "probability",
]

const faultOf = (mock: Mock, input: Record<string, unknown>): Fault | string => {
  const unknown = unknownField(input, FAULT_FIELDS)
  if (unknown !== undefined) return unknown
  if (input.path === undefined && input.pathPattern === undefined) {
    return "path (a string the request's path contains) or pathPattern (a regular expression) is required"
  }
  const pattern = patternOf(mock, { ...input, status: undefined })
  if (typeof pattern === "string") return pattern
  if (input.status !== undefined && !isStatus(input.status)) return "status must be an integer from 200 to 599"
  if (input.status !== undefined && input.body === undefined && statusNeedsBody(input.status as number)) {
    return "a status below 400 needs a body: the APIs have no error body for it"
  }
  const delayMs = input.delayMs === undefined ? undefined : latencyOf(input.delayMs)
  if (typeof delayMs === "string") return delayMs
  if (input.times !== undefined && !(isCount(input.times, 1_000_000) && (input.times as number) >= 1)) {
    return "times must be an integer from 1 to 1000000"
  }
  const probability = input.probability
  if (probability !== undefined && !(typeof probability === "number" && probability > 0 && probability <= 1)) {
    return "probability must be a number above 0, at most 1"
  }
  if (input.drop !== undefined && typeof input.drop !== "boolean") return "drop must be true or false"
  if (input.drop === true && input.status !== undefined) {
    return "give drop or status, not both: a dropped connection has no status"
  }
  const headers = input.headers
  if (headers !== undefined) {
    if (typeof headers !== "object" || headers === null || Array.isArray(headers)) {
      return "headers must be an object of header names to strings"
    }
    const bad = Object.entries(headers).find(([name, value]) => !HEADER_NAME.test(name) || typeof value !== "string")
    if (bad !== undefined) return `headers.${bad[0]} must be a valid header name with a string value`
  }
  if (input.status === undefined && input.delayMs === undefined && input.drop !== true) {
    return "a fault needs at least one of status, delayMs, drop"
  }
  return {
    ...pattern,
    path: pattern.path!,
    status: input.status as number | undefined,
    body: input.body,
    headers: headers as Record<string, string> | undefined,
    delayMs,
    drop: input.drop as boolean | undefined,
    times: input.times as number | undefined,
    probability: probability as number | undefined,
  }
}

// A state wraps each API's data (itself at most MAX_JSON_DEPTH deep, as the API took it) in a few levels.
const MAX_STATE_DEPTH = 4 * MAX_JSON_DEPTH

// The largest time a JavaScript Date can hold.
const MAX_TIME = 8.64e15

/** The clock's new time from `{advanceMs}` or `{now}` (epoch ms or an ISO date), or why not. */
const clockTarget = (mock: Mock, input: Record<string, unknown>): number | string => {
  const unknown = unknownField(input, ["advanceMs", "now"])
  if (unknown !== undefined) return unknown
  if ((input.advanceMs === undefined) === (input.now === undefined)) return "give exactly one of advanceMs or now"
  if (input.advanceMs !== undefined) {
    if (!Number.isInteger(input.advanceMs)) return "advanceMs must be an integer number of milliseconds"
    return mock.clock.now() + (input.advanceMs as number)
  }
  const now = typeof input.now === "string" ? Date.parse(input.now) : input.now
  return typeof now === "number" && Number.isInteger(now) ? now : "now must be epoch milliseconds or an ISO date"
}

const JOURNAL_QUERY = ["api", "method", "path", "pathPattern", "status", "limit"]

/** The journal query of a URL's search parameters, or why not. */
const journalQuery = (mock: Mock, params: URLSearchParams): JournalQuery | string => {
  const input: Record<string, unknown> = Object.fromEntries(params)
  const unknown = unknownField(input, JOURNAL_QUERY)
  if (unknown !== undefined) return unknown.replace("field", "query parameter")
  for (const field of ["status", "limit"]) {
    if (input[field] !== undefined) input[field] = /^\d{1,6}$/.test(input[field] as string) ? Number(input[field]) : NaN
  }
  const pattern = patternOf(mock, input)
  if (typeof pattern === "string") return pattern
  if (input.limit !== undefined && !(isCount(input.limit, JOURNAL_LIMIT) && (input.limit as number) >= 1)) {
    return `limit must be an integer from 1 to ${JOURNAL_LIMIT}`
  }
  return { ...pattern, limit: input.limit as number | undefined }
}

/** `POST /__mock/verify`: how many journalled requests match, and whether that is the `expect`ed count. */
const verify = (mock: Mock, input: Record<string, unknown>): Response => {
  const unknown = unknownField(input, ["api", "method", "path", "pathPattern", "status", "expect"])
  if (unknown !== undefined) return badRequest(unknown)
  const pattern = patternOf(mock, input)
  if (typeof pattern === "string") return badRequest(pattern)
  if (input.expect !== undefined && !isCount(input.expect, JOURNAL_LIMIT)) {
    return badRequest(`expect must be an integer from 0 to ${JOURNAL_LIMIT}`)
  }
  const count = mock.verify(pattern)
  return Response.json(
    input.expect === undefined ? { count } : { count, expected: input.expect, matched: count === input.expect },
  )
}

const badRequest = (message: string) => Response.json({ error: "bad_request", message }, { status: 400 })
const notFound = (message: string) => Response.json({ error: "not_found", message }, { status: 404 })

/** The control API's own routes, by path and method, each with what it does: `GET /__mock` lists them. */
export const CONTROL_ROUTES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  "/__mock": { GET: "this index: the APIs (base URL, demo credentials, OpenAPI documents) and the control routes" },
  "/__mock/health": { GET: "200 {status: ok} when the server answers" },
  "/__mock/reset": { POST: "every API back to its seeded state; the clock, the faults and the journal too" },
  "/__mock/clock": { POST: "{advanceMs} or {now} (epoch ms or ISO date): move the mock clock" },
  "/__mock/faults": {
    GET: "the faults in force, with their ids",
    POST:
      "{path | pathPattern, api?, method?, status?, body?, headers?, delayMs? (ms or [min, max]), drop?, times?, probability?}: 201 with its id",
    DELETE: "remove every fault",
  },
  "/__mock/faults/<id>": { DELETE: "remove one fault (404 when there is none)" },
  "/__mock/journal": {
    GET: "the requests received, oldest first; ?api=&method=&path=&pathPattern=&status=&limit=",
    DELETE: "empty the journal",
  },
  "/__mock/verify": { POST: "{api?, method?, path? | pathPattern?, status?, expect?}: {count} of matching requests" },
  "/__mock/state": {
    GET: "the state of every API that saves it, as JSON",
    PUT: "restore such a state (400 naming what is wrong)",
  },
}

/** Each API's own control routes (from its `controlRoutes`), by route and method. */
const apiControlRoutes = (mock: Mock) =>
  Object.fromEntries(
    mock.apis.flatMap((api) =>
      Object.entries(api.controlRoutes ?? {}).map(([route, methods]) => [`/__mock/${api.name}/${route}`, methods])
    ),
  )

const methodNotAllowed = (method: string, path: string, allowed: ReadonlyArray<string>) =>
  Response.json(
    { error: "method_not_allowed", message: `${method} is not allowed on ${path}` },
    { status: 405, headers: { allow: allowed.join(", ") } },
  )

/**
 * The control API under `/__mock` (see {@linkcode CONTROL_ROUTES}), and each API's own under
 * `/__mock/<api>/`. Every body is checked (400 naming the field, unknown fields refused); a wrong
 * method is 405 with `Allow`.
 */
const control = async (mock: Mock, request: Request, origin: string): Promise<Response> => {
  // The bounds of every API hold here too: headers (431), then the body, read once, bounded (413).
  if (headerBytesOf(request.headers) > MAX_HEADER_BYTES) return headersTooLarge()
  if (request.body !== null) {
    const text = await readText(request)
    if (text === TOO_LARGE) {
      return Response.json({
        error: "payload_too_large",
        message: `The request body is larger than ${MAX_BODY_BYTES} bytes`,
      }, { status: 413 })
    }
    request = new Request(request.url, { method: request.method, headers: request.headers, body: text ?? "" })
  }
  const url = new URL(request.url)
  const path = url.pathname.replace(/\/+$/, "")
  const route = `${request.method} ${path}`
  const faultId = /^\/__mock\/faults\/([^/]+)$/.exec(path)?.[1]
  if (faultId !== undefined) {
    if (request.method !== "DELETE") return methodNotAllowed(request.method, path, ["DELETE"])
    return mock.removeFault(faultId) // ids are f1, f2...: nothing to decode
      ? new Response(null, { status: 204 })
      : notFound(`no fault ${faultId}`)
  }
  switch (route) {
    case "GET /__mock":
      return Response.json({ ...indexOf(mock, origin), control: { ...CONTROL_ROUTES, ...apiControlRoutes(mock) } })
    case "GET /__mock/health":
      return Response.json({ status: "ok", apis: mock.apis.map((api) => api.name), now: mock.clock.now() })
    case "POST /__mock/reset": {
      const input = await controlBody(request, [])
      if (typeof input === "string") return badRequest(input)
      mock.reset()
      return new Response(null, { status: 204 })
    }
    case "POST /__mock/clock": {
      const input = await controlBody(request)
      if (typeof input === "string") return badRequest(input)
      const target = clockTarget(mock, input)
      if (typeof target === "string") return badRequest(target)
      if (!(target >= 0 && target <= MAX_TIME)) return badRequest("the clock must stay a valid date")
      mock.clock.set(target)
      return Response.json({ now: mock.clock.now() })
    }
    case "GET /__mock/faults":
      return Response.json(mock.faults().map(faultJson))
    case "POST /__mock/faults": {
      const input = await controlBody(request)
      const fault = typeof input === "string" ? input : faultOf(mock, input)
      if (typeof fault === "string") return badRequest(fault)
      const { id } = mock.fault(fault)
      return Response.json(faultJson(mock.faults().find((f) => f.id === id)!), {
        status: 201,
        headers: { location: `/__mock/faults/${id}` },
      })
    }
    case "DELETE /__mock/faults":
      mock.clearFaults()
      return new Response(null, { status: 204 })
    case "GET /__mock/journal": {
      const query = journalQuery(mock, url.searchParams)
      return typeof query === "string" ? badRequest(query) : Response.json(mock.requests(query))
    }
    case "DELETE /__mock/journal":
      mock.clearJournal()
      return new Response(null, { status: 204 })
    case "POST /__mock/verify": {
      const input = await controlBody(request)
      return typeof input === "string" ? badRequest(input) : verify(mock, input)
    }
    case "GET /__mock/state":
      return Response.json(mock.snapshot())
    case "PUT /__mock/state": {
      const input = await controlBody(request, undefined, MAX_STATE_DEPTH)
      if (typeof input === "string") return badRequest(input)
      try {
        mock.restore(input)
      } catch (error) {
        return badRequest(error instanceof Error ? error.message : String(error))
      }
      return new Response(null, { status: 204 })
    }
    default: {
      const allowed = CONTROL_ROUTES[path]
      if (allowed !== undefined) return methodNotAllowed(request.method, path, Object.keys(allowed))
      const api = mock.apis.find((api) => path.startsWith(`/__mock/${api.name}/`))
      if (api === undefined) return notFound(`no control route ${route}`)
      const rest = path.slice(`/__mock/${api.name}/`.length)
      const answer = await api.control?.(request, rest)
      if (answer !== undefined) return answer
      const methods = api.controlRoutes?.[rest]
      return methods === undefined
        ? notFound(`no control route ${route}`)
        : methodNotAllowed(request.method, path, Object.keys(methods))
    }
  }
}

/** Whether the path of `url` (absolute) is `prefix` (`allowBelow`: or below it). Read without parsing the URL. */
const pathIs = (url: string, prefix: string, allowBelow: boolean): boolean => {
  const path = url.indexOf("/", url.indexOf("//") + 2)
  if (path < 0 || !url.startsWith(prefix, path)) return false
  const next = url.charAt(path + prefix.length)
  return next === "" || next === "?" || next === "#" || (allowBelow && next === "/")
}

/**
 * A CORS preflight's answer: any origin may call any route with any method and headers, as a mock
 * a browser app on another port (a dev server) calls must allow.
 */
const preflight = (request: Request, origin: string): Response =>
  new Response(null, {
    status: 204,
    headers: {
      "access-control-allow-origin": origin,
      "access-control-allow-credentials": "true",
      "access-control-allow-methods": request.headers.get("access-control-request-method")!,
      "access-control-allow-headers": request.headers.get("access-control-request-headers") ?? "",
      "access-control-max-age": "600",
      vary: "origin",
    },
  })

/** `response`, readable by a page of `origin`: every header it carries exposed (`Retry-After`, `ETag`, a request id). */
const withCors = (response: Response, origin: string): Response => {
  const exposed: Array<string> = []
  response.headers.forEach((_, name) => void exposed.push(name))
  const add = (headers: Headers) => {
    headers.set("access-control-allow-origin", origin)
    headers.set("access-control-allow-credentials", "true")
    headers.set("access-control-expose-headers", exposed.join(", "))
    headers.append("vary", "origin")
  }
  try {
    add(response.headers)
    return response
  } catch { // a response whose headers are immutable (Response.redirect): copied
    const headers = new Headers(response.headers)
    add(headers)
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers })
  }
}

/** The server's request handler: CORS for requests from a browser page, then {@linkcode answerOf}'s answer. */
const handlerOf = (mock: Mock, origin: () => string): Handler => {
  const answer = answerOf(mock, origin)
  return (request) => {
    const from = request.headers.get("origin")
    if (from === null) return answer(request)
    if (request.method === "OPTIONS" && request.headers.has("access-control-request-method")) {
      return Promise.resolve(preflight(request, from))
    }
    return answer(request).then((response) => withCors(response, from))
  }
}

/** Control routes, then the index page, then the mock, at the origin it is served at. */
const answerOf = (mock: Mock, origin: () => string): Handler => async (request) => {
  if (pathIs(request.url, "/__mock", true)) {
    if (request.method !== "HEAD") return control(mock, request, origin())
    // HEAD is GET without the body (RFC 9110 §9.3.2), on the control API too.
    const answer = await control(mock, new Request(request.url, { headers: request.headers }), origin())
    return new Response(null, { status: answer.status, headers: answer.headers })
  }
  if (pathIs(request.url, "/", false)) {
    if (request.method !== "GET" && request.method !== "HEAD") {
      return methodNotAllowed(request.method, "/", ["GET", "HEAD"])
    }
    const page = wantsJson(request)
      ? Response.json(liveIndexOf(mock, origin()))
      : new Response(indexHtml(indexOf(mock, origin())), { headers: { "content-type": "text/html; charset=utf-8" } })
    return request.method === "HEAD" ? new Response(null, { headers: page.headers }) : page
  }
  try {
    return await mock.fetch(request)
  } catch {
    return dropped()
  }
}

/**
 * A `drop` fault over HTTP: the body errors, so the runtime resets the connection. The runtime logs
 * the reason, a string: one line, no stack, as nothing went wrong.
 */
const dropped = () =>
  new Response(new ReadableStream({ pull: (controller) => controller.error("mock: connection dropped by a fault") }))

/**
 * Serves `mock` over HTTP.
 *
 * @example
 * ```ts
 * import { createMock, serveMock } from "@gatehouse/sdk/mock"
 *
 * const server = await serveMock(createMock(), { port: 0 })
 * console.log(`${server.url}/puid/api`)
 * await server.close()
 * ```
 */
export const serveMock = async (mock: Mock, options: ServeOptions = {}): Promise<MockServer> => {
  let url = ""
  const server = await serve(handlerOf(mock, () => url), {
    port: options.port ?? 4010,
    hostname: options.hostname ?? "127.0.0.1",
  })
  url = server.url
  return server
}
