/**
 * The key service over HTTP, served from its one definition (`ApiKeysApi`, `http_contract.ts`):
 * the router matches the path, checks the caller against the endpoint's `security`, decodes the
 * path, query and body with the endpoint's schemas (an unknown body field is a 400 that names
 * it), and encodes the answer with its success schema.
 *
 * | route | answer | origin |
 * |---|---|---|
 * | `GET/POST /api/orgs`, `GET /api/orgs/{org_id}` | organizations | seed |
 * | `GET/POST /api/orgs/{org_id}/projects`, `.../products` | projects, products | seed |
 * | `GET /api/projects/{project_id}`, `GET /api/products/{product_id}` | one project or product | INFERRED |
 * | `GET /api/projects/{project_id}/products` | the products linked to a project | seed |
 * | `POST /api/products/{product_id}/projects/{project_id}` (204) | a link | seed |
 * | `GET /api/orgs/{org_id}/keys`, `GET /api/projects/{project_id}/keys` | keys | seed (`?status=`: INFERRED) |
 * | `POST /api/keys` (201) | `{ key, plaintext }` | seed (`metadata: {...}`: INFERRED) |
 * | `POST /api/keys/{key_id}/rotate` (201) | `{ key, plaintext }` | INFERRED |
 * | `GET`/`PATCH /api/keys/{key_id}` | a key | INFERRED |
 * | `DELETE /api/keys/{key_id}` revokes; `?purge=true` deletes (204) | a key | seed (purge: INFERRED) |
 * | `POST /api/keys/verify` | the key, or 400 | seed |
 * | `POST /api/keys/validate` | the key, or 401 / 403 / 429 as the guard answers | INFERRED |
 * | `POST /v1/keys/verify` | `{ valid: true, key }` or `{ valid: false, reason: expired\|revoked\|invalid }` | apikey-server |
 * | `GET /v1/keys` (`?org_id=`, `?project_id=`), `POST /v1/keys` (201, the key and its plaintext side by side) | keys | apikey-server |
 * | `GET`/`PATCH /v1/keys/{key_id}` (PATCH replaces the metadata) | a key | apikey-server |
 * | `POST /v1/keys/{key_id}/revoke`, `DELETE /v1/keys/{key_id}` | 204 | apikey-server |
 * | `GET /openapi.json`, `GET /openapi.yaml` | this API's OpenAPI document | INFERRED |
 *
 * Errors are `{ "detail": message, "_tag": ..., ...fields }`: FastAPI's `detail`, and the typed
 * error's own fields, which the typed client decodes back into the same error. A wrong method on
 * a known path is 405 with `Allow`, an unknown path 404, both in that shape.
 *
 * Two credentials: the admin key (`X-Admin-Key`) opens every route; the validator key
 * (`X-Validator-Key`) opens only the verifications and `POST /api/keys/validate`, so that the
 * services of a fleet can check keys without being able to issue or revoke them. The OpenAPI
 * documents need neither.
 *
 * @module
 */
import { Effect, Exit, type Layer, ManagedRuntime, Redacted, Schema } from "effect"
import { type Endpoint, securityHeader } from "../core/endpoint.ts"
import {
  documentRoutes,
  handle,
  makeRouter,
  type MockRequest,
  ok,
  type Reply,
  type Route,
  type Router,
  type RouterStatus,
} from "../core/router.ts"
import type { ApiKey } from "./contract.ts"
import { type ApiKeysError, ApiKeysErrorJson, InvalidRequest, KeyStoreUnavailable } from "./errors.ts"
import { rejectionAnswer } from "./guard.ts"
import { ApiKeysApi, ApiKeysErrorBody, errorStatus } from "./http_contract.ts"
import { hashesEqual, hashKey } from "./key_format.ts"
import { type ApiKeyCreated, ApiKeys, type ApiKeysService } from "./service.ts"

export { ApiKeysErrorJson } from "./errors.ts"

/**
 * Options of the HTTP API. When either key is set, every request needs a credential (else 401);
 * a key that is set but blank (empty or whitespace) is a configuration error, and matches no
 * request: the API then refuses what it would open, rather than open what it should refuse.
 *
 * @example
 * ```ts
 * import { Redacted } from "effect"
 * import { ApiKeys, type ApiKeysHttpOptions, makeApiKeysWebHandler } from "@gatehouse/sdk/apikeys"
 *
 * const options: ApiKeysHttpOptions = { adminKey: Redacted.make("a long random admin key"), basePath: "/keys" }
 * const { handler, dispose } = makeApiKeysWebHandler(ApiKeys.layerSqlite({ filename: ":memory:" }), options)
 * await dispose()
 * ```
 */
