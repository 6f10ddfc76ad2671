/**
 * The stages of the request pipeline, each a combinator on an `HttpClient`, so that effect's
 * `HttpApiClient` and a user's own middleware compose with them:
 *
 * - {@linkcode withTimeout}: one attempt, its body included, within a duration;
 * - {@linkcode withRetry}: a {@linkcode RetryPolicy}, only for requests that are safe to repeat;
 * - {@linkcode withPacing}: a token bucket that makes callers wait instead of meeting 429;
 * - {@linkcode withCredential}: the credential on every request, and one shared renewal after a 401;
 * - {@linkcode withSingleDelivery}: no request that is not safe to repeat is resent by the runtime.
 *
 * What a single call says about itself (whether it is safe to repeat, its own retry policy,
 * whether it is paced) travels in {@linkcode CallContext}.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { HttpClient } from "effect/http"
 * import { RetryPolicy, withRetry, withTimeout } from "@gatehouse/sdk"
 *
 * // Your own client, with gatehouse's timeout and retry stages.
 * const client = Effect.map(
 *   HttpClient.HttpClient,
 *   (http) => http.pipe(withTimeout("5 seconds"), withRetry(RetryPolicy.make({ times: 3 }))),
 * )
 * ```
 *
 * @module
 */
import { Clock, Context, Duration, Effect, Fiber, Layer, Option, type Redacted, type Scope } from "effect"
import { FetchHttpClient, HttpClient, HttpClientError, type HttpClientRequest, HttpClientResponse } from "effect/http"
import { RateLimiter } from "effect/persistence"
import type { Authenticator } from "./credentials.ts"
import { retryingAfter, type RetryInput, type RetryPolicy } from "./retry.ts"

/**
 * What one call tells the pipeline's stages; a stage's own setting applies where a field is absent.
 *
 * @example
 * ```ts
 * import { type CallInfo, RetryPolicy } from "@gatehouse/sdk"
 *
 * // A POST the API de-duplicates: safe to send again, with its own retries, and not paced.
 * const call: CallInfo = { idempotent: true, retry: RetryPolicy.make({ times: 5 }), paced: false }
 * ```
 */
export interface CallInfo {
  /** Whether the request may be sent again after an attempt whose outcome is unknown. @default by its method */
  readonly idempotent?: boolean | undefined
  /**
   * Whether the request carries an `Idempotency-Key` the API honours, which makes any request safe
   * to repeat. @default whether it carries an `Idempotency-Key`
   */
  readonly idempotencyKey?: boolean | undefined
  /** This call's retry policy, in place of the client's. */
  readonly retry?: RetryPolicy | undefined
  /** Whether the client's pacing applies. @default true */
  readonly paced?: boolean | undefined
}

/**
 * The current call's {@linkcode CallInfo}, provided around a request by the client that sends it.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { HttpClient } from "effect/http"
 * import { CallContext, type Middleware } from "@gatehouse/sdk"
 *
 * // A stage that logs, for each request, whether its call says it is idempotent.
 * const logCalls: Middleware = (client) =>
 *   HttpClient.transform(client, (effect, request) =>
 *     Effect.flatMap(CallContext, (call) =>
 *       Effect.andThen(Effect.log(`${request.method} ${request.url} idempotent=${call.idempotent}`), effect)))
 * ```
 */
export const CallContext: Context.Reference<CallInfo> = Context.Reference<CallInfo>("@gatehouse/sdk/CallContext", {
  defaultValue: () => ({}),
})

const SAFE_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"])

const isIdempotent = (call: CallInfo, request: HttpClientRequest.HttpClientRequest): boolean =>
  call.idempotent ?? SAFE_METHODS.has(request.method)

const hasIdempotencyKey = (call: CallInfo, request: HttpClientRequest.HttpClientRequest): boolean =>
  call.idempotencyKey ?? request.headers["idempotency-key"] !== undefined

