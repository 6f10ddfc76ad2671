// Verification and validation of a presented key, in the seed's order (contracts §4.1, §4.4): format (no
// database access) -> prefix lookup + constant-time hash comparison -> revoked -> expired -> organization ->
// project -> product -> scopes; then, beyond the seed, the key's rate limit and its usage counters, each one
// atomic statement so that concurrent validations lose no update.
import { Clock, Duration, Effect, type Redacted } from "effect"
import { type ApiKey, type KeyMetadata, type RateLimit, WINDOW_MILLIS } from "./contract.ts"
import {
  ExpiredKey,
  InsufficientScope,
  InvalidKey,
  QuotaExceeded,
  RevokedKey,
  type ValidateError,
  type VerifyError,
} from "./errors.ts"
import { hashesEqual, type Plaintext, revealKey, storedForm } from "./key_format.ts"
import { decodeMetadata } from "./_metadata.ts"
import { type Store, type StoredKey, toApiKey } from "./_store.ts"
import type { ValidateOptions } from "./service.ts"

/** How keys are read and counted: the service's options. */
export interface ValidatorOptions {
  readonly keyPrefix: string
  readonly pepper: Redacted.Redacted<string> | undefined
  readonly trackUsage: boolean
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

  /** Finds the key of a plaintext and checks it is usable now: the seed's `verify_key`. */
  const lookup = (plaintext: Plaintext) =>
    Effect.gen(function* () {
      const revealed = revealKey(plaintext)
      const form = typeof revealed === "string" ? storedForm(revealed, formOptions) : undefined
      if (form === undefined) return yield* new InvalidKey({ reason: "malformed" })
      const candidates = yield* store.keysWithPrefix(form.prefix)
      let key: StoredKey | undefined
      for (const candidate of candidates) {
        if (hashesEqual(candidate.key_hash, form.hash)) key = candidate
      }
      if (key === undefined) return yield* new InvalidKey({ reason: "not_found" })
      const at = yield* Clock.currentTimeMillis
      if (key.revoked_at !== null && key.revoked_at.getTime() <= at) {
        return yield* new RevokedKey({ keyId: key.id, revokedAt: key.revoked_at })
      }
      if (key.expires_at !== null && key.expires_at.getTime() < at) {
        return yield* new ExpiredKey({ keyId: key.id, expiredAt: key.expires_at })
      }
      return { key, metadata: yield* decodeMetadata(key.metadata), at } satisfies Usable
    })

  /** Whether the key reaches what the request needs: organization, project, product, scopes. */
  const checkReach = ({ key, metadata }: Usable, needs: ValidateOptions) =>
    Effect.gen(function* () {
      const refuse = (reason: InsufficientScope["reason"], missingScopes: ReadonlyArray<string> = []) =>
        new InsufficientScope({ keyId: key.id, reason, missingScopes })
      if (needs.orgId !== undefined && needs.orgId !== key.org_id) return yield* refuse("organization")
      if (needs.projectId !== undefined) {
        const reaches = key.project_id !== null
          ? key.project_id === needs.projectId
          : yield* store.projects.inOrganization(needs.projectId, key.org_id)
        if (!reaches) return yield* refuse("project")
      }
      if (needs.productId !== undefined) {
        const reaches = key.product_id !== null
          ? key.product_id === needs.productId
          : key.project_id !== null
          ? yield* store.linked(key.project_id, needs.productId)
          : yield* store.products.inOrganization(needs.productId, key.org_id)
        if (!reaches) return yield* refuse("product")
      }
      const required = needs.requiredScope === undefined
        ? needs.requiredScopes ?? []
        : [...new Set([...(needs.requiredScopes ?? []), needs.requiredScope])]
      const missing = required.filter((scope) => !metadata.scopes.includes(scope))
      if (missing.length > 0) return yield* refuse("scope", missing)
    })

  /** Counts one request in the key's current fixed window, unless the window is full. */
  const spend = (key: StoredKey, limit: RateLimit, at: number) =>
    Effect.gen(function* () {
      const size = WINDOW_MILLIS[limit.window]
      const start = Math.floor(at / size) * size
      const counted = yield* store.countRequest(key.id, limit.window, start, limit.requests)
      if (counted._tag === "None") {
        // Upstream's delay (0.2.0): the whole seconds to the window's end, plus one; at least one.
        const retryAfter = Duration.seconds(Math.max(1, Math.floor((start + size - at) / 1000) + 1))
        return yield* new QuotaExceeded({ keyId: key.id, limit, retryAfter })
      }
      // The first request of a window: the earlier windows are over.
      if (counted.value === 1) yield* store.dropCountersBefore(key.id, start)
    })

  /** The key as answered, after counting its use (unless usage is not tracked). */
  const used = ({ key, metadata, at }: Usable) =>
    Effect.map(
      options.trackUsage ? store.recordUse(key, at) : Effect.succeed(key),
      (row) => toApiKey(row, metadata, at),
    )

  return {
    verify: (plaintext) => Effect.flatMap(lookup(plaintext), used),
    validate: (plaintext, needs) =>
      Effect.gen(function* () {
        const usable = yield* lookup(plaintext)
        yield* checkReach(usable, needs)
        if (usable.metadata.rateLimit !== undefined) yield* spend(usable.key, usable.metadata.rateLimit, usable.at)
        return yield* used(usable)
      }),
  }
}
