import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { inspect } from "node:util"
import { ConfigProvider, Effect, Layer, Logger, Redacted } from "effect"
import { createMock } from "../mock/mod.ts"
import { Puid, PuidError, RetryPolicy } from "../src/puid/mod.ts"
import { MachineID } from "../src/machineid/mod.ts"
import { AuthPI, ConfigurationError as AuthPIConfigurationError } from "../src/authpi/mod.ts"
import { ConfigurationError as PuguhConfigurationError, Puguh } from "../src/puguh/mod.ts"
import { ApiKeys, ApiKeysClient, ApiKeysHttp } from "../src/apikeys/mod.ts"

/** Runs `program` with `layer` over the in-process mock, the environment being `env` alone; the logged lines too. */
const run = async <A, E, S>(
  env: Record<string, string>,
  layer: Layer.Layer<S, E, import("effect/http").HttpClient.HttpClient>,
  program: Effect.Effect<A, unknown, S>,
  mock = createMock(),
) => {
  const logged: Array<string> = []
  const exit = await Effect.runPromiseExit(
    program.pipe(
      Effect.provide(layer.pipe(Layer.provide(mock.layer))),
      Effect.provide(Logger.layer([Logger.make((options) => logged.push(inspect(options.message)))])),
      Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnvRecord(env))),
    ),
  )
  return { exit, logged, mock }
}

const failureOf = (exit: import("effect").Exit.Exit<unknown, unknown>): unknown => {
  assert.equal(exit._tag, "Failure", "expected a failure")
  return exit._tag === "Failure" ? (exit.cause.reasons[0] as { error?: unknown }).error : undefined
}

