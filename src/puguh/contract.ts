/**
 * The PUGUH wire contract (contracts.md §2), spelled once: the client decodes with these schemas
 * and the mock encodes with them. Fields travel in snake_case and are camelCase in TypeScript;
 * models the API extends (user context, organizations, applications, plans, subscriptions,
 * invoices, usage, token claims) keep the fields this version does not know, as they came.
 * Open vocabularies (roles, statuses, environments) decode values they do not know.
 *
 * Where the vendor docs are silent the choice is ours, marked INFERRED (contracts.md §2).
 *
 * @module
 */
import { type Redacted, Schema, SchemaTransformation } from "effect"
import { defineApi, documentEndpoints } from "../core/endpoint.ts"

/**
 * The production base URL; auth, organizations and applications live under `/api/v1`.
 *
 * @example
 * ```ts
 * import { DEFAULT_BASE_URL, Puguh } from "@gatehouse/sdk/puguh"
 *
 * console.log(DEFAULT_BASE_URL) // used without baseUrl or PUGUH_BASE_URL
 * const layer = Puguh.layer({ apiKey: "pk_live_...", organizationId: "org-uuid", baseUrl: DEFAULT_BASE_URL })
 * ```
 */
export const DEFAULT_BASE_URL = "https://api-puguh.arsaka.io"

/**
 * The `iss` of PUGUH access tokens. INFERRED: the API's base URL.
 *
 * @example
 * ```ts
 * import { DEFAULT_ISSUER, Puguh } from "@gatehouse/sdk/puguh"
 *
 * // Tokens from a staging issuer instead.
 * const layer = Puguh.layer({ verify: { issuer: DEFAULT_ISSUER.replace("api-", "staging-") } })
 * ```
 */
export const DEFAULT_ISSUER = "https://api-puguh.arsaka.io"

/**
 * The `aud` of PUGUH access tokens. INFERRED.
 *
 * @example
 * ```ts
 * import { DEFAULT_AUDIENCE, Puguh } from "@gatehouse/sdk/puguh"
 *
 * const layer = Puguh.layer({ verify: { audience: [DEFAULT_AUDIENCE, "my-api"] } })
 * ```
 */
export const DEFAULT_AUDIENCE = "puguh-api"

/**
 * The header an API key travels in.
 *
 * @example
 * ```ts
 * import { API_KEY_HEADER, ORGANIZATION_HEADER } from "@gatehouse/sdk/puguh"
 *
 * // The headers of a call of your own with a service key.
 * const headers = { [API_KEY_HEADER]: "pk_live_...", [ORGANIZATION_HEADER]: "org-uuid" }
 * ```
 */
export const API_KEY_HEADER = "x-api-key"

/**
 * The organization a call acts in: required with an API key, and by organization-scoped calls.
 *
 * @example
 * ```ts
 * import { ORGANIZATION_HEADER } from "@gatehouse/sdk/puguh"
 *
 * // Which organization a request to your backend acts in, as PUGUH's clients send it.
 * const organizationOf = (request: Request) => request.headers.get(ORGANIZATION_HEADER)
 * ```
 */
export const ORGANIZATION_HEADER = "x-organization-id"

/**
 * The application a call acts on, for application-scoped calls.
 *
 * @example
 * ```ts
 * import { APPLICATION_HEADER } from "@gatehouse/sdk/puguh"
 *
 * const applicationOf = (request: Request) => request.headers.get(APPLICATION_HEADER)
 * ```
 */
export const APPLICATION_HEADER = "x-application-id"

/**
 * Page size when none is given.
 *
 * @example
 * ```ts
 * import { DEFAULT_PAGE_SIZE } from "@gatehouse/sdk/puguh"
 *
 * console.log(DEFAULT_PAGE_SIZE) // 20: a page's items when none is asked for
 * ```
 */
export const DEFAULT_PAGE_SIZE = 20

/**
 * The largest page the API serves.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { MAX_PAGE_SIZE, Puguh } from "@gatehouse/sdk/puguh"
 *
 * const orgs = Effect.flatMap(Puguh, (puguh) => puguh.organizations.list({ pageSize: MAX_PAGE_SIZE }))
 * ```
 */
export const MAX_PAGE_SIZE = 100

/**
 * Any string beyond the known ones; written so that editors still suggest the known literals.
 *
 * @example
 * ```ts
 * import type { OpenString } from "@gatehouse/sdk/puguh"
 *
 * // A known literal, or any string a later API version sends
 * type Tier = "free" | "pro" | OpenString
 * const tier: Tier = "enterprise"
 * ```
 */
export type OpenString = string & Record<never, never>

/**
 * A member's role in an organization: exactly one `owner`, any number of the others.
 *
 * @example
 * ```ts
 * import type { Role } from "@gatehouse/sdk/puguh"
 *
 * const canManage = (role: Role) => role === "owner" || role === "admin"
 * ```
 */
export type Role = "owner" | "admin" | "member" | "viewer"

/**
 * The roles, from most to least powerful.
 *
 * @example
 * ```ts
 * import { type Role, ROLES } from "@gatehouse/sdk/puguh"
 *
 * // Whether `role` may do what `minimum` may: ROLES runs from most to least powerful.
 * const atLeast = (role: Role, minimum: Role): boolean => ROLES.indexOf(role) <= ROLES.indexOf(minimum)
 * ```
 */
export const ROLES: ReadonlyArray<Role> = ["owner", "admin", "member", "viewer"]

/**
 * `personal` (one per user, made at registration) or `team`.
 *
 * @example
 * ```ts
 * import type { OrganizationType } from "@gatehouse/sdk/puguh"
 *
 * const deletable = (type: OrganizationType) => type !== "personal" // the personal organization stays
 * ```
 */
export type OrganizationType = "personal" | "team" | OpenString

/**
 * Where an application runs.
 *
 * @example
 * ```ts
 * import type { Environment } from "@gatehouse/sdk/puguh"
 *
 * const environment: Environment = "staging"
 * ```
 */
export type Environment = "production" | "staging" | "development" | OpenString

/**
 * A subscription's state: `active`; `past_due` (a renewal payment failed); `grace_period` (cancelled,
 * or unpaid past the retries: service continues for 7 days); `cancelled`; `suspended`.
 *
 * @example
 * ```ts
 * import type { SubscriptionStatus } from "@gatehouse/sdk/puguh"
 *
 * const inService = (status: SubscriptionStatus) => status === "active" || status === "past_due" || status === "grace_period"
 * ```
 */
