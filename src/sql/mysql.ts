/**
 * A `SqlClient` for `effect/sql` on MySQL and MariaDB, over the `mysql2` driver (Deno, Bun, Node).
 *
 * `@effect/sql-mysql2`'s v4 release candidate imports `effect/unstable/*`, which effect 4.1.0 no
 * longer has, so this adapter stands in until a stable driver exists. A pool of connections; a
 * transaction holds one of them; errors are classified by MySQL's error numbers. Users reach it
 * through a `mysql://` URL (`sqlClientLayer`, `ApiKeys.layerUrl`), which loads `mysql2` only then.
 *
 * @module
 */
import { Effect, Layer, Redacted, Stream } from "effect"
import type { Scope } from "effect"
import { Reactivity } from "effect/reactivity"
import { SqlClient, type SqlConnection, SqlError, Statement } from "effect/sql"
import mysql from "mysql2"

/** Options of {@linkcode MysqlClient.layer}. */
export interface MysqlOptions {
  /** `mysql://user:password@host:port/database`: a secret, as it may hold the password. */
  readonly url: Redacted.Redacted<string>
  /** Connections in the pool. @default 10 */
  readonly maxConnections?: number | undefined
}

type Row = Record<string, unknown>

/** MySQL error numbers, by the `SqlError` reason they are. */
const REASONS: ReadonlyArray<readonly [ReadonlyArray<number>, (props: Props) => SqlError.SqlErrorReason]> = [
  [[1040, 1042, 1043, 1129, 1130, 1203], (props) => new SqlError.ConnectionError(props)],
  [[1045], (props) => new SqlError.AuthenticationError(props)],
  [[1044, 1142, 1143, 1227], (props) => new SqlError.AuthorizationError(props)],
  [[1054, 1064, 1146], (props) => new SqlError.SqlSyntaxError(props)],
  [[1062], (props) => new SqlError.UniqueViolation({ ...props, constraint: constraintOf(props.cause) })],
  [[1022, 1048, 1169, 1216, 1217, 1451, 1452, 1557], (props) => new SqlError.ConstraintError(props)],
  [[1213], (props) => new SqlError.DeadlockError(props)],
  [[1205], (props) => new SqlError.LockTimeoutError(props)],
  [[3024], (props) => new SqlError.StatementTimeoutError(props)],
]

interface Props {
  readonly cause: unknown
  readonly message: string
  readonly operation: string
}

/** The key a duplicate entry broke: "Duplicate entry 'x' for key 'name'". */
const constraintOf = (cause: unknown): string =>
  /for key '([^']+)'/.exec(String((cause as { message?: unknown }).message ?? ""))?.[1] ?? "unknown"

const toSqlError = (cause: unknown, message: string, operation: string): SqlError.SqlError => {
  const errno = (cause as { errno?: unknown } | null)?.errno
  const props = { cause, message, operation }
  const reason = typeof errno === "number" ? REASONS.find(([codes]) => codes.includes(errno)) : undefined
  // Without an error number, the server was not reached (refused, reset, DNS).
  return new SqlError.SqlError({
    reason: reason !== undefined
      ? reason[1](props)
      : typeof errno === "number"
      ? new SqlError.UnknownError(props)
      : new SqlError.ConnectionError(props),
  })
}

/** The MySQL compiler: `?` placeholders, backquoted identifiers. */
const compiler = Statement.makeCompiler({
  dialect: "mysql",
  placeholder: () => "?",
  onIdentifier: Statement.defaultEscape("`"),
  onCustom: () => ["", []],
  onRecordUpdate: () => ["", []],
})

type Queryable = mysql.Pool | mysql.PoolConnection

/** One statement on a pool or a connection: rows for a query, the result header otherwise. */
const query = (
  on: Queryable,
  sql: string,
  params: ReadonlyArray<unknown>,
  options: { readonly prepared: boolean; readonly rowsAsArray: boolean },
): Effect.Effect<unknown, SqlError.SqlError> =>
  Effect.callback<unknown, SqlError.SqlError>((resume) => {
    const callback = (error: unknown, result: unknown) =>
      resume(
        error ? Effect.fail(toSqlError(error, "Failed to execute statement", "execute")) : Effect.succeed(result),
      )
    const request = { sql, values: params as Array<unknown>, rowsAsArray: options.rowsAsArray }
    if (options.prepared) on.execute(request, callback)
    else on.query(request, callback)
  })

