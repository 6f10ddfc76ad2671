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
import { preferredAnswer } from "./prefer.ts"

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

/**
 * The origin the in-process mock answers for when no server runs. Any origin works.
 *
 * @example
 * ```ts
 * import { createMock, MOCK_ORIGIN } from "@gatehouse/sdk/mock"
 *
 * const mock = createMock()
 * console.log(mock.baseUrl("puid") === `${MOCK_ORIGIN}/puid/api`) // true
 * ```
 */
export const MOCK_ORIGIN = "http://mock.gatehouse.test"

/**
 * A request the mock received.
 *
 * @example
 * ```ts
 * import { createMock, type JournalEntry } from "@gatehouse/sdk/mock"
 *
 * const mock = createMock()
 * await mock.fetch(`${mock.baseUrl("puid")}/v1/quota`) // no credential
 * const last: JournalEntry | undefined = mock.journal.at(-1)
 * console.log(last?.operation, last?.status) // puid.quota 401
 * ```
 */
export interface JournalEntry {
  /** The API it reached (`puid`); absent for a path below no API. */
  readonly api?: string | undefined
  /** The request method. */
  readonly method: string
  /** The URL as the caller sent it: the origin it reached the mock at. */
  readonly url: string
  /** The URL's path, without its query: what patterns match. */
  readonly path: string
  /** Lower-case header names; the values of every API's secret headers are replaced by `<redacted>`. */
  readonly headers: Readonly<Record<string, string>>
  /** When it arrived, on the mock clock. */
  readonly at: number
  /** The operation it reached (`puid.ids`); absent for an unknown path, a wrong method, a fault. */
  readonly operation?: string | undefined
  /** The status answered; absent when the connection was dropped. */
  readonly status?: number | undefined
  /** How long the answer took, in real milliseconds (a fault's or the default latency included). */
  readonly durationMs?: number | undefined
}

/**
 * A wait: fixed, or drawn uniformly from `[min, max]`, in real milliseconds.
 *
 * @example
 * ```ts
 * import { createMock, type Latency } from "@gatehouse/sdk/mock"
 *
 * const mock = createMock()
 * const jitter: Latency = [5, 20] // each answer waits 5 to 20 ms
 * mock.setLatency(jitter)
 * ```
 */
export type Latency = number | readonly [min: number, max: number]

/**
 * Which requests a fault, a journal query or a verify matches; every field given must match.
 *
 * @example
 * ```ts
 * import { createMock, type RequestPattern } from "@gatehouse/sdk/mock"
 *
 * const mock = createMock()
 * await mock.fetch(`${mock.baseUrl("puid")}/v1/quota`)
 * const refused: RequestPattern = { api: "puid", path: "/v1/quota", status: 401 }
 * console.log(mock.verify(refused)) // 1
 * ```
 */
export interface RequestPattern {
  /** Only requests to this API (`puid`). */
  readonly api?: string | undefined
  /** Only this method (any when absent). */
  readonly method?: string | undefined
  /** A path the request's pathname contains (a string) or matches (a RegExp). */
  readonly path?: string | RegExp | undefined
  /** Only answers with this status (journal queries and verify). */
  readonly status?: number | undefined
}

/**
 * A fault forced on the requests that match it.
 *
 * @example
 * ```ts
 * import { createMock, type Fault } from "@gatehouse/sdk/mock"
 *
 * const mock = createMock()
 * const busy: Fault = { api: "puid", path: "/v1/ids", status: 503, headers: { "retry-after": "1" }, times: 1 }
 * mock.fault(busy)
 * const response = await mock.fetch(`${mock.baseUrl("puid")}/v1/ids?n=1`)
 * console.log(response.status, response.headers.get("retry-after")) // 503 1
 * ```
 */
export interface Fault {
  /** Only requests to this API (`puid`). */
  readonly api?: string | undefined
  /** Only this method (any when absent). */
  readonly method?: string | undefined
  /** A path the request's pathname contains (a string) or matches (a RegExp). */
  readonly path: string | RegExp
  /** Answer with this status (and `body`) instead of the API's answer. */
  readonly status?: number | undefined
  /**
   * The body of a `status` fault: JSON, or a string sent as text.
   * @default the API's own error body for that status
   */
  readonly body?: unknown
  /** Headers of a `status` fault's answer (a `Retry-After`, say). */
  readonly headers?: Readonly<Record<string, string>> | undefined
  /** Wait this long before answering: fixed, or a `[min, max]` range, in real milliseconds. */
  readonly delayMs?: Latency | undefined
  /** Fail the request as a broken connection would. */
  readonly drop?: boolean | undefined
  /** How many requests it applies to before it is spent (forever when absent). */
  readonly times?: number | undefined
  /** The chance, from 0 to 1, that it applies to a matching request. @default 1 */
  readonly probability?: number | undefined
}

