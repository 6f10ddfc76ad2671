/**
 * AuthPI's resources as they travel (contracts.md §3): snake_case as the API spells them, ids with
 * their prefixes, times in Unix milliseconds. Every model keeps the fields this version does not
 * know (the API adds fields), and every single resource a client returns carries `_etag`, the
 * `ETag` it came with.
 *
 * @module
 */
import { type Redacted, Schema } from "effect"

/**
 * What every resource has. Fields this version does not know are kept as they came.
 *
 * @example
 * ```ts
 * import type { Resource } from "@gatehouse/sdk/authpi"
 *
 * // Works for any AuthPI item: users, issuers, webhooks...
 * const newest = <R extends Resource>(items: ReadonlyArray<R>): R | undefined =>
 *   items.reduce<R | undefined>((a, b) => (a === undefined || b.created_at > a.created_at ? b : a), undefined)
 * ```
 */
export interface Resource {
  /** The id, with the resource's prefix: `usr_` + 25 lowercase alphanumerics. */
  readonly id: string
  /** Unix milliseconds. */
  readonly created_at: number
  /** Unix milliseconds; the `ETag` of the resource is this value, quoted. */
  readonly updated_at: number
  /** The `ETag` the resource came with (a single-resource result), to pass back as `ifMatch`. */
  readonly _etag?: string | undefined
  /** Fields the API added after this version. */
  readonly [field: string]: unknown
}

/**
 * A create or update body: the fields the contract names, and any other the API accepts.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { AuthPI, type Body } from "@gatehouse/sdk/authpi"
 *
 * const body: Body = { name: "Support notes", content: "call back Monday" }
 * const note = Effect.flatMap(AuthPI, (admin) => admin.notes.create(body))
 * ```
 */
export interface Body {
  /** Fields the API added after this version. */
  readonly [field: string]: unknown
}

const Rest = [Schema.Record(Schema.String, Schema.Unknown)] as const

const common = {
  id: Schema.String,
  created_at: Schema.Number,
  updated_at: Schema.Number,
  _etag: Schema.optionalKey(Schema.String),
}

/** A resource schema: the common fields, its own, and any other kept as it came. */
const model = <const F extends Schema.Struct.Fields>(fields: F) =>
  Schema.StructWithRest(Schema.Struct({ ...common, ...fields }), Rest)

const opt = Schema.optionalKey
const str = Schema.String
const strs = Schema.Array(Schema.String)
const nullable = <S extends Schema.Top>(schema: S) => opt(Schema.NullOr(schema))
/** A show-once secret: a plain string on the wire, a `Redacted` once decoded (it prints as `<redacted>`). */
const secret = opt(Schema.RedactedFromValue(Schema.String))

/**
 * How a resource travels: the model's fields as JSON, a show-once secret as a plain string (the
 * model holds it `Redacted`). The encoded side of every model schema.
 *
 * @example
 * ```ts
 * import type { WireResource } from "@gatehouse/sdk/authpi"
 *
 * // A resource as the API sends it, before the model schema decodes it
 * const wire: WireResource = { id: "usr_1", object: "user", status: "active" }
 * ```
 */
export interface WireResource {
  /** Every field, as the wire spells it. */
  readonly [field: string]: unknown
}

/**
 * An account: the tenant every other resource lives in (`acc_`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { type Account, AuthPI } from "@gatehouse/sdk/authpi"
 *
 * const name = (account: Account) => account.name
 * const program = Effect.map(Effect.flatMap(AuthPI, (admin) => admin.accounts.list()), (page) => page.data.map(name))
 * ```
 */
export interface Account extends Resource {
  /** Its name. */
  readonly name: string
  /** A description. */
  readonly description?: unknown
  /** The kind of organization the account is. */
  readonly org_type?: string | undefined
  /** Settings, as the API shapes them. */
  readonly settings?: unknown
}
/** The schema of {@linkcode Account}. */
export const AccountSchema: Schema.Codec<Account, Account> = model({
  name: str,
  description: opt(Schema.Unknown),
  org_type: opt(str),
  settings: opt(Schema.Unknown),
})