/** Whether the request of `call` may reach the server twice: it is idempotent, or carries an honoured key. */
const isSafeToRepeat = (call: CallInfo, request: HttpClientRequest.HttpClientRequest): boolean =>
  isIdempotent(call, request) || hasIdempotencyKey(call, request)

/** Whether a transport error is a refused connection: the request never left. */
const isConnectionRefused = (error: HttpClientError.HttpClientError): boolean => {
  if (error.reason._tag !== "TransportError") return false
  // Deno: "...tcp connect error: Connection refused (os error 111)"; Bun: code ECONNREFUSED;
  // Node: a cause whose code is ECONNREFUSED.
  let cause: unknown = error.reason.cause
  for (let depth = 0; depth < 4 && typeof cause === "object" && cause !== null; depth++) {
    const { code, message } = cause as { readonly code?: unknown; readonly message?: unknown }
    if (code === "ECONNREFUSED" || code === "ConnectionRefused") return true
    if (typeof message === "string" && /connection refused|ECONNREFUSED/i.test(message)) return true
    cause = (cause as { readonly cause?: unknown }).cause
  }
  return false
}

/** Marks a transport error as the end of an attempt's time. */
export class AttemptTimeout extends Error {
  readonly _tag = "AttemptTimeout"
}

/** Whether an `HttpClientError` is an attempt that ran out of time. */
export const isAttemptTimeout = (error: HttpClientError.HttpClientError): boolean =>
  error.reason._tag === "TransportError" && error.reason.cause instanceof AttemptTimeout

/**
 * A stage of the pipeline: an `HttpClient` in, the same client with one more concern out.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { HttpClient } from "effect/http"
 * import type { Middleware } from "@gatehouse/sdk"
 *
 * // A stage that logs each request before it is sent.
 * const logged: Middleware = (client) =>
 *   HttpClient.transform(client, (effect, request) => Effect.andThen(Effect.log(`${request.method} ${request.url}`), effect))
 * ```
 */
export type Middleware<E2 = never, R2 = never> = <E, R>(
  client: HttpClient.HttpClient.With<E, R>,
) => HttpClient.HttpClient.With<E | E2, R | R2>

/**
 * Starts the clock on one attempt: `onExpire` is called if its time runs out first. The function
 * returned ends the attempt's deadline, and says whether it was still running (not yet expired
 * or ended).
 */
type Deadline = (onExpire: () => void) => () => boolean

/** The live clock: a fiber that has no `Clock` of its own (a `TestClock`, say) reads this one. */
const liveClock = Context.get(Context.empty(), Clock.Clock)

const MAX_TIMER_MILLIS = 2 ** 31 - 1

/** Lets a runtime timer keep the process alive, or not (Deno, Node and Bun timers have `ref`/`unref`; a browser's is a number). */
const holdOpen = (timer: unknown, hold: boolean): void => {
  const handle = timer as { readonly ref?: () => void; readonly unref?: () => void } | undefined
  if (hold) handle?.ref?.()
  else handle?.unref?.()
}

/**
 * The deadlines of one timeout stage's attempts on the live clock, on one runtime timer. Every
 * attempt has the same limit, so their deadlines come in the order they start: a queue, whose
 * head the timer is set for. A timer set and cleared per attempt costs about a fifth of an
 * in-process call on Deno (the bench); this one is only set again when it fires (at most once per
 * `millis` while calls keep coming), and keeps the process alive only while an attempt runs.
 */
const liveDeadlines = (millis: number): Deadline => {
  interface Entry {
    readonly at: number
    expire: (() => void) | undefined
  }
  const queue: Array<Entry> = []
  let running = 0
  let timer: ReturnType<typeof setTimeout> | undefined
  const end = (entry: Entry): boolean => {
    if (entry.expire === undefined) return false
    entry.expire = undefined
    if (--running === 0) holdOpen(timer, false)
    return true
  }
  const fire = () => {
    const now = performance.now()
    while (queue.length > 0 && (queue[0].expire === undefined || queue[0].at <= now)) {
      const entry = queue.shift()!
      const expire = entry.expire
      if (end(entry)) expire!()
    }
    // What is left starts with an attempt still running.
    timer = queue.length === 0 ? undefined : setTimeout(fire, Math.min(MAX_TIMER_MILLIS, queue[0].at - now))
  }
  return (onExpire) => {
    while (queue.length > 0 && queue[0].expire === undefined) queue.shift()
    const entry: Entry = { at: performance.now() + millis, expire: onExpire }
    queue.push(entry)
    if (running++ === 0) holdOpen(timer, true)
    timer ??= setTimeout(fire, Math.min(MAX_TIMER_MILLIS, millis))
    return () => end(entry)
  }
}

