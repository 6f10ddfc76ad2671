/**
 * `deno task mock`: the mock server for every gatehouse API on one port.
 *
 * `deno task mock [options]` (`--help` lists them); `MOCK_PORT` sets the port too. Runs on Deno,
 * Bun (`bun run mock/main.ts`) and Node 22+.
 *
 * @module
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs"
import { createMock, MOCK_APIS } from "./mod.ts"
import { serveMock } from "./server.ts"

const USAGE = `gatehouse mock: every gatehouse API's mock on one port

Usage: deno task mock [options]

Options:
  --port N         the port to listen on; 0 picks a free one (default 4010, or MOCK_PORT)
  --host H         the interface to listen on (default 127.0.0.1; --hostname works too)
  --apis A,B       serve these APIs only (${MOCK_APIS.join(", ")}; default all)
  --seed FILE      start from this state: JSON by API name, as GET /__mock/state answers
  --state FILE     load the state from FILE at start (when it exists) and save it there on exit
  --latency MS     wait MS milliseconds before every API answer (a fault's delay replaces it)
  --quiet          no line per request (method, path, status, time, API)
  --help, -h       this text

Each API is served under its own prefix (/puid/api, /machineid, /apikeys, /authpi, /puguh), with its
OpenAPI document at <prefix>/openapi.json and /openapi.yaml; / is an index page with a live view of
the requests; the control API is under /__mock (GET /__mock lists its routes).`

interface Process {
  readonly argv: ReadonlyArray<string>
  readonly env: Readonly<Record<string, string | undefined>>
  exit(code: number): never
  on(signal: string, listener: () => void): void
}
const runtime = globalThis as { Deno?: { args: ReadonlyArray<string> }; process?: Process }
const args = runtime.Deno?.args ?? runtime.process?.argv.slice(2) ?? []

const fail = (message: string): never => {
  console.error(`${message}\n(deno task mock --help for the options)`)
  return runtime.process!.exit(2)
}

const FLAGS = new Set(["port", "host", "hostname", "apis", "seed", "state", "latency", "quiet", "help", "h"])
const SWITCHES = new Set(["quiet", "help"])

/** The flags given, each checked: an unknown one, or one without its value, ends the program. */
const parse = (argv: ReadonlyArray<string>): Record<string, string> => {
  const flags: Record<string, string> = {}
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    const match = /^--?([a-z-]+)(?:=(.*))?$/.exec(arg)
    if (match === null || !FLAGS.has(match[1])) fail(`unknown option ${arg}`)
    const name = match![1] === "hostname" ? "host" : match![1] === "h" ? "help" : match![1]
    if (SWITCHES.has(name)) {
      flags[name] = "true"
      continue
    }
    const value = match![2] ?? argv[++i]
    if (value === undefined || value.startsWith("--")) fail(`--${name} needs a value`)
    flags[name] = value
  }
  return flags
}

/** The JSON object in `file`, or the end of the program saying why not. */
const readState = (flag: string, file: string): Record<string, unknown> => {
  let value: unknown
  try {
    value = JSON.parse(readFileSync(file, "utf8"))
  } catch (error) {
    return fail(`--${flag} ${file}: ${error instanceof SyntaxError ? "not JSON" : "cannot be read"}`)
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return fail(`--${flag} ${file}: must be a JSON object of states by API name`)
  }
  return value as Record<string, unknown>
}

const flags = parse(args)
if (flags.help !== undefined) {
  console.log(USAGE)
  runtime.process!.exit(0)
}
const portFrom = flags.port !== undefined ? "--port" : "MOCK_PORT"
const portText = flags.port ?? runtime.process?.env.MOCK_PORT ?? "4010"
const port = Number(portText)
if (!/^\d+$/.test(portText) || port > 65535) fail(`${portFrom} must be an integer from 0 to 65535, not ${portText}`)
const hostname = flags.host ?? "127.0.0.1"
const apis = flags.apis?.split(",").map((name) => name.trim())
const unknownApi = apis?.find((name) => !MOCK_APIS.includes(name))
if (unknownApi !== undefined) fail(`--apis: unknown API ${unknownApi} (the APIs: ${MOCK_APIS.join(", ")})`)
if (flags.latency !== undefined && !/^\d{1,7}$/.test(flags.latency)) {
  fail(`--latency must be a whole number of milliseconds, not ${flags.latency}`)
}

