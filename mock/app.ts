/**
 * The mock app: every API's handlers on one fetch function, with the controls a contract test
 * needs (a clock, forced faults, a request journal, reset).
 *
 * @module
 */
import { Layer } from "effect"
import { FetchHttpClient, type HttpClient } from "effect/http"
import type { MockApi } from "./api.ts"
import type { MockClock } from "./clock.ts"

/** The origin the in-process mock answers for when no server runs. Any origin works. */
export const MOCK_ORIGIN = "http://mock.gatehouse.test"

/** A request the mock received. */
export interface JournalEntry {
  /** The request method. */
  readonly method: string
  /** The URL as the caller sent it: the origin it reached the mock at. */
  readonly url: string
  /** Lower-case header names; the values of every API's secret headers are replaced by `<redacted>`. */
  readonly headers: Readonly<Record<string, string>>
  /** When it arrived, on the mock clock. */
  readonly at: number
  /** The operation it reached (`puid.ids`); absent for an unknown path, a wrong method, a fault. */
  readonly operation?: string | undefined
  /** The status answered; absent when the connection was dropped. */
  readonly status?: number | undefined
}

/** A fault forced on the requests that match it. */
export interface Fault {
  /** Only this method (any when absent). */
  readonly method?: string | undefined
  /** A path the request's pathname contains (a string) or matches (a RegExp). */
  readonly path: string | RegExp
  /** Answer with this status (and `body`: JSON, or a string sent as text) instead of the API's answer. */
  readonly status?: number | undefined
  /** The body of a `status` fault: JSON, or a string sent as text. @default {"error": "mock_fault"} */
  readonly body?: unknown
  /** Headers of a `status` fault's answer (a `Retry-After`, say). */
  readonly headers?: Readonly<Record<string, string>> | undefined
  /** Wait this long before answering, in real milliseconds. */
  readonly delayMs?: number | undefined
  /** Fail the request as a broken connection would. */
  readonly drop?: boolean | undefined
  /** How many requests it applies to before it is spent (forever when absent). */
  readonly times?: number | undefined
}

/** The journal keeps the most recent requests only, so that a long-running server does not grow. */
export const JOURNAL_LIMIT = 10_000

/**
 * The journal's size bound, in bytes of method, URL and headers: the oldest entries go first, so a
 * flood of large requests keeps it near 16 MiB whatever their count.
 */
export const JOURNAL_BYTES = 16 * 1_048_576

/**
 * The most header bytes (names and values) a request may carry: past it the answer is 431, in the
 * API's error shape. Node and Bun refuse at about the same size themselves.
 */
export const MAX_HEADER_BYTES = 16_384

/** What the journal keeps of one URL or header value, at most: the rest is cut and marked. */
const JOURNAL_VALUE_CHARS = 2_048

/** A journal entry's value, cut at {@linkcode JOURNAL_VALUE_CHARS}. */
const cut = (value: string): string =>
  value.length <= JOURNAL_VALUE_CHARS
    ? value
    : `${value.slice(0, JOURNAL_VALUE_CHARS)}…(${value.length - JOURNAL_VALUE_CHARS} more characters)`

/** Headers that carry secrets whatever the API: they never reach the journal. */
const ALWAYS_SECRET = ["authorization", "proxy-authorization", "cookie", "set-cookie"]

const matches = (fault: Fault, request: Request, pathname: string) =>
  (fault.method === undefined || fault.method.toUpperCase() === request.method) &&
  (typeof fault.path === "string" ? pathname.includes(fault.path) : fault.path.test(pathname))

const NULL_BODY_STATUSES = new Set([204, 205, 304])

const faultResponse = (status: number, fault: Fault) => {
  const init = { status, headers: fault.headers }
  if (NULL_BODY_STATUSES.has(status)) return new Response(null, init)
  return typeof fault.body === "string"
    ? new Response(fault.body, init)
    : Response.json(fault.body ?? { error: "mock_fault" }, init)
}

/** Waits `millis`, or less when the client gives up on the request first. */
const delay = (millis: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, millis)
    signal.addEventListener("abort", () => {
      clearTimeout(timer)
      resolve()
    }, { once: true })
  })

const notFound = (request: Request) =>
  Response.json(
    { error: "not_found", message: `no mock API at ${new URL(request.url).pathname}` },
    { status: 404 },
  )

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

