/**
 * The errors of the MachineID client: `MachineIdError` for a failed exchange, `InvalidArgument`
 * for input refused before any request, and the two ways the hard gate fails: `ExecutionDenied`
 * (the API said no) and `EnforcementUnavailable` (no decision could be had, so the gate stays shut).
 *
 * @module
 */
import { Option, Schema } from "effect"
import type { Failure, StatusFailure } from "../core/failure.ts"
import type { TaggedErrorClass } from "../core/tagged_error.ts"
import {
  type DecisionCode,
  DecisionCodeSchema,
  ErrorBodySchema,
  type MachineIdServerCode,
  ServerCodeSchema,
} from "./contract.ts"

/**
 * The codes the client raises itself, instead of a response.
 *
 * @example
 * ```ts
 * import type { MachineIdClientCode } from "@gatehouse/sdk/machineid"
 *
 * const worthRetrying = (code: MachineIdClientCode): boolean => code === "network_error" || code === "timeout"
 * ```
 */
export type MachineIdClientCode = "network_error" | "timeout" | "invalid_response" | "client_closed"

/**
 * The codes a `MachineIdError` carries. Server codes come from the error body's `error` field
 * (an unknown one is kept as is, so `code` is open); the others are raised by the client instead
 * of a response.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { MachineID, type MachineIdErrorCode } from "@gatehouse/sdk/machineid"
 *
 * const transient = (code: MachineIdErrorCode | undefined): boolean => code === "network_error" || code === "timeout"
 * const devices = Effect.flatMap(MachineID, (machineId) => machineId.listDevices()).pipe(
 *   Effect.tapError((error) => transient(error.code) ? Effect.logWarning("try later") : Effect.void),
 * )
 * ```
 */
export type MachineIdErrorCode = MachineIdServerCode | MachineIdClientCode

const CLIENT_CODES: ReadonlyArray<MachineIdClientCode> = [
  "network_error",
  "timeout",
  "invalid_response",
  "client_closed",
]

const Code: Schema.Codec<MachineIdErrorCode, string> = Schema.Union([Schema.Literals(CLIENT_CODES), ServerCodeSchema])

type MachineIdErrorFields = {
  readonly message: Schema.String
  readonly status: Schema.optionalKey<Schema.Number>
  readonly code: Schema.optionalKey<Schema.Codec<MachineIdErrorCode, string>>
  readonly requestId: Schema.optionalKey<Schema.String>
  readonly body: Schema.optionalKey<Schema.Unknown>
}

const MachineIdErrorBase: TaggedErrorClass<MachineIdError, "MachineIdError", MachineIdErrorFields> = Schema.TaggedError<
  MachineIdError
>()("MachineIdError", {
  message: Schema.String,
  status: Schema.optionalKey(Schema.Number),
  code: Schema.optionalKey(Code),
  requestId: Schema.optionalKey(Schema.String),
  /** The raw answer body. */
  body: Schema.optionalKey(Schema.Unknown),
})

/**
 * A MachineID call that did not succeed: a non-2xx answer, a network failure or timeout, an
 * answer that does not match the contract, or a client used after its scope closed.
 *
 * `status` is absent when no answer arrived. `code` is the error body's `error` (decoded with the
 * contract's error schema; absent when the body is not one) or the client's own code. It never
 * holds the org key.
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
export class MachineIdError extends MachineIdErrorBase {}

type InvalidArgumentFields = {
  readonly argument: Schema.String
  readonly message: Schema.String
}

const InvalidArgumentBase: TaggedErrorClass<InvalidArgument, "InvalidArgument", InvalidArgumentFields> = Schema
  .TaggedError<InvalidArgument>()("InvalidArgument", {
    /** `deviceId` or `orgKey`. */
    argument: Schema.String,
    message: Schema.String,
  })

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
export class InvalidArgument extends InvalidArgumentBase {}

