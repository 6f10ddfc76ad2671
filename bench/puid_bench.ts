// The PUID client against raw fetch, both on the same mock server over loopback, in one run:
// `deno task bench` prints each client's time per call relative to the raw-fetch baseline.
import { Effect, Layer, ManagedRuntime } from "effect"
import { HttpClient } from "effect/http"
import { fetchLayer } from "../src/core/promise.ts"
import { Puid } from "../src/puid/mod.ts"
import { createMock, PUID_DEMO, serveMock } from "../mock/mod.ts"

const server = await serveMock(createMock(), { port: 0 })
const endpoint = `${server.url}/puid/api`
const headers = { "x-api-key": PUID_DEMO.apiKey, accept: "application/json" }

const client = Puid.layer({ apiKey: PUID_DEMO.apiKey, endpoint }).pipe(Layer.provide(fetchLayer()))
const traced = ManagedRuntime.make(client)
const untraced = ManagedRuntime.make(client.pipe(
  Layer.provide(Layer.succeed(HttpClient.TracerDisabledWhen, () => true)),
  Layer.provide(Layer.succeed(HttpClient.TracerPropagationEnabled, false)),
))
const quota = Effect.flatMap(Puid, (puid) => puid.quota())
await traced.runPromise(quota)
await untraced.runPromise(quota)

Deno.bench("raw fetch + json() + status check", { group: "quota", baseline: true }, async () => {
  const response = await fetch(`${endpoint}/v1/quota`, { headers })
  if (!response.ok) throw new Error(`HTTP ${response.status}`)
  await response.json()
})

Deno.bench("Puid.quota() (tracing on, the default)", { group: "quota" }, async () => {
  await traced.runPromise(quota)
})

Deno.bench("Puid.quota() (tracing off)", { group: "quota" }, async () => {
  await untraced.runPromise(quota)
})

globalThis.addEventListener("unload", () => {
  void server.close()
})
