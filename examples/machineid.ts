/**
 * MachineID against the bundled mock: register agents on a free org (cap 3), gate work with
 * `enforce`, and watch the gate shut on a revoke, a frozen plan and a dropped connection.
 *
 * `deno run -A examples/machineid.ts` (or `bun examples/machineid.ts`)
 *
 * @module
 */
import { Effect } from "effect"
import { MachineIdMock, MockClock, mountMocks } from "@gatehouse/sdk/mock"
import { MachineID, MachineIDClient, RetryPolicy } from "@gatehouse/sdk/machineid"

const clock = new MockClock()
const machineid = new MachineIdMock(clock)
const mock = mountMocks(clock, [machineid])
const orgKey = machineid.demo.freeOrgKey

// The agent's work, run only behind the gate.
const work = (agent: string) => Effect.log(`${agent}: working`)

// Tells the two ways the gate stays shut apart: a decision, or no decision at all.
const attempt = (agent: string) =>
  work(agent).pipe(
    MachineID.guard(agent),
    Effect.catchTags({
      ExecutionDenied: (denied) => Effect.log(`${agent}: denied ${denied.code} (request ${denied.requestId})`),
      EnforcementUnavailable: (error) => Effect.log(`${agent}: no decision (${error.reason}), failing closed`),
    }),
  )

const program = Effect.gen(function* () {
  const machineId = yield* MachineID
  for (const agent of ["agent-1", "agent-2", "agent-3", "agent-4"]) {
    const registration = yield* machineId.register(agent)
    yield* Effect.log(`register ${agent}: ${registration.status} (${registration.devicesUsed}/${registration.limit})`)
  }
  yield* attempt("agent-1")
  yield* attempt("agent-4") // never registered: the free plan's cap is 3

  yield* machineId.revoke("agent-2")
  yield* attempt("agent-2")
  yield* machineId.unrevoke("agent-2")
  yield* attempt("agent-2")

  machineid.state.setPlanState(orgKey, "frozen")
  yield* attempt("agent-3")
  machineid.state.setPlanState(orgKey, "active")

  mock.fault({ path: "/devices/validate", drop: true, times: 1 })
  yield* attempt("agent-1")

  const usage = yield* machineId.usage()
  yield* Effect.log(`usage: ${usage.planTier} ${usage.planState}, ${usage.devicesUsed}/${usage.limit} devices`)
})

await Effect.runPromise(
  program.pipe(
    Effect.provide(MachineID.layer({ orgKey, baseUrl: mock.baseUrl("machineid"), retry: RetryPolicy.none })),
    Effect.provide(mock.layer),
  ),
)

// The same gate as Promises, for apps that do not use Effect.
await using client = MachineIDClient.make({ orgKey, baseUrl: mock.baseUrl("machineid"), fetch: mock.fetch })
const decision = await client.enforce("agent-1")
console.log("promise facade:", decision.code, decision.requestId)