type ExecutionDeniedFields = {
  readonly deviceId: Schema.String
  readonly code: Schema.Codec<DecisionCode, string>
  readonly requestId: Schema.String
  readonly reason: Schema.optionalKey<Schema.String>
  readonly message: Schema.String
}

const ExecutionDeniedBase: TaggedErrorClass<ExecutionDenied, "ExecutionDenied", ExecutionDeniedFields> = Schema
  .TaggedError<ExecutionDenied>()("ExecutionDenied", {
    deviceId: Schema.String,
    code: DecisionCodeSchema,
    requestId: Schema.String,
    /** The legacy `reason`, when the API sent one. */
    reason: Schema.optionalKey(Schema.String),
    message: Schema.String,
  })

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
export class ExecutionDenied extends ExecutionDeniedBase {}

/**
 * Why no decision could be had.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { MachineID, type UnavailableReason } from "@gatehouse/sdk/machineid"
 *
 * const alert = (reason: UnavailableReason) => Effect.logError(`MachineID gave no decision (${reason}): work stopped`)
 * const gate = Effect.flatMap(MachineID, (machineId) => machineId.enforce("agent-01")).pipe(
 *   Effect.tapError((error) => error._tag === "EnforcementUnavailable" ? alert(error.reason) : Effect.void),
 * )
 * ```
 */
export type UnavailableReason = "network" | "timeout" | "invalid_response" | "api_error" | "client_closed"

const REASONS: ReadonlyArray<UnavailableReason> = [
  "network",
  "timeout",
  "invalid_response",
  "api_error",
  "client_closed",
]

type EnforcementUnavailableFields = {
  readonly deviceId: Schema.String
  readonly reason: Schema.Literals<ReadonlyArray<UnavailableReason>>
  readonly message: Schema.String
  readonly status: Schema.optionalKey<Schema.Number>
  readonly code: Schema.optionalKey<Schema.Codec<MachineIdErrorCode, string>>
  readonly requestId: Schema.optionalKey<Schema.String>
}

const EnforcementUnavailableBase: TaggedErrorClass<
  EnforcementUnavailable,
  "EnforcementUnavailable",
  EnforcementUnavailableFields
> = Schema.TaggedError<EnforcementUnavailable>()("EnforcementUnavailable", {
  deviceId: Schema.String,
  reason: Schema.Literals(REASONS),
  message: Schema.String,
  status: Schema.optionalKey(Schema.Number),
  /** The `MachineIdError` code of the failed validate. */
  code: Schema.optionalKey(Code),
  requestId: Schema.optionalKey(Schema.String),
})

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
export class EnforcementUnavailable extends EnforcementUnavailableBase {}

/** A client-side `MachineIdError`: no status, a code, a message. */
export const clientError = (code: MachineIdErrorCode, message: string): MachineIdError =>
  new MachineIdError({ code, message })

const decodeErrorBody = Schema.decodeUnknownOption(ErrorBodySchema)

// A denial that arrives as a non-2xx carries the decision's `request_id`, not an error body.
const decodeBodyRequestId = Schema.decodeUnknownOption(Schema.Struct({ request_id: Schema.String }))

const fromStatus = (failure: StatusFailure): MachineIdError => {
  const body = Option.getOrUndefined(decodeErrorBody(failure.body))
  const requestId = failure.requestId ??
    Option.getOrUndefined(Option.map(decodeBodyRequestId(failure.body), (b) => b.request_id))
  return new MachineIdError({
    message: body?.message ?? body?.error ?? `MachineID answered HTTP ${failure.status}.`,
    status: failure.status,
    ...(body !== undefined && { code: body.error }),
    ...(requestId !== undefined && { requestId }),
    body: failure.body,
  })
}

/** The MachineID error table: every pipeline failure as a `MachineIdError`. */
export const toMachineIdError = (failure: Failure): MachineIdError => {
  switch (failure._tag) {
    case "Status":
      return fromStatus(failure)
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
