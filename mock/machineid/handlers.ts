/**
 * The MachineID API's mock handlers, one per endpoint of `MachineIdApi`, after contracts.md §5:
 * the same paths, the org key in `x-org-key` on every device call (401 with `{ status: "error",
 * error: "invalid_org_key" }` for a bad one, before the body is read; on validate that body is also
 * the decision `{ allowed: false, code: "ORG_KEY_INVALID" }`), and a fresh `x-request-id`
 * on every answer. The router decodes what they take and encodes what they answer with the
 * contract's schemas.
 *
 * @module
 */
import { Result, Schema } from "effect"
import {
  type BatchRequest,
  type DeviceRequest,
  type ErrorBody,
  ErrorBodySchema,
  MachineIdApi,
  MAX_BATCH_SIZE,
  MAX_DEVICE_ID_LENGTH,
  ORG_KEY_HEADER,
} from "../../src/machineid/contract.ts"
import {
  documentRoutes,
  handle,
  handleRaw,
  makeRouter,
  type MockRequest,
  ok,
  type Reply,
  respondJson,
  type Router,
} from "../../src/core/router.ts"
import { errorCode, type ErrorContext } from "../api.ts"
import type { MachineIdState, MockDevice } from "./state.ts"

/** Headers on every answer: never cached, and a fresh request id. */
const answerHeaders = (requestId: string = crypto.randomUUID()) => ({
  "cache-control": "no-store",
  "x-request-id": requestId,
})

const encodeError = Schema.encodeSync(ErrorBodySchema)

/** A MachineID error answer: `{ status: "error", error, message }`. */
const fail = (status: number, body: ErrorBody) =>
  respondJson(encodeError({ status: "error", ...body }), status, answerHeaders())

/**
 * MachineID's error answer for any `status` (a forced fault, `Prefer: code=`), as the endpoint
 * reached words it: a 401 is `invalid_org_key` (on validate, the `ORG_KEY_INVALID` decision too),
 * a 403 on register is the `blocked` answer at the device cap.
 */
export const machineIdError = (
  state: MachineIdState,
  status: number,
  message: string,
  context?: ErrorContext,
): Response => {
  const endpoint = context?.endpoint?.name
  if (status === 401 && endpoint === "validate") return invalidOrgKeyDecision(state)
  if (status === 401) return fail(401, { error: "invalid_org_key", message })
  if (status === 403 && endpoint === "register") return blockedAtCap({ handler: "devices/register" }, message)
  return fail(status, { error: errorCode(status), message })
}

/** The 403 register answers at the device cap when its org is set to block: the answer, `blocked`. */
const blockedAtCap = (answer: Readonly<Record<string, unknown>>, message: string) =>
  respondJson(
    { ...answer, status: "blocked", error: "device_limit_reached", message },
    403,
    answerHeaders(),
  )

const unauthorized = () =>
  fail(401, { error: "invalid_org_key", message: "Send a valid org key in the x-org-key header." })

/**
 * A validate with a bad org key: 401, and the body is both the error body and a decision,
 * `allowed: false, code: "ORG_KEY_INVALID"` (INFERRED: contracts.md §5 lists the code among the
 * decision codes and the 401 for a bad key), so a client that reads a decision from any status
 * denies with that code.
 */
const invalidOrgKeyDecision = (state: MachineIdState) => {
  const decision = state.invalidOrgKeyDecision()
  return Response.json({
    allowed: false,
    code: decision.code,
    request_id: decision.requestId,
    status: "error",
    error: "invalid_org_key",
    reason: decision.reason,
    message: "Send a valid org key in the x-org-key header.",
  }, { status: 401, headers: answerHeaders(decision.requestId) })
}

const missingDeviceId = () => fail(400, { error: "missing_device_id", message: 'Body must be {"deviceId": "..."}.' })

const deviceIdTooLong = () =>
  fail(400, { error: "invalid_device_id", message: `deviceId must be at most ${MAX_DEVICE_ID_LENGTH} characters.` })

const deviceNotFound = () => fail(404, { error: "device_not_found", message: "No such device in this org." })

/** The 400 a trimmed device id earns, if any: it is blank or too long. */
const refuseDeviceId = (deviceId: string): Response | undefined =>
  deviceId === "" ? missingDeviceId() : deviceId.length > MAX_DEVICE_ID_LENGTH ? deviceIdTooLong() : undefined

/**
 * Answers with the trimmed device id of a decoded input (`deviceId` in the body, or in the query
 * for the legacy validate); 400 `missing_device_id` when there is none, `invalid_device_id` when it
 * is too long.
 */
const withDevice = <A>(
  input: Result.Result<DeviceRequest, string>,
  answer: (deviceId: string) => Reply<A>,
): Reply<A> => {
  const deviceId = Result.isSuccess(input) ? input.success.deviceId.trim() : ""
  return refuseDeviceId(deviceId) ?? answer(deviceId)
}

/**
 * Answers with the trimmed device ids of a batch body; 400 `missing_device_id` when there are none,
 * `invalid_device_id` when one is blank or too long, or there are more than `MAX_BATCH_SIZE`.
 */
