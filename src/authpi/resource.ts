/**
 * The shape of a resource object, read from the table (`./resources.ts`): each row gives its
 * model, its list filters, its operations and its actions, and {@linkcode ResourceOf} turns them
 * into the methods `admin.issuer(i).users` has. Adding a row adds its type with it.
 *
 * @module
 */
import type { Effect, Stream } from "effect"
import type { Codec } from "../core/endpoint.ts"
import type { CreateError, ReadError, WriteError } from "./errors.ts"
import type { Body } from "./models.ts"
import type { ListOptions, Page } from "./page.ts"
import type { Action, Filter, Operation, ResourceName, RESOURCES } from "./resources.ts"

/**
 * Options of a `create` and of a POST action.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { AuthPI } from "@gatehouse/sdk/authpi"
 *
 * // The same key on a second call replays the first result instead of creating a second issuer.
 * const issuer = Effect.flatMap(AuthPI, (admin) => admin.issuers.create({ name: "Prod" }, { idempotencyKey: "setup-prod" }))
 * ```
 */
export interface CreateOptions {
  /**
   * The request's `Idempotency-Key` (1–256 characters), the same on every attempt, so a retried
   * request is applied once. @default a new `crypto.randomUUID()` per call
   */
  readonly idempotencyKey?: string | undefined
}

/**
 * Options of an `update` or a `delete`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { AuthPI } from "@gatehouse/sdk/authpi"
 *
 * const remove = Effect.gen(function* () {
 *   const issuers = (yield* AuthPI).issuers
 *   const issuer = yield* issuers.get("i_1")
 *   yield* issuers.delete(issuer.id, { ifMatch: issuer._etag })
 * })
 * ```
 */
export interface WriteOptions {
  /**
   * Sent as `If-Match`: the write applies only if the resource's `ETag` still is this one (a
   * result's `_etag`), else fails with `PreconditionFailedError`. A conditional write also
   * carries an `Idempotency-Key` and is retried like a create.
   */
  readonly ifMatch?: string | undefined
  /** The request's `Idempotency-Key`; given, the write is retried. @default one of its own when `ifMatch` is given */
  readonly idempotencyKey?: string | undefined
}

/**
 * Every method a resource may have. A resource has those of its row's operations: `list` brings
 * `listAll` along.
 *
 * @example
 * ```ts
 * import type { Issuer, Operations } from "@gatehouse/sdk/authpi"
 *
 * declare const issuers: Operations<Issuer, Record<never, never>>
 * const page = issuers.list({ limit: 10 })
 * ```
 */
export interface Operations<M, F> {
  /** One page, newest first: `limit` (1–100), `cursor`, and the resource's filters. */
  readonly list: (options?: ListOptions & F) => Effect.Effect<Page<M>, ReadError>
  /** Every item of every page from `cursor` on, one page fetched at a time as the stream is pulled. */
  readonly listAll: (options?: ListOptions & F) => Stream.Stream<M, ReadError>
  /** Creates one; the result carries `_etag`. Sent with an `Idempotency-Key`, so it is retried safely. */
  readonly create: (body: Body, options?: CreateOptions) => Effect.Effect<M, CreateError>
  /** Reads one; the result carries `_etag`, the `ETag` to pass back as `ifMatch`. */
  readonly get: (id: string) => Effect.Effect<M, ReadError>
  /** Updates one (a partial body); with `ifMatch`, only if it has not changed since. */
  readonly update: (id: string, body: Body, options?: WriteOptions) => Effect.Effect<M, WriteError>
  /** Deletes one; with `ifMatch`, only if it has not changed since. */
  readonly delete: (id: string, options?: WriteOptions) => Effect.Effect<void, WriteError>
}

/**
 * The method names of operation `O`: `list` brings `listAll`.
 *
 * @example
 * ```ts
 * import type { MethodsOf } from "@gatehouse/sdk/authpi"
 *
 * const methods: ReadonlyArray<MethodsOf<"list" | "get">> = ["list", "listAll", "get"]
 * ```
 */
export type MethodsOf<O extends Operation> = O | (O extends "list" ? "listAll" : never)

/**
 * A resource of model `M`, filters `F`, operations `O` and actions `A`.
 *
 * @example
 * ```ts
 * import type { Issuer, ResourceClient } from "@gatehouse/sdk/authpi"
 *
 * declare const readOnly: ResourceClient<Issuer, Record<never, never>, "list" | "get">
 * const issuer = readOnly.get("i_1") // no create, update or delete
 * ```
 */
export type ResourceClient<M, F, O extends Operation, A = unknown> = Pick<Operations<M, F>, MethodsOf<O>> & A

type Rows = typeof RESOURCES

/**
 * The model of row `N`, as its items decode: `User` for `users`.
 *
 * @example
 * ```ts
 * import type { ModelOf } from "@gatehouse/sdk/authpi"
 *
 * declare const user: ModelOf<"users"> // User
 * const email = user.email
 * ```
 */