/**
 * A fault in force, as `faults()` lists it.
 *
 * @example
 * ```ts
 * import { type ActiveFault, createMock } from "@gatehouse/sdk/mock"
 *
 * const mock = createMock()
 * mock.fault({ api: "machineid", path: "/devices", drop: true, times: 2 })
 * const [active]: ReadonlyArray<ActiveFault> = mock.faults()
 * console.log(active.id, active.left, active.hits) // f1 2 0
 * ```
 */
export interface ActiveFault {
  /** Its id, for `removeFault` and `DELETE /__mock/faults/<id>`. */
  readonly id: string
  /** The fault as it was given. */
  readonly fault: Fault
  /** How many more requests it applies to (`null`: no limit). */
  readonly left: number | null
  /** How many requests it has applied to. */
  readonly hits: number
}

/**
 * What `fault()` answers: call it to remove the fault; `id` names it.
 *
 * @example
 * ```ts
 * import { createMock, type FaultHandle } from "@gatehouse/sdk/mock"
 *
 * const mock = createMock()
 * const slow: FaultHandle = mock.fault({ path: "/", delayMs: 2_000 })
 * console.log(mock.faults().map((fault) => fault.id)) // [slow.id]
 * slow() // removed
 * console.log(mock.faults().length) // 0
 * ```
 */