const withDevices = <A>(
  input: Result.Result<BatchRequest, string>,
  answer: (deviceIds: ReadonlyArray<string>) => Reply<A>,
): Reply<A> => {
  if (Result.isFailure(input) || input.success.deviceIds.length === 0) {
    return fail(400, { error: "missing_device_id", message: 'Body must be {"deviceIds": ["...", ...]}.' })
  }
  if (input.success.deviceIds.length > MAX_BATCH_SIZE) {
    return fail(400, { error: "invalid_device_id", message: `deviceIds must hold at most ${MAX_BATCH_SIZE} ids.` })
  }
  const deviceIds = input.success.deviceIds.map((deviceId) => deviceId.trim())
  for (const deviceId of deviceIds) {
    const refused = refuseDeviceId(deviceId)
    if (refused !== undefined) return refused
  }
  return answer(deviceIds)
}

/** The org key of a call the router let through: `authorize` has checked it. */
const orgKeyOf = ({ request }: MockRequest): string => request.headers.get(ORG_KEY_HEADER) ?? ""

const iso = (millis: number | null) => millis === null ? null : new Date(millis).toISOString()

const deviceOf = (device: MockDevice) => ({
  deviceId: device.deviceId,
  status: device.status,
  createdAt: new Date(device.createdAt).toISOString(),
  lastSeenAt: iso(device.lastSeenAt),
})

const { endpoints } = MachineIdApi

const ERROR_CODES = {
  400: "bad_request",
  404: "not_found",
  405: "method_not_allowed",
  413: "payload_too_large",
  431: "headers_too_large",
  500: "internal_error",
} as const

/** The MachineID router: every endpoint of `MachineIdApi` over `state`. */
export const machineIdRouter = (state: MachineIdState): Router => {
  // The decision's request id is the answer's `x-request-id`.
  const decide = (orgKey: string, deviceId: string) => {
    const decision = state.validate(orgKey, deviceId)
    return ok(
      { ...decision, status: decision.allowed ? "ok" : "denied", handler: "devices/validate" },
      { headers: answerHeaders(decision.requestId) },
    )
  }

  const change = (operation: "revoke" | "unrevoke" | "remove") =>
    handleRaw(endpoints[operation], (input, context) =>
      withDevice(
        Result.map(input, ({ payload }) => payload),
        (deviceId) =>
          state[operation](orgKeyOf(context), deviceId)
            ? ok({ status: "ok", handler: `devices/${operation}`, deviceId })
            : deviceNotFound(),
      ))

  // One result per id, in order; the whole batch is checked before any device changes.
  const batch = (operation: "revoke" | "unrevoke") =>
    handleRaw(endpoints[`${operation}Batch`], (input, context) =>
      withDevices(
        Result.map(input, ({ payload }) => payload),
        (deviceIds) => {
          const orgKey = orgKeyOf(context)
          const results = deviceIds.map((deviceId) => ({
            deviceId,
            status: state[operation](orgKey, deviceId) ? "ok" : "not_found",
          }))
          return ok({ status: "ok", handler: `devices/${operation}_batch`, results })
        },
      ))

  return makeRouter(MachineIdApi, [
    handleRaw(
      endpoints.register,
      (input, context) =>
        withDevice(Result.map(input, ({ payload }) => payload), (deviceId) => {
          const orgKey = orgKeyOf(context)
          const status = state.register(orgKey, deviceId)
          const answer = { status, handler: "devices/register", deviceId, ...state.plan(orgKey) }
          // The newest docs' answer at the cap, when the org is set to give it.
          return status === "limit_reached" && state.registerAtCap(orgKey) === "blocked"
            ? blockedAtCap(answer, "The org's plan allows no more devices.")
            : ok(answer)
        }),
    ),

    handleRaw(
      endpoints.validate,
      (input, context) =>
        withDevice(Result.map(input, ({ payload }) => payload), (deviceId) => decide(orgKeyOf(context), deviceId)),
    ),

    // Legacy validate, kept by the API for old SDKs.
    handleRaw(
      endpoints.validateLegacy,
      (input, context) =>
        withDevice(Result.map(input, ({ query }) => query), (deviceId) => decide(orgKeyOf(context), deviceId)),
    ),

    handle(endpoints.list, (_, context) => {
      const orgKey = orgKeyOf(context)
      const { planTier, planState, limit, devicesUsed, remaining } = state.plan(orgKey)
      return ok({
        status: "ok",
        handler: "devices/list",
        devices: state.devices(orgKey).map(deviceOf),
        planTier,
        planState,
        limit,
        devicesUsed,
        remaining,
      })
    }),

    change("revoke"),
    change("unrevoke"),
    change("remove"),
    batch("revoke"),
    batch("unrevoke"),

    handle(endpoints.usage, (_, context) => ok({ status: "ok", handler: "usage", ...state.plan(orgKeyOf(context)) })),

    handle(endpoints.createOrg, () => ok({ status: "ok", orgApiKey: state.createOrg("free"), handler: "org_create" })),

    ...documentRoutes(MachineIdApi),
  ], {
    headers: () => answerHeaders(),
    // The org key is checked before the body is read: a bad key gets 401 whatever the body, and
    // on validate that 401 carries the ORG_KEY_INVALID decision too.
    authorize: (endpoint, context) =>
      endpoint.security?.includes("orgKey") !== true || state.isOrgKey(context.request.headers.get(ORG_KEY_HEADER))
        ? undefined
        : endpoint === endpoints.validate || endpoint === endpoints.validateLegacy
        ? invalidOrgKeyDecision(state)
        : unauthorized(),
    error: (status, message) => fail(status, { error: ERROR_CODES[status], message }),
  })
}
