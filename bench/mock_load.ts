/**
 * `deno task bench:mock`: the mock server under load, side by side with its peers, in one run.
 *
 * autocannon (-c 64 -d 10 by default) against the gatehouse mock on Deno (and Bun and Node 22 when
 * present), a bare `Deno.serve` answering the same bytes, Prism serving our own OpenAPI documents,
 * and WireMock with stub mappings of the same answers. Repetitions are interleaved (every target
 * once, then again), so a machine whose load changes during the run shifts every column alike.
 * Server CPU per request is read from /proc (user + system time of the server process; reading
 * another process's /proc entry is why the task runs with --allow-all).
 *
 * Peers are installed from npm into a scratch folder that is not committed (`bench/.peers`, or
 * `--peers DIR`). Java 17 runs WireMock; Node 22 comes from the `node@22` npm package.
 *
 * It also prints, for each gatehouse runtime, the time from spawning the server to its first answer
 * (the second start, warm), and the errors of a `--wide`-connection run (1,000 by default; `--wide 0` skips it) on the
 * first route.
 *
 * `deno task bench:mock [--duration 10] [--connections 64] [--reps 3] [--targets deno,bun,node,bare,prism,wiremock]
 *   [--routes ordinal,ids,validate,verify] [--wide 1000] [--peers DIR]`
 *
 * @module
 */
const root = new URL("..", import.meta.url).pathname

/** `--name value` flags over their defaults; an unknown flag ends the run. */
const parseFlags = <const D extends Record<string, string>>(
  args: ReadonlyArray<string>,
  defaults: D,
): D & { bare?: string } => {
  const flags: Record<string, string> = { ...defaults }
  for (let i = 0; i < args.length; i += 2) {
    const name = args[i].replace(/^--/, "")
    if (!(name in defaults) && name !== "bare") throw new Error(`unknown flag ${args[i]}`)
    flags[name] = args[i + 1]
  }
  return flags as D & { bare?: string }
}

const flags = parseFlags(Deno.args, {
  duration: "10",
  connections: "64",
  reps: "3",
  targets: "deno,bun,node,bare,prism,wiremock",
  routes: "ordinal,ids,validate,verify",
  wide: "1000",
  peers: `${root}bench/.peers`,
})

/** One route of the table: how to call it on the gatehouse mock, and where each peer serves it. */
interface Route {
  readonly name: string
  readonly title: string
  readonly method: "GET" | "POST"
  /** The path on the gatehouse mock (below its origin). */
  readonly path: string
  /** The API's mount on the gatehouse mock: Prism serves each API's document at its root. */
  readonly mount: string
  readonly headers: Readonly<Record<string, string>>
  readonly body?: string
}

const ROUTES: ReadonlyArray<Route> = [
  {
    name: "ordinal",
    title: "PUID ordinal",
    method: "GET",
    path: "/puid/api/v1/ordinal/64qAN39GjJh5kbi4HROOxh",
    mount: "/puid/api",
    headers: {},
  },
  {
    // One request a second per account is admitted: under load nearly every answer is the 429.
    name: "ids",
    title: "PUID ids (429 past 1/s)",
    method: "GET",
    path: "/puid/api/v1/ids?n=5",
    mount: "/puid/api",
    headers: { "x-api-key": "puid_live_DemoUnlimitedKey00000000" },
  },
  {
    name: "validate",
    title: "MachineID validate",
    method: "POST",
    path: "/machineid/api/v1/devices/validate",
    mount: "/machineid",
    headers: { "x-org-key": "org_demo_pro", "content-type": "application/json" },
    body: JSON.stringify({ deviceId: "bench-device" }),
  },
  {
    name: "verify",
    title: "API keys verify",
    method: "POST",
    path: "/apikeys/api/keys/verify",
    mount: "/apikeys",
    headers: { "x-validator-key": "gatehouse-demo-validator-key", "content-type": "application/json" },
    body: JSON.stringify({ key: "sk_DemoKeyForTheGatehouseMock00000000000000000" }),
  },
]

/** What the gatehouse mock answered on a route: the peers serve the same bytes. */
interface Sample {
  readonly status: number
  readonly contentType: string
  readonly body: string
}

// --- peers, targets and measurements ------------------------------------------------------------

async function run(command: string, args: ReadonlyArray<string>, cwd?: string): Promise<string> {
  const output = await new Deno.Command(command, { args: [...args], cwd, stdout: "piped", stderr: "piped" }).output()
  if (!output.success) throw new Error(`${command} ${args.join(" ")}: ${new TextDecoder().decode(output.stderr)}`)
  return new TextDecoder().decode(output.stdout)
}

const exists = (path: string) => Deno.stat(path).then(() => true, () => false)

