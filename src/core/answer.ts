/**
 * Reading an answer: the whole of it (status, headers, body parsed), a 2xx decoded with a schema,
 * anything else as the pipeline's {@linkcode Failure}.
 *
 * @module
 */
import { Effect, type Schema } from "effect"
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

/** A success schema's decoder, compiled once (`Schema.decodeUnknownEffect`) and used for every answer. */
export type Decoder<A, RD = never> = (body: unknown) => Effect.Effect<A, Schema.SchemaError, RD>

/**
 * A decoded answer whose headers (and request id) are copied out of the response when first read:
 * each read of `HttpClientResponse.headers` copies them, and `send` never reads them.
 */
const answerOf = <A>(
  value: A,
  response: HttpClientResponse.HttpClientResponse,
  requestIdHeader: string,
): Answer<A> => {
  let headers: Headers.Headers | undefined
  return {
    value,
    status: response.status,
    get headers() {
      return headers ??= response.headers
    },
    get requestId() {
      return this.headers[requestIdHeader]
    },
  }
}

/** A 2xx decoded with `decode`, or the failure the answer is. */
export const toAnswer = <A, RD>(
  operation: string,
  requestIdHeader: string,
  { response, body }: Received,
  decode: Decoder<A, RD>,
): Effect.Effect<Answer<A>, Failure, RD> => {
  const status = response.status
  if (status < 200 || status >= 300) {
    const headers = response.headers
    const requestId = headers[requestIdHeader]
    return Effect.fail({ _tag: "Status", operation, status, body, headers, requestId, message: `HTTP ${status}` })
  }
  return Effect.mapBoth(decode(body), {
    onFailure: (error): Failure => ({
      _tag: "Decode",
      operation,
      status,
      body,
      requestId: response.headers[requestIdHeader],
      message: `unexpected response body: ${error.message}`,
    }),
    onSuccess: (value) => answerOf(value, response, requestIdHeader),
  })
}