/** Where a request goes: an API and the path below its base URL, or nowhere. */
interface Target {
  readonly api: MockApi
  readonly path: string
  readonly baseUrl: string
}

/** `prefix` without its trailing slashes: what {@linkcode under} takes. */
const trimmed = (prefix: string): string => prefix.replace(/\/+$/, "")

/** The rest of `pathname` below `base` (trimmed; an empty base holds every path), or `undefined`. */
const under = (pathname: string, base: string): string | undefined => {
  if (base === "") return pathname
  if (!pathname.startsWith(base)) return undefined
  return pathname.length === base.length ? "" : pathname[base.length] === "/" ? pathname.slice(base.length) : undefined
}

/** Every mock API in one place, answering in-process. */
export interface Mock {
  /** A `fetch` that answers from the mock, without sockets. */
  readonly fetch: typeof globalThis.fetch
  /** An `HttpClient` layer whose requests the mock answers: provide it to any gatehouse client. */
  readonly layer: Layer.Layer<HttpClient.HttpClient>
  /** The base URL of `api` on this mock: `${MOCK_ORIGIN}/puid/api`. */
  readonly baseUrl: (api: string) => string
  /** The API mocks mounted, each under its `mount`. */
  readonly apis: ReadonlyArray<MockApi>
  /** The clock every API's rules read: move it instead of sleeping. */
  readonly clock: MockClock
  /** The header names the journal redacts: every API's secret headers, and the usual credential headers. */
  readonly secretHeaders: ReadonlySet<string>
  /** Requests received, oldest first. */
  readonly journal: ReadonlyArray<JournalEntry>
  /** Forces `fault` on matching requests; returns a function that removes it. */
  readonly fault: (fault: Fault) => () => void
  /** Removes every forced fault. */
  readonly clearFaults: () => void
  /** Back to the seeded state: every API, the clock, the faults, the journal. */
  readonly reset: () => void
  /**
   * Answers `fetch` calls made to the APIs' production base URLs (and to `MOCK_ORIGIN`) from the
   * mock, for apps that do not use Effect. Returns the function that restores the real `fetch`.
   * A `fetch` captured before the call is not intercepted.
   */
  readonly interceptGlobalFetch: () => () => void
}