export interface ApiKeysHttpOptions {
  /**
   * Opens every route, in `X-Admin-Key`: the API can issue and revoke keys, so anything but a
   * trusted network needs it. @default none (open, unless `validatorKey` is set)
   */
  readonly adminKey?: Redacted.Redacted<string> | undefined
  /**
   * Opens only `POST /api/keys/verify` and `POST /api/keys/validate`, in `X-Validator-Key`: the
   * credential for services that check keys. @default none
   */
  readonly validatorKey?: Redacted.Redacted<string> | undefined
  /** The path the API is mounted under: `/apikeys` on the mock server. @default "" */
  readonly basePath?: string | undefined
}

/**
 * Runs a handler's effect with the `ApiKeys` service: on the runtime a web handler owns, or in
 * the context of the effect that answers the request.
 */
export type ApiKeysRunner = <A>(effect: Effect.Effect<A, never, ApiKeys>) => Promise<Exit.Exit<A, unknown>>

const ADMIN_HEADER = securityHeader(ApiKeysApi, "admin")
const VALIDATOR_HEADER = securityHeader(ApiKeysApi, "validator")
const encodeBody = Schema.encodeSync(ApiKeysErrorBody)
const encodeError = Schema.encodeSync(ApiKeysErrorJson)

const errorAnswer = (status: number, body: ApiKeysErrorBody, headers: Readonly<Record<string, string>> = {}) =>
  Response.json(encodeBody(body), { status, headers })

/** The answer to `error`: its status (or `status`), `{ detail, _tag, ...fields }`, and its headers. */
const errorResponse = (error: ApiKeysError, status: number = errorStatus(error)): Response =>
  error._tag === "KeyStoreUnavailable"
    // The cause stays in the server's logs, not in the answer.
    ? errorAnswer(
      status,
      { detail: "Key store unavailable", _tag: error._tag, detail_code: "unavailable" },
      rejectionAnswer(error).headers,
    )
    : errorAnswer(
      status,
      { detail: error.message, ...encodeError(error) },
      error._tag === "QuotaExceeded" ? rejectionAnswer(error).headers : {},
    )

/** The answer when the service could not run at all: its layer did not build, or a defect. */
const unavailable = () => errorResponse(new KeyStoreUnavailable({ detail: "the key service failed" }))

const created = (result: ApiKeyCreated) => ok({ key: result.key, plaintext: Redacted.value(result.plaintext) })

/**
 * Whether a header holds `key`, compared as hashes in constant time; a blank key matches nothing. The key's hash is
 * taken once, not on every request.
 */
const matcher = (key: Redacted.Redacted<string> | undefined): (given: string | null) => boolean => {
  const expected = key === undefined ? "" : Redacted.value(key)
  if (expected.trim() === "") return () => false
  const expectedHash = hashKey(expected)
  return (given) => given !== null && hashesEqual(hashKey(given), expectedHash)
}

/**
 * The check of each endpoint's `security`: `admin` is `X-Admin-Key`, `validator` is
 * `X-Validator-Key`; an endpoint without security (the documents) is open. A server given
 * neither key is open.
 */
const authorize = (options: ApiKeysHttpOptions) => {
  const isAdmin = matcher(options.adminKey)
  const isValidator = matcher(options.validatorKey)
  return (endpoint: Endpoint, { request }: MockRequest) => {
    if (options.adminKey === undefined && options.validatorKey === undefined) return undefined
    const security = endpoint.security ?? []
    if (security.length === 0) return undefined
    if (security.includes("admin") && isAdmin(request.headers.get(ADMIN_HEADER))) return undefined
    if (security.includes("validator") && isValidator(request.headers.get(VALIDATOR_HEADER))) return undefined
    const detail = security.includes("validator")
      ? "Missing or wrong X-Admin-Key or X-Validator-Key"
      : "Missing or wrong X-Admin-Key"
    return errorAnswer(401, { detail, _tag: "Unauthorized" })
  }
}

/** The errors the router answers by itself, in FastAPI's words and the API's shape. */
const routerError = (status: RouterStatus, message: string): Response => {
  switch (status) {
    case 400:
      return errorResponse(new InvalidRequest({ detail: message }))
    case 404:
      return errorAnswer(404, { detail: "Not Found", _tag: "RouteNotFound" })
    case 405:
      return errorAnswer(405, { detail: "Method Not Allowed", _tag: "MethodNotAllowed" })
    case 413:
      return errorAnswer(413, { detail: message, _tag: "PayloadTooLarge" })
    case 431:
      return errorAnswer(431, { detail: message, _tag: "HeadersTooLarge" })
    case 500:
      return errorAnswer(500, { detail: "Internal Server Error", _tag: "InternalError" })
  }
}