/** Installs autocannon, Prism, WireMock and Node 22 into the scratch folder, once. */
async function installPeers(dir: string): Promise<void> {
  if (await exists(`${dir}/node_modules/autocannon`)) return
  await Deno.mkdir(dir, { recursive: true })
  await Deno.writeTextFile(`${dir}/package.json`, JSON.stringify({ private: true }))
  console.error(`installing autocannon, @stoplight/prism-cli, wiremock and node@22 into ${dir} ...`)
  await run("npm", [
    "install",
    "--no-audit",
    "--no-fund",
    "autocannon@8",
    "@stoplight/prism-cli@5",
    "wiremock@3",
    "node@22",
  ], dir)
}

/** A server the bench drives: its base URL per route, and its process for the CPU it used. */
interface Target {
  readonly name: string
  readonly process: Deno.ChildProcess
  readonly urlOf: (route: Route) => string
}

const freePort = (): number => {
  const listener = Deno.listen({ port: 0, hostname: "127.0.0.1" })
  const { port } = listener.addr as Deno.NetAddr
  listener.close()
  return port
}

/** Waits until `url` answers (any status), polling every `every` ms, or fails after `seconds`. */
async function ready(url: string, seconds = 60, every = 100): Promise<void> {
  const deadline = Date.now() + seconds * 1000
  while (Date.now() < deadline) {
    try {
      await (await fetch(url)).body?.cancel()
      return
    } catch {
      await new Promise((resolve) => setTimeout(resolve, every))
    }
  }
  throw new Error(`${url} did not answer within ${seconds} s`)
}

function spawn(command: string, args: ReadonlyArray<string>, cwd = root): Deno.ChildProcess {
  return new Deno.Command(command, { args: [...args], cwd, stdout: "null", stderr: "inherit" }).spawn()
}

/** Milliseconds from spawning each gatehouse server to its first answer (the second start: warm). */
const startups = new Map<string, number>()

/** The gatehouse mock on `runtime`, from the same entry. */
async function gatehouse(runtime: string, peers: string): Promise<Target | undefined> {
  const port = freePort()
  const entry = ["mock/main.ts", "--port", String(port)]
  const node22 = `${peers}/node_modules/.bin/node`
  const command = runtime === "deno"
    ? [Deno.execPath(), "run", "-A", ...entry]
    : runtime === "bun"
    ? ["bun", "run", ...entry]
    : [node22, "--experimental-transform-types", "--no-warnings", ...entry]
  if (runtime === "bun" && !(await run("bun", ["--version"]).then(() => true, () => false))) return undefined
  if (runtime === "node" && !(await exists(node22))) return undefined
  const origin = `http://127.0.0.1:${port}`
  const start = () => {
    const started = performance.now()
    const process = spawn(command[0], command.slice(1))
    return ready(`${origin}/__mock/health`, 60, 1).then(() => ({ process, ms: performance.now() - started }))
  }
  const cold = await start()
  cold.process.kill("SIGTERM")
  await cold.process.status
  const { process, ms } = await start()
  const name = `gatehouse (${runtime === "node" ? "Node 22" : runtime === "bun" ? "Bun" : "Deno"})`
  startups.set(name, ms)
  return {
    name,
    process,
    urlOf: (route) => `${origin}${route.path}`,
  }
}

async function bare(peers: string): Promise<Target> {
  const port = freePort()
  const process = spawn(Deno.execPath(), ["run", "-A", "bench/mock_load.ts", "--peers", peers, "--bare", String(port)])
  const origin = `http://127.0.0.1:${port}`
  await ready(origin)
  return { name: "bare Deno.serve", process, urlOf: (route) => `${origin}${route.path}` }
}

/** Prism 5 serving each API's own `/openapi.json`, one process per document (it serves one). */
async function prism(peers: string, routes: ReadonlyArray<Route>, mockOrigin: string): Promise<Array<Target>> {
  const targets: Array<Target> = []
  for (const mount of new Set(routes.map((route) => route.mount))) {
    const document = `${peers}/openapi${mount.replaceAll("/", "_")}.json`
    await Deno.writeTextFile(document, await (await fetch(`${mockOrigin}${mount}/openapi.json`)).text())
    const port = freePort()
    const process = spawn("node", [
      `${peers}/node_modules/@stoplight/prism-cli/dist/index.js`,
      "mock",
      "--port",
      String(port),
      "--host",
      "127.0.0.1",
      "--errors",
      "false",
      document,
    ])
    const origin = `http://127.0.0.1:${port}`
    await ready(origin)
    targets.push({
      name: `Prism ${mount}`,
      process,
      urlOf: (route) => `${origin}${route.path.slice(route.mount.length)}`,
    })
  }
  return targets
}