/**
 * An issuer: an identity realm with its users, agents, clients and organizations (`i_`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { AuthPI, type Issuer } from "@gatehouse/sdk/authpi"
 *
 * const ids = (issuers: ReadonlyArray<Issuer>) => issuers.map((issuer) => issuer.id)
 * const program = Effect.map(Effect.flatMap(AuthPI, (admin) => admin.issuers.list()), (page) => ids(page.data))
 * ```
 */
export interface Issuer extends Resource {
  /** Its name. */
  readonly name: string
  /** A description. */
  readonly description?: string | null | undefined
  /** Settings, as the API shapes them. */
  readonly settings?: unknown
}
/** The schema of {@linkcode Issuer}. */
export const IssuerSchema: Schema.Codec<Issuer, Issuer> = model({
  name: str,
  description: nullable(str),
  settings: opt(Schema.Unknown),
})

/**
 * How a webhook proves itself to the receiver.
 *
 * @example
 * ```ts
 * import type { WebhookAuthType } from "@gatehouse/sdk/authpi"
 *
 * const signed = (auth: WebhookAuthType) => auth === "signature" || auth === "bearer+signature"
 * ```
 */
export type WebhookAuthType = "none" | "bearer" | "signature" | "bearer+signature"

/**
 * A webhook (`wh_`): `bearer_token_plain` and `signature_secret_plain` come once, in the create answer.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { AuthPI, type Webhook } from "@gatehouse/sdk/authpi"
 *
 * const urls = (webhooks: ReadonlyArray<Webhook>) => webhooks.map((webhook) => webhook.url)
 * const program = Effect.map(Effect.flatMap(AuthPI, (admin) => admin.webhooks.list()), (page) => urls(page.data))
 * ```
 */
export interface Webhook extends Resource {
  /** Its name. */
  readonly name: string
  /** Where deliveries are POSTed. */
  readonly url: string
  /** How deliveries prove themselves: `none`, `bearer`, `signature` or `bearer+signature`. */
  readonly auth_type: WebhookAuthType | (string & Record<never, never>)
  /** The event types it is subscribed to (`user.created`, `*`). */
  readonly events: ReadonlyArray<string>
  /** Its state; a state this version does not know is kept as is. */
  readonly status: "active" | "disabled" | "deleted" | (string & Record<never, never>)
  /** The bearer token deliveries carry: in the create answer only, `Redacted` (`Redacted.value` reads it). */
  readonly bearer_token_plain?: Redacted.Redacted<string> | undefined
  /** The secret deliveries are signed with: in the create answer only, `Redacted` (`Redacted.value` reads it). */
  readonly signature_secret_plain?: Redacted.Redacted<string> | undefined
}
/** The schema of {@linkcode Webhook}. */
export const WebhookSchema: Schema.Codec<Webhook, WireResource> = model({
  name: str,
  url: str,
  auth_type: str,
  events: strs,
  status: str,
  bearer_token_plain: secret,
  signature_secret_plain: secret,
})

/**
 * One attempt to deliver an event to a webhook (`dlv_`).
 *
 * @example
 * ```ts
 * import type { Delivery } from "@gatehouse/sdk/authpi"
 *
 * const failed = (deliveries: ReadonlyArray<Delivery>) =>
 *   deliveries.filter((delivery) => delivery.status === "failed").map((delivery) => delivery.response_code)
 * ```
 */
export interface Delivery extends Resource {
  /** The webhook it was sent to. */
  readonly webhook_id: string
  /** The event delivered. */
  readonly event_id: string
  /** The event's type. */
  readonly event_type: string
  /** Which attempt this was, from 1. */
  readonly attempt: number
  /** Its state; a state this version does not know is kept as is. */
  readonly status: "succeeded" | "failed" | (string & Record<never, never>)
  /** The receiver's status, `null` when it could not be reached. */
  readonly response_code: number | null
  /** How long the attempt took. */
  readonly duration_ms: number
  /** When the next attempt is due, for a failed one that is retried. */
  readonly next_attempt_at?: number | null | undefined
}
/** The schema of {@linkcode Delivery}. */
export const DeliverySchema: Schema.Codec<Delivery, Delivery> = model({
  webhook_id: str,
  event_id: str,
  event_type: str,
  attempt: Schema.Number,
  status: str,
  response_code: Schema.NullOr(Schema.Number),
  duration_ms: Schema.Number,
  next_attempt_at: nullable(Schema.Number),
})