export type SubscriptionStatus = "active" | "past_due" | "grace_period" | "cancelled" | "suspended" | OpenString

/**
 * How often a subscription renews.
 *
 * @example
 * ```ts
 * import type { BillingCycle } from "@gatehouse/sdk/puguh"
 *
 * const months = (cycle: BillingCycle) => (cycle === "yearly" ? 12 : 1)
 * ```
 */
export type BillingCycle = "monthly" | "yearly" | OpenString

/**
 * An invoice's state.
 *
 * @example
 * ```ts
 * import type { InvoiceStatus } from "@gatehouse/sdk/puguh"
 *
 * const due = (status: InvoiceStatus) => status === "open"
 * ```
 */
export type InvoiceStatus = "paid" | "open" | "void" | OpenString

/**
 * An invitation's state: `accepted` when the invitee already had an account (added at once).
 *
 * @example
 * ```ts
 * import type { InvitationStatus } from "@gatehouse/sdk/puguh"
 *
 * // `accepted` at once when the invitee already had an account
 * const added = (status: InvitationStatus) => status === "accepted"
 * ```
 */
export type InvitationStatus = "pending" | "accepted" | OpenString

/** A JSON object as it travels. */
export type Wire = { readonly [field: string]: unknown }

/**
 * Fields this version does not know, kept as they came (snake_case).
 *
 * @example
 * ```ts
 * import type { Plan, UnknownFields } from "@gatehouse/sdk/puguh"
 *
 * // A field the API added after this version stays readable, under its snake_case name
 * const extra: UnknownFields = { trial_days: 14 }
 * const trialDays = (plan: Plan) => plan["trial_days"]
 * ```
 */
export type UnknownFields = { readonly [field: string]: unknown }

const open = <T extends string>(known: ReadonlyArray<T>): Schema.Codec<T | OpenString, string> =>
  Schema.Union([Schema.Literals(known), Schema.String])

const RoleSchema = open(ROLES)
const Rest = Schema.Record(Schema.String, Schema.Unknown)

/** A field's name on the wire: `pageSize` travels as `page_size` (the mock names fields so in its 422s). */
export const wireName = (name: string): string => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)
const snake = wireName

const renameKeys = (names: Readonly<Record<string, string>>) => (value: Wire): Wire =>
  Object.fromEntries(Object.entries(value).map(([key, field]) => [names[key] ?? key, field]))

/** The encoded fields of `fields` under their snake_case names, and the two renamings. */
const wireNames = (fields: Schema.Struct.Fields) => {
  const toWire: Record<string, string> = {}
  const encoded: Record<string, Schema.Top> = {}
  for (const [name, field] of Object.entries(fields)) {
    toWire[name] = snake(name)
    encoded[snake(name)] = Schema.toEncoded(field)
  }
  const fromWire = Object.fromEntries(Object.entries(toWire).map(([name, wire]) => [wire, name]))
  return { encoded, transformation: { decode: renameKeys(fromWire), encode: renameKeys(toWire) } }
}

/**
 * A struct whose fields travel under their snake_case names (`fullName` as `full_name`). The wire
 * side is built from names at run time, so the codec's type is stated rather than inferred.
 */
const wire = <F extends Schema.Struct.Fields>(fields: F): Schema.Codec<Schema.Struct<F>["Type"], Wire> => {
  const { encoded, transformation } = wireNames(fields)
  return Schema.Struct(encoded).pipe(
    Schema.decodeTo(Schema.Struct(fields), SchemaTransformation.transform(transformation as never)),
  ) as never
}

/** {@linkcode wire}, keeping the fields it does not name as they came. */
const openWire = <F extends Schema.Struct.Fields>(
  fields: F,
): Schema.Codec<Schema.Struct<F>["Type"] & UnknownFields, Wire> => {
  const { encoded, transformation } = wireNames(fields)
  return Schema.StructWithRest(Schema.Struct(encoded), [Rest]).pipe(
    Schema.decodeTo(
      Schema.StructWithRest(Schema.Struct(fields), [Rest]),
      SchemaTransformation.transform(transformation as never),
    ),
  ) as never
}

/** A secret as it travels: a string on the wire, `Redacted` in memory. */
const Secret = Schema.RedactedFromValue(Schema.String)
const Timestamp = Schema.String
const NullableString = Schema.optionalKey(Schema.NullOr(Schema.String))

// ---------------------------------------------------------------------------------------------
// Auth
// ---------------------------------------------------------------------------------------------

/**
 * What login, refresh and a magic link answer: an access token (a JWT) and a refresh token.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Puguh, type Tokens } from "@gatehouse/sdk/puguh"
 *
 * const tokens = Effect.flatMap(Puguh, (p) => p.auth.login({ email: "alice@example.com", password: "..." }))
 * const expiresAt = (t: Tokens) => Date.now() + t.expiresIn * 1000
 * ```
 */
export interface Tokens {
  /** The access token, an RS256 JWT (1 hour), sent as `Authorization: Bearer`. */
  readonly accessToken: Redacted.Redacted<string>
  /** Always `Bearer`. */
  readonly tokenType: string
  /** Seconds the access token lives: 3600. */
  readonly expiresIn: number
  /** The refresh token: single use, each refresh answers a new one. */
  readonly refreshToken: Redacted.Redacted<string>
}

/** `{access_token, token_type, expires_in, refresh_token}` */
export const TokensSchema = wire({
  accessToken: Secret,
  tokenType: Schema.String,
  expiresIn: Schema.Number,
  refreshToken: Secret,
})

/**
 * The answer of `register`.
 *
 * @example
 * ```ts
 * import type { Registration } from "@gatehouse/sdk/puguh"
 *
 * const ids = (registration: Registration) => [registration.userId, registration.organizationId]
 * ```
 */
export interface Registration {
  /** The new user's id. */
  readonly userId: string
  /** The address registered, lower case. */
  readonly email: string
  /** The personal organization made for the user. */
  readonly organizationId: string
}

/** `{user_id, email, organization_id}` */
export const RegistrationSchema = wire({
  userId: Schema.String,
  email: Schema.String,
  organizationId: Schema.String,
})

/**
 * Who a token belongs to, as `validateToken` answers: the README reads `.email` and `.roles`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Puguh, type UserContext } from "@gatehouse/sdk/puguh"
 *
 * const isAdmin = (user: UserContext) => user.roles.includes("admin")
 * const admin = Effect.flatMap(Puguh, (p) => p.auth.validateToken("eyJ...")).pipe(Effect.map(isAdmin))
 * ```
 */
