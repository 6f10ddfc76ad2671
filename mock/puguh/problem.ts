/**
 * What the PUGUH mock's rules refuse with: a status and FastAPI's `detail` (a message, or a 422's
 * list), with the optional `code` and headers (`Retry-After`). The state throws it; the handlers
 * answer it.
 *
 * @module
 */
import type { ErrorBody, ValidationIssue } from "../../src/puguh/contract.ts"

/** A refusal by the mock's rules, answered as `{"detail": ..., "code": ...}` with `status`. */
export class Problem extends Error {
  /** The HTTP status. */
  readonly status: number
  /** The body. */
  readonly body: ErrorBody
  /** Headers of the answer (`Retry-After`, `WWW-Authenticate`). */
  readonly headers: Readonly<Record<string, string>>

  /** A refusal with `status`, `detail` and, when given, a `code` and headers. */
  constructor(
    status: number,
    detail: string | ReadonlyArray<ValidationIssue>,
    code?: string,
    headers: Readonly<Record<string, string>> = {},
  ) {
    super(typeof detail === "string" ? detail : detail.map((issue) => issue.msg).join("; "))
    this.status = status
    this.body = code === undefined ? { detail } : { detail, code }
    this.headers = headers
  }
}

/** 401, with the `WWW-Authenticate` a Bearer API answers. */
export const unauthorized = (detail: string, code?: string): Problem =>
  new Problem(401, detail, code, { "www-authenticate": code === undefined ? "Bearer" : `Bearer error="${code}"` })

/** 403 */
export const forbidden = (detail: string, code?: string): Problem => new Problem(403, detail, code)

/** 404 */
export const notFound = (what: string): Problem => new Problem(404, `${what} not found`)

/** 409 */
export const conflict = (detail: string, code?: string): Problem => new Problem(409, detail, code)

/** 422 with one item, as FastAPI answers a value it refuses. */
export const invalid = (loc: ReadonlyArray<string | number>, msg: string, type: string = "value_error"): Problem =>
  new Problem(422, [{ loc, msg, type }])
