/**
 * Listening for HTTP on whichever runtime runs the code: `Deno.serve`, `Bun.serve`, or `node:http`
 * behind a small fetch-style adapter. The mock server (and anything else answering `Request`s with
 * `Response`s) calls {@linkcode serve} and runs unchanged on Deno, Bun and Node 22+.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import { MAX_BODY_BYTES } from "../src/core/router.ts"

/** A fetch-style handler: a request in, its answer out. */
export type FetchHandler = (request: Request) => Response | Promise<Response>

/** Where to listen. */
export interface ListenOptions {
  /** The port; `0` picks a free one. */
  readonly port: number
  /** The interface to listen on. */
  readonly hostname: string
}

/** A listening server. */
export interface Listening {
  /** `http://127.0.0.1:4010` */
  readonly url: string
  /** The port it listens on (the one picked, for `port: 0`). */
  readonly port: number
  /** Stops listening and closes every connection. */
  readonly close: () => Promise<void>
}

interface DenoServe {
  serve(
    options: { port: number; hostname: string; onListen: () => void },
    handler: FetchHandler,
  ): { addr: { port: number }; shutdown(): Promise<void> }
}
interface BunServe {
  serve(options: { port: number; hostname: string; fetch: FetchHandler }): {
    port: number
    stop(force: boolean): void
  }
}

const runtime = globalThis as { Deno?: DenoServe; Bun?: BunServe }

/** The runtime {@linkcode serve} listens with. */
export const runtimeName: "deno" | "bun" | "node" = runtime.Deno !== undefined
  ? "deno"
  : runtime.Bun !== undefined
  ? "bun"
  : "node"

/** Serves `handler` on `hostname:port`; fails as the runtime does when the port is taken. */
export const serve = async (handler: FetchHandler, { port, hostname }: ListenOptions): Promise<Listening> => {
  if (runtime.Deno !== undefined) {
    const server = runtime.Deno.serve({ port, hostname, onListen: () => {} }, handler)
    return listening(hostname, server.addr.port, () => server.shutdown())
  }
  if (runtime.Bun !== undefined) {
    const server = runtime.Bun.serve({ port, hostname, fetch: handler })
    return listening(hostname, server.port, () => Promise.resolve(server.stop(true)))
  }
  return await serveNode(handler, port, hostname)
}

const listening = (hostname: string, port: number, close: () => Promise<void>): Listening => ({
  url: `http://${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`,
  port,
  close,
})

/** The request's body, read whole; past `MAX_BODY_BYTES` only one byte more is kept, which the router refuses. */
const bodyOf = (req: IncomingMessage): Promise<Uint8Array | null> =>
  new Promise((resolve) => {
    const chunks: Array<Uint8Array> = []
    let size = 0
    req.on("data", (chunk: Uint8Array) => {
      if (size > MAX_BODY_BYTES) return
      chunks.push(chunk)
      size += chunk.byteLength
    })
    req.on("end", () => resolve(concat(chunks, size)))
    req.on("error", () => resolve(null))
  })

const concat = (chunks: ReadonlyArray<Uint8Array>, size: number): Uint8Array => {
  if (chunks.length === 1) return chunks[0]
  const bytes = new Uint8Array(size)
  let at = 0
  for (const chunk of chunks) {
    bytes.set(chunk, at)
    at += chunk.byteLength
  }
  return bytes
}

/**
 * `node:http`'s request as a `Request` at the origin its `Host` names (as Deno and Bun do): its raw
 * headers kept in order, its body read first.
 */
const toRequest = async (req: IncomingMessage, fallback: string): Promise<Request | undefined> => {
  const headers = new Headers()
  const raw = req.rawHeaders
  for (let i = 0; i < raw.length; i += 2) headers.append(raw[i], raw[i + 1])
  const method = req.method ?? "GET"
  const body = method === "GET" || method === "HEAD" ? undefined : await bodyOf(req)
  if (body === null) return undefined
  const host = req.headers.host
  const origin = host === undefined ? fallback : `http://${host}`
  return new Request(`${origin}${req.url ?? "/"}`, { method, headers, body: body as BodyInit | undefined })
}

/** Writes `response` on `res`; a body that fails (a dropped-connection fault) resets the connection. */
const send = async (response: Response, res: ServerResponse): Promise<void> => {
  const body = response.body === null ? undefined : await response.arrayBuffer().catch(() => null)
  if (body === null) return void res.destroy()
  const headers: Array<[string, string]> = []
  response.headers.forEach((value, name) => headers.push([name, value]))
  res.writeHead(response.status, headers.flat())
  res.end(body === undefined ? undefined : new Uint8Array(body))
}

const serveNode = async (handler: FetchHandler, port: number, hostname: string): Promise<Listening> => {
  const { createServer } = await import("node:http")
  let origin = ""
  const answer = async (req: IncomingMessage, res: ServerResponse) => {
    const request = await toRequest(req, origin)
    if (request === undefined) return void res.destroy()
    await send(await handler(request), res)
  }
  const server = createServer((req, res) => void answer(req, res).catch(() => res.destroy()))
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    // A backlog of 4096: a thousand clients connecting at once wait in it rather than being refused.
    server.listen({ port, host: hostname, backlog: 4096 }, resolve)
  })
  const actual = (server.address() as { port: number }).port
  const served = listening(hostname, actual, () =>
    new Promise((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    }))
  origin = served.url
  return served
}