export interface UserContext extends UnknownFields {
  /** The user's id (the token's `sub`). */
  readonly userId: string
  /** The user's address. */
  readonly email: string
  /** The user's name. */
  readonly fullName?: string | null | undefined
  /** The user's roles in `organizationId`. */
  readonly roles: ReadonlyArray<string>
  /** The organization the roles are in: the `X-Organization-ID` of the call, else the personal one. */
  readonly organizationId: string | null
  /** Whether the user has TOTP MFA on. */
  readonly mfaEnabled?: boolean | undefined
  /** When the token expires (ISO 8601). */
  readonly expiresAt?: string | undefined
}

/** `{user_id, email, roles, organization_id, ...}` INFERRED past `email` and `roles`. */
export const UserContextSchema = openWire({
  userId: Schema.String,
  email: Schema.String,
  fullName: NullableString,
  roles: Schema.Array(Schema.String),
  organizationId: Schema.NullOr(Schema.String),
  mfaEnabled: Schema.optionalKey(Schema.Boolean),
  expiresAt: Schema.optionalKey(Timestamp),
})

/**
 * A short answer in words (`{message}`).
 *
 * @example
 * ```ts
 * import type { Message } from "@gatehouse/sdk/puguh"
 *
 * const show = (answer: Message) => console.log(answer.message)
 * ```
 */
export interface Message {
  /** What happened. */
  readonly message: string
}

/** `{message}` */
export const MessageSchema = wire({ message: Schema.String })

/**
 * The answer of `setupMfa`: the TOTP secret, and the same as an `otpauth://` URL to show as a QR code.
 *
 * @example
 * ```ts
 * import { Redacted } from "effect"
 * import type { MfaSetup } from "@gatehouse/sdk/puguh"
 *
 * // The otpauth:// URL to render as a QR code
 * const qr = (setup: MfaSetup) => Redacted.value(setup.qrCodeUrl)
 * ```
 */
export interface MfaSetup {
  /** The base32 TOTP secret (RFC 6238: SHA-1, 6 digits, 30 s). */
  readonly secret: Redacted.Redacted<string>
  /** `otpauth://totp/PUGUH:<email>?secret=...&issuer=PUGUH`: render it as a QR code. It holds the secret. */
  readonly qrCodeUrl: Redacted.Redacted<string>
  /** `totp` */
  readonly type?: string | undefined
}

/** `{secret, qr_code_url}` */
export const MfaSetupSchema = wire({
  secret: Secret,
  qrCodeUrl: Secret,
  type: Schema.optionalKey(Schema.String),
})

/**
 * Whether MFA is on, after `confirmMfa` or `disableMfa`.
 *
 * @example
 * ```ts
 * import type { MfaStatus } from "@gatehouse/sdk/puguh"
 *
 * const on = (status: MfaStatus) => status.mfaEnabled
 * ```
 */
export interface MfaStatus {
  /** `true` after `confirmMfa`, `false` after `disableMfa`. */
  readonly mfaEnabled: boolean
  /** What happened. */
  readonly message?: string | undefined
}

/** `{mfa_enabled, message}` INFERRED. */
export const MfaStatusSchema = wire({ mfaEnabled: Schema.Boolean, message: Schema.optionalKey(Schema.String) })

/**
 * The claims of a PUGUH access token, as `verifyToken` answers them.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { type AccessTokenClaims, Puguh } from "@gatehouse/sdk/puguh"
 *
 * const subject = (claims: AccessTokenClaims) => `${claims.sub} (${claims.email ?? "no email"})`
 * const who = Effect.flatMap(Puguh, (p) => p.verifyToken("eyJ...")).pipe(Effect.map(subject))
 * ```
 */
export interface AccessTokenClaims extends UnknownFields {
  /** The user's id. */
  readonly sub: string
  /** The issuer, `DEFAULT_ISSUER`. */
  readonly iss: string
  /** The audience, `DEFAULT_AUDIENCE`. */
  readonly aud: string | ReadonlyArray<string>
  /** Expiry, in seconds since the epoch. */
  readonly exp: number
  /** Issued at, in seconds since the epoch. */
  readonly iat: number
  /** The token's id. */
  readonly jti?: string | undefined
  /** The user's address. */
  readonly email?: string | undefined
  /** The user's name. */
  readonly name?: string | undefined
  /** The user's personal organization (`org_id`). */
  readonly orgId?: string | undefined
  /** The session (the refresh-token family) it was issued in. */
  readonly sid?: string | undefined
  /** How the user signed in: `pwd`, `otp` (MFA), `email` (magic link). */
  readonly amr?: ReadonlyArray<string> | undefined
}

/** The claims of an access token. INFERRED past `sub`, `iss`, `aud`, `exp`, `iat`. */
export const AccessTokenClaimsSchema = openWire({
  sub: Schema.String,
  iss: Schema.String,
  aud: Schema.Union([Schema.String, Schema.Array(Schema.String)]),
  exp: Schema.Number,
  iat: Schema.Number,
  jti: Schema.optionalKey(Schema.String),
  email: Schema.optionalKey(Schema.String),
  name: Schema.optionalKey(Schema.String),
  orgId: Schema.optionalKey(Schema.String),
  sid: Schema.optionalKey(Schema.String),
  amr: Schema.optionalKey(Schema.Array(Schema.String)),
})

/**
 * The public keys access tokens are signed with (RFC 7517).
 *
 * @example
 * ```ts
 * import type { JsonWebKeySet } from "@gatehouse/sdk/puguh"
 *
 * const keyIds = (jwks: JsonWebKeySet) => jwks.keys.map((key) => key["kid"])
 * ```
 */
export interface JsonWebKeySet {
  /** RSA public keys, each with its `kid`. */
  readonly keys: ReadonlyArray<Readonly<Record<string, unknown>>>
}

/** `GET /.well-known/jwks.json` */
export const JsonWebKeySetSchema: Schema.Codec<JsonWebKeySet, JsonWebKeySet> = Schema.Struct({
  keys: Schema.Array(Schema.Record(Schema.String, Schema.Unknown)),
})

// ---------------------------------------------------------------------------------------------
// Organizations, applications
// ---------------------------------------------------------------------------------------------

/**
 * One page of a list.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { type Organization, type Page, Puguh } from "@gatehouse/sdk/puguh"
 *
 * const names = (page: Page<Organization>) => page.items.map((organization) => organization.name)
 * const first = Effect.flatMap(Puguh, (p) => p.organizations.list({ page: 1, pageSize: 20 })).pipe(Effect.map(names))
 * ```
 */
