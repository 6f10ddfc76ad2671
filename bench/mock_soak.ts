/**
 * `deno task bench:soak`: 100,000 hostile requests against the mock server, its RSS before and after.
 *
 * The mix, cycled: headers past the 16 KiB limit (431), bodies past the 1 MiB limit (413, declared
 * or chunked), JSON nested 10,000 deep (400), PUID OAuth registrations at their size caps (200,
 * capped at 1,000 clients), MachineID org creations (capped at 10,000 orgs), garbage bodies, paths,
 * methods and percent-encodings (400/404/405), and plain requests with long URLs for the journal.
 * Every answer must be one of the statuses the kind expects (a refused body may also reset the
 * connection); a 500, or a server that stops answering, fails the run.
 *
 * `deno task bench:soak [--requests 100000] [--concurrency 32]`
 *
 * The shorter version is `test/mock_limits_test.ts`.
 *
 * @module
 */
import { APIKEYS_DEMO, MACHINEID_DEMO, PUID_DEMO } from "../mock/mod.ts"

/** One hostile request and what the server may answer it. */
export interface Hostile {
  readonly kind: string
  readonly path: string
  readonly init: RequestInit
  /** The statuses that are right; `0` means the connection may be reset instead (a refused body). */
  readonly expect: ReadonlyArray<number>
}

const json = { "content-type": "application/json" }
const deep = (depth: number) => "[".repeat(depth) + "]".repeat(depth)
const bigHeader = "h".repeat(60_000)
const bigBody = JSON.stringify({ deviceId: "x".repeat(1_500_000) })

/** A body of `size` bytes sent without a length (chunked), so the server must stop reading it. */
const chunked = (size: number): ReadableStream<Uint8Array> => {
  let sent = 0
  const chunk = new TextEncoder().encode(`{"key":"${"k".repeat(65_536)}`)
  return new ReadableStream({
    pull(controller) {
      if (sent >= size) return controller.close()
      controller.enqueue(chunk)
      sent += chunk.byteLength
    },
  })
}

/** The `i`th hostile request of the cycle. */
export const hostile = (i: number): Hostile => {
  switch (i % 20) {
    case 0:
    case 1:
      return {
        kind: "huge headers",
        path: "/puid/api/v1/quota",
        init: { headers: { "x-api-key": PUID_DEMO.apiKey, "x-padding": bigHeader } },
        expect: [431],
      }
    case 2:
      // One in 200 is a body past the limit: declared (Content-Length), or chunked.
      return i % 200 === 2
        ? {
          kind: "huge body",
          path: "/machineid/api/v1/devices/validate",
          init: { method: "POST", headers: { ...json, "x-org-key": MACHINEID_DEMO.proOrgKey }, body: bigBody },
          expect: [413, 0],
        }
        : i % 200 === 102
        ? {
          kind: "huge chunked body",
          path: "/apikeys/api/keys/verify",
          init: {
            method: "POST",
            headers: { ...json, "x-validator-key": APIKEYS_DEMO.validatorKey },
            body: chunked(2_000_000),
            duplex: "half",
          } as RequestInit,
          expect: [413, 0],
        }
        : {
          kind: "long URL",
          path: `/puid/api/v1/ordinal/${"A".repeat(6_000)}`,
          init: {},
          expect: [200, 400],
        }
    case 3:
    case 4:
      return {
        kind: "deep JSON",
        path: i % 2 === 0 ? "/apikeys/api/keys" : "/machineid/api/v1/devices/register",
        init: {
          method: "POST",
          headers: { ...json, "x-admin-key": APIKEYS_DEMO.adminKey, "x-org-key": MACHINEID_DEMO.proOrgKey },
          body: `{"metadata":${deep(10_000)}}`,
        },
        expect: [400],
      }
    case 5:
    case 6:
      return {
        kind: "OAuth registration",
        path: "/puid/api/oauth/register",
        init: {
          method: "POST",
          headers: json,
          body: JSON.stringify({
            client_name: "n".repeat(256),
            redirect_uris: Array.from({ length: 5 }, (_, n) => `https://example.test/${n}/${"r".repeat(2_000)}`),
          }),
        },
        expect: [200, 201],
      }
    case 7:
      return {
        kind: "oversized registration",
        path: "/puid/api/oauth/register",
        init: {
          method: "POST",
          headers: json,
          body: JSON.stringify({ redirect_uris: Array.from({ length: 50 }, () => "https://example.test/cb") }),
        },
        expect: [400],
      }
    case 8:
      return { kind: "org creation", path: "/machineid/api/v1/org/create", init: { method: "POST" }, expect: [200] }
    case 9:
      return {
        kind: "garbage body",
        path: "/machineid/api/v1/devices/validate",
        init: {
          method: "POST",
          headers: { ...json, "x-org-key": MACHINEID_DEMO.proOrgKey },
          body: new Uint8Array(Array.from({ length: 512 }, (_, n) => (n * 7919 + i) % 256)),
        },
        expect: [400],
      }
    case 10:
      return { kind: "garbage path", path: `/puid/api/%E0%A4%A/${i}`, init: {}, expect: [400, 404] }
    case 11:
      return { kind: "wrong method", path: "/puid/api/v1/ids", init: { method: "DELETE" }, expect: [405] }
    case 12:
      return { kind: "unknown API", path: `/nowhere/${i}`, init: {}, expect: [404] }
    case 13:
      return {
        kind: "not JSON",
        path: "/apikeys/api/keys/verify",
        init: { method: "POST", headers: { ...json, "x-validator-key": APIKEYS_DEMO.validatorKey }, body: "{nope" },
        expect: [400],
      }
    case 14:
      return {
        kind: "many headers",
        path: "/machineid/api/v1/usage",
        init: {
          headers: Object.fromEntries(Array.from({ length: 60 }, (_, n) => [`x-h${n}`, "v".repeat(200)])),
        },
        expect: [200, 401],
      }
    default:
      return {
        kind: "plain",
        path: `/puid/api/v1/ordinal/64qAN39GjJh5kbi4HROOxh?pad=${"q".repeat(3_000)}`,
        init: {},
        expect: [200],
      }
  }
}

