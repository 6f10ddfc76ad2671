// The PUID client's own cost (issue 14's second table), in one run: `deno run -A bench/puid_bench.ts`.
//
// Sequential `quota()` calls, each variant's time per call against the first variant of its
// table in the same repetition (variants interleaved in batches of 50), the median ratio printed:
// - over loopback, against the mock server and against a bare `Deno.serve` answering the same body:
//   raw fetch, the Effect floor (`runPromise(tryPromise(fetch))`), effect's `HttpClient` alone
//   (with its own HTTP span, and with it off as gatehouse has it), gatehouse with a tracer installed (a span per call) and without (effect's default in-memory
//   tracer: no backend, so no span is made);
// - in-process, no socket (the least noisy): gatehouse on `mock.layer` against a bare msw
//   `getResponse` over the PUID mock's handlers, and against effect's `HttpClient` on the same layer.
// Last, gatehouse's own pipeline: gatehouse (no tracing backend) against effect's `HttpClient` alone,
// with and without its span.
// With `--profile`, a CPU profile of the in-process calls instead (below).
import process from "node:process"
import { loadavg } from "node:os"
import { type Context, Effect, Layer, ManagedRuntime, Tracer } from "effect"
import { FetchHttpClient, HttpClient, HttpClientRequest } from "effect/http"
import { getResponse } from "msw/utils/get-response"
import { fetchLayer } from "../src/core/promise.ts"
import { Puid } from "../src/puid/mod.ts"
import { createMock, PUID_DEMO, serveMock } from "../mock/mod.ts"

const CALLS = Number(Deno.env.get("CALLS") ?? 1000)
const REPS = Number(Deno.env.get("REPS") ?? 5)
const BATCH = 50

const mock = createMock()
const server = await serveMock(mock, { port: 0 })
const headers = { "x-api-key": PUID_DEMO.apiKey, accept: "application/json" }
const mockEndpoint = `${server.url}/puid/api`
const body = await (await fetch(`${mockEndpoint}/v1/quota`, { headers })).text()
const bare = Deno.serve(
  { port: 0, hostname: "127.0.0.1", onListen: () => {} },
  () => new Response(body, { headers: { "content-type": "application/json" } }),
)
const bareEndpoint = `http://127.0.0.1:${bare.addr.port}`

// A tracing backend that keeps nothing: the span work is all that is measured.
const tracer = Tracer.make({ span: (options) => new Tracer.NativeSpan(options) })

/** Runs `effect` on a runtime's context, the same way for every Effect variant. */
const runner = async <R>(layer: Layer.Layer<R, unknown>) => {
  const context: Context.Context<R> = await ManagedRuntime.make(layer).context()
  return <A, E>(effect: Effect.Effect<A, E, R>) => Effect.runPromise(Effect.provideContext(effect, context))
}

const quota = Effect.flatMap(Puid, (puid) => puid.quota())

/** One GET of `url` through effect's `HttpClient`, its body read as JSON: no gatehouse stage. */
const viaHttpClient = (url: string) =>
  Effect.flatMap(
    HttpClient.HttpClient,
    (http) => Effect.flatMap(http.execute(HttpClientRequest.get(url, { headers })), (response) => response.json),
  )

/** The same with effect's own HTTP span off, as gatehouse has it (its exit would hold the credential). */
const viaHttpClientNoSpan = (url: string) =>
  Effect.provideService(viaHttpClient(url), HttpClient.TracerDisabledWhen, () => true)

type Variant = readonly [name: string, call: () => Promise<unknown>]

const loopback = async (endpoint: string): Promise<ReadonlyArray<Variant>> => {
  const url = `${endpoint}/v1/quota`
  const raw = async () => {
    const response = await fetch(url, { headers })
    if (!response.ok) throw new Error(`HTTP ${response.status}`)
    return await response.json()
  }
  const viaEffect = await runner(FetchHttpClient.layer)
  const gatehouse = await runner(Puid.layer({ apiKey: PUID_DEMO.apiKey, endpoint }).pipe(Layer.provide(fetchLayer())))
  return [
    ["raw fetch + json()", raw],
    ["Effect floor: runPromise(tryPromise(fetch))", () => Effect.runPromise(Effect.tryPromise(raw))],
    ["effect HttpClient alone", () => viaEffect(viaHttpClient(url))],
    ["effect HttpClient alone, its span off", () => viaEffect(viaHttpClientNoSpan(url))],
    ["gatehouse, a tracer installed (a span per call)", () => gatehouse(Effect.withTracer(quota, tracer))],
    ["gatehouse, no tracing backend (the default)", () => gatehouse(quota)],
  ]
}