export interface Page<A> {
  /** This page's items. */
  readonly items: ReadonlyArray<A>
  /** Items across every page. */
  readonly total: number
  /** This page's number, from 1. */
  readonly page: number
  /** Items per page (1-100). */
  readonly pageSize: number
  /** Whether a later page has items. */
  readonly hasNext: boolean
  /** Whether this is not the first page. */
  readonly hasPrev: boolean
}

/** `{items, total, page, page_size, has_next, has_prev}` */
export const PageSchema = <A>(item: Schema.Codec<A, Wire>) =>
  wire({
    items: Schema.Array(item),
    total: Schema.Int,
    page: Schema.Int,
    pageSize: Schema.Int,
    hasNext: Schema.Boolean,
    hasPrev: Schema.Boolean,
  })

/**
 * An organization. Lists answer the organization with the caller's `role` in it (the README reads
 * `.name` and `.slug` on each item; the TS docs' `OrganizationWithMembership` nests it instead:
 * INFERRED, flat).
 *
 * @example
 * ```ts
 * import type { Organization } from "@gatehouse/sdk/puguh"
 *
 * const teams = (organizations: ReadonlyArray<Organization>) =>
 *   organizations.filter((organization) => organization.type === "team").map((organization) => organization.slug)
 * ```
 */
export interface Organization extends UnknownFields {
  /** Its id (a UUID). */
  readonly id: string
  /** Its name. */
  readonly name: string
  /** Its slug: lower-case letters, digits and dashes, unique. */
  readonly slug: string
  /** Its description. */
  readonly description?: string | null | undefined
  /** `personal` or `team`. */
  readonly type: OrganizationType
  /** The caller's role in it. */
  readonly role?: Role | OpenString | undefined
  /** The owner's user id. */
  readonly ownerId?: string | undefined
  /** How many members it has. */
  readonly memberCount?: number | undefined
  /** When it was made (ISO 8601). */
  readonly createdAt: string
  /** When it last changed (ISO 8601). */
  readonly updatedAt: string
}

/** An organization. */
export const OrganizationSchema = openWire({
  id: Schema.String,
  name: Schema.String,
  slug: Schema.String,
  description: NullableString,
  type: open(["personal", "team"]),
  role: Schema.optionalKey(RoleSchema),
  ownerId: Schema.optionalKey(Schema.String),
  memberCount: Schema.optionalKey(Schema.Int),
  createdAt: Timestamp,
  updatedAt: Timestamp,
})

/**
 * A member of an organization.
 *
 * @example
 * ```ts
 * import type { Member } from "@gatehouse/sdk/puguh"
 *
 * const owner = (members: ReadonlyArray<Member>) => members.find((member) => member.role === "owner")?.email
 * ```
 */
export interface Member {
  /** The member's user id. */
  readonly userId: string
  /** The member's address. */
  readonly email: string
  /** The member's name. */
  readonly fullName?: string | null | undefined
  /** The member's role. */
  readonly role: Role | OpenString
  /** When the member joined (ISO 8601). */
  readonly joinedAt: string
}

/** A member. */
export const MemberSchema = wire({
  userId: Schema.String,
  email: Schema.String,
  fullName: NullableString,
  role: RoleSchema,
  joinedAt: Timestamp,
})

/**
 * An invitation to an organization.
 *
 * @example
 * ```ts
 * import type { Invitation } from "@gatehouse/sdk/puguh"
 *
 * const pending = (invitations: ReadonlyArray<Invitation>) =>
 *   invitations.filter((invitation) => invitation.status === "pending").map((invitation) => invitation.email)
 * ```
 */
export interface Invitation {
  /** Its id. */
  readonly id: string
  /** The organization invited to. */
  readonly organizationId: string
  /** The invitee's address. */
  readonly email: string
  /** The role the invitee gets. */
  readonly role: Role | OpenString
  /** `accepted` when the invitee already had an account and was added at once; else `pending` until they register. */
  readonly status: InvitationStatus
  /** The invitee's user id, once there is one. */
  readonly userId?: string | null | undefined
  /** Who invited. */
  readonly invitedBy?: string | undefined
  /** When it was sent (ISO 8601). */
  readonly createdAt: string
  /** When a pending invitation lapses (ISO 8601). */
  readonly expiresAt: string
}

/** An invitation. */
export const InvitationSchema = wire({
  id: Schema.String,
  organizationId: Schema.String,
  email: Schema.String,
  role: RoleSchema,
  status: open(["pending", "accepted"]),
  userId: NullableString,
  invitedBy: Schema.optionalKey(Schema.String),
  createdAt: Timestamp,
  expiresAt: Timestamp,
})

/**
 * An application of an organization.
 *
 * @example
 * ```ts
 * import type { Application } from "@gatehouse/sdk/puguh"
 *
 * const production = (applications: ReadonlyArray<Application>) =>
 *   applications.filter((application) => application.environment === "production")
 * ```
 */
export interface Application extends UnknownFields {
  /** Its id (a UUID). */
  readonly id: string
  /** The organization it belongs to. */
  readonly organizationId: string
  /** Its name. */
  readonly name: string
  /** Its slug, unique in the organization. */
  readonly slug: string
  /** `production`, `staging` or `development`. */
  readonly environment: Environment
  /** Its description. */
  readonly description?: string | null | undefined
  /** When it was made (ISO 8601). */
  readonly createdAt: string
  /** When it last changed (ISO 8601). */
  readonly updatedAt: string
}

/** An application. */
export const ApplicationSchema = openWire({
  id: Schema.String,
  organizationId: Schema.String,
  name: Schema.String,
  slug: Schema.String,
  environment: open(["production", "staging", "development"]),
  description: NullableString,
  createdAt: Timestamp,
  updatedAt: Timestamp,
})

/**
 * A member of an application.
 *
 * @example
 * ```ts
 * import type { ApplicationMember } from "@gatehouse/sdk/puguh"
 *
 * const viewers = (members: ReadonlyArray<ApplicationMember>) =>
 *   members.filter((member) => member.role === "viewer").map((member) => member.userId)
 * ```
 */
export interface ApplicationMember {
  /** The application. */
  readonly applicationId: string
  /** The member's user id. */
  readonly userId: string
  /** The member's address. */
  readonly email?: string | undefined
  /** The member's role in the application (`admin`, `member` or `viewer`). */
  readonly role: Role | OpenString
  /** When the member was added (ISO 8601). */
  readonly addedAt: string
}

