// The PUGUH client's options and edges: every option checked before any request, verifyToken's
// own options, the environment, a refresh callback that throws, refused inputs, and the precise
// error type of each method (checked by the type checker: a wrong type fails `deno test`).
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { inspect } from "node:util"
import { Cause, ConfigProvider, Effect, Exit, Layer, Redacted } from "effect"
import {
  type AccessTokenClaims,
  type ArgumentCallError,
  type CallError,
  ConfigurationError,
  type ContextCallError,
  InvalidArgument,
  type MissingContext,
  type Plan,
  Puguh,
  type PuguhApplications,
  type PuguhAuth,
  type PuguhBilling,
  type PuguhCredentialOptions,
  type PuguhFailure,
  type PuguhOrganizations,
  type PuguhPromiseClient,
  type PuguhService,
  RetryPolicy,
  type Tokens,
} from "../src/puguh/mod.ts"
import { toPuguhError } from "../src/puguh/errors.ts"
import { PUGUH_DEMO } from "../mock/puguh/mod.ts"
import { DEMO_USERS, puguhSetup, use } from "./_puguh.ts"

/** What building `layer` and making one call fails with: a typed failure (a defect rejects). */
const layerFailure = async (f: ReturnType<typeof puguhSetup>, options: unknown) => {
  const layer = Puguh.layer(options as PuguhCredentialOptions)
  const exit = await Effect.runPromiseExit(
    use((p) => p.billing.getPlans()).pipe(Effect.provide(Layer.provide(layer, f.http))),
  )
  assert.ok(Exit.isFailure(exit), "the layer was built")
  assert.ok(!Cause.hasDies(exit.cause), `a defect, not a typed failure: ${Cause.pretty(exit.cause)}`)
  return Cause.squash(exit.cause)
}

describe("PUGUH client: options are checked before any request", () => {
  const cases: ReadonlyArray<readonly [string, Record<string, unknown> | null, string]> = [
    ["a timeout that is not a duration", { timeout: "soon" }, "timeout"],
    ["a zero timeout", { timeout: 0 }, "timeout"],
    ["a retry count below zero", { retry: { times: -1 } }, "retry.times"],
    ["a retry count above the bound", { retry: { ...RetryPolicy.make({ times: 2 }), times: 99 } }, "retry.times"],
    ["a retry that is not a RetryPolicy", { retry: { times: 1 } }, "retry"],
    ["a jwksCooldown that is not a duration", { verify: { jwksCooldown: "soon" } }, "verify.jwksCooldown"],
    ["a clockTolerance that is not a duration", { verify: { clockTolerance: "soon" } }, "verify.clockTolerance"],
    ["an empty audience", { verify: { audience: "" } }, "verify.audience"],
    ["an empty issuer", { verify: { issuer: " " } }, "verify.issuer"],
    ["verify options that are not an object", { verify: "strict" }, "verify"],
    ["a blank apiKey", { apiKey: "  " }, "apiKey"],
    ["an apiKey that is not a string", { apiKey: 42 }, "apiKey"],
    ["an empty Redacted apiKey", { apiKey: Redacted.make("") }, "apiKey"],
    ["an empty accessToken", { accessToken: "" }, "accessToken"],
    ["a refreshToken that is not a string", { accessToken: "a", refreshToken: 7 }, "refreshToken"],
    ["an unknown billingPrefix", { billingPrefix: "/payments" }, "billingPrefix"],
    ["an empty organizationId", { organizationId: "" }, "organizationId"],
    ["an applicationId that is not a string", { applicationId: 12 }, "applicationId"],
    ["an autoRefresh that is not a boolean", { autoRefresh: "yes" }, "autoRefresh"],
    ["an onRefresh that is not a function", { onRefresh: "log" }, "onRefresh"],
    ["headers that are not strings", { headers: { "x-trace": 1 } }, "headers"],
    ["a transformClient that is not a function", { transformClient: true }, "transformClient"],
    ["a base URL that is not http(s)", { baseUrl: "ftp://x" }, "baseUrl"],
    ["options that are not an object", null, "options"],
  ]
  for (const [what, options, setting] of cases) {
    it(`${what}: ConfigurationError naming ${setting}, no request sent`, async () => {
      const f = puguhSetup()
      const error = await layerFailure(f, options === null ? null : { baseUrl: f.baseUrl, ...options })
      assert.ok(error instanceof ConfigurationError, inspect(error))
      assert.equal(error.setting, setting)
      assert.ok(error.message.includes(setting), `the message names ${setting}: ${error.message}`)
      assert.equal(f.sent.length, 0)
    })
  }

  it("good options still build: durations, a RetryPolicy, both billing prefixes, verify options", async () => {
    const f = puguhSetup()
    for (const billingPrefix of ["/billing", "/api/v1/billing"] as const) {
      const plans = await f.run(
        use((p) => p.billing.getPlans()),
        f.layer({
          timeout: "5 seconds",
          retry: RetryPolicy.make({ times: 1 }),
          billingPrefix,
          verify: { clockTolerance: 0, jwksCooldown: "1 minute", audience: ["puguh-api"] },
        }),
      )
      assert.ok(plans.length > 0)
    }
  })
})

