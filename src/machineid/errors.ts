/**
 * The errors of the MachineID client: `MachineIdError` for a failed exchange, `InvalidArgument`
 * for input refused before any request, and the two ways the hard gate fails: `ExecutionDenied`
 * (the API said no) and `EnforcementUnavailable` (no decision could be had, so the gate stays shut).
 *
 * @module
 */
import { Schema } from "effect"
import { bodyField, type Failure } from "../core/failure.ts"
import type { OpenString } from "./contract.ts"

/**
 * The codes a `MachineIdError` carries. Server codes come from the error body's `error` field
 * (an unknown one is kept as is); the others are raised by the client instead of a response.
 */
export type MachineIdErrorCode =
  // server
  | "invalid_org_key"
  | "device_not_found"
  | "device_limit_reached"
  | "missing_device_id"
  | "invalid_device_id"
  // client
  | "network_error"
  | "timeout"
  | "invalid_response"
  | "client_closed"
  | OpenString

/**
 * A MachineID call that did not succeed: a non-2xx answer, a network failure or timeout, an
 * answer that does not match the contract, or a client used after its scope closed.
 *
 * `status` is absent when no answer arrived. It never holds the org key.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { MachineID } from "@gatehouse/sdk/machineid"
 *
 * const devices = Effect.flatMap(MachineID, (m) => m.listDevices()).pipe(
 *   Effect.catchTag("MachineIdError", (error) =>
 *     error.code === "network_error" ? Effect.succeed(undefined) : Effect.fail(error)),
 * )
 * ```
 */
export class MachineIdError extends Schema.TaggedError<MachineIdError>()("MachineIdError", {
  message: Schema.String,
  status: Schema.optionalKey(Schema.Number),
  code: Schema.optionalKey(Schema.String),
  requestId: Schema.optionalKey(Schema.String),
  /** The raw answer body. */
  body: Schema.optionalKey(Schema.Unknown),
}) {}

/**
 * An argument refused before any request: an empty, blank or too long device id (over
 * `MAX_DEVICE_ID_LENGTH`), an empty org key.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { MachineID } from "@gatehouse/sdk/machineid"
 *
 * const program = Effect.flatMap(MachineID, (m) => m.register("  ")).pipe(
 *   Effect.catchTag("InvalidArgument", (error) => Effect.logWarning(error.message)),
 * )
 * ```
 */
export class InvalidArgument extends Schema.TaggedError<InvalidArgument>()("InvalidArgument", {
  /** `deviceId` or `orgKey`. */
  argument: Schema.String,
  message: Schema.String,
}) {}

/**
 * The hard gate said no: `validate` answered `allowed: false`, or `allowed: true` that its code or
 * a legacy field contradicts (`DEVICE_REVOKED`, `revoked: true`, `valid: false`). `code` is the
 * API's decision code (`DEVICE_REVOKED`, `PLAN_FROZEN`, ..., or one this version does not know).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { MachineID } from "@gatehouse/sdk/machineid"
 *
 * const work = Effect.log("working")
 * const gated = MachineID.enforce("agent-01").pipe(
 *   Effect.andThen(work),
 *   Effect.catchTag("ExecutionDenied", (denied) => Effect.logError(`denied: ${denied.code} ${denied.requestId}`)),
 * )
 * ```
 */
export class ExecutionDenied extends Schema.TaggedError<ExecutionDenied>()("ExecutionDenied", {
  deviceId: Schema.String,
  code: Schema.String,
  requestId: Schema.String,
  /** The legacy `reason`, when the API sent one. */
  reason: Schema.optionalKey(Schema.String),
  message: Schema.String,
}) {}

/** Why no decision could be had. */
export type UnavailableReason = "network" | "timeout" | "invalid_response" | "api_error" | "client_closed"

/**
 * The hard gate could not get a decision, so it fails closed: the network failed or timed out
 * (an attempt, or the whole gate past `enforceTimeout`), the answer could not be decoded as a
 * decision, or the API answered with an error (a bad org key's 401, a 5xx, even one whose body
 * says `allowed: true`: an allow counts only with a 2xx). `message` is the underlying failure's message; it never holds the org key.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { MachineID } from "@gatehouse/sdk/machineid"
 *
 * const gated = MachineID.enforce("agent-01").pipe(
 *   Effect.catchTag("EnforcementUnavailable", (error) => Effect.logError(`no decision: ${error.reason}`)),
 * )
 * ```
 */
export class EnforcementUnavailable extends Schema.TaggedError<EnforcementUnavailable>()("EnforcementUnavailable", {
  deviceId: Schema.String,
  reason: Schema.Literals(["network", "timeout", "invalid_response", "api_error", "client_closed"]),
  message: Schema.String,
  status: Schema.optionalKey(Schema.Number),
  code: Schema.optionalKey(Schema.String),
  requestId: Schema.optionalKey(Schema.String),
}) {}

/** A client-side `MachineIdError`: no status, a code, a message. */
export const clientError = (code: MachineIdErrorCode, message: string): MachineIdError =>
  new MachineIdError({ code, message })

/** The MachineID error table: every pipeline failure as a `MachineIdError`. */
export const toMachineIdError = (failure: Failure): MachineIdError => {
  switch (failure._tag) {
    case "Status": {
      const code = bodyField(failure.body, "error")
      const requestId = failure.requestId ?? bodyField(failure.body, "request_id")
      return new MachineIdError({
        message: bodyField(failure.body, "message") ?? code ?? `MachineID answered HTTP ${failure.status}.`,
        status: failure.status,
        ...(code !== undefined && { code }),
        ...(requestId !== undefined && { requestId }),
        body: failure.body,
      })
    }
    case "Decode":
      return new MachineIdError({
        code: "invalid_response",
        status: failure.status,
        message: `MachineID answered HTTP ${failure.status} with ${failure.message}`,
        ...(failure.requestId !== undefined && { requestId: failure.requestId }),
        body: failure.body,
      })
    case "Transport":
      return clientError("network_error", `Network error: ${failure.message}`)
    case "Timeout":
      return clientError("timeout", `Timeout: ${failure.message}`)
    case "Closed":
      return clientError("client_closed", failure.message)
  }
}

const CLIENT_REASONS: Readonly<Record<string, UnavailableReason>> = {
  network_error: "network",
  timeout: "timeout",
  client_closed: "client_closed",
}

const reasonOf = (error: MachineIdError): UnavailableReason => {
  if (error.status === undefined) return CLIENT_REASONS[error.code ?? ""] ?? "network"
  return error.code === "invalid_response" ? "invalid_response" : "api_error"
}

/** The gate's reading of a validate that outlived the gate's deadline: no decision, so closed. */
export const pastDeadline = (deviceId: string, deadline: string): EnforcementUnavailable =>
  new EnforcementUnavailable({ deviceId, reason: "timeout", message: `No decision within ${deadline}.` })

/** The gate's reading of a failed validate: no decision, so closed. */
export const toUnavailable = (deviceId: string, error: MachineIdError): EnforcementUnavailable =>
  new EnforcementUnavailable({
    deviceId,
    reason: reasonOf(error),
    message: error.message,
    ...(error.status !== undefined && { status: error.status }),
    ...(error.code !== undefined && { code: error.code }),
    ...(error.requestId !== undefined && { requestId: error.requestId }),
  })
