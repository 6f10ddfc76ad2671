/**
 * `makeApiKeys`: the key service on the `SqlClient` in context. Each operation checks its input,
 * then runs the store's statements (`_store.ts`); verification and validation are in `_validate.ts`,
 * usage tracking in `_usage.ts`.
 *
 * @module
 */
import { Clock, Duration, Effect, Redacted } from "effect"
import type { Scope } from "effect"
import type { SqlClient } from "effect/sql"
import type { KeyMetadata } from "./contract.ts"
import { ExpiredKey, InvalidRequest, RevokedKey } from "./errors.ts"
import { checkId, checkName, gracePeriodMillis } from "./_input.ts"
import { DEFAULT_KEY_PREFIX, generateKey, storedForm } from "./key_format.ts"
import { applyUpdate, checkUpdate, decodeMetadata, EMPTY_METADATA, encodeMetadata } from "./_metadata.ts"
import { makeStore, type StoredKey, toApiKey } from "./_store.ts"
import { makeValidator } from "./_validate.ts"
import { DEFAULT_FLUSH_INTERVAL, makeUsage, type Usage, type UsageMode } from "./_usage.ts"
import { withGetOrCreate } from "./_get_or_create.ts"
import type { ApiKeyCreated, ApiKeysOptions, ApiKeysService, ListKeysOptions } from "./service.ts"

const DEFAULT_GRACE: Duration.Input = "1 hour"

const usageMode = (trackUsage: ApiKeysOptions["trackUsage"]): UsageMode =>
  trackUsage === false ? "off" : trackUsage === "sync" ? "sync" : "buffered"

/** `usageFlushInterval`: a positive, finite duration, or a `RangeError` that names the option. */
const flushInterval = (input: Duration.Input | undefined): Effect.Effect<Duration.Duration> => {
  if (input === undefined) return Effect.succeed(DEFAULT_FLUSH_INTERVAL)
  const interval = Number.isNaN(input) ? undefined : Duration.fromInput(input)
  return interval !== undefined && interval._tag === "Some" && Duration.isFinite(interval.value) &&
      Duration.toMillis(interval.value) > 0
    ? Effect.succeed(interval.value)
    : Effect.die(new RangeError("usageFlushInterval must be a positive, finite duration"))
}

/** Where a key applies. */
interface Place {
  readonly orgId: string
  readonly projectId: string | null
  readonly productId: string | null
}

/**
 * Builds the service on the `SqlClient` in context (migrations are not run: see `migrate`). Buffered
 * usage tracking (the default) writes uses from a fiber of the scope, and what is left when it closes.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { makeApiKeys, migrate, SqliteClient } from "@gatehouse/sdk/apikeys"
 *
 * const organizations = Effect.scoped(Effect.gen(function* () {
 *   yield* migrate
 *   const keys = yield* makeApiKeys()
 *   return yield* keys.listOrganizations()
 * })).pipe(Effect.provide(SqliteClient.layer({ filename: ":memory:" })))
 * ```
 */
export const makeApiKeys = (
  options: ApiKeysOptions = {},
): Effect.Effect<ApiKeysService, never, SqlClient.SqlClient | Scope.Scope> =>
  Effect.map(makeCountingApiKeys(options), ({ keys }) => keys)

