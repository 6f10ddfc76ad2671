// A newcomer's app: every gatehouse API against the mock server, configured from the environment
// (the README's `export` block). The same file runs on Deno, Bun and Node 22+.
import { Effect, Layer, Redacted } from "effect"
import { VERSION } from "@gatehouse/sdk"
import { Puid, PuidClient } from "@gatehouse/sdk/puid"
import { MachineID } from "@gatehouse/sdk/machineid"
import { ApiKeys, ApiKeysHttp } from "@gatehouse/sdk/apikeys"
import { AuthPI } from "@gatehouse/sdk/authpi"
import { Puguh } from "@gatehouse/sdk/puguh"

const program = Effect.gen(function* () {
  const puid = yield* Puid
  console.log("puid ids:", yield* puid.ids(2))

  const machineId = yield* MachineID
  yield* machineId.register("smoke-01")
  console.log("machineid decision:", (yield* machineId.validate("smoke-01")).code)

  const keys = yield* ApiKeys
  const { value: org } = yield* keys.getOrCreateOrganization("Smoke") // names are unique: each runtime's app shares it
  const { key, plaintext } = yield* keys.createKey(org.id, { metadata: { scopes: ["read"] } })
  const validated = yield* keys.validateKey(Redacted.value(plaintext), { requiredScopes: ["read"] })
  console.log("apikeys validated:", validated.id === key.id)

  const admin = yield* AuthPI
  console.log("authpi caller:", (yield* admin.me()).type)

  const puguh = yield* Puguh
  console.log("puguh plans:", (yield* puguh.billing.getPlans()).map((plan) => plan.name))
})

await Effect.runPromise(program.pipe(
  Effect.provide(
    Layer.mergeAll(Puid.fromEnv(), MachineID.fromEnv(), ApiKeysHttp.fromEnv(), AuthPI.fromEnv(), Puguh.fromEnv()),
  ),
))

const puid = PuidClient.fromEnv()
try {
  console.log("puid quota (Promises):", await puid.quota())
} finally {
  await puid.close()
}
console.log(`gatehouse ${VERSION}: all five APIs answered`)
