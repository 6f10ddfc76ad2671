/**
 * The key service's HTTP API as an OpenAPI document, its bodies from the contract schemas.
 *
 * @module
 */
import { Schema } from "effect"
import {
  ApiKey,
  ApiKeyCreatedJson,
  CreateKeyBody,
  NameBody,
  Organization,
  Project,
  RotateKeyBody,
  UpdateKeyBody,
  ValidateKeyBody,
  VerifyKeyBody,
} from "../../src/apikeys/contract.ts"
import { ApiKeysErrorJson } from "../../src/apikeys/http_api.ts"
import { openApiDocument, type OperationDoc } from "../_legacy_openapi.ts"

const id = (name: string) => ({ name, in: "path", required: true, schema: { type: "string", format: "uuid" } })
const status = { name: "status", in: "query", schema: { type: "string", enum: ["active", "revoked", "expired"] } }
const admin = ["adminKey"]
const adminOrValidator = ["adminKey", "validatorKey"]
const notFound = { 401: "missing or wrong X-Admin-Key", 404: "not found" }

const operations: ReadonlyArray<OperationDoc> = [
  {
    method: "get",
    path: "/api/orgs",
    operationId: "listOrganizations",
    security: admin,
    response: Schema.Array(Organization),
  },
  {
    method: "post",
    path: "/api/orgs",
    operationId: "createOrganization",
    security: admin,
    requestBody: NameBody,
    response: Organization,
    errors: { 400: "invalid name" },
  },
  {
    method: "get",
    path: "/api/orgs/{orgId}",
    operationId: "getOrganization",
    security: admin,
    parameters: [id("orgId")],
    response: Organization,
    errors: notFound,
  },
  {
    method: "post",
    path: "/api/orgs/{orgId}/projects",
    operationId: "createProject",
    security: admin,
    parameters: [id("orgId")],
    requestBody: NameBody,
    response: Project,
    errors: notFound,
  },
  {
    method: "get",
    path: "/api/orgs/{orgId}/keys",
    operationId: "listOrgKeys",
    security: admin,
    parameters: [id("orgId"), status],
    response: Schema.Array(ApiKey),
    errors: notFound,
  },
  {
    method: "post",
    path: "/api/keys",
    operationId: "createKey",
    summary: "Issue a key: the plaintext is in this answer only",
    security: admin,
    requestBody: CreateKeyBody,
    response: ApiKeyCreatedJson,
    errors: { 400: "invalid request", ...notFound },
  },
  {
    method: "post",
    path: "/api/keys/verify",
    operationId: "verifyKey",
    security: adminOrValidator,
    requestBody: VerifyKeyBody,
    response: ApiKey,
    errors: { 400: "invalid, revoked or expired key" },
  },
  {
    method: "post",
    path: "/api/keys/validate",
    operationId: "validateKey",
    security: adminOrValidator,
    requestBody: ValidateKeyBody,
    response: ApiKey,
    errors: { 401: "invalid or expired key", 403: "revoked, or out of scope", 429: "rate limited (Retry-After)" },
  },
  {
    method: "get",
    path: "/api/keys/{keyId}",
    operationId: "getKey",
    security: admin,
    parameters: [id("keyId")],
    response: ApiKey,
    errors: notFound,
  },
  {
    method: "patch",
    path: "/api/keys/{keyId}",
    operationId: "updateKey",
    security: admin,
    parameters: [id("keyId")],
    requestBody: UpdateKeyBody,
    response: ApiKey,
    errors: notFound,
  },
  {
    method: "delete",
    path: "/api/keys/{keyId}",
    operationId: "revokeKey",
    summary: "Revoke (`?purge=true` deletes, 204)",
    security: admin,
    parameters: [id("keyId")],
    response: ApiKey,
    errors: notFound,
  },
  {
    method: "post",
    path: "/api/keys/{keyId}/rotate",
    operationId: "rotateKey",
    security: admin,
    parameters: [id("keyId")],
    requestBody: RotateKeyBody,
    response: ApiKeyCreatedJson,
    errors: notFound,
  },
]

/** The OpenAPI document of the key service mounted at `serverUrl`. */
export const apiKeysOpenApi = (serverUrl: string): Record<string, unknown> =>
  openApiDocument({
    title: "API keys service (gatehouse mock)",
    version: "0.1.0",
    serverUrl,
    securitySchemes: {
      adminKey: { type: "apiKey", in: "header", name: "X-Admin-Key" },
      validatorKey: { type: "apiKey", in: "header", name: "X-Validator-Key" },
    },
    errorBody: ApiKeysErrorJson,
    operations,
  })
