/**
 * A `SqlClient` for `effect/sql` on `node:sqlite` (Deno 2.9+, Bun 1.4+, Node 22.13+): any
 * `effect/sql` code runs on a SQLite file, or on a database in memory.
 *
 * The `@effect/sql-sqlite-*` v4 betas do not run on effect 4.1.0 (STACK.md §9), so this adapter
 * stands in until a stable driver exists. One connection, serialised by a semaphore; foreign keys
 * on; each statement prepared once and reused; for files, WAL with `synchronous = NORMAL` (see
 * {@linkcode SqliteOptions.synchronous}) and a busy timeout, so that another process can read while
 * this one writes.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { SqlClient } from "effect/sql"
 * import { SqliteClient } from "@gatehouse/sdk/apikeys"
 *
 * const program = Effect.flatMap(SqlClient.SqlClient, (sql) => sql`select 1 as one`).pipe(
 *   Effect.provide(SqliteClient.layer({ filename: ":memory:" })),
 * )
 * ```
 *
 * @module
 */
import { Effect, Layer, Semaphore, Stream } from "effect"
import type { Scope } from "effect"
import { Reactivity } from "effect/reactivity"
import { SqlClient, type SqlConnection, SqlError, Statement } from "effect/sql"
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite"

/**
 * Options of {@linkcode SqliteClient.layer}.
 *
 * @example
 * ```ts
 * import { ApiKeys, type SqliteOptions } from "@gatehouse/sdk/apikeys"
 *
 * const sqlite: SqliteOptions = { filename: "keys.db", synchronous: "FULL" } // every commit on disk when it returns
 * const layer = ApiKeys.layerSqlite({ ...sqlite })
 * ```
 */
export interface SqliteOptions {
  /** A file path, or `":memory:"` for a database that lives as long as the layer. */
  readonly filename: string
  /** How long a write waits for another process's lock, in milliseconds. @default 5000 */
  readonly busyTimeoutMillis?: number | undefined
  /**
   * SQLite's `PRAGMA synchronous` for a file. With `"NORMAL"` (in WAL mode) a commit waits for no
   * fsync: it survives the process crashing, and only a power loss or an operating-system crash can
   * undo the last commits (never corrupt the file). `"FULL"` syncs every commit, for those who need
   * each commit on disk when it returns, at the cost of an fsync each. @default "NORMAL"
   */
  readonly synchronous?: "OFF" | "NORMAL" | "FULL" | "EXTRA" | undefined
}

/** Prepared statements kept: the most that differ in text (a batch of N values is its own text). */
const STATEMENT_CACHE_SIZE = 256

/** A statement prepared once, and whether it returns rows (asked once: `columns()` allocates). */
interface Prepared {
  readonly statement: StatementSync
  readonly returnsRows: boolean
}

type Row = Record<string, unknown>

const errorCode = (error: unknown): number | undefined => {
  if (typeof error !== "object" || error === null) return undefined
  const errcode = (error as { errcode?: unknown }).errcode
  if (typeof errcode === "number") return errcode
  const message = String((error as { message?: unknown }).message ?? "")
  // Deno's db.exec errors carry no errcode: classify by message.
  return message.startsWith("UNIQUE constraint failed") ? 2067 : message.includes("constraint failed") ? 19 : undefined
}

const toSqlError = (cause: unknown): SqlError.SqlError => {
  const code = errorCode(cause)
  const message = typeof cause === "object" && cause !== null ? String((cause as { message?: unknown }).message) : ""
  return new SqlError.SqlError({
    reason: SqlError.classifySqliteError(code === undefined ? cause : { code, message, cause }, {
      message: "Failed to execute statement",
      operation: "execute",
    }),
  })
}

const toParam = (value: unknown): SQLInputValue => {
  if (value === undefined) return null
  if (typeof value === "boolean") return value ? 1 : 0
  if (value instanceof Date) return value.toISOString()
  return value as SQLInputValue
}

const SYNCHRONOUS = ["OFF", "NORMAL", "FULL", "EXTRA"] as const

/** `PRAGMA synchronous`'s value: one of SQLite's four, never text spliced in unchecked. */
const synchronousOf = (value: SqliteOptions["synchronous"]): string => {
  if (value === undefined) return "NORMAL"
  if (!SYNCHRONOUS.includes(value)) throw new RangeError(`synchronous must be one of ${SYNCHRONOUS.join(", ")}`)
  return value
}

