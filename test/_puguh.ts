// The PUGUH tests' wiring, on the one harness: the PUGUH mock alone, client layers over it, and
// signed-in demo users (tokens issued by the mock's state, no request spent).
import { Effect } from "effect"
import { PUGUH_DEMO, PuguhMock } from "../mock/puguh/mod.ts"
import { Puguh, type PuguhCredentialOptions, type PuguhService } from "../src/puguh/mod.ts"
import { harness } from "./_harness.ts"

/** The demo users of Acme Corp, by role. */
export const DEMO_USERS = {
  owner: PUGUH_DEMO.email,
  admin: PUGUH_DEMO.adminEmail,
  member: PUGUH_DEMO.memberEmail,
  viewer: PUGUH_DEMO.viewerEmail,
} as const

/** The PUGUH service, to `flatMap` on. */
export const use = <A, E>(f: (puguh: PuguhService) => Effect.Effect<A, E>): Effect.Effect<A, E, Puguh> =>
  Effect.flatMap(Puguh, f)

export const puguhSetup = () => {
  const h = harness((clock) => new PuguhMock(clock), (_, baseUrl) => Puguh.layer({ baseUrl }))
  const state = h.api.state
  const acme = PUGUH_DEMO.organizationId
  const layer = (options: PuguhCredentialOptions = {}) => Puguh.layer({ baseUrl: h.baseUrl, ...options })

  /** Tokens of a user, issued by the state. */
  const tokensOf = (email: string) => state.issueTokens(state.userByEmail(email)!.id)

  /** Runs `program` as the user with `email` (an access token of theirs), with `options`. */
  const runAs = async <A, E>(
    email: string,
    program: Effect.Effect<A, E, Puguh>,
    options: PuguhCredentialOptions = {},
  ) => h.run(program, layer({ accessToken: (await tokensOf(email)).accessToken, ...options }))

  /** Like `runAs`, for a program that must fail with `tag`: that error. */
  const failAs = async <T extends string, A, E>(
    email: string,
    tag: T,
    program: Effect.Effect<A, E, Puguh>,
    options: PuguhCredentialOptions = {},
  ) => h.fail(tag, program, layer({ accessToken: (await tokensOf(email)).accessToken, ...options }))

  /** The requests sent to `path` (below the API's base URL), by method and path. */
  const requestsTo = (method: string, path: string) =>
    h.sent.filter((request) => request.method === method && new URL(request.url).pathname === `/puguh${path}`)

  return { ...h, state, acme, layer, tokensOf, runAs, failAs, requestsTo }
}