const inProcess = async (): Promise<ReadonlyArray<Variant>> => {
  const endpoint = mock.baseUrl("puid")
  const handlers = [...mock.puid.handlers(endpoint)]
  const url = `${endpoint}/v1/quota`
  const gatehouse = await runner(Puid.layer({ apiKey: PUID_DEMO.apiKey, endpoint }).pipe(Layer.provide(mock.layer)))
  const viaEffect = await runner(mock.layer)
  return [
    ["bare msw getResponse + json()", async () => {
      const response = await getResponse(handlers, new Request(url, { headers }))
      if (!response?.ok) throw new Error(`HTTP ${response?.status}`)
      return await response.json()
    }],
    ["raw mock.fetch + json()", async () => (await mock.fetch(url, { headers })).json()],
    ["effect HttpClient alone on mock.layer", () => viaEffect(viaHttpClient(url))],
    ["effect HttpClient alone on mock.layer, its span off", () => viaEffect(viaHttpClientNoSpan(url))],
    ["gatehouse on mock.layer, a tracer installed", () => gatehouse(Effect.withTracer(quota, tracer))],
    ["gatehouse on mock.layer, no tracing backend", () => gatehouse(quota)],
  ]
}

/** Wall-clock and CPU microseconds per call of `call` (the process's CPU: the servers' included), over `calls` calls. */
const time = async (call: () => Promise<unknown>, calls: number) => {
  const start = performance.now()
  const cpu = process.cpuUsage()
  for (let i = 0; i < calls; i++) await call()
  const used = process.cpuUsage(cpu)
  return { wall: ((performance.now() - start) * 1000) / calls, cpu: (used.user + used.system) / calls }
}

const median = (values: ReadonlyArray<number>) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

interface Measured {
  readonly name: string
  /** Wall-clock microseconds per call. */
  readonly micros: number
  /** Wall-clock time against the first variant's. */
  readonly ratio: number
  /** CPU time against the first variant's: steadier than wall-clock time on a loaded machine. */
  readonly cpuRatio: number
  /** CPU time per call in each repetition. */
  readonly cpus: ReadonlyArray<number>
}

/**
 * Each variant's median time per call and median ratios to the first. A repetition runs the
 * variants in turn, `BATCH` calls each, round after round, so that a machine whose load changes
 * weighs on every variant alike.
 */
const measure = async (variants: ReadonlyArray<Variant>): Promise<ReadonlyArray<Measured>> => {
  for (const [, call] of variants) await time(call, Math.min(300, CALLS))
  const walls = variants.map(() => [] as Array<number>)
  const ratios = variants.map(() => [] as Array<number>)
  const cpuRatios = variants.map(() => [] as Array<number>)
  const cpus = variants.map(() => [] as Array<number>)
  for (let rep = 0; rep < REPS; rep++) {
    const wall = variants.map(() => 0)
    const cpu = variants.map(() => 0)
    for (let done = 0; done < CALLS; done += BATCH) {
      for (const [i, [, call]] of variants.entries()) {
        const taken = await time(call, BATCH)
        wall[i] += taken.wall
        cpu[i] += taken.cpu
      }
    }
    variants.forEach((_, i) => {
      walls[i].push(wall[i] / (CALLS / BATCH))
      ratios[i].push(wall[i] / wall[0])
      cpuRatios[i].push(cpu[i] / cpu[0])
      cpus[i].push(cpu[i])
    })
  }
  return variants.map(([name], i) => ({
    name,
    micros: median(walls[i]),
    ratio: median(ratios[i]),
    cpuRatio: median(cpuRatios[i]),
    cpus: cpus[i],
  }))
}

const row = (cells: ReadonlyArray<string>) => `| ${cells.join(" | ")} |`
const cell = ({ micros, ratio, cpuRatio }: Measured) =>
  `${micros.toFixed(0)} µs, ${ratio.toFixed(2)}x (CPU ${cpuRatio.toFixed(2)}x)`

