/**
 * The key service's HTTP API, endpoint by endpoint: the server (`http_api.ts`), the typed client
 * (`client.ts`), the mock and the OpenAPI document all read this one definition.
 *
 * Where each route comes from: the seed's example FastAPI server (contracts §4.5) for most of
 * them; the rest is INFERRED, our design for what a fleet sharing one key service needs. Each
 * endpoint below says which.
 *
 * @module
 */
import { Schema, SchemaTransformation } from "effect"
import { defineApi, documentEndpoints, fillPath } from "../core/endpoint.ts"
import {
  API_KEY_FIELDS,
  API_KEY_JSON_NAMES,
  ApiKey,
  ApiKeyCreatedJson,
  CreateKeyBody,
  KeyStatus,
  NameBody,
  Organization,
  Project,
  RotateKeyBody,
  UpdateKeyBody,
  ValidateKeyBody,
  VerifyKeyBody,
} from "./contract.ts"
import {
  AlreadyExists,
  type ApiKeysError,
  ExpiredKey,
  InsufficientScope,
  InvalidKey,
  InvalidRequest,
  KeyNotFound,
  KeyStoreClosed,
  KeyStoreUnavailable,
  OrganizationNotFound,
  ProductNotFound,
  ProjectNotFound,
  QuotaExceeded,
  RevokedKey,
  Unauthorized,
} from "./errors.ts"

/**
 * The statuses the typed errors travel with, and which errors each carries: the server answers
 * an error with its status here, and the client decodes a body with the errors of its status.
 */
const ERRORS_BY_STATUS = [
  [400, [InvalidRequest]],
  [401, [InvalidKey, ExpiredKey, Unauthorized]],
  [403, [RevokedKey, InsufficientScope]],
  [404, [OrganizationNotFound, ProjectNotFound, ProductNotFound, KeyNotFound]],
  [409, [AlreadyExists]],
  [429, [QuotaExceeded]],
  [503, [KeyStoreUnavailable, KeyStoreClosed]],
] as const

/** The seed's verify answers 400 to every verification failure, with the typed error in the body. */
const VERIFY_FAILURES = [InvalidKey, RevokedKey, ExpiredKey] as const

const STATUS_OF: ReadonlyMap<string, number> = new Map(
  ERRORS_BY_STATUS.flatMap(([status, errors]) => errors.map((error) => [error.identifier, status] as const)),
)

/** The status the server answers `error` with. */
export const errorStatus = (error: ApiKeysError): number => STATUS_OF.get(error._tag) ?? 500

const decoders: ReadonlyMap<number, (body: unknown) => ApiKeysError | undefined> = new Map(
  ERRORS_BY_STATUS.map(([status, errors]) => {
    const decode = Schema.decodeUnknownOption(
      Schema.Union(status === 400 ? [...errors, ...VERIFY_FAILURES] : [...errors]),
    )
    return [status, (body: unknown) => {
      const decoded = decode(body)
      return decoded._tag === "Some" ? decoded.value as ApiKeysError : undefined
    }]
  }),
)

/**
 * The typed error an error answer carries, decoded with the schemas of the errors its status
 * may carry; `undefined` when the body is not one of them (a proxy's page, a refused credential).
 */
export const decodeError = (status: number, body: unknown): ApiKeysError | undefined => decoders.get(status)?.(body)

/**
 * The `_tag` of an error body: a typed error's, or one of the refusals the server makes by itself.
 *
 * @example
 * ```ts
 * import type { ApiKeysErrorTag } from "@gatehouse/sdk/apikeys"
 *
 * const isRefusal = (tag: ApiKeysErrorTag): boolean => tag === "Unauthorized" || tag === "PayloadTooLarge"
 * ```
 */
export type ApiKeysErrorTag =
  | ApiKeysError["_tag"]
  | "RouteNotFound"
  | "MethodNotAllowed"
  | "PayloadTooLarge"
  | "HeadersTooLarge"
  | "InternalError"
  | (string & Record<never, never>)

