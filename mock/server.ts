/**
 * The mock as a real HTTP server: every API under its own prefix on one port, plus a small
 * control API under `/__mock` (reset, clock, faults, journal). Runs on Deno, Bun and Node.
 *
 * `deno task mock [--port 4010] [--hostname 127.0.0.1]`
 *
 * @module
 */
import type { Fault, Mock } from "./app.ts"

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

interface DenoServe {
  serve(
    options: { port: number; hostname: string; onListen: () => void },
    handler: Handler,
  ): { addr: { port: number }; shutdown(): Promise<void> }
}
interface BunServe {
  serve(options: { port: number; hostname: string; fetch: Handler }): { port: number; stop(force: boolean): void }
}

const runtime = globalThis as { Deno?: DenoServe; Bun?: BunServe }

const body = async (request: Request): Promise<Record<string, unknown>> => {
  const value: unknown = await request.json().catch(() => ({}))
  return typeof value === "object" && value !== null ? value as Record<string, unknown> : {}
}

const isStatus = (value: unknown) => Number.isInteger(value) && (value as number) >= 200 && (value as number) <= 599

const faultOf = (input: Record<string, unknown>): Fault | string => {
  if (typeof input.path !== "string") return "path is required"
  if (input.status !== undefined && !isStatus(input.status)) return "status must be an integer from 200 to 599"
  for (const key of ["delayMs", "times"]) {
    const value = input[key]
    if (value !== undefined && !(Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 3_600_000)) {
      return `${key} must be an integer from 0 to 3600000`
    }
  }
  const num = (key: string) => typeof input[key] === "number" ? input[key] as number : undefined
  return {
    path: input.path,
    method: typeof input.method === "string" ? input.method : undefined,
    status: num("status"),
    body: input.body,
    headers: typeof input.headers === "object" && input.headers !== null
      ? input.headers as Record<string, string>
      : undefined,
    delayMs: num("delayMs"),
    drop: input.drop === true,
    times: num("times"),
  }
}

// The largest time a JavaScript Date can hold.
const MAX_TIME = 8.64e15

const badRequest = (message: string) => Response.json({ error: "bad_request", message }, { status: 400 })

/** The control API: `/__mock`, `/__mock/reset`, `/__mock/clock`, `/__mock/faults`, `/__mock/journal`. */
const control = async (mock: Mock, request: Request, origin: string): Promise<Response> => {
  const path = new URL(request.url).pathname
  const route = `${request.method} ${path.replace(/\/+$/, "")}`
  switch (route) {
    case "GET /__mock":
      return Response.json({
        apis: mock.apis.map((api) => ({ name: api.name, baseUrl: `${origin}${api.mount}`, demo: api.demo })),
        now: mock.clock.now(),
      })
    case "POST /__mock/reset":
      mock.reset()
      return new Response(null, { status: 204 })
    case "POST /__mock/clock": {
      const input = await body(request)
      const target = typeof input.now === "number"
        ? input.now
        : mock.clock.now() + (typeof input.advanceMs === "number" ? input.advanceMs : 0)
      if (!(Number.isFinite(target) && target >= 0 && target <= MAX_TIME)) {
        return badRequest("the clock must stay a valid date: give a finite advanceMs or now")
      }
      mock.clock.set(target)
      return Response.json({ now: mock.clock.now() })
    }
    case "POST /__mock/faults": {
      const fault = faultOf(await body(request))
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
      const api = mock.apis.find((api) => path.startsWith(`/__mock/${api.name}/`))
      const answer = await api?.control?.(request, path.slice(`/__mock/${api.name}/`.length))
      return answer ?? Response.json({ error: "not_found", message: `no control route ${route}` }, { status: 404 })
    }
  }
}

/** The server's request handler: control routes, then the mock, at the origin it is served at. */
const handlerOf = (mock: Mock, origin: () => string): Handler => async (request) => {
  const url = new URL(request.url)
  if (url.pathname === "/__mock" || url.pathname.startsWith("/__mock/")) return control(mock, request, origin())
  try {
    return await mock.fetch(request)
  } catch {
    return dropped()
  }
}

// A `drop` fault over HTTP: the body errors, so the runtime resets the connection.
const dropped = () =>
  new Response(new ReadableStream({ pull: (controller) => controller.error(new Error("mock: connection dropped")) }))

const serveNode = async (handler: Handler, port: number, hostname: string): Promise<MockServer> => {
  const { createServer } = await import("node:http")
  const { Readable } = await import("node:stream")
  const server = createServer(async (req, res) => {
    const hasBody = req.method !== "GET" && req.method !== "HEAD"
    const request = new Request(`http://${req.headers.host}${req.url}`, {
      method: req.method,
      headers: req.headers as Record<string, string>,
      body: hasBody ? Readable.toWeb(req) as ReadableStream : undefined,
      duplex: "half",
    } as RequestInit)
    const response = await handler(request)
    const body = await response.arrayBuffer().catch(() => undefined)
    if (body === undefined) return void res.destroy()
    res.writeHead(response.status, Object.fromEntries(response.headers))
    res.end(Buffer.from(body))
  })
  await new Promise<void>((resolve) => server.listen(port, hostname, resolve))
  const actual = (server.address() as { port: number }).port
  return {
    url: `http://${hostname}:${actual}`,
    port: actual,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

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
  const port = options.port ?? 4010
  const hostname = options.hostname ?? "127.0.0.1"
  let url = `http://${hostname}:${port}`
  const handler = handlerOf(mock, () => url)
  if (runtime.Deno !== undefined) {
    const server = runtime.Deno.serve({ port, hostname, onListen: () => {} }, handler)
    url = `http://${hostname}:${server.addr.port}`
    return { url, port: server.addr.port, close: () => server.shutdown() }
  }
  if (runtime.Bun !== undefined) {
    const server = runtime.Bun.serve({ port, hostname, fetch: handler })
    url = `http://${hostname}:${server.port}`
    return { url, port: server.port, close: () => Promise.resolve(server.stop(true)) }
  }
  const server = await serveNode(handler, port, hostname)
  url = server.url
  return server
}
