/**
 * THE table of AuthPI's resources: one row each, with its path, id prefix, model, operations, list
 * filters, custom actions, once-only secrets and event name. The API definition (every endpoint),
 * the client's resource objects and scopes, and the mock's stateful handlers are all generated from
 * it: adding a resource is adding a row (contracts.md §3.5, SURFACES.md "AuthPI Admin").
 *
 * Paths are below the account (`/v1/accounts/{account_id}`); a row's path names its parents'
 * parameters (`{issuer_id}`, `{user_id}`...), which are also how the client scopes it
 * (`admin.issuer(i).user(u).sessions`).
 *
 * @module
 */
import type { Codec } from "../core/endpoint.ts"
import {
  AgentSchema,
  ApiKeySchema,
  ApprovalSchema,
  AuthMethodSchema,
  ClientSchema,
  DeliverySchema,
  DomainSchema,
  EventAggregateSchema,
  EventSchema,
  GroupSchema,
  InvitationSchema,
  IssuerSchema,
  MemberSchema,
  NoteSchema,
  OrganizationSchema,
  PersonalTokenSchema,
  SessionSchema,
  TrustedDeviceSchema,
  UserSchema,
  VerifierSchema,
  WebhookSchema,
} from "./models.ts"

/**
 * The generic operations of a resource.
 *
 * @example
 * ```ts
 * import type { Operation } from "@gatehouse/sdk/authpi"
 *
 * const writes: ReadonlyArray<Operation> = ["create", "update", "delete"]
 * ```
 */
export type Operation = "list" | "create" | "get" | "update" | "delete"

/**
 * A list filter: how its query value is read, and the model field it compares (its own name by default).
 *
 * @example
 * ```ts
 * import type { Filter } from "@gatehouse/sdk/authpi"
 *
 * const createdAfter: Filter = { kind: "after", field: "created_at" }
 * ```
 */
export interface Filter {
  /** `string`: equal; `boolean`: `true`/`false`; `list`: a comma list, any of; `after`/`before`: `created_at` bounds (Unix ms). */
  readonly kind: "string" | "boolean" | "list" | "after" | "before"
  /** The model field compared. @default the filter's own name */
  readonly field?: string | undefined
}

/**
 * A custom action: an endpoint beyond the generic five.
 *
 * @example
 * ```ts
 * import type { Action } from "@gatehouse/sdk/authpi"
 *
 * const approve: Action = { method: "POST", on: "item", segment: "approve", summary: "Approve a user", event: "approval.approved" }
 * ```
 */
export interface Action {
  /** The HTTP method. */
  readonly method: "GET" | "POST"
  /** On one item (`POST .../{user_id}/approve`) or on the collection (`GET .../aggregate`). */
  readonly on: "item" | "collection"
  /** The last path segment: `approve`, `aggregate`. */
  readonly segment: string
  /** One line for documents. */
  readonly summary: string
  /** Its body, if it takes one. */
  readonly payload?: Codec | undefined
  /** What it answers inside `{ data }`. @default the resource's model */
  readonly success?: Codec | undefined
  /** The event it records (`approval.approved`), if any. */
  readonly event?: string | undefined
}

/**
 * Where a resource is reached in the client: which scope holds it, under which accessor.
 *
 * @example
 * ```ts
 * import { RESOURCES, type Scope } from "@gatehouse/sdk/authpi"
 *
 * const scope: Scope = RESOURCES.users.scope // "issuer": reached as admin.issuer(id).users
 * ```
 */
export type Scope = "account" | "issuer" | "organization" | "user" | "agent" | "webhook"

/**
 * One row of the table.
 *
 * @example
 * ```ts
 * import { RESOURCES, type ResourceSpec } from "@gatehouse/sdk/authpi"
 *
 * const users: ResourceSpec = RESOURCES.users
 * console.log(users.path) // "/issuers/{issuer_id}/users"
 * ```
 */
