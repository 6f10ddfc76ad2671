// AuthPI `listAll` over 10,000 users in-process, as items/s, against a raw-fetch loop over the same
// pages (limit 100, cursor to cursor) on the same mock, in one run: `deno run -A bench/authpi_bench.ts`.
import { Effect, Layer, Stream } from "effect"
import { HttpClient } from "effect/http"
import { AuthPI } from "../src/authpi/mod.ts"
import { createMock } from "../mock/mod.ts"

const ITEMS = 10_000
const REPS = 3

const mock = createMock()
const { accountId, apiKey, issuerId } = mock.authpi.demo
for (let i = 0; i < ITEMS; i++) {
  mock.authpi.state.seed(accountId, "users", { issuer_id: issuerId }, { email: `user${i}@example.com` })
}
const base = `${mock.baseUrl("authpi")}/v1/accounts/${accountId}/issuers/${issuerId}/users`
const headers = { authorization: `Bearer ${apiKey}` }

/** Every user, page by page, with `fetch` and `json()`: the floor. */
const rawLoop = async (): Promise<number> => {
  let count = 0
  let cursor: string | null = null
  do {
    const url: string = `${base}?limit=100${cursor === null ? "" : `&cursor=${cursor}`}`
    const response = await mock.fetch(url, { headers })
    if (!response.ok) throw new Error(`HTTP ${response.status}`)
    const page = await response.json() as { data: Array<unknown>; has_more: boolean; next_cursor: string | null }
    count += page.data.length
    cursor = page.has_more ? page.next_cursor : null
  } while (cursor !== null)
  return count
}

const layer = AuthPI.layer({ apiKey, accountId, baseUrl: mock.baseUrl("authpi") }).pipe(
  Layer.provide(mock.layer),
  Layer.provideMerge(Layer.succeed(HttpClient.TracerDisabledWhen, () => true)),
)
const clientLoop = Effect.flatMap(
  AuthPI,
  (admin) => Stream.runCount(admin.issuer(issuerId).users.listAll({ limit: 100 })),
)

const time = async (run: () => Promise<number>) => {
  const start = performance.now()
  const count = await run()
  const seconds = (performance.now() - start) / 1000
  if (count < ITEMS) throw new Error(`listed ${count} of ${ITEMS}`)
  return count / seconds
}

await rawLoop() // warm up both paths
await Effect.runPromise(clientLoop.pipe(Effect.provide(layer)))

const rows: Array<[string, number, number]> = []
for (let rep = 1; rep <= REPS; rep++) {
  const raw = await time(rawLoop)
  const client = await time(() => Effect.runPromise(clientLoop.pipe(Effect.provide(layer))))
  rows.push([`rep ${rep}`, raw, client])
}
console.log(`listAll over ${ITEMS} users in-process (limit 100), items/s`)
console.log("| rep | raw fetch loop | AuthPI listAll (tracing off) | client / raw |")
console.log("|---|---|---|---|")
for (const [rep, raw, client] of rows) {
  console.log(`| ${rep} | ${raw.toFixed(0)} | ${client.toFixed(0)} | ${(client / raw).toFixed(2)}x |`)
}
