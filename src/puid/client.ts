/**
 * The `Puid` service: ids, ordinals and quota over the request pipeline of `src/core`.
 *
 * @module
 */
import { type Config, Context, Effect, Layer, Option, Redacted } from "effect"
import { FetchHttpClient, type HttpClient } from "effect/http"
import { type ApiDefinition, makeApiClient, type Pacing, type TransportOptions } from "../core/client.ts"
import type { Credential } from "../core/credentials.ts"
import {
  baseUrlFromEnv,
  type ClientEnv,
  missingVariables,
  optionalSecret,
  optionalText,
  warnStrayVariables,
} from "../core/config.ts"
import { securityHeader } from "../core/endpoint.ts"
import { RetryPolicy } from "../core/retry.ts"
import { DEFAULT_ENDPOINT, DEFAULT_SCOPE, MAX_IDS_PER_REQUEST, PuidApi, type Quota } from "./contract.ts"
import { clientError, type PuidError, toPuidError } from "./errors.ts"
import { type InvalidPuidCharacter, puidToOrdinal } from "./codec.ts"

/**
 * A secret as a plain string or already `Redacted`; plain strings are redacted at once.
 *
 * @example
 * ```ts
 * import { Redacted } from "effect"
 * import { Puid, type Secret } from "@gatehouse/sdk/puid"
 *
 * const apiKey: Secret = Redacted.make("puid_live_...") // or the plain string, redacted at once
 * const layer = Puid.layer({ apiKey })
 * ```
 */
export type Secret = string | Redacted.Redacted<string>

/**
 * Options of every `Puid` layer.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { FetchHttpClient } from "effect/http"
 * import { Puid, type PuidOptions } from "@gatehouse/sdk/puid"
 *
 * // PUID_API_KEY from the environment; the rest from the options.
 * const options: PuidOptions = { baseUrl: "http://127.0.0.1:4010/puid/api", pacing: true, timeout: "5 seconds" }
 * const ids = Effect.flatMap(Puid, (puid) => puid.ids(3)).pipe(
 *   Effect.provide(Puid.layerConfig(options)),
 *   Effect.provide(FetchHttpClient.layer),
 * )
 * ```
 */
export interface PuidOptions extends Omit<TransportOptions, "pacing"> {
  /**
   * The API's base URL, as every gatehouse client names it.
   * @default `PUID_BASE_URL` or `PUID_ENDPOINT` when set, else "https://puid.dev/api"
   */
  readonly baseUrl?: string | undefined
  /** The seed's name for {@linkcode PuidOptions.baseUrl}; give one of the two. */
  readonly endpoint?: string | undefined
  /**
   * Pace requests on the client so that a busy caller waits instead of meeting `rate_limited`:
   * `true` for the API's one request per second (with a margin, {@linkcode PUID_PACING}), or a limit
   * of your plan's.
   * @default false
   */
  readonly pacing?: boolean | Pacing | undefined
}

/**
 * Options of {@linkcode Puid.layer}: exactly one of `apiKey` and `accessToken`.
 *
 * @example
 * ```ts
 * import { Puid, type PuidCredentialOptions } from "@gatehouse/sdk/puid"
 *
 * const withKey: PuidCredentialOptions = { apiKey: "puid_live_...", baseUrl: "http://127.0.0.1:4010/puid/api" }
 * const withToken: PuidCredentialOptions = { accessToken: "puid_at_..." }
 * const layer = Puid.layer(withKey)
 * ```
 */
export interface PuidCredentialOptions extends PuidOptions {
  /** An API key, `puid_live_...`, sent as `X-API-Key`. */
  readonly apiKey?: Secret | undefined
  /** An OAuth2 access token, `puid_at_...`, sent as a bearer token. */
  readonly accessToken?: Secret | undefined
}

/**
 * Options of {@linkcode Puid.fromClientCredentials}.
 *
 * @example
 * ```ts
 * import { Puid, type PuidClientCredentialsOptions } from "@gatehouse/sdk/puid"
 *
 * const options: PuidClientCredentialsOptions = {
 *   clientId: "client_...",
 *   clientSecret: "secret_...",
 *   scope: "puid:generate puid:ordinal",
 * }
 * const layer = Puid.fromClientCredentials(options)
 * ```
 */
export interface PuidClientCredentialsOptions extends PuidOptions {
  /** The OAuth2 client id, `client_...`. */
  readonly clientId: string
  /** The OAuth2 client secret, `secret_...`. */
  readonly clientSecret: Secret
  /** The scope asked for. @default "puid:generate" */
  readonly scope?: string | undefined
}