/** A deadline on another clock (a `TestClock`): a fiber that sleeps on it. */
const clockDeadline =
  (context: Context.Context<never>, clock: Clock.Clock, limit: Duration.Duration): Deadline => (onExpire) => {
    let running = true
    const timer = Effect.runForkWith(context)(clock.sleep(limit))
    timer.addObserver((exit) => {
      if (running && exit._tag === "Success") {
        running = false
        onExpire()
      }
    })
    return () => {
      if (!running) return false
      running = false
      timer.interruptUnsafe()
      return true
    }
  }

/**
 * `effect` on a fiber of its own, on the caller's `context`; if `deadline` expires first, it is
 * interrupted and the failure `onTimeout` makes is returned. Where `Effect.timeoutOrElse` races two
 * forked fibers through `raceFirst` (an `Option` and a parent observer besides), this forks the
 * effect alone. Interrupting the caller interrupts it.
 */
const within = <A, E, R>(
  context: Context.Context<R>,
  effect: Effect.Effect<A, E, R>,
  deadline: Deadline,
  onTimeout: () => E,
): Effect.Effect<A, E> =>
  Effect.callback<A, E>((resume) => {
    const attempt = Effect.runForkWith(context)(effect)
    const end = deadline(() => {
      attempt.interruptUnsafe()
      resume(Effect.fail(onTimeout()))
    })
    attempt.addObserver((exit) => {
      if (end()) resume(exit)
    })
    return Effect.suspend(() => {
      end()
      return Fiber.interrupt(attempt)
    })
  })

/**
 * Bounds each attempt, its whole body included, by `duration`: the response comes back with its
 * body in memory, so a body that stalls counts against the attempt, and a connection lost
 * mid-body fails the attempt (and can be retried) like a refused one. Past it the attempt fails
 * with a `TransportError` whose cause is an {@linkcode AttemptTimeout}.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { FetchHttpClient, HttpClient } from "effect/http"
 * import { withTimeout } from "@gatehouse/sdk"
 *
 * const program = Effect.gen(function* () {
 *   const client = withTimeout("5 seconds")(yield* HttpClient.HttpClient)
 *   return yield* client.get("https://api.example.com/health")
 * }).pipe(Effect.provide(FetchHttpClient.layer))
 * ```
 */
export const withTimeout = (duration: Duration.Input): Middleware => {
  const limit = Duration.fromInputUnsafe(duration)
  const description = `no answer within ${Duration.format(limit)}`
  // The response keeps the body it read: its `text` and `json` read that, later, at no cost.
  const read = (response: HttpClientResponse.HttpClientResponse) => Effect.as(response.arrayBuffer, response)
  const live = liveDeadlines(Duration.toMillis(limit))
  return <E, R>(client: HttpClient.HttpClient.With<E, R>): HttpClient.HttpClient.With<E, R> =>
    HttpClient.transform(client, (effect, request) =>
      Effect.withFiber((fiber) => {
        const clock = fiber.getRef(Clock.Clock)
        return within(
          fiber.context as Context.Context<R>,
          Effect.flatMap(effect, read) as Effect.Effect<
            HttpClientResponse.HttpClientResponse,
            E | HttpClientError.HttpClientError,
            R
          >,
          clock === liveClock ? live : clockDeadline(fiber.context, clock, limit),
          () =>
            new HttpClientError.HttpClientError({
              reason: new HttpClientError.TransportError({
                request,
                description,
                cause: new AttemptTimeout(description),
              }),
            }),
        ) as Effect.Effect<HttpClientResponse.HttpClientResponse, E, R>
      }))
}

