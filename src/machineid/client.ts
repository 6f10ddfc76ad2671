/**
 * The `MachineID` service: device registration, the validate decision and the hard gate built
 * on it, over the request pipeline of `src/core`.
 *
 * @module
 */
import { Config, ConfigProvider, Context, Duration, Effect, Layer, Option, Redacted, Schema } from "effect"
import { FetchHttpClient, type HttpClient } from "effect/http"
import { type ApiDefinition, makeApiClient, type TransportOptions } from "../core/client.ts"
import { firstSet, missingVariables, optionalSecret, optionalText, warnStrayVariables } from "../core/config.ts"
import { RetryPolicy } from "../core/retry.ts"
import {
  type BatchChange,
  type Decision,
  DecisionSchema,
  DEFAULT_BASE_URL,
  type DeviceChange,
  type DeviceList,
  isAllowed,
  MachineIdApi,
  MAX_BATCH_SIZE,
  MAX_DEVICE_ID_LENGTH,
  ORG_KEY_HEADER,
  type Registration,
  RegistrationSchema,
  type Usage,
} from "./contract.ts"
import {
  type EnforcementUnavailable,
  ExecutionDenied,
  InvalidArgument,
  type MachineIdError,
  pastDeadline,
  toMachineIdError,
  toUnavailable,
} from "./errors.ts"

/** A secret as a plain string or already `Redacted`; plain strings are redacted at once. */
export type Secret = string | Redacted.Redacted<string>

/** Options of every `MachineID` layer. */
export interface MachineIdOptions extends TransportOptions {
  /**
   * The API's base URL, without `/api/v1`.
   * @default `MACHINEID_BASE_URL` when set, else "https://machineid.io"
   */
  readonly baseUrl?: string | undefined
  /** How long one attempt may take. @default "10 seconds" */
  readonly timeout?: TransportOptions["timeout"]
  /** Replaces the retry policy of every call, `validate` included. @default MACHINEID_RETRY, and MACHINEID_VALIDATE_RETRY for validate */
  readonly retry?: TransportOptions["retry"]
  /**
   * How long `enforce` may wait for a decision, every attempt and backoff included; past it the
   * gate fails closed with `EnforcementUnavailable` (`reason: "timeout"`). `validate` alone is
   * bounded only by `timeout` and `retry`. @default "15 seconds"
   */
  readonly enforceTimeout?: Duration.Input | undefined
}

/** Options of {@linkcode MachineID.layer}. */
export interface MachineIdKeyOptions extends MachineIdOptions {
  /** The org key, `org_...`, sent as `x-org-key` on every call. */
  readonly orgKey: Secret
}

/** The errors of the hard gate: denied, no decision to be had, or a bad device id. */
export type EnforceError = ExecutionDenied | EnforcementUnavailable | InvalidArgument

/**
 * The MachineID API. Every device id is trimmed; a blank one, or one longer than
 * `MAX_DEVICE_ID_LENGTH` (256, INFERRED), fails with `InvalidArgument` before any request.
 */
