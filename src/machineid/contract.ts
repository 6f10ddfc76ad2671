/**
 * The MachineID wire contract (contracts.md §5), spelled once: the client decodes with these
 * schemas and the mock encodes with them. Open vocabularies (decision codes, plan tiers and
 * states, statuses) decode values they do not know, because the API adds them.
 *
 * @module
 */
import { Schema, SchemaTransformation } from "effect"
import { defineApi, documentEndpoints } from "../core/endpoint.ts"

/** The production base URL; paths start with `/api/v1`. */
export const DEFAULT_BASE_URL = "https://machineid.io"

/** The header every call carries the org key in. */
export const ORG_KEY_HEADER = "x-org-key"

/**
 * The longest device id, in UTF-16 code units after trimming. INFERRED: the API documents no
 * limit; the mock answers a longer one with 400 `invalid_device_id`, and the client refuses it
 * before sending.
 */
export const MAX_DEVICE_ID_LENGTH = 256

/** Device caps of each plan tier: unique device ids an org may register. */
export const PLAN_LIMITS: Readonly<Record<"free" | "pro" | "scale" | "max", number>> = {
  free: 3,
  pro: 25,
  scale: 250,
  max: 1000,
}

/** Any string beyond the known ones; written so that editors still suggest the known literals. */
export type OpenString = string & Record<never, never>

/** A plan tier; a tier this version does not know is kept as is. */
export type PlanTier = "free" | "pro" | "scale" | "max" | OpenString

/** A plan's state: only `active` plans allow execution. Unknown states are kept as is. */
export type PlanState = "active" | "inactive" | "frozen" | OpenString

/**
 * A validate decision code. The known codes are stable and meant for programmatic handling;
 * the API adds codes, so any other string is kept as is.
 */
export type DecisionCode =
  | "ALLOW"
  | "DEVICE_REVOKED"
  | "PLAN_NOT_ACTIVE"
  | "PLAN_FROZEN"
  | "DEVICE_NOT_FOUND"
  | "DEVICE_LIMIT_REACHED"
  | "ORG_KEY_INVALID"
  | OpenString

/** The decision codes this version knows. */
export const KNOWN_DECISION_CODES: ReadonlyArray<DecisionCode> = [
  "ALLOW",
  "DEVICE_REVOKED",
  "PLAN_NOT_ACTIVE",
  "PLAN_FROZEN",
  "DEVICE_NOT_FOUND",
  "DEVICE_LIMIT_REACHED",
  "ORG_KEY_INVALID",
]

/** What `register` did: `ok` (new), `exists` (already there, never restored), `limit_reached` (at the cap). */
export type RegisterStatus = "ok" | "exists" | "restored" | "limit_reached" | OpenString

/** A device's state in the org. */
export type DeviceStatus = "active" | "revoked" | OpenString

const open = <T extends string>(known: ReadonlyArray<T>): Schema.Codec<T | OpenString, string> =>
  Schema.Union([Schema.Literals(known), Schema.String])

/**
 * Fields the schema does not know, kept as they came: the seed's SDK returns the API's raw JSON,
 * so a field the API adds reaches the caller.
 */
const rest = [Schema.Record(Schema.String, Schema.Unknown)] as const

/** Fields of an answer this version does not know, kept as the API sent them. */
export interface UnknownFields {
  /** A field the API sent that this version has no schema for, as it came. */
  readonly [field: string]: unknown
}

const Tier = open(["free", "pro", "scale", "max"])
const State = open(["active", "inactive", "frozen"])

/** A decision code: a known one, or any string the API adds later. */
export const DecisionCodeSchema: Schema.Codec<DecisionCode, string> = open(KNOWN_DECISION_CODES)

/** The answer of `validate`: the decision, as data (fields this version does not know are kept). */
export interface Decision extends UnknownFields {
  /** The authoritative decision: execution must stop unless it is `true`. */
  readonly allowed: boolean
  /** Why: `ALLOW`, `DEVICE_REVOKED`, `PLAN_FROZEN`, ... or a code this version does not know. */
  readonly code: DecisionCode
  /** Correlation id for logs, audits and support (`request_id` on the wire). */
  readonly requestId: string
  /** Legacy: `"ok"` or `"error"`-like status, when the API still sends it. */
  readonly status?: string | undefined
  /** Legacy: a human-readable reason. */
  readonly reason?: string | undefined
  /** Legacy: older servers' boolean decision. */
  readonly valid?: boolean | undefined
  /** Legacy: older servers' revocation flag. */
  readonly revoked?: boolean | undefined
  /** Legacy: the handler name. */
  readonly handler?: string | undefined
}