/**
 * The PUID API.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Puid, type PuidService } from "@gatehouse/sdk/puid"
 *
 * // A function of your own over the service: a batch of ids, and what is left today.
 * const batch = (puid: PuidService) =>
 *   Effect.all({ ids: puid.ids(10), quota: puid.quota() })
 * const program = Effect.flatMap(Puid, batch)
 * ```
 */
export interface PuidService {
  /** Generates `count` ids (1–10), consecutive in the service's counter. Fails with `invalid_count` before any request. */
  readonly ids: (count?: number) => Effect.Effect<ReadonlyArray<string>, PuidError>
  /** Generates one id. */
  readonly id: () => Effect.Effect<string, PuidError>
  /**
   * Asks the API for the counter value `puid` encodes. `puidToOrdinal` does the same offline; an id
   * it cannot decode (a character outside `0-9A-Za-z`) fails with `invalid_puid` before any request.
   */
  readonly ordinal: (puid: string) => Effect.Effect<bigint, PuidError>
  /** Today's quota; spends no id. */
  readonly quota: () => Effect.Effect<Quota, PuidError>
}

/**
 * The default retry policy: transport failures and 502/503/504, twice. A 429 is the API's design: pace instead.
 *
 * @example
 * ```ts
 * import { Puid, PUID_RETRY, RetryPolicy } from "@gatehouse/sdk/puid"
 *
 * console.log(PUID_RETRY.times, [...PUID_RETRY.statuses]) // 2 [502, 503, 504]
 * const patient = Puid.layer({ apiKey: "puid_live_...", retry: RetryPolicy.make({ times: 5, statuses: [502, 503, 504] }) })
 * ```
 */
export const PUID_RETRY: RetryPolicy = RetryPolicy.make({ times: 2, statuses: [502, 503, 504] })

const redact = (secret: Secret): Redacted.Redacted<string> =>
  Redacted.isRedacted(secret) ? secret : Redacted.make(secret, { label: "puid secret" })

/** Whether `secret` is missing, empty, or (from plain JavaScript) not a string at all. */
const isBlank = (secret: unknown): boolean => {
  const value = Redacted.isRedacted(secret) ? Redacted.value(secret) : secret
  return typeof value !== "string" || value === ""
}

/** An absolute http(s) URL, or `undefined`. */
const httpUrl = (endpoint: string): URL | undefined => {
  try {
    const url = new URL(endpoint)
    return url.protocol === "http:" || url.protocol === "https:" ? url : undefined
  } catch {
    return undefined
  }
}

/** Why `puid` cannot be an id, by the offline codec the service decodes with; `undefined` when it can. */
const badPuid = (puid: unknown): string | undefined => {
  if (typeof puid !== "string" || puid === "") return "puid must be a non-empty string."
  try {
    puidToOrdinal(puid)
    return undefined
  } catch (error) {
    return `Not a valid PUID: ${(error as InvalidPuidCharacter).message}`
  }
}

const unpaced = { paced: false } as const

/**
 * `pacing: true`: one request per 1.1 s. The API counts a second from the last request it admitted;
 * the 10 % margin absorbs the jitter between leaving the client and reaching the server.
 *
 * @example
 * ```ts
 * import { Puid, PUID_PACING } from "@gatehouse/sdk/puid"
 *
 * console.log(PUID_PACING) // { limit: 1, window: "1100 millis" }: what pacing: true means
 * const layer = Puid.layer({ apiKey: "puid_live_...", pacing: true })
 * ```
 */
export const PUID_PACING: Pacing = { limit: 1, window: "1100 millis" }

const pacingOf = (pacing: PuidOptions["pacing"]): Pacing | undefined =>
  pacing === true ? PUID_PACING : pacing === false ? undefined : pacing