/**
 * Something that happened in the account (`evt_`): `user.created`, `webhook.updated`...
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import { AuthPI, type Event } from "@gatehouse/sdk/authpi"
 *
 * const log = (event: Event) => Effect.log(`${event.id} at ${new Date(event.created_at).toISOString()}`)
 * const program = Effect.flatMap(AuthPI, (admin) => Stream.runForEach(admin.events.listAll(), log))
 * ```
 */
export interface Event extends Resource {
  /** What kind it is. */
  readonly type: string
  /** The issuer it belongs to. */
  readonly issuer_id?: string | null | undefined
  /** The user it belongs to. */
  readonly user_id?: string | null | undefined
  /** The client it concerns. */
  readonly client_id?: string | null | undefined
  /** What the event carries. */
  readonly data: unknown
}
/** The schema of {@linkcode Event}. */
export const EventSchema: Schema.Codec<Event, Event> = model({
  type: str,
  issuer_id: nullable(str),
  user_id: nullable(str),
  client_id: nullable(str),
  data: Schema.Unknown,
})

/**
 * Event counts by type, over the filters given.
 *
 * @example
 * ```ts
 * import type { EventAggregate } from "@gatehouse/sdk/authpi"
 *
 * const logins = (aggregate: EventAggregate) => aggregate.by_type["user.login"] ?? 0
 * ```
 */
export interface EventAggregate {
  /** Events matching the filters. */
  readonly total: number
  /** Event counts by type. */
  readonly by_type: Readonly<Record<string, number>>
  /** Fields the API added after this version. */
  readonly [field: string]: unknown
}
/** The schema of {@linkcode EventAggregate}. */
export const EventAggregateSchema: Schema.Codec<EventAggregate, EventAggregate> = Schema.StructWithRest(
  Schema.Struct({ total: Schema.Number, by_type: Schema.Record(Schema.String, Schema.Number) }),
  Rest,
)

/**
 * A custom domain of the account (`dom_`), addressed by its host.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { AuthPI, type Domain } from "@gatehouse/sdk/authpi"
 *
 * const program = Effect.flatMap(AuthPI, (admin) => admin.domains.list()).pipe(
 *   Effect.map((page) => page.data.map((domain: Domain) => domain.id)),
 * )
 * ```
 */
export interface Domain extends Resource {
  /** The domain's host name. */
  readonly host: string
  /** Whether the DNS record was found. */
  readonly verified: boolean
  /** The value the DNS record must hold. */
  readonly verification_token: string
}
/** The schema of {@linkcode Domain}. */
export const DomainSchema: Schema.Codec<Domain, Domain> = model({
  host: str,
  verified: Schema.Boolean,
  verification_token: str,
})

/**
 * A note on a user, organization, issuer or client (`note_`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { AuthPI, type Note } from "@gatehouse/sdk/authpi"
 *
 * const program = Effect.flatMap(AuthPI, (admin) => admin.notes.list()).pipe(
 *   Effect.map((page) => page.data.map((note: Note) => note.id)),
 * )
 * ```
 */
export interface Note extends Resource {
  /** What the note is about: `user`, `org`, `issuer` or `client`. */
  readonly subject_type: "user" | "org" | "issuer" | "client" | (string & Record<never, never>)
  /** The id of what the note is about. */
  readonly subject_id: string
  /** The issuer it belongs to. */
  readonly issuer_id?: string | null | undefined
  /** The note's text. */
  readonly body: string
  /** Whether the note is pinned. */
  readonly pinned: boolean
  /** Who wrote the note. */
  readonly created_by?: string | null | undefined
  /** Users the note mentions. */
  readonly mentions_user_id?: ReadonlyArray<string> | undefined
}
/** The schema of {@linkcode Note}. */
export const NoteSchema: Schema.Codec<Note, Note> = model({
  subject_type: str,
  subject_id: str,
  issuer_id: nullable(str),
  body: str,
  pinned: Schema.Boolean,
  created_by: nullable(str),
  mentions_user_id: opt(strs),
})

