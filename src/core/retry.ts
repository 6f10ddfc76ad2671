/**
 * Retry policies: which failed exchanges are tried again, and after how long.
 *
 * `HttpClient.retryTransient` alone retries POSTs and 500s and has no bound on `Retry-After`
 * (STACK.md §6), so gatehouse retries through a policy value of its own: a backoff `Schedule`,
 * the methods and statuses it covers, and a ceiling on how long a server may ask us to wait.
 *
 * @module
 */
import { Clock, Duration, Effect, Option, Schedule } from "effect"
import { Headers } from "effect/http"

/**
 * A decision the retry loop asks about: a response with a status, or a transport failure.
 *
 * @example
 * ```ts
 * import { isRetryable, type RetryInput, RetryPolicy } from "@gatehouse/sdk"
 *
 * // A GET that met 503 without `Retry-After`: does the policy try it again?
 * const input: RetryInput = { method: "GET", idempotent: true, status: 503, headers: undefined }
 * const again: boolean = isRetryable(RetryPolicy.make({ times: 3 }), input, Date.now())
 * ```
 */
export interface RetryInput {
  /** The request method. */
  readonly method: string
  /**
   * Whether the request is safe to send again: its endpoint says so, or it carries an
   * `Idempotency-Key` the API honours (then any method is retried).
   */
  readonly idempotent: boolean
  /** Whether the request carries an `Idempotency-Key`: safe to retry whatever its method. */
  readonly idempotencyKey?: boolean | undefined
  /** The HTTP status, or `undefined` when no response arrived (connection refused, reset, timeout). */
  readonly status: number | undefined
  /**
   * Whether the connection was refused: the request provably never left, so sending it is not
   * sending it twice, whatever it does.
   */
  readonly refused?: boolean | undefined
  /** The answer's headers (its `Retry-After`), when one arrived. */
  readonly headers: Headers.Headers | undefined
}

/**
 * When and how a client retries.
 *
 * Build one with {@linkcode RetryPolicy.make}; {@linkcode RetryPolicy.none} never retries.
 * Every policy is bounded: `schedule` recurs at most `times` times.
 *
 * @example
 * ```ts
 * import { Puid, RetryPolicy } from "@gatehouse/sdk/puid"
 *
 * const policy: RetryPolicy = RetryPolicy.make({ times: 3 })
 * console.log(policy.times, policy.retryTransportErrors)
 * const layer = Puid.layer({ apiKey: "puid_live_...", retry: policy })
 * ```
 */
export interface RetryPolicy {
  /** How many times a request is tried again after the first attempt. */
  readonly times: number
  /** The backoff between attempts; a server's `Retry-After` can only lengthen a delay. */
  readonly schedule: Schedule.Schedule<unknown, unknown>
  /** Methods that may be sent twice. */
  readonly methods: ReadonlySet<string>
  /** Response statuses worth another attempt. */
  readonly statuses: ReadonlySet<number>
  /** Whether a failure to reach the server (or a timeout) is retried. */
  readonly retryTransportErrors: boolean
  /** A `Retry-After` longer than this is not waited for: the error is returned at once. */
  readonly maxRetryAfter: Duration.Duration
}

/**
 * Options of {@linkcode RetryPolicy.make}; each has a default shared by the best SDKs (ANCHORS.md §1.1).
 *
 * @example
 * ```ts
 * import { Puid, RetryPolicy, type RetryPolicyOptions } from "@gatehouse/sdk/puid"
 *
 * const options: RetryPolicyOptions = { times: 4, base: "200 millis", cap: "5 seconds", statuses: [502, 503, 504] }
 * const layer = Puid.layer({ apiKey: "puid_live_...", retry: RetryPolicy.make(options) })
 * ```
 */
export interface RetryPolicyOptions {
  /** Retries after the first attempt, at most {@linkcode MAX_RETRIES}. @default 2 */
  readonly times?: number
  /** The first backoff delay, doubled at each retry. @default "500 millis" */
  readonly base?: Duration.Input
  /** The longest backoff delay. @default "8 seconds" */
  readonly cap?: Duration.Input
  /** Methods that are retried. @default GET, HEAD, OPTIONS, PUT, DELETE */
  readonly methods?: Iterable<string>
  /** Statuses that are retried. @default 408, 429, 500, 502, 503, 504 */
  readonly statuses?: Iterable<number>
  /** Retry connection failures and timeouts. @default true */
  readonly retryTransportErrors?: boolean
  /** The longest `Retry-After` honoured. @default "60 seconds" */
  readonly maxRetryAfter?: Duration.Input
  /** Randomise each delay by ±20 % so that many clients do not retry in step. @default true */
  readonly jitter?: boolean
}

const IDEMPOTENT = ["GET", "HEAD", "OPTIONS", "PUT", "DELETE"]
const TRANSIENT = [408, 429, 500, 502, 503, 504]

/** The most retries any policy makes: a policy is always bounded. */
export const MAX_RETRIES = 10

/** A retry count within 0..MAX_RETRIES (`NaN` counts as none). */
const boundedTimes = (times: number): number =>
  Number.isNaN(times) ? 0 : Math.min(MAX_RETRIES, Math.max(0, Math.floor(times)))

