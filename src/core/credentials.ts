/**
 * Credentials, and the authenticator that applies them to each request: a header, a bearer token,
 * or OAuth2 client credentials exchanged for a cached token. Secrets stay `Redacted` throughout.
 *
 * @module
 */
import { Clock, Effect, type Exit, Redacted, Schema, Semaphore } from "effect"
import { type HttpClient, type HttpClientError, HttpClientRequest } from "effect/http"
import { receive, toAnswer } from "./answer.ts"
import type { Failure } from "./failure.ts"

/**
 * How a client proves who it is. `E` is the API's error, for credentials that make requests.
 *
 * @example
 * ```ts
 * import { Redacted } from "effect"
 * import type { Credential } from "@gatehouse/sdk"
 *
 * const apiKey: Credential = { _tag: "Header", name: "x-api-key", value: Redacted.make("puid_live_...") }
 * const oauth: Credential = { _tag: "ClientCredentials", clientId: "my-app", clientSecret: Redacted.make("...") }
 * ```
 */
export type Credential<E = never> =
  | { readonly _tag: "None" }
  | { readonly _tag: "Header"; readonly name: string; readonly value: Redacted.Redacted<string> }
  | {
    readonly _tag: "Bearer"
    readonly token: Redacted.Redacted<string>
    /** Called once after a 401, shared by every request that saw it; the request is then sent again. */
    readonly refresh?: ((expired: Redacted.Redacted<string>) => Effect.Effect<Redacted.Redacted<string>, E>) | undefined
  }
  | {
    readonly _tag: "ClientCredentials"
    readonly clientId: string
    readonly clientSecret: Redacted.Redacted<string>
    readonly scope?: string | undefined
  }

/**
 * An access token and the instant (epoch millis) after which it is no longer used.
 *
 * @example
 * ```ts
 * import { Redacted } from "effect"
 * import type { AccessToken } from "@gatehouse/sdk"
 *
 * const token: AccessToken = { token: Redacted.make("eyJ..."), expiresAt: Date.now() + 3_600_000 }
 * ```
 */
export interface AccessToken {
  /** The token, as a bearer token. */
  readonly token: Redacted.Redacted<string>
  /** Epoch milliseconds after which it is no longer used. */
  readonly expiresAt: number
}

/**
 * Applies a credential to requests, and renews it after a 401.
 *
 * @example
 * ```ts
 * import { Effect, Redacted } from "effect"
 * import { HttpClientRequest } from "effect/http"
 * import { type Authenticator, withCredential } from "@gatehouse/sdk"
 *
 * // A fixed bearer token, never renewed: a 401 is returned as it came.
 * const token = Redacted.make("static-token")
 * const fixed: Authenticator<never> = {
 *   authorize: (request) => Effect.succeed([HttpClientRequest.bearerToken(request, token), token] as const),
 *   renew: () => Effect.succeed(false),
 * }
 * const authenticated = withCredential(fixed)
 * ```
 */
export interface Authenticator<E> {
  /** The request with its credential, and the token it carries (to tell `renew` which one failed). */
  readonly authorize: (
    request: HttpClientRequest.HttpClientRequest,
  ) => Effect.Effect<readonly [HttpClientRequest.HttpClientRequest, Redacted.Redacted<string> | undefined], E>
  /** After a 401 with `used`: renews the token if it can; `true` when the request is worth sending again. */
  readonly renew: (used: Redacted.Redacted<string> | undefined) => Effect.Effect<boolean, E>
}

/**
 * A token is renewed this long before it expires, so that it never expires in flight; one that
 * lives less than four times as long is renewed after three quarters of its life instead (a 20 s
 * token is used for 15 s), so that a short-lived token is still reused.
 */
export const EXPIRY_SKEW_MILLIS = 30_000

/** When a token that expires at `expiresAt`, seen at `now`, is replaced. */
const renewalOf = (expiresAt: number, now: number): number =>
  expiresAt - Math.min(EXPIRY_SKEW_MILLIS, Math.max(0, expiresAt - now) / 4)

const withBearer = (request: HttpClientRequest.HttpClientRequest, token: Redacted.Redacted<string>) =>
  [HttpClientRequest.bearerToken(request, token), token] as const

/**
 * A token that is fetched when first needed, reused until shortly before it expires, and
 * fetched once for all callers that need it at the same time: they share its token, or its
 * failure.
 *
 * Effect's `Cache` shares one lookup too, but cannot invalidate "only if it is still the token
 * that failed", which keeps concurrent 401s from fetching one token each.
 */
