/**
 * The PUGUH mock's in-memory state and rules: users with PBKDF2 password hashes, sessions of
 * rotating refresh tokens, RS256 access tokens, magic links, TOTP MFA, lockout, organizations
 * with their roles, members and invitations, applications, API keys, usage counters, and billing.
 * Every time reads the shared {@linkcode MockClock}. A rule that refuses throws a {@linkcode Problem}.
 *
 * @module
 */
import { DEFAULT_AUDIENCE, DEFAULT_ISSUER, type Role } from "../../src/puguh/contract.ts"
import type { MockClock } from "../clock.ts"
import { BillingState } from "./billing.ts"
import { SigningKeys } from "./keys.ts"
import { hashPassword, verifyPassword } from "./password.ts"
import { conflict, forbidden, invalid, notFound, Problem, unauthorized } from "./problem.ts"
import { matchTotp, newTotpSecret } from "./totp.ts"

/**
 * The demo data every fresh PUGUH mock holds. Not secrets: printed by the mock server.
 *
 * @example
 * ```ts
 * import { Effect, Redacted } from "effect"
 * import { createMock, PUGUH_DEMO } from "@gatehouse/sdk/mock"
 * import { Puguh } from "@gatehouse/sdk/puguh"
 *
 * const mock = createMock()
 * const tokens = await Effect.runPromise(
 *   Effect.flatMap(Puguh, (puguh) => puguh.auth.login({ email: PUGUH_DEMO.email, password: PUGUH_DEMO.password })).pipe(
 *     Effect.provide(Puguh.layer({ baseUrl: mock.baseUrl("puguh") })),
 *     Effect.provide(mock.layer),
 *   ),
 * )
 * console.log(Redacted.isRedacted(tokens.accessToken))
 * ```
 */
export const PUGUH_DEMO = {
  /** The owner of the demo organization. */
  email: "owner@acme.test",
  /** Every demo user's password. */
  password: "puguh-demo-password",
  /** A service key of the demo organization. */
  apiKey: "pk_live_demo0acme0000000000000000",
  /** The demo team organization, Acme Corp, on the Pro plan. */
  organizationId: "7c1e4a52-6c1e-4d6f-9a51-3f0e6f4d2a01",
  /** Its application, Acme Web. */
  applicationId: "7c1e4a52-6c1e-4d6f-9a51-3f0e6f4d2a02",
  /** An admin of Acme Corp. */
  adminEmail: "admin@acme.test",
  /** A member of Acme Corp. */
  memberEmail: "member@acme.test",
  /** A viewer of Acme Corp. */
  viewerEmail: "viewer@acme.test",
} as const

/** How long an access token lives. */
export const ACCESS_TOKEN_SECONDS = 3600

/** How long a refresh token lives. INFERRED. */
export const REFRESH_TOKEN_DAYS = 30

/** How long a magic link works. */
export const MAGIC_LINK_MINUTES = 15

/** Failed sign-ins in a row that lock an account. */
export const LOCKOUT_FAILURES = 5

/** How long a lockout lasts. */
export const LOCKOUT_MINUTES = 15

/** How long a pending invitation waits. INFERRED. */
export const INVITATION_DAYS = 7

const MINUTE = 60_000
const DAY = 86_400_000

/** A user, as tests read it. */
export interface MockUser {
  /** Its id. */
  readonly id: string
  /** Lower case. */
  readonly email: string
  /** The user's name. */
  readonly fullName: string | null
  /** The user's personal organization. */
  readonly personalOrganizationId: string
  /** Whether MFA is on (confirmed). */
  readonly mfaEnabled: boolean
  /** When it was made (mock-clock epoch millis). */
  readonly createdAt: number
}

/** Who a call comes from: a user's access token, or an organization's API key. */
export type Principal =
  | {
    readonly kind: "user"
    readonly userId: string
    readonly sessionId: string
    /** When the access token expires (epoch millis). */
    readonly expiresAt: number
  }
  | { readonly kind: "apiKey"; readonly organizationId: string }

/** An organization, as tests read it. */
export interface MockOrganization {
  /** Its id. */
  readonly id: string
  /** Its name. */
  readonly name: string
  /** Its slug. */
  readonly slug: string
  /** Its description. */
  readonly description: string | null
  /** `personal` or `team`. */
  readonly type: "personal" | "team"
  /** The owner's user id: there is exactly one owner. */
  readonly ownerId: string
  /** How many members it has. */
  readonly memberCount: number
  /** When it was made (mock-clock epoch millis). */
  readonly createdAt: number
  /** When it last changed (mock-clock epoch millis). */
  readonly updatedAt: number
  /** Soft delete: set, the organization is gone to the API. */
  readonly deletedAt: number | null
}

/** A member of an organization. */
export interface MockMember {
  /** The user. */
  readonly userId: string
  /** The address, lower case. */
  readonly email: string
  /** The user's name. */
  readonly fullName: string | null
  /** The role. */
  readonly role: Role
  /** When they joined (mock-clock epoch millis). */
  readonly joinedAt: number
}

/** An invitation. */
export interface MockInvitation {
  /** Its id. */
  readonly id: string
  /** The organization. */
  readonly organizationId: string
  /** The address, lower case. */
  readonly email: string
  /** The role. */
  readonly role: Role
  /** Its state. */
  readonly status: "pending" | "accepted"
  /** The user. */
  readonly userId: string | null
  /** Who invited: a user id, or `api-key:<organization>`. */
  readonly invitedBy: string
  /** When it was made (mock-clock epoch millis). */
  readonly createdAt: number
  /** When it stops working (mock-clock epoch millis). */
  readonly expiresAt: number
}

