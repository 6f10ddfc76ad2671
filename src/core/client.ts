/**
 * The request pipeline every gatehouse client is built on, readable top to bottom. Each stage is a
 * combinator on an `HttpClient` (`./middleware.ts`), composed once per client:
 *
 * ```
 * call  -> the endpoint's request: path, query and body encoded by its schemas (./endpoint.ts)
 *       -> its span (`puid.ids`, kind client), only when a tracing backend is installed; traceparent
 *       -> base URL, Accept, User-Agent, default headers
 *       -> withCredential: the credential; after a 401, one shared renewal and one resend
 *       -> withPacing (optional): wait for a turn instead of meeting 429
 *       -> withRetry: the RetryPolicy, only for requests that are safe to repeat; Retry-After
 *       -> withTimeout: each attempt, body included, within the timeout
 *       -> withSingleDelivery: a request not safe to repeat (or a DELETE) is never resent by the
 *          runtime (Deno, Bun)
 *       -> the HttpClient (FetchHttpClient, the mock's, a user's)
 * answer <- 2xx: decoded with the endpoint's success schema | otherwise: the API's error table
 * ```
 *
 * A user's `transformClient` wraps the outside of it all.
 *
 * @module
 */
import { Context, type Duration, Effect, References, Schema, type Scope, Tracer } from "effect"
import { Headers, HttpClient, HttpClientError, HttpClientRequest, HttpTraceContext } from "effect/http"
import { type Answer, type Decoder, failureOf, receive, toAnswer } from "./answer.ts"
import { type Credential, exchangeClientCredentials, makeAuthenticator } from "./credentials.ts"
import { type Codec, type Endpoint, fillPath, type Input, isIdempotent, type Success } from "./endpoint.ts"
import type { ErrorTable } from "./failure.ts"
import {
  CallContext,
  type CallInfo,
  type Pacing,
  withCredential,
  withPacing,
  withRetry,
  withSingleDelivery,
  withTimeout,
} from "./middleware.ts"
import type { RetryPolicy } from "./retry.ts"
import { USER_AGENT } from "./version.ts"

export type { Pacing } from "./middleware.ts"

/**
 * Options every gatehouse client accepts.
 *
 * @example
 * ```ts
 * import type { TransportOptions } from "@gatehouse/sdk/puid"
 * import { Puid } from "@gatehouse/sdk/puid"
 *
 * const transport: TransportOptions = { headers: { "x-request-source": "batch" }, timeout: "5 seconds" }
 * const layer = Puid.layer({ apiKey: "puid_live_...", ...transport })
 * ```
 */
export interface TransportOptions {
  /** Headers sent with every request (after Accept and User-Agent, before the credential). */
  readonly headers?: Readonly<Record<string, string>> | undefined
  /** How long one attempt may take. */
  readonly timeout?: Duration.Input | undefined
  /** Replaces the API's default retry policy. */
  readonly retry?: RetryPolicy | undefined
  /** Paces requests on the client (the calls the API paces); off unless set. */
  readonly pacing?: Pacing | undefined
  /** A last say over the `HttpClient` (logging, a proxy, extra middleware). */
  readonly transformClient?: ((client: HttpClient.HttpClient) => HttpClient.HttpClient) | undefined
}

/** What an API tells the pipeline about itself. */
export interface ApiDefinition<E> extends TransportOptions {
  /** Span prefix: `puid` gives spans `puid.ids`. */
  readonly name: string
  readonly baseUrl: string
  readonly credential: Credential<E>
  readonly timeout: Duration.Input
  readonly retry: RetryPolicy
  readonly toError: ErrorTable<E>
  /** The header the API puts its request id in. @default "x-request-id" */
  readonly requestIdHeader?: string | undefined
  /** Header names that hold secrets, kept out of traces and logs. */
  readonly secretHeaders?: ReadonlyArray<string> | undefined
  /** Path of the OAuth2 token endpoint, for `ClientCredentials`. */
  readonly tokenPath?: string | undefined
  /**
   * Whether the API honours an `Idempotency-Key` (answers a repeat with the first result): then a
   * request that carries one is retried whatever it does. @default false
   */
  readonly idempotencyKeys?: boolean | undefined
}

