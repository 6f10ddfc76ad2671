/**
 * Request guards for servers: read the key from `X-API-Key` (or `Authorization: Bearer`), validate
 * it, and answer like the seed's FastAPI guard (contracts §4.5): missing or invalid -> 401,
 * revoked or insufficient scope -> 403, rate limited -> 429 with `Retry-After`; and 503 when the
 * key store cannot answer.
 *
 * Two shapes: an `effect/http` middleware ({@linkcode apiKeyMiddleware}), and a plain
 * `(Request) => Promise<GuardResult>` for `Deno.serve` / `Bun.serve` handlers ({@linkcode RequestGuard}).
 *
 * @module
 */
import { Context, Duration, Effect, Exit, type Layer, ManagedRuntime, Redacted, Schema } from "effect"
import { HttpServerRequest, HttpServerResponse } from "effect/http"
import type { TaggedErrorClass } from "../core/tagged_error.ts"
import type { ApiKey } from "./contract.ts"
import { KeyStoreUnavailable, type ValidateError } from "./errors.ts"
import { ApiKeys, type ValidateOptions } from "./service.ts"

const MissingKeyBase: TaggedErrorClass<MissingKey, "MissingKey", Record<never, never>> = Schema.TaggedError<
  MissingKey
>()("MissingKey", {})

/**
 * The request carried no key.
 *
 * @example
 * ```ts
 * import { MissingKey } from "@gatehouse/sdk/apikeys"
 *
 * new MissingKey().message // "Missing API key"
 * ```
 */
export class MissingKey extends MissingKeyBase {
  /** What went wrong, in words; never the key's plaintext. */
  override get message(): string {
    return "Missing API key"
  }
}

/**
 * Why a guard refused a request.
 *
 * @example
 * ```ts
 * import type { GuardRejection } from "@gatehouse/sdk/apikeys"
 *
 * const tag = (rejection: GuardRejection) => rejection._tag
 * ```
 */
export type GuardRejection = MissingKey | ValidateError

const AuthenticatedKeyBase: Context.ServiceClass<AuthenticatedKey, "@gatehouse/sdk/AuthenticatedKey", ApiKey> = Context
  .Service<AuthenticatedKey, ApiKey>()("@gatehouse/sdk/AuthenticatedKey")

/**
 * The key a guarded request was validated with, for handlers behind {@linkcode apiKeyMiddleware}.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { HttpServerResponse } from "effect/http"
 * import { AuthenticatedKey } from "@gatehouse/sdk/apikeys"
 *
 * const handler = Effect.map(AuthenticatedKey, (key) => HttpServerResponse.text(`hello ${key.metadata.name}`))
 * ```
 */
export class AuthenticatedKey extends AuthenticatedKeyBase {}

/**
 * The key of a request: `X-API-Key`, else a Bearer token; `undefined` when neither is present.
 *
 * @example
 * ```ts
 * import { Redacted } from "effect"
 * import { readApiKey } from "@gatehouse/sdk/apikeys"
 *
 * const key = readApiKey(new Headers({ authorization: "Bearer sk_..." }))
 * key && Redacted.value(key) // "sk_..."
 * ```
 */
export const readApiKey = (
  headers: Headers | Readonly<Record<string, string | undefined>>,
): Redacted.Redacted<string> | undefined => {
  const get = (name: string) => headers instanceof Headers ? headers.get(name) ?? undefined : headers[name]
  const direct = get("x-api-key")?.trim()
  if (direct !== undefined && direct !== "") return Redacted.make(direct, { label: "api key" })
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(get("authorization") ?? "")
  return bearer === null ? undefined : Redacted.make(bearer[1], { label: "api key" })
}

/**
 * What a guard answers with for a rejection: status, JSON body and headers.
 *
 * @example
 * ```ts
 * import { type RejectionAnswer, rejectionAnswer, RevokedKey } from "@gatehouse/sdk/apikeys"
 *
 * // The answer a guard gives for a rejection, for a server framework of your own.
 * const answer: RejectionAnswer = rejectionAnswer(new RevokedKey({ keyId: "k1", revokedAt: new Date() }))
 * console.log(answer.status, answer.body.error) // 403 RevokedKey
 * ```
 */
