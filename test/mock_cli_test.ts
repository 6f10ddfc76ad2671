import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { spawn, spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { createMock, serveMock } from "../mock/mod.ts"

const main = fileURLToPath(new URL("../mock/main.ts", import.meta.url))
const isDeno = (globalThis as { Deno?: unknown }).Deno !== undefined

const runtimeArgs = (args: ReadonlyArray<string>) =>
  isDeno ? ["run", "--allow-env", "--allow-net", "--allow-read", "--allow-write", main, ...args] : [main, ...args]

/** Runs the mock's command line with `args` under the runtime running the tests, to its end. */
const cli = (...args: Array<string>) => {
  const result = spawnSync(process.execPath, runtimeArgs(args), { encoding: "utf8", timeout: 90_000 })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}

/** Polls `probe` until it answers something, for up to 90 s (a loaded machine starts slowly). */
const eventually = async <A>(probe: () => A | undefined, what: string): Promise<A> => {
  for (let i = 0; i < 1800; i++) {
    const found = probe()
    if (found !== undefined) return found
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`timed out waiting for ${what}`)
}

/** Starts the mock server with `args` (on a free port), once it listens. */
const startServer = async (...args: Array<string>) => {
  const child = spawn(process.execPath, runtimeArgs(["--port", "0", ...args]), { stdio: ["ignore", "pipe", "pipe"] })
  let stdout = ""
  let stderr = ""
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk))
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk))
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
  const url = await eventually(() => /listening on (\S+)/.exec(stdout)?.[1], `the server to listen (${stderr})`)
  return {
    url,
    stdout: () => stdout,
    /** Sends `signal` and answers the exit code. */
    stop: (signal: "SIGTERM" | "SIGINT" = "SIGTERM") => {
      // `process.kill`, not `child.kill`: under Deno the latter skips the child's own handlers.
      process.kill(child.pid!, signal)
      return exited
    },
  }
}

const scratch = () => mkdtempSync(join(tmpdir(), "gatehouse-mock-cli-"))

