// AuthPI Admin against the bundled mock, in-process: `deno run -A examples/authpi.ts`.
// Against the mock server instead: `deno task mock`, then AuthPI.fromEnv() with
// AUTHPI_BASE_URL=http://127.0.0.1:4010/authpi and the banner's AUTHPI_API_KEY.
import { Effect, Stream } from "effect"
import { createMock } from "@gatehouse/sdk/mock"
import { AuthPI, AuthPIClient, signWebhookPayload, verifyWebhookSignature } from "@gatehouse/sdk/authpi"

const mock = createMock()
const { authpi } = mock
const baseUrl = mock.baseUrl("authpi")
const { apiKey, issuerId, accessToken, accountId } = authpi.demo

const program = Effect.gen(function* () {
  const admin = yield* AuthPI
  // The account is resolved once through GET /v1/me: an API key reaches one account.
  console.log("me:", (yield* admin.me()).type)

  const issuer = admin.issuer(issuerId)
  const alice = yield* issuer.users.create({ email: "alice@example.com", display_name: "Alice" })
  console.log("created", alice.id, "etag", alice._etag)

  // Optimistic concurrency: the second update with the old ETag fails with 412.
  const renamed = yield* issuer.users.update(alice.id, { display_name: "Alice B." }, { ifMatch: alice._etag })
  const stale = yield* Effect.flip(issuer.users.update(alice.id, { display_name: "Al" }, { ifMatch: alice._etag }))
  console.log(
    "renamed",
    renamed.display_name,
    "then",
    stale._tag,
    "current",
    "currentEtag" in stale && stale.currentEtag,
  )

  // Cursor pages, and every item of every page as a Stream.
  for (let i = 0; i < 120; i++) yield* issuer.users.create({ email: `user${i}@example.com` })
  const page = yield* issuer.users.list({ limit: 25 })
  console.log("first page", page.data.length, "more:", page.hasMore)
  const everyone = yield* Stream.runCollect(issuer.users.listAll({ limit: 100, status: "active" }))
  console.log("all active users:", everyone.length)

  // A webhook, and its signature as a receiving app checks it.
  const webhook = yield* admin.webhooks.create({
    name: "audit",
    url: "https://example.com/hooks",
    events: ["user.created"],
  })
  const secret = webhook.signature_secret_plain ?? "whsec_demo"
  const body = JSON.stringify({ type: "user.created", data: { id: alice.id } })
  const header = yield* Effect.promise(() => signWebhookPayload(body, secret, Math.floor(Date.now() / 1000)))
  console.log("signature verifies:", (yield* verifyWebhookSignature(body, header, secret)) === body)

  // Typed errors carry the status, the API's code and the request id.
  const missing = yield* Effect.flip(issuer.user("usr_doesnotexist0000000000000").get())
  console.log("missing user:", missing._tag, "status" in missing ? missing.status : "")
})

await Effect.runPromise(program.pipe(Effect.provide(AuthPI.layer({ apiKey, baseUrl })), Effect.provide(mock.layer)))

// The same API as Promises, with an access token that expires: one refresh, the call resent.
authpi.expireAccessTokens()
await using admin = AuthPIClient.make({
  accessToken,
  accountId,
  baseUrl,
  fetch: mock.fetch,
  // The seed's form: a Promise of `{ access_token }`.
  onTokenExpired: () => Promise.resolve(authpi.mintAccessToken()),
})
const issuers = await admin.issuers.list({ limit: 5 })
console.log("as Promises, after a token refresh:", issuers.data.map((i) => i.name))