// An answer whose status the policy retries, carried through the retry loop as a failure.
interface RetryStatus {
  readonly _tag: "RetryStatus"
  readonly response: HttpClientResponse.HttpClientResponse
}

const isRetryStatus = (value: unknown): value is RetryStatus =>
  typeof value === "object" && value !== null && (value as { _tag?: unknown })._tag === "RetryStatus"

/** A failure to reach the server that sending again can help with (not a request that cannot be built). */
const isTransient = (error: unknown): error is HttpClientError.HttpClientError =>
  HttpClientError.isHttpClientError(error) &&
  error.reason._tag !== "InvalidUrlError" && error.reason._tag !== "EncodeError" &&
  error.reason._tag !== "StatusCodeError"

/** The answer a DELETE met on a retry: `404` there means an earlier attempt deleted it. */
const deleted = (response: HttpClientResponse.HttpClientResponse): HttpClientResponse.HttpClientResponse =>
  HttpClientResponse.fromWeb(response.request, new Response(null, { status: 204, headers: response.headers }))

/**
 * Retries by `policy` (or the call's own, from {@linkcode CallContext}): answers with a status the
 * policy retries, and transport failures and timeouts. A request is repeated only when it is safe
 * to: it carries an `Idempotency-Key` (the API honours), or the call says it is idempotent (by
 * default its method is) and the policy covers its method; a request whose connection was refused
 * never left, and is sent again whatever it is. Each delay is the longer of the backoff and
 * `Retry-After`; when the retries run out the last answer is returned as it came. A DELETE that
 * meets 404 after an attempt whose outcome is unknown (no answer, or a status retried) succeeds
 * with a 204: that attempt deleted it.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { FetchHttpClient, HttpClient } from "effect/http"
 * import { RetryPolicy, withRetry, withTimeout } from "@gatehouse/sdk"
 *
 * // Each attempt within 5 seconds, and up to 3 retries of a GET that timed out or met 503.
 * const program = Effect.gen(function* () {
 *   const client = withRetry(RetryPolicy.make({ times: 3 }))(withTimeout("5 seconds")(yield* HttpClient.HttpClient))
 *   return yield* client.get("https://api.example.com/health")
 * }).pipe(Effect.provide(FetchHttpClient.layer))
 * ```
 */
export const withRetry = (policy: RetryPolicy): Middleware => <E, R>(client: HttpClient.HttpClient.With<E, R>) =>
  HttpClient.transform(client, (effect, request) =>
    Effect.flatMap(CallContext, (call) => {
      const active = call.retry ?? policy
      if (active.times === 0) return effect
      const checked = (
        response: HttpClientResponse.HttpClientResponse,
      ): Effect.Effect<HttpClientResponse.HttpClientResponse, RetryStatus> =>
        active.statuses.has(response.status) ? Effect.fail({ _tag: "RetryStatus", response }) : Effect.succeed(response)
      // What a retry needs is only built once an attempt has failed.
      return Effect.catch(Effect.flatMap(effect, checked), (first) => {
        const safe = {
          method: request.method,
          idempotent: isIdempotent(call, request),
          idempotencyKey: hasIdempotencyKey(call, request),
        }
        const toInput = (error: E | RetryStatus): RetryInput | undefined =>
          isRetryStatus(error)
            ? { ...safe, status: error.response.status, headers: error.response.headers }
            : isTransient(error)
            ? { ...safe, status: undefined, headers: undefined, refused: isConnectionRefused(error) }
            : undefined
        // Whether an earlier attempt may have reached the server: anything but a refused connection.
        let uncertain = toInput(first)?.refused !== true
        const again = effect.pipe(
          Effect.flatMap((response) =>
            uncertain && response.status === 404 && request.method === "DELETE"
              ? Effect.succeed(deleted(response))
              : checked(response)
          ),
          Effect.tapError((error) => Effect.sync(() => (uncertain ||= toInput(error)?.refused !== true))),
        )
        return Effect.catch(
          retryingAfter(first, again, active, toInput),
          (error) => isRetryStatus(error) ? Effect.succeed(error.response) : Effect.fail(error as E),
        )
      })
    }))