/**
 * A member of the account's team (`mem_`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { AuthPI, type Member } from "@gatehouse/sdk/authpi"
 *
 * const program = Effect.flatMap(AuthPI, (admin) => admin.members.list()).pipe(
 *   Effect.map((page) => page.data.map((member: Member) => member.id)),
 * )
 * ```
 */
export interface Member extends Resource {
  /** The email address. */
  readonly email: string
  /** The member's role. */
  readonly role: string
}
/** The schema of {@linkcode Member}. */
export const MemberSchema: Schema.Codec<Member, Member> = model({ email: str, role: str })

/**
 * An invitation, to the account's team or to an organization (`inv_`).
 *
 * @example
 * ```ts
 * import type { Invitation } from "@gatehouse/sdk/authpi"
 *
 * const pending = (invitations: ReadonlyArray<Invitation>) =>
 *   invitations.filter((invitation) => invitation.status === "pending").map((invitation) => invitation.email_invited)
 * ```
 */
export interface Invitation extends Resource {
  /** Who is invited. */
  readonly email_invited: string
  /** The scopes it grants. */
  readonly scopes: ReadonlyArray<string>
  /** Its state; a state this version does not know is kept as is. */
  readonly status: "pending" | "accepted" | "revoked" | "expired" | (string & Record<never, never>)
  /** Unix milliseconds. */
  readonly expires_at: number
  /** The organization it belongs to. */
  readonly org_id?: string | undefined
  /** The invitee's title in the organization. */
  readonly user_title?: string | undefined
  /** The invitation's message. */
  readonly message?: string | undefined
}
/** The schema of {@linkcode Invitation}. */
export const InvitationSchema: Schema.Codec<Invitation, Invitation> = model({
  email_invited: str,
  scopes: strs,
  status: str,
  expires_at: Schema.Number,
  org_id: opt(str),
  user_title: opt(str),
  message: opt(str),
})

/**
 * An API key of the account or of an organization (`key_`); `key_secret_plain` comes once, in the create answer.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { type ApiKey, AuthPI } from "@gatehouse/sdk/authpi"
 *
 * const program = Effect.flatMap(AuthPI, (admin) => admin.apiKeys.list()).pipe(
 *   Effect.map((page) => page.data.map((key: ApiKey) => key.id)), // never a secret: it is shown once, at creation
 * )
 * ```
 */
export interface ApiKey extends Resource {
  /** Its name. */
  readonly name: string
  /** The scopes it grants. */
  readonly scopes: ReadonlyArray<string>
  /** Its state; a state this version does not know is kept as is. */
  readonly status: "active" | "blocked" | "revoked" | "expired" | "suspended" | (string & Record<never, never>)
  /** The key's secret: in the create answer only, `Redacted` (`Redacted.value` reads it). */
  readonly key_secret_plain?: Redacted.Redacted<string> | undefined
}
/** The schema of {@linkcode ApiKey}. */
export const ApiKeySchema: Schema.Codec<ApiKey, WireResource> = model({
  name: str,
  scopes: strs,
  status: str,
  key_secret_plain: secret,
})

/**
 * A user of an issuer (`usr_`).
 *
 * @example
 * ```ts
 * import type { User } from "@gatehouse/sdk/authpi"
 *
 * const label = (user: User) => user.display_name ?? user.email ?? user.id
 * const active = (users: ReadonlyArray<User>) => users.filter((user) => user.status === "active" && !user.blocked)
 * ```
 */
export interface User extends Resource {
  /** The issuer it belongs to. */
  readonly issuer_id: string
  /** How `username` reads: `email`, `unique-name` or `phone`. */
  readonly username_type?: "email" | "unique-name" | "phone" | (string & Record<never, never>) | undefined
  /** The name the user signs in with. */
  readonly username?: string | undefined
  /** The email address. */
  readonly email?: string | undefined
  /** The name shown. */
  readonly display_name?: string | undefined
  /** The scopes it grants. */
  readonly scopes?: ReadonlyArray<string> | undefined
  /** Its state; a state this version does not know is kept as is. */
  readonly status: "active" | "suspended" | "disabled" | "deleted" | "pending" | (string & Record<never, never>)
  /** Whether the user is blocked. */
  readonly blocked?: boolean | undefined
  /** Free-form metadata. */
  readonly metadata?: unknown
}
/** The schema of {@linkcode User}. */
export const UserSchema: Schema.Codec<User, User> = model({
  issuer_id: str,
  username_type: opt(str),
  username: opt(str),
  email: opt(str),
  display_name: opt(str),
  scopes: opt(strs),
  status: str,
  blocked: opt(Schema.Boolean),
  metadata: opt(Schema.Unknown),
})

