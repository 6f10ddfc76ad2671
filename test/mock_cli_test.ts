import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { spawnSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import { createMock, serveMock } from "../mock/mod.ts"

const main = fileURLToPath(new URL("../mock/main.ts", import.meta.url))
const isDeno = (globalThis as { Deno?: unknown }).Deno !== undefined

/** Runs the mock's command line with `args` under the runtime running the tests. */
const cli = (...args: Array<string>) => {
  const runtimeArgs = isDeno ? ["run", "--allow-env", "--allow-net", "--allow-read", main, ...args] : [main, ...args]
  const result = spawnSync(process.execPath, runtimeArgs, { encoding: "utf8", timeout: 30_000 })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}

describe("the mock's command line", () => {
  it("--help prints the usage with every option and exits 0", () => {
    const { status, stdout } = cli("--help")
    assert.equal(status, 0)
    for (const option of ["--port", "--host", "--help"]) assert.match(stdout, new RegExp(option))
  })

  it("an unknown option is refused, named, with exit 2", () => {
    const { status, stderr } = cli("--bogus")
    assert.equal(status, 2)
    assert.match(stderr, /unknown option --bogus/)
  })

  it("a port that is not a number is refused with exit 2", () => {
    const { status, stderr } = cli("--port", "abc")
    assert.equal(status, 2)
    assert.match(stderr, /--port must be an integer from 0 to 65535, not abc/)
  })

  it("a busy port is one line and exit 1, no stack trace", async () => {
    const server = await serveMock(createMock(), { port: 0 })
    try {
      const { status, stderr } = cli("--port", String(server.port))
      assert.equal(status, 1)
      assert.equal(stderr.trim(), `port ${server.port} is in use on 127.0.0.1; try --port 0`)
    } finally {
      await server.close()
    }
  })
})