/** An application. */
export interface MockApplication {
  /** Its id. */
  readonly id: string
  /** The organization. */
  readonly organizationId: string
  /** Its name. */
  readonly name: string
  /** Its slug. */
  readonly slug: string
  /** Where it runs. */
  readonly environment: "production" | "staging" | "development"
  /** Its description. */
  readonly description: string | null
  /** When it was made (mock-clock epoch millis). */
  readonly createdAt: number
  /** When it last changed (mock-clock epoch millis). */
  readonly updatedAt: number
  /** Soft delete: when set, it is gone to the API. */
  readonly deletedAt: number | null
}

/** A member of an application. */
export interface MockApplicationMember {
  /** The application. */
  readonly applicationId: string
  /** The user. */
  readonly userId: string
  /** The address, lower case. */
  readonly email: string
  /** The role. */
  readonly role: "admin" | "member" | "viewer"
  /** When they were added (mock-clock epoch millis). */
  readonly addedAt: number
}

/** A magic-link email in the outbox. */
export interface MagicLinkMail {
  /** The recipient. */
  readonly to: string
  /** The subject line. */
  readonly subject: string
  /** The token the link carries, `ml_...`. */
  readonly token: string
  /** The link the user clicks. */
  readonly link: string
  /** When it was sent (mock-clock epoch millis). */
  readonly sentAt: number
  /** When it stops working (mock-clock epoch millis). */
  readonly expiresAt: number
}

/** Tokens as issued, before they are encoded. */
export interface IssuedTokens {
  /** The RS256 JWT. */
  readonly accessToken: string
  /** The refresh token, `rt_...`. */
  readonly refreshToken: string
  /** Seconds the access token lives. */
  readonly expiresIn: number
}

/** Who a token belongs to, as `validate` answers it. */
export interface TokenOwner {
  /** The user. */
  readonly user: MockUser
  /** The organization. */
  readonly organizationId: string
  /** The role. */
  readonly role: Role | undefined
  /** When it stops working (mock-clock epoch millis). */
  readonly expiresAt: number
}

/** A page of a list. */
export interface MockPage<A> {
  readonly items: ReadonlyArray<A>
  readonly total: number
  readonly page: number
  readonly pageSize: number
  readonly hasNext: boolean
  readonly hasPrev: boolean
}

/** Usage counters of an organization this (calendar, UTC) month. */
export interface MockUsage {
  /** The organization. */
  readonly organizationId: string
  /** The period's start (epoch millis). */
  readonly periodStart: number
  /** The period's end (epoch millis). */
  readonly periodEnd: number
  /** Authenticated calls made in the organization this month. */
  readonly apiCalls: number
  /** Members now. */
  readonly members: number
  /** Applications now, deleted ones aside. */
  readonly applications: number
}

interface User {
  readonly id: string
  readonly email: string
  fullName: string | null
  /** `null`: an account without a password (made by an invitation in code, or only magic links). */
  passwordHash: Promise<string> | null
  readonly personalOrganizationId: string
  readonly createdAt: number
  mfa: { readonly secret: string; confirmed: boolean; lastStep: number } | undefined
  failures: number
  lockedUntil: number
}

interface Organization {
  readonly id: string
  name: string
  slug: string
  description: string | null
  readonly type: "personal" | "team"
  readonly createdAt: number
  updatedAt: number
  deletedAt: number | null
  /** In joining order. */
  readonly members: Map<string, { role: Role; readonly joinedAt: number }>
  readonly invitations: Array<{ -readonly [K in keyof MockInvitation]: MockInvitation[K] }>
}

interface Application {
  readonly id: string
  readonly organizationId: string
  name: string
  slug: string
  environment: "production" | "staging" | "development"
  description: string | null
  readonly createdAt: number
  updatedAt: number
  deletedAt: number | null
  readonly members: Map<string, { readonly role: "admin" | "member" | "viewer"; readonly addedAt: number }>
}

interface Session {
  readonly id: string
  readonly userId: string
  readonly amr: ReadonlyArray<string>
  revoked: boolean
}

interface RefreshToken {
  readonly sessionId: string
  readonly expiresAt: number
  used: boolean
}

interface AccessToken {
  readonly userId: string
  readonly sessionId: string
  readonly kid: string
  readonly expiresAt: number
}

interface MagicLink extends MagicLinkMail {
  readonly userId: string
  used: boolean
}

const RANK: Readonly<Record<Role, number>> = { owner: 3, admin: 2, member: 1, viewer: 0 }

/** Whether `role` is `minimum` or above. */
export const atLeast = (role: Role, minimum: Role): boolean => RANK[role] >= RANK[minimum]

const randomHex = (bytes: number): string =>
  Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, "0")).join("")

/** Items `page` of `pageSize` of `all`. */
export const paginate = <A>(all: ReadonlyArray<A>, page: number = 1, pageSize: number = 20): MockPage<A> => ({
  items: all.slice((page - 1) * pageSize, page * pageSize),
  total: all.length,
  page,
  pageSize,
  hasNext: page * pageSize < all.length,
  hasPrev: page > 1,
})

const monthOf = (epochMillis: number) => {
  const date = new Date(epochMillis)
  const start = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1)
  const end = Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1)
  return { start, end, key: `${date.getUTCFullYear()}-${date.getUTCMonth() + 1}` }
}