/** {@linkcode makeApiKeys}, with the uses it counts (for a store whose rows are replaced under it: the mock). */
export const makeCountingApiKeys = (
  options: ApiKeysOptions = {},
): Effect.Effect<{ readonly keys: ApiKeysService; readonly usage: Usage }, never, SqlClient.SqlClient | Scope.Scope> =>
  Effect.gen(function* () {
    const store = yield* makeStore
    const keyPrefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX
    const usage = yield* makeUsage(
      store,
      usageMode(options.trackUsage),
      yield* flushInterval(options.usageFlushInterval),
    )
    const validator = makeValidator(store, { keyPrefix, pepper: options.pepper, usage })
    const now = Clock.currentTimeMillis
    /** A read of keys sees every use this process has counted. */
    const flushed = <A, E>(read: Effect.Effect<A, E>) => Effect.andThen(usage.flush, read)
    /** `f` of a checked id: a JavaScript caller may pass anything. */
    const withId = <A, E>(field: string, id: string, f: (id: string) => Effect.Effect<A, E>) =>
      Effect.flatMap(checkId(field, id), f)
    /** An optional id: absent, or checked. */
    const optionalId = (field: string, id: string | undefined) =>
      id === undefined ? Effect.succeed(undefined) : checkId(field, id)

    const keyOf = (key: StoredKey, at: number) =>
      Effect.map(decodeMetadata(key.metadata), (metadata) => toApiKey(key, metadata, at))

    const listKeys = (keys: ReadonlyArray<StoredKey>, listOptions: ListKeysOptions | undefined) =>
      Effect.gen(function* () {
        const at = yield* now
        const all = yield* Effect.forEach(keys, (key) => keyOf(key, at))
        return listOptions?.status === undefined ? all : all.filter((key) => key.status === listOptions.status)
      })

    const createNamed = (table: "projects" | "products", orgId: string, name: string) =>
      Effect.gen(function* () {
        yield* checkId("orgId", orgId)
        const checked = yield* checkName(table === "projects" ? "project" : "product", name)
        yield* store.organization(orgId)
        const row = { id: crypto.randomUUID(), name: checked, orgId, createdAt: new Date(yield* now) }
        yield* store[table].insert(row)
        return row
      })

    const listNamed = (table: "projects" | "products", orgId: string) =>
      withId("orgId", orgId, (orgId) => Effect.andThen(store.organization(orgId), store[table].list(orgId)))

    /** Checks that a new key's project and product exist, belong to `orgId`, and are linked. */
    const checkPlacement = (orgId: string, projectId: string | undefined, productId: string | undefined) =>
      Effect.gen(function* () {
        yield* store.organization(orgId)
        if (projectId !== undefined) {
          const project = yield* store.projects.get(projectId)
          if (project.orgId !== orgId) {
            return yield* new InvalidRequest({ detail: `Project '${projectId}' belongs to another organization` })
          }
        }
        if (productId !== undefined) {
          const product = yield* store.products.get(productId)
          if (product.orgId !== orgId) {
            return yield* new InvalidRequest({ detail: `Product '${productId}' belongs to another organization` })
          }
          if (projectId !== undefined && !(yield* store.linked(projectId, productId))) {
            return yield* new InvalidRequest({
              detail: `Product '${productId}' is not linked to project '${projectId}'`,
            })
          }
        }
      })

    /** Issues a fresh key at `place`: only its prefix and hash are stored. */
    const insertKey = (place: Place, metadata: KeyMetadata, at: number) =>
      Effect.gen(function* () {
        const plaintext = generateKey(keyPrefix, options.environment)
        // A fresh key is always well formed.
        const form = storedForm(Redacted.value(plaintext), { keyPrefix, pepper: options.pepper })!
        const key: StoredKey = {
          id: crypto.randomUUID(),
          org_id: place.orgId,
          project_id: place.projectId,
          product_id: place.productId,
          key_prefix: form.prefix,
          key_hash: form.hash,
          metadata: yield* encodeMetadata(metadata),
          expires_at: metadata.expiresAt ?? null,
          revoked_at: null,
          created_at: new Date(at),
          last_used_at: null,
          use_count: 0,
          replaced_by: null,
        }
        yield* store.insertKey(key)
        return { key: toApiKey(key, metadata, at), plaintext } satisfies ApiKeyCreated
      })

    /** A key is rotated once, and not into an expired successor. */
    const checkRotatable = (key: StoredKey, successor: KeyMetadata, at: number) =>
      Effect.gen(function* () {
        if (key.revoked_at !== null && (key.revoked_at.getTime() <= at || key.replaced_by !== null)) {
          return yield* new RevokedKey({ keyId: key.id, revokedAt: key.revoked_at })
        }
        if (
          key.expires_at !== null && key.expires_at.getTime() < at &&
          (successor.expiresAt?.getTime() ?? Infinity) < at
        ) {
          return yield* new ExpiredKey({ keyId: key.id, expiredAt: key.expires_at })
        }
      })

    const keys = withGetOrCreate({
      createOrganization: (name) =>
        Effect.gen(function* () {
          const organization = {
            id: crypto.randomUUID(),
            name: yield* checkName("organization", name),
            createdAt: new Date(yield* now),
          }
          yield* store.insertOrganization(organization)
          return organization
        }),
      getOrganization: (orgId) => withId("orgId", orgId, store.organization),
      listOrganizations: () => store.organizations(),
      createProject: (orgId, name) => createNamed("projects", orgId, name),
      getProject: (projectId) => withId("projectId", projectId, store.projects.get),
      listProjects: (orgId) => listNamed("projects", orgId),
      createProduct: (orgId, name) => createNamed("products", orgId, name),
      getProduct: (productId) => withId("productId", productId, store.products.get),
      listProducts: (orgId) => listNamed("products", orgId),
      addProductToProject: (productId, projectId) =>
        Effect.gen(function* () {
          yield* checkId("productId", productId)
          yield* checkId("projectId", projectId)
          const product = yield* store.products.get(productId)
          const project = yield* store.projects.get(projectId)
          if (product.orgId !== project.orgId) {
            return yield* new InvalidRequest({
              detail: "A product can only be linked to a project of its organization",
            })
          }
          yield* store.link(productId, projectId)
        }),
      listProjectProducts: (projectId) =>
        withId("projectId", projectId, (id) => Effect.andThen(store.projects.get(id), store.projectProducts(id))),
      createKey: (orgId, createOptions = {}) =>
        Effect.gen(function* () {
          yield* checkId("orgId", orgId)
          const projectId = yield* optionalId("projectId", createOptions.projectId)
          const productId = yield* optionalId("productId", createOptions.productId)
          const metadata = applyUpdate(EMPTY_METADATA, yield* checkUpdate(createOptions.metadata ?? {}))
          yield* checkPlacement(orgId, projectId, productId)
          return yield* insertKey(
            { orgId, projectId: projectId ?? null, productId: productId ?? null },
            metadata,
            yield* now,
          )
        }),
      verifyKey: validator.verify,
      validateKey: (plaintext, validateOptions) => validator.validate(plaintext, validateOptions ?? {}),
      revokeKey: (keyId) =>
        withId("keyId", keyId, (keyId) =>
          flushed(store.transaction(Effect.gen(function* () {
            const at = yield* now
            yield* store.revoke(keyId, at)
            return yield* keyOf(yield* store.key(keyId), at)
          })))),
      getKey: (keyId) =>
        withId(
          "keyId",
          keyId,
          (keyId) => flushed(Effect.flatMap(store.key(keyId), (key) => Effect.flatMap(now, (at) => keyOf(key, at)))),
        ),
      listOrgKeys: (orgId, listOptions) =>
        withId("orgId", orgId, (orgId) =>
          flushed(Effect.gen(function* () {
            yield* store.organization(orgId)
            return yield* listKeys(yield* store.keysOfOrganization(orgId), listOptions)
          }))),
      listProjectKeys: (projectId, listOptions) =>
        withId("projectId", projectId, (projectId) =>
          flushed(Effect.gen(function* () {
            yield* store.projects.get(projectId)
            return yield* listKeys(yield* store.keysOfProject(projectId), listOptions)
          }))),
      updateKey: (keyId, update) =>
        Effect.gen(function* () {
          yield* checkId("keyId", keyId)
          const checked = yield* checkUpdate(update)
          // The row is held from read to write: concurrent updates apply one after the other, each on the last.
          return yield* flushed(store.withKeyLocked(keyId, (key) =>
            Effect.gen(function* () {
              const metadata = applyUpdate(yield* decodeMetadata(key.metadata), checked)
              const written = yield* store.setMetadata(
                keyId,
                yield* encodeMetadata(metadata),
                metadata.expiresAt ?? null,
              )
              return toApiKey(written, metadata, yield* now)
            })))
        }),
      deleteKey: (keyId) => withId("keyId", keyId, store.deleteKey),
      rotateKey: (keyId, rotateOptions = {}) =>
        Effect.gen(function* () {
          yield* checkId("keyId", keyId)
          const grace = yield* gracePeriodMillis(rotateOptions.gracePeriod ?? DEFAULT_GRACE)
          const checked = yield* checkUpdate(rotateOptions.metadata ?? {})
          const old = yield* store.key(keyId)
          const at = yield* now
          const metadata = applyUpdate(yield* decodeMetadata(old.metadata), checked)
          yield* checkRotatable(old, metadata, at)
          const until = at + grace
          return yield* store.transaction(Effect.gen(function* () {
            const created = yield* insertKey(
              { orgId: old.org_id, projectId: old.project_id, productId: old.product_id },
              metadata,
              at,
            )
            // Of concurrent rotations, only the first to commit claims the old key.
            if (yield* store.claimForRotation(keyId, created.key.id, at, until)) return created
            const current = yield* store.key(keyId)
            return yield* new RevokedKey({ keyId, revokedAt: current.revoked_at ?? new Date(at) })
          }))
        }),
    })
    return { keys, usage }
  })
