// The mock server from the same entry (mock/main.ts) on Deno, Bun and Node 22+: each runtime found
// is started with --port 0, answers the issue-11 routes and the limits, and stops on SIGTERM.
// Node 22 runs the checkout's TypeScript with --experimental-transform-types (strip-only mode
// refuses the mock's parameter properties); set GATEHOUSE_NODE22 to its binary, or install it
// with .ci/runtimes.sh (into .tools/node22).
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { APIKEYS_DEMO, MACHINEID_DEMO, PUID_DEMO } from "../mock/mod.ts"
import { ordinalToPuid } from "../src/puid/mod.ts"

const root = fileURLToPath(new URL("..", import.meta.url))
const runtime = globalThis as { Deno?: unknown; Bun?: unknown }

/** The binary of `name` when `--version` runs, else `undefined`. */
const found = (binary: string | undefined): string | undefined =>
  binary !== undefined && spawnSync(binary, ["--version"], { encoding: "utf8" }).status === 0 ? binary : undefined

/** A Node whose major version is 22 or later. */
const node22 = (): string | undefined =>
  [process.env.GATEHOUSE_NODE22, `${root}.tools/node22/node_modules/.bin/node`, "node"]
    .filter((binary): binary is string => binary !== undefined && (binary === "node" || existsSync(binary)))
    .find((binary) =>
      Number(/^v(\d+)/.exec(spawnSync(binary, ["--version"], { encoding: "utf8" }).stdout ?? "")?.[1]) >= 22
    )

const RUNTIMES: ReadonlyArray<{ name: string; binary: string | undefined; args: ReadonlyArray<string> }> = [
  {
    name: "Deno",
    binary: found(runtime.Deno !== undefined ? process.execPath : "deno"),
    args: ["run", "--allow-env", "--allow-net", "--allow-read", "--allow-write", "--allow-sys", "mock/main.ts"],
  },
  { name: "Bun", binary: found(runtime.Bun !== undefined ? process.execPath : "bun"), args: ["run", "mock/main.ts"] },
  { name: "Node 22", binary: node22(), args: ["--experimental-transform-types", "--no-warnings", "mock/main.ts"] },
]

/** Starts the mock server on a free port; resolves with its URL once it prints it. */
const start = (binary: string, args: ReadonlyArray<string>): Promise<{ url: string; child: ChildProcess }> =>
  new Promise((resolve, reject) => {
    const child = spawn(binary, [...args, "--port", "0"], { cwd: root, stdio: ["ignore", "pipe", "pipe"] })
    let out = ""
    let err = ""
    child.stdout!.on("data", (chunk) => {
      out += chunk
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1]
      if (url !== undefined) resolve({ url, child })
    })
    child.stderr!.on("data", (chunk) => (err += chunk))
    child.on("exit", (code) => reject(new Error(`exited ${code} before listening: ${err}`)))
  })

/**
 * Stops the server with SIGTERM; resolves with its exit code. Deno's `node:child_process` reports
 * a child that handled the signal and exited 0 as killed by it (code `null`), so there the code is
 * read as 0 when the signal named is the one sent.
 */
const stop = (child: ChildProcess): Promise<number | null> =>
  new Promise((resolve) => {
    child.removeAllListeners("exit")
    child.on("exit", (code, signal) =>
      resolve(code === null && runtime.Deno !== undefined && signal === "SIGTERM" ? 0 : code))
    child.kill("SIGTERM")
  })

for (const { name, binary, args } of RUNTIMES) {
  describe(`the mock server on ${name}`, () => {
    it("answers PUID, MachineID and API keys, refuses a large body (413) and large headers (431), stops on SIGTERM", {
      skip: binary === undefined ? `${name} is not installed` : false,
    }, async () => {
      const { url, child } = await start(binary!, args)
      try {
        const puid = ordinalToPuid(7n)
        const ordinal = await fetch(`${url}/puid/api/v1/ordinal/${puid}`)
        assert.equal(ordinal.status, 200)
        assert.deepEqual(await ordinal.json(), {
          puid,
          ordinal: "7",
          truth: `This "random unique" id was always just #7.`,
        })

        const ids = await fetch(`${url}/puid/api/v1/ids?n=2`, { headers: { "x-api-key": PUID_DEMO.apiKey } })
        assert.equal(ids.status, 200)
        assert.equal(((await ids.json()) as { count: number }).count, 2)

        const validate = await fetch(`${url}/machineid/api/v1/devices/validate`, {
          method: "POST",
          headers: { "x-org-key": MACHINEID_DEMO.proOrgKey, "content-type": "application/json" },
          body: JSON.stringify({ deviceId: "runtime-test" }),
        })
        assert.equal(validate.status, 200)
        assert.equal(((await validate.json()) as { code: string }).code, "DEVICE_NOT_FOUND")

        const verify = await fetch(`${url}/apikeys/api/keys/verify`, {
          method: "POST",
          headers: { "x-validator-key": APIKEYS_DEMO.validatorKey, "content-type": "application/json" },
          body: JSON.stringify({ key: APIKEYS_DEMO.apiKey }),
        })
        assert.equal(verify.status, 200)
        assert.equal(((await verify.json()) as { id: string }).id, APIKEYS_DEMO.keyId)

        const large = await fetch(`${url}/machineid/api/v1/devices/validate`, {
          method: "POST",
          headers: { "x-org-key": MACHINEID_DEMO.proOrgKey, "content-type": "application/json" },
          body: JSON.stringify({ deviceId: "x".repeat(2_000_000) }),
        })
        assert.equal(large.status, 413)
        assert.equal(((await large.json()) as { error: string }).error, "payload_too_large")

        const headers = await fetch(`${url}/puid/api/v1/quota`, { headers: { "x-padding": "x".repeat(20_000) } })
        assert.equal(headers.status, 431)
        await headers.body?.cancel()
      } finally {
        assert.equal(await stop(child), 0)
      }
    })
  })
}

describe("a script on the in-process mock", () => {
  it("exits when it is done, though it never closed the mock (its key validations are written, then no timer is left)", () => {
    const script = fileURLToPath(new URL("./fixtures/mock_script_exits.ts", import.meta.url))
    const args = runtime.Deno !== undefined ? ["run", "--allow-env", "--allow-read", "--allow-sys", script] : [script]
    const result = spawnSync(process.execPath, args, { encoding: "utf8", timeout: 60_000, cwd: root })
    assert.equal(result.signal, null, `killed after 60 s: the process did not exit (${result.stderr})`)
    assert.equal(result.status, 0, result.stderr)
    assert.equal(result.stdout.trim(), "200")
  })
})