/** The decision as it travels. */
export interface DecisionEncoded extends UnknownFields {
  readonly allowed: boolean
  readonly code: string
  readonly request_id: string
  readonly status?: string | undefined
  readonly reason?: string | undefined
  readonly valid?: boolean | undefined
  readonly revoked?: boolean | undefined
  readonly handler?: string | undefined
}

const decisionLegacy = {
  status: Schema.optionalKey(Schema.String),
  reason: Schema.optionalKey(Schema.String),
  valid: Schema.optionalKey(Schema.Boolean),
  revoked: Schema.optionalKey(Schema.Boolean),
  handler: Schema.optionalKey(Schema.String),
}

/** `POST /api/v1/devices/validate` (and the legacy `GET ...?deviceId=`); unknown fields are kept. */
export const DecisionSchema: Schema.Codec<Decision, DecisionEncoded> = Schema.StructWithRest(
  Schema.Struct({ allowed: Schema.Boolean, code: Schema.String, request_id: Schema.String, ...decisionLegacy }),
  rest,
).pipe(Schema.decodeTo(
  Schema.StructWithRest(
    Schema.Struct({ allowed: Schema.Boolean, code: DecisionCodeSchema, requestId: Schema.String, ...decisionLegacy }),
    rest,
  ),
  SchemaTransformation.transform({
    decode: ({ request_id, ...fields }) => ({ ...fields, requestId: request_id }),
    encode: ({ requestId, ...fields }) => ({ ...fields, request_id: requestId }),
  }),
))

/** A decision field as compared: trimmed, upper case (`" device_revoked "` is `DEVICE_REVOKED`). */
const normalized = (value: string): string => value.trim().toUpperCase()

/**
 * Whether a decision allows execution, read the way the hard gate reads it (fail closed): only
 * when every field agrees, compared after trimming and upper-casing: `allowed` is `true`, the code
 * is `ALLOW`, and no legacy field says otherwise (`revoked` absent or `false`, `valid` absent or
 * `true`, `status` absent or `ok`). Anything else denies: a deny code, padded or in any case, a
 * code this version does not know, a decision that contradicts itself.
 *
 * @example
 * ```ts
 * import { isAllowed } from "@gatehouse/sdk/machineid"
 *
 * isAllowed({ allowed: true, code: "ALLOW", requestId: "r" }) // true
 * isAllowed({ allowed: true, code: " DEVICE_REVOKED ", requestId: "r" }) // false
 * isAllowed({ allowed: true, code: "ALLOW", requestId: "r", revoked: true }) // false
 * ```
 */
export const isAllowed = (decision: Decision): boolean =>
  decision.allowed === true &&
  normalized(decision.code) === "ALLOW" &&
  decision.revoked !== true &&
  decision.valid !== false &&
  (decision.status === undefined || normalized(decision.status) === "OK")

/** An org's plan and device counts, as `register` and `usage` report them. */
export interface Plan {
  /** The plan tier: `free`, `pro`, `scale`, `max`. */
  readonly planTier: PlanTier
  /** Only an `active` plan allows execution. */
  readonly planState: PlanState
  /** When paid access ends, if it does. */
  readonly accessUntil?: string | null | undefined
  /** The plan's device cap. */
  readonly limit: number
  /** Devices registered (active and revoked; `remove` frees a slot). */
  readonly devicesUsed: number
  /** Slots left under the cap. */
  readonly remaining: number
  /** More devices than the cap (after a downgrade). */
  readonly overLimit?: boolean | undefined
  /** Whether the org is in a grace window past its cap. */
  readonly softGraceWindow?: boolean | undefined
}

const planFields = {
  planTier: Tier,
  planState: State,
  accessUntil: Schema.optionalKey(Schema.NullOr(Schema.String)),
  limit: Schema.Number,
  devicesUsed: Schema.Number,
  remaining: Schema.Number,
  overLimit: Schema.optionalKey(Schema.Boolean),
  softGraceWindow: Schema.optionalKey(Schema.Boolean),
}

/** The answer of `register`. */
export interface Registration extends Plan, UnknownFields {
  /** `ok` (new), `exists` (already registered; a revoked device stays revoked), `limit_reached` (at the cap). */
  readonly status: RegisterStatus
  /** The device id, trimmed. */
  readonly deviceId: string
  /** The API's handler name, `devices/register`. */
  readonly handler?: string | undefined
}

