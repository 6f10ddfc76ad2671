/**
 * PUGUH against the bundled mock: sign in, learn who is calling from the token (locally, through
 * the JWKS), work in an organization through the context, bill it in IDR, sign in by magic link,
 * turn MFA on, and survive an expired token with automatic refresh.
 *
 * `deno run -A examples/puguh.ts` (or `bun examples/puguh.ts`)
 *
 * @module
 */
import { Effect, Redacted, Stream } from "effect"
import { MockClock, mountMocks, PuguhMock, totp } from "@gatehouse/sdk/mock"
import { ApiError, Puguh, PuguhClient } from "@gatehouse/sdk/puguh"

const clock = new MockClock()
const puguh = new PuguhMock(clock)
const mock = mountMocks(clock, [puguh])
const baseUrl = mock.baseUrl("puguh")
const { email, password, organizationId } = puguh.demo

// No credential: only sign-in, registration, magic links and plans.
const signIn = Effect.flatMap(Puguh, (p) => p.auth.login({ email, password })).pipe(
  Effect.provide(Puguh.layer({ baseUrl })),
  Effect.provide(mock.layer),
)
const tokens = await Effect.runPromise(signIn)

const program = Effect.gen(function* () {
  const p = yield* Puguh
  // The seed has no get_me: an app learns who is calling from the token itself.
  const me = yield* p.verifyToken(tokens.accessToken)
  yield* Effect.log(`signed in as ${me.email} (${me.sub}), by ${me.amr?.join("+")}`)

  const orgs = yield* p.organizations.list()
  for (const org of orgs.items) yield* Effect.log(`organization ${org.name} (${org.slug}): ${org.role}`)

  // The context supplies the organization (and sends X-Organization-ID) from here on.
  yield* p.setOrganizationContext(organizationId)
  const members = yield* Stream.runCollect(p.organizations.listAllMembers())
  yield* Effect.log(`members: ${members.map((m) => `${m.email} (${m.role})`).join(", ")}`)
  const app = yield* p.applications.create({ name: "Acme Admin", slug: "acme-admin", environment: "staging" })
  yield* Effect.log(`created application ${app.slug} in ${app.environment}`)

  const plans = yield* p.billing.getPlans()
  for (const plan of plans) yield* Effect.log(`plan ${plan.name}: IDR ${plan.price.toLocaleString("id-ID")}/mo`)
  const upgraded = yield* p.billing.upgrade({ planId: "business" })
  yield* Effect.log(`subscription: ${upgraded.planName}, ${upgraded.status} until ${upgraded.currentPeriodEnd}`)
  const invoices = yield* p.billing.getInvoices()
  for (const invoice of invoices) yield* Effect.log(`${invoice.number}: ${invoice.currency} ${invoice.amount}`)
  const usage = yield* p.billing.getUsage()
  yield* Effect.log(`usage this month: ${usage.apiCalls} calls, ${usage.members} members`)

  // MFA: the mock's clock drives TOTP; an authenticator app would show the same code.
  const setup = yield* p.auth.setupMfa()
  const code = yield* Effect.promise(() => totp(Redacted.value(setup.secret), clock.now()))
  yield* p.auth.confirmMfa(code)
  yield* Effect.log("MFA on: sign-ins now ask for a code")
})

await Effect.runPromise(
  program.pipe(
    Effect.provide(Puguh.layer({ baseUrl, accessToken: tokens.accessToken })),
    Effect.provide(mock.layer),
  ),
)

// An hour on, the access token has expired: with autoRefresh the client refreshes it once and resends.
clock.advance(61 * 60_000)
await Effect.runPromise(
  Effect.flatMap(Puguh, (p) => p.organizations.get(organizationId)).pipe(
    Effect.tap((org) => Effect.log(`after a refresh: ${org.name}`)),
    Effect.provide(Puguh.layer({
      baseUrl,
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken,
      autoRefresh: true,
      onRefresh: () => console.log("tokens refreshed (keep the new refresh token)"),
    })),
    Effect.provide(mock.layer),
  ),
)

// The same API as Promises, for apps that do not use Effect: a magic link for the viewer.
await using client = PuguhClient.make({ baseUrl, fetch: mock.fetch })
await client.auth.requestMagicLink(puguh.demo.viewerEmail)
const [mail] = puguh.state.outbox(puguh.demo.viewerEmail)
const viewerTokens = await client.auth.verifyMagicLink(mail.token)
const viewer = await client.verifyToken(viewerTokens.accessToken)
console.log("promise facade: magic link signed in", viewer.email)

// Roles are enforced as the API enforces them: a viewer reads, and cannot change the organization.
await using asViewer = PuguhClient.make({ baseUrl, fetch: mock.fetch, accessToken: viewerTokens.accessToken })
try {
  await asViewer.organizations.update({ orgId: organizationId, name: "Viewer's Corp" })
} catch (error) {
  if (!(error instanceof ApiError)) throw error
  console.log(`viewer refused: ${error.status} ${error.message}`)
}
