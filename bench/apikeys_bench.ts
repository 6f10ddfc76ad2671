// validateKey against a bare indexed lookup, on a SQLite file, SQLite in memory and PostgreSQL (when DATABASE_URL is
// set): issue 14's table, every ratio taken within one run, the variants interleaved over REPS repetitions (the median
// of each is kept). 1000 keys in the table; every call is one `Effect.runPromise`, as a server's handler would run it.
// Each cost is a ratio of wall-clock time per call, and in brackets of this process's CPU time per call: on a loaded
// machine the second moves less (for PostgreSQL it leaves out the server's work).
// Run: deno run -A bench/apikeys_bench.ts   |   bun bench/apikeys_bench.ts   (N=… calls per variant and rep, REPS=…)
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { Effect, Exit, Layer, Redacted, Scope } from "effect"
import { SqlClient } from "effect/sql"
import { PgClient } from "@effect/sql-pg"
import { makeApiKeys } from "../src/apikeys/make_api_keys.ts"
import { migrate } from "../src/apikeys/migrations.ts"
import type { ApiKeysOptions, ApiKeysService } from "../src/apikeys/service.ts"
import { SqliteClient } from "../src/sql/sqlite.ts"
import { hashKey } from "../src/apikeys/key_format.ts"

const N = Number(process.env.N ?? 600)
const REPS = Number(process.env.REPS ?? 7)

type Op = () => Promise<unknown>

/** Time per call of one variant: wall clock and this process's CPU, in microseconds. */
interface Cost {
  readonly wall: number
  readonly cpu: number
}

/** The cost of `op`, over N sequential calls. */
const cost = async (op: Op): Promise<Cost> => {
  const start = performance.now()
  const cpu = process.cpuUsage()
  for (let i = 0; i < N; i++) await op()
  const used = process.cpuUsage(cpu)
  return { wall: ((performance.now() - start) * 1000) / N, cpu: (used.user + used.system) / N }
}

const median = (values: ReadonlyArray<number>) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

/** Each variant's median cost, the variants interleaved in each of REPS repetitions. */
const measure = async (ops: Record<string, Op>): Promise<Record<string, Cost>> => {
  const names = Object.keys(ops)
  for (const name of names) for (let i = 0; i < Math.min(300, N); i++) await ops[name]() // warm-up
  const costs = new Map<string, Array<Cost>>(names.map((name) => [name, []]))
  for (let rep = 0; rep < REPS; rep++) for (const name of names) costs.get(name)!.push(await cost(ops[name]))
  return Object.fromEntries(names.map((name) => {
    const all = costs.get(name)!
    return [name, { wall: median(all.map((c) => c.wall)), cpu: median(all.map((c) => c.cpu)) }]
  }))
}

const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect)

/** The table's row of one store; `driver`, when given, is the bare lookup on the database driver itself. */
const bench = async (
  name: string,
  layer: Layer.Layer<SqlClient.SqlClient, unknown>,
  driver?: (hash: string) => void,
) => {
  const scope = Scope.makeUnsafe()
  try {
    const context = await run(Layer.buildWithScope(layer, scope))
    const inScope = <A, E>(effect: Effect.Effect<A, E, SqlClient.SqlClient | Scope.Scope>) =>
      run(effect.pipe(Effect.provide(context), Effect.provideService(Scope.Scope, scope)))
    const sql = await inScope(Effect.andThen(migrate, SqlClient.SqlClient))
    const service = (options: ApiKeysOptions) => inScope(makeApiKeys(options))
    const defaults = await service({})
    const untracked = await service({ trackUsage: false })
    const sync = await service({ trackUsage: "sync" })
    const { plain, limited } = await run(Effect.gen(function* () {
      const org = yield* defaults.createOrganization(`bench ${crypto.randomUUID()}`) // a database may be reused
      for (let i = 0; i < 1000; i++) yield* defaults.createKey(org.id) // a realistic index
      return {
        plain: (yield* defaults.createKey(org.id)).plaintext,
        limited: (yield* defaults.createKey(org.id, {
          metadata: { scopes: ["read"], rateLimit: { requests: 1_000_000_000, window: "day" } },
        })).plaintext,
      }
    }))
    const hash = () => hashKey(Redacted.value(plain))
    const bareRead = () => sql<{ id: string }>`SELECT * FROM api_keys WHERE key_hash = ${hash()}`
    const validate = (keys: ApiKeysService) => () => run(keys.validateKey(plain))
    const ops: Record<string, Op> = {
      bare: () => run(bareRead()),
      bareUpdate: () =>
        run(
          Effect.flatMap(bareRead(), ([row]) =>
            sql`UPDATE api_keys SET use_count = use_count + 1, last_used_at = ${Date.now()} WHERE id = ${row.id}`),
        ),
      defaults: validate(defaults),
      untracked: validate(untracked),
      sync: validate(sync),
      scoped: () => run(defaults.validateKey(limited, { requiredScopes: ["read"] })),
      ...(driver === undefined ? {} : { driver: () => Promise.resolve(driver(hash())) }),
    }
    const r = await measure(ops)
    const x = (variant: Cost, base: Cost) =>
      `${(variant.wall / base.wall).toFixed(2)}x (${(variant.cpu / base.cpu).toFixed(2)}x)`
    const k = (c: Cost) => `${(1000 / c.wall).toFixed(1)}k/s`
    console.log(
      `| ${name} | ${k(r.bare)} | ${k(r.defaults)} | ${x(r.defaults, r.bare)} | ${x(r.untracked, r.bare)} | ${
        x(r.sync, r.bare)
      } | ${x(r.scoped, r.bare)} | ${k(r.bareUpdate)} | ${x(r.scoped, r.bareUpdate)} | ${
        r.driver === undefined ? "-" : `${k(r.driver)}: ${x(r.defaults, r.driver)}`
      } |`,
    )
  } finally {
    await run(Scope.close(scope, Exit.void))
  }
}

/** The bare lookup on `node:sqlite` itself: SHA-256, then the indexed SELECT on a prepared statement. */
const sqliteDriver = (filename: string) => {
  const db = new DatabaseSync(filename)
  const select = db.prepare("SELECT * FROM api_keys WHERE key_hash = ?")
  return (hash: string) => void select.all(hash)
}

const runtimeName = typeof Bun !== "undefined" ? "Bun" : typeof Deno !== "undefined" ? "Deno" : "Node"
console.log(
  `${runtimeName}, ${N} sequential calls per variant and repetition, median of ${REPS} interleaved repetitions`,
)
console.log(
  '| store | bare SHA-256 + indexed SELECT | `validateKey` (defaults) | cost | `trackUsage: false` | `trackUsage: "sync"` | + scope + rate limit | bare read + one UPDATE | + scope + rate limit vs it | bare on the driver: defaults vs it |',
)
console.log("|---|---|---|---|---|---|---|---|---|---|")
const dir = mkdtempSync(join(tmpdir(), "apikeys-bench-"))
try {
  const filename = join(dir, "keys.db")
  let driver: ((hash: string) => void) | undefined
  await bench("SQLite file", SqliteClient.layer({ filename }), (hash) => (driver ??= sqliteDriver(filename))(hash))
} finally {
  rmSync(dir, { recursive: true, force: true })
}
await bench("SQLite `:memory:`", SqliteClient.layer({ filename: ":memory:" }))
const url = process.env.DATABASE_URL
if (url !== undefined && url !== "") await bench("PostgreSQL", PgClient.layer({ url: Redacted.make(url) }))

declare const Bun: unknown