export interface MachineIdService {
  /** Registers a device (idempotent). At the plan's cap a new device gets `status: "limit_reached"`, as data. */
  readonly register: (deviceId: string) => Effect.Effect<Registration, MachineIdError | InvalidArgument>
  /**
   * Asks for the decision on a device, as data: `{ allowed, code, requestId }`. A denial is read
   * from a non-2xx answer too; an allow only from a 2xx (any other non-2xx is a `MachineIdError`).
   * Read it with `isAllowed`, as `enforce` does, rather than `allowed` alone.
   */
  readonly validate: (deviceId: string) => Effect.Effect<Decision, MachineIdError | InvalidArgument>
  /**
   * The hard gate: succeeds with the decision when it allows (see `isAllowed`: `allowed: true`,
   * code `ALLOW`, and every legacy field agreeing, on a 2xx), fails with `ExecutionDenied` when it does
   * not, and with `EnforcementUnavailable` when no decision could be had (fail closed): an error
   * answer, a network failure, or no decision within `enforceTimeout` (15 s by default).
   */
  readonly enforce: (deviceId: string) => Effect.Effect<Decision, EnforceError>
  /** Every active and revoked device, with the plan's counts. */
  readonly listDevices: () => Effect.Effect<DeviceList, MachineIdError>
  /** Revokes a device: it validates as `DEVICE_REVOKED` until `unrevoke`; `register` does not restore it. */
  readonly revoke: (deviceId: string) => Effect.Effect<DeviceChange, MachineIdError | InvalidArgument>
  /** Restores a revoked device, the only way to. */
  readonly unrevoke: (deviceId: string) => Effect.Effect<DeviceChange, MachineIdError | InvalidArgument>
  /** The seed's `restore`: the same as `unrevoke`. */
  readonly restore: (deviceId: string) => Effect.Effect<DeviceChange, MachineIdError | InvalidArgument>
  /**
   * Revokes several devices in one call (`POST /api/v1/devices/revoke_batch`, INFERRED body
   * `{ deviceIds }`): one result per id, in order, `ok` or `not_found`. Every id is checked as
   * `revoke` checks it, and the list must hold 1 to `MAX_BATCH_SIZE` (100, INFERRED) ids, before
   * any request (`InvalidArgument`, argument `deviceIds`).
   */
  readonly revokeBatch: (
    deviceIds: ReadonlyArray<string>,
  ) => Effect.Effect<BatchChange, MachineIdError | InvalidArgument>
  /** Restores several revoked devices in one call (`unrevoke_batch`); checked as `revokeBatch`. */
  readonly unrevokeBatch: (
    deviceIds: ReadonlyArray<string>,
  ) => Effect.Effect<BatchChange, MachineIdError | InvalidArgument>
  /** Deletes a device, freeing its slot under the cap. */
  readonly remove: (deviceId: string) => Effect.Effect<DeviceChange, MachineIdError | InvalidArgument>
  /** The plan tier and state, the access clock and the device counts. */
  readonly usage: () => Effect.Effect<Usage, MachineIdError>
}

/** The default retry policy: idempotent methods (the GETs), twice, on transport failures and 408/429/5xx. */
export const MACHINEID_RETRY: RetryPolicy = RetryPolicy.make()

/**
 * The default retry policy of `validate`: the same, with POST. Validate only reads a decision, so
 * sending it twice is safe, and a gate that denies on one dropped connection makes agents flaky.
 *
 * Three attempts of `timeout` (10 s) each plus backoff let `validate` take about 31 s before it
 * fails; `enforce` gives up sooner, at `enforceTimeout` (15 s by default).
 */
export const MACHINEID_VALIDATE_RETRY: RetryPolicy = RetryPolicy.make({ methods: ["POST"] })

const redact = (secret: string): Redacted.Redacted<string> => Redacted.make(secret, { label: "machineid org key" })

const reveal = (secret: Secret): string => Redacted.isRedacted(secret) ? Redacted.value(secret) : secret

const invalidDeviceId = (message: string) => Effect.fail(new InvalidArgument({ argument: "deviceId", message }))

const checkDeviceId = (deviceId: string): Effect.Effect<string, InvalidArgument> => {
  const trimmed = typeof deviceId === "string" ? deviceId.trim() : ""
  if (trimmed === "") return invalidDeviceId("deviceId must be a non-empty string.")
  if (trimmed.length > MAX_DEVICE_ID_LENGTH) {
    return invalidDeviceId(`deviceId must be at most ${MAX_DEVICE_ID_LENGTH} characters (got ${trimmed.length}).`)
  }
  return Effect.succeed(trimmed)
}

const invalidDeviceIds = (message: string) => Effect.fail(new InvalidArgument({ argument: "deviceIds", message }))

const checkDeviceIds = (deviceIds: ReadonlyArray<string>): Effect.Effect<ReadonlyArray<string>, InvalidArgument> => {
  if (!Array.isArray(deviceIds) || deviceIds.length === 0) {
    return invalidDeviceIds("deviceIds must be a non-empty array of device ids.")
  }
  if (deviceIds.length > MAX_BATCH_SIZE) {
    return invalidDeviceIds(`deviceIds must hold at most ${MAX_BATCH_SIZE} ids (got ${deviceIds.length}).`)
  }
  return Effect.forEach(
    deviceIds,
    (deviceId, index) =>
      Effect.mapError(
        checkDeviceId(deviceId),
        (error) => new InvalidArgument({ argument: "deviceIds", message: `deviceIds[${index}]: ${error.message}` }),
      ),
  )
}