/**
 * An AI agent of an issuer (`agt_`).
 *
 * @example
 * ```ts
 * import type { Agent } from "@gatehouse/sdk/authpi"
 *
 * const label = (agent: Agent) => `${agent.name} (${agent.provider ?? "?"}/${agent.model ?? "?"})`
 * ```
 */
export interface Agent extends Resource {
  /** The issuer it belongs to. */
  readonly issuer_id: string
  /** Its name. */
  readonly name: string
  /** The AI model it runs on. */
  readonly model?: string | undefined
  /** The model's provider. */
  readonly provider?: string | undefined
  /** Its state; a state this version does not know is kept as is. */
  readonly status: "active" | "suspended" | "blocked" | (string & Record<never, never>)
  /** Whether the agent has verifiers. */
  readonly has_verifiers: boolean
}
/** The schema of {@linkcode Agent}. */
export const AgentSchema: Schema.Codec<Agent, Agent> = model({
  issuer_id: str,
  name: str,
  model: opt(str),
  provider: opt(str),
  status: str,
  has_verifiers: Schema.Boolean,
})

/**
 * An OAuth client of an issuer (`c_`); `client_secret_plain` comes once, in the create answer.
 *
 * @example
 * ```ts
 * import { Redacted } from "effect"
 * import type { Client } from "@gatehouse/sdk/authpi"
 *
 * // The secret is there in the create answer only
 * const secret = (client: Client) => client.client_secret_plain && Redacted.value(client.client_secret_plain)
 * ```
 */
export interface Client extends Resource {
  /** The issuer it belongs to. */
  readonly issuer_id: string
  /** Its name. */
  readonly name: string
  /** Its state; a state this version does not know is kept as is. */
  readonly status: string
  /** Where the authorization server may send users back. */
  readonly redirect_uris: ReadonlyArray<string>
  /** The client secret: in the create answer only, `Redacted` (`Redacted.value` reads it). */
  readonly client_secret_plain?: Redacted.Redacted<string> | undefined
}
/** The schema of {@linkcode Client}. */
export const ClientSchema: Schema.Codec<Client, WireResource> = model({
  issuer_id: str,
  name: str,
  status: str,
  redirect_uris: strs,
  client_secret_plain: secret,
})

/**
 * An organization of an issuer's users (`org_`).
 *
 * @example
 * ```ts
 * import type { Organization } from "@gatehouse/sdk/authpi"
 *
 * const ssoOnly = (organizations: ReadonlyArray<Organization>) =>
 *   organizations.filter((organization) => organization.sso_only).map((organization) => organization.name)
 * ```
 */
export interface Organization extends Resource {
  /** The issuer it belongs to. */
  readonly issuer_id: string
  /** Its name. */
  readonly name: string
  /** Its state; a state this version does not know is kept as is. */
  readonly status: string
  /** Whether SSO is on. */
  readonly sso_enabled: boolean
  /** Whether members may sign in only through SSO. */
  readonly sso_only: boolean
  /** Whether members must use a second factor. */
  readonly mfa_required: boolean
  /** Whether members may be invited. */
  readonly invitation_enabled: boolean
}
/** The schema of {@linkcode Organization}. */
export const OrganizationSchema: Schema.Codec<Organization, Organization> = model({
  issuer_id: str,
  name: str,
  status: str,
  sso_enabled: Schema.Boolean,
  sso_only: Schema.Boolean,
  mfa_required: Schema.Boolean,
  invitation_enabled: Schema.Boolean,
})