// A duration that does not parse falls back to the default rather than throwing.
const durationOr = (input: Duration.Input | undefined, fallback: Duration.Input): Duration.Duration =>
  Option.getOrElse(
    input === undefined ? Option.none() : Duration.fromInput(input),
    () => Duration.fromInputUnsafe(fallback),
  )

const make = (options: RetryPolicyOptions = {}): RetryPolicy => {
  const times = boundedTimes(options.times ?? 2)
  const cap = durationOr(options.cap, "8 seconds")
  const exponential = Schedule.exponential(durationOr(options.base, "500 millis"))
  const backoff = (options.jitter ?? true) ? Schedule.jittered(exponential) : exponential
  return {
    times,
    schedule: backoff.pipe(
      Schedule.modifyDelay(({ duration }) => Effect.succeed(Duration.min(duration, cap))),
      Schedule.setInputType<unknown>(),
    ),
    methods: new Set([...(options.methods ?? IDEMPOTENT)].map((m) => m.toUpperCase())),
    statuses: new Set(options.statuses ?? TRANSIENT),
    retryTransportErrors: options.retryTransportErrors ?? true,
    maxRetryAfter: durationOr(options.maxRetryAfter, "60 seconds"),
  }
}

/**
 * Constructors of {@linkcode RetryPolicy} values.
 *
 * @example
 * ```ts
 * import { RetryPolicy } from "@gatehouse/sdk"
 *
 * // three retries, 200 ms doubling to 2 s, 429 included
 * const policy = RetryPolicy.make({ times: 3, base: "200 millis", cap: "2 seconds", statuses: [429, 503] })
 * ```
 */
export const RetryPolicy: {
  readonly make: (options?: RetryPolicyOptions) => RetryPolicy
  readonly none: RetryPolicy
} = {
  make,
  none: make({ times: 0 }),
}

/**
 * The delay a response asks for in `Retry-After` (delta-seconds or an HTTP-date), if any.
 *
 * @example
 * ```ts
 * import { Headers } from "effect/http"
 * import { retryAfter } from "@gatehouse/sdk"
 *
 * retryAfter(Headers.fromInput({ "retry-after": "3" }), Date.now()) // Duration of 3 seconds
 * ```
 */
export const retryAfter = (headers: Headers.Headers | undefined, now: number): Duration.Duration | undefined => {
  const value = headers?.["retry-after"]
  if (value === undefined) return undefined
  const parsed = Headers.parseRetryAfter(value)
  return parsed._tag === "Success" ? Headers.retryAfterDelay(parsed.success, now) : undefined
}

/**
 * Whether `policy` tries `input` again (the attempt count is the schedule's business). A request
 * that never left (connection refused) is sent, whatever it is; any other is sent again only when
 * repeating it is safe: it carries an `Idempotency-Key` the API honours (whatever its method), or
 * it is idempotent and the policy covers its method.
 *
 * @example
 * ```ts
 * import { isRetryable, RetryPolicy } from "@gatehouse/sdk"
 *
 * // A POST with no `Idempotency-Key` is never sent twice: `false`.
 * const again = isRetryable(
 *   RetryPolicy.make({ times: 3 }),
 *   { method: "POST", idempotent: false, status: 503, headers: undefined },
 *   Date.now(),
 * )
 * ```
 */
export const isRetryable = (policy: RetryPolicy, input: RetryInput, now: number): boolean => {
  if (policy.times === 0) return false
  const safe = input.idempotencyKey === true || (input.idempotent && policy.methods.has(input.method))
  if (input.status === undefined) return policy.retryTransportErrors && (safe || input.refused === true)
  if (!safe || !policy.statuses.has(input.status)) return false
  const wait = retryAfter(input.headers, now)
  return wait === undefined || Duration.isLessThanOrEqualTo(wait, policy.maxRetryAfter)
}

/**
 * The retries after a first attempt that failed with `first`: `again` (the next attempts) by
 * `policy`. `toInput` reads a failure as a {@linkcode RetryInput}, or `undefined` for a failure
 * that is never retried; each delay is the longer of the backoff and the failure's `Retry-After`.
 * The retry loop (a schedule and its state) is only built here, once an attempt has failed: it
 * replays `first` to the schedule, which waits before the next attempt.
 */
export const retryingAfter = <A, E, R>(
  first: E,
  again: Effect.Effect<A, E, R>,
  policy: RetryPolicy,
  toInput: (error: E) => RetryInput | undefined,
): Effect.Effect<A, E, R> => {
  const times = boundedTimes(policy.times)
  if (times === 0) return Effect.fail(first)
  const schedule = policy.schedule.pipe(
    Schedule.modifyDelay(({ input, duration, now }) => {
      const wait = retryAfter(toInput(input as E)?.headers, now)
      return Effect.succeed(wait === undefined ? duration : Duration.max(duration, wait))
    }),
  )
  const retryable = (error: E) => {
    const input = toInput(error)
    return input !== undefined && Effect.map(Clock.currentTimeMillis, (now) => isRetryable(policy, input, now))
  }
  let replayed = false
  const next = Effect.suspend(() => replayed ? again : ((replayed = true), Effect.fail(first)))
  return Effect.retry(next, { schedule, times, while: retryable })
}