const decodeDecision = Schema.decodeUnknownOption(DecisionSchema)
const decodeRegistration = Schema.decodeUnknownOption(RegistrationSchema)

const isNon2xx = (status: number | undefined): boolean => status !== undefined && (status < 200 || status >= 300)

/**
 * The denial an error answer carries, as the SDK reads any status's body. Only a denial: an allow
 * must come with a 2xx, so a 401 or 5xx that says `allowed: true` stays an error (fail closed).
 */
const denialIn = (error: MachineIdError): Option.Option<Decision> =>
  isNon2xx(error.status)
    ? Option.filter(decodeDecision(error.body), (decision) => decision.allowed === false)
    : Option.none()

/** What a decision that says `allowed: true` and still denies says, for the error message. */
const contradiction = (decision: Decision): string =>
  [
    `allowed: true, code: ${decision.code}`,
    ...(decision.revoked === true ? ["revoked: true"] : []),
    ...(decision.valid === false ? ["valid: false"] : []),
    ...(decision.status !== undefined ? [`status: ${decision.status}`] : []),
  ].join(", ")

const denied = (deviceId: string, decision: Decision): ExecutionDenied => {
  const why = decision.allowed === true
    ? `a decision that contradicts itself (${contradiction(decision)})`
    : decision.code
  return new ExecutionDenied({
    deviceId,
    code: decision.code,
    requestId: decision.requestId,
    ...(decision.reason !== undefined && { reason: decision.reason }),
    message: `Execution denied for device "${deviceId}": ${why} (request ${decision.requestId}).`,
  })
}

// Only the `status` of an error body: a blocked body need not carry an `error` code.
const isBlockedBody = Schema.is(Schema.Struct({ status: Schema.Literal("blocked") }))

/** Some servers answer a register at the cap with 403 `{ status: "blocked", error: "device_limit_reached" }`. */
const blockedRegistration = (error: MachineIdError, deviceId: string): Option.Option<Registration> => {
  const blocked = error.status === 403 && (error.code === "device_limit_reached" || isBlockedBody(error.body))
  if (!blocked || typeof error.body !== "object" || error.body === null) return Option.none()
  return decodeRegistration({ deviceId, ...error.body, status: "limit_reached" })
}

