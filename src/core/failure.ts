/**
 * What the request pipeline knows about an exchange that did not succeed. Each API turns a
 * `Failure` into its own typed errors with one function, its error table.
 *
 * @module
 */
import type { Headers } from "effect/http"

interface Common {
  /** The operation that failed, as in its span name: `puid.ids`. */
  readonly operation: string
  readonly message: string
}

/** The server answered with a status outside 2xx. */
export interface StatusFailure extends Common {
  readonly _tag: "Status"
  readonly status: number
  /** The body parsed as JSON, or its text when it is not JSON, or `undefined` when empty. */
  readonly body: unknown
  readonly headers: Headers.Headers
  readonly requestId: string | undefined
}

/** The server answered 2xx with a body that does not match the contract. */
export interface DecodeFailure extends Common {
  readonly _tag: "Decode"
  readonly status: number
  readonly body: unknown
  readonly requestId: string | undefined
}

/** No answer: the connection failed, or the request could not be built. */
export interface TransportFailure extends Common {
  readonly _tag: "Transport"
  /** The `HttpClientError`; its request carries the credential headers, so keep it out of errors. */
  readonly cause: unknown
  /** `false` when sending again cannot help: the URL or the body could not be built. */
  readonly retryable: boolean
}

/** No answer within the client's timeout. */
export interface TimeoutFailure extends Common {
  readonly _tag: "Timeout"
}

/** The client was used after the scope that owns it closed. */
export interface ClosedFailure extends Common {
  readonly _tag: "Closed"
}

/** Every way an exchange can fail, before an API names it. */
export type Failure = StatusFailure | DecodeFailure | TransportFailure | TimeoutFailure | ClosedFailure

/** An API's error table: one typed error for each failure. */
export type ErrorTable<E> = (failure: Failure) => E
