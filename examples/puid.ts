// PUID against the bundled mock, in-process: `deno run -A examples/puid.ts`.
// Against the mock server instead: `deno task mock`, then PUID_ENDPOINT=http://127.0.0.1:4010/puid/api.
import { Effect } from "effect"
import { createMock } from "@gatehouse/sdk/mock"
import { Puid, PuidClient, puidToOrdinal } from "@gatehouse/sdk/puid"

const mock = createMock()
const endpoint = mock.baseUrl("puid")

const program = Effect.gen(function* () {
  const puid = yield* Puid
  const ids = yield* puid.ids(3)
  console.log("ids", ids, "decode offline to", ids.map(puidToOrdinal))
  console.log("the API agrees:", yield* puid.ordinal(ids[0]))
  const limited = yield* Effect.flip(puid.id())
  console.log("a second call within a second:", limited.code, limited.retryAfter)
  console.log("quota", yield* puid.quota())
})

await Effect.runPromise(
  program.pipe(Effect.provide(Puid.layer({ apiKey: mock.puid.demo.apiKey, endpoint })), Effect.provide(mock.layer)),
)

// The same API as Promises, through OAuth2 client credentials.
await using client = PuidClient.fromClientCredentials({
  clientId: mock.puid.demo.clientId,
  clientSecret: mock.puid.demo.clientSecret,
  endpoint,
  fetch: mock.fetch,
})
console.log("as Promises:", await client.ids(2))
