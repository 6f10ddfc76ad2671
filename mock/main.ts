/**
 * `deno task mock`: the mock server for every gatehouse API on one port.
 *
 * Flags: `--port N` (default 4010, or `MOCK_PORT`), `--hostname H` (default 127.0.0.1).
 *
 * @module
 */
import { createMock } from "./mod.ts"
import { serveMock } from "./server.ts"

const flag = (name: string): string | undefined => {
  const args = (globalThis as { Deno?: { args: Array<string> } }).Deno?.args ??
    (globalThis as { process?: { argv: Array<string> } }).process?.argv.slice(2) ?? []
  const inline = args.find((arg) => arg.startsWith(`--${name}=`))
  if (inline !== undefined) return inline.slice(name.length + 3)
  const at = args.indexOf(`--${name}`)
  return at === -1 ? undefined : args[at + 1]
}

const env = (name: string): string | undefined =>
  (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env[name]

const port = Number(flag("port") ?? env("MOCK_PORT") ?? 4010)
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be an integer from 0 to 65535, not ${flag("port")}`)
  throw new Error("invalid --port")
}

const mock = createMock()
const server = await serveMock(mock, { port, hostname: flag("hostname") ?? "127.0.0.1" })

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