export interface ResourceSpec {
  /** The noun, singular, for documents and messages: `user`. */
  readonly noun: string
  /** The scope whose object holds it: `issuer` for users. */
  readonly scope: Scope
  /** Its name on that scope's object: `users` on `issuer(i)`. */
  readonly accessor: string
  /** The collection's path below the account: `/issuers/{issuer_id}/users`. */
  readonly path: string
  /** The item's path, when it is not `{path}/{id}`: sessions are listed per user, read per issuer. */
  readonly itemPath?: string | undefined
  /** The item's id parameter: `user_id`. */
  readonly id: string
  /** The prefix of the ids the API gives (`usr_`); 25 lowercase alphanumerics follow. */
  readonly prefix: string
  /** The schema of one item, as the API sends it. */
  readonly model: Codec
  /** The generic operations it has. */
  readonly operations: ReadonlyArray<Operation>
  /** Its list filters, by query name. */
  readonly filters?: Readonly<Record<string, Filter>> | undefined
  /** Its custom actions, by name. */
  readonly actions?: Readonly<Record<string, Action>> | undefined
  /** Body fields a create needs (400 `invalid_request` with `fields` when absent). */
  readonly required?: ReadonlyArray<string> | undefined
  /** Fields answered once, by the create, then kept only hashed: `client_secret_plain`. */
  readonly secrets?: ReadonlyArray<string> | undefined
  /** The event prefix of its writes: `user` records `user.created`, `user.updated`, `user.deleted`. */
  readonly event?: string | undefined
  /** The most active items a parent may hold (personal tokens: 50; domains: 20). */
  readonly limit?: number | undefined
  /** Values a create starts with where the body says nothing. */
  readonly defaults?: Readonly<Record<string, unknown>> | undefined
}

/**
 * Every resource of the AuthPI Admin API.
 *
 * @example
 * ```ts
 * import { RESOURCES } from "@gatehouse/sdk/authpi"
 *
 * console.log(Object.keys(RESOURCES).length, RESOURCES.issuers.scope) // every resource, and where each lives
 * ```
 */