/** What a soak saw: answers by kind and status, and the answers that were wrong. */
export interface SoakResult {
  readonly counts: Record<string, Record<string, number>>
  readonly wrong: ReadonlyArray<string>
}

/** Sends `requests` hostile requests to `origin`, `concurrency` at a time. */
export const soak = async (origin: string, requests: number, concurrency: number): Promise<SoakResult> => {
  const counts: Record<string, Record<string, number>> = {}
  const wrong: Array<string> = []
  let next = 0
  const worker = async () => {
    while (next < requests) {
      const request = hostile(next++)
      const status = await fetch(`${origin}${request.path}`, request.init)
        .then(async (response) => {
          await response.body?.cancel()
          return response.status
        }, () => 0)
      const byStatus = counts[request.kind] ??= {}
      byStatus[status] = (byStatus[status] ?? 0) + 1
      if (!request.expect.includes(status) && wrong.length < 20) {
        wrong.push(`${request.kind} ${request.path.slice(0, 60)}: ${status}`)
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return { counts, wrong }
}

/** The resident set size of `pid`, in MiB (Linux). */
const rssOf = async (pid: number): Promise<number> => {
  const status = await Deno.readTextFile(`/proc/${pid}/status`)
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024
}

if (import.meta.main) {
  const flag = (name: string, fallback: number) => {
    const at = Deno.args.indexOf(`--${name}`)
    return at < 0 ? fallback : Number(Deno.args[at + 1])
  }
  const requests = flag("requests", 100_000)
  const concurrency = flag("concurrency", 32)
  const root = new URL("..", import.meta.url).pathname
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "mock/main.ts", "--port", "0"],
    cwd: root,
    stdout: "piped",
    stderr: "inherit",
  }).spawn()
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader()
  let out = ""
  while (!/listening on (\S+)/.test(out)) out += (await reader.read()).value ?? ""
  void reader.cancel()
  const origin = /listening on (\S+)/.exec(out)![1]
  // Warm: the same plain requests a user sends, so that "before" is a server in use, not a cold one.
  await soak(origin, 2_000, concurrency).catch(() => undefined)
  const before = await rssOf(child.pid)
  const started = performance.now()
  let done = 0
  const samples: Array<number> = []
  const chunk = 10_000
  const totals: Record<string, Record<string, number>> = {}
  const wrong: Array<string> = []
  for (; done < requests; done += chunk) {
    const result = await soak(origin, Math.min(chunk, requests - done), concurrency)
    for (const [kind, byStatus] of Object.entries(result.counts)) {
      for (const [status, n] of Object.entries(byStatus)) {
        ;(totals[kind] ??= {})[status] = (totals[kind][status] ?? 0) + n
      }
    }
    wrong.push(...result.wrong)
    samples.push(await rssOf(child.pid))
  }
  const journal = await fetch(`${origin}/__mock/journal`)
  const journalBytes = (await journal.arrayBuffer()).byteLength
  const health = await fetch(`${origin}/__mock/health`)
  await health.body?.cancel()
  const after = await rssOf(child.pid)
  child.kill("SIGTERM")
  await child.status
  console.log(
    `${requests} hostile requests, ${concurrency} at a time, in ${((performance.now() - started) / 1000).toFixed(0)} s`,
  )
  for (const [kind, byStatus] of Object.entries(totals)) {
    console.log(
      `  ${kind.padEnd(22)} ${Object.entries(byStatus).map(([s, n]) => `${s === "0" ? "reset" : s}: ${n}`).join(", ")}`,
    )
  }
  console.log(
    `RSS before ${before.toFixed(0)} MiB, after ${after.toFixed(0)} MiB, peak ${
      Math.max(...samples).toFixed(0)
    } MiB; every 10,000: ${samples.map((s) => s.toFixed(0)).join(" ")}`,
  )
  console.log(
    `GET /__mock/journal: ${journal.status}, ${
      (journalBytes / 1_048_576).toFixed(1)
    } MiB; /__mock/health: ${health.status}`,
  )
  if (wrong.length > 0 || health.status !== 200 || journal.status !== 200) {
    console.log(`wrong answers:\n  ${wrong.join("\n  ")}`)
    Deno.exit(1)
  }
}
