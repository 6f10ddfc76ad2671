/**
 * `deno task mock`: the mock server for every gatehouse API on one port.
 *
 * `deno task mock [--port N] [--host H] [--help]`; `MOCK_PORT` sets the port too. Runs on Deno,
 * Bun (`bun run mock/main.ts`) and Node 22+.
 *
 * @module
 */
import { createMock } from "./mod.ts"
import { serveMock } from "./server.ts"

const USAGE = `gatehouse mock: every gatehouse API's mock on one port

Usage: deno task mock [options]

Options:
  --port N       the port to listen on; 0 picks a free one (default 4010, or MOCK_PORT)
  --host H       the interface to listen on (default 127.0.0.1; --hostname works too)
  --help, -h     this text

Each API is served under its own prefix (/puid/api, /machineid, /apikeys, /authpi, /puguh), with its
OpenAPI document at <prefix>/openapi.json and /openapi.yaml; the control API is under /__mock.`

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

/** The flags given, each checked: an unknown one, or one without its value, ends the program. */
const parse = (argv: ReadonlyArray<string>): Record<string, string> => {
  const known = new Set(["port", "host", "hostname", "help", "h"])
  const flags: Record<string, string> = {}
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    const match = /^--?([a-z-]+)(?:=(.*))?$/.exec(arg)
    if (match === null || !known.has(match[1])) fail(`unknown option ${arg}`)
    const name = match![1] === "hostname" ? "host" : match![1] === "h" ? "help" : match![1]
    if (name === "help") {
      flags.help = "true"
      continue
    }
    const value = match![2] ?? argv[++i]
    if (value === undefined || value.startsWith("--")) fail(`--${name} needs a value`)
    flags[name] = value
  }
  return flags
}

const flags = parse(args)
if (flags.help !== undefined) {
  console.log(USAGE)
  runtime.process!.exit(0)
}
const portText = flags.port ?? runtime.process?.env.MOCK_PORT ?? "4010"
const port = Number(portText)
if (!/^\d+$/.test(portText) || port > 65535) fail(`--port must be an integer from 0 to 65535, not ${portText}`)
const hostname = flags.host ?? "127.0.0.1"

const mock = createMock()
const server = await serveMock(mock, { port, hostname }).catch((error: unknown) => {
  const code = (error as { code?: string; name?: string }).code ?? (error as { name?: string }).name
  const why = code === "EADDRINUSE" || code === "AddrInUse"
    ? `port ${port} is in use on ${hostname}; try --port 0`
    : `could not listen on ${hostname}:${port}: ${error instanceof Error ? error.message : String(error)}`
  console.error(why)
  return runtime.process!.exit(1)
})

const lines = [`gatehouse mock listening on ${server.url}`, ""]
for (const api of mock.apis) {
  lines.push(`${api.name.padEnd(10)} ${server.url}${api.mount}`)
  for (const [name, value] of Object.entries(api.demo)) lines.push(`${"".padEnd(10)} ${name}: ${value}`)
}
lines.push(
  "",
  `control    ${server.url}/__mock  (POST /reset, POST /clock {advanceMs}, POST|DELETE /faults, GET /journal)`,
)
console.log(lines.join("\n"))

// Ctrl-C or a stop from an orchestrator: close the server, then exit cleanly.
const stop = () => void server.close().then(() => runtime.process?.exit(0))
for (const signal of ["SIGINT", "SIGTERM"]) runtime.process?.on(signal, stop)