/** WireMock 3 (standalone jar from the `wiremock` npm package), threads tuned, no journal, one stub per route. */
async function wiremock(peers: string, routes: ReadonlyArray<Route>, samples: Map<string, Sample>): Promise<Target> {
  const home = `${peers}/wiremock`
  await Deno.mkdir(`${home}/mappings`, { recursive: true })
  for (const route of routes) {
    const sample = samples.get(route.name)!
    const url = new URL(route.path, "http://x")
    await Deno.writeTextFile(
      `${home}/mappings/${route.name}.json`,
      JSON.stringify({
        request: { method: route.method, urlPath: url.pathname },
        response: { status: sample.status, body: sample.body, headers: { "content-type": sample.contentType } },
      }),
    )
  }
  const jar = [...Deno.readDirSync(`${peers}/node_modules/wiremock/build`)].find((f) => f.name.endsWith(".jar"))!
  const port = freePort()
  const process = spawn("java", [
    "-jar",
    `${peers}/node_modules/wiremock/build/${jar.name}`,
    "--port",
    String(port),
    "--bind-address",
    "127.0.0.1",
    "--root-dir",
    home,
    "--container-threads",
    "64",
    "--jetty-acceptor-threads",
    "2",
    "--no-request-journal",
    "--disable-request-logging",
    "--disable-banner",
    "--async-response-enabled",
    "true",
  ])
  const origin = `http://127.0.0.1:${port}`
  await ready(`${origin}/__admin/health`, 90)
  return { name: "WireMock (tuned)", process, urlOf: (route) => `${origin}${route.path}` }
}