const make = (options: PuidOptions, credential: Credential<PuidError>) =>
  Effect.gen(function* () {
    if (options.baseUrl !== undefined && options.endpoint !== undefined && options.baseUrl !== options.endpoint) {
      return yield* clientError("invalid_endpoint", "Give baseUrl or its alias endpoint, not both.")
    }
    const endpoint = options.baseUrl ?? options.endpoint ?? (yield* baseUrlFromEnv(CLIENT_ENV, DEFAULT_ENDPOINT))
    if (typeof endpoint !== "string" || httpUrl(endpoint) === undefined) {
      return yield* clientError("invalid_endpoint", "baseUrl (endpoint) must be an absolute http(s) URL.")
    }
    const api: ApiDefinition<PuidError> = {
      ...options,
      name: "puid",
      baseUrl: endpoint,
      credential,
      timeout: options.timeout ?? "30 seconds",
      retry: options.retry ?? PUID_RETRY,
      pacing: pacingOf(options.pacing),
      toError: toPuidError,
      secretHeaders: PuidApi.secretHeaders,
      tokenPath: PuidApi.endpoints.token.path,
    }
    const client = yield* makeApiClient(api)
    const { endpoints } = PuidApi

    const ids = (count = 1) =>
      Number.isInteger(count) && count >= 1 && count <= MAX_IDS_PER_REQUEST
        ? Effect.map(client.send(endpoints.ids, { query: { n: count } }), (body) => body.ids)
        : Effect.fail(clientError("invalid_count", `count must be an integer from 1 to ${MAX_IDS_PER_REQUEST}.`))

    return Puid.of({
      ids,
      id: () => Effect.map(ids(1), (list) => list[0]),
      // Only ids are rate limited by the API, so only ids are paced.
      ordinal: (puid) => {
        const bad = badPuid(puid)
        return bad !== undefined
          ? Effect.fail(clientError("invalid_puid", bad))
          : Effect.map(client.send(endpoints.ordinal, { params: { puid } }, unpaced), (body) => body.ordinal)
      },
      quota: () => client.send(endpoints.quota, {}, unpaced),
    })
  })

const credentialOf = (options: PuidCredentialOptions): Effect.Effect<Credential<PuidError>, PuidError> => {
  const hasKey = !isBlank(options.apiKey)
  const hasToken = !isBlank(options.accessToken)
  if (hasKey === hasToken) {
    return Effect.fail(clientError("invalid_credentials", "Provide exactly one of apiKey or accessToken."))
  }
  return Effect.succeed(
    hasKey
      ? { _tag: "Header", name: securityHeader(PuidApi, "apiKey"), value: redact(options.apiKey!) }
      : { _tag: "Bearer", token: redact(options.accessToken!) },
  )
}

/** The environment variables PUID's layers read. */
const ENV = {
  apiKey: "PUID_API_KEY",
  accessToken: "PUID_ACCESS_TOKEN",
  baseUrl: "PUID_BASE_URL",
  endpoint: "PUID_ENDPOINT",
} as const

const CLIENT_ENV: ClientEnv = { prefix: "PUID_", known: Object.values(ENV), baseUrl: [ENV.baseUrl, ENV.endpoint] }

const PuidBase: Context.ServiceClass<Puid, "@gatehouse/sdk/Puid", PuidService> = Context.Service<
  Puid,
  PuidService
>()("@gatehouse/sdk/Puid")

/**
 * The PUID client service.
 *
 * Its layers need an `HttpClient` (`FetchHttpClient.layer`, or the mock's `layer`), and fail
 * with a `PuidError` when the credentials are unusable.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { FetchHttpClient } from "effect/http"
 * import { Puid } from "@gatehouse/sdk/puid"
 *
 * const program = Effect.gen(function* () {
 *   const puid = yield* Puid
 *   const ids = yield* puid.ids(3)
 *   const quota = yield* puid.quota()
 *   return { ids, quota }
 * }).pipe(Effect.provide(Puid.layer({ apiKey: "puid_live_..." })), Effect.provide(FetchHttpClient.layer))
 * ```
 */
export class Puid extends PuidBase {
  /**
   * From an API key or an access token (exactly one).
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { FetchHttpClient } from "effect/http"
   * import { Puid } from "@gatehouse/sdk/puid"
   *
   * const layer = Puid.layer({ apiKey: "puid_live_...", baseUrl: "http://127.0.0.1:4010/puid/api", pacing: true })
   * const ids = Effect.flatMap(Puid, (puid) => puid.ids(3)).pipe(
   *   Effect.provide(layer),
   *   Effect.provide(FetchHttpClient.layer),
   * )
   * ```
   */
  static readonly layer = (options: PuidCredentialOptions): Layer.Layer<Puid, PuidError, HttpClient.HttpClient> =>
    Layer.effect(Puid, Effect.flatMap(credentialOf(options), (credential) => make(options, credential)))

