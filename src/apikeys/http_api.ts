/**
 * The key service over HTTP: the routes of contracts §4.5 (the seed's example FastAPI server),
 * plus what a fleet sharing one key service needs (validate, get, update, rotate, delete).
 *
 * | route | answer |
 * |---|---|
 * | `GET/POST /api/orgs`, `GET /api/orgs/{org}` | organizations |
 * | `GET/POST /api/orgs/{org}/projects`, `.../products` | projects, products |
 * | `GET /api/projects/{project}`, `GET /api/products/{product}` | one project or product |
 * | `GET /api/projects/{project}/products`, `POST /api/products/{product}/projects/{project}` (204) | links |
 * | `GET /api/orgs/{org}/keys`, `GET /api/projects/{project}/keys` (`?status=`) | keys |
 * | `POST /api/keys` (201), `POST /api/keys/{id}/rotate` (201) | `{ key, plaintext }` |
 * | `GET`/`PATCH /api/keys/{id}`; `DELETE /api/keys/{id}` revokes (the seed's), `?purge=true` deletes (204) | a key |
 * | `POST /api/keys/verify` | the key, or 400 (the seed's) |
 * | `POST /api/keys/validate` | the key, or 401 / 403 / 429 as the guard answers |
 *
 * Errors are `{ "detail": message, "_tag": ..., ...fields }`: FastAPI's `detail`, and the typed
 * error's own fields, which the typed client decodes back into the same error.
 *
 * Two credentials: the admin key (`X-Admin-Key`) opens every route; the validator key
 * (`X-Validator-Key`) opens only `POST /api/keys/verify` and `POST /api/keys/validate`, so that the
 * services of a fleet can check keys without being able to issue or revoke them.
 *
 * @module
 */
import { Effect, Exit, type Layer, ManagedRuntime, Redacted, Schema } from "effect"
import {
  ApiKey,
  ApiKeyCreatedJson,
  CreateKeyBody,
  KeyStatus,
  NameBody,
  Organization,
  Project,
  type RateLimit,
  RotateKeyBody,
  UpdateKeyBody,
  ValidateKeyBody,
  VerifyKeyBody,
} from "./contract.ts"
import {
  ExpiredKey,
  InsufficientScope,
  InvalidKey,
  InvalidRequest,
  KeyNotFound,
  KeyStoreUnavailable,
  OrganizationNotFound,
  ProductNotFound,
  ProjectNotFound,
  QuotaExceeded,
  RevokedKey,
} from "./errors.ts"
import { rejectionAnswer } from "./guard.ts"
import { hashesEqual, hashKey } from "./key_format.ts"
import { type ApiKeyCreated, ApiKeys, type ApiKeysService } from "./service.ts"

/**
 * Every error the HTTP API sends, as one schema: encode on the server, decode in the client.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { ApiKeysErrorJson } from "@gatehouse/sdk/apikeys"
 *
 * const error = Schema.decodeUnknownSync(ApiKeysErrorJson)({ _tag: "KeyNotFound", keyId: "k1" })
 * ```
 */
export const ApiKeysErrorJson = Schema.Union([
  InvalidKey,
  RevokedKey,
  ExpiredKey,
  InsufficientScope,
  QuotaExceeded,
  OrganizationNotFound,
  ProjectNotFound,
  ProductNotFound,
  KeyNotFound,
  InvalidRequest,
  KeyStoreUnavailable,
])

type HttpError = typeof ApiKeysErrorJson.Type

/**
 * Options of the HTTP API. When either key is set, every request needs a credential (else 401);
 * a key that is set but blank (empty or whitespace) is a configuration error, and matches no
 * request: the API then refuses what it would open, rather than open what it should refuse.
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

const STATUS: Readonly<Record<HttpError["_tag"], number>> = {
  InvalidKey: 401,
  ExpiredKey: 401,
  RevokedKey: 403,
  InsufficientScope: 403,
  QuotaExceeded: 429,
  OrganizationNotFound: 404,
  ProjectNotFound: 404,
  ProductNotFound: 404,
  KeyNotFound: 404,
  InvalidRequest: 400,
  KeyStoreUnavailable: 503,
}

const encodeError = Schema.encodeUnknownSync(ApiKeysErrorJson)

const errorResponse = (error: HttpError, status?: number): Response => {
  const headers: Record<string, string> = error._tag === "QuotaExceeded" || error._tag === "KeyStoreUnavailable"
    ? { ...rejectionAnswer(error).headers }
    : {}
  const body = error._tag === "KeyStoreUnavailable"
    ? { detail: "Key store unavailable", _tag: error._tag, detail_code: "unavailable" }
    : { detail: error.message, ...(encodeError(error) as Record<string, unknown>) }
  return Response.json(body, { status: status ?? STATUS[error._tag], headers })
}

const json = <S extends Schema.Top & { readonly EncodingServices: never }>(
  schema: S,
  value: S["Type"],
  status = 200,
): Response => Response.json(Schema.encodeUnknownSync(schema)(value), { status })

const created = (result: ApiKeyCreated): Response =>
  json(ApiKeyCreatedJson, { key: result.key, plaintext: Redacted.value(result.plaintext) }, 201)

const readBody = <S extends Schema.Top & { readonly DecodingServices: never }>(
  request: Request,
  schema: S,
): Effect.Effect<S["Type"], InvalidRequest> =>
  Effect.tryPromise({
    try: () => request.text(),
    catch: () => new InvalidRequest({ detail: "The request body could not be read" }),
  }).pipe(
    Effect.flatMap((text) =>
      Effect.try({
        try: () => JSON.parse(text === "" ? "{}" : text) as unknown,
        catch: () => new InvalidRequest({ detail: "The request body is not JSON" }),
      })
    ),
    Effect.flatMap((body) =>
      Effect.mapError(
        Schema.decodeUnknownEffect(schema)(body),
        (error) => new InvalidRequest({ detail: `Invalid request body: ${error.message}` }),
      )
    ),
  )

/**
 * The metadata fields of a body, camelCased: with `Clear = null` a `KeyUpdate` (null clears a
 * field), with `Clear = never` a `KeyMetadataInput`. An absent field reads `undefined`: unchanged.
 */