/** Mounts the given API mocks, built on `clock`, on one in-process fetch. */
export const mountMocks = (clock: MockClock, apis: ReadonlyArray<MockApi>): Mock => {
  const secretHeaders: ReadonlySet<string> = new Set([
    ...ALWAYS_SECRET,
    ...apis.flatMap((api) => api.definition.secretHeaders),
  ])
  const journal: Array<JournalEntry> = []
  // The bytes of each entry, oldest first, and their sum: what the journal holds.
  const journalSizes: Array<number> = []
  let journalBytes = 0
  let faults: Array<{ fault: Fault; left: number }> = []

  /** Drops the oldest entries in one go, down to 90% of both bounds, so that eviction costs O(1) a request. */
  const evict = () => {
    let drop = Math.max(0, journal.length - Math.floor(JOURNAL_LIMIT * 0.9))
    let bytes = journalBytes
    for (let i = 0; i < drop; i++) bytes -= journalSizes[i]
    while (bytes > JOURNAL_BYTES * 0.9 && drop < journal.length) bytes -= journalSizes[drop++]
    journal.splice(0, drop)
    journalSizes.splice(0, drop)
    journalBytes = bytes
  }

  /** Journals `request` (secrets redacted, long values cut); `headerBytes` is what its headers weigh. */
  const record = (request: Request): { entry: Mutable<JournalEntry>; headerBytes: number } => {
    const headers: Record<string, string> = {}
    let headerBytes = 0
    let size = 128
    request.headers.forEach((value, name) => {
      headerBytes += name.length + value.length
      const kept = secretHeaders.has(name) ? "<redacted>" : cut(value)
      headers[name] = kept
      size += 32 + name.length + kept.length
    })
    const url = cut(request.url)
    const entry: Mutable<JournalEntry> = { method: request.method, url, headers, at: clock.now() }
    size += url.length
    journal.push(entry)
    journalSizes.push(size)
    journalBytes += size
    if (journal.length > JOURNAL_LIMIT || journalBytes > JOURNAL_BYTES) evict()
    return { entry, headerBytes }
  }

  const productionRoutes = apis.map((api) => {
    const base = new URL(trimmed(api.productionBaseUrl))
    const path = trimmed(base.pathname)
    return { api, origin: base.origin, path, baseUrl: `${base.origin}${path}` }
  })
  const mounts = apis.map((api) => ({ api, path: trimmed(api.mount) }))

  const isProduction = (url: URL) =>
    productionRoutes.some((route) => url.origin === route.origin && under(url.pathname, route.path) !== undefined)

  /** The API a URL reaches: by its mount on any origin (the server's, the in-process one), or its production URL. */
  const targetOf = (url: URL): Target | undefined => {
    const { origin, pathname } = url
    for (const route of productionRoutes) {
      const path = origin === route.origin ? under(pathname, route.path) : undefined
      if (path !== undefined) return { api: route.api, path, baseUrl: route.baseUrl }
    }
    for (const mount of mounts) {
      const path = under(pathname, mount.path)
      if (path !== undefined) return { api: mount.api, path, baseUrl: `${origin}${mount.api.mount}` }
    }
    return undefined
  }

  const takeFault = (request: Request, pathname: string): Fault | undefined => {
    if (faults.length === 0) return undefined
    const found = faults.find((f) => f.left > 0 && matches(f.fault, request, pathname))
    if (found === undefined) return undefined
    found.left -= 1
    return found.fault
  }

  const answer = async (request: Request, entry: Mutable<JournalEntry>, headerBytes: number): Promise<Response> => {
    const url = new URL(request.url)
    const fault = takeFault(request, url.pathname)
    if (fault !== undefined) {
      if (fault.delayMs !== undefined) await delay(fault.delayMs, request.signal)
      if (fault.drop) throw new TypeError(`mock: connection dropped for ${request.method} ${request.url}`)
      if (fault.status !== undefined) return faultResponse(fault.status, fault)
    }
    const target = targetOf(url)
    if (headerBytes > MAX_HEADER_BYTES) {
      const message = `The request headers are larger than ${MAX_HEADER_BYTES} bytes`
      return target === undefined
        ? Response.json({ error: "headers_too_large", message }, { status: 431 })
        : target.api.router.refuse(431, message, request, target.baseUrl)
    }
    if (target === undefined) return notFound(request)
    const routed = await target.api.router(request, target.path, target.baseUrl, url)
    entry.operation = routed.operation
    return routed.response
  }

  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = input instanceof Request && init === undefined ? input : new Request(input, init)
    const { entry, headerBytes } = record(request)
    const response = await answer(request, entry, headerBytes)
    entry.status = response.status
    return response
  }

  return {
    fetch: fetch as typeof globalThis.fetch,
    layer: Layer.provide(FetchHttpClient.layer, Layer.succeed(FetchHttpClient.Fetch, fetch as typeof globalThis.fetch)),
    baseUrl: (name) => {
      const api = apis.find((a) => a.name === name)
      if (api === undefined) throw new Error(`no mock API named ${name}`)
      return `${MOCK_ORIGIN}${api.mount}`
    },
    apis,
    clock,
    secretHeaders,
    journal,
    fault: (fault) => {
      if (
        fault.status !== undefined && !(Number.isInteger(fault.status) && fault.status >= 200 && fault.status <= 599)
      ) {
        throw new RangeError(`a fault's status must be an integer from 200 to 599, not ${fault.status}`)
      }
      const entry = { fault, left: fault.times ?? Number.POSITIVE_INFINITY }
      faults.push(entry)
      return () => {
        faults = faults.filter((f) => f !== entry)
      }
    },
    clearFaults: () => {
      faults = []
    },
    reset: () => {
      clock.reset()
      for (const api of apis) api.reset()
      faults = []
      journal.length = 0
      journalSizes.length = 0
      journalBytes = 0
    },
    interceptGlobalFetch: () => {
      const original = globalThis.fetch
      globalThis.fetch = ((input: RequestInfo | URL, init?: RequestInit) => {
        const request = new Request(input, init)
        const url = new URL(request.url)
        return url.origin === MOCK_ORIGIN || isProduction(url) ? fetch(request) : original(request)
      }) as typeof globalThis.fetch
      return () => {
        globalThis.fetch = original
      }
    },
  }
}
