// validateKey throughput and p99 latency on SQLite (a file) and PostgreSQL (when DATABASE_URL is set), against a
// baseline in the same run: the bare hash + indexed lookup (SHA-256, then SELECT by key_hash) on the same SqlClient.
// Run: deno run -A bench/apikeys_bench.ts   |   bun bench/apikeys_bench.ts   (N=… to change the number of calls)
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Layer, ManagedRuntime, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import { PgClient } from "@effect/sql-pg"
import { ApiKeys } from "../src/apikeys/service.ts"
import { SqliteClient } from "../src/sql/sqlite.ts"
import { hashKey } from "../src/apikeys/key_format.ts"

const N = Number(process.env.N ?? 3000)

interface Figures {
  readonly opsPerSecond: number
  readonly p50: number
  readonly p99: number
}

const measure = async (op: () => Promise<unknown>): Promise<Figures> => {
  for (let i = 0; i < Math.min(300, N); i++) await op()
  const times: Array<number> = []
  const start = performance.now()
  for (let i = 0; i < N; i++) {
    const t = performance.now()
    await op()
    times.push(performance.now() - t)
  }
  const total = performance.now() - start
  times.sort((a, b) => a - b)
  return { opsPerSecond: (N / total) * 1000, p50: times[Math.floor(N * 0.5)], p99: times[Math.floor(N * 0.99)] }
}

const bench = async (name: string, layer: Layer.Layer<ApiKeys | SqlClient.SqlClient, unknown>) => {
  const runtime = ManagedRuntime.make(layer)
  try {
    const { plaintext, scoped } = await runtime.runPromise(Effect.gen(function* () {
      const keys = yield* ApiKeys
      const org = yield* keys.createOrganization("bench")
      for (let i = 0; i < 1000; i++) yield* keys.createKey(org.id) // a realistic index
      const plain = yield* keys.createKey(org.id)
      const scoped = yield* keys.createKey(org.id, {
        metadata: { scopes: ["read"], rateLimit: { requests: 1_000_000_000, window: "day" } },
      })
      return { plaintext: plain.plaintext, scoped: scoped.plaintext }
    }))
    const baseline = await measure(() =>
      runtime.runPromise(
        Effect.flatMap(SqlClient.SqlClient, (sql) =>
          sql`SELECT * FROM api_keys WHERE key_hash = ${hashKey(Redacted.value(plaintext))}`),
      )
    )
    const validate = await measure(() => runtime.runPromise(Effect.flatMap(ApiKeys, (k) => k.validateKey(plaintext))))
    const limited = await measure(() =>
      runtime.runPromise(Effect.flatMap(ApiKeys, (k) => k.validateKey(scoped, { requiredScopes: ["read"] })))
    )
    const row = (label: string, f: Figures) =>
      `| ${name} | ${label} | ${Math.round(f.opsPerSecond)} | ${f.p50.toFixed(3)} | ${f.p99.toFixed(3)} | ${
        (baseline.opsPerSecond / f.opsPerSecond).toFixed(2)
      }x |`
    console.log(row("baseline: SHA-256 + SELECT by key_hash", baseline))
    console.log(row("validateKey (usage tracking)", validate))
    console.log(row("validateKey + scope + rate limit", limited))
  } finally {
    await runtime.dispose()
  }
}

const runtimeName = typeof Bun !== "undefined" ? "Bun" : typeof Deno !== "undefined" ? "Deno" : "Node"
console.log(`${runtimeName}, ${N} sequential calls each`)
console.log("| store | operation | ops/s | p50 ms | p99 ms | cost vs baseline |")
console.log("|---|---|---|---|---|---|")
const dir = mkdtempSync(join(tmpdir(), "apikeys-bench-"))
try {
  await bench(
    "SQLite file",
    ApiKeys.layer().pipe(Layer.provideMerge(SqliteClient.layer({ filename: join(dir, "keys.db") }))),
  )
} finally {
  rmSync(dir, { recursive: true, force: true })
}
const url = process.env.DATABASE_URL
if (url !== undefined && url !== "") {
  await bench("PostgreSQL", ApiKeys.layer().pipe(Layer.provideMerge(PgClient.layer({ url: Redacted.make(url) }))))
}

declare const Bun: unknown