/**
 * A user waiting for an administrator's decision (`apr_`), addressed by the user's id.
 *
 * @example
 * ```ts
 * import type { Approval } from "@gatehouse/sdk/authpi"
 *
 * const waiting = (approvals: ReadonlyArray<Approval>) =>
 *   approvals.filter((approval) => approval.status === "pending").map((approval) => approval.user_id)
 * ```
 */
export interface Approval extends Resource {
  /** The user it belongs to. */
  readonly user_id: string
  /** Its state; a state this version does not know is kept as is. */
  readonly status: "pending" | "approved" | "rejected" | (string & Record<never, never>)
  /** Why, in words. */
  readonly reason?: string | undefined
}
/** The schema of {@linkcode Approval}. */
export const ApprovalSchema: Schema.Codec<Approval, Approval> = model({
  user_id: str,
  status: str,
  reason: opt(str),
})

/**
 * How an issuer's users may sign in.
 *
 * @example
 * ```ts
 * import type { AuthMethodKind } from "@gatehouse/sdk/authpi"
 *
 * const passwordless: ReadonlyArray<AuthMethodKind> = ["email-link", "webauthn"]
 * ```
 */
export type AuthMethodKind =
  | "oauth2"
  | "password"
  | "temporary-password"
  | "email-link"
  | "webauthn"
  | "totp_app"
  | "backup_codes"

/**
 * An authentication method of an issuer (`am_`).
 *
 * @example
 * ```ts
 * import type { AuthMethod } from "@gatehouse/sdk/authpi"
 *
 * const enabled = (methods: ReadonlyArray<AuthMethod>) =>
 *   methods.filter((method) => method.enabled).map((method) => method.method)
 * ```
 */
export interface AuthMethod extends Resource {
  /** Its name. */
  readonly name: string
  /** How users sign in with it: `password`, `webauthn`, `totp_app`... */
  readonly method: AuthMethodKind | (string & Record<never, never>)
  /** Whether users may sign in with it. */
  readonly enabled: boolean
  /** Settings, as the API shapes them. */
  readonly settings?: unknown
}
/** The schema of {@linkcode AuthMethod}. */
export const AuthMethodSchema: Schema.Codec<AuthMethod, AuthMethod> = model({
  name: str,
  method: str,
  enabled: Schema.Boolean,
  settings: opt(Schema.Unknown),
})

/**
 * A group of an issuer's users (`grp_`).
 *
 * @example
 * ```ts
 * import type { Group } from "@gatehouse/sdk/authpi"
 *
 * const size = (group: Group) => group.member_ids.length
 * ```
 */
export interface Group extends Resource {
  /** Its name. */
  readonly name: string
  /** A description. */
  readonly description?: string | null | undefined
  /** The users in the group. */
  readonly member_ids: ReadonlyArray<string>
}
/** The schema of {@linkcode Group}. */
export const GroupSchema: Schema.Codec<Group, Group> = model({
  name: str,
  description: nullable(str),
  member_ids: strs,
})

/**
 * A user's sign-in session (`ses_`).
 *
 * @example
 * ```ts
 * import type { Session } from "@gatehouse/sdk/authpi"
 *
 * const live = (sessions: ReadonlyArray<Session>) =>
 *   sessions.filter((session) => session.status === "active").map((session) => session.user_agent ?? session.id)
 * ```
 */
export interface Session extends Resource {
  /** The user it belongs to. */
  readonly user_id: string
  /** Its state; a state this version does not know is kept as is. */
  readonly status: "inactive" | "active" | "expired" | "revoked" | "suspended" | (string & Record<never, never>)
  /** The address the session signed in from. */
  readonly ip?: string | undefined
  /** The User-Agent the session signed in with. */
  readonly user_agent?: string | undefined
}
/** The schema of {@linkcode Session}. */
export const SessionSchema: Schema.Codec<Session, Session> = model({
  user_id: str,
  status: str,
  ip: opt(str),
  user_agent: opt(str),
})

/**
 * A user's personal token (`tok_`); `token_plain` comes once, in the create answer.
 *
 * @example
 * ```ts
 * import { Redacted } from "effect"
 * import type { PersonalToken } from "@gatehouse/sdk/authpi"
 *
 * // The token is there in the create answer only
 * const plain = (token: PersonalToken) => token.token_plain && Redacted.value(token.token_plain)
 * ```
 */