const connectionOf = (on: Queryable): SqlConnection.Connection => {
  /** The rows of a query (objects, or arrays of values), or none for another statement. */
  const results = <A>(sql: string, params: ReadonlyArray<unknown>, prepared: boolean, rowsAsArray: boolean) =>
    Effect.map(
      query(on, sql, params, { prepared, rowsAsArray }),
      (result) => (Array.isArray(result) ? result : []) as ReadonlyArray<A>,
    )
  const rows = (sql: string, params: ReadonlyArray<unknown>, prepared: boolean) =>
    results<Row>(sql, params, prepared, false)
  const transformed = (
    effect: Effect.Effect<ReadonlyArray<Row>, SqlError.SqlError>,
    transform: (<A extends object>(rows: ReadonlyArray<A>) => ReadonlyArray<A>) | undefined,
  ) => transform === undefined ? effect : Effect.map(effect, transform)
  return {
    execute: (sql, params, transform) => transformed(rows(sql, params, true), transform),
    executeRaw: (sql, params) => query(on, sql, params, { prepared: true, rowsAsArray: false }),
    executeValues: (sql, params) => results<ReadonlyArray<unknown>>(sql, params, true, true),
    executeValuesUnprepared: (sql, params) => results<ReadonlyArray<unknown>>(sql, params, false, true),
    executeUnprepared: (sql, params, transform) => transformed(rows(sql, params ?? [], false), transform),
    executeStream: (sql, params, transform) =>
      Stream.fromIterableEffect(transformed(rows(sql, params, true), transform)),
  }
}

/** Opens the pool, checks it reaches the server, and builds the client on it; the pool ends with the scope. */
const make = (
  options: MysqlOptions,
): Effect.Effect<SqlClient.SqlClient, SqlError.SqlError, Scope.Scope | Reactivity.Reactivity> =>
  Effect.gen(function* () {
    const pool = yield* Effect.acquireRelease(
      Effect.try({
        try: () =>
          mysql.createPool({
            uri: Redacted.value(options.url),
            connectionLimit: options.maxConnections ?? 10,
            supportBigNumbers: true,
            // Instants are UTC epoch milliseconds: no session time zone applies.
            timezone: "Z",
          }),
        catch: (cause) => toSqlError(cause, "Invalid MySQL URL", "connect"),
      }),
      (pool) => Effect.callback<void>((resume) => pool.end(() => resume(Effect.void))),
    )
    yield* query(pool, "SELECT 1", [], { prepared: false, rowsAsArray: false }).pipe(
      Effect.mapError((error) => toSqlError(error.cause, `Cannot reach MySQL: ${error.message}`, "connect")),
      Effect.timeoutOrElse({
        duration: "10 seconds",
        orElse: () =>
          Effect.fail(toSqlError(new Error("connection timeout"), "Cannot reach MySQL in 10 seconds", "connect")),
      }),
    )
    const transactionAcquirer = Effect.acquireRelease(
      Effect.callback<mysql.PoolConnection, SqlError.SqlError>((resume) =>
        pool.getConnection((error, connection) =>
          resume(
            error
              ? Effect.fail(toSqlError(error, "Failed to acquire a connection", "acquireConnection"))
              : Effect.succeed(connection),
          )
        )
      ),
      (connection) => Effect.sync(() => connection.release()),
    ).pipe(Effect.map(connectionOf))
    return yield* SqlClient.make({
      acquirer: Effect.succeed(connectionOf(pool)),
      transactionAcquirer,
      compiler,
      driver: "mysql2",
      spanAttributes: [["db.system.name", "mysql"]],
    })
  })

/** The `mysql2` `SqlClient`: `MysqlClient.layer({ url })` provides `SqlClient.SqlClient` on MySQL or MariaDB. */
export const MysqlClient: {
  /** Builds a client in a scope: the pool ends with it. It needs `Reactivity`. */
  readonly make: (
    options: MysqlOptions,
  ) => Effect.Effect<SqlClient.SqlClient, SqlError.SqlError, Scope.Scope | Reactivity.Reactivity>
  /** `SqlClient.SqlClient` on a pool that lives as long as the layer, with its own `Reactivity`. */
  readonly layer: (options: MysqlOptions) => Layer.Layer<SqlClient.SqlClient, SqlError.SqlError>
} = {
  make,
  layer: (options) => Layer.effect(SqlClient.SqlClient, make(options)).pipe(Layer.provide(Reactivity.layer)),
}
