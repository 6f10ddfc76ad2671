// The seed's quickstart, in Effect: set up an organization, issue a key, validate a request, guard a server.
// Run: deno run --allow-read --allow-write --allow-env examples/apikeys.ts
import { Effect, Redacted } from "effect"
import { ApiKeys, makeRequestGuard } from "@gatehouse/sdk/apikeys"

const layer = ApiKeys.layerSqlite({ filename: ":memory:" })

const program = Effect.gen(function* () {
  const keys = yield* ApiKeys
  const org = yield* keys.createOrganization("Acme Inc")
  const product = yield* keys.createProduct(org.id, "My API")
  const project = yield* keys.createProject(org.id, "v1")
  yield* keys.addProductToProject(product.id, project.id)

  const { key, plaintext } = yield* keys.createKey(org.id, {
    projectId: project.id,
    productId: product.id,
    metadata: {
      name: "Alice's key",
      scopes: ["read", "write"],
      rateLimit: { requests: 1000, window: "minute" },
      custom: { user_id: "u_alice", plan: "pro" },
    },
  })
  console.log(`issued ${key.id} (${key.keyPrefix}…): show the plaintext to Alice once`)

  const validated = yield* keys.validateKey(plaintext, { productId: product.id, requiredScopes: ["read"] })
  console.log(`user ${validated.metadata.custom.user_id}, used ${validated.useCount} time(s)`)

  const refused = yield* Effect.flip(keys.validateKey(plaintext, { requiredScopes: ["admin"] }))
  console.log(`admin scope: ${refused._tag}`)
  return plaintext
})

const plaintext = await Effect.runPromise(Effect.provide(program, layer))
console.log(`the plaintext prints as ${String(plaintext)}`)

// A guard for Deno.serve / Bun.serve handlers (its own database here, so this key is unknown to it).
const guard = makeRequestGuard(layer, { requiredScopes: ["read"] })
const result = await guard.check(
  new Request("http://localhost/", { headers: { "x-api-key": Redacted.value(plaintext) } }),
)
console.log(`guard: ${result.ok ? "allowed" : result.response.status}`)
await guard.close()
