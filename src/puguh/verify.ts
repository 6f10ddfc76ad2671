/**
 * Local verification of PUGUH access tokens against the API's JWKS, through `jose`: RS256 only,
 * the signature, `exp` / `nbf` (with a clock tolerance), `iss` and `aud`. The key set is fetched
 * once and cached; a token signed with a key the cache does not hold (a rotation) fetches it again,
 * at most once per `jwksCooldown` for a given unknown `kid`, and concurrent callers share a fetch.
 *
 * @module
 */
import { Clock, Duration, Effect, Option, Redacted, Schema, Semaphore } from "effect"
import { createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from "jose"
import {
  type AccessTokenClaims,
  AccessTokenClaimsSchema,
  DEFAULT_AUDIENCE,
  DEFAULT_ISSUER,
  type JsonWebKeySet,
} from "./contract.ts"
import { AuthError, InvalidArgument, type PuguhFailure } from "./errors.ts"

/**
 * How `verifyToken` checks a token.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Puguh, type VerifyOptions } from "@gatehouse/sdk/puguh"
 *
 * const strict: VerifyOptions = { audience: "my-api" }
 * const claims = (token: string) => Effect.flatMap(Puguh, (puguh) => puguh.verifyToken(token, strict))
 * ```
 */
export interface VerifyOptions {
  /** The `iss` required. @default DEFAULT_ISSUER ("https://api-puguh.arsaka.io") */
  readonly issuer?: string | undefined
  /** The `aud` required (any one of a list). @default DEFAULT_AUDIENCE ("puguh-api") */
  readonly audience?: string | ReadonlyArray<string> | undefined
  /** How far `exp` and `nbf` may be off, for clocks that disagree. @default "30 seconds" */
  readonly clockTolerance?: Duration.Input | undefined
  /**
   * How long an unknown `kid` that a fresh key set did not hold is refused without fetching the
   * key set again (so a stream of forged `kid`s cannot make a fetch each). @default "30 seconds"
   */
  readonly jwksCooldown?: Duration.Input | undefined
}

/** A secret as a plain string or already `Redacted`. */
type Secret = string | Redacted.Redacted<string>

/** Verify options once checked: durations decoded, nothing left to throw. */
export interface CheckedVerifyOptions {
  readonly issuer?: string | undefined
  readonly audience?: string | ReadonlyArray<string> | undefined
  readonly clockTolerance?: Duration.Duration | undefined
  readonly jwksCooldown?: Duration.Duration | undefined
}

/** Why verify options cannot be used: the option (with `prefix`) and a message naming it. */
export interface VerifyOptionProblem {
  readonly option: string
  readonly message: string
}

const isNonBlank = (value: unknown): value is string => typeof value === "string" && value.trim() !== ""

/** A duration option: absent, or a finite duration of zero or more. */
const durationOption = (value: unknown): Option.Option<Duration.Duration | undefined> => {
  if (value === undefined) return Option.some(undefined)
  const decoded = Duration.fromInput(value as Duration.Input)
  return Option.isSome(decoded) && Duration.isFinite(decoded.value) && Duration.toMillis(decoded.value) >= 0
    ? decoded
    : Option.none()
}

/**
 * Checks verify options (`prefix` names where they were given: `"verify."` for the layer's): the
 * checked options, or the first problem. Never throws, whatever `options` holds.
 */
export const checkVerifyOptions = (
  options: unknown,
  prefix = "",
): CheckedVerifyOptions | VerifyOptionProblem => {
  const problem = (option: string, message: string): VerifyOptionProblem => ({
    option: `${prefix}${option}`,
    message: `${prefix}${option} ${message}`,
  })
  if (options === undefined) return {}
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    return {
      option: prefix === "" ? "options" : prefix.replace(/\.$/, ""),
      message: "The verify options must be an object.",
    }
  }
  const { issuer, audience, clockTolerance, jwksCooldown } = options as Record<string, unknown>
  if (issuer !== undefined && !isNonBlank(issuer)) return problem("issuer", "must be a non-empty string.")
  if (
    audience !== undefined && !isNonBlank(audience) &&
    !(Array.isArray(audience) && audience.length > 0 && audience.every(isNonBlank))
  ) {
    return problem("audience", "must be a non-empty string or a non-empty list of them.")
  }
  const tolerance = durationOption(clockTolerance)
  if (Option.isNone(tolerance)) {
    return problem("clockTolerance", `must be a finite duration, like "30 seconds" (got ${show(clockTolerance)}).`)
  }
  const cooldown = durationOption(jwksCooldown)
  if (Option.isNone(cooldown)) {
    return problem("jwksCooldown", `must be a finite duration, like "30 seconds" (got ${show(jwksCooldown)}).`)
  }
  return {
    issuer: issuer as string | undefined,
    audience: audience as string | ReadonlyArray<string> | undefined,
    clockTolerance: tolerance.value,
    jwksCooldown: cooldown.value,
  }
}

/** Whether `checked` is a problem. */
export const isVerifyOptionProblem = (
  checked: CheckedVerifyOptions | VerifyOptionProblem,
): checked is VerifyOptionProblem => "option" in checked

const show = (value: unknown): string => {
  try {
    return typeof value === "string" ? JSON.stringify(value) : String(value)
  } catch {
    return typeof value
  }
}

