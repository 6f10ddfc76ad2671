/**
 * Cursor pages (contracts.md §3.2): a list answers `{ data, has_more, next_cursor }`, read as a
 * {@linkcode Page}; `listAll` walks every page as a `Stream`, asking for the next one with
 * `cursor: nextCursor` until `has_more` is false or `next_cursor` is null.
 *
 * @module
 */
import { Effect, Option, Stream } from "effect"

/**
 * One page of a list, newest first.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { AuthPI } from "@gatehouse/sdk/authpi"
 *
 * const firstTwo = Effect.gen(function* () {
 *   const users = (yield* AuthPI).issuer("i_1").users
 *   const page = yield* users.list({ limit: 25 })
 *   return page.hasMore && page.nextCursor !== null ? yield* users.list({ limit: 25, cursor: page.nextCursor }) : page
 * })
 * ```
 */
export interface Page<M> {
  /** The items of this page. */
  readonly data: ReadonlyArray<M>
  /** Whether another page follows. */
  readonly hasMore: boolean
  /** The `cursor` of the next page; `null` on the last. */
  readonly nextCursor: string | null
}

/**
 * The paging arguments of every `list` (its filters come beside them).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { AuthPI, type ListOptions } from "@gatehouse/sdk/authpi"
 *
 * const paging: ListOptions = { limit: 100 }
 * const page = Effect.flatMap(AuthPI, (admin) => admin.issuers.list(paging))
 * ```
 */
export interface ListOptions {
  /** Items per page, 1–100; outside it the call fails with `ValidationError` before any request. @default 50 (the API's) */
  readonly limit?: number | undefined
  /** Where to start: a previous page's `nextCursor`. @default the newest item */
  readonly cursor?: string | undefined
}

/** A page as the wire sends it. */
export interface WirePage<M> {
  readonly data: ReadonlyArray<M>
  readonly has_more: boolean
  readonly next_cursor: string | null
}

/** The page the wire sends as a {@linkcode Page}. */
export const pageOf = <M>(wire: WirePage<M>): Page<M> => ({
  data: wire.data,
  hasMore: wire.has_more,
  nextCursor: wire.next_cursor,
})

/**
 * Every item of every page, from `cursor` on: `list` is asked for each page in turn, the next
 * one only when the stream is pulled past the current one.
 */
export const allPages = <M, E, R>(
  cursor: string | undefined,
  list: (cursor: string | undefined) => Effect.Effect<Page<M>, E, R>,
): Stream.Stream<M, E, R> =>
  Stream.paginate(cursor, (current) =>
    Effect.map(list(current), (page) =>
      [
        page.data,
        page.hasMore && page.nextCursor !== null ? Option.some<string | undefined>(page.nextCursor) : Option.none(),
      ] as const))