// The demo users' hashes, made once per process: every fresh mock (a test suite builds many) reuses them.
const demoHashes = new Map<string, Promise<string>>()
const demoHash = (email: string): Promise<string> => {
  let hash = demoHashes.get(email)
  if (hash === undefined) {
    hash = hashPassword(PUGUH_DEMO.password)
    demoHashes.set(email, hash)
  }
  return hash
}

/**
 * The PUGUH mock's state.
 *
 * @example
 * ```ts
 * import { createMock } from "@gatehouse/sdk/mock"
 *
 * const { puguh } = createMock()
 * const user = puguh.state.createUser("ada@example.test", "Ada Lovelace")
 * puguh.state.requestMagicLink(user.email, "http://127.0.0.1:4010/puguh")
 * console.log(puguh.state.outbox(user.email).length) // 1: the link, as the mock "mailed" it
 * ```
 */
export class PuguhState {
  readonly #clock: MockClock
  /** The signing keys: rotate them, read the JWKS. */
  readonly keys: SigningKeys = new SigningKeys()
  /** Plans, subscriptions and invoices. */
  readonly billing: BillingState
  #users = new Map<string, User>()
  #usersByEmail = new Map<string, User>()
  #organizations = new Map<string, Organization>()
  #applications = new Map<string, Application>()
  #apiKeys = new Map<string, string>()
  #sessions = new Map<string, Session>()
  #refreshTokens = new Map<string, RefreshToken>()
  #accessTokens = new Map<string, AccessToken>()
  #magicLinks = new Map<string, MagicLink>()
  #outbox: Array<MagicLinkMail> = []
  #calls = new Map<string, number>()

  /** A state seeded with the demo data, reading `clock`. */
  constructor(clock: MockClock) {
    this.#clock = clock
    this.billing = new BillingState(clock)
    this.reset()
  }

  /** Back to the seeded state: the demo users, Acme Corp (Pro) with its application and key, one signing key. */
  reset(): void {
    this.#users = new Map()
    this.#usersByEmail = new Map()
    this.#organizations = new Map()
    this.#applications = new Map()
    this.#apiKeys = new Map()
    this.#sessions = new Map()
    this.#refreshTokens = new Map()
    this.#accessTokens = new Map()
    this.#magicLinks = new Map()
    this.#outbox = []
    this.#calls = new Map()
    this.keys.reset()
    this.billing.reset()
    const owner = this.#newUser(PUGUH_DEMO.email, "Olivia Owner", demoHash(PUGUH_DEMO.email))
    const acme = this.#newOrganization(PUGUH_DEMO.organizationId, "Acme Corp", "acme-corp", "team", owner.id)
    acme.description = "The demo organization"
    for (
      const [email, name, role] of [
        [PUGUH_DEMO.adminEmail, "Adam Admin", "admin"],
        [PUGUH_DEMO.memberEmail, "Mia Member", "member"],
        [PUGUH_DEMO.viewerEmail, "Victor Viewer", "viewer"],
      ] as const
    ) {
      const user = this.#newUser(email, name, demoHash(email))
      acme.members.set(user.id, { role, joinedAt: this.#clock.now() })
    }
    this.#apiKeys.set(PUGUH_DEMO.apiKey, acme.id)
    this.#newApplication(PUGUH_DEMO.applicationId, acme.id, "Acme Web", "acme-web", "production")
    this.billing.subscribe(acme.id, "pro", "monthly", "pm_card_visa")
  }

  // -------------------------------------------------------------------------------------------
  // Users and sign-in
  // -------------------------------------------------------------------------------------------

  #newUser(email: string, fullName: string | null, passwordHash: Promise<string> | null): User {
    const id = crypto.randomUUID()
    const personal = this.#newOrganization(
      crypto.randomUUID(),
      `${fullName ?? email}'s workspace`,
      `personal-${id.slice(0, 8)}`,
      "personal",
      id,
    )
    const user: User = {
      id,
      email: email.toLowerCase(),
      fullName,
      passwordHash,
      personalOrganizationId: personal.id,
      createdAt: this.#clock.now(),
      mfa: undefined,
      failures: 0,
      lockedUntil: 0,
    }
    this.#users.set(id, user)
    this.#usersByEmail.set(user.email, user)
    return user
  }