const make = (options: MachineIdOptions, orgKey: Redacted.Redacted<string>) =>
  Effect.gen(function* () {
    const api: ApiDefinition<MachineIdError> = {
      ...options,
      name: "machineid",
      baseUrl: options.baseUrl ?? (yield* firstSet(ENV.baseUrl)) ?? DEFAULT_BASE_URL,
      credential: { _tag: "Header", name: ORG_KEY_HEADER, value: orgKey },
      timeout: options.timeout ?? "10 seconds",
      retry: options.retry ?? MACHINEID_RETRY,
      toError: toMachineIdError,
      secretHeaders: MachineIdApi.secretHeaders,
    }
    const client = yield* makeApiClient(api)
    const { endpoints } = MachineIdApi
    const validateRetry = options.retry ?? MACHINEID_VALIDATE_RETRY
    const enforceTimeout = Duration.fromInputUnsafe(options.enforceTimeout ?? "15 seconds")

    const change = (operation: "revoke" | "unrevoke" | "remove") => (deviceId: string) =>
      Effect.flatMap(
        checkDeviceId(deviceId),
        (id): Effect.Effect<DeviceChange, MachineIdError> =>
          client.send(endpoints[operation], { payload: { deviceId: id } }),
      )

    const batch = (operation: "revokeBatch" | "unrevokeBatch") => (deviceIds: ReadonlyArray<string>) =>
      Effect.flatMap(
        checkDeviceIds(deviceIds),
        (ids): Effect.Effect<BatchChange, MachineIdError> =>
          client.send(endpoints[operation], { payload: { deviceIds: ids } }),
      )

    // Validate is idempotent in the definition (it only reads a decision), so its retry policy,
    // which covers POST, may send it again.
    const validate = (deviceId: string) =>
      Effect.flatMap(checkDeviceId(deviceId), (id) =>
        client.send(endpoints.validate, { payload: { deviceId: id } }, { retry: validateRetry }).pipe(
          Effect.catch((error) =>
            Option.match(denialIn(error), {
              onNone: () =>
                Effect.fail(error),
              onSome: Effect.succeed,
            })
          ),
        ))

    const enforce = (deviceId: string): Effect.Effect<Decision, EnforceError> =>
      Effect.flatMap(checkDeviceId(deviceId), (id) =>
        validate(id).pipe(
          Effect.catchTag("MachineIdError", (error) =>
            Effect.fail(toUnavailable(id, error))),
          Effect.timeoutOrElse({
            duration: enforceTimeout,
            orElse: () => Effect.fail(pastDeadline(id, Duration.format(enforceTimeout))),
          }),
          Effect.flatMap((decision) =>
            isAllowed(decision) ? Effect.succeed(decision) : Effect.fail(denied(id, decision))
          ),
        ))

    return MachineID.of({
      register: (deviceId) =>
        Effect.flatMap(checkDeviceId(deviceId), (id) =>
          client.send(endpoints.register, { payload: { deviceId: id } }).pipe(
            Effect.catch((error) =>
              Option.match(blockedRegistration(error, id), {
                onNone: () =>
                  Effect.fail(error),
                onSome: Effect.succeed,
              })
            ),
          )),
      validate,
      enforce,
      listDevices: () =>
        client.send(endpoints.list, {}),
      revoke: change("revoke"),
      unrevoke: change("unrevoke"),
      restore: change("unrevoke"),
      revokeBatch: batch("revokeBatch"),
      unrevokeBatch: batch("unrevokeBatch"),
      remove: change("remove"),
      usage: () =>
        client.send(endpoints.usage, {}),
    })
  })

/** The environment variables MachineID's layers read. */
const ENV = { orgKey: "MACHINEID_ORG_KEY", baseUrl: "MACHINEID_BASE_URL" } as const

const MachineIDBase: Context.ServiceClass<MachineID, "@gatehouse/sdk/MachineID", MachineIdService> = Context.Service<
  MachineID,
  MachineIdService
>()("@gatehouse/sdk/MachineID")

/**
 * The MachineID client service: an enforcement control plane's allow / deny decision before
 * code runs.
 *
 * Its layers need an `HttpClient` (`FetchHttpClient.layer`, or the mock's `layer`) and fail with
 * `InvalidArgument` when the org key is empty.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { FetchHttpClient } from "effect/http"
 * import { MachineID } from "@gatehouse/sdk/machineid"
 *
 * const agent = Effect.log("doing the work")
 *
 * const program = Effect.gen(function* () {
 *   const machineId = yield* MachineID
 *   yield* machineId.register("agent-01")
 *   yield* machineId.enforce("agent-01") // fails with ExecutionDenied unless allowed
 *   yield* agent
 * }).pipe(Effect.provide(MachineID.layer({ orgKey: "org_..." })), Effect.provide(FetchHttpClient.layer))
 * ```
 */
export class MachineID extends MachineIDBase {
  /**
   * From an org key. Fails with `InvalidArgument` when it is empty or blank.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { FetchHttpClient } from "effect/http"
   * import { MachineID } from "@gatehouse/sdk/machineid"
   *
   * const layer = MachineID.layer({ orgKey: "org_...", baseUrl: "http://127.0.0.1:4010/machineid" })
   * const decision = Effect.flatMap(MachineID, (machineId) => machineId.validate("agent-01")).pipe(
   *   Effect.provide(layer),
   *   Effect.provide(FetchHttpClient.layer),
   * )
   * ```
   */
  static readonly layer = (
    options: MachineIdKeyOptions,
  ): Layer.Layer<MachineID, InvalidArgument, HttpClient.HttpClient> => {
    const orgKey = typeof options.orgKey === "string" || Redacted.isRedacted(options.orgKey)
      ? reveal(options.orgKey).trim()
      : ""
    return Layer.effect(
      MachineID,
      orgKey === ""
        ? Effect.fail(new InvalidArgument({ argument: "orgKey", message: "orgKey must be a non-empty string." }))
        : make(options, redact(orgKey)),
    )
  }