describe("the mock's command line", () => {
  it("--help prints the usage with every option and exits 0", () => {
    const { status, stdout } = cli("--help")
    assert.equal(status, 0)
    for (const option of ["--port", "--host", "--apis", "--seed", "--state", "--latency", "--quiet", "--help"]) {
      assert.match(stdout, new RegExp(`^  ${option}`, "m"))
    }
  })

  it("an unknown option is refused, named, with exit 2", () => {
    const { status, stderr } = cli("--bogus")
    assert.equal(status, 2)
    assert.match(stderr, /unknown option --bogus/)
  })

  it("a port that is not a number is refused with exit 2, naming where it came from", () => {
    const { status, stderr } = cli("--port", "abc")
    assert.equal(status, 2)
    assert.match(stderr, /--port must be an integer from 0 to 65535, not abc/)
    const fromEnv = spawnSync(process.execPath, runtimeArgs([]), {
      encoding: "utf8",
      timeout: 90_000,
      env: { ...process.env, MOCK_PORT: "abc" },
    })
    assert.equal(fromEnv.status, 2)
    assert.match(fromEnv.stderr, /MOCK_PORT must be an integer from 0 to 65535, not abc/)
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

  it("refuses an unknown API, a bad latency, a seed that cannot be read or is not a state, and a state file that cannot be written, with exit 2", () => {
    const dir = scratch()
    try {
      const refusals: ReadonlyArray<readonly [ReadonlyArray<string>, RegExp]> = [
        [["--apis", "puid,nope"], /--apis: unknown API nope \(the APIs: puid, machineid, apikeys, authpi, puguh\)/],
        [["--latency", "fast"], /--latency must be a whole number of milliseconds, not fast/],
        [["--seed", join(dir, "absent.json")], /--seed .*absent\.json: cannot be read/],
        [["--seed", write(dir, "bad.json", "{nope")], /--seed .*bad\.json: not JSON/],
        [["--seed", write(dir, "list.json", "[]")], /must be a JSON object of states by API name/],
        [["--seed", write(dir, "puid.json", '{"puid":{"next":"x"}}')], /--seed .*puid\.json: puid: /],
        [["--seed", write(dir, "puguh.json", '{"puguh":{}}')], /puguh: its state cannot be restored/],
        [["--seed", write(dir, "nope.json", '{"nope":{}}')], /--seed .*nope\.json: no mock API named nope/],
        [["--seed", write(dir, "typo.json", '{"puid":{"apiKeyz":[]}}')], /--seed .*typo\.json: puid: .*apiKeyz/],
        [
          ["--state", write(dir, "nope-state.json", '{"nope":{}}')],
          /--state .*nope-state\.json: no mock API named nope/,
        ],
        // refused at start, not found out on exit with the state lost
        [["--state", join(dir, "absent", "state.json")], /--state .*state\.json: .*(No such file|ENOENT)/],
      ]
      for (const [args, message] of refusals) {
        const { status, stderr } = cli(...args)
        assert.equal(status, 2, args.join(" "))
        assert.match(stderr, message)
      }
    } finally {
      rmSync(dir, { recursive: true })
    }
  })

  it("--apis serves a subset; one log line per request (method, path, status, ms, API), never a secret", async () => {
    const server = await startServer("--apis", "puid,authpi", "--latency", "30")
    try {
      // The banner says how each API's demo credentials are sent.
      await eventually(() => server.stdout().includes("(send Authorization: Bearer <apiKey") || undefined, "the banner")
      assert.match(server.stdout(), /^ +\(send X-API-Key: <apiKey>, or Authorization: Bearer/m)
      const quota = await fetch(`${server.url}/puid/api/v1/quota?access_token=query-secret`, {
        headers: { "x-api-key": "puid_live_DemoFreeKey0000000000000", authorization: "Bearer header-secret" },
      })
      assert.equal(quota.status, 200)
      await quota.body?.cancel()
      const machineid = await fetch(`${server.url}/machineid/api/v1/usage`)
      assert.equal(machineid.status, 404)
      await machineid.body?.cancel()
      const health = await (await fetch(`${server.url}/__mock/health`)).json()
      assert.deepEqual(health.apis, ["puid", "authpi"])
      const log = await eventually(
        () => /^GET \/machineid\/api\/v1\/usage 404 [\d.]+ms -$/m.test(server.stdout()) ? server.stdout() : undefined,
        "the log lines",
      )
      const line = /^GET \/puid\/api\/v1\/quota 200 ([\d.]+)ms puid$/m.exec(log)
      assert.ok(line !== null, log)
      assert.ok(Number(line[1]) >= 29, `--latency 30 took ${line[1]} ms`)
      const requests = log.split("\n").filter((l) => /^[A-Z]+ \//.test(l))
      assert.equal(requests.length, 2, "control requests are not logged")
      for (const secret of ["query-secret", "header-secret", "puid_live_DemoFreeKey"]) {
        assert.ok(!requests.join("\n").includes(secret), secret)
      }
    } finally {
      assert.equal(await server.stop("SIGINT"), 0)
    }
  })

  it("--quiet logs no request", async () => {
    const server = await startServer("--quiet")
    try {
      await (await fetch(`${server.url}/puid/api/v1/ordinal/1`)).body?.cancel()
      await (await fetch(`${server.url}/__mock/journal?limit=1`)).json()
    } finally {
      assert.equal(await server.stop(), 0)
    }
    assert.doesNotMatch(server.stdout(), /^GET /m)
  })

  it("--state saves the state on exit and loads it on start; --seed starts from a state (and reset comes back to it), --state wins over it", async () => {
    const dir = scratch()
    const stateFile = join(dir, "state.json")
    try {
      const first = await startServer("--state", stateFile)
      const { apiKey } =
        await (await fetch(`${first.url}/__mock/puid/keys`, { method: "POST", body: '{"plan":"hobby"}' }))
          .json()
      await (await fetch(`${first.url}/__mock/machineid/orgs/org_demo_pro`, {
        method: "PATCH",
        body: '{"planState":"frozen"}',
      })).body?.cancel()
      assert.equal(await first.stop(), 0)
      assert.ok(existsSync(stateFile))
      const saved = readFileSync(stateFile, "utf8")
      assert.ok(saved.includes(apiKey))

      const second = await startServer("--state", stateFile, "--seed", write(dir, "empty.json", "{}"))
      try {
        const quota = await fetch(`${second.url}/puid/api/v1/quota`, { headers: { "x-api-key": apiKey } })
        assert.equal(quota.status, 200)
        assert.equal((await quota.json()).plan, "hobby")
      } finally {
        assert.equal(await second.stop(), 0)
      }

      const seeded = await startServer("--seed", write(dir, "seed.json", saved))
      try {
        const org = async () =>
          (await (await fetch(`${seeded.url}/__mock/machineid/orgs/org_demo_pro`)).json()).planState
        assert.equal(await org(), "frozen")
        assert.equal((await fetch(`${seeded.url}/__mock/reset`, { method: "POST" })).status, 204)
        assert.equal(await org(), "frozen", "a reset comes back to the seed")
      } finally {
        assert.equal(await seeded.stop(), 0)
      }
    } finally {
      rmSync(dir, { recursive: true })
    }
  })
})

describe("--state with --apis", () => {
  it("keeps the saved state of the APIs not served, and writes it back on exit", async () => {
    const dir = scratch()
    const stateFile = join(dir, "state.json")
    try {
      const all = await startServer("--state", stateFile, "--quiet")
      await (await fetch(`${all.url}/__mock/machineid/orgs/org_demo_pro`, {
        method: "PATCH",
        body: '{"planState":"frozen"}',
      })).body?.cancel()
      assert.equal(await all.stop(), 0)

      const puidOnly = await startServer("--state", stateFile, "--apis", "puid", "--quiet")
      assert.equal(await puidOnly.stop(), 0)
      const saved = JSON.parse(readFileSync(stateFile, "utf8"))
      assert.deepEqual(Object.keys(saved).sort(), ["apikeys", "authpi", "machineid", "puid"])

      const again = await startServer("--state", stateFile, "--quiet")
      try {
        const org = await (await fetch(`${again.url}/__mock/machineid/orgs/org_demo_pro`)).json()
        assert.equal(org.planState, "frozen")
      } finally {
        assert.equal(await again.stop(), 0)
      }
    } finally {
      rmSync(dir, { recursive: true })
    }
  })
})

/** Writes `text` to `name` in `dir`; answers the path. */
const write = (dir: string, name: string, text: string) => {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}