/** `POST /api/v1/devices/register` */
export const RegistrationSchema: Schema.Codec<Registration, Registration> = Schema.StructWithRest(
  Schema.Struct({
    status: open(["ok", "exists", "restored", "limit_reached"]),
    handler: Schema.optionalKey(Schema.String),
    deviceId: Schema.String,
    ...planFields,
  }),
  rest,
)

/** The answer of `usage`. */
export interface Usage extends Plan, UnknownFields {
  /** `ok` */
  readonly status?: string | undefined
  /** The API's handler name. */
  readonly handler?: string | undefined
}

/** `GET /api/v1/usage` */
export const UsageSchema: Schema.Codec<Usage, Usage> = Schema.StructWithRest(
  Schema.Struct({
    status: Schema.optionalKey(Schema.String),
    handler: Schema.optionalKey(Schema.String),
    ...planFields,
  }),
  rest,
)

/** One device of `listDevices`. */
export interface Device {
  /** The device id. */
  readonly deviceId: string
  /** `active` or `revoked`. */
  readonly status: DeviceStatus
  /** When it was registered (ISO 8601). */
  readonly createdAt?: string | undefined
  /** When it last validated (ISO 8601), `null` if never. */
  readonly lastSeenAt?: string | null | undefined
}

/** The answer of `listDevices`: every active and revoked device, and the plan. */
export interface DeviceList extends UnknownFields {
  /** Every active and revoked device, in registration order. */
  readonly devices: ReadonlyArray<Device>
  /** The plan tier. */
  readonly planTier: PlanTier
  /** The plan's device cap. */
  readonly limit: number
  /** Devices registered (active and revoked). */
  readonly devicesUsed: number
  /** The plan's state, when the API sends it. */
  readonly planState?: PlanState | undefined
  /** Slots left under the cap, when the API sends it. */
  readonly remaining?: number | undefined
  /** `ok` */
  readonly status?: string | undefined
  /** The API's handler name, `devices/list`. */
  readonly handler?: string | undefined
}

/** `GET /api/v1/devices/list` */
export const DeviceListSchema: Schema.Codec<DeviceList, DeviceList> = Schema.StructWithRest(
  Schema.Struct({
    status: Schema.optionalKey(Schema.String),
    handler: Schema.optionalKey(Schema.String),
    devices: Schema.Array(Schema.Struct({
      deviceId: Schema.String,
      status: open(["active", "revoked"]),
      createdAt: Schema.optionalKey(Schema.String),
      lastSeenAt: Schema.optionalKey(Schema.NullOr(Schema.String)),
    })),
    planTier: Tier,
    planState: Schema.optionalKey(State),
    limit: Schema.Number,
    devicesUsed: Schema.Number,
    remaining: Schema.optionalKey(Schema.Number),
  }),
  rest,
)

/** The answer of `revoke`, `unrevoke` and `remove`. */
export interface DeviceChange extends UnknownFields {
  /** `ok` */
  readonly status: string
  /** The device changed. */
  readonly deviceId: string
  /** The API's handler name: `devices/revoke`, `devices/unrevoke`, `devices/remove`. */
  readonly handler?: string | undefined
}

/** `POST /api/v1/devices/{revoke,unrevoke,remove}` */
export const DeviceChangeSchema: Schema.Codec<DeviceChange, DeviceChange> = Schema.StructWithRest(
  Schema.Struct({
    status: Schema.String,
    handler: Schema.optionalKey(Schema.String),
    deviceId: Schema.String,
  }),
  rest,
)

/**
 * What a batch did to one device: `ok`, or `not_found` (no such device in the org). INFERRED: the
 * API names the batch endpoints and documents neither body.
 */
export type BatchItemStatus = "ok" | "not_found" | OpenString

/** One device of a batch answer. */
export interface BatchItem {
  /** The device id, trimmed. */
  readonly deviceId: string
  /** `ok` or `not_found`. */
  readonly status: BatchItemStatus
}

/** The answer of `revokeBatch` and `unrevokeBatch`: one result per device id, in request order. */
export interface BatchChange extends UnknownFields {
  /** `ok` (the batch was read; see each result). */
  readonly status: string
  /** The API's handler name: `devices/revoke_batch` or `devices/unrevoke_batch`. */
  readonly handler?: string | undefined
  /** One result per device id sent, in order. */
  readonly results: ReadonlyArray<BatchItem>
}

