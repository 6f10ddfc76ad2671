// Verification and validation of a presented key, in the seed's order (contracts §4.1, §4.4): format (no
// database access) -> lookup by hash (see `lookup`) -> revoked -> expired -> organization ->
// project -> product -> scopes; then, beyond the seed, the key's rate limit (one atomic statement, exact across
// processes, which records the use too where that is free) and its use (`_usage.ts`).
import { Duration, Effect, type Redacted } from "effect"
import { type ApiKey, type KeyMetadata, type RateLimit, WINDOW_MILLIS } from "./contract.ts"
import {
  ExpiredKey,
  InsufficientScope,
  InvalidKey,
  type KeyStoreUnavailable,
  QuotaExceeded,
  RevokedKey,
  type ValidateError,
  type VerifyError,
} from "./errors.ts"
import { type Plaintext, revealKey, storedForm } from "./key_format.ts"
import { isId } from "./_input.ts"
import { metadataOf, undecodable } from "./_metadata.ts"
import { type Store, type StoredKey, toApiKey } from "./_store.ts"
import type { Usage } from "./_usage.ts"
import type { ValidateOptions } from "./service.ts"

/** How keys are read and counted: the service's options. */
export interface ValidatorOptions {
  readonly keyPrefix: string
  readonly pepper: Redacted.Redacted<string> | undefined
  readonly usage: Usage
}

/** `verifyKey` and `validateKey` of the service. */
export interface Validator {
  readonly verify: (plaintext: Plaintext) => Effect.Effect<ApiKey, VerifyError>
  readonly validate: (plaintext: Plaintext, options: ValidateOptions) => Effect.Effect<ApiKey, ValidateError>
}

/** A usable key: its row, its metadata, and the instant it was found usable at. */
interface Usable {
  readonly key: StoredKey
  readonly metadata: KeyMetadata
  readonly at: number
}