describe("PUGUH client: verifyToken's own options", () => {
  for (
    const [options, argument] of [
      [{ clockTolerance: "soon" }, "clockTolerance"],
      [{ jwksCooldown: "later" }, "jwksCooldown"],
      [{ audience: 42 }, "audience"],
      [{ audience: [] }, "audience"],
      [{ issuer: "" }, "issuer"],
    ] as const
  ) {
    it(`${JSON.stringify(options)} fails with InvalidArgument (${argument}), not AuthError, and fetches no keys`, async () => {
      const f = puguhSetup()
      const tokens = await f.tokensOf(DEMO_USERS.owner)
      const error = await f.fail(
        "InvalidArgument",
        use((p) => p.verifyToken(tokens.accessToken, options as never)),
      )
      assert.equal(error.argument, argument)
      assert.ok(error.message.includes(argument), error.message)
      assert.equal(f.sent.length, 0)
    })
  }

  it("good options of its own still verify", async () => {
    const f = puguhSetup()
    const tokens = await f.tokensOf(DEMO_USERS.owner)
    const claims = await f.run(use((p) => p.verifyToken(tokens.accessToken, { clockTolerance: "5 seconds" })))
    assert.equal(claims.email, DEMO_USERS.owner)
  })
})

describe("PUGUH client: layerConfig and the environment", () => {
  const fromEnv = (f: ReturnType<typeof puguhSetup>, env: Record<string, string>) =>
    Effect.runPromiseExit(
      use((p) => p.organizations.list()).pipe(
        Effect.provide(Puguh.layerConfig().pipe(Layer.provide(f.http))),
        Effect.provide(ConfigProvider.layer(ConfigProvider.fromUnknown(env))),
      ),
    )

  for (const blank of ["", "   "]) {
    it(`PUGUH_API_KEY=${JSON.stringify(blank)} counts as unset: neither credential, no request`, async () => {
      const f = puguhSetup()
      const exit = await fromEnv(f, { PUGUH_BASE_URL: f.baseUrl, PUGUH_API_KEY: blank })
      assert.ok(Exit.isFailure(exit))
      const error = Cause.squash(exit.cause)
      assert.ok(error instanceof ConfigurationError, inspect(error))
      assert.equal(error.setting, "PUGUH_API_KEY, PUGUH_ACCESS_TOKEN")
      assert.equal(f.sent.length, 0)
    })
  }

  it("a blank PUGUH_API_KEY next to PUGUH_ACCESS_TOKEN: the token is used", async () => {
    const f = puguhSetup()
    const tokens = await f.tokensOf(DEMO_USERS.viewer)
    const exit = await fromEnv(f, {
      PUGUH_BASE_URL: f.baseUrl,
      PUGUH_API_KEY: " ",
      PUGUH_ACCESS_TOKEN: tokens.accessToken,
      PUGUH_ORGANIZATION_ID: "",
    })
    assert.ok(Exit.isSuccess(exit), Exit.isFailure(exit) ? Cause.pretty(exit.cause) : "")
    assert.equal(f.sent[0].headers.authorization, `Bearer ${tokens.accessToken}`)
    assert.equal(f.sent[0].headers["x-api-key"], undefined)
    assert.equal(f.sent[0].headers["x-organization-id"], undefined, "a blank organization counts as unset")
  })

  it("both set: a ConfigurationError naming the environment variables, not the options", async () => {
    const f = puguhSetup()
    const tokens = await f.tokensOf(DEMO_USERS.viewer)
    const exit = await fromEnv(f, {
      PUGUH_BASE_URL: f.baseUrl,
      PUGUH_API_KEY: PUGUH_DEMO.apiKey,
      PUGUH_ACCESS_TOKEN: tokens.accessToken,
    })
    assert.ok(Exit.isFailure(exit))
    const error = Cause.squash(exit.cause)
    assert.ok(error instanceof ConfigurationError, inspect(error))
    assert.equal(error.setting, "PUGUH_API_KEY, PUGUH_ACCESS_TOKEN")
    assert.match(error.message, /PUGUH_API_KEY.*PUGUH_ACCESS_TOKEN/)
    assert.doesNotMatch(error.message, /\bapiKey\b|\baccessToken\b/)
    assert.equal(f.sent.length, 0)
  })
})