export type ModelOf<N extends ResourceName> = Rows[N]["model"]["Type"]

/**
 * What a filter of each kind takes.
 *
 * @example
 * ```ts
 * import type { FilterValues } from "@gatehouse/sdk/authpi"
 *
 * const since: FilterValues["after"] = new Date("2026-01-01")
 * ```
 */
export interface FilterValues {
  /** Equal to. */
  readonly string: string
  /** Sent as `true` or `false`. */
  readonly boolean: boolean
  /** Any of: a comma list, or an array joined with commas. */
  readonly list: string | ReadonlyArray<string>
  /** Created after: Unix milliseconds, or a `Date`. */
  readonly after: number | Date
  /** Created before: Unix milliseconds, or a `Date`. */
  readonly before: number | Date
}

/**
 * The list filters of row `N`, each optional.
 *
 * @example
 * ```ts
 * import type { FiltersOf } from "@gatehouse/sdk/authpi"
 *
 * const filters: FiltersOf<"events"> = { event_types: ["user.created"], after: Date.now() - 86_400_000 }
 * ```
 */
export type FiltersOf<N extends ResourceName> = Rows[N] extends
  { readonly filters: infer F extends Readonly<Record<string, Filter>> }
  ? { readonly [K in keyof F]?: FilterValues[F[K]["kind"]] | undefined }
  : Record<never, never>

/**
 * The operations of row `N`.
 *
 * @example
 * ```ts
 * import type { OperationsOf } from "@gatehouse/sdk/authpi"
 *
 * const operation: OperationsOf<"approvals"> = "get" // approvals are listed and read, not created
 * ```
 */
export type OperationsOf<N extends ResourceName> = Rows[N]["operations"][number]

/**
 * What action `A` of a resource of model `M` answers: its own `success`, else the model.
 *
 * @example
 * ```ts
 * import type { ActionResult, EventAggregate, RESOURCES } from "@gatehouse/sdk/authpi"
 *
 * type Counts = ActionResult<Event, (typeof RESOURCES)["events"]["actions"]["aggregate"]> // EventAggregate
 * declare const counts: Counts
 * const total: EventAggregate["total"] = counts.total
 * ```
 */
export type ActionResult<M, A> = A extends { readonly success: infer S extends Codec } ? S["Type"] : M

/**
 * The method of action `A`: on an item (`approve(id)`) or on the collection (`aggregate(filters)`);
 * a GET reads (filters for a collection), a POST writes (with an `Idempotency-Key`, so no
 * `PreconditionFailedError`: a `CreateError`).
 *
 * @example
 * ```ts
 * import type { ActionMethod, Approval, RESOURCES } from "@gatehouse/sdk/authpi"
 *
 * type Approve = ActionMethod<Approval, Record<never, never>, (typeof RESOURCES)["approvals"]["actions"]["approve"]>
 * declare const approve: Approve
 * const approved = approve("usr_1", { idempotencyKey: "approve-usr_1" })
 * ```
 */
export type ActionMethod<M, F, A extends Action> = [A["on"]] extends ["collection"]
  ? [A["method"]] extends ["GET"] ? (filters?: F) => Effect.Effect<ActionResult<M, A>, ReadError>
  : A extends { readonly payload: infer P extends Codec }
    ? (body: P["Type"], options?: CreateOptions) => Effect.Effect<ActionResult<M, A>, CreateError>
  : (options?: CreateOptions) => Effect.Effect<ActionResult<M, A>, CreateError>
  : [A["method"]] extends ["GET"] ? (id: string) => Effect.Effect<ActionResult<M, A>, ReadError>
  : A extends { readonly payload: infer P extends Codec }
    ? (id: string, body: P["Type"], options?: CreateOptions) => Effect.Effect<ActionResult<M, A>, CreateError>
  : (id: string, options?: CreateOptions) => Effect.Effect<ActionResult<M, A>, CreateError>

/**
 * The actions of row `N`, by name: `approve`, `revoke`, `aggregate`...
 *
 * @example
 * ```ts
 * import type { ActionsOf } from "@gatehouse/sdk/authpi"
 *
 * declare const actions: ActionsOf<"invitations">
 * const resent = actions.resend("inv_1")
 * ```
 */
export type ActionsOf<N extends ResourceName> = Rows[N] extends
  { readonly actions: infer A extends Readonly<Record<string, Action>> }
  ? { readonly [K in keyof A]: ActionMethod<ModelOf<N>, FiltersOf<N>, A[K]> }
  : Record<never, never>

/**
 * The resource object of row `N`: exactly its operations and its actions.
 *
 * @example
 * ```ts
 * import type { ResourceOf } from "@gatehouse/sdk/authpi"
 *
 * declare const approvals: ResourceOf<"approvals">
 * approvals.approve("usr_1") // list, listAll, get, approve, reject: no create
 * ```
 */
export type ResourceOf<N extends ResourceName> = ResourceClient<ModelOf<N>, FiltersOf<N>, OperationsOf<N>, ActionsOf<N>>