/** `POST /api/v1/devices/{revoke,unrevoke}_batch` (INFERRED body) */
export const BatchChangeSchema: Schema.Codec<BatchChange, BatchChange> = Schema.StructWithRest(
  Schema.Struct({
    status: Schema.String,
    handler: Schema.optionalKey(Schema.String),
    results: Schema.Array(Schema.Struct({ deviceId: Schema.String, status: open(["ok", "not_found"]) })),
  }),
  rest,
)

/** The body of a batch call: `{ "deviceIds": [...] }` (INFERRED). */
export interface BatchRequest {
  readonly deviceIds: ReadonlyArray<string>
}

/** `{ "deviceIds": ["...", ...] }` */
export const BatchRequestSchema: Schema.Codec<BatchRequest, BatchRequest> = Schema.Struct({
  deviceIds: Schema.Array(Schema.String),
})

/**
 * The most device ids one batch call takes. INFERRED: the API documents no limit; the mock answers
 * a longer list with 400 `invalid_device_id`, and the client refuses it before sending.
 */
export const MAX_BATCH_SIZE = 100

/** The body of every device call. */
export interface DeviceRequest {
  readonly deviceId: string
}

/** `{ "deviceId": "..." }` */
export const DeviceRequestSchema: Schema.Codec<DeviceRequest, DeviceRequest> = Schema.Struct({
  deviceId: Schema.String,
})

/** `POST /api/v1/org/create`: a new free org and its key. */
export interface OrgCreated {
  /** `ok` */
  readonly status: string
  /** The new org's key, `org_...`. */
  readonly orgApiKey: string
  /** The API's handler name, `org_create`. */
  readonly handler?: string | undefined
}

/** `POST /api/v1/org/create` */
export const OrgCreatedSchema: Schema.Codec<OrgCreated, OrgCreated> = Schema.Struct({
  status: Schema.String,
  orgApiKey: Schema.String,
  handler: Schema.optionalKey(Schema.String),
})

/**
 * The codes of the API's error bodies (`error`). The API adds codes, so any other string is kept
 * as is; the known ones are what editors suggest.
 */
export type MachineIdServerCode =
  | "invalid_org_key"
  | "missing_device_id"
  | "invalid_device_id"
  | "device_not_found"
  | "device_limit_reached"
  | "bad_request"
  | "not_found"
  | "method_not_allowed"
  | "internal_error"
  | OpenString

/** The error codes this version knows. */
export const KNOWN_SERVER_CODES: ReadonlyArray<MachineIdServerCode> = [
  "invalid_org_key",
  "missing_device_id",
  "invalid_device_id",
  "device_not_found",
  "device_limit_reached",
  "bad_request",
  "not_found",
  "method_not_allowed",
  "internal_error",
]

/** An error body's code: a known one, or any string the API adds later. */
export const ServerCodeSchema: Schema.Codec<MachineIdServerCode, string> = open(KNOWN_SERVER_CODES)

/**
 * The body of a 4xx: `{ status: "error", error, message? }`; a register at the cap may say
 * `status: "blocked"`.
 */
export interface ErrorBody {
  /** `error`, or `blocked` for a register at the cap. */
  readonly status?: string | undefined
  /** The code: `invalid_org_key`, `device_not_found`, ... or one this version does not know. */
  readonly error: MachineIdServerCode
  /** A human-readable message. */
  readonly message?: string | undefined
}

/** An error body as it travels. */
export interface ErrorBodyEncoded {
  readonly status?: string | undefined
  readonly error: string
  readonly message?: string | undefined
}

/** A MachineID error body. */
export const ErrorBodySchema: Schema.Codec<ErrorBody, ErrorBodyEncoded> = Schema.Struct({
  status: Schema.optionalKey(Schema.String),
  error: ServerCodeSchema,
  message: Schema.optionalKey(Schema.String),
})

const orgKey = ["orgKey"]

const badDeviceId = `missing_device_id (no deviceId) or invalid_device_id (over ${MAX_DEVICE_ID_LENGTH} characters)`
const badOrgKey = "invalid_org_key: no org key, or not one of an org"
const noSuchDevice = "device_not_found"
const badOrgKeyDecision =
  `${badOrgKey}; the body is also a decision, allowed false with code ORG_KEY_INVALID (INFERRED), which enforce reads as a denial`
