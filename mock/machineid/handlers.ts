/**
 * The MachineID API as msw handlers, after contracts.md §5: the same paths, the org key in
 * `x-org-key` on every call, 401 with `{ status: "error", error: "invalid_org_key" }` for a bad
 * one, answers encoded with the client's own schemas and a fresh `x-request-id` on each.
 *
 * @module
 */
import { Schema } from "effect"
import { http, HttpResponse } from "msw/http"
import type { RequestHandler } from "msw"
import {
  DecisionSchema,
  DeviceChangeSchema,
  DeviceListSchema,
  DeviceRequestSchema,
  type ErrorBody,
  ErrorBodySchema,
  MAX_DEVICE_ID_LENGTH,
  ORG_KEY_HEADER,
  Paths,
  RegistrationSchema,
  UsageSchema,
} from "../../src/machineid/contract.ts"
import { machineIdOpenApi } from "./openapi.ts"
import type { MachineIdState, MockDevice } from "./state.ts"

const encodeDecision = Schema.encodeSync(DecisionSchema)
const encodeRegistration = Schema.encodeSync(RegistrationSchema)
const encodeList = Schema.encodeSync(DeviceListSchema)
const encodeChange = Schema.encodeSync(DeviceChangeSchema)
const encodeUsage = Schema.encodeSync(UsageSchema)
const encodeError = Schema.encodeSync(ErrorBodySchema)
const decodeDeviceRequest = Schema.decodeUnknownOption(DeviceRequestSchema)

const json = (body: unknown, status = 200, requestId: string = crypto.randomUUID()) =>
  HttpResponse.json(body as Record<string, unknown>, {
    status,
    headers: { "cache-control": "no-store", "x-request-id": requestId },
  })

const error = (status: number, body: ErrorBody) => json(encodeError({ status: "error", ...body }), status)

const unauthorized = () =>
  error(401, { error: "invalid_org_key", message: "Send a valid org key in the x-org-key header." })

const missingDeviceId = () => error(400, { error: "missing_device_id", message: 'Body must be {"deviceId": "..."}.' })

const deviceIdTooLong = () =>
  error(400, { error: "invalid_device_id", message: `deviceId must be at most ${MAX_DEVICE_ID_LENGTH} characters.` })

/** The 400 a trimmed device id earns, if any: it is blank or too long. */
const refuseDeviceId = (deviceId: string): Response | undefined =>
  deviceId === "" ? missingDeviceId() : deviceId.length > MAX_DEVICE_ID_LENGTH ? deviceIdTooLong() : undefined

const deviceNotFound = () => error(404, { error: "device_not_found", message: "No such device in this org." })

type Handler = (orgKey: string, request: Request) => Response | Promise<Response>

/** Runs `handle` for a request with a known org key; a 401 otherwise. */
const authorized = (state: MachineIdState, handle: Handler) => ({ request }: { request: Request }) => {
  const orgKey = request.headers.get(ORG_KEY_HEADER)
  return state.isOrgKey(orgKey) ? handle(orgKey, request) : unauthorized()
}

/** Runs `handle` with the trimmed `deviceId` of the JSON body; a 400 when there is none or it is too long. */
const withDevice = (handle: (orgKey: string, deviceId: string) => Response): Handler => async (orgKey, request) => {
  const body = decodeDeviceRequest(await request.json().catch(() => undefined))
  const deviceId = body._tag === "Some" ? body.value.deviceId.trim() : ""
  return refuseDeviceId(deviceId) ?? handle(orgKey, deviceId)
}

const iso = (millis: number | null) => millis === null ? null : new Date(millis).toISOString()

const deviceOf = (device: MockDevice) => ({
  deviceId: device.deviceId,
  status: device.status,
  createdAt: new Date(device.createdAt).toISOString(),
  lastSeenAt: iso(device.lastSeenAt),
})

const decide = (state: MachineIdState, orgKey: string, deviceId: string) => {
  const decision = state.validate(orgKey, deviceId)
  return json(
    encodeDecision({ ...decision, status: decision.allowed ? "ok" : "denied", handler: "devices/validate" }),
    200,
    decision.requestId,
  )
}

const change = (
  state: MachineIdState,
  operation: "revoke" | "unrevoke" | "remove",
) =>
  withDevice((orgKey, deviceId) =>
    state[operation](orgKey, deviceId)
      ? json(encodeChange({ status: "ok", handler: `devices/${operation}`, deviceId }))
      : deviceNotFound()
  )

/** The MachineID handlers under `base` (the base URL or an msw pattern ending where `/api/v1` begins). */
export const machineIdHandlers = (state: MachineIdState, base: string): ReadonlyArray<RequestHandler> => [
  http.post(
    `${base}${Paths.register}`,
    authorized(
      state,
      withDevice((orgKey, deviceId) => {
        const status = state.register(orgKey, deviceId)
        return json(encodeRegistration({ status, handler: "devices/register", deviceId, ...state.plan(orgKey) }))
      }),
    ),
  ),

  http.post(`${base}${Paths.validate}`, authorized(state, withDevice((orgKey, id) => decide(state, orgKey, id)))),

  // Legacy validate, kept by the API for old SDKs.
  http.get(
    `${base}${Paths.validate}`,
    authorized(state, (orgKey, request) => {
      const deviceId = new URL(request.url).searchParams.get("deviceId")?.trim() ?? ""
      return refuseDeviceId(deviceId) ?? decide(state, orgKey, deviceId)
    }),
  ),

  http.get(
    `${base}${Paths.list}`,
    authorized(state, (orgKey) => {
      const { planTier, planState, limit, devicesUsed, remaining } = state.plan(orgKey)
      return json(encodeList({
        status: "ok",
        handler: "devices/list",
        devices: state.devices(orgKey).map(deviceOf),
        planTier,
        planState,
        limit,
        devicesUsed,
        remaining,
      }))
    }),
  ),

  http.post(`${base}${Paths.revoke}`, authorized(state, change(state, "revoke"))),
  http.post(`${base}${Paths.unrevoke}`, authorized(state, change(state, "unrevoke"))),
  http.post(`${base}${Paths.remove}`, authorized(state, change(state, "remove"))),

  http.get(
    `${base}${Paths.usage}`,
    authorized(state, (orgKey) => json(encodeUsage({ status: "ok", handler: "usage", ...state.plan(orgKey) }))),
  ),

  http.post(
    `${base}${Paths.createOrg}`,
    () => json({ status: "ok", orgApiKey: state.createOrg("free"), handler: "org_create" }),
  ),

  http.get(
    `${base}/openapi.json`,
    ({ request }) => json(machineIdOpenApi(request.url.replace(/\/openapi\.json$/, ""))),
  ),

  http.all(`${base}/*`, () => error(404, { error: "not_found", message: "No such MachineID route." })),
]
