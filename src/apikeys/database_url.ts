/**
 * The key store chosen by URL, as the seed's `APIKeyClient(db_url)` and `create_tables(db_url)`:
 * `sqlite:///relative.db`, `sqlite:////absolute.db`, `sqlite://:memory:` (or `sqlite://`),
 * `postgres://` or `postgresql://`, `mysql://` or `mariadb://`, each with an optional `+driver`
 * suffix (`postgresql+asyncpg://`), which is ignored: each database has one driver here. The
 * PostgreSQL and MySQL drivers are loaded only when a URL names them.
 *
 * @module
 */
import { Effect, Layer, Redacted, Schema, type Scope } from "effect"
import { Reactivity } from "effect/reactivity"
import { SqlClient } from "effect/sql"
import type { TaggedErrorClass } from "../core/tagged_error.ts"
import { KeyStoreUnavailable } from "./errors.ts"
import { migrate } from "./migrations.ts"
import { SqliteClient } from "../sql/sqlite.ts"

/**
 * The schemes a database URL may have, without their `+driver` suffix.
 *
 * @example
 * ```ts
 * import { DATABASE_SCHEMES } from "@gatehouse/sdk/apikeys"
 *
 * // "postgresql+asyncpg://..." is supported: its scheme, without the driver, is "postgresql".
 * const supported = (url: string): boolean => DATABASE_SCHEMES.includes(url.split(/[+:]/)[0])
 * ```
 */
export const DATABASE_SCHEMES: ReadonlyArray<string> = ["sqlite", "postgres", "postgresql", "mysql", "mariadb"]

type InvalidDatabaseUrlFields = {
  readonly scheme: Schema.String
  readonly detail: Schema.String
}

const InvalidDatabaseUrlBase: TaggedErrorClass<InvalidDatabaseUrl, "InvalidDatabaseUrl", InvalidDatabaseUrlFields> =
  Schema.TaggedError<InvalidDatabaseUrl>()("InvalidDatabaseUrl", { scheme: Schema.String, detail: Schema.String })

/**
 * A database URL that names no supported store, or a SQLite URL with a host. `scheme` is the
 * URL's scheme as given (empty when it has none); the message never repeats the URL, which may
 * hold a password.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { parseDatabaseUrl } from "@gatehouse/sdk/apikeys"
 *
 * const scheme = parseDatabaseUrl("mongodb://db/keys").pipe(
 *   Effect.catchTag("InvalidDatabaseUrl", (error) => Effect.succeed(error.scheme)), // "mongodb"
 * )
 * ```
 */
export class InvalidDatabaseUrl extends InvalidDatabaseUrlBase {
  /** What is wrong with the URL, naming its scheme. */
  override get message(): string {
    return this.detail
  }
}

/**
 * Where a database URL points: a SQLite file (or `":memory:"`), or a server's URL with its canonical scheme.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { type DatabaseLocation, parseDatabaseUrl } from "@gatehouse/sdk/apikeys"
 *
 * const describe = (location: DatabaseLocation): string =>
 *   location.dialect === "sqlite" ? `SQLite at ${location.filename}` : `a ${location.dialect} server`
 * const where = Effect.map(parseDatabaseUrl("sqlite:///keys.db"), describe) // "SQLite at keys.db"
 * ```
 */
export type DatabaseLocation =
  | { readonly dialect: "sqlite"; readonly filename: string }
  | { readonly dialect: "pg" | "mysql"; readonly url: Redacted.Redacted<string> }

const SCHEME = /^([A-Za-z][A-Za-z0-9.-]*)(\+[A-Za-z0-9_]+)?:\/\/(.*)$/s

/**
 * Reads a database URL, the seed's way (SQLAlchemy's): `sqlite:///app.db` is `app.db` relative to
 * the working directory, `sqlite:////var/app.db` is absolute.
 *
 * @example
 * ```ts
 * import { parseDatabaseUrl } from "@gatehouse/sdk/apikeys"
 *
 * const location = parseDatabaseUrl("sqlite:///keys.db") // { dialect: "sqlite", filename: "keys.db" }
 * ```
 */
