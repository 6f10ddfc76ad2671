/**
 * The AuthPI mock's in-memory state and rules, driven by the resource table
 * (`src/authpi/resources.ts`): one store per row and per account, items kept under their parents,
 * cursor pages newest first, the row's filters, `required` fields, `defaults`, per-parent `limit`s,
 * once-only `secrets` (kept as SHA-256 hashes), events for every write, and the custom actions by
 * name. Adding a row to the table needs no code here unless it brings a new action.
 *
 * Also: the accounts, the credentials (API keys as items of `apiKeys`, access tokens a test mints
 * and expires, personal tokens), the Idempotency-Key store, and the webhook deliveries.
 *
 * @module
 */
import { createHash, timingSafeEqual } from "node:crypto"
import { Result, Schema, SchemaIssue } from "effect"
import type { Codec } from "../../src/core/endpoint.ts"
import { DEFAULT_PAGE_SIZE } from "../../src/authpi/contract.ts"
import {
  AccountSchema,
  ApiKeySchema,
  DomainSchema,
  InvitationSchema,
  PersonalTokenSchema,
  UserSchema,
  VerifierSchema,
  WebhookSchema,
} from "../../src/authpi/models.ts"
import {
  type Action,
  itemPathOf,
  parentsOf,
  type ResourceName,
  RESOURCES,
  resources,
  type ResourceSpec,
} from "../../src/authpi/resources.ts"
import type { MockClock } from "../clock.ts"
import { type WebhookCredentials, WebhookDeliveries, type WebhookTarget } from "./webhooks.ts"

// ---------------------------------------------------------------------------------------------
// Ids, hashes, demo data

const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"

/** `n` random lowercase alphanumerics (unbiased). */
export const randomChars = (n: number): string => {
  let out = ""
  while (out.length < n) {
    for (const byte of crypto.getRandomValues(new Uint8Array(n * 2))) {
      if (byte < 252 && out.length < n) out += ALPHABET[byte % 36]
    }
  }
  return out
}

/** A new id: the row's prefix and 25 lowercase alphanumerics (`usr_4r8w2k9m5x1p7q3e6t0y2u4i8`). */
export const newId = (prefix: string): string => `${prefix}${randomChars(25)}`

const encoder = new TextEncoder()
const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex")
const sameHash = (a: string, b: string): boolean =>
  a.length === b.length && timingSafeEqual(encoder.encode(a), encoder.encode(b))

const demoId = (prefix: string, word: string) => `${prefix}${word.padEnd(25, "0")}`

const DEMO_KEY_ID = demoId("key_", "demo")
const DEMO_KEY_SECRET = "sk_demo_gatehouse_mock_not_a_secret"

/**
 * The demo data every fresh AuthPI mock holds. Never real secrets.
 *
 * @example
 * ```ts
 * import { AUTHPI_DEMO, type AuthPIDemo } from "@gatehouse/sdk/mock"
 *
 * // Credentials as the API takes them: a Bearer key, or HTTP Basic from key_id:secret.
 * const demo: AuthPIDemo = AUTHPI_DEMO
 * const headers = { authorization: `Basic ${btoa(demo.basicApiKey)}` }
 * console.log(headers)
 * ```
 */
export interface AuthPIDemo {
  /** The demo API key as one string, sent as `Authorization: Bearer <apiKey>` (`key_id.secret`). */
  readonly apiKey: string
  /** The same key as `key_id:secret`, sent as `Authorization: Basic base64(key_id:secret)`. */
  readonly basicApiKey: string
  /** A user session's access token reaching both demo accounts; it expires only by `expireAccessTokens()`. */
  readonly accessToken: string
  /** The demo account: the API key's. */
  readonly accountId: string
  /** Another account: the access token reaches it, the API key does not (403). */
  readonly otherAccountId: string
  /** A demo issuer of the demo account, with three users (one waiting for approval). */
  readonly issuerId: string
  /** Any other demo value, by name. */
  readonly [name: string]: string
}

/**
 * The demo credentials and ids of the AuthPI mock.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { AuthPI } from "@gatehouse/sdk/authpi"
 * import { AUTHPI_DEMO, createMock } from "@gatehouse/sdk/mock"
 *
 * const mock = createMock()
 * const me = await Effect.runPromise(
 *   Effect.flatMap(AuthPI, (admin) => admin.me()).pipe(
 *     Effect.provide(AuthPI.layer({ apiKey: AUTHPI_DEMO.apiKey, baseUrl: mock.baseUrl("authpi") })),
 *     Effect.provide(mock.layer),
 *   ),
 * )
 * console.log(me)
 * ```
 */
export const AUTHPI_DEMO: AuthPIDemo = {
  apiKey: `${DEMO_KEY_ID}.${DEMO_KEY_SECRET}`,
  basicApiKey: `${DEMO_KEY_ID}:${DEMO_KEY_SECRET}`,
  accessToken: "at_demo_gatehouse_mock_access_token",
  accountId: demoId("acc_", "demo"),
  otherAccountId: demoId("acc_", "other"),
  issuerId: demoId("i_", "demo"),
}

// ---------------------------------------------------------------------------------------------
// Items, refusals, principals

/** An item as the mock keeps and serves it: never a secret in it. */
export interface Item {
  /** The id: the row's prefix and 25 lowercase alphanumerics. */
  readonly id: string
  /** Unix ms on the mock clock. */
  readonly created_at: number
  /** Unix ms on the mock clock; the `ETag` is this value, quoted. */
  readonly updated_at: number
  /** The row's fields, and any other the caller sent. */
  readonly [field: string]: unknown
}

/** A refusal, answered as `{ error, error_description, ...extra }` with `status`. */
export class Refusal {
  /** The answer's status, its error code, its description, extra body fields and headers. */
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
    readonly extra: Readonly<Record<string, unknown>> = {},
    readonly headers: Readonly<Record<string, string>> = {},
  ) {}
}

/** Whether `value` is a {@linkcode Refusal}. */
export const isRefusal = (value: unknown): value is Refusal => value instanceof Refusal

/** Who is calling, once the credential is checked. */
export interface Principal {
  /** What the credential is: an API key, a user session's access token, or a personal token. */
  readonly type: "api_key" | "user" | "personal_token"
  /** The key id, the access token's hash, or the personal token's id. */
  readonly id: string
  /** The accounts it reaches: an API key exactly one. */
  readonly accountIds: ReadonlyArray<string>
  /** The scopes it holds (`GET /v1/me` answers them). */
  readonly scopes: ReadonlyArray<string>
  /** Whether it may write: a key whose scopes name neither `admin` nor `write` (and are not empty) only reads. */
  readonly canWrite: boolean
}

/** One page of a list, as the API answers it. */
export interface Page {
  /** The items of this page, newest first. */
  readonly data: ReadonlyArray<Item>
  /** Whether another page follows. */
  readonly has_more: boolean
  /** The id of the last item, to pass as `cursor`; `null` on the last page. */
  readonly next_cursor: string | null
}

/** What a create answers: the item, plus its once-only secrets in the clear. */
export interface Created {
  /** The item as kept and served later. */
  readonly item: Item
  /** The item with its secrets: the create answer, and only it. */
  readonly answer: Item
}

/** An access token a test minted. */
export interface MintedAccessToken {
  /** The token, to send as `Authorization: Bearer <access_token>`. */
  readonly access_token: string
  /** Always `Bearer`. */
  readonly token_type: "Bearer"
  /** Unix ms on the mock clock; `null` when it expires only by `expireAccessTokens()`. */
  readonly expires_at: number | null
  /** The accounts it reaches. */
  readonly account_ids: ReadonlyArray<string>
}

interface Entry {
  item: Item
  /** The values of the parameters of the row's collection path (`issuer_id`, `user_id`...). */
  readonly parents: Readonly<Record<string, string>>
  readonly seq: number
}

interface AccountRecord {
  entry: Entry
  readonly stores: Map<ResourceName, Map<string, Entry>>
}

/** Where an item is: its account, its row, its id. */
interface Location {
  readonly accountId: string
  readonly row: ResourceName
  readonly id: string
}

interface AccessGrant {
  readonly accountIds: ReadonlyArray<string>
  readonly expiresAt: number | null
  expired: boolean
}

// ---------------------------------------------------------------------------------------------
// The table's topology: each row's parents, and the rows they are items of