/** An application member. */
export const ApplicationMemberSchema = wire({
  applicationId: Schema.String,
  userId: Schema.String,
  email: Schema.optionalKey(Schema.String),
  role: RoleSchema,
  addedAt: Timestamp,
})

// ---------------------------------------------------------------------------------------------
// Billing
// ---------------------------------------------------------------------------------------------

/**
 * A plan: the README reads `.name` and `.price`. Prices are whole rupiah (IDR).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { type Plan, Puguh } from "@gatehouse/sdk/puguh"
 *
 * const label = (plan: Plan) => `${plan.name}: ${plan.price} ${plan.currency}/month`
 * const labels = Effect.flatMap(Puguh, (p) => p.billing.getPlans()).pipe(Effect.map((plans) => plans.map(label)))
 * ```
 */
export interface Plan extends UnknownFields {
  /** Its id: `free`, `pro`, `business`, `enterprise`. */
  readonly id: string
  /** Its name. */
  readonly name: string
  /** The monthly price, in whole IDR. */
  readonly price: number
  /** `IDR` */
  readonly currency: string
  /** The yearly price, in whole IDR. */
  readonly priceYearly?: number | undefined
  /** What it includes. */
  readonly features?: ReadonlyArray<string> | undefined
  /** Its limits (`members`, `applications`, `api_calls` a month); `null` is unlimited. */
  readonly limits?: Readonly<Record<string, number | null>> | undefined
}

/** A plan. INFERRED past `name` and `price`. */
export const PlanSchema = openWire({
  id: Schema.String,
  name: Schema.String,
  price: Schema.Int,
  currency: Schema.String,
  priceYearly: Schema.optionalKey(Schema.Int),
  features: Schema.optionalKey(Schema.Array(Schema.String)),
  limits: Schema.optionalKey(Schema.Record(Schema.String, Schema.NullOr(Schema.Int))),
})

/**
 * An organization's subscription.
 *
 * @example
 * ```ts
 * import type { Subscription } from "@gatehouse/sdk/puguh"
 *
 * const renews = (subscription: Subscription) =>
 *   subscription.status === "active" ? subscription.currentPeriodEnd : subscription.gracePeriodEndsAt
 * ```
 */
export interface Subscription extends UnknownFields {
  /** Its id, `sub_...`. */
  readonly id: string
  /** The organization subscribed. */
  readonly organizationId: string
  /** The plan's id. */
  readonly plan: string
  /** The plan's name. */
  readonly planName?: string | undefined
  /** `active`, `past_due`, `grace_period`, `cancelled`, `suspended`. */
  readonly status: SubscriptionStatus
  /** `monthly` or `yearly`. */
  readonly billingCycle: BillingCycle
  /** The current period's start (ISO 8601). */
  readonly currentPeriodStart: string
  /** The current period's end, when it renews (ISO 8601). */
  readonly currentPeriodEnd: string
  /** When it was made (ISO 8601). */
  readonly createdAt: string
  /** When it was cancelled (ISO 8601). */
  readonly cancelledAt?: string | null | undefined
  /** When a `grace_period` ends in `cancelled` (ISO 8601). */
  readonly gracePeriodEndsAt?: string | null | undefined
}

/** A subscription: the shape of the billing guide (FACT). */
export const SubscriptionSchema = openWire({
  id: Schema.String,
  organizationId: Schema.String,
  plan: Schema.String,
  planName: Schema.optionalKey(Schema.String),
  status: open(["active", "past_due", "grace_period", "cancelled", "suspended"]),
  billingCycle: open(["monthly", "yearly"]),
  currentPeriodStart: Timestamp,
  currentPeriodEnd: Timestamp,
  createdAt: Timestamp,
  cancelledAt: NullableString,
  gracePeriodEndsAt: NullableString,
})

/**
 * An invoice.
 *
 * @example
 * ```ts
 * import type { Invoice } from "@gatehouse/sdk/puguh"
 *
 * const unpaid = (invoices: ReadonlyArray<Invoice>) =>
 *   invoices.filter((invoice) => invoice.paidAt === null).reduce((sum, invoice) => sum + invoice.amount, 0)
 * ```
 */
export interface Invoice extends UnknownFields {
  /** Its id, `inv_...`. */
  readonly id: string
  /** Its number, `INV-YYYY-NNNN`. */
  readonly number: string
  /** The amount, in whole IDR. */
  readonly amount: number
  /** `IDR` */
  readonly currency: string
  /** `paid`, `open` or `void`. */
  readonly status: InvoiceStatus
  /** The period billed: its start (ISO 8601). */
  readonly periodStart: string
  /** The period billed: its end (ISO 8601). */
  readonly periodEnd: string
  /** When it was paid (ISO 8601), `null` while open. */
  readonly paidAt: string | null
}

/** An invoice: the shape of the billing guide (FACT). */
export const InvoiceSchema = openWire({
  id: Schema.String,
  number: Schema.String,
  amount: Schema.Int,
  currency: Schema.String,
  status: open(["paid", "open", "void"]),
  periodStart: Timestamp,
  periodEnd: Timestamp,
  paidAt: Schema.NullOr(Timestamp),
})

/** `{items: [...]}` */
const ItemsSchema = <A>(item: Schema.Codec<A, Wire>) => Schema.Struct({ items: Schema.Array(item) })

/**
 * An organization's usage in the current period, against its plan's limits.
 *
 * @example
 * ```ts
 * import type { Usage } from "@gatehouse/sdk/puguh"
 *
 * const callsLeft = (usage: Usage) => {
 *   const limit = usage.limits?.["api_calls"]
 *   return limit == null ? Infinity : limit - usage.apiCalls
 * }
 * ```
 */
export interface Usage extends UnknownFields {
  /** The organization. */
  readonly organizationId: string
  /** The period counted: its start (ISO 8601). */
  readonly periodStart: string
  /** The period counted: its end (ISO 8601). */
  readonly periodEnd: string
  /** Authenticated calls made in the organization this period. */
  readonly apiCalls: number
  /** Members now. */
  readonly members: number
  /** Applications now. */
  readonly applications: number
  /** The plan's limits; `null` is unlimited. */
  readonly limits?: Readonly<Record<string, number | null>> | undefined
}

/** Usage counters. INFERRED. */
export const UsageSchema = openWire({
  organizationId: Schema.String,
  periodStart: Timestamp,
  periodEnd: Timestamp,
  apiCalls: Schema.Int,
  members: Schema.Int,
  applications: Schema.Int,
  limits: Schema.optionalKey(Schema.Record(Schema.String, Schema.NullOr(Schema.Int))),
})

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/**
 * One item of a 422's `detail` list (FastAPI's shape).
 *
 * @example
 * ```ts
 * import type { ValidationIssue } from "@gatehouse/sdk/puguh"
 *
 * const line = (issue: ValidationIssue) => `${issue.loc.join(".")}: ${issue.msg}`
 * ```
 */