describe("PUGUH client: the refresh callback", () => {
  for (
    const [what, onRefresh] of [
      ["throws", () => {
        throw new Error("storage is down")
      }],
      ["returns a rejected Promise", () => Promise.reject(new Error("storage is down")) as unknown as void],
    ] as const
  ) {
    it(`an onRefresh that ${what} is no defect: the call succeeds and the rotated token is kept`, async () => {
      const f = puguhSetup()
      const tokens = await f.tokensOf(DEMO_USERS.owner)
      let told = 0
      const layer = f.layer({
        accessToken: tokens.accessToken,
        refreshToken: tokens.refreshToken,
        autoRefresh: true,
        onRefresh: (fresh: Tokens) => {
          told += 1
          void fresh
          return onRefresh()
        },
      })
      const lists = await f.run(
        use((p) =>
          Effect.gen(function* () {
            f.clock.advance(61 * 60_000)
            const first = yield* p.organizations.list()
            f.clock.advance(61 * 60_000)
            const second = yield* p.organizations.list()
            return [first, second]
          })
        ),
        layer,
      )
      assert.equal(lists.length, 2)
      assert.equal(told, 2)
      const refreshes = f.requestsTo("POST", "/api/v1/auth/refresh").map((r) => JSON.parse(r.body).refresh_token)
      assert.equal(refreshes.length, 2)
      assert.equal(refreshes[0], tokens.refreshToken)
      assert.notEqual(refreshes[1], tokens.refreshToken, "the second refresh spent the rotated token")
    })
  }
})

describe("PUGUH client: refused inputs are never parsed into a throw", () => {
  it("a pipeline message whose path is not JSON is InvalidArgument (input), never a throw", () => {
    for (
      const message of [
        "the body does not encode: Expected a string, got 1\n  at [not json",
        "the body does not encode: Expected a string\n  at {}",
        "the body does not encode: \n  at ",
        "",
      ]
    ) {
      const error = toPuguhError({
        _tag: "Transport",
        operation: "puguh.login",
        message,
        cause: undefined,
        retryable: false,
      })
      assert.ok(error instanceof InvalidArgument, inspect(error))
      assert.equal(error.argument, "input")
    }
    const nested = toPuguhError({
      _tag: "Transport",
      operation: "puguh.login",
      message: 'the body does not encode: Expected a string\n  at ["items", 1]',
      cause: undefined,
      retryable: false,
    })
    assert.ok(nested instanceof InvalidArgument && nested.argument === "items.1", inspect(nested))
  })

  it("an argument a schema refuses is named from the issue's path, before any request", async () => {
    const f = puguhSetup()
    const error = await f.fail(
      "InvalidArgument",
      use((p) => p.auth.requestMagicLink("not an address")),
    )
    assert.equal(error.argument, "email")
    const code = await f.failAs(DEMO_USERS.member, "InvalidArgument", use((p) => p.auth.disableMfa("12ab")))
    assert.equal(code.argument, "code")
    const slug = await f.failAs(
      DEMO_USERS.owner,
      "InvalidArgument",
      use((p) => p.organizations.create({ name: "Bad", slug: "Not A Slug" })),
    )
    assert.equal(slug.argument, "slug")
    assert.equal(f.sent.length, 0)
  })
})