export interface FaultHandle {
  (): void
  /** The fault's id. */
  readonly id: string
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

/** Whether a request (its method, pathname and API) matches `pattern`, whose status is not read. */
const matches = (
  pattern: Omit<RequestPattern, "status">,
  method: string,
  pathname: string,
  api: string | undefined,
): boolean =>
  (pattern.method === undefined || pattern.method.toUpperCase() === method) &&
  (pattern.api === undefined || pattern.api === api) &&
  (pattern.path === undefined ||
    (typeof pattern.path === "string" ? pathname.includes(pattern.path) : pattern.path.test(pathname)))

/** Milliseconds of `latency`: itself, or a uniform draw from its range. */
const draw = (latency: Latency): number =>
  typeof latency === "number" ? latency : latency[0] + Math.round(Math.random() * (latency[1] - latency[0]))

const NULL_BODY_STATUSES = new Set([204, 205, 304])

/**
 * Whether a `status` fault needs its own `body`: the APIs have no error body for a status below
 * 400 (and 204, 205, 304 carry none).
 */
export const statusNeedsBody = (status: number): boolean => status < 400 && !NULL_BODY_STATUSES.has(status)

const HEADERS_TOO_LARGE = `The request headers are larger than ${MAX_HEADER_BYTES} bytes`

/** The 431 of a request below no API (the control API, an unknown path): headers past {@linkcode MAX_HEADER_BYTES}. */
export const headersTooLarge = (): Response =>
  Response.json({ error: "headers_too_large", message: HEADERS_TOO_LARGE }, { status: 431 })

/** What `headers` weigh against {@linkcode MAX_HEADER_BYTES}: their names and values. */
export const headerBytesOf = (headers: Headers): number => {
  let bytes = 0
  headers.forEach((value, name) => void (bytes += name.length + value.length))
  return bytes
}

/** A `status` fault's answer: its body, else the error body the endpoint reached gives for the status. */
const faultResponse = (status: number, fault: Fault, request: Request, target: Target | undefined) => {
  const init = { status, headers: fault.headers }
  if (NULL_BODY_STATUSES.has(status)) return new Response(null, init)
  if (fault.body === undefined) {
    const endpoint = target?.api.router.endpointAt(request.method, target.path)
    const answer = target?.api.errorResponse(status, "forced by a mock fault", {
      endpoint,
      request,
      baseUrl: target.baseUrl,
    }) ?? Response.json({ error: "mock_fault" }, { status })
    for (const [name, value] of Object.entries(fault.headers ?? {})) answer.headers.set(name, value)
    return answer
  }
  return typeof fault.body === "string" ? new Response(fault.body, init) : Response.json(fault.body, init)
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

/**
 * Every mock API in one place, answering in-process.
 *
 * @example
 * ```ts
 * import { createMock, type Mock } from "@gatehouse/sdk/mock"
 *
 * // A test helper that takes any mock: back to the seed, then count what a run sends.
 * const requestsOf = async (mock: Mock, run: () => Promise<unknown>): Promise<number> => {
 *   mock.reset()
 *   await run()
 *   return mock.journal.length
 * }
 *
 * const mock = createMock()
 * console.log(await requestsOf(mock, () => mock.fetch(`${mock.baseUrl("puid")}/v1/quota`))) // 1
 * ```
 */
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
  /** Forces `fault` on matching requests; returns a function that removes it, whose `id` names it. */
  readonly fault: (fault: Fault) => FaultHandle
  /** The faults in force, oldest first. */
  readonly faults: () => ReadonlyArray<ActiveFault>
  /** Removes the fault `id`; `false` when there is none. */
  readonly removeFault: (id: string) => boolean
  /** Removes every forced fault. */
  readonly clearFaults: () => void
  /** The journal's entries that match `query`, oldest first; `limit` keeps the most recent ones. */
  readonly requests: (query?: RequestPattern & { readonly limit?: number | undefined }) => ReadonlyArray<JournalEntry>
  /** How many journalled requests match `pattern` (WireMock's verify). */
  readonly verify: (pattern: RequestPattern) => number
  /** Empties the journal. */
  readonly clearJournal: () => void
  /** Sets the wait before every API answer that no fault delays (`undefined`: none, the default). */
  readonly setLatency: (latency: Latency | undefined) => void
  /** Calls `listener` with each request's journal entry once it is answered; returns the function that stops it. */
  readonly observe: (listener: (entry: JournalEntry) => void) => () => void
  /** The state of every API that can save it (`snapshot` on its `MockApi`), by API name, as JSON. */
  readonly snapshot: () => Record<string, unknown>
  /**
   * Restores the APIs a `snapshot` names (the others keep their state). Throws an `Error` naming
   * the API and what is wrong, and changes nothing, when the snapshot is not one.
   */
  readonly restore: (snapshot: Readonly<Record<string, unknown>>) => void
  /** Back to the seeded state: every API, the clock, the faults, the journal. */
  readonly reset: () => void
  /**
   * Answers `fetch` calls made to the APIs' production base URLs (and to `MOCK_ORIGIN`) from the
   * mock, for apps that do not use Effect. Returns the function that restores the real `fetch`.
   * A `fetch` captured before the call is not intercepted.
   */
  readonly interceptGlobalFetch: () => () => void
}

/**
 * Mounts the given API mocks, built on `clock`, on one in-process fetch.
 *
 * @example
 * ```ts
 * import { MachineIdMock, MockClock, mountMocks, PuidMock } from "@gatehouse/sdk/mock"
 *
 * // Only PUID and MachineID, on a clock the test owns.
 * const clock = new MockClock()
 * const mock = mountMocks(clock, [new PuidMock(clock), new MachineIdMock(clock)])
 * console.log(mock.apis.map((api) => api.name)) // ["puid", "machineid"]
 * ```
 */
export const mountMocks = (clock: MockClock, apis: ReadonlyArray<MockApi>): Mock => {
  const secretHeaders: ReadonlySet<string> = new Set([
    ...ALWAYS_SECRET,
    ...apis.flatMap((api) => api.definition.secretHeaders),
  ])
  const journal: Array<JournalEntry> = []
  // The bytes of each entry, oldest first, and their sum: what the journal holds.
  const journalSizes: Array<number> = []
  let journalBytes = 0
  let faults: Array<{ id: string; fault: Fault; left: number; hits: number }> = []
  let faultIds = 0
  let latency: Latency | undefined
  const listeners = new Set<(entry: JournalEntry) => void>()

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

  /** Journals `request` at `path` (secrets redacted, long values cut); `headerBytes` is what its headers weigh. */
  const record = (request: Request, path: string): { entry: Mutable<JournalEntry>; headerBytes: number } => {
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
    const kept = cut(path)
    const entry: Mutable<JournalEntry> = { method: request.method, url, path: kept, headers, at: clock.now() }
    size += url.length + kept.length
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

  const takeFault = (request: Request, pathname: string, api: string | undefined): Fault | undefined => {
    const found = faults.find((f) =>
      matches(f.fault, request.method, pathname, api) &&
      (f.fault.probability === undefined || Math.random() < f.fault.probability)
    )
    if (found === undefined) return undefined
    found.left -= 1
    found.hits += 1
    if (found.left === 0) faults = faults.filter((f) => f !== found)
    return found.fault
  }

  const answer = async (
    request: Request,
    url: URL,
    entry: Mutable<JournalEntry>,
    headerBytes: number,
  ): Promise<Response> => {
    const target = targetOf(url)
    entry.api = target?.api.name
    const fault = faults.length === 0 ? undefined : takeFault(request, url.pathname, entry.api)
    const wait = fault?.delayMs ?? (target === undefined ? undefined : latency)
    if (wait !== undefined) await delay(draw(wait), request.signal)
    if (fault?.drop) throw new TypeError(`mock: connection dropped for ${request.method} ${request.url}`)
    if (fault?.status !== undefined) return faultResponse(fault.status, fault, request, target)
    if (headerBytes > MAX_HEADER_BYTES) {
      return target === undefined
        ? headersTooLarge()
        : target.api.router.refuse(431, HEADERS_TOO_LARGE, request, target.baseUrl)
    }
    if (target === undefined) return notFound(request)
    const preferred = preferredAnswer(target.api, target.path, request, target.baseUrl)
    if (preferred !== undefined) {
      entry.operation = preferred.operation
      return preferred.response
    }
    const routed = await target.api.router(request, target.path, target.baseUrl, url)
    entry.operation = routed.operation
    return routed.response
  }

  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = input instanceof Request && init === undefined ? input : new Request(input, init)
    const url = new URL(request.url)
    const { entry, headerBytes } = record(request, url.pathname)
    const started = performance.now()
    try {
      const response = await answer(request, url, entry, headerBytes)
      entry.status = response.status
      return response
    } finally {
      entry.durationMs = Math.round((performance.now() - started) * 100) / 100
      for (const listener of listeners) listener(entry)
    }
  }

  const requests = (query: RequestPattern & { readonly limit?: number | undefined } = {}) => {
    const found = journal.filter((entry) =>
      (query.status === undefined || query.status === entry.status) &&
      matches(query, entry.method, entry.path, entry.api)
    )
    return query.limit === undefined ? found : found.slice(Math.max(0, found.length - query.limit))
  }

  const app: Mock = {
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
      if (fault.status !== undefined && fault.body === undefined && statusNeedsBody(fault.status)) {
        throw new RangeError(
          `a fault's status below 400 needs its body: the APIs have no error body for ${fault.status}`,
        )
      }
      if (fault.probability !== undefined && !(fault.probability >= 0 && fault.probability <= 1)) {
        throw new RangeError(`a fault's probability must be from 0 to 1, not ${fault.probability}`)
      }
      const entry = { id: `f${++faultIds}`, fault, left: fault.times ?? Number.POSITIVE_INFINITY, hits: 0 }
      faults.push(entry)
      return Object.assign(() => void app.removeFault(entry.id), { id: entry.id })
    },
    faults: () =>
      faults.map(({ id, fault, left, hits }) => ({
        id,
        fault,
        left: Number.isFinite(left) ? left : null,
        hits,
      })),
    removeFault: (id) => {
      const before = faults.length
      faults = faults.filter((f) => f.id !== id)
      return faults.length < before
    },
    clearFaults: () => {
      faults = []
    },
    requests,
    verify: (pattern) => requests(pattern).length,
    clearJournal: () => {
      journal.length = 0
      journalSizes.length = 0
      journalBytes = 0
    },
    setLatency: (value) => {
      const [min, max] = typeof value === "number" ? [value, value] : value ?? [0, 0]
      if (!(Number.isFinite(min) && Number.isFinite(max) && min >= 0 && min <= max)) {
        throw new RangeError(`a latency must be milliseconds >= 0, or a range [min, max], not ${value}`)
      }
      latency = value
    },
    observe: (listener) => {
      listeners.add(listener)
      return () => void listeners.delete(listener)
    },
    snapshot: () =>
      Object.fromEntries(apis.flatMap((api) => api.snapshot === undefined ? [] : [[api.name, api.snapshot()]])),
    restore: (snapshot) => {
      const targets = Object.keys(snapshot).map((name) => {
        const api = apis.find((a) => a.name === name)
        if (api?.restore === undefined) {
          throw new Error(`${name}: ${api === undefined ? "no such API on this mock" : "its state cannot be restored"}`)
        }
        return api
      })
      const before = new Map(targets.map((api) => [api, api.snapshot!()]))
      for (const api of targets) {
        try {
          api.restore!(snapshot[api.name])
        } catch (error) {
          for (const [done, state] of before) done.restore!(state)
          const why = error instanceof Error ? error.message : String(error)
          throw new Error(`${api.name}: ${why.replace(/\s*\n\s*/g, " ")}`)
        }
      }
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
  return app
}