/** User + system CPU time of `pid`, in microseconds (Linux). */
async function cpuOf(pid: number): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`).catch(() => "")
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
  // utime and stime are fields 14 and 15 of stat; 12 and 13 after the command name.
  return (Number(fields[11]) + Number(fields[12])) * 10_000
}

interface Measure {
  readonly rps: number
  readonly p99: number
  readonly errors: number
  readonly cpuPerRequest: number
  readonly statuses: string
}

/** One autocannon run of `route` on `target`, `connections` at a time. */
async function load(
  peers: string,
  target: Target,
  route: Route,
  seconds: number,
  connections: string = flags.connections,
): Promise<Measure> {
  const args = [
    `${peers}/node_modules/autocannon/autocannon.js`,
    "-j",
    "-c",
    connections,
    "-d",
    String(seconds),
    "-m",
    route.method,
    ...Object.entries(route.headers).flatMap(([name, value]) => ["-H", `${name}: ${value}`]),
    ...(route.body === undefined ? [] : ["-b", route.body]),
    target.urlOf(route),
  ]
  const before = await cpuOf(target.process.pid)
  const result = JSON.parse(await run("node", args))
  const cpu = (await cpuOf(target.process.pid)) - before
  const total = result.requests.total as number
  const statuses = Object.entries(result.statusCodeStats ?? {}).map(([code, s]) =>
    `${code}:${(s as { count: number }).count}`
  )
  return {
    rps: result.requests.average,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    cpuPerRequest: total > 0 ? cpu / total : NaN,
    statuses: statuses.join(" "),
  }
}

const median = (values: ReadonlyArray<number>) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

async function main(): Promise<void> {
  const peers = flags.peers
  const wanted = new Set(flags.targets.split(","))
  const routes = ROUTES.filter((route) => flags.routes.split(",").includes(route.name))
  const seconds = Number(flags.duration)
  const reps = Number(flags.reps)
  await installPeers(peers)

  const targets: Array<Target> = []
  const stopAll = () => {
    for (const target of targets) {
      try {
        target.process.kill("SIGTERM")
      } catch { /* already gone */ }
    }
  }
  try {
    // The gatehouse mock on Deno first: its answers are what every peer serves.
    const deno = (await gatehouse("deno", peers))!
    targets.push(deno)
    const samples = new Map<string, Sample>()
    for (const route of routes) {
      // A first call spends the second's admission (PUID ids): the sample is what load meets.
      for (let i = 0; i < 2; i++) {
        const response = await fetch(deno.urlOf(route), {
          method: route.method,
          headers: route.headers,
          body: route.body,
        })
        samples.set(route.name, {
          status: response.status,
          contentType: response.headers.get("content-type") ?? "application/json",
          body: await response.text(),
        })
      }
    }
    await Deno.writeTextFile(
      `${peers}/samples.json`,
      JSON.stringify(Object.fromEntries(routes.map((route) => [route.path, samples.get(route.name)]))),
    )
    if (!wanted.has("deno")) targets.pop()
    for (const runtime of ["bun", "node"]) {
      if (!wanted.has(runtime)) continue
      const target = await gatehouse(runtime, peers)
      if (target === undefined) console.error(`${runtime}: not found, skipped`)
      else targets.push(target)
    }
    if (wanted.has("bare")) targets.push(await bare(peers))
    const prisms = wanted.has("prism") ? await prism(peers, routes, deno.urlOf({ path: "" } as Route)) : []
    if (wanted.has("wiremock")) targets.push(await wiremock(peers, routes, samples))
    targets.push(...prisms)
    if (!wanted.has("deno")) deno.process.kill("SIGTERM")

    const prismFor = (route: Route) => prisms.find((target) => target.name === `Prism ${route.mount}`)
    const forRoute = (route: Route) =>
      targets.filter((target) => !target.name.startsWith("Prism") || target === prismFor(route))

    // Warm-up (the JITs; WireMock's JVM keeps speeding up for ~20 s of load), then interleaved repetitions.
    for (const route of routes) {
      for (const target of forRoute(route)) {
        await load(peers, target, route, target.name.startsWith("WireMock") ? 10 : 2)
      }
    }
    const results = new Map<string, Array<Measure>>()
    for (let rep = 0; rep < reps; rep++) {
      for (const route of routes) {
        for (const target of forRoute(route)) {
          const key = `${route.name}|${target.name.startsWith("Prism") ? "Prism" : target.name}`
          const measure = await load(peers, target, route, seconds)
          results.set(key, [...results.get(key) ?? [], measure])
          console.error(
            `rep ${rep + 1} ${route.name} ${target.name}: ${measure.rps.toFixed(0)} req/s, p99 ${measure.p99} ms, ${
              measure.cpuPerRequest.toFixed(1)
            } µs CPU/req, ${measure.errors} errors, ${measure.statuses}`,
          )
        }
      }
    }
    report(routes, targets, results)
    for (const target of targets.filter((target) => startups.has(target.name))) {
      const startup = `${target.name}: first answer ${startups.get(target.name)!.toFixed(0)} ms after spawn (warm)`
      if (Number(flags.wide) === 0) {
        console.log(startup)
        continue
      }
      const wide = await load(peers, target, routes[0], 5, flags.wide)
      console.log(
        `${startup}; ${flags.wide} connections on ${routes[0].name}: ${wide.errors} errors, ${
          wide.rps.toFixed(0)
        } req/s, p99 ${wide.p99} ms`,
      )
    }
  } finally {
    stopAll()
  }
}

function report(routes: ReadonlyArray<Route>, targets: ReadonlyArray<Target>, results: Map<string, Array<Measure>>) {
  const columns = [...new Set(targets.map((target) => target.name.startsWith("Prism") ? "Prism" : target.name))]
  const cell = (route: Route, column: string) => {
    const measures = results.get(`${route.name}|${column}`)
    if (measures === undefined) return undefined
    return {
      rps: median(measures.map((m) => m.rps)),
      p99: median(measures.map((m) => m.p99)),
      cpu: median(measures.map((m) => m.cpuPerRequest)),
      errors: measures.reduce((sum, m) => sum + m.errors, 0),
    }
  }
  const lines = [
    `autocannon -c ${flags.connections} -d ${flags.duration}, ${flags.reps} interleaved reps, medians; ${navigator.hardwareConcurrency} cores; load average ${
      Deno.loadavg().map((l) => l.toFixed(1)).join(" ")
    }`,
    "",
    `| route | ${columns.join(" | ")} |`,
    `|---|${columns.map(() => "---").join("|")}|`,
  ]
  for (const route of routes) {
    const bareCell = cell(route, "bare Deno.serve")
    const cells = columns.map((column) => {
      const c = cell(route, column)
      if (c === undefined) return "-"
      const ratio = bareCell === undefined || column === "bare Deno.serve"
        ? ""
        : `, ${(c.rps / bareCell.rps).toFixed(2)}x bare req/s, ${(c.cpu / bareCell.cpu).toFixed(1)}x bare CPU`
      return `${(c.rps / 1000).toFixed(1)}k req/s, p99 ${c.p99} ms, ${c.cpu.toFixed(0)} µs CPU/req${ratio}${
        c.errors > 0 ? `, ${c.errors} errors` : ""
      }`
    })
    lines.push(`| ${route.title} | ${cells.join(" | ")} |`)
  }
  console.log(lines.join("\n"))
}

// --- the bare server: `deno run bench/mock_load.ts --bare PORT` answers each route's sample -------

if (flags.bare !== undefined) {
  const samples: Record<string, Sample> = JSON.parse(await Deno.readTextFile(`${flags.peers}/samples.json`))
  Deno.serve({ port: Number(flags.bare), hostname: "127.0.0.1", onListen: () => {} }, (request) => {
    const url = new URL(request.url)
    const sample = samples[url.pathname + url.search]
    return sample === undefined
      ? new Response("not found", { status: 404 })
      : new Response(sample.body, { status: sample.status, headers: { "content-type": sample.contentType } })
  })
} else {
  await main()
}
