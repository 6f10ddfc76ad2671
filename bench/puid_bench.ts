// The PUID client against raw fetch, both on the same mock server over loopback, and in-process
// against the mock's own fetch, in one run: `deno task bench` prints each client's time per call
// relative to the raw baseline of its group.
import { Effect, Layer, ManagedRuntime } from "effect"
import { HttpClient } from "effect/http"
import { fetchLayer } from "../src/core/promise.ts"
import { Puid } from "../src/puid/mod.ts"
import { createMock, PUID_DEMO, serveMock } from "../mock/mod.ts"

const mock = createMock()
const server = await serveMock(mock, { port: 0 })
const endpoint = `${server.url}/puid/api`
const headers = { "x-api-key": PUID_DEMO.apiKey, accept: "application/json" }

const client = Puid.layer({ apiKey: PUID_DEMO.apiKey, endpoint }).pipe(Layer.provide(fetchLayer()))
const traced = ManagedRuntime.make(client)
// provideMerge: the tracer settings are read by the calling fiber, at request time.
const untraced = ManagedRuntime.make(client.pipe(
  Layer.provideMerge(Layer.succeed(HttpClient.TracerDisabledWhen, () => true)),
  Layer.provideMerge(Layer.succeed(HttpClient.TracerPropagationEnabled, false)),
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

// In-process: no sockets, the mock's fetch; the same client on `mock.layer`.
const inProcessEndpoint = mock.baseUrl("puid")
const inProcess = ManagedRuntime.make(
  Puid.layer({ apiKey: PUID_DEMO.apiKey, endpoint: inProcessEndpoint }).pipe(
    Layer.provide(mock.layer),
    Layer.provideMerge(Layer.succeed(HttpClient.TracerDisabledWhen, () => true)),
  ),
)
await inProcess.runPromise(quota)

Deno.bench("in-process: raw mock.fetch + json()", { group: "in-process", baseline: true }, async () => {
  const response = await mock.fetch(`${inProcessEndpoint}/v1/quota`, { headers })
  if (!response.ok) throw new Error(`HTTP ${response.status}`)
  await response.json()
})

Deno.bench("in-process: Puid.quota() on mock.layer (tracing off)", { group: "in-process" }, async () => {
  await inProcess.runPromise(quota)
})

globalThis.addEventListener("unload", () => {
  void server.close()
})