export const RESOURCES = {
  issuers: {
    noun: "issuer",
    scope: "account",
    accessor: "issuers",
    path: "/issuers",
    id: "issuer_id",
    prefix: "i_",
    model: IssuerSchema,
    operations: ["list", "create", "get", "update", "delete"],
    required: ["name"],
    event: "issuer",
  },
  webhooks: {
    noun: "webhook",
    scope: "account",
    accessor: "webhooks",
    path: "/webhooks",
    id: "webhook_id",
    prefix: "wh_",
    model: WebhookSchema,
    operations: ["list", "create", "get", "update", "delete"],
    filters: { status: { kind: "string" } },
    required: ["name", "url", "events"],
    secrets: ["bearer_token_plain", "signature_secret_plain"],
    event: "webhook",
    defaults: { auth_type: "signature", status: "active" },
  },
  deliveries: {
    noun: "delivery",
    scope: "webhook",
    accessor: "deliveries",
    path: "/webhooks/{webhook_id}/deliveries",
    id: "delivery_id",
    prefix: "dlv_",
    model: DeliverySchema,
    operations: ["list", "get"],
    filters: { status: { kind: "string" } },
    actions: {
      redeliver: { method: "POST", on: "item", segment: "redeliver", summary: "Deliver the event again, now" },
    },
  },
  events: {
    noun: "event",
    scope: "account",
    accessor: "events",
    path: "/events",
    id: "event_id",
    prefix: "evt_",
    model: EventSchema,
    operations: ["list", "get"],
    filters: {
      issuer_id: { kind: "string" },
      user_id: { kind: "string" },
      client_id: { kind: "string" },
      event_types: { kind: "list", field: "type" },
      after: { kind: "after" },
      before: { kind: "before" },
    },
    actions: {
      aggregate: {
        method: "GET",
        on: "collection",
        segment: "aggregate",
        summary: "Event counts by type",
        success: EventAggregateSchema,
      },
    },
  },
  domains: {
    noun: "domain",
    scope: "account",
    accessor: "domains",
    path: "/domains",
    id: "domain",
    prefix: "dom_",
    model: DomainSchema,
    operations: ["list", "create", "get", "delete"],
    required: ["host"],
    event: "domain",
    limit: 20,
    actions: {
      verify: {
        method: "POST",
        on: "item",
        segment: "verify",
        summary: "Check the domain's DNS record",
        event: "domain.verified",
      },
    },
  },
  notes: {
    noun: "note",
    scope: "account",
    accessor: "notes",
    path: "/notes",
    id: "note_id",
    prefix: "note_",
    model: NoteSchema,
    operations: ["list", "create", "get", "update", "delete"],
    filters: {
      subject_type: { kind: "string" },
      subject_id: { kind: "string" },
      issuer_id: { kind: "string" },
      created_by: { kind: "string" },
      pinned: { kind: "boolean" },
      mentions_user_id: { kind: "list" },
    },
    required: ["subject_type", "subject_id", "body"],
    event: "note",
    defaults: { pinned: false },
  },
  members: {
    noun: "member",
    scope: "account",
    accessor: "members",
    path: "/members",
    id: "member_id",
    prefix: "mem_",
    model: MemberSchema,
    operations: ["list", "create", "get", "update", "delete"],
    required: ["email"],
    event: "member",
    defaults: { role: "member" },
  },
  invitations: {
    noun: "invitation",
    scope: "account",
    accessor: "invitations",
    path: "/invitations",
    id: "invitation_id",
    prefix: "inv_",
    model: InvitationSchema,
    operations: ["list", "create", "get", "delete"],
    filters: { status: { kind: "string" } },
    required: ["email_invited", "scopes"],
    event: "invitation",
    actions: {
      revoke: {
        method: "POST",
        on: "item",
        segment: "revoke",
        summary: "Revoke an invitation",
        event: "invitation.revoked",
      },
      resend: { method: "POST", on: "item", segment: "resend", summary: "Send the invitation again" },
    },
  },
  apiKeys: {
    noun: "api key",
    scope: "account",
    accessor: "apiKeys",
    path: "/api-keys",
    id: "key_id",
    prefix: "key_",
    model: ApiKeySchema,
    operations: ["list", "create", "get", "update", "delete"],
    filters: { status: { kind: "string" } },
    required: ["name"],
    secrets: ["key_secret_plain"],
    event: "api_key",
    actions: {
      revoke: { method: "POST", on: "item", segment: "revoke", summary: "Revoke an API key", event: "api_key.revoked" },
    },
    defaults: { scopes: [], status: "active" },
  },
  users: {
    noun: "user",
    scope: "issuer",
    accessor: "users",
    path: "/issuers/{issuer_id}/users",
    id: "user_id",
    prefix: "usr_",
    model: UserSchema,
    operations: ["list", "create", "get", "update", "delete"],
    filters: { status: { kind: "string" } },
    event: "user",
    defaults: { status: "active", scopes: [], blocked: false },
  },
  agents: {
    noun: "agent",
    scope: "issuer",
    accessor: "agents",
    path: "/issuers/{issuer_id}/agents",
    id: "agent_id",
    prefix: "agt_",
    model: AgentSchema,
    operations: ["list", "create", "get", "update", "delete"],
    filters: {
      status: { kind: "string" },
      model: { kind: "string" },
      provider: { kind: "string" },
      has_verifiers: { kind: "boolean" },
    },
    required: ["name"],
    event: "agent",
    defaults: { status: "active", has_verifiers: false },
  },
  clients: {
    noun: "client",
    scope: "issuer",
    accessor: "clients",
    path: "/issuers/{issuer_id}/clients",
    id: "client_id",
    prefix: "c_",
    model: ClientSchema,
    operations: ["list", "create", "get", "update", "delete"],
    filters: { status: { kind: "string" }, name: { kind: "string" } },
    required: ["name"],
    secrets: ["client_secret_plain"],
    event: "client",
    defaults: { status: "active", redirect_uris: [] },
  },
  organizations: {
    noun: "organization",
    scope: "issuer",
    accessor: "organizations",
    path: "/issuers/{issuer_id}/organizations",
    id: "org_id",
    prefix: "org_",
    model: OrganizationSchema,
    operations: ["list", "create", "get", "update", "delete"],
    filters: {
      status: { kind: "string" },
      sso_enabled: { kind: "boolean" },
      sso_only: { kind: "boolean" },
      mfa_required: { kind: "boolean" },
      invitation_enabled: { kind: "boolean" },
    },
    required: ["name"],
    event: "organization",
    defaults: {
      status: "active",
      sso_enabled: false,
      sso_only: false,
      mfa_required: false,
      invitation_enabled: true,
    },
  },
  issuerInvitations: {
    noun: "invitation",
    scope: "issuer",
    accessor: "invitations",
    // INFERRED: the seed's IssuerScope exposes invitations; the docs show only organization ones.
    path: "/issuers/{issuer_id}/invitations",
    id: "invitation_id",
    prefix: "inv_",
    model: InvitationSchema,
    operations: ["list", "create", "get", "delete"],
    filters: { status: { kind: "string" } },
    required: ["email_invited", "scopes"],
    event: "issuer.invitation",
    actions: {
      revoke: {
        method: "POST",
        on: "item",
        segment: "revoke",
        summary: "Revoke an invitation",
        event: "invitation.revoked",
      },
      resend: { method: "POST", on: "item", segment: "resend", summary: "Send the invitation again" },
    },
  },
  organizationInvitations: {
    noun: "invitation",
    scope: "organization",
    accessor: "invitations",
    path: "/issuers/{issuer_id}/organizations/{org_id}/invitations",
    id: "invitation_id",
    prefix: "inv_",
    model: InvitationSchema,
    operations: ["list", "create", "get", "delete"],
    filters: { status: { kind: "string" } },
    required: ["email_invited", "scopes"],
    event: "organization.invitation",
    actions: {
      revoke: {
        method: "POST",
        on: "item",
        segment: "revoke",
        summary: "Revoke an invitation",
        event: "invitation.revoked",
      },
      resend: { method: "POST", on: "item", segment: "resend", summary: "Send the invitation again" },
    },
  },
  organizationApiKeys: {
    noun: "api key",
    scope: "organization",
    accessor: "apiKeys",
    path: "/issuers/{issuer_id}/organizations/{org_id}/api-keys",
    id: "key_id",
    prefix: "key_",
    model: ApiKeySchema,
    operations: ["list", "create", "get", "update", "delete"],
    filters: { status: { kind: "string" } },
    required: ["name"],
    secrets: ["key_secret_plain"],
    event: "organization.api_key",
    actions: {
      revoke: { method: "POST", on: "item", segment: "revoke", summary: "Revoke an API key", event: "api_key.revoked" },
    },
    defaults: { scopes: [], status: "active" },
  },
  approvals: {
    noun: "approval",
    scope: "issuer",
    accessor: "approvals",
    path: "/issuers/{issuer_id}/approvals",
    id: "user_id",
    prefix: "apr_",
    model: ApprovalSchema,
    operations: ["list", "get"],
    filters: { status: { kind: "string" } },
    actions: {
      approve: { method: "POST", on: "item", segment: "approve", summary: "Approve the user", event: "user.approved" },
      reject: { method: "POST", on: "item", segment: "reject", summary: "Reject the user", event: "user.rejected" },
    },
  },
  authMethods: {
    noun: "auth method",
    scope: "issuer",
    accessor: "authMethods",
    path: "/issuers/{issuer_id}/auth-methods",
    id: "auth_method_id",
    prefix: "am_",
    model: AuthMethodSchema,
    operations: ["list", "create", "get", "update", "delete"],
    required: ["name", "method"],
    event: "auth_method",
    defaults: { enabled: true },
  },
  groups: {
    noun: "group",
    scope: "issuer",
    accessor: "groups",
    path: "/issuers/{issuer_id}/groups",
    id: "group_id",
    prefix: "grp_",
    model: GroupSchema,
    operations: ["list", "create", "get", "update", "delete"],
    required: ["name"],
    event: "group",
    defaults: { member_ids: [] },
  },
  sessions: {
    noun: "session",
    scope: "user",
    accessor: "sessions",
    path: "/issuers/{issuer_id}/users/{user_id}/sessions",
    itemPath: "/issuers/{issuer_id}/sessions/{session_id}",
    id: "session_id",
    prefix: "ses_",
    model: SessionSchema,
    operations: ["list", "get"],
    filters: { status: { kind: "string" } },
    actions: {
      revoke: { method: "POST", on: "item", segment: "revoke", summary: "Revoke a session", event: "session.revoked" },
      suspend: {
        method: "POST",
        on: "item",
        segment: "suspend",
        summary: "Suspend a session",
        event: "session.suspended",
      },
    },
  },
  tokens: {
    noun: "token",
    scope: "user",
    accessor: "tokens",
    path: "/issuers/{issuer_id}/users/{user_id}/tokens",
    id: "token_id",
    prefix: "tok_",
    model: PersonalTokenSchema,
    operations: ["list", "create", "get", "delete"],
    required: ["name"],
    secrets: ["token_plain"],
    event: "token",
    limit: 50,
    actions: {
      revoke: { method: "POST", on: "item", segment: "revoke", summary: "Revoke a token", event: "token.revoked" },
    },
    defaults: { status: "active" },
  },
  trustedDevices: {
    noun: "trusted device",
    scope: "user",
    accessor: "trustedDevices",
    path: "/issuers/{issuer_id}/users/{user_id}/trusted-devices",
    id: "device_id",
    prefix: "td_",
    model: TrustedDeviceSchema,
    operations: ["list", "get", "delete"],
  },
  userVerifiers: {
    noun: "verifier",
    scope: "user",
    accessor: "verifiers",
    path: "/issuers/{issuer_id}/users/{user_id}/verifiers",
    id: "verifier_id",
    prefix: "vrf_",
    model: VerifierSchema,
    operations: ["list", "create", "get", "delete"],
    required: ["kind"],
    event: "verifier",
  },
  agentVerifiers: {
    noun: "verifier",
    scope: "agent",
    accessor: "verifiers",
    path: "/issuers/{issuer_id}/agents/{agent_id}/verifiers",
    id: "verifier_id",
    prefix: "vrf_",
    model: VerifierSchema,
    operations: ["list", "create", "get", "delete"],
    required: ["kind"],
    event: "agent.verifier",
  },
} as const satisfies Readonly<Record<string, ResourceSpec>>

/**
 * The name of a row of the table.
 *
 * @example
 * ```ts
 * import { RESOURCES, type ResourceName } from "@gatehouse/sdk/authpi"
 *
 * const accountLevel = (Object.keys(RESOURCES) as Array<ResourceName>).filter((name) => RESOURCES[name].scope === "account")
 * ```
 */
export type ResourceName = keyof typeof RESOURCES

/** The table's rows, by name. */
export const resources: ReadonlyArray<readonly [ResourceName, ResourceSpec]> = Object.entries(RESOURCES) as Array<
  [ResourceName, ResourceSpec]
>

/** The path of one item: `{path}/{id}`, or the row's own `itemPath`. */
export const itemPathOf = (spec: ResourceSpec): string => spec.itemPath ?? `${spec.path}/{${spec.id}}`

/** The parameters a resource's collection path names (its parents): `["issuer_id", "user_id"]`. */
export const parentsOf = (spec: ResourceSpec): ReadonlyArray<string> =>
  [...spec.path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1])
