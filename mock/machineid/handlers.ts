/**
 * The MachineID API's mock handlers, one per endpoint of `MachineIdApi`, after contracts.md §5:
 * the same paths, the org key in `x-org-key` on every device call (401 with `{ status: "error",
 * error: "invalid_org_key" }` for a bad one, before the body is read), and a fresh `x-request-id`
 * on every answer. The router decodes what they take and encodes what they answer with the
 * contract's schemas.
 *
 * @module
 */
import { Result, Schema } from "effect"
import {
  type DeviceRequest,
  type ErrorBody,
  ErrorBodySchema,
  MachineIdApi,
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
  type Router,
} from "../../src/core/router.ts"
import type { MachineIdState, MockDevice } from "./state.ts"

/** Headers on every answer: never cached, and a fresh request id. */
const answerHeaders = (requestId: string = crypto.randomUUID()) => ({
  "cache-control": "no-store",
  "x-request-id": requestId,
})

const encodeError = Schema.encodeSync(ErrorBodySchema)

/** A MachineID error answer: `{ status: "error", error, message }`. */
const fail = (status: number, body: ErrorBody) =>
  Response.json(encodeError({ status: "error", ...body }), { status, headers: answerHeaders() })

const unauthorized = () =>
  fail(401, { error: "invalid_org_key", message: "Send a valid org key in the x-org-key header." })

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

const ERROR_CODES = { 400: "bad_request", 404: "not_found", 405: "method_not_allowed", 500: "internal_error" } as const

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

  return makeRouter(MachineIdApi, [
    handleRaw(
      endpoints.register,
      (input, context) =>
        withDevice(Result.map(input, ({ payload }) => payload), (deviceId) => {
          const orgKey = orgKeyOf(context)
          const status = state.register(orgKey, deviceId)
          return ok({ status, handler: "devices/register", deviceId, ...state.plan(orgKey) })
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

    handle(endpoints.usage, (_, context) => ok({ status: "ok", handler: "usage", ...state.plan(orgKeyOf(context)) })),

    handle(endpoints.createOrg, () => ok({ status: "ok", orgApiKey: state.createOrg("free"), handler: "org_create" })),

    ...documentRoutes(MachineIdApi),
  ], {
    headers: () => answerHeaders(),
    // The org key is checked before the body is read: a bad key gets 401 whatever the body.
    authorize: (endpoint, context) =>
      endpoint.security?.includes("orgKey") === true && !state.isOrgKey(context.request.headers.get(ORG_KEY_HEADER))
        ? unauthorized()
        : undefined,
    error: (status, message) => fail(status, { error: ERROR_CODES[status], message }),
  })
}