export interface RejectionAnswer {
  /** 401 missing, invalid or expired key; 403 revoked or out of scope; 429 rate limited; 503 no key store. */
  readonly status: 401 | 403 | 429 | 503
  /** FastAPI's `detail`, and the rejection's tag in `error`. */
  readonly body: { readonly detail: string; readonly error: string }
  /** `WWW-Authenticate` on 401, `Retry-After` on 429 and 503. */
  readonly headers: Readonly<Record<string, string>>
}

/**
 * The status, body and headers a guard answers `rejection` with.
 *
 * @example
 * ```ts
 * import { MissingKey, rejectionAnswer } from "@gatehouse/sdk/apikeys"
 *
 * rejectionAnswer(new MissingKey()).status // 401
 * ```
 */
export const rejectionAnswer = (rejection: GuardRejection): RejectionAnswer => {
  const body = (detail: string) => ({ detail, error: rejection._tag })
  switch (rejection._tag) {
    case "MissingKey":
    case "InvalidKey":
    case "ExpiredKey":
      return {
        status: 401,
        body: body(rejection.message),
        headers: { "www-authenticate": 'ApiKey header="X-API-Key"' },
      }
    case "RevokedKey":
    case "InsufficientScope":
      return { status: 403, body: body(rejection.message), headers: {} }
    case "QuotaExceeded": {
      const seconds = Math.max(1, Math.ceil(Duration.toSeconds(rejection.retryAfter)))
      return { status: 429, body: body(rejection.message), headers: { "retry-after": String(seconds) } }
    }
    case "KeyStoreUnavailable":
    case "KeyStoreClosed":
    case "Unauthorized":
      // The cause stays in the server's logs, not in the answer.
      return { status: 503, body: body("Key store unavailable"), headers: { "retry-after": "1" } }
  }
}

/**
 * Reads and validates the key of a request with the `ApiKeys` in context.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ApiKeys, guardHeaders } from "@gatehouse/sdk/apikeys"
 *
 * const key = guardHeaders(new Headers({ "x-api-key": "sk_..." }), { requiredScopes: ["read"] }).pipe(
 *   Effect.provide(ApiKeys.layerSqlite({ filename: "keys.db" })),
 * )
 * ```
 */
export const guardHeaders = (
  headers: Headers | Readonly<Record<string, string | undefined>>,
  options: ValidateOptions = {},
): Effect.Effect<ApiKey, GuardRejection, ApiKeys> => {
  const key = readApiKey(headers)
  return key === undefined
    ? Effect.fail(new MissingKey())
    : Effect.flatMap(ApiKeys, (keys) => keys.validateKey(key, options))
}

/**
 * An `effect/http` middleware: validates each request's key, answers 401/403/429/503 itself, and
 * otherwise runs the app with the key as {@linkcode AuthenticatedKey}.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { HttpServerResponse } from "effect/http"
 * import { apiKeyMiddleware, AuthenticatedKey } from "@gatehouse/sdk/apikeys"
 *
 * const app = Effect.map(AuthenticatedKey, (key) => HttpServerResponse.text(key.id)).pipe(
 *   apiKeyMiddleware({ requiredScopes: ["read"] }),
 * )
 * ```
 */
export const apiKeyMiddleware = (options: ValidateOptions = {}): <E, R>(
  app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>,
) => Effect.Effect<
  HttpServerResponse.HttpServerResponse,
  E,
  Exclude<R, AuthenticatedKey> | ApiKeys | HttpServerRequest.HttpServerRequest
> =>
(app) =>
  Effect.flatMap(
    HttpServerRequest.HttpServerRequest,
    (request) =>
      Effect.matchEffect(guardHeaders(request.headers, options), {
        onFailure: (rejection) => {
          const answer = rejectionAnswer(rejection)
          return Effect.succeed(
            HttpServerResponse.jsonUnsafe(answer.body, { status: answer.status, headers: answer.headers }),
          )
        },
        onSuccess: (key) => Effect.provideService(app, AuthenticatedKey, key),
      }),
  )