const makeTokenSource = <E>(
  fetchToken: (expired: Redacted.Redacted<string> | undefined) => Effect.Effect<AccessToken, E>,
  initial?: AccessToken,
) =>
  Effect.gen(function* () {
    let current = initial === undefined ? undefined : { token: initial.token, renewAt: initial.expiresAt }
    // Each fetch bumps the generation; a caller that waited through one takes its outcome.
    let generation = 0
    let lastFetch: Exit.Exit<Redacted.Redacted<string>, E> | undefined
    const lock = yield* Semaphore.make(1)
    const fresh = Effect.map(
      Clock.currentTimeMillis,
      (now) => current !== undefined && now < current.renewAt ? current.token : undefined,
    )
    const replace = (expired: Redacted.Redacted<string> | undefined) =>
      fetchToken(expired).pipe(
        Effect.flatMap((token) =>
          Effect.map(Clock.currentTimeMillis, (now) => {
            current = { token: token.token, renewAt: renewalOf(token.expiresAt, now) }
            return token.token
          })
        ),
        Effect.exit,
        Effect.flatMap((exit) => {
          generation += 1
          lastFetch = exit
          return exit
        }),
      )
    /** Under the lock: the outcome of a fetch that ran while this caller waited, or `fetch`. */
    const once = (seen: number, fetch: Effect.Effect<Redacted.Redacted<string>, E>) =>
      lock.withPermits(1)(Effect.suspend(() => generation !== seen && lastFetch !== undefined ? lastFetch : fetch))
    const get = Effect.flatMap(fresh, (token) =>
      token !== undefined ? Effect.succeed(token) : Effect.suspend(() =>
        once(
          generation,
          Effect.flatMap(fresh, (token) => token !== undefined ? Effect.succeed(token) : replace(current?.token)),
        )
      ))
    // A renewal by another caller since `used` was sent counts as done.
    const renew = (used: Redacted.Redacted<string>) =>
      Effect.asVoid(Effect.suspend(() =>
        once(
          generation,
          Effect.suspend(() =>
            current !== undefined && current.token !== used ? Effect.succeed(current.token) : replace(used)
          ),
        )
      ))
    return { get, renew }
  })

/**
 * Builds the authenticator of `credential`. `fetchToken` exchanges client credentials for a
 * token (the API's token endpoint); it is only called for `ClientCredentials`.
 */
export const makeAuthenticator = <E>(
  credential: Credential<E>,
  fetchToken: (credential: Extract<Credential<E>, { _tag: "ClientCredentials" }>) => Effect.Effect<AccessToken, E>,
): Effect.Effect<Authenticator<E>> =>
  Effect.gen(function* () {
    switch (credential._tag) {
      case "None":
        return {
          authorize: (request) => Effect.succeed([request, undefined] as const),
          renew: () => Effect.succeed(false),
        }
      case "Header":
        return {
          authorize: (request) =>
            Effect.succeed(
              [
                HttpClientRequest.setHeader(request, credential.name, Redacted.value(credential.value)),
                undefined,
              ] as const,
            ),
          renew: () => Effect.succeed(false),
        }
      case "Bearer": {
        const { refresh } = credential
        if (refresh === undefined) {
          return {
            authorize: (request) => Effect.succeed(withBearer(request, credential.token)),
            renew: () => Effect.succeed(false),
          }
        }
        const source = yield* makeTokenSource<E>(
          (expired) =>
            Effect.map(
              refresh(expired ?? credential.token),
              (token): AccessToken => ({ token, expiresAt: Number.POSITIVE_INFINITY }),
            ),
          { token: credential.token, expiresAt: Number.POSITIVE_INFINITY },
        )
        return {
          authorize: (request) => Effect.map(source.get, (token) => withBearer(request, token)),
          renew: (used) => used === undefined ? Effect.succeed(false) : Effect.as(source.renew(used), true),
        }
      }
      case "ClientCredentials": {
        const source = yield* makeTokenSource<E>(() => fetchToken(credential))
        return {
          authorize: (request) => Effect.map(source.get, (token) => withBearer(request, token)),
          renew: (used) => used === undefined ? Effect.succeed(false) : Effect.as(source.renew(used), true),
        }
      }
    }
  })

// RFC 6749 §5.1: what any OAuth2 token endpoint answers (an API's contract may say more).
const decodeTokenResponse = Schema.decodeUnknownEffect(Schema.Struct({
  access_token: Schema.String,
  token_type: Schema.optionalKey(Schema.String),
  expires_in: Schema.optionalKey(Schema.Number),
  scope: Schema.optionalKey(Schema.String),
}))

/**
 * The OAuth2 client-credentials grant (RFC 6749 §4.4): one form POST to `tokenPath` through
 * `transport` (never retried: it is a POST), its answer decoded. A token without `expires_in` is
 * taken to live an hour.
 */
export const exchangeClientCredentials = <E, R>(
  transport: HttpClient.HttpClient.With<E, R>,
  prepare: (request: HttpClientRequest.HttpClientRequest) => HttpClientRequest.HttpClientRequest,
  operation: string,
  tokenPath: string,
  credential: Extract<Credential<unknown>, { _tag: "ClientCredentials" }>,
): Effect.Effect<AccessToken, Failure | E | HttpClientError.HttpClientError, R> =>
  Effect.gen(function* () {
    const form: Record<string, string> = {
      grant_type: "client_credentials",
      client_id: credential.clientId,
      client_secret: Redacted.value(credential.clientSecret),
    }
    if (credential.scope !== undefined) form.scope = credential.scope
    const request = prepare(HttpClientRequest.bodyUrlParams(HttpClientRequest.post(tokenPath), form))
    const received = yield* Effect.flatMap(transport.execute(request), receive)
    const now = yield* Clock.currentTimeMillis
    const { value } = yield* toAnswer(operation, "x-request-id", received, decodeTokenResponse)
    return { token: Redacted.make(value.access_token), expiresAt: now + (value.expires_in ?? 3600) * 1000 }
  })