/**
 * Client-side pacing: at most `limit` requests per `window`, so that callers wait instead of meeting 429.
 *
 * @example
 * ```ts
 * import { Puid, type Pacing } from "@gatehouse/sdk/puid"
 *
 * // A plan allowing 5 requests a second: callers wait their turn instead of meeting rate_limited.
 * const pacing: Pacing = { limit: 5, window: "1 second" }
 * const layer = Puid.layer({ apiKey: "puid_live_...", pacing })
 * ```
 */
export interface Pacing {
  /** Requests per window. */
  readonly limit: number
  /** The window. */
  readonly window: Duration.Input
}

/**
 * Paces requests with a token bucket (effect's `RateLimiter`, in memory): a request waits for its
 * turn, outside the timeout of its attempts, unless its call says `paced: false`. A token bucket
 * spaces requests evenly, where a fixed window lets two through on either side of its edge, which
 * a "one per second since the last request" server refuses.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { FetchHttpClient, HttpClient } from "effect/http"
 * import { withPacing } from "@gatehouse/sdk"
 *
 * // At most 5 requests a second: the sixth waits its turn.
 * const program = Effect.gen(function* () {
 *   const paced = yield* withPacing({ limit: 5, window: "1 second" }, "api.example.com")
 *   const client = paced(yield* HttpClient.HttpClient)
 *   return yield* Effect.forEach([1, 2, 3, 4, 5, 6], (n) => client.get(`https://api.example.com/items/${n}`))
 * }).pipe(Effect.provide(FetchHttpClient.layer))
 * ```
 */
export const withPacing = (pacing: Pacing, key: string): Effect.Effect<Middleware> => {
  const limiter = RateLimiter.makeWithRateLimiter.pipe(
    Effect.provide(RateLimiter.layer.pipe(Layer.provide(RateLimiter.layerStoreMemory))),
  )
  return Effect.map(limiter, (withLimiter) => {
    const pace = withLimiter({ ...pacing, key, onExceeded: "delay", algorithm: "token-bucket" })
    return <E, R>(client: HttpClient.HttpClient.With<E, R>): HttpClient.HttpClient.With<E, R> =>
      HttpClient.transform(
        client,
        (effect, request) =>
          Effect.flatMap(CallContext, (call) =>
            call.paced === false ? effect : pace(effect).pipe(
              Effect.catchIf(
                (error): error is RateLimiter.RateLimiterError => error instanceof RateLimiter.RateLimiterError,
                (error) =>
                  Effect.fail(
                    new HttpClientError.HttpClientError({
                      reason: new HttpClientError.TransportError({ request, description: error.message, cause: error }),
                    }),
                  ) as Effect.Effect<never, E>,
              ),
            )),
      )
  })
}

/**
 * Puts the credential on every request, and after a 401 renews it once (one renewal shared by
 * every caller that met the same 401) and sends the request again, once.
 *
 * @example
 * ```ts
 * import { Effect, Redacted } from "effect"
 * import { FetchHttpClient, HttpClient, HttpClientRequest } from "effect/http"
 * import { withCredential } from "@gatehouse/sdk"
 *
 * const token = Redacted.make("static-token")
 * const program = Effect.gen(function* () {
 *   const client = withCredential({
 *     authorize: (request) => Effect.succeed([HttpClientRequest.bearerToken(request, token), token] as const),
 *     renew: () => Effect.succeed(false),
 *   })(yield* HttpClient.HttpClient)
 *   return yield* client.get("https://api.example.com/me")
 * }).pipe(Effect.provide(FetchHttpClient.layer))
 * ```
 */