/** One handler per endpoint of `ApiKeysApi`, each a call of the `ApiKeys` service run by `run`. */
const routes = (run: ApiKeysRunner): ReadonlyArray<Route> => {
  /** Runs a call of the service; its typed errors are answered with their status. */
  const serve = <A>(call: (keys: ApiKeysService) => Effect.Effect<Reply<A>, ApiKeysError>): Promise<Reply<A>> =>
    run(
      Effect.flatMap(ApiKeys, call).pipe(Effect.catch((error) => Effect.succeed<Reply<A>>(errorResponse(error)))),
    ).then((exit) => Exit.isSuccess(exit) ? exit.value : unavailable())

  const { endpoints } = ApiKeysApi
  return [
    handle(
      endpoints.listOrganizations,
      () => serve((keys) => Effect.map(keys.listOrganizations(), (orgs) => ok(orgs))),
    ),
    handle(
      endpoints.createOrganization,
      ({ payload }) => serve((keys) => Effect.map(keys.createOrganization(payload.name), (org) => ok(org))),
    ),
    handle(
      endpoints.getOrganization,
      ({ params }) => serve((keys) => Effect.map(keys.getOrganization(params.orgId), (org) => ok(org))),
    ),
    handle(
      endpoints.listProjects,
      ({ params }) => serve((keys) => Effect.map(keys.listProjects(params.orgId), (list) => ok(list))),
    ),
    handle(
      endpoints.createProject,
      ({ params, payload }) =>
        serve((keys) => Effect.map(keys.createProject(params.orgId, payload.name), (project) => ok(project))),
    ),
    handle(
      endpoints.listProducts,
      ({ params }) => serve((keys) => Effect.map(keys.listProducts(params.orgId), (list) => ok(list))),
    ),
    handle(
      endpoints.createProduct,
      ({ params, payload }) =>
        serve((keys) => Effect.map(keys.createProduct(params.orgId, payload.name), (product) => ok(product))),
    ),
    handle(
      endpoints.getProject,
      ({ params }) => serve((keys) => Effect.map(keys.getProject(params.projectId), (project) => ok(project))),
    ),
    handle(
      endpoints.listProjectProducts,
      ({ params }) => serve((keys) => Effect.map(keys.listProjectProducts(params.projectId), (list) => ok(list))),
    ),
    handle(
      endpoints.getProduct,
      ({ params }) => serve((keys) => Effect.map(keys.getProduct(params.productId), (product) => ok(product))),
    ),
    handle(
      endpoints.addProductToProject,
      ({ params }) =>
        serve((keys) => Effect.as(keys.addProductToProject(params.productId, params.projectId), ok(undefined))),
    ),
    handle(
      endpoints.listOrgKeys,
      ({ params, query }) =>
        serve((keys) => Effect.map(keys.listOrgKeys(params.orgId, { status: query.status }), (list) => ok(list))),
    ),
    handle(
      endpoints.listProjectKeys,
      ({ params, query }) =>
        serve((keys) =>
          Effect.map(keys.listProjectKeys(params.projectId, { status: query.status }), (list) => ok(list))
        ),
    ),
    handle(endpoints.createKey, ({ payload }) => {
      // The metadata comes flat (the seed's body) or nested as answers spell it: the schema lets a field come once.
      const { orgId, projectId, productId, metadata, ...flat } = payload
      return serve((keys) =>
        Effect.map(
          keys.createKey(orgId, {
            projectId: projectId ?? undefined,
            productId: productId ?? undefined,
            metadata: { ...flat, ...metadata },
          }),
          created,
        )
      )
    }),
    handle(
      endpoints.verifyKey,
      ({ payload }) =>
        serve<ApiKey>((keys) =>
          keys.verifyKey(Redacted.make(payload.key)).pipe(
            Effect.map((key) => ok(key)),
            // The seed's server answers 400 to every verification failure.
            Effect.catchIf(
              (error) => error._tag !== "KeyStoreUnavailable",
              (error) => Effect.succeed(errorResponse(error, 400)),
            ),
          )
        ),
    ),
    handle(
      endpoints.validateKey,
      ({ payload: { key, ...options } }) =>
        serve((keys) => Effect.map(keys.validateKey(Redacted.make(key), options), (found) => ok(found))),
    ),
    handle(endpoints.getKey, ({ params }) => serve((keys) => Effect.map(keys.getKey(params.keyId), (key) => ok(key)))),
    handle(
      endpoints.updateKey,
      ({ params, payload: { metadata, ...flat } }) =>
        serve((keys) => Effect.map(keys.updateKey(params.keyId, { ...flat, ...metadata }), (key) => ok(key))),
    ),
    handle(
      endpoints.revokeKey,
      ({ params, query }) =>
        serve((keys): Effect.Effect<Reply<typeof ApiKeysApi.endpoints.revokeKey.success.Type>, ApiKeysError> =>
          query.purge === true
            ? Effect.as(keys.deleteKey(params.keyId), ok(undefined, { status: 204 }))
            : Effect.map(keys.revokeKey(params.keyId), (key) => ok(key))
        ),
    ),
    handle(
      endpoints.rotateKey,
      ({ params, payload: { gracePeriodSeconds, metadata, ...flat } }) =>
        serve((keys) =>
          Effect.map(
            keys.rotateKey(params.keyId, {
              gracePeriod: gracePeriodSeconds === undefined ? undefined : gracePeriodSeconds * 1000,
              metadata: { ...flat, ...metadata },
            }),
            created,
          )
        ),
    ),
    // AKSHILMY/apikey-server's routes.
    handle(
      endpoints.serverVerifyKey,
      ({ payload }) =>
        serve((keys) => {
          type Verified = typeof endpoints.serverVerifyKey.success.Type
          const invalid = (reason: "invalid" | "revoked" | "expired") =>
            Effect.succeed(ok<Verified>({ valid: false, reason }))
          return keys.verifyKey(Redacted.make(payload.key)).pipe(
            Effect.map((key) => ok<Verified>({ valid: true, key })),
            Effect.catchTags({
              InvalidKey: () => invalid("invalid"),
              RevokedKey: () => invalid("revoked"),
              ExpiredKey: () => invalid("expired"),
            }),
          )
        }),
    ),
    handle(
      endpoints.serverListKeys,
      ({ query }) => serve((keys) => Effect.map(listed(keys, query), (list) => ok(list))),
    ),
    handle(endpoints.serverCreateKey, ({ payload }) => {
      const { orgId, projectId, productId, metadata, ...flat } = payload
      return serve((keys) =>
        keys.createKey(orgId, {
          projectId: projectId ?? undefined,
          productId: productId ?? undefined,
          metadata: { ...flat, ...metadata },
        }).pipe(
          Effect.map(({ key, plaintext }) => ok({ ...key, plaintext: Redacted.value(plaintext) }, { status: 201 })),
          // Upstream answers 400 to every refusal.
          Effect.catchIf(isRefusal, (error) => Effect.succeed(errorResponse(error, 400))),
        )
      )
    }),
    handle(
      endpoints.serverGetKey,
      ({ params }) => serve((keys) => Effect.map(keys.getKey(params.keyId), (key) => ok(key))),
    ),
    handle(
      endpoints.serverUpdateKey,
      ({ params, payload: { metadata, ...flat } }) => {
        // Upstream writes a whole new metadata: a field not given is cleared.
        const given = { ...flat, ...metadata }
        const replaced = {
          name: given.name ?? null,
          scopes: given.scopes ?? [],
          rateLimit: given.rateLimit ?? null,
          expiresAt: given.expiresAt ?? null,
          custom: given.custom ?? {},
        }
        return serve((keys) => Effect.map(keys.updateKey(params.keyId, replaced), (key) => ok(key)))
      },
    ),
    handle(
      endpoints.serverRevokeKey,
      ({ params }) => serve((keys) => Effect.as(keys.revokeKey(params.keyId), ok(undefined, { status: 204 }))),
    ),
    handle(
      endpoints.serverDeleteKey,
      ({ params }) => serve((keys) => Effect.as(keys.deleteKey(params.keyId), ok(undefined, { status: 204 }))),
    ),
    ...documentRoutes(ApiKeysApi),
  ]
}

