/**
 * MachineID: an enforcement control plane's allow / deny decision before code runs. Register
 * devices under an org's plan cap, validate them, and gate Effect programs with `enforce`, which
 * fails closed.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { FetchHttpClient } from "effect/http"
 * import { MachineID } from "@gatehouse/sdk/machineid"
 *
 * const work = Effect.log("the agent's work")
 *
 * // Runs `work` only if MachineID allows agent-01; otherwise fails with ExecutionDenied
 * // (a decision) or EnforcementUnavailable (no decision: network, timeout, bad answer).
 * const gated = work.pipe(
 *   MachineID.guard("agent-01"),
 *   Effect.provide(MachineID.layer({ orgKey: "org_..." })),
 *   Effect.provide(FetchHttpClient.layer),
 * )
 * ```
 *
 * @module
 */
export {
  type EnforceError,
  MachineID,
  MACHINEID_RETRY,
  MACHINEID_VALIDATE_RETRY,
  type MachineIdKeyOptions,
  type MachineIdOptions,
  type MachineIdService,
  type Secret,
} from "./client.ts"
export {
  type BatchChange,
  type BatchItem,
  type BatchItemStatus,
  type Decision,
  type DecisionCode,
  DEFAULT_BASE_URL,
  type Device,
  type DeviceChange,
  type DeviceList,
  type DeviceStatus,
  isAllowed,
  KNOWN_DECISION_CODES,
  type MachineIdServerCode,
  MAX_BATCH_SIZE,
  MAX_DEVICE_ID_LENGTH,
  type OpenString,
  ORG_KEY_HEADER,
  type Plan,
  PLAN_LIMITS,
  type PlanState,
  type PlanTier,
  type RegisterStatus,
  type Registration,
  type UnknownFields,
  type Usage,
} from "./contract.ts"
export {
  EnforcementUnavailable,
  ExecutionDenied,
  InvalidArgument,
  type MachineIdClientCode,
  MachineIdError,
  type MachineIdErrorCode,
  type UnavailableReason,
} from "./errors.ts"
export { MachineIDClient, type WithFetch } from "./promise.ts"
export { RetryPolicy, type RetryPolicyOptions } from "../core/retry.ts"
export type { Pacing, TransportOptions } from "../core/client.ts"
export type { PromiseClient } from "../core/promise.ts"
export { USER_AGENT, VERSION } from "../core/version.ts"