const ERROR_TAGS = [
  ...ERRORS_BY_STATUS.flatMap(([, errors]) => errors.map((error) => error.identifier)),
  "RouteNotFound",
  "MethodNotAllowed",
  "PayloadTooLarge",
  "HeadersTooLarge",
  "InternalError",
]

/**
 * The body of every error answer: FastAPI's `detail`, the error's `_tag`, and its fields (encoded).
 *
 * @example
 * ```ts
 * import type { ApiKeysErrorBody } from "@gatehouse/sdk/apikeys"
 *
 * const response = Response.json({ detail: "no such key", _tag: "KeyNotFound", keyId: "k1" }, { status: 404 })
 * const body = (await response.json()) as ApiKeysErrorBody
 * console.log(body._tag, body.detail) // KeyNotFound no such key
 * ```
 */
export interface ApiKeysErrorBody {
  /** What went wrong, in words (FastAPI's field). */
  readonly detail: string
  /** Which error: a typed error's tag, or one of the server's own refusals. */
  readonly _tag: ApiKeysErrorTag
  /** The typed error's fields, encoded. */
  readonly [field: string]: unknown
}

/**
 * Every error body the API sends: `{ "detail": message, "_tag": ..., ...fields }`. A typed error
 * carries its fields as `ApiKeysErrorJson` encodes them (the typed client decodes them
 * back into the same error); the server's own refusals (`Unauthorized`, `RouteNotFound`,
 * `MethodNotAllowed`) carry none. `KeyStoreUnavailable` says only `Key store unavailable`: its
 * cause stays in the server's logs. A `_tag` the server adds later still decodes.
 */
export const ApiKeysErrorBody: Schema.Codec<ApiKeysErrorBody> = Schema.StructWithRest(
  Schema.Struct({
    detail: Schema.String,
    _tag: Schema.Union([Schema.Literals(ERROR_TAGS), Schema.String]),
  }),
  [Schema.Record(Schema.String, Schema.Unknown)],
) as Schema.Codec<ApiKeysErrorBody>

const OrgParams = Schema.Struct({ orgId: Schema.String }).pipe(Schema.encodeKeys({ orgId: "org_id" }))
const ProjectParams = Schema.Struct({ projectId: Schema.String }).pipe(Schema.encodeKeys({ projectId: "project_id" }))
const ProductParams = Schema.Struct({ productId: Schema.String }).pipe(Schema.encodeKeys({ productId: "product_id" }))
const KeyParams = Schema.Struct({ keyId: Schema.String }).pipe(Schema.encodeKeys({ keyId: "key_id" }))
const LinkParams = Schema.Struct({ productId: Schema.String, projectId: Schema.String }).pipe(
  Schema.encodeKeys({ productId: "product_id", projectId: "project_id" }),
)

/** `?status=`: only the keys in this status now. */
const ListKeysQuery = Schema.Struct({ status: Schema.optionalKey(KeyStatus) })

const BooleanFromString = Schema.Literals(["true", "false"]).pipe(
  Schema.decodeTo(
    Schema.Boolean,
    SchemaTransformation.transform({ decode: (text) => text === "true", encode: (flag) => flag ? "true" : "false" }),
  ),
)

/** `?purge=true` deletes the key for good instead of revoking it. */
const RevokeQuery = Schema.Struct({ purge: Schema.optionalKey(BooleanFromString) })

const admin = ["admin"]
/** The validator key opens the validations only, so that the services of a fleet can check keys but not issue them. */
const adminOrValidator = ["admin", "validator"]
const unauthorized = { 401: "missing or wrong X-Admin-Key" }
const unavailable = { 503: "the key store cannot answer (Retry-After)" }
const badInput = { 400: "the input does not decode (the field is named)" }