/** `GET /v1/keys`: a project's keys, else an organization's, else every organization's. */
const listed = (
  keys: ApiKeysService,
  query: { readonly orgId?: string; readonly projectId?: string },
): Effect.Effect<ReadonlyArray<ApiKey>, ApiKeysError> =>
  query.projectId !== undefined
    ? keys.listProjectKeys(query.projectId)
    : query.orgId !== undefined
    ? keys.listOrgKeys(query.orgId)
    : Effect.flatMap(
      keys.listOrganizations(),
      (orgs) => Effect.map(Effect.forEach(orgs, (org) => keys.listOrgKeys(org.id)), (lists) => lists.flat()),
    )

/** An error of the request, not of the store: what upstream's `POST /v1/keys` answers 400. */
const isRefusal = (error: ApiKeysError): boolean =>
  error._tag !== "KeyStoreUnavailable" && error._tag !== "KeyStoreClosed" && error._tag !== "Unauthorized"

/**
 * The router of the HTTP API, for paths below its base URL: every endpoint of `ApiKeysApi`, its
 * service calls run by `run`. The mock serves this router; {@linkcode makeApiKeysWebHandler} and
 * {@linkcode handleApiKeysRequest} wrap it.
 */
export const makeApiKeysRouter = (options: ApiKeysHttpOptions, run: ApiKeysRunner): Router =>
  makeRouter(ApiKeysApi, routes(run), { authorize: authorize(options), error: routerError })

