/**
 * The one shape of every API's mock: its definition (endpoints, secret headers), its router, its
 * demo credentials, a reset, and its own control routes. The mock app, the server, the journal's
 * redaction and the msw handlers read nothing else.
 *
 * @module
 */
import type { RequestHandler } from "msw"
import { http } from "msw/http"
import type { AnyApi, Endpoint } from "../src/core/endpoint.ts"
import type { Router } from "../src/core/router.ts"

/**
 * The request a forced error answers, for {@linkcode MockApi.errorResponse}.
 *
 * @example
 * ```ts
 * import { createMock, type ErrorContext } from "@gatehouse/sdk/mock"
 *
 * const mock = createMock()
 * const request = new Request(`${mock.baseUrl("puid")}/v1/ids`)
 * const context: ErrorContext = { request, baseUrl: mock.baseUrl("puid"), endpoint: undefined }
 * const answer = mock.puid.errorResponse(402, "forced", context)
 * console.log((await answer.json()).upgrade_url)
 * ```
 */
export interface ErrorContext {
  /** The endpoint the request reached, if any. */
  readonly endpoint: Endpoint | undefined
  /** The request. */
  readonly request: Request
  /** The API's base URL as the caller reached it. */
  readonly baseUrl: string
}

/**
 * One API's mock, as mounted on the mock app.
 *
 * @example
 * ```ts
 * import { createMock, type MockApi } from "@gatehouse/sdk/mock"
 *
 * const mounted: ReadonlyArray<MockApi> = createMock().apis
 * for (const api of mounted) console.log(api.name, api.mount, api.productionBaseUrl)
 * ```
 */
export interface MockApi {
  /** Short name, also the control prefix: `/__mock/puid/...`. */
  readonly name: string
  /** The path the client's base URL ends with on the mock server: `/puid/api`. */
  readonly mount: string
  /** The production base URL, which `interceptGlobalFetch` answers for. */
  readonly productionBaseUrl: string
  /** The API's definition: what the mock serves and documents, and which headers are secrets. */
  readonly definition: AnyApi
  /** Answers a request for a path below the API's base URL. */
  readonly router: Router
  /** Demo credentials and ids, printed by the mock server. Never real secrets. */
  readonly demo: Readonly<Record<string, string>>
  /** How a caller sends the demo credentials (headers), printed under them by the mock server. */
  readonly credentialHint?: string | undefined
  /** Back to the seeded state. */
  readonly reset: () => void
  /**
   * The API's own error answer for `status`, in its error shape: what a `status` fault without a
   * body and `Prefer: code=` answer. With `context`, the answer the endpoint it reached gives for
   * that status (a PUID 402 with the caller's quota, MachineID's 401 decision on validate).
   */
  readonly errorResponse: (status: number, message: string, context?: ErrorContext) => Response
  /**
   * The state as JSON, for `--state`, `--seed` and `GET /__mock/state`; `restore` takes it back.
   * An API without them always starts in its seeded state.
   */
  readonly snapshot?: (() => unknown) | undefined
  /** Replaces the state with a `snapshot`'s; throws an `Error` saying what is wrong, and changes nothing, when it is not one. */
  readonly restore?: ((snapshot: unknown) => void) | undefined
  /**
   * The API's own routes on the server's control API, under `/__mock/<name>/`: `route` is the
   * rest of the path. Answers `undefined` for a route it does not have.
   */
  readonly control?: ((request: Request, route: string) => Promise<Response | undefined>) | undefined
  /** What `control` serves, by route (below `/__mock/<name>/`) and method: `GET /__mock` lists them. */
  readonly controlRoutes?: Readonly<Record<string, Readonly<Record<string, string>>>> | undefined
}

/**
 * The msw handlers of `api` under `base`, a URL (`"https://puid.dev/api"`, for msw's `setupServer`)
 * or a pattern (`"*\/puid/api"`): one catch-all that hands each request to the API's router.
 */
export const mswHandlers = (api: MockApi, base: string): ReadonlyArray<RequestHandler> => {
  const basePath = (base.startsWith("*") ? base.slice(1) : new URL(base).pathname).replace(/\/+$/, "")
  const answer = async ({ request }: { request: Request }) => {
    const url = new URL(request.url)
    const at = url.pathname.indexOf(basePath)
    const path = url.pathname.slice(at + basePath.length)
    return (await api.router(request, path, `${url.origin}${url.pathname.slice(0, at)}${basePath}`)).response
  }
  const root = base.replace(/\/+$/, "")
  return [http.all(root, answer), http.all(`${root}/*`, answer)]
}

/** The error code most APIs answer a status with, snake case: `rate_limited` for 429. */
export const errorCode = (status: number): string => ERROR_CODES[status] ?? (status >= 500 ? "server_error" : "error")

const ERROR_CODES: Readonly<Record<number, string>> = {
  400: "bad_request",
  401: "unauthorized",
  402: "payment_required",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  409: "conflict",
  410: "gone",
  412: "precondition_failed",
  413: "payload_too_large",
  415: "unsupported_media_type",
  422: "unprocessable_entity",
  429: "rate_limited",
  500: "internal_error",
  502: "bad_gateway",
  503: "service_unavailable",
  504: "gateway_timeout",
}
