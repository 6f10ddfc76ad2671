/**
 * The request pipeline every gatehouse client is built on, readable top to bottom:
 *
 * ```
 * request -> base URL, Accept, User-Agent, default headers -> credential -> pacing (optional)
 *         -> HttpClient, with a timeout per attempt (status line, headers and body)
 *         -> retry policy (idempotent methods, Retry-After, bounded)
 *         -> 401: renew the credential once and resend
 *         -> 2xx: decode with the contract's Schema | otherwise: the API's error table
 * ```
 *
 * @module
 */
import { Clock, Duration, Effect, Layer, Option, Redacted, Schema, type Scope } from "effect"
import { Headers, HttpClient, type HttpClientError, HttpClientRequest, type HttpClientResponse } from "effect/http"
import { RateLimiter } from "effect/persistence"
import { type AccessToken, type Authenticator, type Credential, makeAuthenticator } from "./credentials.ts"
import { type Codec, type Endpoint, fillPath, type Input, isIdempotent, type Success } from "./endpoint.ts"
import type { ErrorTable, Failure } from "./failure.ts"
import { retrying, type RetryInput, type RetryPolicy } from "./retry.ts"
import { USER_AGENT } from "./version.ts"

/** Client-side pacing: at most `limit` requests per `window`, so that callers wait instead of meeting 429. */
export interface Pacing {
  readonly limit: number
  readonly window: Duration.Input
}

/** Options every gatehouse client accepts. */
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
}

/** A decoded 2xx answer and what came with it. */
export interface Answer<A> {
  readonly value: A
  readonly status: number
  readonly headers: Headers.Headers
  readonly requestId: string | undefined
}

/** Per-call options. */
export interface CallOptions {
  readonly retry?: RetryPolicy | undefined
  /** Whether the client's pacing applies to this call. @default true */
  readonly paced?: boolean | undefined
  /**
   * Whether the request may be sent again after an attempt whose outcome is unknown.
   * @default the endpoint's `idempotent`, else true for GET, HEAD, PUT and DELETE
   */
  readonly idempotent?: boolean | undefined
}

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
  /** Sends `request` (its URL relative to the base URL) and decodes a 2xx body with `schema`. */
  readonly call: <A, I, RD>(
    operation: string,
    request: HttpClientRequest.HttpClientRequest,
    schema: Schema.Codec<A, I, RD>,
    options?: CallOptions,
  ) => Effect.Effect<A, E, RD>
  /** Like `call`, and keeps the status, headers and request id of the answer. */
  readonly answer: <A, I, RD>(
    operation: string,
    request: HttpClientRequest.HttpClientRequest,
    schema: Schema.Codec<A, I, RD>,
    options?: CallOptions,
  ) => Effect.Effect<Answer<A>, E, RD>
}

type Attempt = Failure | { readonly _tag: "Retry"; readonly received: Received }

// RFC 6749 §5.1: what any OAuth2 token endpoint answers (an API's contract may say more).
const TokenResponse = Schema.Struct({
  access_token: Schema.String,
  token_type: Schema.optionalKey(Schema.String),
  expires_in: Schema.optionalKey(Schema.Number),
  scope: Schema.optionalKey(Schema.String),
})