  /**
   * From the environment: `MACHINEID_ORG_KEY` (required) and `MACHINEID_BASE_URL` (optional, over
   * `options`). A blank variable counts as unset; a missing org key fails with a `ConfigError` that
   * names it, and a set `MACHINEID_*` variable it does not read (a misspelling) is named in that
   * error, or logged as a warning.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { FetchHttpClient } from "effect/http"
   * import { MachineID } from "@gatehouse/sdk/machineid"
   *
   * // MACHINEID_ORG_KEY=org_... MACHINEID_BASE_URL=http://127.0.0.1:4010/machineid
   * const usage = Effect.flatMap(MachineID, (machineId) => machineId.usage()).pipe(
   *   Effect.provide(MachineID.layerConfig({ timeout: "5 seconds" })),
   *   Effect.provide(FetchHttpClient.layer),
   * )
   * ```
   */
  static readonly layerConfig = (
    options: MachineIdOptions = {},
  ): Layer.Layer<MachineID, InvalidArgument | Config.ConfigError, HttpClient.HttpClient> =>
    Layer.unwrap(Effect.gen(function* () {
      const env = yield* Effect.all({ orgKey: optionalSecret(ENV.orgKey), baseUrl: optionalText(ENV.baseUrl) })
      const known = Object.values(ENV)
      if (Option.isNone(env.orgKey)) {
        const message = yield* missingVariables(
          `Set ${ENV.orgKey} to your org key (org_...); looked for it, found nothing.`,
          "MACHINEID_",
          known,
        )
        return yield* Effect.fail(new Config.ConfigError(new ConfigProvider.SourceError({ message })))
      }
      yield* warnStrayVariables("MACHINEID_", known)
      return MachineID.layer({
        ...options,
        orgKey: env.orgKey.value,
        baseUrl: Option.getOrElse(env.baseUrl, () => options.baseUrl),
      })
    }))

  /**
   * {@linkcode MachineID.layerConfig} with `fetch` as the transport: ready to provide.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { MachineID } from "@gatehouse/sdk/machineid"
   *
   * const decision = await Effect.runPromise(MachineID.enforce("agent-01").pipe(Effect.provide(MachineID.fromEnv())))
   * ```
   */
  static readonly fromEnv = (
    options: MachineIdOptions = {},
  ): Layer.Layer<MachineID, InvalidArgument | Config.ConfigError> =>
    MachineID.layerConfig(options).pipe(Layer.provide(FetchHttpClient.layer))

  /**
   * The hard gate, from the context: succeeds with the decision on an allow, fails with
   * `ExecutionDenied` on a denial and with `EnforcementUnavailable` when no decision could be had.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { MachineID } from "@gatehouse/sdk/machineid"
   *
   * const gate = MachineID.enforce("agent-01").pipe(
   *   Effect.catchTag("ExecutionDenied", (denied) => Effect.logError(`denied: ${denied.code}`)),
   * )
   * ```
   */
  static readonly enforce = (deviceId: string): Effect.Effect<Decision, EnforceError, MachineID> =>
    Effect.flatMap(MachineID, (machineId) => machineId.enforce(deviceId))

  /**
   * Runs `self` only after {@linkcode MachineID.enforce} allows `deviceId`:
   * `work.pipe(MachineID.guard("agent-01"))`.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { MachineID } from "@gatehouse/sdk/machineid"
   *
   * const work = Effect.log("agent work")
   * const gated = work.pipe(MachineID.guard("agent-01"), Effect.provide(MachineID.fromEnv()))
   * ```
   */
  static readonly guard =
    (deviceId: string) => <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E | EnforceError, R | MachineID> =>
      Effect.andThen(MachineID.enforce(deviceId), self)
}