export interface ValidationIssue {
  /** Where: `["body", "email"]`, `["query", "page_size"]`, `["header", "x-organization-id"]`. */
  readonly loc: ReadonlyArray<string | number>
  /** What is wrong. */
  readonly msg: string
  /** A code: `missing`, `value_error`, ... */
  readonly type: string
}

/**
 * The body of every error answer: FastAPI's `{"detail": ...}`. INFERRED: the optional `code`.
 *
 * @example
 * ```ts
 * import type { ErrorBody } from "@gatehouse/sdk/puguh"
 *
 * const body: ErrorBody = { detail: "Organization not found", code: "not_found" }
 * ```
 */
export interface ErrorBody {
  /** A message, or (on a 422) the list of what failed validation. */
  readonly detail: string | ReadonlyArray<ValidationIssue>
  /** A machine-readable code (`mfa_required`, `account_locked`, `refresh_token_reused`, ...). INFERRED. */
  readonly code?: string | undefined
}

export const ValidationIssueSchema: Schema.Codec<ValidationIssue, ValidationIssue> = Schema.Struct({
  loc: Schema.Array(Schema.Union([Schema.String, Schema.Number])),
  msg: Schema.String,
  type: Schema.String,
})

/** `{"detail": "..."}` or `{"detail": [{loc, msg, type}, ...]}`, with an optional `code`. */
export const ErrorBodySchema: Schema.Codec<ErrorBody, ErrorBody> = Schema.Struct({
  detail: Schema.Union([Schema.String, Schema.Array(ValidationIssueSchema)]),
  code: Schema.optionalKey(Schema.String),
})

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

const NonEmpty = Schema.String.check(Schema.isMinLength(1))
const Email = Schema.String.check(
  Schema.isPattern(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, { expected: "an email address" }),
)
const Slug = Schema.String.check(
  Schema.isPattern(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, { expected: "a slug: lower-case letters, digits and dashes" }),
  Schema.isMaxLength(64),
)
const Name = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(200))
const Code = Schema.String.check(Schema.isPattern(/^\d{6}$/, { expected: "a 6-digit code" }))

/** Query numbers travel as strings. */
const PageNumber = Schema.NumberFromString.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(1))
const PageSize = Schema.NumberFromString.check(Schema.isInt(), Schema.isBetween({ minimum: 1, maximum: MAX_PAGE_SIZE }))

const pageQuery = { page: Schema.optionalKey(PageNumber), pageSize: Schema.optionalKey(PageSize) }

/** `?page&page_size` */
export const PageQuerySchema = wire(pageQuery)

/** `?page&page_size&type&search` */
export const OrganizationQuerySchema = wire({
  ...pageQuery,
  type: Schema.optionalKey(Schema.Literals(["personal", "team"])),
  search: Schema.optionalKey(Schema.String),
})

/** `{email, password, mfa_code?}` */
export const LoginRequestSchema = wire({
  email: Schema.String,
  password: Secret,
  mfaCode: Schema.optionalKey(Schema.String),
})

/** `{email, password, full_name}` */
export const RegisterRequestSchema = wire({
  email: Email,
  password: Secret,
  fullName: Schema.optionalKey(Schema.String),
})

const token = wire({ token: Secret })
const code = wire({ code: Code })

const OrganizationParams = wire({ orgId: NonEmpty })
const MemberParams = wire({ orgId: NonEmpty, userId: NonEmpty })
const ApplicationParams = wire({ appId: NonEmpty })
const PlanParams = wire({ planId: NonEmpty })

const RoleInput = Schema.Literals(ROLES)
const EnvironmentInput = Schema.Literals(["production", "staging", "development"])

// ---------------------------------------------------------------------------------------------
// The API
// ---------------------------------------------------------------------------------------------

const user = ["bearer"]
const anyCredential = ["bearer", "apiKey"]

const E401 = "no valid credential (code invalid_token, token_expired, token_revoked)"
const E403 = "the caller's role does not allow it"
const E404 = "no such resource, or not one the caller can see"
const E422 = "validation failed: detail is a list of {loc, msg, type}"
const E422_ORG = `${E422}; X-Organization-ID is required here`

const billing = {
  getPlans: {
    method: "GET",
    path: "/plans",
    summary: "Every plan, with its price in IDR",
    success: ItemsSchema(PlanSchema),
  },
  getPlan: {
    method: "GET",
    path: "/plans/{plan_id}",
    summary: "One plan",
    params: PlanParams,
    success: PlanSchema,
    errors: { 404: E404 },
  },
  getSubscription: {
    method: "GET",
    path: "/subscription",
    summary: "The subscription of the organization in X-Organization-ID",
    success: SubscriptionSchema,
    errors: { 401: E401, 403: E403, 404: "the organization has no subscription", 422: E422_ORG },
    security: anyCredential,
  },
  createSubscription: {
    method: "POST",
    path: "/subscriptions",
    summary: "Subscribe the organization in X-Organization-ID to a plan (owner or admin)",
    payload: wire({
      plan: NonEmpty,
      billingCycle: Schema.optionalKey(Schema.Literals(["monthly", "yearly"])),
      paymentMethodId: Schema.optionalKey(Schema.String),
    }),
    success: SubscriptionSchema,
    successStatus: 201,
    errors: {
      401: E401,
      402: "the payment was declined (code payment_declined)",
      403: E403,
      404: "no such plan",
      409: "the organization already has a subscription: upgrade it",
      422: `${E422_ORG}; a paid plan needs payment_method_id`,
    },
    security: anyCredential,
  },
  upgradeSubscription: {
    method: "POST",
    path: "/subscriptions/upgrade",
    summary: "Move the subscription to another plan at once, the difference prorated (owner or admin)",
    payload: wire({ planId: NonEmpty }),
    success: SubscriptionSchema,
    errors: {
      401: E401,
      402: "the payment was declined (code payment_declined)",
      403: E403,
      404: "no such plan, or no subscription",
      409: "already on that plan, or the subscription is suspended or cancelled",
      422: E422_ORG,
    },
    security: anyCredential,
  },
  cancelSubscription: {
    method: "POST",
    path: "/subscriptions/cancel",
    summary: "Cancel: grace_period for 7 days, then cancelled (owner or admin)",
    success: SubscriptionSchema,
    errors: { 401: E401, 403: E403, 404: "no subscription", 409: "already cancelled", 422: E422_ORG },
    security: anyCredential,
  },
  getInvoices: {
    method: "GET",
    path: "/invoices",
    summary: "The organization's invoices, newest first, amounts in IDR",
    success: ItemsSchema(InvoiceSchema),
    errors: { 401: E401, 403: E403, 422: E422_ORG },
    security: anyCredential,
  },
  getUsage: {
    method: "GET",
    path: "/usage",
    summary: "The organization's usage counters this period",
    success: UsageSchema,
    errors: { 401: E401, 403: E403, 422: E422_ORG },
    security: anyCredential,
  },
} as const