/** A whole answer: its status line and headers, and its body parsed as JSON (or its text, or `undefined`). */
interface Received {
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

const encodeWith = (schema: Codec, value: unknown, what: string): Effect.Effect<unknown, string> =>
  Effect.mapError(Schema.encodeUnknownEffect(schema)(value), (error) => `the ${what} does not encode: ${error.message}`)

/** The encoded fields of a parameter struct, as strings (absent ones left out). */
const stringFields = (encoded: unknown): Record<string, string> =>
  Object.fromEntries(
    Object.entries(encoded as Record<string, unknown>).flatMap(([name, value]) =>
      value === undefined ? [] : [[name, String(value)]]
    ),
  )

/** The request of a call of `endpoint`: its path filled, its query and body encoded by its schemas. */
const requestOf = <P extends Endpoint>(
  endpoint: P,
  input: Input<P>,
): Effect.Effect<HttpClientRequest.HttpClientRequest, string> =>
  Effect.gen(function* () {
    const given = input as { readonly params?: unknown; readonly query?: unknown; readonly payload?: unknown }
    const params = endpoint.params === undefined
      ? {}
      : stringFields(yield* encodeWith(endpoint.params, given.params, "path"))
    let request = HttpClientRequest.make(endpoint.method)(fillPath(endpoint.path, params))
    if (endpoint.query !== undefined) {
      request = HttpClientRequest.setUrlParams(
        request,
        stringFields(yield* encodeWith(endpoint.query, given.query, "query")),
      )
    }
    if (endpoint.payload !== undefined) {
      const body = yield* encodeWith(endpoint.payload, given.payload, "body")
      request = endpoint.payloadType === "form"
        ? HttpClientRequest.bodyUrlParams(request, stringFields(body))
        : HttpClientRequest.bodyJsonUnsafe(request, body)
    }
    return request
  })

/** Joins a base URL and a path, whether or not the base ends with a slash. */
export const joinUrl = (base: string, path: string): string =>
  path === "" ? base.replace(/\/+$/, "") : `${base.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`

/**
 * Builds the pipeline of an API. Scoped: once the scope closes, every call fails with the API's
 * error for a `Closed` failure.
 */
export const makeApiClient = <E>(
  api: ApiDefinition<E>,
): Effect.Effect<ApiClient<E>, never, HttpClient.HttpClient | Scope.Scope> =>
  Effect.gen(function* () {
    let closed = false
    yield* Effect.addFinalizer(() => Effect.sync(() => (closed = true)))

    const requestIdHeader = (api.requestIdHeader ?? "x-request-id").toLowerCase()
    const timeout = Option.getOrElse(Duration.fromInput(api.timeout), () => Duration.seconds(30))
    const defaultRedacted = Headers.CurrentRedactedNames.defaultValue()
    const extraSecrets = (api.secretHeaders ?? []).filter((name) => !defaultRedacted.includes(name.toLowerCase()))
    // Only provided when the API adds a name: providing a service costs on every call.
    const redacting = extraSecrets.length === 0
      ? <A, E2, R>(effect: Effect.Effect<A, E2, R>) => effect
      : Effect.provideService(Headers.CurrentRedactedNames, [...defaultRedacted, ...extraSecrets])
    const defaults = HttpClientRequest.setHeaders({
      accept: "application/json",
      "user-agent": USER_AGENT,
      ...api.headers,
    })

    const base = yield* HttpClient.HttpClient
    const http = api.transformClient === undefined ? base : api.transformClient(base)

    // Pacing waits before an attempt, outside its timeout. A token bucket spaces requests evenly: a
    // fixed window lets two through on either side of its edge, which a "1 per second since the last
    // request" server refuses.
    const pace = api.pacing === undefined ? undefined : (yield* RateLimiter.makeWithRateLimiter.pipe(
      Effect.provide(RateLimiter.layer.pipe(Layer.provide(RateLimiter.layerStoreMemory))),
    ))({ ...api.pacing, key: api.name, onExceeded: "delay", algorithm: "token-bucket" })
    const paced = <A>(operation: string, effect: Effect.Effect<A, Failure>): Effect.Effect<A, Failure> =>
      pace === undefined ? effect : pace(effect).pipe(
        Effect.catchTag("RateLimiterError", (error) =>
          Effect.fail<Failure>({
            _tag: "Transport",
            operation,
            message: error.message,
            cause: error,
            retryable: false,
          })),
      )

    // A request that cannot be built (a bad URL, a body that does not encode) is not worth sending again.
    const transportFailure = (operation: string, error: HttpClientError.HttpClientError): Failure => ({
      _tag: "Transport",
      operation,
      message: error.message,
      cause: error,
      retryable: error.reason._tag !== "InvalidUrlError" && error.reason._tag !== "EncodeError",
    })

    // The body is read within the attempt: a connection lost mid-body is a transport failure, retried
    // like one, and a body that stalls counts against the timeout.
    const attempt = (operation: string, request: HttpClientRequest.HttpClientRequest) =>
      http.execute(request).pipe(
        Effect.flatMap((response) =>
          Effect.map(response.text, (text): Received => ({ response, body: parseBody(text) }))
        ),
        Effect.mapError((error): Failure => transportFailure(operation, error)),
        Effect.timeoutOrElse({
          duration: timeout,
          orElse: () =>
            Effect.fail<Failure>({
              _tag: "Timeout",
              operation,
              message: `no answer within ${Duration.format(timeout)}`,
            }),
        }),
      )

    const retryInput = (request: HttpClientRequest.HttpClientRequest, idempotent: boolean) => {
      const safe = {
        method: request.method,
        idempotent,
        idempotencyKey: request.headers["idempotency-key"] !== undefined,
      }
      return (error: Attempt): RetryInput | undefined =>
        error._tag === "Retry"
          ? { ...safe, status: error.received.response.status, headers: error.received.response.headers }
          : (error._tag === "Transport" && error.retryable) || error._tag === "Timeout"
          ? { ...safe, status: undefined, headers: undefined }
          : undefined
    }

    const sendWithRetries = (
      operation: string,
      request: HttpClientRequest.HttpClientRequest,
      policy: RetryPolicy,
      idempotent: boolean,
    ): Effect.Effect<Received, Failure> =>
      retrying(
        Effect.flatMap(
          attempt(operation, request),
          (received): Effect.Effect<Received, Attempt> =>
            policy.statuses.has(received.response.status)
              ? Effect.fail({ _tag: "Retry", received })
              : Effect.succeed(received),
        ),
        policy,
        retryInput(request, idempotent),
      ).pipe(Effect.catch((error) => error._tag === "Retry" ? Effect.succeed(error.received) : Effect.fail(error)))

    const toAnswer = <A, I, RD>(
      operation: string,
      { response, body }: Received,
      schema: Schema.Codec<A, I, RD>,
    ): Effect.Effect<Answer<A>, Failure, RD> =>
      Effect.gen(function* () {
        const requestId = response.headers[requestIdHeader]
        if (response.status < 200 || response.status >= 300) {
          return yield* Effect.fail<Failure>({
            _tag: "Status",
            operation,
            status: response.status,
            body,
            headers: response.headers,
            requestId,
            message: `HTTP ${response.status}`,
          })
        }
        const value = yield* Schema.decodeUnknownEffect(schema)(body).pipe(
          Effect.mapError((error): Failure => ({
            _tag: "Decode",
            operation,
            status: response.status,
            body,
            requestId,
            message: `unexpected response body: ${error.message}`,
          })),
        )
        return { value, status: response.status, headers: response.headers, requestId }
      })

    const fetchToken = (credential: Extract<Credential<E>, { _tag: "ClientCredentials" }>) =>
      Effect.gen(function* () {
        const operation = `${api.name}.token`
        const form: Record<string, string> = {
          grant_type: "client_credentials",
          client_id: credential.clientId,
          client_secret: Redacted.value(credential.clientSecret),
        }
        if (credential.scope !== undefined) form.scope = credential.scope
        const request = HttpClientRequest.post(joinUrl(api.baseUrl, api.tokenPath ?? "/oauth/token")).pipe(
          defaults,
          HttpClientRequest.bodyUrlParams(form),
        )
        const received = yield* attempt(operation, request)
        const now = yield* Clock.currentTimeMillis
        const { value } = yield* toAnswer(operation, received, TokenResponse)
        return {
          token: Redacted.make(value.access_token),
          expiresAt: now + (value.expires_in ?? 3600) * 1000,
        } satisfies AccessToken
      }).pipe(Effect.mapError(api.toError))

    const auth: Authenticator<E> = yield* makeAuthenticator(api.credential, fetchToken)

    const answer = <A, I, RD>(
      operation: string,
      request: HttpClientRequest.HttpClientRequest,
      schema: Schema.Codec<A, I, RD>,
      options?: CallOptions,
    ): Effect.Effect<Answer<A>, E, RD> => {
      const policy = options?.retry ?? api.retry
      // A request without an endpoint leaves the decision to the policy's methods.
      const idempotent = options?.idempotent ?? true
      const prepared = request.pipe(HttpClientRequest.prependUrl(api.baseUrl.replace(/\/+$/, "")), defaults)
      const sendPaced = (authorized: HttpClientRequest.HttpClientRequest) =>
        options?.paced === false
          ? sendWithRetries(operation, authorized, policy, idempotent)
          : paced(operation, sendWithRetries(operation, authorized, policy, idempotent))
      const send = Effect.flatMap(auth.authorize(prepared), ([authorized, used]) =>
        sendPaced(authorized).pipe(
          Effect.mapError(api.toError),
          Effect.map((received) => [received, used] as const),
        ))
      return Effect.suspend(() =>
        closed
          ? Effect.fail(
            api.toError({ _tag: "Closed", operation, message: `${api.name} client used after its scope closed` }),
          )
          : send
      ).pipe(
        Effect.flatMap(([received, used]) =>
          received.response.status === 401
            ? Effect.flatMap(
              auth.renew(used),
              (again) => again ? Effect.map(send, ([r]) => r) : Effect.succeed(received),
            )
            : Effect.succeed(received)
        ),
        Effect.flatMap((received) => Effect.mapError(toAnswer(operation, received, schema), api.toError)),
        redacting,
        Effect.withSpan(operation),
      )
    }

    const exchange = <const P extends Endpoint>(endpoint: P, input: Input<P>, options?: CallOptions) => {
      const operation = `${api.name}.${endpoint.name}`
      const idempotent = options?.idempotent ?? isIdempotent(endpoint)
      return Effect.flatMap(
        Effect.mapError(requestOf(endpoint, input), (message) =>
          api.toError({ _tag: "Transport", operation, message, cause: undefined, retryable: false })),
        (request) =>
          answer(operation, request, endpoint.success as Schema.Codec<Success<P>, unknown>, { ...options, idempotent }),
      )
    }

    return {
      answer,
      call: (operation, request, schema, options) =>
        Effect.map(answer(operation, request, schema, options), (a) =>
          a.value),
      exchange,
      send: (endpoint, input, options) => Effect.map(exchange(endpoint, input, options), (a) => a.value),
    }
  })