const badBatch =
  `missing_device_id (no deviceIds, or an empty list) or invalid_device_id (a blank id, one over ${MAX_DEVICE_ID_LENGTH} characters, or over ${MAX_BATCH_SIZE} ids)`

/**
 * The MachineID API, endpoint by endpoint: the client, the mock and the OpenAPI document read it.
 * Two wire quirks live with the client instead: a validate denial may arrive as a non-2xx whose
 * body is a decision, and some servers answer a register at the cap with 403 `blocked`.
 */
export const MachineIdApi = defineApi({
  name: "machineid",
  title: "MachineID API (gatehouse mock)",
  version: "0.1.6",
  errorBody: ErrorBodySchema,
  securitySchemes: { orgKey: { type: "apiKey", in: "header", name: ORG_KEY_HEADER } },
  endpoints: {
    register: {
      method: "POST",
      path: "/api/v1/devices/register",
      summary: "Register a device (idempotent); at the plan's cap a new device gets limit_reached",
      payload: DeviceRequestSchema,
      success: RegistrationSchema,
      errors: {
        400: badDeviceId,
        401: badOrgKey,
        403:
          "device_limit_reached with status blocked and the plan fields, from newer servers at the cap (this mock when the org's registerAtCap is blocked; 200 limit_reached otherwise)",
      },
      security: orgKey,
    },
    validate: {
      method: "POST",
      path: "/api/v1/devices/validate",
      summary: "The allow / deny decision on a device",
      payload: DeviceRequestSchema,
      success: DecisionSchema,
      errors: { 400: badDeviceId, 401: badOrgKeyDecision },
      // It only reads a decision: sending it twice is safe.
      idempotent: true,
      security: orgKey,
    },
    validateLegacy: {
      method: "GET",
      path: "/api/v1/devices/validate",
      summary: "The decision, for old SDKs: the device id in the query",
      query: DeviceRequestSchema,
      success: DecisionSchema,
      errors: { 400: badDeviceId, 401: badOrgKeyDecision },
      security: orgKey,
    },
    list: {
      method: "GET",
      path: "/api/v1/devices/list",
      summary: "Every active and revoked device, with the plan's counts",
      success: DeviceListSchema,
      errors: { 401: badOrgKey },
      security: orgKey,
    },
    revoke: {
      method: "POST",
      path: "/api/v1/devices/revoke",
      summary: "Revoke a device: it validates DEVICE_REVOKED until unrevoke",
      payload: DeviceRequestSchema,
      success: DeviceChangeSchema,
      errors: { 400: badDeviceId, 401: badOrgKey, 404: noSuchDevice },
      security: orgKey,
    },
    unrevoke: {
      method: "POST",
      path: "/api/v1/devices/unrevoke",
      summary: "Restore a revoked device",
      payload: DeviceRequestSchema,
      success: DeviceChangeSchema,
      errors: { 400: badDeviceId, 401: badOrgKey, 404: noSuchDevice },
      security: orgKey,
    },
    remove: {
      method: "POST",
      path: "/api/v1/devices/remove",
      summary: "Delete a device, freeing its slot under the cap",
      payload: DeviceRequestSchema,
      success: DeviceChangeSchema,
      errors: { 400: badDeviceId, 401: badOrgKey, 404: noSuchDevice },
      security: orgKey,
    },
    revokeBatch: {
      method: "POST",
      path: "/api/v1/devices/revoke_batch",
      summary: "Revoke several devices: one result per id, ok or not_found (INFERRED body)",
      payload: BatchRequestSchema,
      success: BatchChangeSchema,
      errors: { 400: badBatch, 401: badOrgKey },
      security: orgKey,
    },
    unrevokeBatch: {
      method: "POST",
      path: "/api/v1/devices/unrevoke_batch",
      summary: "Restore several revoked devices: one result per id, ok or not_found (INFERRED body)",
      payload: BatchRequestSchema,
      success: BatchChangeSchema,
      errors: { 400: badBatch, 401: badOrgKey },
      security: orgKey,
    },
    usage: {
      method: "GET",
      path: "/api/v1/usage",
      summary: "Plan tier and state, access clock and device counts",
      success: UsageSchema,
      errors: { 401: badOrgKey },
      security: orgKey,
    },
    createOrg: {
      method: "POST",
      path: "/api/v1/org/create",
      summary: "Create a free org and return its key",
      success: OrgCreatedSchema,
    },
    ...documentEndpoints,
  },
})