// `--profile`: no tables; instead a CPU profile (the inspector's sampling profiler) of the
// in-process variants (a tracer aside), each sample's time put down to the code it was in: CPU
// time per call by where that code lives.
if (Deno.args.includes("--profile")) {
  const { Session } = await import("node:inspector/promises")
  // effect's own files: node_modules/effect/dist/..., or Deno's cache, effect/4.1.0/dist/...
  const effectFile = (url: string) => url.match(/\/effect\/(?:[^/]+\/)?dist\/(.*)$/)?.[1]
  const areas: ReadonlyArray<readonly [string, (url: string, name: string) => boolean]> = [
    [
      "gatehouse pipeline (src/core, but the router)",
      (url) => url.includes("/src/core/") && !url.endsWith("router.ts"),
    ],
    ["the mock (mock/, src/core/router.ts)", (url) => url.includes("/mock/") || url.endsWith("/src/core/router.ts")],
    ["msw", (url) => /\/msw\/|\/@mswjs\//.test(url)],
    ["effect: Schema", (url) => /^(internal\/schema\/|Schema)/.test(effectFile(url) ?? "-")],
    ["effect: http (HttpClient, FetchHttpClient, Headers)", (url) => effectFile(url)?.startsWith("http/") === true],
    ["effect: runtime (fibers, Effect, Context)", (url) => effectFile(url) !== undefined],
    [
      "Deno: fetch, Request, Response, Headers, URL, AbortSignal",
      (url) => /^ext:deno_(fetch|web|webidl|url)/.test(url),
    ],
    [
      "Deno: promises, microtasks, timers, async context",
      (url, name) => url.startsWith("ext:") || name.startsWith("op_"),
    ],
    ["garbage collector", (_, name) => name === "(garbage collector)"],
    ["other", () => true],
  ]
  const calls = CALLS * 10
  const session = new Session()
  session.connect()
  await session.post("Profiler.enable")
  await session.post("Profiler.setSamplingInterval", { interval: 50 })
  const local = (await inProcess()).filter(([name]) => !name.includes("a tracer installed"))
  for (const [, call] of local) for (let i = 0; i < 1000; i++) await call()
  for (const [name, call] of local) {
    await session.post("Profiler.start")
    for (let i = 0; i < calls; i++) await call()
    const { profile } = await session.post("Profiler.stop")
    const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]))
    const micros = areas.map(() => 0)
    profile.samples?.forEach((id, i) => {
      const { url, functionName } = frames.get(id)!
      if (functionName === "(idle)") return
      micros[areas.findIndex(([, matches]) => matches(url, functionName))] += profile.timeDeltas?.[i] ?? 0
    })
    const total = micros.reduce((a, b) => a + b, 0)
    console.log(`\n${name}: ${(total / calls).toFixed(0)} µs CPU per call (profiled, ${calls} calls)`)
    areas.forEach(([area], i) =>
      micros[i] > 0 &&
      console.log(
        `  ${(micros[i] / calls).toFixed(1).padStart(6)} µs ${
          (100 * micros[i] / total).toFixed(1).padStart(5)
        } %  ${area}`,
      )
    )
  }
  await bare.shutdown()
  await server.close()
  Deno.exit(0)
}

const [onMock, onBare, local] = [
  await measure(await loopback(mockEndpoint)),
  await measure(await loopback(bareEndpoint)),
  await measure(await inProcess()),
]
console.log(
  `PUID quota(), ${CALLS} sequential calls per variant, median of ${REPS} repetitions (variants interleaved by ${BATCH})`,
)
console.log(`wall-clock per call, ratio to the first row (CPU time ratio), load average ${loadavg()[0].toFixed(1)}\n`)
console.log(row(["over loopback", "mock server", "bare Deno.serve"]))
console.log(row(["---", "---", "---"]))
onMock.forEach((m, i) => console.log(row([m.name, cell(m), cell(onBare[i])])))
console.log()
console.log(row(["in-process", "per call, ratio"]))
console.log(row(["---", "---"]))
local.forEach((m) => console.log(row([m.name, cell(m)])))

// gatehouse's pipeline alone: its no-tracing row against effect's HttpClient row, CPU time, the
// median over the repetitions of the ratio within each.
const pipeline = (table: ReadonlyArray<Measured>, httpClient: number, gatehouse: number) =>
  `${median(table[gatehouse].cpus.map((cpu, rep) => cpu / table[httpClient].cpus[rep])).toFixed(2)}x`
console.log()
const last = onMock.length - 1
for (const [against, row] of [["alone", 2], ["alone, its span off", 3]] as const) {
  console.log(
    `gatehouse's pipeline over effect's HttpClient ${against} (CPU): mock server ${pipeline(onMock, row, last)}, ` +
      `bare Deno.serve ${pipeline(onBare, row, last)}, in-process ${pipeline(local, row, last)}`,
  )
}

await bare.shutdown()
await server.close()