// The error type of each method, checked by `deno check` (and so by `deno test`).
type ErrorOf<F> = F extends (...args: ReadonlyArray<never>) => Effect.Effect<unknown, infer E, unknown> ? E : never
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
const exactly = <A, B>(same: Same<A, B>): Same<A, B> => same
const verifyWithTheClientsOptions = (p: PuguhService) => p.verifyToken("a.b.c")

describe("PUGUH client: each method's error type names what it can fail with", () => {
  it("calls that need no context never list MissingContext; calls with no argument never list InvalidArgument", () => {
    const checks: ReadonlyArray<boolean> = [
      exactly<ErrorOf<PuguhAuth["login"]>, PuguhFailure | InvalidArgument>(true),
      exactly<ErrorOf<PuguhAuth["register"]>, PuguhFailure | InvalidArgument>(true),
      exactly<ErrorOf<PuguhAuth["refreshToken"]>, PuguhFailure | InvalidArgument>(true),
      exactly<ErrorOf<PuguhAuth["requestMagicLink"]>, ArgumentCallError>(true),
      exactly<ErrorOf<PuguhAuth["verifyMagicLink"]>, ArgumentCallError>(true),
      exactly<ErrorOf<PuguhAuth["setupMfa"]>, PuguhFailure | MissingContext>(true),
      exactly<ErrorOf<PuguhAuth["setupMfa"]>, ContextCallError>(true),
      exactly<ErrorOf<PuguhAuth["validateToken"]>, CallError>(true),
      exactly<ErrorOf<PuguhAuth["disableMfa"]>, CallError>(true),
      exactly<ErrorOf<PuguhBilling["getPlans"]>, PuguhFailure>(true),
      exactly<ErrorOf<PuguhBilling["getPlan"]>, PuguhFailure | InvalidArgument>(true),
      exactly<ErrorOf<PuguhBilling["getSubscription"]>, CallError>(true),
      exactly<ErrorOf<PuguhOrganizations["listMembers"]>, CallError>(true),
      exactly<ErrorOf<PuguhApplications["get"]>, CallError>(true),
      exactly<ErrorOf<PuguhService["clearContext"]>, never>(true),
      exactly<ErrorOf<PuguhService["setOrganizationContext"]>, InvalidArgument>(true),
      exactly<ErrorOf<typeof verifyWithTheClientsOptions>, PuguhFailure>(true),
      exactly<ErrorOf<PuguhService["verifyToken"]>, PuguhFailure | InvalidArgument>(true),
      exactly<ErrorOf<PuguhAuth["login"]>, CallError>(false),
      exactly<ErrorOf<PuguhBilling["getPlans"]>, ArgumentCallError>(false),
    ]
    assert.ok(checks.every((check) => typeof check === "boolean"))
  })

  it("the Promise facade follows: the same methods, their answers as Promises", () => {
    const checks: ReadonlyArray<boolean> = [
      exactly<ReturnType<PuguhPromiseClient["billing"]["getPlans"]>, Promise<ReadonlyArray<Plan>>>(true),
      exactly<Parameters<PuguhPromiseClient["auth"]["setupMfa"]>, []>(true),
      exactly<Parameters<PuguhPromiseClient["auth"]["disableMfa"]>, [code: string]>(true),
      exactly<ReturnType<PuguhPromiseClient["verifyToken"]>, Promise<AccessTokenClaims>>(true),
      exactly<Parameters<PuguhPromiseClient["verifyToken"]>[1], Parameters<PuguhService["verifyToken"]>[1]>(true),
    ]
    assert.ok(checks.every((check) => typeof check === "boolean"))
  })
})