/** Verification and validation on `store`: each check in the seed's order, then the rate limit and the use count. */
export const makeValidator = (store: Store, options: ValidatorOptions): Validator => {
  const formOptions = { keyPrefix: options.keyPrefix, pepper: options.pepper }
  const { usage } = options
  // Where a rate limit is counted anyway, the use goes with it: free on PostgreSQL, one commit for both in sync mode.
  const useWithCount = usage.mode === "sync" || (usage.mode === "buffered" && store.foldsUse)

  /** The key if it is usable at `at`, its metadata decoded; or why not. */
  const usableAt = (key: StoredKey | undefined, at: number): Usable | VerifyError => {
    if (key === undefined) return new InvalidKey({ reason: "not_found" })
    if (key.revoked_at !== null && key.revoked_at.getTime() <= at) {
      return new RevokedKey({ keyId: key.id, revokedAt: key.revoked_at })
    }
    if (key.expires_at !== null && key.expires_at.getTime() < at) {
      return new ExpiredKey({ keyId: key.id, expiredAt: key.expires_at })
    }
    const metadata = metadataOf(key.metadata)
    return metadata === undefined ? undecodable() : { key, metadata, at }
  }

  /**
   * Finds the key of a plaintext, checks it is usable now (the seed's `verify_key`), then runs `then` on it. The hot
   * path of every validation: one read and as few effect steps as can be, the rest synchronous.
   *
   * The seed finds its candidates by the 8-character prefix and compares their hashes with the presented key's in
   * constant time. Here the read is by the hash itself (`key_hash` is unique and indexed), so no comparison is left
   * to make: the database's comparison runs on the SHA-256 (or HMAC) of what the caller sent, never on a secret
   * against the caller's bytes, and how long it takes tells at most how much of two digests agree, which no one can
   * steer towards a stored digest without a preimage of it.
   */
  const lookup = <A, E>(
    plaintext: Plaintext,
    then: (usable: Usable) => Effect.Effect<A, E>,
  ): Effect.Effect<A, E | VerifyError> =>
    Effect.clockWith((clock) => {
      const revealed = revealKey(plaintext)
      const form = typeof revealed === "string" ? storedForm(revealed, formOptions) : undefined
      if (form === undefined) return Effect.fail(new InvalidKey({ reason: "malformed" }))
      return Effect.flatMap(store.keyWithHash(form.hash), (key): Effect.Effect<A, E | VerifyError> => {
        const usable = usableAt(key, clock.currentTimeMillisUnsafe())
        return "_tag" in usable ? Effect.fail(usable) : then(usable)
      })
    })

  /**
   * Whether the key reaches what the request needs: organization, project, product, scopes. What no row can be
   * (an id that is not a string, or holds a NUL; scopes that are not an array) is reached by no key.
   */
  const checkReach = ({ key, metadata }: Usable, needs: ValidateOptions): Effect.Effect<void, ValidateError> =>
    Effect.gen(function* () {
      const refuse = (reason: InsufficientScope["reason"], missingScopes: ReadonlyArray<string> = []) =>
        new InsufficientScope({ keyId: key.id, reason, missingScopes })
      if (needs.orgId !== undefined && needs.orgId !== key.org_id) return yield* refuse("organization")
      if (needs.projectId !== undefined) {
        const reaches = !isId(needs.projectId)
          ? false
          : key.project_id !== null
          ? key.project_id === needs.projectId
          : yield* store.projects.inOrganization(needs.projectId, key.org_id)
        if (!reaches) return yield* refuse("project")
      }
      if (needs.productId !== undefined) {
        const reaches = !isId(needs.productId)
          ? false
          : key.product_id !== null
          ? key.product_id === needs.productId
          : key.project_id !== null
          ? yield* store.linked(key.project_id, needs.productId)
          : yield* store.products.inOrganization(needs.productId, key.org_id)
        if (!reaches) return yield* refuse("product")
      }
      // A JavaScript caller may pass anything: what is not a list of scopes, or a scope, reaches nothing.
      const requiredScopes = needs.requiredScopes ?? []
      const { requiredScope } = needs
      if (!Array.isArray(requiredScopes) || (requiredScope !== undefined && typeof requiredScope !== "string")) {
        return yield* refuse("scope")
      }
      const required = requiredScope === undefined ? requiredScopes : [...new Set([...requiredScopes, requiredScope])]
      const missing = required.filter((scope) => !metadata.scopes.includes(scope))
      if (missing.length > 0) return yield* refuse("scope", missing)
    })

  /**
   * Counts one request in the key's current fixed window, unless the window is full; and its use with it when
   * `useWithCount`. The key as answered.
   */
  const spend = ({ key, metadata, at }: Usable, limit: RateLimit) =>
    Effect.gen(function* () {
      const size = WINDOW_MILLIS[limit.window]
      const start = Math.floor(at / size) * size
      const counted = yield* store.countRequest(
        key.id,
        limit.window,
        start,
        limit.requests,
        useWithCount ? at : undefined,
      )
      if (counted._tag === "None") {
        // Upstream's delay (0.2.0): the whole seconds to the window's end, plus one; at least one.
        const retryAfter = Duration.seconds(Math.max(1, Math.floor((start + size - at) / 1000) + 1))
        return yield* new QuotaExceeded({ keyId: key.id, limit, retryAfter })
      }
      // The first request of a window: the earlier windows are over.
      if (counted.value.count === 1) yield* store.dropCountersBefore(key.id, start)
      const row = useWithCount
        ? { ...key, use_count: counted.value.useCount ?? key.use_count, last_used_at: new Date(at) }
        : yield* usage.record(key, at)
      return toApiKey(row, metadata, at)
    })

  /**
   * The key as answered, its use counted. Where uses are counted in memory, that happens when `used` is called: within
   * `lookup`'s step, once the key is known usable, never ahead of it.
   */
  const used = ({ key, metadata, at }: Usable): Effect.Effect<ApiKey, KeyStoreUnavailable> =>
    usage.recordInMemory === undefined
      ? Effect.map(usage.record(key, at), (row) => toApiKey(row, metadata, at))
      : Effect.succeed(toApiKey(usage.recordInMemory(key, at), metadata, at))

  /** The key as answered once its rate limit, if any, let the request through. */
  const answer = (usable: Usable) => {
    const limit = usable.metadata.rateLimit
    return limit === undefined ? used(usable) : spend(usable, limit)
  }

  return {
    verify: (plaintext) => lookup(plaintext, used),
    validate: (plaintext, needs) => {
      const checks = needs.orgId !== undefined || needs.projectId !== undefined || needs.productId !== undefined ||
        needs.requiredScopes !== undefined || needs.requiredScope !== undefined
      return lookup(
        plaintext,
        checks ? (usable) => Effect.andThen(checkReach(usable, needs), () => answer(usable)) : answer,
      )
    },
  }
}