export const withCredential =
  <E2>(authenticator: Authenticator<E2>): Middleware<E2> =>
  <E, R>(client: HttpClient.HttpClient.With<E, R>): HttpClient.HttpClient.With<E | E2, R> =>
    HttpClient.makeWith<never, never, E | E2, R>(
      (prepared) =>
        Effect.flatMap(prepared, (request) => {
          const send = Effect.flatMap(authenticator.authorize(request), ([authorized, used]) =>
            Effect.map(client.execute(authorized), (response) => [response, used] as const))
          return Effect.flatMap(
            send,
            ([response, used]): Effect.Effect<HttpClientResponse.HttpClientResponse, E | E2, R> =>
              response.status !== 401 ? Effect.succeed(response) : Effect.flatMap(
                authenticator.renew(used as Redacted.Redacted<string> | undefined),
                (again) =>
                  again ? Effect.map(send, ([second]) => second) : Effect.succeed(response),
              ),
          )
        }),
      Effect.succeed,
    )

interface Runtimes {
  readonly Deno?: {
    readonly createHttpClient?: (options: { readonly poolMaxIdlePerHost?: number }) => { readonly close: () => void }
  }
  readonly Bun?: unknown
}

/**
 * Keeps the runtime from sending twice a request that is not safe to repeat, or whose repeat is
 * answered differently (a DELETE: 404 the second time). When the reused keep-alive connection a
 * request went out on closes before the answer, even after the server read (and applied) it,
 * Deno's `fetch` sends the request again on a new connection, and Bun's does for a GET
 * (measured, 20 of 20 each: Deno 2.9 any method, Bun 1.4 GET, Node 20 none); a connection's first
 * request is never resent. So such a request goes out on a connection of its own, through
 * `FetchHttpClient.RequestInit`: on Deno a `Deno.HttpClient` that keeps no idle connection, on
 * Bun `keepalive: false`; and only {@linkcode withRetry} repeats it, knowing it did. Other
 * requests keep the shared pool, and on other runtimes this stage is the identity. A `RequestInit`
 * of your own is kept, and then yours to get right. Scoped: the `Deno.HttpClient`, made at the
 * first such request, closes with the scope.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { FetchHttpClient, HttpClient } from "effect/http"
 * import { withSingleDelivery } from "@gatehouse/sdk"
 *
 * // The POST goes out on a connection of its own, so the runtime never sends it twice.
 * const program = Effect.gen(function* () {
 *   const client = (yield* withSingleDelivery)(yield* HttpClient.HttpClient)
 *   return yield* client.post("https://api.example.com/charges")
 * }).pipe(Effect.scoped, Effect.provide(FetchHttpClient.layer))
 * ```
 */
export const withSingleDelivery: Effect.Effect<Middleware, never, Scope.Scope> = Effect.suspend(() => {
  const { Deno, Bun } = globalThis as Runtimes
  const create = Deno?.createHttpClient
  let denoClient: { readonly close: () => void } | undefined
  const fresh: (() => RequestInit) | undefined = create !== undefined
    ? () => Object.assign({} as RequestInit, { client: denoClient ??= create({ poolMaxIdlePerHost: 0 }) })
    : Bun !== undefined
    ? () => ({ keepalive: false })
    : undefined
  if (fresh === undefined) return Effect.succeed(<E, R>(client: HttpClient.HttpClient.With<E, R>) => client)
  return Effect.as(
    Effect.addFinalizer(() => Effect.sync(() => denoClient?.close())),
    <E, R>(client: HttpClient.HttpClient.With<E, R>): HttpClient.HttpClient.With<E, R> =>
      HttpClient.transform(
        client,
        (effect, request) =>
          Effect.flatMap(CallContext, (call) =>
            isSafeToRepeat(call, request) && request.method !== "DELETE" ? effect : Effect.flatMap(
              Effect.serviceOption(FetchHttpClient.RequestInit),
              (given) =>
                Option.isSome(given) ? effect : Effect.provideService(effect, FetchHttpClient.RequestInit, fresh()),
            )),
      ),
  )
})