describe("Environment: a missing variable is named, a misspelled one pointed out", () => {
  it("PUID: neither PUID_API_KEY nor PUID_ACCESS_TOKEN fails naming both, and the misspelling set", async () => {
    const mock = createMock()
    const { exit } = await run(
      { PUID_API_KY: "puid_live_x", PUID_ENDPOINT: mock.baseUrl("puid") },
      Puid.layerConfig(),
      Effect.flatMap(Puid, (puid) => puid.quota()),
      mock,
    )
    const error = failureOf(exit)
    assert.ok(error instanceof PuidError)
    assert.equal(error.code, "invalid_credentials")
    assert.match(error.message, /PUID_API_KEY/)
    assert.match(error.message, /PUID_ACCESS_TOKEN/)
    assert.match(error.message, /PUID_API_KY \(did you mean PUID_API_KEY\?\)/)
    assert.equal(mock.journal.length, 0)
  })

  it("PUID: PUID_ENDPOINT (or PUID_BASE_URL) is where requests go; a stray PUID_ENDPOIN is logged", async () => {
    for (const variable of ["PUID_ENDPOINT", "PUID_BASE_URL"]) {
      const mock = createMock()
      const { exit, logged } = await run(
        { PUID_API_KEY: mock.puid.demo.apiKey, [variable]: mock.baseUrl("puid"), PUID_ENDPOIN: "http://typo" },
        Puid.layerConfig(),
        Effect.flatMap(Puid, (puid) => puid.quota()),
        mock,
      )
      assert.equal(exit._tag, "Success")
      assert.equal(mock.journal.length, 1)
      assert.ok(logged.some((line) => line.includes("PUID_ENDPOIN (did you mean PUID_ENDPOINT?)")), logged.join())
    }
  })

  it("PUID: PUID_BASE_URL and PUID_ENDPOINT set to different URLs fail with invalid_endpoint naming both", async () => {
    const { exit } = await run(
      { PUID_API_KEY: "puid_live_x", PUID_BASE_URL: "http://a.test", PUID_ENDPOINT: "http://b.test" },
      Puid.layerConfig(),
      Effect.flatMap(Puid, (puid) => puid.quota()),
    )
    const error = failureOf(exit)
    assert.ok(error instanceof PuidError)
    assert.equal(error.code, "invalid_endpoint")
    assert.match(error.message, /PUID_BASE_URL and PUID_ENDPOINT/)
  })

  it("PUID: Puid.layer without a base URL takes PUID_BASE_URL; baseUrl and its alias endpoint are the same option", async () => {
    const mock = createMock()
    const { apiKey } = mock.puid.demo
    const fromEnv = await run(
      { PUID_BASE_URL: mock.baseUrl("puid") },
      Puid.layer({ apiKey }),
      Effect.flatMap(Puid, (p) => p.quota()),
      mock,
    )
    assert.equal(fromEnv.exit._tag, "Success")
    const both = await run(
      {},
      Puid.layer({ apiKey, baseUrl: "http://a.test", endpoint: "http://b.test" }),
      Effect.flatMap(Puid, (p) => p.quota()),
    )
    const error = failureOf(both.exit)
    assert.ok(error instanceof PuidError)
    assert.equal(error.code, "invalid_endpoint")
    const alias = await run(
      {},
      Puid.layer({ apiKey, endpoint: mock.baseUrl("puid") }),
      Effect.flatMap(Puid, (p) => p.quota()),
      mock,
    )
    assert.equal(alias.exit._tag, "Success")
  })

  it("MachineID: no MACHINEID_ORG_KEY fails with a ConfigError naming it and the misspelling set", async () => {
    const { exit, mock } = await run(
      { MACHINEID_ORGKEY: "org_demo_pro" },
      MachineID.layerConfig(),
      Effect.flatMap(MachineID, (m) => m.usage()),
    )
    const error = failureOf(exit)
    assert.equal((error as { _tag: string })._tag, "ConfigError")
    assert.match(String((error as Error).message), /MACHINEID_ORG_KEY/)
    assert.match(String((error as Error).message), /MACHINEID_ORGKEY \(did you mean MACHINEID_ORG_KEY\?\)/)
    assert.equal(mock.journal.length, 0)
  })

  it("MachineID: MachineID.layer (what MachineIDClient.make builds on) honours MACHINEID_BASE_URL", async () => {
    const mock = createMock()
    const { exit } = await run(
      { MACHINEID_BASE_URL: mock.baseUrl("machineid") },
      MachineID.layer({ orgKey: "org_demo_scale" }),
      Effect.flatMap(MachineID, (m) => m.usage()),
      mock,
    )
    assert.equal(exit._tag, "Success")
    assert.equal(exit._tag === "Success" && exit.value.planTier, "scale")
    assert.equal(mock.journal.length, 1)
  })

  it("AuthPI: no credential names AUTHPI_API_KEY, AUTHPI_ACCESS_TOKEN and the misspelling; AuthPI.layer takes AUTHPI_BASE_URL", async () => {
    const { exit } = await run({ AUTHPI_APIKEY: "key_x" }, AuthPI.layerConfig(), Effect.flatMap(AuthPI, (a) => a.me()))
    const error = failureOf(exit)
    assert.ok(error instanceof AuthPIConfigurationError)
    assert.match(error.message, /AUTHPI_API_KEY, or AUTHPI_ACCESS_TOKEN/)
    assert.match(error.message, /AUTHPI_APIKEY \(did you mean AUTHPI_API_KEY\?\)/)
    const mock = createMock()
    const fromEnv = await run(
      { AUTHPI_BASE_URL: mock.baseUrl("authpi") },
      AuthPI.layer({ apiKey: mock.authpi.demo.apiKey, headers: { "x-team": "identity" } }),
      Effect.flatMap(AuthPI, (a) => a.me()),
      mock,
    )
    assert.equal(fromEnv.exit._tag, "Success")
    assert.equal(mock.journal[0].headers["x-team"], "identity")
  })

  it("AuthPI: headers and its alias defaultHeaders, retry and its alias retries: one of each", async () => {
    for (const options of [{ headers: {}, defaultHeaders: {} }, { retry: RetryPolicy.none, retries: false }]) {
      const { exit } = await run(
        {},
        AuthPI.layer({ apiKey: "key_x", baseUrl: "http://a.test", ...options }),
        Effect.flatMap(AuthPI, (a) => a.me()),
      )
      const error = failureOf(exit)
      assert.ok(error instanceof AuthPIConfigurationError)
    }
  })

  it("PUGUH: no credential names PUGUH_API_KEY and PUGUH_ACCESS_TOKEN and the misspelling; Puguh.layer takes PUGUH_BASE_URL", async () => {
    const { exit } = await run(
      { PUGUH_API_KYE: "pk_x" },
      Puguh.layerConfig(),
      Effect.flatMap(Puguh, (p) => p.billing.getPlans()),
    )
    const error = failureOf(exit)
    assert.ok(error instanceof PuguhConfigurationError)
    assert.match(error.message, /PUGUH_API_KEY/)
    assert.match(error.message, /PUGUH_ACCESS_TOKEN/)
    assert.match(error.message, /PUGUH_API_KYE \(did you mean PUGUH_API_KEY\?\)/)
    const mock = createMock()
    const plans = await run(
      { PUGUH_BASE_URL: mock.baseUrl("puguh") },
      Puguh.layer(),
      Effect.flatMap(Puguh, (p) => p.billing.getPlans()),
      mock,
    )
    assert.equal(plans.exit._tag, "Success")
  })

  it("API keys: ApiKeysHttp.layerConfig reads APIKEYS_BASE_URL and APIKEYS_ADMIN_KEY; without the URL, a ConfigError naming it", async () => {
    const mock = createMock()
    const { exit } = await run(
      { APIKEYS_BASE_URL: mock.baseUrl("apikeys"), APIKEYS_ADMIN_KEY: mock.apikeys.demo.adminKey },
      ApiKeysHttp.layerConfig(),
      Effect.flatMap(ApiKeys, (keys) => keys.listOrganizations()),
      mock,
    )
    assert.equal(exit._tag, "Success")
    const missing = await run(
      { APIKEYS_BASEURL: "http://x" },
      ApiKeysHttp.layerConfig(),
      Effect.flatMap(ApiKeys, (k) => k.listOrganizations()),
    )
    const error = failureOf(missing.exit)
    assert.match(String((error as Error).message), /APIKEYS_BASE_URL/)
    assert.match(String((error as Error).message), /APIKEYS_BASEURL \(did you mean APIKEYS_BASE_URL\?\)/)
  })

  it("API keys: ApiKeysClient (Promises) creates a key whose plaintext is read once with Redacted.value", async () => {
    const mock = createMock()
    const { adminKey } = mock.apikeys.demo
    await using keys = ApiKeysClient.make({ baseUrl: mock.baseUrl("apikeys"), adminKey, fetch: mock.fetch })
    const org = await keys.createOrganization("Acme")
    const { key, plaintext } = await keys.createKey(org.id, { metadata: { scopes: ["read"] } })
    const validated = await keys.validateKey(Redacted.value(plaintext), { requiredScopes: ["read"] })
    assert.equal(validated.id, key.id)
  })
})