interface ParentLink {
  readonly param: string
  readonly row: ResourceName
}

/** The parents a path names, outermost first, each with the row it is an item of. */
const linksOf = (name: string, path: string, params: ReadonlyArray<string>): ReadonlyArray<ParentLink> =>
  params.map((param) => {
    const prefix = path.slice(0, path.indexOf(`/{${param}}`))
    const found = resources.find(([, spec]) => spec.path === prefix && spec.id === param)
    if (found === undefined) throw new Error(`authpi mock: no row holds {${param}} of ${name} (${path})`)
    return { param, row: found[0] }
  })

interface Topology {
  /** The parents of the collection. */
  readonly parents: ReadonlyArray<ParentLink>
  /** The parents named by the item's path (fewer than the collection's for sessions). */
  readonly itemParents: ReadonlyArray<ParentLink>
}

const TOPOLOGY: ReadonlyMap<ResourceName, Topology> = new Map(
  resources.map(([name, spec]) => {
    const itemPath = itemPathOf(spec)
    const itemParams = [...itemPath.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).filter((p) => p !== spec.id)
    return [name, {
      parents: linksOf(name, spec.path, parentsOf(spec)),
      itemParents: linksOf(name, itemPath, itemParams),
    }]
  }),
)
const topologyOf = (name: ResourceName): Topology => TOPOLOGY.get(name)!

const spec = (name: ResourceName): ResourceSpec => RESOURCES[name]

/** Narrows a row's name, refusing a name the table does not have. */
function assertRow(name: string): asserts name is ResourceName {
  if (!Object.hasOwn(RESOURCES, name)) throw new Error(`authpi mock: the table has no row ${name}`)
}

// ---------------------------------------------------------------------------------------------
// Rules that depend on a model, not on a row (both invitation rows share them)

/** Fields the API computes: a body cannot set them. */
const COMPUTED: ReadonlyMap<Codec, ReadonlyArray<string>> = new Map([
  [DomainSchema as Codec, ["verified", "verification_token", "verified_at"]],
])
const ALWAYS_READ_ONLY = ["id", "created_at", "updated_at", "_etag"]
/** Inputs the mock keeps only hashed, and never serves. */
const HASHED_INPUTS = ["password"]

const WEBHOOK_AUTH_TYPES = ["none", "bearer", "signature", "bearer+signature"]
const DEFAULT_INVITATION_SECONDS = 7 * 24 * 3600
const SECRET_PREFIXES: Readonly<Record<string, string>> = {
  client_secret_plain: "cs_",
  bearer_token_plain: "whbt_",
  signature_secret_plain: "whsec_",
  token_plain: "pat_",
  key_secret_plain: "sk_",
}

const isBlank = (value: unknown) =>
  value === undefined || value === null || (typeof value === "string" && value.trim() === "")

const invalid = (description: string, fields: Readonly<Record<string, string>>) =>
  new Refusal(400, "invalid_request", description, { fields })

const notFound = (noun: string, id: string) => new Refusal(404, "not_found", `No ${noun} ${id}.`)

const conflict = (description: string) => new Refusal(409, "conflict", description)

const formatter = SchemaIssue.makeFormatterStandardSchemaV1()
const validators = new Map<Codec, (value: unknown) => Result.Result<unknown, Schema.SchemaError>>()

/** What is wrong with `item` as `model` says, field by field; `undefined` when nothing. */
const invalidFields = (model: Codec, item: unknown): Record<string, string> | undefined => {
  let validate = validators.get(model)
  if (validate === undefined) {
    validate = Schema.decodeUnknownResult(model as Schema.Codec<unknown, unknown>, { errors: "all" })
    validators.set(model, validate)
  }
  const result = validate(item)
  if (Result.isSuccess(result)) return undefined
  const fields: Record<string, string> = {}
  for (const issue of formatter(result.failure.issue).issues) {
    const key = issue.path?.length ? String(issue.path[0]) : "body"
    fields[key] ??= issue.message === "Missing key" ? "is required" : issue.message
  }
  return fields
}

const etagOf = (item: Item): string => `"${item.updated_at}"`

/** `If-Match` against the item's ETag: absent is no check; `*` or any listed tag that equals it passes. */
const precondition = (noun: string, item: Item, ifMatch: string | null | undefined): Refusal | undefined => {
  if (ifMatch === null || ifMatch === undefined) return undefined
  const current = etagOf(item)
  const tags = ifMatch.split(",").map((tag) => tag.trim())
  if (tags.includes("*") || tags.includes(current)) return undefined
  return new Refusal(
    412,
    "precondition_failed",
    `The ${noun} has been modified since the provided ETag (${ifMatch}); fetch it again.`,
    { currentETag: current, retryable: false },
  )
}

// ---------------------------------------------------------------------------------------------
// Idempotency keys

/** How long an Idempotency-Key is remembered, on the mock clock. */
export const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000

/** A 2xx answer kept for replays. */
export interface CachedAnswer {
  /** Method, path and canonical body of the request that earned it. */
  readonly fingerprint: string
  /** The status answered. */
  readonly status: number
  /** The body answered, before encoding. */
  readonly value: unknown
  /** The headers the handler answered with (the ETag). */
  readonly headers: Readonly<Record<string, string>>
  /** The fields of `value.data` answered `Redacted` (show-once secrets), kept here in the clear. */
  readonly redacted?: ReadonlyArray<string> | undefined
}

/** What the store says of a key as a request arrives. */
export type Claim =
  | { readonly kind: "in_flight" }
  | { readonly kind: "replay"; readonly scope: string; readonly key: string; readonly answer: CachedAnswer }
  | { readonly kind: "claimed"; readonly scope: string; readonly key: string }

type Slot = { readonly state: "in_flight" } | {
  readonly state: "done"
  readonly answer: CachedAnswer
  readonly expiresAt: number
}

/**
 * The Idempotency-Keys of every account: a key is claimed as its request arrives (so a concurrent
 * duplicate is refused), then holds its 2xx answer for 24 h on the mock clock, or is let go.
 */
export class IdempotencyStore {
  readonly #clock: MockClock
  #slots = new Map<string, Slot>()

  /** A store reading `clock`. */
  constructor(clock: MockClock) {
    this.#clock = clock
  }

  #purge(): void {
    const now = this.#clock.now()
    for (const [id, slot] of this.#slots) if (slot.state === "done" && slot.expiresAt <= now) this.#slots.delete(id)
  }

  /** Claims `key` in `scope` (an account), or says it is in flight, or has an answer to replay. */
  claim(scope: string, key: string): Claim {
    this.#purge()
    const id = `${scope}\u0000${key}`
    const slot = this.#slots.get(id)
    if (slot?.state === "in_flight") return { kind: "in_flight" }
    if (slot?.state === "done") return { kind: "replay", scope, key, answer: slot.answer }
    this.#slots.set(id, { state: "in_flight" })
    return { kind: "claimed", scope, key }
  }

  /** Keeps a 2xx answer for 24 h. */
  complete(scope: string, key: string, answer: CachedAnswer): void {
    this.#slots.set(`${scope}\u0000${key}`, {
      state: "done",
      answer: structuredClone(answer),
      expiresAt: this.#clock.now() + IDEMPOTENCY_TTL_MS,
    })
  }

  /** Lets a claimed key go: its request did not succeed, so it may be sent again. */
  release(scope: string, key: string): void {
    const id = `${scope}\u0000${key}`
    if (this.#slots.get(id)?.state === "in_flight") this.#slots.delete(id)
  }

  /** The keys remembered (claimed or answered). */
  get size(): number {
    this.#purge()
    return this.#slots.size
  }

  /** Forgets every key. */
  reset(): void {
    this.#slots.clear()
  }
}

// ---------------------------------------------------------------------------------------------
// The state

/** Options of {@linkcode AuthPIState}. */
export interface AuthPIStateOptions {
  /** How webhook deliveries are sent. @default the global `fetch` at the time of each attempt */
  readonly fetch?: typeof globalThis.fetch | undefined
}

/** A custom action's input: the row, the action, the located item (item actions), the query. */
interface ActionContext {
  readonly account: AccountRecord
  readonly name: ResourceName
  readonly spec: ResourceSpec
  readonly action: Action
  readonly params: Readonly<Record<string, string>>
  readonly query: Readonly<Record<string, unknown>>
  readonly entry: Entry | undefined
}