  #view(user: User): MockUser {
    return {
      id: user.id,
      email: user.email,
      fullName: user.fullName,
      personalOrganizationId: user.personalOrganizationId,
      mfaEnabled: user.mfa?.confirmed === true,
      createdAt: user.createdAt,
    }
  }

  #user(userId: string): User {
    const user = this.#users.get(userId)
    if (user === undefined) throw notFound("User")
    return user
  }

  /** The user with `email`, if any. */
  userByEmail(email: string): MockUser | undefined {
    const user = this.#usersByEmail.get(email.toLowerCase())
    return user === undefined ? undefined : this.#view(user)
  }

  /** A user by id. */
  user(userId: string): MockUser {
    return this.#view(this.#user(userId))
  }

  /**
   * Registers a user and their personal organization, and accepts the pending invitations to the
   * address. 409 when it is taken, 422 for a password under 8 characters.
   */
  register(email: string, password: string, fullName?: string): MockUser {
    if (this.#usersByEmail.has(email.toLowerCase())) throw conflict("This email is already registered", "email_taken")
    if (password.length < 8) {
      throw invalid(["body", "password"], "String should have at least 8 characters", "string_too_short")
    }
    const user = this.#newUser(email, fullName ?? null, hashPassword(password))
    const now = this.#clock.now()
    for (const organization of this.#organizations.values()) {
      for (const invitation of organization.invitations) {
        if (invitation.email === user.email && invitation.status === "pending" && invitation.expiresAt > now) {
          organization.members.set(user.id, { role: invitation.role, joinedAt: now })
          Object.assign(invitation, { status: "accepted", userId: user.id })
        }
      }
    }
    return this.#view(user)
  }

  /** A user without a password (signs in by magic link), made in code: for bulk seeding. */
  createUser(email: string, fullName: string | null = null): MockUser {
    if (this.#usersByEmail.has(email.toLowerCase())) throw conflict("This email is already registered", "email_taken")
    return this.#view(this.#newUser(email, fullName, null))
  }

  #lockedFor(user: User): number {
    return Math.max(0, user.lockedUntil - this.#clock.now())
  }

  #fail(user: User | undefined, problem: Problem): Problem {
    if (user === undefined) return problem
    user.failures += 1
    if (user.failures >= LOCKOUT_FAILURES) {
      user.failures = 0
      user.lockedUntil = this.#clock.now() + LOCKOUT_MINUTES * MINUTE
    }
    return problem
  }

  /**
   * Signs in: tokens, or 401 (`invalid_credentials`, `mfa_required`, `invalid_mfa_code`). Five
   * failures in a row (wrong password or code) lock the account for 15 minutes: 429
   * `account_locked` with `Retry-After`, the right password included.
   */
  async login(email: string, password: string, mfaCode?: string): Promise<IssuedTokens> {
    const user = this.#usersByEmail.get(email.toLowerCase())
    if (user !== undefined && this.#lockedFor(user) > 0) {
      const seconds = Math.ceil(this.#lockedFor(user) / 1000)
      throw new Problem(
        429,
        `Too many failed sign-ins: the account is locked for ${seconds} seconds`,
        "account_locked",
        { "retry-after": String(seconds) },
      )
    }
    const hash = user?.passwordHash === null || user === undefined ? undefined : await user.passwordHash
    if (user === undefined || hash === undefined || !(await verifyPassword(password, hash))) {
      throw this.#fail(user, unauthorized("Incorrect email or password", "invalid_credentials"))
    }
    const amr = ["pwd"]
    if (user.mfa?.confirmed === true) {
      if (mfaCode === undefined) throw unauthorized("An MFA code is required", "mfa_required")
      if (!(await this.#takeCode(user, mfaCode))) {
        throw this.#fail(user, unauthorized("The MFA code is not valid", "invalid_mfa_code"))
      }
      amr.push("otp")
    }
    user.failures = 0
    return await this.#issue(user, amr)
  }

  /** Whether `code` is the user's TOTP within a step, and not one used before (then spent). */
  async #takeCode(user: User, code: string): Promise<boolean> {
    if (user.mfa === undefined) return false
    const step = await matchTotp(user.mfa.secret, code, this.#clock.now())
    if (step === undefined || step <= user.mfa.lastStep) return false
    user.mfa.lastStep = step
    return true
  }

  /** New tokens for `user`: in `sessionId`'s family, or a new session. */
  async #issue(user: User, amr: ReadonlyArray<string>, sessionId?: string): Promise<IssuedTokens> {
    const session = sessionId === undefined ? this.#newSession(user.id, amr) : this.#sessions.get(sessionId)!
    const now = this.#clock.now()
    const iat = Math.floor(now / 1000)
    const accessToken = await this.keys.sign({
      iss: DEFAULT_ISSUER,
      aud: DEFAULT_AUDIENCE,
      sub: user.id,
      email: user.email,
      ...(user.fullName !== null && { name: user.fullName }),
      org_id: user.personalOrganizationId,
      sid: session.id,
      amr: [...session.amr],
      jti: crypto.randomUUID(),
      iat,
      exp: iat + ACCESS_TOKEN_SECONDS,
    })
    this.#accessTokens.set(accessToken, {
      userId: user.id,
      sessionId: session.id,
      kid: this.keys.currentKid,
      expiresAt: (iat + ACCESS_TOKEN_SECONDS) * 1000,
    })
    const refreshToken = `rt_${randomHex(24)}`
    this.#refreshTokens.set(refreshToken, {
      sessionId: session.id,
      expiresAt: now + REFRESH_TOKEN_DAYS * DAY,
      used: false,
    })
    return { accessToken, refreshToken, expiresIn: ACCESS_TOKEN_SECONDS }
  }

  #newSession(userId: string, amr: ReadonlyArray<string>): Session {
    const session: Session = { id: crypto.randomUUID(), userId, amr, revoked: false }
    this.#sessions.set(session.id, session)
    return session
  }

  /** Signs `userId` in without a password (as a magic link would): for tests. */
  issueTokens(userId: string): Promise<IssuedTokens> {
    return this.#issue(this.#user(userId), ["email"])
  }

  /**
   * Trades a refresh token for new tokens in the same session; the old one is spent. A spent
   * token presented again revokes the whole session (every refresh and access token in it): 401
   * `refresh_token_reused`.
   */
  async refresh(refreshToken: string): Promise<IssuedTokens> {
    const record = this.#refreshTokens.get(refreshToken)
    if (record === undefined) throw unauthorized("Invalid refresh token", "invalid_token")
    const session = this.#sessions.get(record.sessionId)!
    if (record.used) {
      session.revoked = true
      throw unauthorized("Refresh token reuse detected: the session is revoked", "refresh_token_reused")
    }
    if (session.revoked) throw unauthorized("The session is revoked", "token_revoked")
    if (record.expiresAt <= this.#clock.now()) throw unauthorized("The refresh token has expired", "token_expired")
    record.used = true
    return await this.#issue(this.#user(session.userId), session.amr, session.id)
  }

  /** Whether `sessionId`'s family was revoked (a refresh token reused). */
  isSessionRevoked(sessionId: string): boolean {
    return this.#sessions.get(sessionId)?.revoked === true
  }

  /** The user an access token belongs to, or 401 (`invalid_token`, `token_expired`, `token_revoked`). */
  #bearer(token: string): Principal {
    const record = this.#accessTokens.get(token)
    if (record === undefined || !this.keys.isPublished(record.kid)) {
      throw unauthorized("Invalid access token", "invalid_token")
    }
    if (record.expiresAt <= this.#clock.now()) throw unauthorized("The access token has expired", "token_expired")
    if (this.#sessions.get(record.sessionId)?.revoked === true) {
      throw unauthorized("The session was revoked", "token_revoked")
    }
    return { kind: "user", userId: record.userId, sessionId: record.sessionId, expiresAt: record.expiresAt }
  }

  /**
   * Who is calling: an API key (which needs `X-Organization-ID`, its own organization) or a bearer
   * token; `undefined` when neither is sent. Throws the API's 401, 403 or 422.
   */
  authenticate(headers: Headers): Principal | undefined {
    const apiKey = headers.get("x-api-key")
    if (apiKey !== null) {
      const organizationId = this.#apiKeys.get(apiKey)
      if (organizationId === undefined || this.#organization(organizationId) === undefined) {
        throw unauthorized("Invalid API key", "invalid_api_key")
      }
      const header = headers.get("x-organization-id")
      if (header === null) throw invalid(["header", "x-organization-id"], "Field required", "missing")
      if (header !== organizationId) throw forbidden("The API key does not belong to this organization")
      return { kind: "apiKey", organizationId }
    }
    const authorization = headers.get("authorization")
    if (authorization === null) return undefined
    if (!/^bearer /i.test(authorization)) throw unauthorized("Not authenticated")
    return this.#bearer(authorization.slice(7).trim())
  }

  /** Who an access token belongs to, and their role in `organizationId` (else their personal organization). */
  tokenOwner(token: string, organizationId?: string): TokenOwner {
    const principal = this.#bearer(token)
    if (principal.kind !== "user") throw unauthorized("Invalid access token", "invalid_token")
    const user = this.#user(principal.userId)
    const orgId = organizationId ?? user.personalOrganizationId
    const role = this.#organization(orgId)?.members.get(user.id)?.role
    return { user: this.#view(user), organizationId: orgId, role, expiresAt: principal.expiresAt }
  }

  // -------------------------------------------------------------------------------------------
  // Magic links and MFA
  // -------------------------------------------------------------------------------------------

  /** Emails a sign-in link to a known address (nothing for an unknown one: the API answers alike). */
  requestMagicLink(email: string, baseUrl: string): void {
    const user = this.#usersByEmail.get(email.toLowerCase())
    if (user === undefined) return
    const now = this.#clock.now()
    const token = `ml_${randomHex(24)}`
    const mail: MagicLink = {
      to: user.email,
      subject: "Your PUGUH sign-in link",
      token,
      link: `${baseUrl}/magic-link?token=${token}`,
      sentAt: now,
      expiresAt: now + MAGIC_LINK_MINUTES * MINUTE,
      userId: user.id,
      used: false,
    }
    this.#magicLinks.set(token, mail)
    this.#outbox.push({
      to: mail.to,
      subject: mail.subject,
      token,
      link: mail.link,
      sentAt: now,
      expiresAt: mail.expiresAt,
    })
  }

  /** The magic-link emails sent (to `email`, if given), oldest first. */
  outbox(email?: string): ReadonlyArray<MagicLinkMail> {
    return email === undefined ? [...this.#outbox] : this.#outbox.filter((mail) => mail.to === email.toLowerCase())
  }

  /** Signs in with a magic link's token: once, within 15 minutes (401 `magic_link_used` / `magic_link_expired`). */
  async verifyMagicLink(token: string): Promise<IssuedTokens> {
    const link = this.#magicLinks.get(token)
    if (link === undefined) throw unauthorized("Invalid magic link", "invalid_token")
    if (link.used) throw unauthorized("This magic link was already used", "magic_link_used")
    if (link.expiresAt <= this.#clock.now()) throw unauthorized("This magic link has expired", "magic_link_expired")
    link.used = true
    return await this.#issue(this.#user(link.userId), ["email"])
  }

  /** Starts MFA: a new secret (replacing an unconfirmed one). 409 when MFA is already on. */
  setupMfa(userId: string): { readonly secret: string; readonly otpauthUrl: string } {
    const user = this.#user(userId)
    if (user.mfa?.confirmed === true) throw conflict("MFA is already enabled", "mfa_already_enabled")
    const secret = newTotpSecret()
    user.mfa = { secret, confirmed: false, lastStep: -1 }
    const label = encodeURIComponent(`PUGUH:${user.email}`)
    return {
      secret,
      otpauthUrl: `otpauth://totp/${label}?secret=${secret}&issuer=PUGUH&algorithm=SHA1&digits=6&period=30`,
    }
  }

  /** Turns MFA on with a valid code: 400 `mfa_not_set_up` or `invalid_mfa_code`. */
  async confirmMfa(userId: string, code: string): Promise<void> {
    const user = this.#user(userId)
    if (user.mfa === undefined) throw new Problem(400, "Set up MFA first", "mfa_not_set_up")
    if (user.mfa.confirmed) throw conflict("MFA is already enabled", "mfa_already_enabled")
    if (!(await this.#takeCode(user, code))) throw new Problem(400, "The MFA code is not valid", "invalid_mfa_code")
    user.mfa.confirmed = true
  }

  /** Turns MFA off with a valid code: 400 `mfa_not_enabled` or `invalid_mfa_code`. */
  async disableMfa(userId: string, code: string): Promise<void> {
    const user = this.#user(userId)
    if (user.mfa?.confirmed !== true) throw new Problem(400, "MFA is not enabled", "mfa_not_enabled")
    if (!(await this.#takeCode(user, code))) throw new Problem(400, "The MFA code is not valid", "invalid_mfa_code")
    user.mfa = undefined
  }

  // -------------------------------------------------------------------------------------------
  // Organizations
  // -------------------------------------------------------------------------------------------

  #newOrganization(id: string, name: string, slug: string, type: "personal" | "team", ownerId: string): Organization {
    const now = this.#clock.now()
    const organization: Organization = {
      id,
      name,
      slug,
      description: null,
      type,
      createdAt: now,
      updatedAt: now,
      deletedAt: null,
      members: new Map([[ownerId, { role: "owner", joinedAt: now }]]),
      invitations: [],
    }
    this.#organizations.set(id, organization)
    return organization
  }

  /** The organization, unless deleted. */
  #organization(organizationId: string): Organization | undefined {
    const organization = this.#organizations.get(organizationId)
    return organization === undefined || organization.deletedAt !== null ? undefined : organization
  }

  #orgView(organization: Organization): MockOrganization {
    const ownerId = [...organization.members].find(([, member]) => member.role === "owner")![0]
    return {
      id: organization.id,
      name: organization.name,
      slug: organization.slug,
      description: organization.description,
      type: organization.type,
      ownerId,
      memberCount: organization.members.size,
      createdAt: organization.createdAt,
      updatedAt: organization.updatedAt,
      deletedAt: organization.deletedAt,
    }
  }

  /** The principal's role in an organization, if any; an API key acts as `admin` in its own. */
  roleOf(principal: Principal, organizationId: string): Role | undefined {
    const organization = this.#organization(organizationId)
    if (organization === undefined) return undefined
    return principal.kind === "apiKey"
      ? principal.organizationId === organizationId ? "admin" : undefined
      : organization.members.get(principal.userId)?.role
  }

  /**
   * The principal's role in an organization, at least `minimum`: 404 when it cannot see the
   * organization (named in the path), 403 when it is not a member (named in `X-Organization-ID`) or
   * its role is below `minimum`.
   */
  requireRole(principal: Principal, organizationId: string, minimum: Role, via: "path" | "header" = "path"): Role {
    const role = this.roleOf(principal, organizationId)
    if (role === undefined) {
      if (via === "header" && this.#organization(organizationId) !== undefined) {
        throw forbidden("You are not a member of this organization", "not_a_member")
      }
      throw notFound("Organization")
    }
    if (!atLeast(role, minimum)) {
      throw forbidden(`This needs the ${minimum} role or above; you are ${role}`, "insufficient_role")
    }
    return role
  }

  /** The principal's organizations, in creation order (an API key: its own). */
  organizations(
    principal: Principal,
    filter: { readonly type?: "personal" | "team"; readonly search?: string } = {},
  ): ReadonlyArray<MockOrganization & { readonly role: Role }> {
    const search = filter.search?.toLowerCase()
    return [...this.#organizations.values()].flatMap((organization) => {
      const role = this.roleOf(principal, organization.id)
      if (role === undefined) return []
      if (filter.type !== undefined && organization.type !== filter.type) return []
      const matches = search === undefined || organization.name.toLowerCase().includes(search) ||
        organization.slug.includes(search)
      return matches ? [{ ...this.#orgView(organization), role }] : []
    })
  }

  /** One organization the principal belongs to (404 otherwise), with its role. */
  organization(principal: Principal, organizationId: string): MockOrganization & { readonly role: Role } {
    const role = this.requireRole(principal, organizationId, "viewer")
    return { ...this.#orgView(this.#organization(organizationId)!), role }
  }

  #checkSlug(slug: string, except?: string): void {
    for (const organization of this.#organizations.values()) {
      if (organization.deletedAt === null && organization.slug === slug && organization.id !== except) {
        throw conflict("This slug is taken", "slug_taken")
      }
    }
  }

  /** Creates a team organization owned by the user (403 for an API key, 409 for a taken slug). */
  createOrganization(
    principal: Principal,
    input: { readonly name: string; readonly slug: string; readonly description?: string },
  ): MockOrganization & { readonly role: Role } {
    if (principal.kind !== "user") throw forbidden("API keys cannot create organizations")
    this.#checkSlug(input.slug)
    const organization = this.#newOrganization(crypto.randomUUID(), input.name, input.slug, "team", principal.userId)
    organization.description = input.description ?? null
    return { ...this.#orgView(organization), role: "owner" }
  }

  /** Changes an organization (admin or above). */
  updateOrganization(
    principal: Principal,
    organizationId: string,
    changes: { readonly name?: string; readonly slug?: string; readonly description?: string | null },
  ): MockOrganization & { readonly role: Role } {
    const role = this.requireRole(principal, organizationId, "admin")
    const organization = this.#organization(organizationId)!
    if (changes.slug !== undefined) this.#checkSlug(changes.slug, organizationId)
    if (changes.name !== undefined) organization.name = changes.name
    if (changes.slug !== undefined) organization.slug = changes.slug
    if (changes.description !== undefined) organization.description = changes.description
    organization.updatedAt = this.#clock.now()
    return { ...this.#orgView(organization), role }
  }

  /** Soft-deletes a team organization (owner only); its applications go with it. */
  deleteOrganization(principal: Principal, organizationId: string): void {
    this.requireRole(principal, organizationId, "owner")
    const organization = this.#organization(organizationId)!
    if (organization.type === "personal") throw forbidden("A personal organization cannot be deleted")
    organization.deletedAt = this.#clock.now()
  }

  #memberView(userId: string, member: { readonly role: Role; readonly joinedAt: number }): MockMember {
    const user = this.#user(userId)
    return { userId, email: user.email, fullName: user.fullName, role: member.role, joinedAt: member.joinedAt }
  }

  /** An organization's members, in joining order (any member may read them). */
  members(principal: Principal, organizationId: string): ReadonlyArray<MockMember> {
    this.requireRole(principal, organizationId, "viewer")
    return [...this.#organization(organizationId)!.members].map(([userId, member]) => this.#memberView(userId, member))
  }

  /** Adds a user to an organization with `role`, in code and without any check of the caller: for seeding. */
  addMember(organizationId: string, userId: string, role: Exclude<Role, "owner">): MockMember {
    const organization = this.#organization(organizationId)
    if (organization === undefined) throw notFound("Organization")
    this.#user(userId)
    const member = { role, joinedAt: this.#clock.now() }
    organization.members.set(userId, member)
    return this.#memberView(userId, member)
  }

  /**
   * Invites an address (admin or above), never as owner: an existing user joins at once
   * (`accepted`), anyone else when they register (`pending`, 7 days). 409 for a member, or an
   * address already invited.
   */
  invite(principal: Principal, organizationId: string, email: string, role: Role): MockInvitation {
    this.requireRole(principal, organizationId, "admin")
    if (role === "owner") {
      throw invalid(["body", "role"], "Invite as admin, member or viewer; ownership moves with a transfer")
    }
    const organization = this.#organization(organizationId)!
    const address = email.toLowerCase()
    const user = this.#usersByEmail.get(address)
    if (user !== undefined && organization.members.has(user.id)) {
      throw conflict("This user is already a member", "already_member")
    }
    const now = this.#clock.now()
    if (organization.invitations.some((i) => i.email === address && i.status === "pending" && i.expiresAt > now)) {
      throw conflict("This address is already invited", "already_invited")
    }
    const invitation = {
      id: crypto.randomUUID(),
      organizationId,
      email: address,
      role,
      status: user === undefined ? "pending" as const : "accepted" as const,
      userId: user?.id ?? null,
      invitedBy: principal.kind === "user" ? principal.userId : `api-key:${organizationId}`,
      createdAt: now,
      expiresAt: now + INVITATION_DAYS * DAY,
    }
    organization.invitations.push(invitation)
    if (user !== undefined) organization.members.set(user.id, { role, joinedAt: now })
    return { ...invitation }
  }

  /** An organization's invitations, in order. */
  invitations(organizationId: string): ReadonlyArray<MockInvitation> {
    return (this.#organizations.get(organizationId)?.invitations ?? []).map((invitation) => ({ ...invitation }))
  }

  /**
   * Changes a member's role (admin or above). `owner` (by the owner only) transfers ownership, the
   * old owner becoming admin: there is always exactly one owner. The owner's own role changes only so.
   */
  setRole(principal: Principal, organizationId: string, userId: string, role: Role): MockMember {
    const callerRole = this.requireRole(principal, organizationId, "admin")
    const members = this.#organization(organizationId)!.members
    const target = members.get(userId)
    if (target === undefined) throw notFound("Member")
    if (role === "owner") {
      if (callerRole !== "owner" || principal.kind !== "user") throw forbidden("Only the owner can transfer ownership")
      if (target.role !== "owner") {
        members.get(principal.userId)!.role = "admin"
        target.role = "owner"
      }
    } else if (target.role === "owner") {
      throw conflict("An organization has exactly one owner: transfer ownership first", "owner_required")
    } else {
      target.role = role
    }
    return this.#memberView(userId, target)
  }

  /** Removes a member (admin or above, or the member themselves); never the owner. */
  removeMember(principal: Principal, organizationId: string, userId: string): void {
    const leaving = principal.kind === "user" && principal.userId === userId
    this.requireRole(principal, organizationId, leaving ? "viewer" : "admin")
    const organization = this.#organization(organizationId)!
    const target = organization.members.get(userId)
    if (target === undefined) throw notFound("Member")
    if (target.role === "owner") {
      throw conflict("The owner cannot be removed: transfer ownership first", "owner_required")
    }
    organization.members.delete(userId)
    for (const application of this.#applications.values()) {
      if (application.organizationId === organizationId) application.members.delete(userId)
    }
  }

  // -------------------------------------------------------------------------------------------
  // Applications
  // -------------------------------------------------------------------------------------------

  #newApplication(
    id: string,
    organizationId: string,
    name: string,
    slug: string,
    environment: MockApplication["environment"],
  ): Application {
    const now = this.#clock.now()
    const application: Application = {
      id,
      organizationId,
      name,
      slug,
      environment,
      description: null,
      createdAt: now,
      updatedAt: now,
      deletedAt: null,
      members: new Map(),
    }
    this.#applications.set(id, application)
    return application
  }

  #appView(application: Application): MockApplication {
    const { members: _, ...view } = application
    return { ...view }
  }

  /** The application, visible to the principal with at least `minimum` in its organization (404 otherwise). */
  #application(principal: Principal, applicationId: string, minimum: Role): Application {
    const application = this.#applications.get(applicationId)
    if (
      application === undefined || application.deletedAt !== null ||
      this.roleOf(principal, application.organizationId) === undefined
    ) {
      throw notFound("Application")
    }
    this.requireRole(principal, application.organizationId, minimum)
    return application
  }

  /** An organization's applications (any member), in creation order. */
  applications(principal: Principal, organizationId: string): ReadonlyArray<MockApplication> {
    this.requireRole(principal, organizationId, "viewer", "header")
    return [...this.#applications.values()]
      .filter((a) => a.organizationId === organizationId && a.deletedAt === null)
      .map((a) => this.#appView(a))
  }

  #checkAppSlug(organizationId: string, slug: string, except?: string): void {
    for (const application of this.#applications.values()) {
      if (
        application.organizationId === organizationId && application.deletedAt === null &&
        application.slug === slug && application.id !== except
      ) {
        throw conflict("This slug is taken in the organization", "slug_taken")
      }
    }
  }

  /** Creates an application (member or above). */
  createApplication(
    principal: Principal,
    organizationId: string,
    input: {
      readonly name: string
      readonly slug: string
      readonly environment?: MockApplication["environment"]
      readonly description?: string
    },
  ): MockApplication {
    this.requireRole(principal, organizationId, "member", "header")
    this.#checkAppSlug(organizationId, input.slug)
    const application = this.#newApplication(
      crypto.randomUUID(),
      organizationId,
      input.name,
      input.slug,
      input.environment ?? "development",
    )
    application.description = input.description ?? null
    return this.#appView(application)
  }

  /** One application (any member of its organization). */
  application(principal: Principal, applicationId: string): MockApplication {
    return this.#appView(this.#application(principal, applicationId, "viewer"))
  }

  /** Changes an application (member or above). */
  updateApplication(
    principal: Principal,
    applicationId: string,
    changes: {
      readonly name?: string
      readonly slug?: string
      readonly environment?: MockApplication["environment"]
      readonly description?: string | null
    },
  ): MockApplication {
    const application = this.#application(principal, applicationId, "member")
    if (changes.slug !== undefined) this.#checkAppSlug(application.organizationId, changes.slug, applicationId)
    if (changes.name !== undefined) application.name = changes.name
    if (changes.slug !== undefined) application.slug = changes.slug
    if (changes.environment !== undefined) application.environment = changes.environment
    if (changes.description !== undefined) application.description = changes.description
    application.updatedAt = this.#clock.now()
    return this.#appView(application)
  }

  /** Soft-deletes an application (admin or above). */
  deleteApplication(principal: Principal, applicationId: string): void {
    this.#application(principal, applicationId, "admin").deletedAt = this.#clock.now()
  }

  /** An application's members, in the order added. */
  applicationMembers(principal: Principal, applicationId: string): ReadonlyArray<MockApplicationMember> {
    const application = this.#application(principal, applicationId, "viewer")
    return [...application.members].map(([userId, member]) => ({
      applicationId,
      userId,
      email: this.#user(userId).email,
      ...member,
    }))
  }

  /** Adds a member of the organization to an application (member or above); 422 for anyone else. */
  addApplicationMember(
    principal: Principal,
    applicationId: string,
    userId: string,
    role: MockApplicationMember["role"],
  ): MockApplicationMember {
    const application = this.#application(principal, applicationId, "member")
    if (!this.#organization(application.organizationId)!.members.has(userId)) {
      throw invalid(["body", "user_id"], "The user is not a member of the application's organization")
    }
    if (application.members.has(userId)) throw conflict("Already a member of the application", "already_member")
    const member = { role, addedAt: this.#clock.now() }
    application.members.set(userId, member)
    return { applicationId, userId, email: this.#user(userId).email, ...member }
  }

  // -------------------------------------------------------------------------------------------
  // API keys and usage
  // -------------------------------------------------------------------------------------------

  /** Mints an API key of an organization, `pk_live_...`. */
  createApiKey(organizationId: string): string {
    if (this.#organization(organizationId) === undefined) throw notFound("Organization")
    const key = `pk_live_${randomHex(16)}`
    this.#apiKeys.set(key, organizationId)
    return key
  }

  /** Counts an authenticated call made in an organization, this month. */
  countCall(organizationId: string): void {
    if (this.#organization(organizationId) === undefined) return
    const key = `${organizationId}:${monthOf(this.#clock.now()).key}`
    this.#calls.set(key, (this.#calls.get(key) ?? 0) + 1)
  }

  /** An organization's usage this calendar month (UTC). */
  usage(organizationId: string): MockUsage {
    const month = monthOf(this.#clock.now())
    const organization = this.#organization(organizationId)
    if (organization === undefined) throw notFound("Organization")
    return {
      organizationId,
      periodStart: month.start,
      periodEnd: month.end,
      apiCalls: this.#calls.get(`${organizationId}:${month.key}`) ?? 0,
      members: organization.members.size,
      applications:
        [...this.#applications.values()].filter((a) => a.organizationId === organizationId && a.deletedAt === null)
          .length,
    }
  }
}
