// A plain HTTP/1.1 server on a socket (node:net, so Deno and Bun run it alike) in front of a
// handler (the mock app's `fetch`), with keep-alive connections and faults a proxy can inject:
// answers it makes up without forwarding (502, 503 + Retry-After), and answers lost or late after
// the handler applied the request (a dropped connection, an answer past the client's timeout).
import * as net from "node:net"

/** A fault on the next request that matches: made-up status, or the handler's answer lost or late. */
export type Fault =
  | { readonly _tag: "Status"; readonly status: number; readonly headers?: Readonly<Record<string, string>> }
  | { readonly _tag: "Drop" }
  | { readonly _tag: "Late"; readonly millis: number }

/** The header that names a request's test case, so that cases can run at once. */
export const CASE_HEADER = "x-fault-case"

/** A request the server received. */
export interface Received {
  readonly method: string
  readonly path: string
  /** Its `x-fault-case`. */
  readonly case: string | undefined
  readonly idempotencyKey: string | undefined
  /** The fault it met. */
  readonly fault: Fault["_tag"] | undefined
  /** Whether the handler received it (and so applied it). */
  readonly applied: boolean
}

/** Which request a fault strikes: the next one with this method, of this case (any when absent). */
export interface Target {
  readonly method?: string | undefined
  readonly case?: string | undefined
}

/** The server, its faults and what reached the handler. */
export interface FaultyServer {
  readonly url: string
  /** Every request the server received, in order. */
  readonly received: ReadonlyArray<Received>
  /** Injects `fault` on the next request that `target` names. */
  readonly inject: (fault: Fault, target?: Target) => void
  /** Clears the faults and what was received. */
  readonly reset: () => void
  readonly close: () => Promise<void>
}

const STATUS_TEXT: Readonly<Record<number, string>> = { 502: "Bad Gateway", 503: "Service Unavailable" }

const serialize = async (response: Response): Promise<Uint8Array> => {
  const body = new Uint8Array(await response.arrayBuffer())
  const lines = [`HTTP/1.1 ${response.status} ${STATUS_TEXT[response.status] ?? "Status"}`]
  response.headers.forEach((value, name) => {
    if (name !== "content-length" && name !== "connection" && name !== "transfer-encoding") {
      lines.push(`${name}: ${value}`)
    }
  })
  lines.push(`content-length: ${body.length}`, "connection: keep-alive", "", "")
  const head = new TextEncoder().encode(lines.join("\r\n"))
  const out = new Uint8Array(head.length + body.length)
  out.set(head)
  out.set(body, head.length)
  return out
}

/** Parses one request off the front of `buffer`: the request and the bytes it took, or `undefined` if incomplete. */
const parse = (buffer: Uint8Array, base: string): { request: Request; length: number } | undefined => {
  const text = new TextDecoder("latin1").decode(buffer)
  const end = text.indexOf("\r\n\r\n")
  if (end < 0) return undefined
  const [line, ...fields] = text.slice(0, end).split("\r\n")
  const [method, target] = line.split(" ")
  const headers = new Headers(fields.map((field) => {
    const colon = field.indexOf(":")
    return [field.slice(0, colon).trim(), field.slice(colon + 1).trim()] as [string, string]
  }))
  const size = Number(headers.get("content-length") ?? 0)
  if (buffer.length < end + 4 + size) return undefined
  const body = size === 0 ? undefined : buffer.slice(end + 4, end + 4 + size)
  return { request: new Request(new URL(target, base), { method, headers, body }), length: end + 4 + size }
}

/** Serves `handler` on 127.0.0.1, on a port of its own. */
export const serveFaulty = async (handler: (request: Request) => Promise<Response>): Promise<FaultyServer> => {
  const received: Array<Received> = []
  let faults: Array<{ readonly fault: Fault; readonly target: Target }> = []
  const sockets = new Set<net.Socket>()
  let base = ""

  const answer = async (socket: net.Socket, request: Request) => {
    const testCase = request.headers.get(CASE_HEADER) ?? undefined
    const found = faults.find(({ target }) =>
      (target.method === undefined || target.method === request.method) &&
      (target.case === undefined || target.case === testCase)
    )
    faults = faults.filter((entry) => entry !== found)
    const taken = found?.fault
    const seen = {
      method: request.method,
      path: new URL(request.url).pathname,
      case: testCase,
      idempotencyKey: request.headers.get("idempotency-key") ?? undefined,
      fault: taken?._tag,
    }
    if (taken?._tag === "Status") {
      received.push({ ...seen, applied: false })
      const body = JSON.stringify({ error: "injected", message: "injected fault" })
      return socket.write(await serialize(new Response(body, { status: taken.status, headers: taken.headers })))
    }
    received.push({ ...seen, applied: true })
    const response = await serialize(await handler(request))
    if (taken?._tag === "Drop") return socket.destroy()
    if (taken?._tag === "Late") await new Promise((resolve) => setTimeout(resolve, taken.millis))
    if (!socket.destroyed) socket.write(response)
  }

  const server = net.createServer((socket) => {
    sockets.add(socket)
    let buffer = new Uint8Array(0)
    // Requests on one connection are answered in order.
    let queue = Promise.resolve()
    socket.on("data", (chunk: Uint8Array) => {
      const joined = new Uint8Array(buffer.length + chunk.length)
      joined.set(buffer)
      joined.set(chunk, buffer.length)
      buffer = joined
      for (let parsed = parse(buffer, base); parsed !== undefined; parsed = parse(buffer, base)) {
        const { request } = parsed
        buffer = buffer.slice(parsed.length)
        queue = queue.then(() => answer(socket, request)).then(() => undefined, () => void socket.destroy())
      }
    })
    socket.on("error", () => {})
    socket.on("close", () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`
  return {
    url: base,
    received,
    inject: (fault, target = {}) => void faults.push({ fault, target }),
    reset: () => {
      faults = []
      received.length = 0
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}