/** What an action answers: an item (with its ETag), another value, or a refusal. */
export type ActionResult = { readonly item: Item } | { readonly value: unknown } | Refusal

/** A stored item as JSON: the item, its parents' ids, its place in its list. */
export interface EntrySnapshot {
  readonly item: Item
  readonly parents: Readonly<Record<string, string>>
  readonly seq: number
}

/**
 * Every account of an AuthPI mock as JSON, with its items by row, and the credentials. Webhook
 * retries waiting and Idempotency-Keys are not kept: a restored mock starts without them.
 */
export interface AuthPISnapshot {
  readonly accounts: ReadonlyArray<{
    readonly entry: EntrySnapshot
    readonly stores: ReadonlyArray<readonly [ResourceName, ReadonlyArray<EntrySnapshot>]>
  }>
  readonly positions: ReadonlyArray<readonly [string, readonly [number, number]]>
  readonly seq: number
  readonly hashes: ReadonlyArray<readonly [string, Readonly<Record<string, string>>]>
  readonly webhookSecrets: ReadonlyArray<readonly [string, WebhookCredentials]>
  readonly apiKeys: ReadonlyArray<readonly [string, Location]>
  readonly personalTokens: ReadonlyArray<readonly [string, Location]>
  readonly accessTokens: ReadonlyArray<readonly [string, AccessGrant]>
}

const ItemJson = Schema.StructWithRest(
  Schema.Struct({ id: Schema.String, created_at: Schema.Number, updated_at: Schema.Number }),
  [Schema.Record(Schema.String, Schema.Unknown)],
)
const EntryJson = Schema.Struct({
  item: ItemJson,
  parents: Schema.Record(Schema.String, Schema.String),
  seq: Schema.Number,
})
const RowName = Schema.Literals(Object.keys(RESOURCES) as Array<ResourceName>)
const LocationJson = Schema.Struct({ accountId: Schema.String, row: RowName, id: Schema.String })
const pairs = <S extends Schema.Top>(value: S) => Schema.Array(Schema.Tuple([Schema.String, value]))

const decodeSnapshot: (input: unknown) => AuthPISnapshot = Schema.decodeUnknownSync(
  Schema.Struct({
    accounts: Schema.Array(Schema.Struct({
      entry: EntryJson,
      stores: Schema.Array(Schema.Tuple([RowName, Schema.Array(EntryJson)])),
    })),
    positions: pairs(Schema.Tuple([Schema.Number, Schema.Number])),
    seq: Schema.Number,
    hashes: pairs(Schema.Record(Schema.String, Schema.String)),
    webhookSecrets: pairs(
      Schema.Struct({ bearer: Schema.optional(Schema.String), signature: Schema.optional(Schema.String) }),
    ),
    apiKeys: pairs(LocationJson),
    personalTokens: pairs(LocationJson),
    accessTokens: pairs(Schema.Struct({
      accountIds: Schema.Array(Schema.String),
      expiresAt: Schema.NullOr(Schema.Number),
      expired: Schema.Boolean,
    })),
  }),
  { onExcessProperty: "error" },
)

/**
 * The AuthPI mock's state: every row of the table per account, the credentials, the
 * Idempotency-Keys and the webhook deliveries. Times read the shared {@linkcode MockClock}.
 *
 * @example
 * ```ts
 * import { createMock } from "@gatehouse/sdk/mock"
 *
 * const { authpi } = createMock()
 * const account = authpi.state.addAccount({ name: "Acme" })
 * console.log(authpi.state.accountIds().includes(account.id)) // true
 * ```
 */
export class AuthPIState {
  readonly #clock: MockClock
  /** The webhook deliveries: `settled()`, `deliverDue()`, the retries waiting. */
  readonly webhooks: WebhookDeliveries
  /** The Idempotency-Keys of every account. */
  readonly idempotency: IdempotencyStore
  #accounts = new Map<string, AccountRecord>()
  /** Where every id ever listed sits in its list (`created_at`, sequence): a cursor outlives its item. */
  #positions = new Map<string, readonly [number, number]>()
  #seq = 0
  /** Item id -> field -> SHA-256 hex of a secret or a hashed input. */
  #hashes = new Map<string, Record<string, string>>()
  /** Webhook id -> its bearer token and signing secret: the deliveries need them in the clear. */
  #webhookSecrets = new Map<string, WebhookCredentials>()
  /** API key id -> where it is: an account's own keys are credentials of that account. */
  #apiKeys = new Map<string, Location>()
  /** SHA-256 of a personal token -> where it is. */
  #personalTokens = new Map<string, Location>()
  /** SHA-256 of an access token -> what it reaches. */
  #accessTokens = new Map<string, AccessGrant>()

  /** A state seeded with the demo data, reading `clock`. */
  constructor(clock: MockClock, options: AuthPIStateOptions = {}) {
    this.#clock = clock
    this.idempotency = new IdempotencyStore(clock)
    this.webhooks = new WebhookDeliveries(clock, {
      subscribers: (accountId, type) => this.#subscribers(accountId, type),
      target: (accountId, webhookId) => this.#target(accountId, webhookId),
      credentials: (webhookId) => this.#webhookSecrets.get(webhookId),
      event: (accountId, eventId) => this.#accounts.get(accountId)?.stores.get("events")?.get(eventId)?.item,
      record: (accountId, webhookId, fields) =>
        this.#insert(this.#account(accountId), "deliveries", { webhook_id: webhookId }, fields).item.id,
      update: (accountId, webhookId, deliveryId, fields) => {
        const entry = this.#accounts.get(accountId)?.stores.get("deliveries")?.get(deliveryId)
        if (entry === undefined || entry.parents.webhook_id !== webhookId) return false
        this.#replace(entry, fields)
        return true
      },
    }, options.fetch)
    this.reset()
  }

