/**
 * The MachineID client as Promises, for apps that do not use Effect.
 *
 * @module
 */
import { type PromiseClient, promiseFacade, type WithFetch } from "../core/promise.ts"
import { MachineID, type MachineIdKeyOptions, type MachineIdOptions, type MachineIdService } from "./client.ts"
import { clientError } from "./errors.ts"

export type { WithFetch } from "../core/promise.ts"

const wrap = promiseFacade(MachineID, {
  register: true,
  validate: true,
  enforce: true,
  listDevices: true,
  revoke: true,
  unrevoke: true,
  restore: true,
  revokeBatch: true,
  unrevokeBatch: true,
  remove: true,
  usage: true,
}, () => clientError("client_closed", "MachineIDClient used after close()."))

/**
 * `MachineID` as Promise methods; they reject with the same error instances (`MachineIdError`,
 * `InvalidArgument`, `ExecutionDenied`, `EnforcementUnavailable`).
 *
 * @example
 * ```ts
 * import { ExecutionDenied, MachineIDClient } from "@gatehouse/sdk/machineid"
 *
 * await using machineId = MachineIDClient.make({ orgKey: "org_..." })
 * await machineId.register("agent-01")
 * try {
 *   await machineId.enforce("agent-01") // the hard gate
 * } catch (error) {
 *   if (error instanceof ExecutionDenied) console.error("denied:", error.code, error.requestId)
 *   throw error
 * }
 * ```
 */
export const MachineIDClient: {
  readonly make: (options: MachineIdKeyOptions & WithFetch) => PromiseClient<MachineIdService>
  readonly fromEnv: (options?: MachineIdOptions & WithFetch) => PromiseClient<MachineIdService>
} = {
  make: (options) => wrap(MachineID.layer(options), options),
  fromEnv: (options = {}) => wrap(MachineID.layerConfig(options), options),
}
