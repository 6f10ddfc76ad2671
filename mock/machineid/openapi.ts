/**
 * The MachineID API as an OpenAPI document, its bodies from the client's contract schemas.
 *
 * @module
 */
import type { Schema } from "effect"
import {
  DecisionSchema,
  DeviceChangeSchema,
  DeviceListSchema,
  DeviceRequestSchema,
  ErrorBodySchema,
  MAX_DEVICE_ID_LENGTH,
  ORG_KEY_HEADER,
  Paths,
  RegistrationSchema,
  UsageSchema,
} from "../../src/machineid/contract.ts"
import { openApiDocument, type OperationDoc } from "../_legacy_openapi.ts"

const badDeviceId = `no deviceId, or one over ${MAX_DEVICE_ID_LENGTH} characters`

const deviceOperation = (
  operation: "register" | "validate" | "revoke" | "unrevoke" | "remove",
  summary: string,
  response: Schema.Top,
): OperationDoc => ({
  method: "post",
  path: Paths[operation],
  operationId: operation,
  summary,
  security: ["orgKey"],
  requestBody: DeviceRequestSchema,
  response,
  errors: { 400: badDeviceId, 401: "bad org key", 404: "no such device" },
})

const operations: ReadonlyArray<OperationDoc> = [
  {
    ...deviceOperation("register", "Register a device (idempotent)", RegistrationSchema),
    errors: { 400: badDeviceId, 401: "bad org key" },
  },
  {
    ...deviceOperation("validate", "The allow / deny decision", DecisionSchema),
    errors: { 400: badDeviceId, 401: "bad org key" },
  },
  deviceOperation("revoke", "Revoke a device", DeviceChangeSchema),
  deviceOperation("unrevoke", "Restore a revoked device", DeviceChangeSchema),
  deviceOperation("remove", "Delete a device", DeviceChangeSchema),
  {
    method: "get",
    path: Paths.list,
    operationId: "listDevices",
    summary: "Active and revoked devices",
    security: ["orgKey"],
    response: DeviceListSchema,
    errors: { 401: "bad org key" },
  },
  {
    method: "get",
    path: Paths.usage,
    operationId: "usage",
    summary: "Plan tier, state and device counts",
    security: ["orgKey"],
    response: UsageSchema,
    errors: { 401: "bad org key" },
  },
]

/** The OpenAPI document of the MachineID mock mounted at `serverUrl`. */
export const machineIdOpenApi = (serverUrl: string): Record<string, unknown> =>
  openApiDocument({
    title: "MachineID API (gatehouse mock)",
    version: "0.1.6",
    serverUrl,
    securitySchemes: { orgKey: { type: "apiKey", in: "header", name: ORG_KEY_HEADER } },
    errorBody: ErrorBodySchema,
    operations,
  })