  /** Back to the seeded state: the two demo accounts, the demo key, issuer, users, sessions. */
  reset(): void {
    this.webhooks.reset()
    this.idempotency.reset()
    this.#accounts = new Map()
    this.#positions = new Map()
    this.#hashes = new Map()
    this.#webhookSecrets = new Map()
    this.#apiKeys = new Map()
    this.#personalTokens = new Map()
    this.#accessTokens = new Map([[sha256(AUTHPI_DEMO.accessToken), {
      accountIds: [AUTHPI_DEMO.accountId, AUTHPI_DEMO.otherAccountId],
      expiresAt: null,
      expired: false,
    }]])
    this.addAccount({ name: "Demo account", org_type: "company", settings: {} }, AUTHPI_DEMO.accountId)
    this.addAccount({ name: "Other account", org_type: "company", settings: {} }, AUTHPI_DEMO.otherAccountId)
    const demo = this.#account(AUTHPI_DEMO.accountId)
    const key = this.#insert(
      demo,
      "apiKeys",
      {},
      { name: "Demo key", scopes: ["admin"], status: "active" },
      DEMO_KEY_ID,
    )
    this.#hashes.set(key.item.id, { key_secret_plain: sha256(DEMO_KEY_SECRET) })
    this.#apiKeys.set(key.item.id, { accountId: AUTHPI_DEMO.accountId, row: "apiKeys", id: key.item.id })
    this.#insert(demo, "issuers", {}, { name: "Demo issuer", description: "Seeded by the mock" }, AUTHPI_DEMO.issuerId)
    const issuer = { issuer_id: AUTHPI_DEMO.issuerId }
    const users = [
      { username_type: "email", username: "alice@example.com", email: "alice@example.com", display_name: "Alice" },
      { username_type: "email", username: "bob@example.com", email: "bob@example.com", display_name: "Bob" },
      {
        username_type: "email",
        username: "carol@example.com",
        email: "carol@example.com",
        display_name: "Carol",
        requires_approval: true,
      },
    ]
    for (const body of users) {
      const user = this.create(AUTHPI_DEMO.accountId, "users", issuer, body, { emit: false })
      if (isRefusal(user)) throw new Error(`authpi mock seed: ${user.description}`)
      const parents = { ...issuer, user_id: user.item.id }
      this.#insert(demo, "sessions", parents, { status: "active", ip: "203.0.113.7", user_agent: "Mozilla/5.0" })
      this.#insert(demo, "trustedDevices", parents, { name: "Laptop", last_seen_at: this.#clock.now() })
    }
    this.create(AUTHPI_DEMO.accountId, "clients", issuer, {
      name: "Demo app",
      redirect_uris: ["http://localhost:3000/callback"],
    }, {
      emit: false,
    })
  }

  /** Every account, item and credential, as JSON (see {@linkcode AuthPISnapshot}). */
  snapshot(): AuthPISnapshot {
    return structuredClone({
      accounts: [...this.#accounts.values()].map(({ entry, stores }) => ({
        entry,
        stores: [...stores].map(([name, store]) => [name, [...store.values()]] as const),
      })),
      positions: [...this.#positions],
      seq: this.#seq,
      hashes: [...this.#hashes],
      webhookSecrets: [...this.#webhookSecrets],
      apiKeys: [...this.#apiKeys],
      personalTokens: [...this.#personalTokens],
      accessTokens: [...this.#accessTokens],
    })
  }

  /** Replaces the state with `snapshot`'s; throws, changing nothing, when it is not an AuthPI snapshot. */
  restore(snapshot: unknown): void {
    const given = structuredClone(decodeSnapshot(snapshot)) as AuthPISnapshot
    this.webhooks.reset()
    this.idempotency.reset()
    this.#accounts = new Map(given.accounts.map(({ entry, stores }) => [entry.item.id, {
      entry: { ...entry },
      stores: new Map(stores.map(([name, entries]) => [name, new Map(entries.map((e) => [e.item.id, { ...e }]))])),
    }]))
    this.#positions = new Map(given.positions)
    this.#seq = given.seq
    this.#hashes = new Map(given.hashes.map(([id, hashes]) => [id, { ...hashes }]))
    this.#webhookSecrets = new Map(given.webhookSecrets)
    this.#apiKeys = new Map(given.apiKeys)
    this.#personalTokens = new Map(given.personalTokens)
    this.#accessTokens = new Map(given.accessTokens.map(([hash, grant]) => [hash, { ...grant }]))
  }

  // -------------------------------------------------------------------------------------------
  // Accounts and credentials

  /** Adds an account (a fresh `acc_` id unless given); returns it. */
  addAccount(fields: Readonly<Record<string, unknown>> = {}, id: string = newId("acc_")): Item {
    const now = this.#clock.now()
    const item: Item = { name: "Account", ...fields, id, created_at: now, updated_at: now }
    const entry: Entry = { item, parents: {}, seq: ++this.#seq }
    this.#positions.set(id, [item.created_at, entry.seq])
    this.#accounts.set(id, { entry, stores: new Map() })
    return item
  }

  /** Every account's id, oldest first. */
  accountIds(): ReadonlyArray<string> {
    return [...this.#accounts.keys()]
  }

  /** The account, if there is one. */
  account(accountId: string): Item | undefined {
    return this.#accounts.get(accountId)?.entry.item
  }

  #account(accountId: string): AccountRecord {
    const account = this.#accounts.get(accountId)
    if (account === undefined) throw new Error(`authpi mock: no account ${accountId}`)
    return account
  }

  /** One page of the accounts `principal` reaches. */
  accounts(principal: Principal, query: Readonly<Record<string, unknown>>): Page | Refusal {
    const entries = principal.accountIds.flatMap((id) => this.#accounts.get(id)?.entry ?? [])
    return this.#page(entries, query)
  }

  /** Updates an account (a PATCH merge), `If-Match` checked; records `account.updated`. */
  updateAccount(accountId: string, body: Readonly<Record<string, unknown>>, ifMatch?: string | null): Item | Refusal {
    const account = this.#accounts.get(accountId)
    if (account === undefined) return notFound("account", accountId)
    const refused = precondition("account", account.entry.item, ifMatch)
    if (refused !== undefined) return refused
    const patch = Object.fromEntries(Object.entries(body).filter(([key]) => !ALWAYS_READ_ONLY.includes(key)))
    const fields = invalidFields(AccountSchema, { ...account.entry.item, ...patch })
    if (fields !== undefined) return invalid(`Invalid account: ${Object.keys(fields).join(", ")}.`, fields)
    this.#replace(account.entry, patch)
    this.#emit(account, "account.updated", undefined, {}, account.entry.item)
    return account.entry.item
  }

  /**
   * Who `authorization` is: an API key (`Bearer key_id.secret`, `Bearer key_id:secret`, or
   * `Basic base64(key_id:secret)`), an access token (`Bearer at_...`), or a personal token
   * (`Bearer pat_...`). A 401 refusal when it is none of them, or has expired.
   */
  authenticate(authorization: string | null | undefined): Principal | Refusal {
    const header = (authorization ?? "").trim()
    const [scheme, ...rest] = header.split(/\s+/)
    const credential = rest.join(" ")
    if (header === "" || credential === "") {
      return unauthorized(
        "invalid_token",
        "Send Authorization: Bearer <api key or access token>, or Basic base64(key_id:secret).",
      )
    }
    if (/^basic$/i.test(scheme)) {
      let decoded: string
      try {
        decoded = atob(credential)
      } catch {
        return unauthorized("invalid_token", "The Basic credential is not base64.")
      }
      const at = decoded.indexOf(":")
      return at < 0
        ? unauthorized("invalid_token", "Basic takes base64(key_id:secret).")
        : this.#apiKey(decoded.slice(0, at), decoded.slice(at + 1))
    }
    if (!/^bearer$/i.test(scheme)) return unauthorized("invalid_token", `Unsupported scheme ${scheme}.`)
    if (credential.startsWith("key_")) {
      const at = credential.search(/[.:]/)
      return at < 0
        ? unauthorized("invalid_token", "An API key is key_id.secret.")
        : this.#apiKey(credential.slice(0, at), credential.slice(at + 1))
    }
    const hash = sha256(credential)
    const grant = this.#accessTokens.get(hash)
    if (grant !== undefined) {
      if (grant.expired || (grant.expiresAt !== null && grant.expiresAt <= this.#clock.now())) {
        return unauthorized("session_expired", "The access token has expired: refresh it.")
      }
      const accountIds = grant.accountIds.filter((id) => this.#accounts.has(id))
      return { type: "user", id: hash, accountIds, scopes: ["admin"], canWrite: true }
    }
    const token = this.#personalTokens.get(hash)
    if (token !== undefined && this.#itemAt(token)?.status === "active") {
      return { type: "personal_token", id: token.id, accountIds: [token.accountId], scopes: [], canWrite: true }
    }
    return unauthorized("invalid_token", "The bearer token is not a valid API key or access token.")
  }

  #itemAt(location: Location): Item | undefined {
    return this.#accounts.get(location.accountId)?.stores.get(location.row)?.get(location.id)?.item
  }

  #apiKey(keyId: string, secret: string): Principal | Refusal {
    const location = this.#apiKeys.get(keyId)
    const item = location === undefined ? undefined : this.#itemAt(location)
    const hash = this.#hashes.get(keyId)?.key_secret_plain
    if (location === undefined || item === undefined || hash === undefined || !sameHash(hash, sha256(secret))) {
      return unauthorized("invalid_token", "Unknown API key, or a wrong secret.")
    }
    if (item.status !== "active") return unauthorized("invalid_token", `The API key is ${item.status}.`)
    const scopes = Array.isArray(item.scopes) ? item.scopes.map(String) : []
    const canWrite = scopes.length === 0 || scopes.includes("admin") || scopes.includes("write")
    return { type: "api_key", id: keyId, accountIds: [location.accountId], scopes, canWrite }
  }

  /** `GET /v1/me`: the caller's type and the accounts it reaches. */
  me(principal: Principal): { readonly type: string; readonly accounts: ReadonlyArray<Record<string, unknown>> } {
    return {
      type: principal.type,
      accounts: principal.accountIds.map((account_id) => ({ account_id, org_id: null, scopes: [...principal.scopes] })),
    }
  }

  /**
   * Mints an access token reaching `accountIds` (both demo accounts by default) for `ttlMs` on
   * the mock clock (an hour by default; `null`: until `expireAccessTokens()`).
   */
  mintAccessToken(
    options: { readonly accountIds?: ReadonlyArray<string>; readonly ttlMs?: number | null } = {},
  ): MintedAccessToken {
    const token = `at_${randomChars(40)}`
    const accountIds = [...(options.accountIds ?? [AUTHPI_DEMO.accountId, AUTHPI_DEMO.otherAccountId])]
    const ttl = options.ttlMs === undefined ? 3_600_000 : options.ttlMs
    const expiresAt = ttl === null ? null : this.#clock.now() + ttl
    this.#accessTokens.set(sha256(token), { accountIds, expiresAt, expired: false })
    return { access_token: token, token_type: "Bearer", expires_at: expiresAt, account_ids: accountIds }
  }

  /**
   * Expires access tokens: every one (the demo token included, until `reset()`), or only
   * `accessToken`. Their next request is a 401 `session_expired`. Returns how many expired
   * (those still alive until now).
   */
  expireAccessTokens(accessToken?: string): number {
    let expired = 0
    const only = accessToken === undefined ? undefined : sha256(accessToken)
    for (const [hash, grant] of this.#accessTokens) {
      const alive = !grant.expired && (grant.expiresAt === null || grant.expiresAt > this.#clock.now())
      if ((only === undefined || hash === only) && alive) {
        grant.expired = true
        expired++
      }
    }
    return expired
  }

  // -------------------------------------------------------------------------------------------
  // The generic operations

  /** One page of a row's items under `params`, newest first, the row's filters applied. */
  list(
    accountId: string,
    name: string,
    params: Readonly<Record<string, string>>,
    query: Readonly<Record<string, unknown>>,
  ): Page | Refusal {
    assertRow(name)
    const account = this.#account(accountId)
    const refused = this.#parentsExist(account, topologyOf(name).parents, params)
    if (refused !== undefined) return refused
    const filtered = this.#filter(spec(name), this.#children(account, name, params), query)
    if (isRefusal(filtered)) return filtered
    return name === "notes" ? pinnedPage(filtered, query) : this.#page(filtered, query)
  }

  /**
   * Creates an item of a row under `params`: parents checked, `required` fields, `defaults`,
   * the row's `limit`, its model; its `secrets` generated, answered once and kept hashed.
   * Records `<event>.created` (unless `emit` is false). Works for any row, even one the API
   * cannot create (sessions, trusted devices): that is how tests seed them.
   */
  create(
    accountId: string,
    name: string,
    params: Readonly<Record<string, string>>,
    body: Readonly<Record<string, unknown>>,
    options: { readonly emit?: boolean } = {},
  ): Created | Refusal {
    assertRow(name)
    const account = this.#account(accountId)
    const row = spec(name)
    const { parents } = topologyOf(name)
    const refused = this.#parentsExist(account, parents, params)
    if (refused !== undefined) return refused
    const missing = (row.required ?? []).filter((field) => isBlank(body[field]))
    if (missing.length > 0) {
      return invalid(
        `Missing required field${missing.length > 1 ? "s" : ""}: ${missing.join(", ")}.`,
        Object.fromEntries(missing.map((field) => [field, "is required"])),
      )
    }
    const parentValues = Object.fromEntries(parents.map(({ param }) => [param, params[param]]))
    const now = this.#clock.now()
    const draft: Record<string, unknown> = {
      ...structuredClone(row.defaults ?? {}),
      ...this.#writable(row, parents, body),
      ...parentValues,
    }
    const prepared = this.#prepareCreate(account, name, row, draft, body, now)
    if (isRefusal(prepared)) return prepared
    if (row.limit !== undefined) {
      const active = this.#children(account, name, params).filter((e) =>
        e.item.status === undefined || e.item.status === "active"
      )
      if (active.length >= row.limit) {
        const holder = parents.length === 0 ? "An account" : `A ${spec(parents.at(-1)!.row).noun}`
        return conflict(`${holder} holds at most ${row.limit} active ${row.noun}s.`)
      }
    }
    const candidate = { ...draft, id: newId(row.prefix), created_at: now, updated_at: now }
    const fields = invalidFields(row.model, candidate)
    if (fields !== undefined) return invalid(`Invalid ${row.noun}: ${Object.keys(fields).join(", ")}.`, fields)
    const entry = this.#insert(account, name, parentValues, candidate, candidate.id, now)
    const secrets = this.#issueSecrets(account, name, row, entry.item)
    this.#keepHashedInputs(entry.item.id, body)
    this.#afterCreate(account, name, entry)
    if (row.event !== undefined && options.emit !== false) {
      this.#emit(account, `${row.event}.created`, row, params, entry.item)
    }
    return { item: entry.item, answer: { ...entry.item, ...secrets } }
  }

  /**
   * Puts an item of any row under `params` as given over the row's `defaults` (its parents must
   * exist, its model must hold): no rules, no secrets, no event. For tests, and for the rows the API cannot create
   * (sessions, trusted devices, deliveries, events).
   */
  seed(
    accountId: string,
    name: string,
    params: Readonly<Record<string, string>>,
    fields: Readonly<Record<string, unknown>>,
  ): Item | Refusal {
    assertRow(name)
    const account = this.#account(accountId)
    const row = spec(name)
    const { parents } = topologyOf(name)
    const refused = this.#parentsExist(account, parents, params)
    if (refused !== undefined) return refused
    const parentValues = Object.fromEntries(parents.map(({ param }) => [param, params[param]]))
    const now = this.#clock.now()
    const id = typeof fields.id === "string" ? fields.id : newId(row.prefix)
    const item = { ...structuredClone(row.defaults ?? {}), ...fields }
    const invalidOnes = invalidFields(row.model, { ...item, ...parentValues, id, created_at: now, updated_at: now })
    if (invalidOnes !== undefined) {
      return invalid(`Invalid ${row.noun}: ${Object.keys(invalidOnes).join(", ")}.`, invalidOnes)
    }
    const entry = this.#insert(account, name, parentValues, item, id, now)
    this.#syncHasVerifiers(account, name, entry)
    return entry.item
  }

  /** An item, found under its path's parents (404 when a parent or the item is missing). */
  get(accountId: string, name: string, params: Readonly<Record<string, string>>): Item | Refusal {
    assertRow(name)
    const found = this.#locate(this.#account(accountId), name, params)
    return isRefusal(found) ? found : found.item
  }

  /**
   * Updates an item: the body merged over it (what the API computes is kept), `If-Match`
   * checked, its model checked; records `<event>.updated`. Answers the item, plus any secret a
   * change needed (a webhook moved to `bearer` gets its token, once).
   */
  update(
    accountId: string,
    name: string,
    params: Readonly<Record<string, string>>,
    body: Readonly<Record<string, unknown>>,
    ifMatch?: string | null,
  ): Created | Refusal {
    assertRow(name)
    const account = this.#account(accountId)
    const row = spec(name)
    const entry = this.#locate(account, name, params)
    if (isRefusal(entry)) return entry
    const refused = precondition(row.noun, entry.item, ifMatch)
    if (refused !== undefined) return refused
    if (row.model === WebhookSchema && entry.item.status === "deleted") return conflict("The webhook is deleted.")
    const patch = this.#writable(row, topologyOf(name).parents, body)
    if (row.model === WebhookSchema && patch.status === "deleted") {
      return invalid("Invalid webhook: status.", { status: "Delete the webhook to set status deleted." })
    }
    const candidate = { ...entry.item, ...patch }
    if (row.model === WebhookSchema) {
      const bad = webhookProblems(candidate)
      if (bad !== undefined) return bad
    }
    const fields = invalidFields(row.model, candidate)
    if (fields !== undefined) return invalid(`Invalid ${row.noun}: ${Object.keys(fields).join(", ")}.`, fields)
    this.#replace(entry, patch)
    this.#keepHashedInputs(entry.item.id, body)
    const secrets = row.model === WebhookSchema ? this.#issueSecrets(account, name, row, entry.item, true) : {}
    if (row.model === WebhookSchema && entry.item.status !== "active") this.webhooks.forget(entry.item.id)
    if (row.event !== undefined) this.#emit(account, `${row.event}.updated`, row, params, entry.item)
    return { item: entry.item, answer: { ...entry.item, ...secrets } }
  }

  /** Deletes an item and everything under it, `If-Match` checked; records `<event>.deleted`. */
  remove(
    accountId: string,
    name: string,
    params: Readonly<Record<string, string>>,
    ifMatch?: string | null,
  ): Item | Refusal {
    assertRow(name)
    const account = this.#account(accountId)
    const row = spec(name)
    const entry = this.#locate(account, name, params)
    if (isRefusal(entry)) return entry
    const refused = precondition(row.noun, entry.item, ifMatch)
    if (refused !== undefined) return refused
    if (name === "webhooks") return this.#softDelete(account, row, params, entry)
    this.#delete(account, name, entry)
    if (row.event !== undefined) this.#emit(account, `${row.event}.deleted`, row, params, entry.item)
    return entry.item
  }

  /**
   * A webhook's delete: it stays, `status: "deleted"` (readable, listed, its deliveries kept),
   * gets no delivery again (its waiting retries dropped, its secrets in the clear forgotten), and
   * records `webhook.deleted`. Deleting it again changes nothing.
   */
  #softDelete(account: AccountRecord, row: ResourceSpec, params: Readonly<Record<string, string>>, entry: Entry): Item {
    if (entry.item.status === "deleted") return entry.item
    this.#replace(entry, { status: "deleted" })
    this.webhooks.forget(entry.item.id)
    this.#webhookSecrets.delete(entry.item.id)
    if (row.event !== undefined) this.#emit(account, `${row.event}.deleted`, row, params, entry.item)
    return entry.item
  }

  /** Runs the row's custom action `key` (approve, revoke, aggregate...). */
  act(
    accountId: string,
    name: string,
    key: string,
    params: Readonly<Record<string, string>>,
    query: Readonly<Record<string, unknown>> = {},
  ): ActionResult {
    assertRow(name)
    const account = this.#account(accountId)
    const row = spec(name)
    const action = row.actions?.[key]
    if (action === undefined) throw new Error(`authpi mock: no action ${name}.${key}`)
    let entry: Entry | undefined
    if (action.on === "item") {
      const found = this.#locate(account, name, params)
      if (isRefusal(found)) return found
      entry = found
    } else {
      const refused = this.#parentsExist(account, topologyOf(name).parents, params)
      if (refused !== undefined) return refused
    }
    return this.#run(key, { account, name, spec: row, action, params, query, entry })
  }

  /** Every item of a row in an account (all parents), newest first: for tests. */
  items(accountId: string, name: string): ReadonlyArray<Item> {
    assertRow(name)
    const store = this.#accounts.get(accountId)?.stores.get(name)
    return store === undefined ? [] : sortNewestFirst([...store.values()]).map((e) => e.item)
  }

  /** Whether a secret or hashed input of an item has this SHA-256 (`client_secret_plain`, `password`). */
  hashOf(itemId: string, field: string): string | undefined {
    return this.#hashes.get(itemId)?.[field]
  }

  // -------------------------------------------------------------------------------------------
  // Internals: stores

  #store(account: AccountRecord, name: ResourceName): Map<string, Entry> {
    let store = account.stores.get(name)
    if (store === undefined) account.stores.set(name, store = new Map())
    return store
  }

  /** Puts an item in a row's store as is (no rules, no event). */
  #insert(
    account: AccountRecord,
    name: ResourceName,
    parents: Readonly<Record<string, string>>,
    fields: Readonly<Record<string, unknown>>,
    id: string = newId(spec(name).prefix),
    now: number = this.#clock.now(),
  ): Entry {
    const item: Item = { ...fields, ...parents, id, created_at: now, updated_at: now }
    const entry: Entry = { item, parents: { ...parents }, seq: ++this.#seq }
    this.#store(account, name).set(id, entry)
    this.#positions.set(id, [item.created_at, entry.seq])
    return entry
  }

  /** Replaces an entry's item by a new one with `fields` merged and a later `updated_at` (its ETag moves). */
  #replace(entry: Entry, fields: Readonly<Record<string, unknown>>): void {
    const updated_at = Math.max(this.#clock.now(), entry.item.updated_at + 1)
    entry.item = { ...entry.item, ...fields, id: entry.item.id, created_at: entry.item.created_at, updated_at }
  }

  #delete(account: AccountRecord, name: ResourceName, entry: Entry): void {
    this.#store(account, name).delete(entry.item.id)
    this.#hashes.delete(entry.item.id)
    this.#webhookSecrets.delete(entry.item.id)
    this.#apiKeys.delete(entry.item.id)
    for (const [hash, token] of this.#personalTokens) if (token.id === entry.item.id) this.#personalTokens.delete(hash)
    if (name === "webhooks") this.webhooks.forget(entry.item.id)
    const row = spec(name)
    // Everything under it goes too: its children, and rows addressed by its id (a user's approval).
    for (const [child] of resources) {
      const linked = topologyOf(child).parents.some((link) => link.row === name)
      const addressed = child !== name && spec(child).id === row.id && topologyOf(child).parents.length > 0
      if (!linked && !addressed) continue
      for (const other of [...this.#store(account, child).values()]) {
        const under = linked && other.parents[row.id] === entry.item.id
        const same = addressed && other.item[row.id] === entry.item.id
        if (under || same) this.#delete(account, child, other)
      }
    }
    this.#afterDelete(account, name, entry)
  }

  /** The items of a row whose parents are `params`'. */
  #children(account: AccountRecord, name: ResourceName, params: Readonly<Record<string, string>>): Array<Entry> {
    const { parents } = topologyOf(name)
    return [...this.#store(account, name).values()].filter((entry) =>
      parents.every(({ param }) => entry.parents[param] === params[param])
    )
  }

  /** A 404 for the first parent in `links` that does not exist (under its own parents). */
  #parentsExist(
    account: AccountRecord,
    links: ReadonlyArray<ParentLink>,
    params: Readonly<Record<string, string>>,
  ): Refusal | undefined {
    for (const { param, row } of links) {
      const value = params[param] ?? ""
      const entry = this.#store(account, row).get(value)
      const own = topologyOf(row).parents
      if (entry === undefined || own.some((link) => entry.parents[link.param] !== params[link.param])) {
        return notFound(spec(row).noun, value)
      }
    }
    return undefined
  }

  /**
   * An item by its path: its parents must exist, and it must be under them. Found by its id, or
   * by the field its id parameter names (an approval by `user_id`), or a domain by its host.
   */
  #locate(account: AccountRecord, name: ResourceName, params: Readonly<Record<string, string>>): Entry | Refusal {
    const row = spec(name)
    const { itemParents } = topologyOf(name)
    const refused = this.#parentsExist(account, itemParents, params)
    if (refused !== undefined) return refused
    const value = params[row.id] ?? ""
    const store = this.#store(account, name)
    const under = (entry: Entry) => itemParents.every(({ param }) => entry.parents[param] === params[param])
    const direct = store.get(value)
    if (direct !== undefined && under(direct)) return direct
    for (const entry of store.values()) {
      if (!under(entry)) continue
      if (entry.item[row.id] === value) return entry
      if (row.model === DomainSchema && entry.item.host === value.toLowerCase()) return entry
    }
    return notFound(row.noun, value)
  }

  /** The body's fields a caller may set: not the ids, times, parents, secrets, hashed inputs or computed fields. */
  #writable(
    row: ResourceSpec,
    parents: ReadonlyArray<ParentLink>,
    body: Readonly<Record<string, unknown>>,
  ): Record<string, unknown> {
    const computed = COMPUTED.get(row.model) ?? []
    return Object.fromEntries(
      Object.entries(body).filter(([key]) =>
        !ALWAYS_READ_ONLY.includes(key) && !HASHED_INPUTS.includes(key) && !computed.includes(key) &&
        !(row.secrets ?? []).includes(key) && !parents.some((link) => link.param === key)
      ),
    )
  }

  #keepHashedInputs(itemId: string, body: Readonly<Record<string, unknown>>): void {
    for (const field of HASHED_INPUTS) {
      if (typeof body[field] === "string") {
        this.#hashes.set(itemId, { ...this.#hashes.get(itemId), [field]: sha256(body[field]) })
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Internals: pages and filters

  #page(entries: ReadonlyArray<Entry>, query: Readonly<Record<string, unknown>>): Page | Refusal {
    const limit = typeof query.limit === "number" ? query.limit : DEFAULT_PAGE_SIZE
    let sorted = sortNewestFirst(entries)
    if (typeof query.cursor === "string" && query.cursor !== "") {
      const position = this.#positions.get(query.cursor)
      if (position === undefined) {
        return invalid(`Unknown cursor ${query.cursor}.`, { cursor: "is not the id of an item of this list" })
      }
      const [at, seq] = position
      sorted = sorted.filter((e) => e.item.created_at < at || (e.item.created_at === at && e.seq < seq))
    }
    const data = sorted.slice(0, limit).map((e) => e.item)
    const has_more = sorted.length > limit
    return { data, has_more, next_cursor: has_more ? data[data.length - 1].id : null }
  }

  #filter(row: ResourceSpec, entries: Array<Entry>, query: Readonly<Record<string, unknown>>): Array<Entry> | Refusal {
    for (const [name, filter] of Object.entries(row.filters ?? {})) {
      const raw = query[name]
      if (typeof raw !== "string" || raw === "") continue
      switch (filter.kind) {
        case "string": {
          const field = filter.field ?? name
          entries = entries.filter((e) =>
            e.item[field] !== undefined && e.item[field] !== null && String(e.item[field]) === raw
          )
          break
        }
        case "boolean": {
          if (raw !== "true" && raw !== "false") {
            return invalid(`${name} must be true or false.`, { [name]: "must be true or false" })
          }
          const field = filter.field ?? name
          entries = entries.filter((e) => (e.item[field] ?? false) === (raw === "true"))
          break
        }
        case "list": {
          const field = filter.field ?? name
          const wanted = raw.split(",").map((v) => v.trim()).filter((v) => v !== "")
          entries = entries.filter((e) => {
            const value = e.item[field]
            return Array.isArray(value) ? value.some((v) => wanted.includes(String(v))) : wanted.includes(String(value))
          })
          break
        }
        case "after":
        case "before": {
          const bound = Number(raw)
          if (!/^\d+$/.test(raw) || !Number.isSafeInteger(bound)) {
            return invalid(`${name} must be a time in Unix milliseconds.`, { [name]: "must be Unix milliseconds" })
          }
          const field = filter.field ?? "created_at"
          entries = entries.filter((e) => {
            const value = Number(e.item[field])
            return filter.kind === "after" ? value > bound : value < bound
          })
          break
        }
      }
    }
    return entries
  }

  // -------------------------------------------------------------------------------------------
  // Internals: rules of particular models

  #prepareCreate(
    account: AccountRecord,
    name: ResourceName,
    row: ResourceSpec,
    draft: Record<string, unknown>,
    body: Readonly<Record<string, unknown>>,
    now: number,
  ): Refusal | undefined {
    if (row.model === WebhookSchema) return webhookProblems(draft)
    if (row.model === DomainSchema) {
      if (typeof draft.host !== "string") return undefined
      const host = draft.host.trim().toLowerCase()
      if (!/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(host)) {
        return invalid(`${draft.host} is not a host name.`, { host: "must be a host name like auth.example.com" })
      }
      if ([...this.#store(account, name).values()].some((e) => e.item.host === host)) {
        return conflict(`The domain ${host} is already added.`)
      }
      Object.assign(draft, { host, verified: false, verification_token: `authpi-verify=${randomChars(32)}` })
      return undefined
    }
    if (row.model === UserSchema && body.requires_approval === true) {
      draft.status = "pending"
      return undefined
    }
    if (row.model === InvitationSchema) {
      if (!Array.isArray(draft.scopes) || draft.scopes.length === 0) {
        return invalid("An invitation needs at least one scope.", { scopes: "must hold at least one scope" })
      }
      const seconds = body.expires_in_seconds ?? DEFAULT_INVITATION_SECONDS
      if (!Number.isSafeInteger(seconds) || (seconds as number) <= 0) {
        return invalid("expires_in_seconds must be a positive integer.", {
          expires_in_seconds: "must be a positive integer",
        })
      }
      draft.status = "pending"
      draft.expires_in_seconds = seconds
      if (typeof body.expires_at !== "number") draft.expires_at = now + (seconds as number) * 1000
      return undefined
    }
    return undefined
  }

  /**
   * Generates the row's secrets for a new item (a webhook only those its `auth_type` needs, and
   * on an update only those it lacks): answered once, kept as SHA-256. A webhook's are also kept
   * in the clear, privately, because the deliveries sign and authenticate with them.
   */
  #issueSecrets(
    account: AccountRecord,
    name: ResourceName,
    row: ResourceSpec,
    item: Item,
    onlyMissing = false,
  ): Record<string, string> {
    let fields = row.secrets ?? []
    const isWebhook = row.model === WebhookSchema
    if (isWebhook) {
      const auth = String(item.auth_type)
      fields = fields.filter((f) => f === "bearer_token_plain" ? auth.includes("bearer") : auth.includes("signature"))
    }
    if (onlyMissing) fields = fields.filter((field) => this.#hashes.get(item.id)?.[field] === undefined)
    const plain = Object.fromEntries(
      fields.map((field) => [field, `${SECRET_PREFIXES[field] ?? "sec_"}${randomChars(40)}`]),
    )
    if (fields.length === 0) return plain
    this.#hashes.set(item.id, {
      ...this.#hashes.get(item.id),
      ...Object.fromEntries(Object.entries(plain).map(([field, value]) => [field, sha256(value)])),
    })
    if (isWebhook) {
      const kept = this.#webhookSecrets.get(item.id) ?? {}
      this.#webhookSecrets.set(item.id, {
        bearer: plain.bearer_token_plain ?? kept.bearer,
        signature: plain.signature_secret_plain ?? kept.signature,
      })
    }
    // An account's own API keys are credentials of that account; a user's personal tokens too.
    const location = { accountId: account.entry.item.id, row: name, id: item.id }
    if (row.model === ApiKeySchema && topologyOf(name).parents.length === 0) this.#apiKeys.set(item.id, location)
    if (row.model === PersonalTokenSchema && plain.token_plain !== undefined) {
      this.#personalTokens.set(sha256(plain.token_plain), location)
    }
    return plain
  }

  #afterCreate(account: AccountRecord, name: ResourceName, entry: Entry): void {
    // A user created with `requires_approval` waits, with a pending approval.
    if (spec(name).model === UserSchema && entry.item.status === "pending") {
      const approvals = resources.filter(([, s]) => s.id === spec(name).id && s !== spec(name) && s.actions?.approve)
      for (const [row] of approvals) {
        const parents = Object.fromEntries(topologyOf(row).parents.map(({ param }) => [param, entry.parents[param]]))
        this.#insert(account, row, parents, { user_id: entry.item.id, status: "pending" })
      }
    }
    this.#syncHasVerifiers(account, name, entry)
  }

  #afterDelete(account: AccountRecord, name: ResourceName, entry: Entry): void {
    this.#syncHasVerifiers(account, name, entry)
  }

  /** A parent's `has_verifiers` (an agent's) follows the verifiers under it. */
  #syncHasVerifiers(account: AccountRecord, name: ResourceName, entry: Entry): void {
    if (spec(name).model !== VerifierSchema) return
    for (const { param, row } of topologyOf(name).parents) {
      const parent = this.#store(account, row).get(entry.parents[param])
      if (parent === undefined || typeof parent.item.has_verifiers !== "boolean") continue
      const has = [...this.#store(account, name).values()].some((e) => e.parents[param] === parent.item.id)
      if (parent.item.has_verifiers !== has) this.#replace(parent, { has_verifiers: has })
    }
  }

  // -------------------------------------------------------------------------------------------
  // Internals: events and webhooks

  /** Records an event (`evt_`) with the issuer, user and client it concerns, and delivers it. */
  #emit(
    account: AccountRecord,
    type: string,
    row: ResourceSpec | undefined,
    params: Readonly<Record<string, string>>,
    item: Item,
  ): Item {
    const about = (field: string): string | null => {
      if (typeof params[field] === "string") return params[field]
      if (typeof item[field] === "string") return item[field] as string
      return row?.id === field ? item.id : null
    }
    const event = this.#insert(account, "events", {}, {
      type,
      issuer_id: about("issuer_id"),
      user_id: about("user_id"),
      client_id: about("client_id"),
      data: structuredClone(item),
    }).item
    this.webhooks.dispatch(account.entry.item.id, { id: event.id, type })
    return event
  }

  #subscribers(accountId: string, type: string): ReadonlyArray<WebhookTarget> {
    const store = this.#accounts.get(accountId)?.stores.get("webhooks")
    if (store === undefined) return []
    return sortNewestFirst([...store.values()]).flatMap(({ item }) => {
      const events = Array.isArray(item.events) ? item.events.map(String) : []
      const wanted = events.some((pattern) =>
        pattern === "*" || pattern === type || (pattern.endsWith(".*") && type.startsWith(pattern.slice(0, -1)))
      )
      return item.status === "active" && wanted ? [targetOf(item)] : []
    })
  }

  #target(accountId: string, webhookId: string): WebhookTarget | undefined {
    const item = this.#accounts.get(accountId)?.stores.get("webhooks")?.get(webhookId)?.item
    return item?.status === "active" ? targetOf(item) : undefined
  }

  // -------------------------------------------------------------------------------------------
  // Actions, by name

  #run(key: string, context: ActionContext): ActionResult {
    const entry = context.entry!
    const now = this.#clock.now()
    switch (key) {
      case "approve":
      case "reject":
        return this.#decide(context, entry, key === "approve")
      case "revoke":
        if (entry.item.status === "revoked") return { item: entry.item }
        return this.#setFields(context, entry, { status: "revoked", revoked_at: now })
      case "suspend":
        if (entry.item.status === "suspended") return { item: entry.item }
        if (entry.item.status === "revoked" || entry.item.status === "expired") {
          return conflict(`The ${context.spec.noun} is ${entry.item.status}: only a live one is suspended.`)
        }
        return this.#setFields(context, entry, { status: "suspended", suspended_at: now })
      case "resend": {
        if (entry.item.status !== "pending" && entry.item.status !== "expired") {
          return conflict(
            `The ${context.spec.noun} is ${entry.item.status}: only a pending or expired one is sent again.`,
          )
        }
        const seconds = Number.isSafeInteger(entry.item.expires_in_seconds)
          ? entry.item.expires_in_seconds as number
          : DEFAULT_INVITATION_SECONDS
        return this.#setFields(context, entry, { status: "pending", expires_at: now + seconds * 1000, resent_at: now })
      }
      case "verify":
        return this.#setFields(context, entry, { verified: true, verified_at: now })
      case "redeliver":
        return this.#redeliver(context, entry)
      case "aggregate":
        return this.#aggregate(context)
      default:
        throw new Error(`authpi mock: the action ${key} has no implementation`)
    }
  }

  /** Approves or rejects a pending approval; its user becomes `active` or `disabled`. */
  #decide(context: ActionContext, entry: Entry, approved: boolean): ActionResult {
    if (entry.item.status !== "pending") return conflict(`The approval is already ${entry.item.status}.`)
    this.#replace(entry, { status: approved ? "approved" : "rejected", decided_at: this.#clock.now() })
    for (const [row, rowSpec] of resources) {
      if (rowSpec.model !== UserSchema) continue
      const user = this.#store(context.account, row).get(String(entry.item.user_id))
      if (user !== undefined) this.#replace(user, { status: approved ? "active" : "disabled" })
    }
    this.#actionEvent(context, entry.item)
    return { item: entry.item }
  }

  #setFields(context: ActionContext, entry: Entry, fields: Readonly<Record<string, unknown>>): ActionResult {
    this.#replace(entry, fields)
    this.#actionEvent(context, entry.item)
    return { item: entry.item }
  }

  /** A delivery's event, to its webhook, again: one attempt numbered after the last. */
  #redeliver(context: ActionContext, entry: Entry): ActionResult {
    const delivery = entry.item
    const webhookId = String(delivery.webhook_id)
    const eventId = String(delivery.event_id)
    const store = this.#store(context.account, context.name)
    const attempts = [...store.values()]
      .filter((e) => e.item.webhook_id === webhookId && e.item.event_id === eventId)
      .map((e) => Number(e.item.attempt))
    const id = this.webhooks.redeliver(
      context.account.entry.item.id,
      webhookId,
      eventId,
      String(delivery.event_type),
      Math.max(0, ...attempts) + 1,
    )
    if (id === undefined) return conflict("The webhook is not active.")
    return { item: store.get(id)!.item }
  }

  /** Counts of the row's items by `type`, over its filters. */
  #aggregate(context: ActionContext): ActionResult {
    const all = [...this.#store(context.account, context.name).values()]
    const filtered = this.#filter(context.spec, all, context.query)
    if (isRefusal(filtered)) return filtered
    const by_type: Record<string, number> = {}
    for (const { item } of filtered) by_type[String(item.type)] = (by_type[String(item.type)] ?? 0) + 1
    return { value: { total: filtered.length, by_type } }
  }

  #actionEvent(context: ActionContext, item: Item): void {
    if (context.action.event !== undefined) {
      this.#emit(context.account, context.action.event, context.spec, context.params, item)
    }
  }
}