/** Per-call options. */
export interface CallOptions {
  readonly retry?: RetryPolicy | undefined
  /** Whether the client's pacing applies to this call. @default true */
  readonly paced?: boolean | undefined
  /** Whether the request may be sent again after an attempt whose outcome is unknown. @default the endpoint's `idempotent` */
  readonly idempotent?: boolean | undefined
  /**
   * Headers of this call alone (`Idempotency-Key`, `If-Match`, a context header), set after the
   * client's default headers.
   */
  readonly headers?: Readonly<Record<string, string>> | undefined
}

export type { Answer } from "./answer.ts"

/** The pipeline of one API: send a request, get its decoded answer or the API's typed error. */
export interface ApiClient<E> {
  /** Sends a call of `endpoint` (its parameters, query and body encoded by its schemas) and decodes its success. */
  readonly send: <const P extends Endpoint>(
    endpoint: P,
    input: Input<P>,
    options?: CallOptions,
  ) => Effect.Effect<Success<P>, E>
  /** Like `send`, and keeps the status, headers and request id of the answer. */
  readonly exchange: <const P extends Endpoint>(
    endpoint: P,
    input: Input<P>,
    options?: CallOptions,
  ) => Effect.Effect<Answer<Success<P>>, E>
}

/** A schema's encoder, compiled once, whose failure says what did not encode. */
const encoderOf = (schema: Codec | undefined, what: string) => {
  if (schema === undefined) return undefined
  const encode = Schema.encodeUnknownEffect(schema)
  return (value: unknown): Effect.Effect<unknown, string> =>
    Effect.mapError(encode(value), (error) => `the ${what} does not encode: ${error.message}`)
}

/** The encoded fields of a parameter struct, as strings (absent ones left out). */
const stringFields = (encoded: unknown): Record<string, string> =>
  Object.fromEntries(
    Object.entries(encoded as Record<string, unknown>).flatMap(([name, value]) =>
      value === undefined ? [] : [[name, String(value)]]
    ),
  )

/** The request of a call: built from its input, or, for an endpoint with nothing to encode, the one request. */
type Requests =
  | HttpClientRequest.HttpClientRequest
  | ((input: unknown) => Effect.Effect<HttpClientRequest.HttpClientRequest, string>)

/**
 * How the requests of `endpoint` are built: its schemas' encoders compiled once, and, when its path
 * has no parameters, the request up to its query and body made once with `prepare` (base URL,
 * default headers). An endpoint with nothing to encode (most reads) has one request, made once.
 */
const requestsOf = (
  endpoint: Endpoint,
  prepare: (request: HttpClientRequest.HttpClientRequest) => HttpClientRequest.HttpClientRequest,
): Requests => {
  const make = HttpClientRequest.make(endpoint.method)
  const base = endpoint.params === undefined ? prepare(make(endpoint.path)) : undefined
  if (base !== undefined && endpoint.query === undefined && endpoint.payload === undefined) return base
  const [params, query, payload] = [
    encoderOf(endpoint.params, "path"),
    encoderOf(endpoint.query, "query"),
    encoderOf(endpoint.payload, "body"),
  ]
  const form = endpoint.payloadType === "form"
  return (input) =>
    Effect.gen(function* () {
      const given = input as { readonly params?: unknown; readonly query?: unknown; readonly payload?: unknown }
      let request = base ?? prepare(make(fillPath(endpoint.path, stringFields(yield* params!(given.params)))))
      if (query !== undefined) {
        request = HttpClientRequest.setUrlParams(request, stringFields(yield* query(given.query)))
      }
      if (payload !== undefined) {
        const body = yield* payload(given.payload)
        request = form
          ? HttpClientRequest.bodyUrlParams(request, stringFields(body))
          : HttpClientRequest.bodyJsonUnsafe(request, body)
      }
      return request
    })
}

// Effect's own HTTP span is off for gatehouse's requests: its exit holds the request, credential
// included, and an exporter serializes it outside the call, where no redaction applies. The call's
// span stands for it, with its method and route, and carries the trace.
const untraced = (): boolean => true

/** Joins a base URL and a path, whether or not the base ends with a slash. */
export const joinUrl = (base: string, path: string): string =>
  path === "" ? base.replace(/\/+$/, "") : `${base.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`

