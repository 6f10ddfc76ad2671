/**
 * Prism's `Prefer` header on any API request: `Prefer: code=429` answers that status with the
 * API's own error body, when the endpoint documents it (its definition's `errors`); an
 * undocumented status is a 400 that lists the documented ones. `code=` of the endpoint's success
 * status, and `dynamic=`, leave the answer to the mock's state (every answer is dynamic here);
 * `example=` is refused, as the documents have no named examples.
 *
 * @module
 */
import type { Routed } from "../src/core/router.ts"
import type { MockApi } from "./api.ts"

/** The preferences of a `Prefer` header (RFC 7240): `code=429, example=x` as a map; quotes dropped. */
const preferences = (header: string): ReadonlyMap<string, string> =>
  new Map(
    header.split(/[,;]/).flatMap((part) => {
      const match = /^\s*([a-z-]+)\s*=\s*"?([^"]*)"?\s*$/i.exec(part)
      return match === null ? [] : [[match[1].toLowerCase(), match[2]] as const]
    }),
  )

/**
 * The answer a request's `Prefer` header forces, or `undefined` when the mock answers as usual
 * (no header, no `code=`, the success status, or a path and method of no endpoint).
 */
export const preferredAnswer = (api: MockApi, path: string, request: Request, baseUrl: string): Routed | undefined => {
  const header = request.headers.get("prefer")
  if (header === null) return undefined
  const preferred = preferences(header)
  const code = preferred.get("code")
  const example = preferred.get("example")
  if (code === undefined && example === undefined) return undefined
  const endpoint = api.router.endpointAt(request.method, path)
  if (endpoint === undefined) return undefined
  const operation = `${api.name}.${endpoint.name}`
  if (example !== undefined) {
    const message = `Prefer: example=${example}: this mock has no named examples; its answers come from its state`
    return { response: api.errorResponse(400, message), operation }
  }
  const success = endpoint.successStatus ?? 200
  const documented = [success, ...Object.keys(endpoint.errors ?? {}).map(Number)]
  if (code !== undefined && !/^[1-5]\d\d$/.test(code)) {
    return { response: api.errorResponse(400, `Prefer: code=${code} is not an HTTP status code`), operation }
  }
  const status = Number(code)
  if (status === success) return undefined
  if (!documented.includes(status)) {
    const message = `Prefer: code=${code} is not documented for ${endpoint.method} ${endpoint.path}; documented: ${
      documented.join(", ")
    }`
    return { response: api.errorResponse(400, message), operation }
  }
  const context = { endpoint, request, baseUrl }
  return { response: api.errorResponse(status, `forced by Prefer: code=${status}`, context), operation }
}
