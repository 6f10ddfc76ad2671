// Checks of caller input shared by the service and its HTTP client, so that both fail alike.
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