/** Runs `build`; an `Error` it throws ends the program, naming `flag`'s file. */
const loading = <A>(flag: string, file: string | undefined, build: () => A): A => {
  try {
    return build()
  } catch (error) {
    return fail(`--${flag} ${file}: ${(error as Error).message}`)
  }
}
const seed = flags.seed === undefined ? undefined : readState("seed", flags.seed)
const mock = loading("seed", flags.seed, () => createMock({ apis, seed }))
// A saved state is where the last run stopped; `POST /__mock/reset` still goes back to the seed.
// The states of the APIs not served this time (`--apis`) are kept, and written back on save.
const stateFile = flags.state
let unserved: Record<string, unknown> = {}
if (stateFile !== undefined && existsSync(stateFile)) {
  const served = new Set(mock.apis.map((api) => api.name))
  const state = readState("state", stateFile)
  const unknown = Object.keys(state).find((name) => !MOCK_APIS.includes(name))
  if (unknown !== undefined) {
    fail(`--state ${stateFile}: no mock API named ${unknown} (the APIs: ${MOCK_APIS.join(", ")})`)
  }
  unserved = Object.fromEntries(Object.entries(state).filter(([name]) => !served.has(name)))
  loading(
    "state",
    stateFile,
    () => mock.restore(Object.fromEntries(Object.entries(state).filter(([name]) => served.has(name)))),
  )
}
if (flags.latency !== undefined) mock.setLatency(Number(flags.latency))

/** Writes the state to the `--state` file, whole or not at all. */
const saveState = (file: string) => {
  writeFileSync(`${file}.tmp`, JSON.stringify({ ...unserved, ...mock.snapshot() }, null, 2))
  renameSync(`${file}.tmp`, file)
}
// Saved once now, so that a file that cannot be written is refused before the server starts, not
// found out on exit when the state would be lost.
if (stateFile !== undefined) loading("state", stateFile, () => saveState(stateFile))

const server = await serveMock(mock, { port, hostname }).catch((error: unknown) => {
  const code = (error as { code?: string; name?: string }).code ?? (error as { name?: string }).name
  const why = code === "EADDRINUSE" || code === "AddrInUse"
    ? `port ${port} is in use on ${hostname}; try --port 0`
    : `could not listen on ${hostname}:${port}: ${error instanceof Error ? error.message : String(error)}`
  console.error(why)
  return runtime.process!.exit(1)
})

// On every interface (0.0.0.0, ::), this machine's callers reach it at 127.0.0.1.
const shown = hostname === "0.0.0.0" || hostname === "::"
  ? server.url.replace(/\/\/.*:(\d+)$/, "//127.0.0.1:$1")
  : server.url
const lines = [
  `gatehouse mock listening on ${server.url}${shown === server.url ? "" : ` (${shown} from this machine)`}`,
  "",
]
for (const api of mock.apis) {
  lines.push(`${api.name.padEnd(10)} ${shown}${api.mount}`)
  for (const [name, value] of Object.entries(api.demo)) lines.push(`${"".padEnd(10)} ${name}: ${value}`)
  if (api.credentialHint !== undefined) lines.push(`${"".padEnd(10)} (send ${api.credentialHint})`)
}
lines.push("", `index      ${shown}/`, `control    ${shown}/__mock  (GET it for every control route)`)
console.log(lines.join("\n"))

// One line per request: the path without its query (which may carry a token), never a header.
// The lines of the requests answered in one turn of the event loop are written together.
let pending: Array<string> = []
const flush = () => {
  if (pending.length === 0) return
  console.log(pending.join("\n"))
  pending = []
}
if (flags.quiet === undefined) {
  mock.observe((entry) => {
    const ms = entry.durationMs === undefined ? "" : ` ${entry.durationMs.toFixed(1)}ms`
    if (pending.length === 0) setTimeout(flush, 0)
    pending.push(`${entry.method} ${entry.path} ${entry.status ?? "dropped"}${ms} ${entry.api ?? "-"}`)
  })
}

// Ctrl-C or a stop from an orchestrator: close the server, save the state, then exit cleanly.
const stop = () =>
  void server.close().then(() => {
    flush()
    try {
      if (stateFile !== undefined) saveState(stateFile)
    } catch (error) {
      console.error(`--state ${stateFile}: the state could not be saved: ${(error as Error).message}`)
      return runtime.process?.exit(1)
    }
    runtime.process?.exit(0)
  })
for (const signal of ["SIGINT", "SIGTERM"]) runtime.process?.on(signal, stop)