/** apikey-server's answer to `POST /v1/keys`: the key's fields and, this once, its plaintext beside them. */
const ServerKeyCreated = Schema.Struct({ ...API_KEY_FIELDS, plaintext: Schema.String }).pipe(
  Schema.encodeKeys(API_KEY_JSON_NAMES),
).annotate({ identifier: "ServerKeyCreated" })

/** apikey-server's answer to `POST /v1/keys/verify`: always 200, the key or why not. */
const ServerVerifyResult = Schema.Union([
  Schema.Struct({ valid: Schema.Literal(true), key: ApiKey }),
  Schema.Struct({ valid: Schema.Literal(false), reason: Schema.Literals(["expired", "revoked", "invalid"]) }),
]).annotate({ identifier: "ServerVerifyResult" })

/** `GET /v1/keys?org_id=&project_id=`: a project's keys, else an organization's, else every key. */
const ServerListQuery = Schema.Struct({
  orgId: Schema.optionalKey(Schema.String),
  projectId: Schema.optionalKey(Schema.String),
}).pipe(Schema.encodeKeys({ orgId: "org_id", projectId: "project_id" }))

/** The key service's HTTP API: the server, the typed client, the mock and the OpenAPI document read it. */
export const ApiKeysApi = defineApi({
  name: "apikeys",
  title: "API keys service (gatehouse)",
  version: "0.1.0",
  errorBody: ApiKeysErrorBody,
  // Our server: a field it does not know is refused, never dropped in silence.
  excessProperties: "error",
  securitySchemes: {
    admin: { type: "apiKey", in: "header", name: "X-Admin-Key" },
    validator: { type: "apiKey", in: "header", name: "X-Validator-Key" },
  },
  endpoints: {
    // The seed's.
    listOrganizations: {
      method: "GET",
      path: "/api/orgs",
      summary: "Every organization",
      success: Schema.Array(Organization),
      errors: { ...unauthorized, ...unavailable },
      security: admin,
    },
    // The seed's (its status is ours: 201).
    createOrganization: {
      method: "POST",
      path: "/api/orgs",
      summary: "Create an organization",
      payload: NameBody,
      success: Organization,
      successStatus: 201,
      errors: { 400: "invalid name", ...unauthorized, 409: "AlreadyExists: the name is taken", ...unavailable },
      security: admin,
    },
    // The seed's.
    getOrganization: {
      method: "GET",
      path: "/api/orgs/{org_id}",
      summary: "One organization",
      params: OrgParams,
      success: Organization,
      errors: { ...unauthorized, 404: "OrganizationNotFound", ...unavailable },
      security: admin,
    },
    // The seed's.
    listProjects: {
      method: "GET",
      path: "/api/orgs/{org_id}/projects",
      summary: "An organization's projects",
      params: OrgParams,
      success: Schema.Array(Project),
      errors: { ...unauthorized, 404: "OrganizationNotFound", ...unavailable },
      security: admin,
    },
    // The seed's (201 is ours).
    createProject: {
      method: "POST",
      path: "/api/orgs/{org_id}/projects",
      summary: "Create a project in an organization",
      params: OrgParams,
      payload: NameBody,
      success: Project,
      successStatus: 201,
      errors: {
        400: "invalid name",
        ...unauthorized,
        404: "OrganizationNotFound",
        409: "AlreadyExists: the organization has one by this name",
        ...unavailable,
      },
      security: admin,
    },
    // The seed's.
    listProducts: {
      method: "GET",
      path: "/api/orgs/{org_id}/products",
      summary: "An organization's products",
      params: OrgParams,
      success: Schema.Array(Project),
      errors: { ...unauthorized, 404: "OrganizationNotFound", ...unavailable },
      security: admin,
    },
    // The seed's (201 is ours).
    createProduct: {
      method: "POST",
      path: "/api/orgs/{org_id}/products",
      summary: "Create a product in an organization",
      params: OrgParams,
      payload: NameBody,
      success: Project,
      successStatus: 201,
      errors: {
        400: "invalid name",
        ...unauthorized,
        404: "OrganizationNotFound",
        409: "AlreadyExists: the organization has one by this name",
        ...unavailable,
      },
      security: admin,
    },
    // INFERRED.
    getProject: {
      method: "GET",
      path: "/api/projects/{project_id}",
      summary: "One project",
      params: ProjectParams,
      success: Project,
      errors: { ...unauthorized, 404: "ProjectNotFound", ...unavailable },
      security: admin,
    },
    // The seed's.
    listProjectProducts: {
      method: "GET",
      path: "/api/projects/{project_id}/products",
      summary: "The products linked to a project",
      params: ProjectParams,
      success: Schema.Array(Project),
      errors: { ...unauthorized, 404: "ProjectNotFound", ...unavailable },
      security: admin,
    },
    // INFERRED.
    getProduct: {
      method: "GET",
      path: "/api/products/{product_id}",
      summary: "One product",
      params: ProductParams,
      success: Project,
      errors: { ...unauthorized, 404: "ProductNotFound", ...unavailable },
      security: admin,
    },
    // The seed's: 204.
    addProductToProject: {
      method: "POST",
      path: "/api/products/{product_id}/projects/{project_id}",
      summary: "Link a product to a project of its organization (linking twice is a no-op)",
      params: LinkParams,
      success: Schema.Void,
      successStatus: 204,
      errors: {
        400: "the product and the project belong to different organizations",
        ...unauthorized,
        404: "ProductNotFound or ProjectNotFound",
        ...unavailable,
      },
      // Linking twice links once.
      idempotent: true,
      security: admin,
    },
    // The seed's; `?status=` is INFERRED.
    listOrgKeys: {
      method: "GET",
      path: "/api/orgs/{org_id}/keys",
      summary: "An organization's keys (`?status=active|revoked|expired`)",
      params: OrgParams,
      query: ListKeysQuery,
      success: Schema.Array(ApiKey),
      errors: { ...badInput, ...unauthorized, 404: "OrganizationNotFound", ...unavailable },
      security: admin,
    },
    // The seed's; `?status=` is INFERRED.
    listProjectKeys: {
      method: "GET",
      path: "/api/projects/{project_id}/keys",
      summary: "A project's keys (`?status=active|revoked|expired`)",
      params: ProjectParams,
      query: ListKeysQuery,
      success: Schema.Array(ApiKey),
      errors: { ...badInput, ...unauthorized, 404: "ProjectNotFound", ...unavailable },
      security: admin,
    },
    // The seed's, 201 with the plaintext; `metadata: {...}` nested as answers spell it is INFERRED.
    createKey: {
      method: "POST",
      path: "/api/keys",
      summary: "Issue a key: the plaintext is in this answer only",
      payload: CreateKeyBody,
      success: ApiKeyCreatedJson,
      successStatus: 201,
      errors: {
        400: "InvalidRequest (an unknown field is named)",
        ...unauthorized,
        404: "OrganizationNotFound, ProjectNotFound or ProductNotFound",
        ...unavailable,
      },
      security: admin,
    },
    // The seed's: 400 to every verification failure.
    verifyKey: {
      method: "POST",
      path: "/api/keys/verify",
      summary: "The key, if it exists and is neither revoked nor expired",
      payload: VerifyKeyBody,
      success: ApiKey,
      errors: {
        400: "InvalidKey, RevokedKey or ExpiredKey (the seed answers 400 to each)",
        401: "missing or wrong X-Admin-Key or X-Validator-Key",
        ...unavailable,
      },
      // Counts a use of the key.
      idempotent: false,
      security: adminOrValidator,
    },
    // INFERRED: what a guard needs, with the guard's statuses.
    validateKey: {
      method: "POST",
      path: "/api/keys/validate",
      summary: "Verify, then check the request's organization, project, product, scopes and the key's rate limit",
      payload: ValidateKeyBody,
      success: ApiKey,
      errors: {
        ...badInput,
        401: "InvalidKey or ExpiredKey; or missing or wrong X-Admin-Key or X-Validator-Key",
        403: "RevokedKey or InsufficientScope",
        429: "QuotaExceeded (Retry-After)",
        ...unavailable,
      },
      // Spends the key's rate limit and counts a use.
      idempotent: false,
      security: adminOrValidator,
    },
    // INFERRED.
    getKey: {
      method: "GET",
      path: "/api/keys/{key_id}",
      summary: "One key",
      params: KeyParams,
      success: ApiKey,
      errors: { ...unauthorized, 404: "KeyNotFound", ...unavailable },
      security: admin,
    },
    // INFERRED.
    updateKey: {
      method: "PATCH",
      path: "/api/keys/{key_id}",
      summary: "Change a key's metadata (`null` clears a field)",
      params: KeyParams,
      payload: UpdateKeyBody,
      success: ApiKey,
      errors: {
        400: "InvalidRequest (an unknown field is named)",
        ...unauthorized,
        404: "KeyNotFound",
        ...unavailable,
      },
      // The same fields set twice are set once.
      idempotent: true,
      security: admin,
    },
    // The seed's (revoke, the key back); `?purge=true` (deletes, 204) is INFERRED.
    revokeKey: {
      method: "DELETE",
      path: "/api/keys/{key_id}",
      summary: "Revoke a key, and answer it; `?purge=true` deletes it for good and answers 204",
      params: KeyParams,
      query: RevokeQuery,
      success: Schema.UndefinedOr(ApiKey),
      errors: { ...badInput, ...unauthorized, 404: "KeyNotFound", ...unavailable },
      security: admin,
    },
    // INFERRED.
    rotateKey: {
      method: "POST",
      path: "/api/keys/{key_id}/rotate",
      summary: "Issue the key's successor; the old key stays valid for the grace period",
      params: KeyParams,
      payload: RotateKeyBody,
      success: ApiKeyCreatedJson,
      successStatus: 201,
      errors: {
        400: "InvalidRequest (an unknown field is named)",
        401: "ExpiredKey; or missing or wrong X-Admin-Key",
        403: "RevokedKey (revoked, or rotated already)",
        404: "KeyNotFound",
        ...unavailable,
      },
      security: admin,
    },
    // AKSHILMY/apikey-server's routes (contracts §4.5). Upstream opens them to an X-API-Key with
    // the scope read (verify, list, get), write (create, update, revoke) or admin (delete); here
    // the validator key opens verify, as it opens the other validations, and the admin key all.
    serverVerifyKey: {
      method: "POST",
      path: "/v1/keys/verify",
      summary: "apikey-server: `{valid: true, key}`, or `{valid: false, reason: expired|revoked|invalid}`",
      payload: VerifyKeyBody,
      success: ServerVerifyResult,
      errors: { ...badInput, 401: "missing or wrong X-Admin-Key or X-Validator-Key", ...unavailable },
      // Counts a use of the key.
      idempotent: false,
      security: adminOrValidator,
    },
    serverListKeys: {
      method: "GET",
      path: "/v1/keys",
      summary: "apikey-server: a project's keys (`?project_id=`), an organization's (`?org_id=`), or every key",
      query: ServerListQuery,
      success: Schema.Array(ApiKey),
      errors: { ...unauthorized, 404: "OrganizationNotFound or ProjectNotFound", ...unavailable },
      security: admin,
    },
    serverCreateKey: {
      method: "POST",
      path: "/v1/keys",
      summary: "apikey-server: issue a key; the answer is the key with its plaintext beside its fields",
      payload: CreateKeyBody,
      success: ServerKeyCreated,
      successStatus: 201,
      errors: {
        400: "any refusal, as upstream answers it (the typed error in the body)",
        ...unauthorized,
        ...unavailable,
      },
      security: admin,
    },
    serverGetKey: {
      method: "GET",
      path: "/v1/keys/{key_id}",
      summary: "apikey-server: one key",
      params: KeyParams,
      success: ApiKey,
      errors: { ...unauthorized, 404: "KeyNotFound", ...unavailable },
      security: admin,
    },
    serverUpdateKey: {
      method: "PATCH",
      path: "/v1/keys/{key_id}",
      summary: "apikey-server: replace a key's metadata (a field not given is cleared, as upstream does)",
      params: KeyParams,
      payload: UpdateKeyBody,
      success: ApiKey,
      errors: { ...badInput, ...unauthorized, 404: "KeyNotFound", ...unavailable },
      idempotent: true,
      security: admin,
    },
    serverRevokeKey: {
      method: "POST",
      path: "/v1/keys/{key_id}/revoke",
      summary: "apikey-server: revoke a key (204)",
      params: KeyParams,
      success: Schema.Void,
      successStatus: 204,
      errors: { ...unauthorized, 404: "KeyNotFound", ...unavailable },
      // Revoking twice keeps the first revocation.
      idempotent: true,
      security: admin,
    },
    serverDeleteKey: {
      method: "DELETE",
      path: "/v1/keys/{key_id}",
      summary: "apikey-server: delete a key for good (204)",
      params: KeyParams,
      success: Schema.Void,
      successStatus: 204,
      errors: { ...unauthorized, 404: "KeyNotFound", ...unavailable },
      security: admin,
    },
    // INFERRED: this document, JSON and YAML.
    ...documentEndpoints,
  },
})

