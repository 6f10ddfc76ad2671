/**
 * Reading an answer: the whole of it (status, headers, body parsed), a 2xx decoded with a schema,
 * anything else as the pipeline's {@linkcode Failure}.
 *
 * @module
 */
import { Effect, Schema } from "effect"
import type { Headers, HttpClientError, HttpClientResponse } from "effect/http"
import type { Failure } from "./failure.ts"
import { isAttemptTimeout } from "./middleware.ts"

/** A decoded 2xx answer and what came with it. */
export interface Answer<A> {
  readonly value: A
  readonly status: number
  readonly headers: Headers.Headers
  readonly requestId: string | undefined
}

/** A whole answer: its status line and headers, and its body parsed as JSON (or its text, or `undefined`). */
export interface Received {
  readonly response: HttpClientResponse.HttpClientResponse
  readonly body: unknown
}

const parseBody = (text: string): unknown => {
  if (text === "") return undefined
  try {
    return JSON.parse(text) as unknown
  } catch {
    return text
  }
}

const timeoutMessage = (error: HttpClientError.HttpClientError): string =>
  error.reason._tag === "TransportError" && error.reason.cause instanceof Error
    ? error.reason.cause.message
    : error.message

/** The pipeline failure of an `HttpClientError`: a timeout, or a transport failure (retryable unless the request could not be built). */
export const failureOf = (operation: string, error: HttpClientError.HttpClientError): Failure =>
  isAttemptTimeout(error) ? { _tag: "Timeout", operation, message: timeoutMessage(error) } : {
    _tag: "Transport",
    operation,
    message: error.message,
    cause: error,
    retryable: error.reason._tag !== "InvalidUrlError" && error.reason._tag !== "EncodeError",
  }

/** The answer read whole: status, headers and its body parsed (the timeout stage has it in memory). */
export const receive = (
  response: HttpClientResponse.HttpClientResponse,
): Effect.Effect<Received, HttpClientError.HttpClientError> =>
  Effect.map(response.text, (text) => ({ response, body: parseBody(text) }))

/** A 2xx decoded with `schema`, or the failure the answer is. */
export const toAnswer = <A, I, RD>(
  operation: string,
  requestIdHeader: string,
  { response, body }: Received,
  schema: Schema.Codec<A, I, RD>,
): Effect.Effect<Answer<A>, Failure, RD> => {
  const requestId = response.headers[requestIdHeader]
  if (response.status < 200 || response.status >= 300) {
    return Effect.fail({
      _tag: "Status",
      operation,
      status: response.status,
      body,
      headers: response.headers,
      requestId,
      message: `HTTP ${response.status}`,
    })
  }
  return Schema.decodeUnknownEffect(schema)(body).pipe(
    Effect.mapError((error): Failure => ({
      _tag: "Decode",
      operation,
      status: response.status,
      body,
      requestId,
      message: `unexpected response body: ${error.message}`,
    })),
    Effect.map((value) => ({ value, status: response.status, headers: response.headers, requestId })),
  )
}
