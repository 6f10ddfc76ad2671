/**
 * The mock as a real HTTP server: every API under its own prefix on one port, plus a small
 * control API under `/__mock` (reset, clock, faults, journal). Runs on Deno, Bun and Node.
 *
 * `deno task mock [--port 4010] [--hostname 127.0.0.1]`
 *
 * @module
 */
import type { Fault, Mock } from "./app.ts"
import { serve } from "./serve.ts"

/** Options of {@linkcode serveMock}. */
export interface ServeOptions {
  /** The port; `0` picks a free one. @default 4010 */
  readonly port?: number | undefined
  /** @default "127.0.0.1" */
  /** The interface to listen on. @default "127.0.0.1" */
  readonly hostname?: string | undefined
}

/** A running mock server. */
export interface MockServer {
  /** `http://127.0.0.1:4010` */
  readonly url: string
  /** The port it listens on (the one picked, for `port: 0`). */
  readonly port: number
  /** Stops the server. */
  readonly close: () => Promise<void>
}

type Handler = (request: Request) => Promise<Response>

/** The JSON object of a control request's body (an empty body is `{}`), or why it is not one. */
const body = async (request: Request): Promise<Record<string, unknown> | string> => {
  const text = await request.text().catch(() => "")
  if (text.trim() === "") return {}
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return "the body is not JSON"
  }
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? value as Record<string, unknown>
    : "the body must be a JSON object"
}

/** The first field of `input` not in `known`, as a refusal. */
const unknownField = (input: Record<string, unknown>, known: ReadonlyArray<string>): string | undefined => {
  const field = Object.keys(input).find((key) => !known.includes(key))
  return field === undefined ? undefined : `unknown field ${field} (known: ${known.join(", ")})`
}

const isStatus = (value: unknown) => Number.isInteger(value) && (value as number) >= 200 && (value as number) <= 599
const isCount = (value: unknown, max: number) =>
  Number.isInteger(value) && (value as number) >= 0 && (value as number) <= max
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

const FAULT_FIELDS = ["path", "method", "status", "body", "headers", "delayMs", "drop", "times"]

const faultOf = (input: Record<string, unknown>): Fault | string => {
  const unknown = unknownField(input, FAULT_FIELDS)
  if (unknown !== undefined) return unknown
  if (typeof input.path !== "string" || input.path === "") {
    return "path is required: a string the request's path contains"
  }
  if (input.method !== undefined && (typeof input.method !== "string" || !HEADER_NAME.test(input.method))) {
    return "method must be an HTTP method"
  }
  if (input.status !== undefined && !isStatus(input.status)) return "status must be an integer from 200 to 599"
  if (input.delayMs !== undefined && !isCount(input.delayMs, 3_600_000)) {
    return "delayMs must be an integer from 0 to 3600000"
  }
  if (input.times !== undefined && !(isCount(input.times, 1_000_000) && (input.times as number) >= 1)) {
    return "times must be an integer from 1 to 1000000"
  }
  if (input.drop !== undefined && typeof input.drop !== "boolean") return "drop must be true or false"
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
    path: input.path,
    method: input.method as string | undefined,
    status: input.status as number | undefined,
    body: input.body,
    headers: headers as Record<string, string> | undefined,
    delayMs: input.delayMs as number | undefined,
    drop: input.drop === true,
    times: input.times as number | undefined,
  }
}

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

const badRequest = (message: string) => Response.json({ error: "bad_request", message }, { status: 400 })

/** The control API's own routes, by path and method. */
const ROUTES: Readonly<Record<string, ReadonlyArray<string>>> = {
  "/__mock": ["GET"],
  "/__mock/health": ["GET"],
  "/__mock/reset": ["POST"],
  "/__mock/clock": ["POST"],
  "/__mock/faults": ["POST", "DELETE"],
  "/__mock/journal": ["GET"],
}

/**
 * The control API: `/__mock`, `/__mock/health`, `/__mock/reset`, `/__mock/clock`, `/__mock/faults`,
 * `/__mock/journal`, and each API's own under `/__mock/<api>/`. Every body is checked (400 naming
 * the field, unknown fields refused); a wrong method is 405 with `Allow`.
 */
const control = async (mock: Mock, request: Request, origin: string): Promise<Response> => {
  const path = new URL(request.url).pathname.replace(/\/+$/, "")
  const route = `${request.method} ${path}`
  switch (route) {
    case "GET /__mock":
      return Response.json({
        apis: mock.apis.map((api) => ({ name: api.name, baseUrl: `${origin}${api.mount}`, demo: api.demo })),
        now: mock.clock.now(),
      })
    case "GET /__mock/health":
      return Response.json({ status: "ok", apis: mock.apis.map((api) => api.name), now: mock.clock.now() })
    case "POST /__mock/reset":
      mock.reset()
      return new Response(null, { status: 204 })
    case "POST /__mock/clock": {
      const input = await body(request)
      if (typeof input === "string") return badRequest(input)
      const target = clockTarget(mock, input)
      if (typeof target === "string") return badRequest(target)
      if (!(target >= 0 && target <= MAX_TIME)) return badRequest("the clock must stay a valid date")
      mock.clock.set(target)
      return Response.json({ now: mock.clock.now() })
    }
    case "POST /__mock/faults": {
      const input = await body(request)
      const fault = typeof input === "string" ? input : faultOf(input)
      if (typeof fault === "string") return badRequest(fault)
      mock.fault(fault)
      return new Response(null, { status: 201 })
    }
    case "DELETE /__mock/faults":
      mock.clearFaults()
      return new Response(null, { status: 204 })
    case "GET /__mock/journal":
      return Response.json(mock.journal)
    default: {
      const allowed = ROUTES[path]
      if (allowed !== undefined) {
        return Response.json(
          { error: "method_not_allowed", message: `${request.method} is not allowed on ${path}` },
          { status: 405, headers: { allow: allowed.join(", ") } },
        )
      }
      const api = mock.apis.find((api) => path.startsWith(`/__mock/${api.name}/`))
      const answer = await api?.control?.(request, path.slice(`/__mock/${api.name}/`.length))
      return answer ?? Response.json({ error: "not_found", message: `no control route ${route}` }, { status: 404 })
    }
  }
}

/** Whether `url` (absolute) is a control route: its path is `/__mock` or below it. Read without parsing it. */
const isControl = (url: string): boolean => {
  const path = url.indexOf("/", url.indexOf("//") + 2)
  if (path < 0 || !url.startsWith("/__mock", path)) return false
  const next = url.charAt(path + 7)
  return next === "" || next === "/" || next === "?" || next === "#"
}

/** The server's request handler: control routes, then the mock, at the origin it is served at. */
const handlerOf = (mock: Mock, origin: () => string): Handler => async (request) => {
  if (isControl(request.url)) return control(mock, request, origin())
  try {
    return await mock.fetch(request)
  } catch {
    return dropped()
  }
}

// A `drop` fault over HTTP: the body errors, so the runtime resets the connection.
const dropped = () =>
  new Response(new ReadableStream({ pull: (controller) => controller.error(new Error("mock: connection dropped")) }))

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