type Billing = typeof billing

/** The billing endpoints under `prefix`, named with `suffix` (`getPlans`, `getPlansV1`). */
const billingUnder = <const S extends string>(
  prefix: string,
  suffix: S,
): { readonly [K in keyof Billing as `${K}${S}`]: Billing[K] } =>
  Object.fromEntries(
    Object.entries(billing).map(([name, spec]) => [`${name}${suffix}`, { ...spec, path: `${prefix}${spec.path}` }]),
  ) as never

/**
 * Where billing lives: the billing guide shows `/billing/...`, every other path is under `/api/v1`.
 *
 * @example
 * ```ts
 * import type { BillingPrefix } from "@gatehouse/sdk/puguh"
 *
 * // Billing at /api/v1/billing, like every other path, when the deployment serves it there
 * const prefix: BillingPrefix = "/api/v1/billing"
 * ```
 */
export type BillingPrefix = "/billing" | "/api/v1/billing"

/**
 * The PUGUH API, endpoint by endpoint: the client, the mock and the OpenAPI document read it.
 * Billing is defined twice, under `/billing` (the billing guide) and `/api/v1/billing` (the
 * prefix of everything else): the docs disagree, so the mock serves both.
 */
export const PuguhApi = defineApi({
  name: "puguh",
  title: "PUGUH API (gatehouse mock)",
  version: "1.0.0",
  errorBody: ErrorBodySchema,
  securitySchemes: {
    bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT", description: "A user's access token (RS256)" },
    apiKey: {
      type: "apiKey",
      in: "header",
      name: "X-API-Key",
      description: "A service key, pk_live_...; every call with it needs X-Organization-ID, the key's organization",
    },
  },
  endpoints: {
    login: {
      method: "POST",
      path: "/api/v1/auth/login",
      summary: "Sign in with a password (and the TOTP code once MFA is on): tokens",
      payload: LoginRequestSchema,
      success: TokensSchema,
      errors: {
        401:
          "wrong email or password (invalid_credentials), or MFA code needed (mfa_required) or wrong (invalid_mfa_code)",
        422: E422,
        429: "5 failed sign-ins lock the account for 15 minutes (account_locked); Retry-After says how long",
      },
    },
    register: {
      method: "POST",
      path: "/api/v1/auth/register",
      summary: "Create a user and a personal organization; pending invitations to the address are accepted",
      payload: RegisterRequestSchema,
      success: RegistrationSchema,
      successStatus: 201,
      errors: { 409: "the address is taken (email_taken)", 422: `${E422}; passwords have at least 8 characters` },
    },
    refreshToken: {
      method: "POST",
      path: "/api/v1/auth/refresh",
      summary: "Trade a refresh token for new tokens; a refresh token works once, and its reuse ends the session",
      payload: wire({ refreshToken: Secret }),
      success: TokensSchema,
      errors: { 401: "unknown, expired or already used (refresh_token_reused: the session is revoked)", 422: E422 },
    },
    validateToken: {
      method: "POST",
      path: "/api/v1/auth/validate",
      summary: "Who an access token belongs to, and their roles in X-Organization-ID (else their personal one)",
      payload: token,
      success: UserContextSchema,
      errors: { 401: `${E401}; or the token in the body is not valid`, 422: E422 },
      // It only reads.
      idempotent: true,
      security: anyCredential,
    },
    requestMagicLink: {
      method: "POST",
      path: "/api/v1/auth/magic-link",
      summary: "Email a sign-in link (single use, 15 minutes); answers the same whether or not the address is known",
      payload: wire({ email: Email }),
      success: MessageSchema,
      successStatus: 202,
      errors: { 422: E422 },
    },
    verifyMagicLink: {
      method: "POST",
      path: "/api/v1/auth/magic-link/verify",
      summary: "Trade a magic link's token for tokens",
      payload: token,
      success: TokensSchema,
      errors: { 401: "unknown, used (magic_link_used) or expired (magic_link_expired)", 422: E422 },
    },
    setupMfa: {
      method: "POST",
      path: "/api/v1/auth/mfa/setup",
      summary: "Start TOTP MFA: a new secret and its otpauth:// URL; MFA is on once confirmed",
      payload: wire({ type: Schema.optionalKey(Schema.Literal("totp")) }),
      success: MfaSetupSchema,
      errors: { 401: E401, 409: "MFA is already on (mfa_already_enabled)" },
      security: user,
    },
    confirmMfa: {
      method: "POST",
      path: "/api/v1/auth/mfa/confirm",
      summary: "Turn MFA on with a code from the authenticator",
      payload: code,
      success: MfaStatusSchema,
      errors: {
        400: "no MFA setup to confirm (mfa_not_set_up), or a wrong code (invalid_mfa_code)",
        401: E401,
        422: E422,
      },
      security: user,
    },
    disableMfa: {
      method: "POST",
      path: "/api/v1/auth/mfa/disable",
      summary: "Turn MFA off: needs a valid code",
      payload: code,
      success: MfaStatusSchema,
      errors: { 400: "MFA is not on (mfa_not_enabled), or a wrong code (invalid_mfa_code)", 401: E401, 422: E422 },
      security: user,
    },

    listOrganizations: {
      method: "GET",
      path: "/api/v1/organizations",
      summary: "The caller's organizations (an API key: its own), a page at a time",
      query: OrganizationQuerySchema,
      success: PageSchema(OrganizationSchema),
      errors: { 401: E401, 422: E422 },
      security: anyCredential,
    },
    createOrganization: {
      method: "POST",
      path: "/api/v1/organizations",
      summary: "Create a team organization; the caller is its owner",
      payload: wire({ name: Name, slug: Slug, description: Schema.optionalKey(Schema.String) }),
      success: OrganizationSchema,
      successStatus: 201,
      errors: { 401: E401, 403: "API keys cannot create organizations", 409: "the slug is taken", 422: E422 },
      security: anyCredential,
    },
    getOrganization: {
      method: "GET",
      path: "/api/v1/organizations/{org_id}",
      summary: "One organization the caller belongs to",
      params: OrganizationParams,
      success: OrganizationSchema,
      errors: { 401: E401, 404: E404 },
      security: anyCredential,
    },
    updateOrganization: {
      method: "PATCH",
      path: "/api/v1/organizations/{org_id}",
      summary: "Change an organization's name, slug or description (owner or admin)",
      params: OrganizationParams,
      payload: wire({
        name: Schema.optionalKey(Name),
        slug: Schema.optionalKey(Slug),
        description: Schema.optionalKey(Schema.NullOr(Schema.String)),
      }),
      success: OrganizationSchema,
      errors: { 401: E401, 403: E403, 404: E404, 409: "the slug is taken", 422: E422 },
      security: anyCredential,
    },
    deleteOrganization: {
      method: "DELETE",
      path: "/api/v1/organizations/{org_id}",
      summary: "Soft-delete a team organization (owner only); personal organizations stay",
      params: OrganizationParams,
      success: Schema.Void,
      successStatus: 204,
      errors: { 401: E401, 403: `${E403}, or a personal organization`, 404: E404 },
      security: anyCredential,
    },
    listMembers: {
      method: "GET",
      path: "/api/v1/organizations/{org_id}/members",
      summary: "An organization's members, a page at a time",
      params: OrganizationParams,
      query: PageQuerySchema,
      success: PageSchema(MemberSchema),
      errors: { 401: E401, 404: E404, 422: E422 },
      security: anyCredential,
    },
    inviteMember: {
      method: "POST",
      path: "/api/v1/organizations/{org_id}/members",
      summary: "Invite an address with a role (not owner); an existing user is added at once (owner or admin)",
      params: OrganizationParams,
      payload: wire({ email: Email, role: RoleInput }),
      success: InvitationSchema,
      successStatus: 201,
      errors: { 401: E401, 403: E403, 404: E404, 409: "already a member, or already invited", 422: E422 },
      security: anyCredential,
    },
    updateMemberRole: {
      method: "PATCH",
      path: "/api/v1/organizations/{org_id}/members/{user_id}",
      summary: "Change a member's role (owner or admin); making someone owner (owner only) transfers ownership",
      params: MemberParams,
      payload: wire({ role: RoleInput }),
      success: MemberSchema,
      errors: { 401: E401, 403: E403, 404: E404, 409: "the owner's role changes only by a transfer", 422: E422 },
      // Setting a role twice leaves it set.
      idempotent: true,
      security: anyCredential,
    },
    removeMember: {
      method: "DELETE",
      path: "/api/v1/organizations/{org_id}/members/{user_id}",
      summary: "Remove a member (owner or admin; a member may leave); the owner cannot be removed",
      params: MemberParams,
      success: Schema.Void,
      successStatus: 204,
      errors: { 401: E401, 403: E403, 404: E404, 409: "the owner cannot be removed" },
      security: anyCredential,
    },

    listApplications: {
      method: "GET",
      path: "/api/v1/applications",
      summary: "The applications of the organization in X-Organization-ID, a page at a time",
      query: PageQuerySchema,
      success: PageSchema(ApplicationSchema),
      errors: { 401: E401, 403: E403, 422: E422_ORG },
      security: anyCredential,
    },
    createApplication: {
      method: "POST",
      path: "/api/v1/applications",
      summary: "Create an application in the organization in X-Organization-ID (owner, admin or member)",
      payload: wire({
        name: Name,
        slug: Slug,
        environment: Schema.optionalKey(EnvironmentInput),
        description: Schema.optionalKey(Schema.String),
      }),
      success: ApplicationSchema,
      successStatus: 201,
      errors: { 401: E401, 403: E403, 409: "the slug is taken in the organization", 422: E422_ORG },
      security: anyCredential,
    },
    getApplication: {
      method: "GET",
      path: "/api/v1/applications/{app_id}",
      summary: "One application of an organization the caller belongs to",
      params: ApplicationParams,
      success: ApplicationSchema,
      errors: { 401: E401, 404: E404 },
      security: anyCredential,
    },
    updateApplication: {
      method: "PATCH",
      path: "/api/v1/applications/{app_id}",
      summary: "Change an application (owner, admin or member)",
      params: ApplicationParams,
      payload: wire({
        name: Schema.optionalKey(Name),
        slug: Schema.optionalKey(Slug),
        environment: Schema.optionalKey(EnvironmentInput),
        description: Schema.optionalKey(Schema.NullOr(Schema.String)),
      }),
      success: ApplicationSchema,
      errors: { 401: E401, 403: E403, 404: E404, 409: "the slug is taken in the organization", 422: E422 },
      security: anyCredential,
    },
    deleteApplication: {
      method: "DELETE",
      path: "/api/v1/applications/{app_id}",
      summary: "Soft-delete an application (owner or admin)",
      params: ApplicationParams,
      success: Schema.Void,
      successStatus: 204,
      errors: { 401: E401, 403: E403, 404: E404 },
      security: anyCredential,
    },
    listApplicationMembers: {
      method: "GET",
      path: "/api/v1/applications/{app_id}/members",
      summary: "An application's members, a page at a time",
      params: ApplicationParams,
      query: PageQuerySchema,
      success: PageSchema(ApplicationMemberSchema),
      errors: { 401: E401, 404: E404, 422: E422 },
      security: anyCredential,
    },
    addApplicationMember: {
      method: "POST",
      path: "/api/v1/applications/{app_id}/members",
      summary: "Add a member of the organization to an application (owner, admin or member)",
      params: ApplicationParams,
      payload: wire({ userId: NonEmpty, role: Schema.Literals(["admin", "member", "viewer"]) }),
      success: ApplicationMemberSchema,
      successStatus: 201,
      errors: {
        401: E401,
        403: E403,
        404: E404,
        409: "already a member of the application",
        422: `${E422}; the user must belong to the organization`,
      },
      security: anyCredential,
    },

    ...billingUnder("/billing", ""),
    ...billingUnder("/api/v1/billing", "V1"),

    jwks: {
      method: "GET",
      path: "/.well-known/jwks.json",
      summary: "The public keys access tokens are signed with (RS256), each with its kid",
      success: JsonWebKeySetSchema,
    },
    ...documentEndpoints,
  },
})

/** The names of the billing endpoints, without their prefix's suffix. */
export type BillingEndpoint = keyof Billing