export interface PersonalToken extends Resource {
  /** The user it belongs to. */
  readonly user_id: string
  /** Its name. */
  readonly name: string
  /** Its state; a state this version does not know is kept as is. */
  readonly status: "active" | "revoked" | (string & Record<never, never>)
  /** The token itself: in the create answer only, `Redacted` (`Redacted.value` reads it). */
  readonly token_plain?: Redacted.Redacted<string> | undefined
}
/** The schema of {@linkcode PersonalToken}. */
export const PersonalTokenSchema: Schema.Codec<PersonalToken, WireResource> = model({
  user_id: str,
  name: str,
  status: str,
  token_plain: secret,
})

/**
 * A device a user chose to trust (`td_`).
 *
 * @example
 * ```ts
 * import type { TrustedDevice } from "@gatehouse/sdk/authpi"
 *
 * const lastSeen = (device: TrustedDevice) =>
 *   device.last_seen_at == null ? "never" : new Date(device.last_seen_at).toISOString()
 * ```
 */
export interface TrustedDevice extends Resource {
  /** The user it belongs to. */
  readonly user_id: string
  /** Its name. */
  readonly name: string
  /** When it was last seen (Unix ms), if ever. */
  readonly last_seen_at?: number | null | undefined
}
/** The schema of {@linkcode TrustedDevice}. */
export const TrustedDeviceSchema: Schema.Codec<TrustedDevice, TrustedDevice> = model({
  user_id: str,
  name: str,
  last_seen_at: nullable(Schema.Number),
})

/**
 * A verifier (a second factor) of a user or an agent (`vrf_`).
 *
 * @example
 * ```ts
 * import type { Verifier } from "@gatehouse/sdk/authpi"
 *
 * const owner = (verifier: Verifier) => verifier.user_id ?? verifier.agent_id
 * ```
 */
export interface Verifier extends Resource {
  /** The kind of verifier (`totp`, `webauthn`...). */
  readonly kind: string
  /** Its name. */
  readonly name?: string | undefined
  /** The user it belongs to. */
  readonly user_id?: string | undefined
  /** The agent it belongs to. */
  readonly agent_id?: string | undefined
}
/** The schema of {@linkcode Verifier}. */
export const VerifierSchema: Schema.Codec<Verifier, Verifier> = model({
  kind: str,
  name: opt(str),
  user_id: opt(str),
  agent_id: opt(str),
})

/**
 * One account the caller reaches, in `GET /v1/me`.
 *
 * @example
 * ```ts
 * import type { MeAccount } from "@gatehouse/sdk/authpi"
 *
 * const canWriteUsers = (account: MeAccount) => account.scopes.includes("users:write")
 * ```
 */
export interface MeAccount {
  /** The account. */
  readonly account_id: string
  /** The organization it belongs to. */
  readonly org_id?: string | null | undefined
  /** The scopes it grants. */
  readonly scopes: ReadonlyArray<string>
  /** Fields the API added after this version. */
  readonly [field: string]: unknown
}

/**
 * Who is calling: `GET /v1/me`. An API key reaches exactly one account.
 *
 * @example
 * ```ts
 * import type { Me } from "@gatehouse/sdk/authpi"
 *
 * const accountIds = (me: Me) => me.accounts.map((account) => account.account_id)
 * ```
 */
export interface Me {
  /** What kind it is. */
  readonly type: "api_key" | "user" | "personal_token" | (string & Record<never, never>)
  /** The accounts the credential reaches. */
  readonly accounts: ReadonlyArray<MeAccount>
  /** Fields the API added after this version. */
  readonly [field: string]: unknown
}
/** The schema of {@linkcode Me}. */
export const MeSchema: Schema.Codec<Me, Me> = Schema.StructWithRest(
  Schema.Struct({
    type: str,
    accounts: Schema.Array(Schema.StructWithRest(
      Schema.Struct({ account_id: str, org_id: nullable(str), scopes: strs }),
      Rest,
    )),
  }),
  Rest,
)

/** A body schema: whatever object the caller sends (the API checks it; the mock checks what it must). */
export const BodySchema: Schema.Codec<Body, Body> = Schema.Record(Schema.String, Schema.Unknown)