/** Opens the database and builds the client on it; the database closes with the scope. */
const make = (
  options: SqliteOptions,
): Effect.Effect<SqlClient.SqlClient, SqlError.SqlError, Scope.Scope | Reactivity.Reactivity> =>
  Effect.gen(function* () {
    const db = yield* Effect.try({
      try: () => new DatabaseSync(options.filename),
      catch: (cause) =>
        new SqlError.SqlError({
          reason: new SqlError.ConnectionError({
            cause,
            message: `Cannot open SQLite database '${options.filename}': ${(cause as Error).message}`,
            operation: "connect",
          }),
        }),
    })
    yield* Effect.addFinalizer(() => Effect.sync(() => db.isOpen && db.close()))
    yield* Effect.try({
      try: () => {
        db.exec("PRAGMA foreign_keys = ON")
        db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMillis ?? 5000))}`)
        if (options.filename !== ":memory:" && options.filename !== "") {
          db.exec("PRAGMA journal_mode = WAL")
          db.exec(`PRAGMA synchronous = ${synchronousOf(options.synchronous)}`)
        }
      },
      catch: toSqlError,
    })
    const prepare = (sql: string): Prepared => {
      const statement = db.prepare(sql)
      return { statement, returnsRows: statement.columns().length > 0 }
    }
    const cache = new Map<string, Prepared>()
    // Least recently used first out (a Map iterates in insertion order): the statements of the hot path stay.
    const prepared = (sql: string): Prepared => {
      let entry = cache.get(sql)
      if (entry === undefined) {
        entry = prepare(sql)
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!)
      } else cache.delete(sql)
      cache.set(sql, entry)
      return entry
    }
    const bind = (params: ReadonlyArray<unknown>): Array<SQLInputValue> => {
      const args = new Array<SQLInputValue>(params.length)
      for (let i = 0; i < params.length; i++) args[i] = toParam(params[i])
      return args
    }
    /** Runs a statement: its rows, or none for a statement that returns none. */
    const all = ({ statement, returnsRows }: Prepared, params: ReadonlyArray<unknown>): ReadonlyArray<Row> => {
      if (returnsRows) return statement.all(...bind(params)) as ReadonlyArray<Row>
      statement.run(...bind(params))
      return []
    }
    /** The rows of a statement, `transform`ed: one step, as every read of the hot path runs through it. */
    const rows = (
      statement: () => Prepared,
      params: ReadonlyArray<unknown>,
      transform?: <A extends object>(rows: ReadonlyArray<A>) => ReadonlyArray<A>,
    ) =>
      Effect.try({
        try: () => {
          const result = all(statement(), params)
          return transform === undefined ? result : transform(result)
        },
        catch: toSqlError,
      })
    const values = (statement: () => Prepared, params: ReadonlyArray<unknown>) =>
      Effect.try({
        try: () => all(statement(), params).map((row) => Object.values(row)),
        catch: toSqlError,
      })

    const connection: SqlConnection.Connection = {
      execute: (sql, params, transform) => rows(() => prepared(sql), params, transform),
      executeRaw: (sql, params) =>
        Effect.try({
          try: () => {
            const { statement, returnsRows } = prepared(sql)
            if (returnsRows) return statement.all(...bind(params))
            const { changes, lastInsertRowid } = statement.run(...bind(params))
            return { changes, lastInsertRowid }
          },
          catch: toSqlError,
        }),
      executeValues: (sql, params) => values(() => prepared(sql), params),
      executeValuesUnprepared: (sql, params) => values(() => prepare(sql), params),
      executeUnprepared: (sql, params, transform) => rows(() => prepare(sql), params ?? [], transform),
      executeStream: (sql, params, transform) =>
        Stream.fromIterableEffect(rows(() => prepared(sql), params, transform)),
    }
    const semaphore = yield* Semaphore.make(1)
    const acquirers = SqlClient.makeSqliteAcquirers({
      connection: Effect.succeed(connection),
      semaphore,
      isTransaction: () => db.isTransaction,
    })
    return yield* SqlClient.make({
      ...acquirers,
      compiler: Statement.makeCompilerSqlite(),
      driver: "sqlite",
      spanAttributes: [["db.system.name", "sqlite"]],
    })
  })

/**
 * The `node:sqlite` `SqlClient`: `SqliteClient.layer({ filename })` provides `SqlClient.SqlClient`
 * (`ApiKeys.layerSqlite` builds on it).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { SqlClient } from "effect/sql"
 * import { SqliteClient } from "@gatehouse/sdk/apikeys"
 *
 * const program = Effect.flatMap(SqlClient.SqlClient, (sql) => sql`select 1 as one`).pipe(
 *   Effect.provide(SqliteClient.layer({ filename: "keys.db" })),
 * )
 * ```
 */
export const SqliteClient: {
  /**
   * Builds a client in a scope: the database closes with it. It needs `Reactivity`, which
   * {@linkcode SqliteClient.reactivity} provides.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { SqliteClient } from "@gatehouse/sdk/apikeys"
   *
   * const rows = Effect.scoped(Effect.gen(function* () {
   *   const sql = yield* SqliteClient.make({ filename: ":memory:" })
   *   return yield* sql`select 1 as one`
   * })).pipe(Effect.provide(SqliteClient.reactivity))
   * ```
   */
  readonly make: (
    options: SqliteOptions,
  ) => Effect.Effect<SqlClient.SqlClient, SqlError.SqlError, Scope.Scope | Reactivity.Reactivity>
  /** `SqlClient.SqlClient` on a database that lives as long as the layer, with its own `Reactivity`. */
  readonly layer: (options: SqliteOptions) => Layer.Layer<SqlClient.SqlClient, SqlError.SqlError>
  /** The `Reactivity` service that {@linkcode SqliteClient.make} needs. */
  readonly reactivity: Layer.Layer<Reactivity.Reactivity>
} = {
  make,
  layer: (options) => Layer.effect(SqlClient.SqlClient, make(options)).pipe(Layer.provide(Reactivity.layer)),
  reactivity: Reactivity.layer,
}
