// Checks of caller input (names, dates, grace periods), shared so that the service and its HTTP client fail alike.
import { Duration, Effect, Option } from "effect"
import { InvalidRequest } from "./errors.ts"

/** The longest grace period a rotation accepts: longer is a revocation that never really happens. */
export const MAX_GRACE_PERIOD: Duration.Duration = Duration.days(365)

/** A rotation's grace period in whole milliseconds (rounded up), or `InvalidRequest`. */
export const gracePeriodMillis = (input: Duration.Input): Effect.Effect<number, InvalidRequest> => {
  // Duration reads NaN as zero; a NaN grace period is a caller's bug, not "no grace".
  const grace = Number.isNaN(input) ? undefined : Option.getOrUndefined(Duration.fromInput(input))
  return grace === undefined || !Duration.isFinite(grace) || Duration.toMillis(grace) < 0 ||
      Duration.isGreaterThan(grace, MAX_GRACE_PERIOD)
    ? Effect.fail(new InvalidRequest({ detail: "gracePeriod must be a duration from 0 to 365 days" }))
    : Effect.succeed(Math.ceil(Duration.toMillis(grace)))
}

/** `date`, if it is a valid `Date`. */
export const checkDate = (field: string, date: Date): Effect.Effect<Date, InvalidRequest> =>
  date instanceof Date && !Number.isNaN(date.getTime())
    ? Effect.succeed(date)
    : Effect.fail(new InvalidRequest({ detail: `${field} must be a valid Date` }))

/** The longest name of an organization, project, product or key (the columns' `VARCHAR(255)`). */
export const MAX_NAME = 255

/** `name` without surrounding spaces, if that is 1 to {@linkcode MAX_NAME} characters, none of them NUL. */
export const checkName = (what: string, name: string): Effect.Effect<string, InvalidRequest> => {
  const trimmed = typeof name === "string" ? name.trim() : ""
  return trimmed === "" || trimmed.length > MAX_NAME || trimmed.includes("\0")
    ? Effect.fail(new InvalidRequest({ detail: `${what} name must be 1 to ${MAX_NAME} characters, without NUL` }))
    : Effect.succeed(trimmed)
}

/** Whether `id` can name a row: a string of 1 to {@linkcode MAX_NAME} characters without NUL (a database's TEXT can hold it). */
export const isId = (id: unknown): id is string =>
  typeof id === "string" && id !== "" && id.length <= MAX_NAME && !id.includes("\0")

/**
 * `id`, if it can name a row (see {@linkcode isId}): a JavaScript caller may pass anything, and a NUL
 * is refused before any statement (PostgreSQL's TEXT cannot hold one).
 */
export const checkId = (field: string, id: unknown): Effect.Effect<string, InvalidRequest> =>
  isId(id) ? Effect.succeed(id) : Effect.fail(
    new InvalidRequest({ detail: `${field} must be a string of 1 to ${MAX_NAME} characters, without NUL` }),
  )