/**
 * A guard's verdict: the key, or the `Response` to send back.
 *
 * @example
 * ```ts
 * import { ApiKeys, type GuardResult, makeRequestGuard } from "@gatehouse/sdk/apikeys"
 *
 * await using guard = makeRequestGuard(ApiKeys.layerSqlite({ filename: ":memory:" }))
 * const result: GuardResult = await guard.check(new Request("http://localhost/", { headers: { "x-api-key": "sk_bad" } }))
 * console.log(result.ok ? result.key.id : result.response.status) // 401
 * ```
 */
export type GuardResult =
  | { readonly ok: true; readonly key: ApiKey }
  | { readonly ok: false; readonly rejection: GuardRejection; readonly response: Response }

/**
 * A guard for plain `(Request) => Promise<Response>` servers.
 *
 * @example
 * ```ts
 * import { ApiKeys, makeRequestGuard, type RequestGuard } from "@gatehouse/sdk/apikeys"
 *
 * const guard: RequestGuard = makeRequestGuard(ApiKeys.layerSqlite({ filename: ":memory:" }), { requiredScopes: ["read"] })
 * const result = await guard.check(new Request("http://localhost/reports"), { requiredScopes: ["reports"] })
 * console.log(result.ok) // false: no key
 * await guard.close() // flushes buffered use counts
 * ```
 */
export interface RequestGuard {
  /**
   * Validates the key of `request`; never rejects. `options` add to the guard's defaults: its
   * `requiredScopes` are required as well as the defaults', and its organization, project or
   * product, when not `undefined`, replace the defaults'.
   */
  readonly check: (request: Request, options?: ValidateOptions) => Promise<GuardResult>
  /** Releases the key service the guard was built on. */
  readonly close: () => Promise<void>
  /** {@linkcode RequestGuard.close}, for `await using`. */
  readonly [Symbol.asyncDispose]: () => Promise<void>
}

/**
 * Builds a {@linkcode RequestGuard} on an `ApiKeys` layer: a local store
 * (`ApiKeys.layerSqlite`) or a shared remote key service (`ApiKeysHttp.layer`).
 *
 * @example
 * ```ts
 * import { ApiKeys, makeRequestGuard } from "@gatehouse/sdk/apikeys"
 *
 * const guard = makeRequestGuard(ApiKeys.layerSqlite({ filename: "keys.db" }), { requiredScopes: ["read"] })
 * Deno.serve(async (request) => {
 *   const result = await guard.check(request)
 *   if (!result.ok) return result.response
 *   return new Response(`hello ${result.key.metadata.name ?? result.key.id}`)
 * })
 * ```
 */
export const makeRequestGuard = (
  layer: Layer.Layer<ApiKeys, unknown>,
  defaults: ValidateOptions = {},
): RequestGuard => {
  const runtime = ManagedRuntime.make(layer)
  const close = () => runtime.dispose()
  const check = async (request: Request, options: ValidateOptions = {}): Promise<GuardResult> => {
    const verdict = Effect.match(guardHeaders(request.headers, combine(defaults, options)), {
      onFailure: rejected,
      onSuccess: (key): GuardResult => ({ ok: true, key }),
    })
    // What is left is the layer failing to build, or a defect: the key store cannot answer.
    const exit = await runtime.runPromiseExit(verdict)
    return Exit.isSuccess(exit) ? exit.value : rejected(new KeyStoreUnavailable({ detail: "the key service failed" }))
  }
  return { check, close, [Symbol.asyncDispose]: close }
}

const combine = (defaults: ValidateOptions, options: ValidateOptions): ValidateOptions => ({
  orgId: options.orgId ?? defaults.orgId,
  projectId: options.projectId ?? defaults.projectId,
  productId: options.productId ?? defaults.productId,
  requiredScopes: [...new Set([...defaults.requiredScopes ?? [], ...options.requiredScopes ?? []])],
})

const rejected = (rejection: GuardRejection): GuardResult => {
  const answer = rejectionAnswer(rejection)
  return {
    ok: false,
    rejection,
    response: Response.json(answer.body, { status: answer.status, headers: answer.headers }),
  }
}
