// The API-keys HTTP client fails closed: a 2xx verification or validation counts only when the key
// it answers agrees with it (status active, the organization, project, product and scopes asked).
import { after, describe, it } from "node:test"
import assert from "node:assert/strict"
import { Effect } from "effect"
import { APIKEYS_DEMO, ApiKeysMock } from "../mock/apikeys/mod.ts"
import { ApiKeys } from "../src/apikeys/service.ts"
import { ApiKeysHttp } from "../src/apikeys/client.ts"
import { harness } from "./_harness.ts"

const h = harness(
  (clock) => new ApiKeysMock(clock),
  (_, baseUrl) => ApiKeysHttp.layer({ baseUrl, adminKey: APIKEYS_DEMO.adminKey }),
)
after(() => h.api.dispose())

/** The demo key as the service answers a validation of it, on the wire. */
const answered = async (): Promise<Record<string, unknown>> => {
  const response = await h.fetch(`${h.baseUrl}/api/keys/validate`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-admin-key": APIKEYS_DEMO.adminKey },
    body: JSON.stringify({ key: APIKEYS_DEMO.apiKey }),
  })
  assert.equal(response.status, 200)
  return await response.json()
}

/** The client's validation of the demo key, when the service answers 200 with `body`. */
const validating = (body: Record<string, unknown>, needs: Parameters<typeof ApiKeys.Service.validateKey>[1] = {}) => {
  h.mock.clearFaults()
  h.mock.fault({ path: "/api/keys/validate", status: 200, body })
  return Effect.flatMap(ApiKeys, (keys) => keys.validateKey(APIKEYS_DEMO.apiKey, needs))
}

describe("API keys over HTTP: a 2xx validation counts only when every field agrees", () => {
  it("an agreeing answer is valid", async () => {
    const key = await h.run(validating(await answered(), { orgId: ` ${APIKEYS_DEMO.orgId.toUpperCase()} ` }))
    assert.equal(key.id, APIKEYS_DEMO.keyId)
  })

  for (
    const [name, change, tag] of [
      ["status revoked", { status: "revoked" }, "RevokedKey"],
      ["status expired", { status: "expired" }, "ExpiredKey"],
      ["a status it does not know", { status: " Active " }, "KeyStoreUnavailable"],
    ] as const
  ) {
    it(`${name}: ${tag} from validateKey and verifyKey, never valid`, async () => {
      const body = { ...(await answered()), ...change }
      await h.fail(tag, validating(body))
      h.mock.clearFaults()
      h.mock.fault({ path: "/api/keys/verify", status: 200, body })
      await h.fail(tag, Effect.flatMap(ApiKeys, (keys) => keys.verifyKey(APIKEYS_DEMO.apiKey)))
    })
  }

  it("a key of another organization, or without a required scope: InsufficientScope", async () => {
    const body = await answered()
    const other = await h.fail("InsufficientScope", validating(body, { orgId: "00000000-0000-4000-8000-00000000a002" }))
    assert.equal(other.reason, "organization")
    const scope = await h.fail("InsufficientScope", validating(body, { requiredScopes: ["read", "admin"] }))
    assert.deepEqual([scope.reason, scope.missingScopes], ["scope", ["admin"]])
  })
})