/** `options` over `defaults`, the fields given only (an `undefined` field keeps the default). */
const over = (defaults: CheckedVerifyOptions, options: CheckedVerifyOptions): CheckedVerifyOptions =>
  Object.fromEntries(
    Object.entries({ ...defaults }).concat(Object.entries(options).filter(([, value]) => value !== undefined)),
  ) as CheckedVerifyOptions
const DEFAULT_TOLERANCE: Duration.Duration = Duration.seconds(30)

const decodeClaims = Schema.decodeUnknownOption(AccessTokenClaimsSchema)

const refused = (code: string, message: string) => new AuthError({ code, message: `Access token refused: ${message}` })

/** The `AuthError` a `jose` failure is; its message names the check that failed, never the token. */
const toAuthError = (error: unknown): AuthError => {
  const { code, message } = error as { readonly code?: string; readonly message?: string }
  switch (code) {
    case "ERR_JWT_EXPIRED":
      return refused("token_expired", "it has expired")
    case "ERR_JWS_SIGNATURE_VERIFICATION_FAILED":
      return refused("invalid_signature", "its signature does not verify")
    case "ERR_JWKS_NO_MATCHING_KEY":
      return refused("unknown_key", "no key of the API's key set signed it")
    case "ERR_JWT_CLAIM_VALIDATION_FAILED":
      return refused("invalid_claims", message ?? "a claim is not as required")
    case "ERR_JOSE_ALG_NOT_ALLOWED":
      return refused("invalid_token", "it is not signed with RS256")
    default:
      return refused("malformed_token", "it is not a well-formed JWT")
  }
}

const kidOf = (token: string): Effect.Effect<string | undefined, AuthError> =>
  Effect.try({
    try: () => decodeProtectedHeader(token).kid,
    catch: () => refused("malformed_token", "it is not a well-formed JWT"),
  })

const holds = (keys: JsonWebKeySet, kid: string | undefined) =>
  kid === undefined || keys.keys.some((key) => key.kid === kid)

/**
 * The verifier of one client: `fetchKeys` gets the API's key set (`GET /.well-known/jwks.json`),
 * `defaults` are the client's options.
 */
export const makeVerifier = (
  fetchKeys: Effect.Effect<JsonWebKeySet, PuguhFailure>,
  defaults: CheckedVerifyOptions = {},
): Effect.Effect<
  (token: Secret, options?: VerifyOptions) => Effect.Effect<AccessTokenClaims, PuguhFailure | InvalidArgument>
> =>
  Effect.gen(function* () {
    let keys: JsonWebKeySet | undefined
    // Bumped by each fetch; a caller that waited through one takes its keys.
    let generation = 0
    const misses = new Map<string, number>()
    const lock = yield* Semaphore.make(1)

    const load = (seen: number) =>
      lock.withPermits(1)(
        Effect.suspend(() =>
          generation !== seen && keys !== undefined ? Effect.succeed(keys) : Effect.map(fetchKeys, (fetched) => {
            keys = fetched
            generation += 1
            return fetched
          })
        ),
      )

    /** The cached keys, fetched again when they lack `kid` and that `kid` did not just miss. */
    const keysFor = (kid: string | undefined, cooldown: Duration.Duration) =>
      Effect.gen(function* () {
        const seen = generation
        const cached = keys ?? (yield* load(seen))
        if (kid === undefined || holds(cached, kid)) return cached
        const now = yield* Clock.currentTimeMillis
        const missed = misses.get(kid)
        if (missed !== undefined && now - missed < Duration.toMillis(cooldown)) return cached
        const fresh = yield* load(seen)
        if (holds(fresh, kid)) misses.delete(kid)
        else misses.set(kid, now)
        return fresh
      })

    return (token, options) =>
      Effect.gen(function* () {
        // The options are the caller's: checked before the token, and never reported as the token's fault.
        const checked = checkVerifyOptions(options)
        if (isVerifyOptionProblem(checked)) {
          return yield* new InvalidArgument({ argument: checked.option, message: checked.message })
        }
        const merged = over(defaults, checked)
        const jwt = Redacted.isRedacted(token) ? Redacted.value(token) : token
        if (typeof jwt !== "string" || jwt === "") return yield* refused("malformed_token", "it is empty")
        const kid = yield* kidOf(jwt)
        const cooldown = merged.jwksCooldown ?? DEFAULT_TOLERANCE
        const keySet = yield* keysFor(kid, cooldown)
        const now = yield* Clock.currentTimeMillis
        const audience = merged.audience ?? DEFAULT_AUDIENCE
        const { payload } = yield* Effect.tryPromise({
          try: () =>
            jwtVerify(jwt, createLocalJWKSet(keySet as JSONWebKeySet), {
              algorithms: ["RS256"],
              issuer: merged.issuer ?? DEFAULT_ISSUER,
              audience: typeof audience === "string" ? audience : [...audience],
              clockTolerance: Duration.toSeconds(merged.clockTolerance ?? DEFAULT_TOLERANCE),
              currentDate: new Date(now),
            }),
          catch: toAuthError,
        })
        return yield* Option.match(decodeClaims(payload), {
          onNone: () => Effect.fail(refused("invalid_claims", "its claims are not those of a PUGUH access token")),
          onSome: Effect.succeed,
        })
      })
  })