/** Answers `request` with `router` when its path is below `basePath`, else 404. */
const dispatch = async (router: Router, request: Request, basePath: string | undefined): Promise<Response> => {
  const url = new URL(request.url)
  const base = (basePath ?? "").replace(/\/+$/, "")
  const path = url.pathname === base
    ? ""
    : url.pathname.startsWith(`${base}/`)
    ? url.pathname.slice(base.length)
    : undefined
  if (path === undefined) return routerError(404, "Not Found")
  return (await router(request, path, `${url.origin}${base}`)).response
}

/**
 * Answers one request of the HTTP API with the `ApiKeys` in context. Never fails: every error is
 * a response.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ApiKeys, handleApiKeysRequest } from "@gatehouse/sdk/apikeys"
 *
 * const response = handleApiKeysRequest(new Request("http://keys.internal/api/orgs")).pipe(
 *   Effect.provide(ApiKeys.layerSqlite({ filename: ":memory:" })),
 * )
 * ```
 */
export const handleApiKeysRequest = (
  request: Request,
  options: ApiKeysHttpOptions = {},
): Effect.Effect<Response, never, ApiKeys> =>
  Effect.flatMap(Effect.context<ApiKeys>(), (context) =>
    Effect.promise((signal) => {
      const run: ApiKeysRunner = (effect) => Effect.runPromiseExitWith(context)(effect, { signal })
      return dispatch(makeApiKeysRouter(options, run), request, options.basePath)
    }))

/**
 * A web handler for `Deno.serve`, `Bun.serve` or an msw handler, and how to release it.
 *
 * @example
 * ```ts
 * import { Redacted } from "effect"
 * import { ApiKeys, type ApiKeysWebHandler, makeApiKeysWebHandler } from "@gatehouse/sdk/apikeys"
 *
 * const web: ApiKeysWebHandler = makeApiKeysWebHandler(ApiKeys.layerSqlite({ filename: ":memory:" }), {
 *   adminKey: Redacted.make("a long random admin key"),
 * })
 * const response = await web.handler(new Request("http://localhost/api/organizations"))
 * console.log(response.status) // 401: no X-Admin-Key
 * await web.dispose()
 * ```
 */
export interface ApiKeysWebHandler {
  /** Answers one request; never rejects (every error is a response). */
  readonly handler: (request: Request) => Promise<Response>
  /** Releases the `ApiKeys` layer (its database). */
  readonly dispose: () => Promise<void>
}

/**
 * Serves the HTTP API from an `ApiKeys` layer. A blank `adminKey` or `validatorKey` refuses every
 * request it would have opened (see {@linkcode ApiKeysHttpOptions}).
 *
 * @example
 * ```ts
 * import { Config, Effect, Schema } from "effect"
 * import { ApiKeys, makeApiKeysWebHandler } from "@gatehouse/sdk/apikeys"
 *
 * // Fails at startup when the variable is unset or empty.
 * const secret = (name: string) => Effect.runPromise(Config.schema(Schema.Redacted(Schema.NonEmptyString), name))
 * const { handler } = makeApiKeysWebHandler(ApiKeys.layerSqlite({ filename: "keys.db" }), {
 *   adminKey: await secret("APIKEYS_ADMIN_KEY"),
 *   validatorKey: await secret("APIKEYS_VALIDATOR_KEY"),
 * })
 * Deno.serve(handler)
 * ```
 */
export const makeApiKeysWebHandler = (
  layer: Layer.Layer<ApiKeys, unknown>,
  options: ApiKeysHttpOptions = {},
): ApiKeysWebHandler => {
  const runtime = ManagedRuntime.make(layer)
  const router = makeApiKeysRouter(options, (effect) => runtime.runPromiseExit(effect))
  return {
    handler: (request) => dispatch(router, request, options.basePath),
    dispose: () => runtime.dispose(),
  }
}