/** What a call with `options` tells the pipeline's stages. */
const callInfo = (options: CallOptions, idempotent: boolean, idempotencyKey: boolean): CallInfo => ({
  idempotent: options.idempotent ?? idempotent,
  idempotencyKey,
  retry: options.retry,
  paced: options.paced,
})

/**
 * Builds the pipeline of an API, once: its stages composed on the `HttpClient` in context. Scoped:
 * once the scope closes, every call fails with the API's error for a `Closed` failure.
 */
export const makeApiClient = <E>(
  api: ApiDefinition<E>,
): Effect.Effect<ApiClient<E>, never, HttpClient.HttpClient | Scope.Scope> =>
  Effect.gen(function* () {
    let closed = false
    yield* Effect.addFinalizer(() => Effect.sync(() => (closed = true)))

    const requestIdHeader = (api.requestIdHeader ?? "x-request-id").toLowerCase()
    const secrets = (api.secretHeaders ?? []).map((name) => name.toLowerCase())
    // What every call adds to its fiber's context besides its CallInfo: effect's HTTP span off, and
    // the API's secret headers after the names already redacted (a user's kept). Made once per list seen.
    let redactedBefore: ReadonlyArray<string | RegExp> | undefined
    let callContext = Context.empty()
    const callContextFor = (current: ReadonlyArray<string | RegExp>) => {
      if (current !== redactedBefore) {
        redactedBefore = current
        const names = [...current, ...secrets.filter((name) => !current.includes(name))]
        callContext = Context.add(
          Context.make(HttpClient.TracerDisabledWhen, untraced),
          Headers.CurrentRedactedNames,
          names,
        )
      }
      return callContext
    }
    const baseUrl = api.baseUrl.replace(/\/+$/, "")
    const headers = { accept: "application/json", "user-agent": USER_AGENT, ...api.headers }
    const prepare = (request: HttpClientRequest.HttpClientRequest) =>
      HttpClientRequest.setHeaders(HttpClientRequest.prependUrl(request, baseUrl), headers)

    const transport = (yield* HttpClient.HttpClient).pipe(yield* withSingleDelivery, withTimeout(api.timeout))
    const toError = (operation: string) => (error: E | HttpClientError.HttpClientError): E =>
      HttpClientError.isHttpClientError(error) ? api.toError(failureOf(operation, error)) : error

    const tokenOperation = `${api.name}.token`
    const auth = yield* makeAuthenticator(api.credential, (credential) =>
      exchangeClientCredentials(transport, prepare, tokenOperation, api.tokenPath ?? "/oauth/token", credential).pipe(
        Effect.mapError((error) =>
          api.toError(HttpClientError.isHttpClientError(error) ? failureOf(tokenOperation, error) : error)
        ),
      ))
    const paced = api.pacing === undefined ? undefined : yield* withPacing(api.pacing, api.name)
    const retried = transport.pipe(withRetry(api.retry))
    const authorized = (paced === undefined ? retried : paced(retried)).pipe(withCredential(auth))
    const http = api.transformClient === undefined
      ? authorized
      : (api.transformClient(authorized as HttpClient.HttpClient) as typeof authorized)

    /** What the client knows of one endpoint, made at its first call and kept. */
    interface Route {
      readonly operation: string
      readonly requests: Requests
      readonly decode: Decoder<unknown>
      readonly toError: (error: E | HttpClientError.HttpClientError) => E
      readonly idempotent: boolean
      /** The options of its span (the span copies them). */
      readonly span: Tracer.SpanOptions
      /**
       * The `CallInfo` of a call with `options` (or none) and no headers of its own: made once for
       * no options, and kept for the last options object seen (an API's constant, `unpaced`).
       */
      readonly callOf: (options: CallOptions | undefined) => CallInfo
      /** What a call adds to its fiber's context: `call` on `added`, kept for the last pair seen. */
      readonly context: (added: Context.Context<never>, call: CallInfo) => Context.Context<never>
    }
    const routes = new WeakMap<Endpoint, Route>()
    const keyed = api.idempotencyKeys === true && Headers.fromInput(headers)["idempotency-key"] !== undefined
    const routeOf = (endpoint: Endpoint): Route => {
      const known = routes.get(endpoint)
      if (known !== undefined) {
        return known
      }
      const operation = `${api.name}.${endpoint.name}`
      const idempotent = isIdempotent(endpoint)
      const plain: CallInfo = { idempotent, idempotencyKey: keyed, retry: undefined, paced: undefined }
      let lastOptions: CallOptions | undefined
      let lastCall = plain
      let seen: readonly [Context.Context<never>, CallInfo, Context.Context<never>] | undefined
      const route: Route = {
        operation,
        requests: requestsOf(endpoint, prepare),
        decode: Schema.decodeUnknownEffect(endpoint.success as Codec),
        toError: toError(operation),
        idempotent,
        span: { kind: "client", attributes: { "http.request.method": endpoint.method, "url.template": endpoint.path } },
        callOf: (options) => {
          if (options === undefined) {
            return plain
          }
          if (options !== lastOptions) {
            lastOptions = options
            lastCall = callInfo(options, idempotent, keyed)
          }
          return lastCall
        },
        context: (added, call) => {
          if (seen === undefined || seen[0] !== added || seen[1] !== call) {
            seen = [added, call, Context.add(added, CallContext, call)]
          }
          return seen[2]
        },
      }
      routes.set(endpoint, route)
      return route
    }

    const answer = (
      route: Route,
      request: HttpClientRequest.HttpClientRequest,
      options: CallOptions | undefined,
    ): Effect.Effect<Answer<unknown>, E> => {
      const { operation } = route
      const prepared = options?.headers === undefined ? request : HttpClientRequest.setHeaders(request, options.headers)
      const call = options?.headers === undefined ? route.callOf(options) : callInfo(
        options,
        route.idempotent,
        api.idempotencyKeys === true && prepared.headers["idempotency-key"] !== undefined,
      )
      const send = (request: HttpClientRequest.HttpClientRequest, added: Context.Context<never>) => {
        const context = route.context(added, call)
        return http.execute(request).pipe(
          Effect.flatMap(receive),
          Effect.updateContext((current: Context.Context<never>) =>
            Context.merge(current, context)
          ),
          Effect.mapError(route.toError),
          Effect.flatMap((received) =>
            Effect.mapError(toAnswer(operation, requestIdHeader, received, route.decode), api.toError)
          ),
        )
      }
      return Effect.withFiber((fiber) => {
        if (closed) {
          return Effect.fail(
            api.toError({ _tag: "Closed", operation, message: `${api.name} client used after its scope closed` }),
          )
        }
        const added = callContextFor(fiber.getRef(Headers.CurrentRedactedNames))
        const propagate = fiber.getRef(HttpClient.TracerPropagationEnabled) && !fiber.getRef(Tracer.DisablePropagation)
        const traced = (span: Tracer.AnySpan) =>
          propagate ? HttpClientRequest.setHeaders(prepared, HttpTraceContext.toHeaders(span as Tracer.Span)) : prepared
        if (!fiber.getRef(References.TracerEnabled) || fiber.getRef(Tracer.Tracer) === Tracer.nativeTracer) {
          // No tracing backend: no span is made, and the trace of the caller's span, if any, travels on.
          const parent = Context.getOrUndefined(fiber.context, Tracer.ParentSpan)
          return send(parent === undefined ? prepared : traced(parent), added)
        }
        return Effect.useSpan(operation, route.span, (span) =>
          Effect.map(send(traced(span), added), (answer) => {
            span.attribute("http.response.status_code", answer.status)
            return answer
          }))
      })
    }

    const exchange = <const P extends Endpoint>(
      endpoint: P,
      input: Input<P>,
      options?: CallOptions,
    ): Effect.Effect<Answer<Success<P>>, E> => {
      const route = routeOf(endpoint)
      const { requests } = route
      if (typeof requests !== "function") {
        return answer(route, requests, options) as Effect.Effect<Answer<Success<P>>, E>
      }
      return Effect.flatMap(
        Effect.mapError(requests(input), (message) =>
          api.toError({ _tag: "Transport", operation: route.operation, message, cause: undefined, retryable: false })),
        (request) =>
          answer(route, request, options) as Effect.Effect<Answer<Success<P>>, E>,
      )
    }

    return {
      exchange,
      send: (endpoint, input, options) =>
        Effect.map(exchange(endpoint, input, options), (a) =>
          a.value),
    }
  })