const metadataOf = <Clear extends null>(body: {
  readonly name?: string | Clear
  readonly scopes?: ReadonlyArray<string>
  readonly rate_limit?: number | RateLimit | Clear
  readonly expires_at?: Date | Clear
  readonly custom?: Readonly<Record<string, Schema.Json>>
}) => ({
  name: body.name,
  scopes: body.scopes,
  rateLimit: body.rate_limit,
  expiresAt: body.expires_at,
  custom: body.custom,
})

const statusFilter = (url: URL): Effect.Effect<KeyStatus | undefined, InvalidRequest> => {
  const status = url.searchParams.get("status")
  if (status === null) return Effect.succeed(undefined)
  return Schema.is(KeyStatus)(status)
    ? Effect.succeed(status)
    : Effect.fail(new InvalidRequest({ detail: "status must be active, revoked or expired" }))
}

type Route = (keys: ApiKeysService, request: Request, url: URL) => Effect.Effect<Response, HttpError>

const ORGS = Schema.Array(Organization)
const PROJECTS = Schema.Array(Project)
const KEYS = Schema.Array(ApiKey)

/** Finds the route of `method` and the path's segments (after `/api`), with its parameters. */
const route = (method: string, segments: ReadonlyArray<string>): Route | "method" | undefined => {
  const [a, id, b, id2, c] = segments
  const pick = (routes: Partial<Record<string, Route>>) => routes[method] ?? "method"
  const n = segments.length
  if (a === "orgs") {
    if (n === 1) {
      return pick({
        GET: (keys) => Effect.map(keys.listOrganizations(), (orgs) => json(ORGS, orgs)),
        POST: (keys, request) =>
          Effect.flatMap(
            readBody(request, NameBody),
            ({ name }) => Effect.map(keys.createOrganization(name), (org) => json(Organization, org, 201)),
          ),
      })
    }
    if (n === 2) return pick({ GET: (keys) => Effect.map(keys.getOrganization(id), (org) => json(Organization, org)) })
    if (n === 3 && (b === "projects" || b === "products")) {
      const create = b === "projects" ? "createProject" : "createProduct"
      const list = b === "projects" ? "listProjects" : "listProducts"
      return pick({
        GET: (keys) => Effect.map(keys[list](id), (items) => json(PROJECTS, items)),
        POST: (keys, request) =>
          Effect.flatMap(
            readBody(request, NameBody),
            ({ name }) => Effect.map(keys[create](id, name), (item) => json(Project, item, 201)),
          ),
      })
    }
    if (n === 3 && b === "keys") {
      return pick({
        GET: (keys, _, url) =>
          Effect.flatMap(
            statusFilter(url),
            (status) => Effect.map(keys.listOrgKeys(id, { status }), (list) => json(KEYS, list)),
          ),
      })
    }
  }
  if (a === "projects") {
    if (n === 2) return pick({ GET: (keys) => Effect.map(keys.getProject(id), (p) => json(Project, p)) })
    if (n === 3 && b === "products") {
      return pick({ GET: (keys) => Effect.map(keys.listProjectProducts(id), (list) => json(PROJECTS, list)) })
    }
    if (n === 3 && b === "keys") {
      return pick({
        GET: (keys, _, url) =>
          Effect.flatMap(
            statusFilter(url),
            (status) => Effect.map(keys.listProjectKeys(id, { status }), (list) => json(KEYS, list)),
          ),
      })
    }
  }
  if (a === "products") {
    if (n === 2) return pick({ GET: (keys) => Effect.map(keys.getProduct(id), (p) => json(Project, p)) })
    if (n === 4 && b === "projects") {
      return pick({
        POST: (keys) => Effect.as(keys.addProductToProject(id, id2), new Response(null, { status: 204 })),
      })
    }
  }
  if (a !== "keys") return undefined
  if (n === 1) {
    return pick({
      POST: (keys, request) =>
        Effect.flatMap(readBody(request, CreateKeyBody), (body) =>
          Effect.map(
            keys.createKey(body.org_id, {
              projectId: body.project_id ?? undefined,
              productId: body.product_id ?? undefined,
              metadata: metadataOf<never>(body),
            }),
            created,
          )),
    })
  }
  if (n === 2 && id === "verify") {
    return pick({
      POST: (keys, request) =>
        Effect.flatMap(readBody(request, VerifyKeyBody), ({ key }) =>
          keys.verifyKey(Redacted.make(key)).pipe(
            Effect.map((found) => json(ApiKey, found)),
            // The seed's server answers 400 to every verification failure.
            Effect.catchIf(
              (error) => error._tag !== "KeyStoreUnavailable",
              (error) => Effect.succeed(errorResponse(error, 400)),
            ),
          )),
    })
  }
  if (n === 2 && id === "validate") {
    return pick({
      POST: (keys, request) =>
        Effect.flatMap(readBody(request, ValidateKeyBody), (body) =>
          Effect.map(
            keys.validateKey(Redacted.make(body.key), {
              orgId: body.org_id,
              projectId: body.project_id,
              productId: body.product_id,
              requiredScopes: body.required_scopes,
            }),
            (found) => json(ApiKey, found),
          )),
    })
  }
  if (n === 2) {
    return pick({
      GET: (keys) => Effect.map(keys.getKey(id), (key) => json(ApiKey, key)),
      PATCH: (keys, request) =>
        Effect.flatMap(
          readBody(request, UpdateKeyBody),
          (body) => Effect.map(keys.updateKey(id, metadataOf<null>(body)), (key) => json(ApiKey, key)),
        ),
      DELETE: (keys, _, url) =>
        url.searchParams.get("purge") === "true"
          ? Effect.as(keys.deleteKey(id), new Response(null, { status: 204 }))
          : Effect.map(keys.revokeKey(id), (key) => json(ApiKey, key)),
    })
  }
  if (n === 3 && b === "rotate" && c === undefined) {
    return pick({
      POST: (keys, request) =>
        Effect.flatMap(readBody(request, RotateKeyBody), (body) =>
          Effect.map(
            keys.rotateKey(id, {
              gracePeriod: body.grace_period_seconds === undefined ? undefined : body.grace_period_seconds * 1000,
              metadata: metadataOf<null>(body),
            }),
            created,
          )),
    })
  }
  return undefined
}