/** The custom actions the mock implements, by name: a row of the table that names one gets it. */
export const IMPLEMENTED_ACTIONS: ReadonlyArray<string> = [
  "approve",
  "reject",
  "revoke",
  "suspend",
  "resend",
  "verify",
  "redeliver",
  "aggregate",
]

const targetOf = (item: Item): WebhookTarget => ({
  id: item.id,
  url: String(item.url),
  auth_type: String(item.auth_type),
})

/** A note's place in its list: pinned notes first, then newest first (the sequence breaks ties). */
const pinnedKey = (entry: Entry): readonly [number, number, number] => [
  entry.item.pinned === true ? 1 : 0,
  entry.item.created_at,
  entry.seq,
]

/** Whether key `a` comes after `b` in a notes list. */
const after = (a: readonly [number, number, number], b: readonly [number, number, number]): boolean =>
  a[0] < b[0] || (a[0] === b[0] && (a[1] < b[1] || (a[1] === b[1] && a[2] < b[2])))

/**
 * One page of notes: pinned first, then newest first, as the API lists them; its cursor is
 * `pinned:timestamp` (`1:1795839411059`, a sequence after a second colon breaking ties), the
 * contract's form for notes.
 */
const pinnedPage = (entries: ReadonlyArray<Entry>, query: Readonly<Record<string, unknown>>): Page | Refusal => {
  const limit = typeof query.limit === "number" ? query.limit : DEFAULT_PAGE_SIZE
  let sorted = [...entries].sort((a, b) => (after(pinnedKey(a), pinnedKey(b)) ? 1 : -1))
  if (typeof query.cursor === "string" && query.cursor !== "") {
    const parts = query.cursor.split(":").map(Number)
    if (!/^[01]:\d+(:\d+)?$/.test(query.cursor)) {
      return invalid(`Unknown cursor ${query.cursor}.`, { cursor: "is not a notes cursor (pinned:timestamp)" })
    }
    const key = [parts[0], parts[1], parts[2] ?? Number.MAX_SAFE_INTEGER] as const
    sorted = sorted.filter((entry) => after(pinnedKey(entry), key))
  }
  const page = sorted.slice(0, limit)
  const has_more = sorted.length > limit
  const last = page.at(-1)
  const cursor = last === undefined ? null : pinnedKey(last).join(":")
  return { data: page.map((e) => e.item), has_more, next_cursor: has_more ? cursor : null }
}

const sortNewestFirst = (entries: ReadonlyArray<Entry>): Array<Entry> =>
  [...entries].sort((a, b) => b.item.created_at - a.item.created_at || b.seq - a.seq)

const unauthorized = (error: string, description: string) =>
  new Refusal(401, error, description, {}, { "www-authenticate": `Bearer realm="authpi", error="${error}"` })

/** A webhook's `auth_type`, `url` and `events`, checked. */
const webhookProblems = (item: Readonly<Record<string, unknown>>): Refusal | undefined => {
  if (!WEBHOOK_AUTH_TYPES.includes(String(item.auth_type))) {
    return invalid("auth_type must be none, bearer, signature or bearer+signature.", {
      auth_type: "must be none, bearer, signature or bearer+signature",
    })
  }
  let url: URL | undefined
  try {
    url = new URL(String(item.url))
  } catch {
    url = undefined
  }
  if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:")) {
    return invalid("url must be an http(s) URL.", { url: "must be an http(s) URL" })
  }
  if (!Array.isArray(item.events) || item.events.length === 0) {
    return invalid("events must list at least one event type (or *).", { events: "must list at least one event type" })
  }
  return undefined
}