export const parseDatabaseUrl = (
  url: string | Redacted.Redacted<string>,
): Effect.Effect<DatabaseLocation, InvalidDatabaseUrl> => {
  const text = Redacted.isRedacted(url) ? Redacted.value(url) : url
  const match = SCHEME.exec(text.trim())
  if (match === null) {
    return Effect.fail(
      new InvalidDatabaseUrl({
        scheme: "",
        detail: `A database URL starts with a scheme: ${DATABASE_SCHEMES.map((s) => `${s}://`).join(", ")}`,
      }),
    )
  }
  const [, given, , rest] = match
  const scheme = given.toLowerCase()
  switch (scheme) {
    case "sqlite": {
      // sqlite://<host>/<path>: the host is empty; "sqlite://" and ":memory:" are an in-memory database.
      if (rest === "" || rest === ":memory:" || rest === "/:memory:") {
        return Effect.succeed({ dialect: "sqlite", filename: ":memory:" })
      }
      if (!rest.startsWith("/") || rest === "/") {
        return Effect.fail(
          new InvalidDatabaseUrl({
            scheme: given,
            detail: `A ${given}:// URL has no host: sqlite:///relative.db, sqlite:////absolute.db or sqlite://:memory:`,
          }),
        )
      }
      return Effect.succeed({ dialect: "sqlite", filename: decodeURIComponent(rest.slice(1)) })
    }
    case "postgres":
    case "postgresql":
      return Effect.succeed({ dialect: "pg", url: Redacted.make(`postgres://${rest}`, { label: "database url" }) })
    case "mysql":
    case "mariadb":
      return Effect.succeed({ dialect: "mysql", url: Redacted.make(`mysql://${rest}`, { label: "database url" }) })
    default:
      return Effect.fail(
        new InvalidDatabaseUrl({
          scheme: given,
          detail: `Unsupported database URL scheme '${given}': use ${
            DATABASE_SCHEMES.map((s) => `${s}://`).join(", ")
          }`,
        }),
      )
  }
}

const unavailable = (what: string) => (error: { readonly message: string }) =>
  new KeyStoreUnavailable({ detail: `${what}: ${error.message}` })

/** A driver module, loaded on first use. */
const load = <M>(name: string, module: () => Promise<M>) =>
  Effect.tryPromise({ try: module, catch: (cause) => unavailable(`Cannot load the ${name} driver`)(cause as Error) })

/** The `SqlClient` of a parsed location, open for the scope. */
const clientOf = (
  location: DatabaseLocation,
): Effect.Effect<SqlClient.SqlClient, KeyStoreUnavailable, Scope.Scope | Reactivity.Reactivity> => {
  switch (location.dialect) {
    case "sqlite":
      return Effect.mapError(SqliteClient.make({ filename: location.filename }), unavailable("SQLite"))
    case "pg":
      return load("PostgreSQL", () => import("@effect/sql-pg")).pipe(
        Effect.flatMap(({ PgClient }) => PgClient.make({ url: location.url })),
        Effect.mapError(unavailable("PostgreSQL")),
      )
    case "mysql":
      return load("MySQL", () => import("../sql/mysql.ts")).pipe(
        Effect.flatMap(({ MysqlClient }) => MysqlClient.make({ url: location.url })),
        Effect.mapError(unavailable("MySQL")),
      )
  }
}

/**
 * `SqlClient.SqlClient` on the database a URL names: SQLite (`node:sqlite`), PostgreSQL
 * (`@effect/sql-pg`) or MySQL / MariaDB (`mysql2`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { SqlClient } from "effect/sql"
 * import { sqlClientLayer } from "@gatehouse/sdk/apikeys"
 *
 * const one = Effect.flatMap(SqlClient.SqlClient, (sql) => sql`select 1 as one`).pipe(
 *   Effect.provide(sqlClientLayer("sqlite://:memory:")),
 * )
 * ```
 */
export const sqlClientLayer = (
  url: string | Redacted.Redacted<string>,
): Layer.Layer<SqlClient.SqlClient, InvalidDatabaseUrl | KeyStoreUnavailable> =>
  Layer.effect(SqlClient.SqlClient, Effect.flatMap(parseDatabaseUrl(url), clientOf)).pipe(
    Layer.provide(Reactivity.layer),
  )

/**
 * The seed's `create_tables(db_url)`: applies the pending migrations on the database a URL names,
 * then closes it, and returns those it applied. Safe to call on every start.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { createTables } from "@gatehouse/sdk/apikeys"
 *
 * await Effect.runPromise(createTables("sqlite:///keys.db"))
 * ```
 */
export const createTables = (
  url: string | Redacted.Redacted<string>,
): Effect.Effect<ReadonlyArray<readonly [id: number, name: string]>, InvalidDatabaseUrl | KeyStoreUnavailable> =>
  Effect.mapError(migrate, unavailable("Migrations failed")).pipe(Effect.provide(sqlClientLayer(url)))