const plainError = (status: number, detail: string, tag: string) => Response.json({ detail, _tag: tag }, { status })

/** Whether `given` is `key`; a blank key matches nothing. Compared as hashes, in constant time. */
const matches = (given: string | null, key: Redacted.Redacted<string> | undefined): boolean => {
  const expected = key === undefined ? "" : Redacted.value(key)
  return given !== null && expected.trim() !== "" && hashesEqual(hashKey(given), hashKey(expected))
}

const authorized = (request: Request, segments: ReadonlyArray<string> | undefined, options: ApiKeysHttpOptions) => {
  if (options.adminKey === undefined && options.validatorKey === undefined) return true
  if (matches(request.headers.get("x-admin-key"), options.adminKey)) return true
  const validation = request.method.toUpperCase() === "POST" && segments?.length === 2 && segments[0] === "keys" &&
    (segments[1] === "verify" || segments[1] === "validate")
  return validation && matches(request.headers.get("x-validator-key"), options.validatorKey)
}

const segmentsOf = (pathname: string, basePath: string): ReadonlyArray<string> | undefined => {
  const base = basePath.replace(/\/+$/, "")
  if (!pathname.startsWith(`${base}/api/`) && pathname !== `${base}/api`) return undefined
  return pathname.slice(base.length + "/api/".length).split("/").filter((s) => s !== "").map((segment) => {
    try {
      return decodeURIComponent(segment)
    } catch {
      return segment
    }
  })
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
  Effect.suspend(() => {
    const url = new URL(request.url)
    const segments = segmentsOf(url.pathname, options.basePath ?? "")
    if (!authorized(request, segments, options)) {
      return Effect.succeed(plainError(401, "Missing or wrong X-Admin-Key", "Unauthorized"))
    }
    const found = segments === undefined ? undefined : route(request.method.toUpperCase(), segments)
    if (found === undefined) return Effect.succeed(plainError(404, "Not Found", "RouteNotFound"))
    if (found === "method") return Effect.succeed(plainError(405, "Method Not Allowed", "MethodNotAllowed"))
    return Effect.flatMap(ApiKeys, (keys) => found(keys, request, url)).pipe(
      Effect.catch((error) => Effect.succeed(errorResponse(error))),
    )
  })

/** A web handler for `Deno.serve`, `Bun.serve` or an msw handler, and how to release it. */
export interface ApiKeysWebHandler {
  readonly handler: (request: Request) => Promise<Response>
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
  return {
    handler: async (request) => {
      const exit = await runtime.runPromiseExit(handleApiKeysRequest(request, options))
      return Exit.isSuccess(exit) ? exit.value : plainError(503, "Key store unavailable", "KeyStoreUnavailable")
    },
    dispose: () => runtime.dispose(),
  }
}