const { endpoints } = ApiKeysApi

/**
 * The HTTP API's paths, relative to its base URL (the mock serves them under `/apikeys`), filled
 * from the API's definition.
 *
 * @example
 * ```ts
 * import { Paths } from "@gatehouse/sdk/apikeys"
 *
 * Paths.orgKeys("3f…") // "/api/orgs/3f…/keys"
 * ```
 */
export const Paths: {
  readonly orgs: string
  readonly org: (orgId: string) => string
  readonly orgProjects: (orgId: string) => string
  readonly orgProducts: (orgId: string) => string
  readonly orgKeys: (orgId: string) => string
  readonly project: (projectId: string) => string
  readonly projectProducts: (projectId: string) => string
  readonly projectKeys: (projectId: string) => string
  readonly product: (productId: string) => string
  readonly link: (productId: string, projectId: string) => string
  readonly keys: string
  readonly key: (keyId: string) => string
  readonly rotate: (keyId: string) => string
  readonly verify: string
  readonly validate: string
} = {
  orgs: endpoints.listOrganizations.path,
  org: (orgId) => fillPath(endpoints.getOrganization.path, { org_id: orgId }),
  orgProjects: (orgId) => fillPath(endpoints.listProjects.path, { org_id: orgId }),
  orgProducts: (orgId) => fillPath(endpoints.listProducts.path, { org_id: orgId }),
  orgKeys: (orgId) => fillPath(endpoints.listOrgKeys.path, { org_id: orgId }),
  project: (projectId) => fillPath(endpoints.getProject.path, { project_id: projectId }),
  projectProducts: (projectId) => fillPath(endpoints.listProjectProducts.path, { project_id: projectId }),
  projectKeys: (projectId) => fillPath(endpoints.listProjectKeys.path, { project_id: projectId }),
  product: (productId) => fillPath(endpoints.getProduct.path, { product_id: productId }),
  link: (productId, projectId) =>
    fillPath(endpoints.addProductToProject.path, { product_id: productId, project_id: projectId }),
  keys: endpoints.createKey.path,
  key: (keyId) => fillPath(endpoints.getKey.path, { key_id: keyId }),
  rotate: (keyId) => fillPath(endpoints.rotateKey.path, { key_id: keyId }),
  verify: endpoints.verifyKey.path,
  validate: endpoints.validateKey.path,
}