  /**
   * From OAuth2 client credentials: a token is fetched on first use, cached until shortly before
   * it expires, and fetched once for all concurrent callers. Fails with `invalid_client` when the
   * id or secret is missing.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { FetchHttpClient } from "effect/http"
   * import { Puid } from "@gatehouse/sdk/puid"
   *
   * const layer = Puid.fromClientCredentials({ clientId: "client_...", clientSecret: "secret_..." })
   * const quota = Effect.flatMap(Puid, (puid) => puid.quota()).pipe(
   *   Effect.provide(layer),
   *   Effect.provide(FetchHttpClient.layer),
   * )
   * ```
   */
  static readonly fromClientCredentials = (
    options: PuidClientCredentialsOptions,
  ): Layer.Layer<Puid, PuidError, HttpClient.HttpClient> =>
    Layer.effect(
      Puid,
      isBlank(options.clientId) || isBlank(options.clientSecret)
        ? Effect.fail(clientError("invalid_client", "clientId and clientSecret are required."))
        : make(options, {
          _tag: "ClientCredentials",
          clientId: options.clientId,
          clientSecret: redact(options.clientSecret),
          scope: options.scope ?? DEFAULT_SCOPE,
        }),
    )

  /**
   * From the environment: `PUID_API_KEY` or `PUID_ACCESS_TOKEN` (exactly one), and the base URL
   * from `PUID_BASE_URL` or `PUID_ENDPOINT` (optional: over `options`, else production). A blank
   * variable counts as unset. Fails with `invalid_credentials` naming both variables when neither
   * or both are set, and with `invalid_endpoint` when the two base URL variables disagree; a set
   * `PUID_*` variable it does not read (a misspelling) is named in the error, or logged as a warning.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { FetchHttpClient } from "effect/http"
   * import { Puid } from "@gatehouse/sdk/puid"
   *
   * // PUID_API_KEY=puid_live_... PUID_ENDPOINT=http://127.0.0.1:4010/puid/api
   * const ids = Effect.flatMap(Puid, (puid) => puid.ids(3)).pipe(
   *   Effect.provide(Puid.layerConfig({ pacing: true })),
   *   Effect.provide(FetchHttpClient.layer),
   * )
   * ```
   */
  static readonly layerConfig = (
    options: PuidOptions = {},
  ): Layer.Layer<Puid, PuidError | Config.ConfigError, HttpClient.HttpClient> =>
    Layer.unwrap(Effect.gen(function* () {
      const env = yield* Effect.all({
        apiKey: optionalSecret(ENV.apiKey),
        accessToken: optionalSecret(ENV.accessToken),
        baseUrl: optionalText(ENV.baseUrl),
        endpoint: optionalText(ENV.endpoint),
      })
      const known = CLIENT_ENV.known
      if (Option.isSome(env.apiKey) === Option.isSome(env.accessToken)) {
        const message = Option.isSome(env.apiKey)
          ? `${ENV.apiKey} and ${ENV.accessToken} are both set: set exactly one.`
          : `Set exactly one of ${ENV.apiKey} (an API key) or ${ENV.accessToken} (an OAuth2 access token); looked for both, found neither.`
        return yield* clientError("invalid_credentials", yield* missingVariables(message, "PUID_", known))
      }
      if (Option.isSome(env.baseUrl) && Option.isSome(env.endpoint) && env.baseUrl.value !== env.endpoint.value) {
        return yield* clientError(
          "invalid_endpoint",
          `${ENV.baseUrl} and ${ENV.endpoint} (its alias) are both set, to different URLs: set one.`,
        )
      }
      yield* warnStrayVariables("PUID_", known)
      const { endpoint: _endpoint, ...rest } = options
      return Puid.layer({
        ...rest,
        apiKey: Option.getOrUndefined(env.apiKey),
        accessToken: Option.getOrUndefined(env.accessToken),
        baseUrl: Option.getOrElse(
          Option.orElse(env.baseUrl, () => env.endpoint),
          () => options.baseUrl ?? _endpoint ?? DEFAULT_ENDPOINT,
        ),
      })
    }))

  /**
   * {@linkcode Puid.layerConfig} with `fetch` as the transport: ready to provide.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { Puid } from "@gatehouse/sdk/puid"
   *
   * const ids = await Effect.runPromise(Effect.flatMap(Puid, (puid) => puid.ids(3)).pipe(Effect.provide(Puid.fromEnv())))
   * ```
   */
  static readonly fromEnv = (options: PuidOptions = {}): Layer.Layer<Puid, PuidError | Config.ConfigError> =>
    Puid.layerConfig(options).pipe(Layer.provide(FetchHttpClient.layer))
}
