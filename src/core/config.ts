/**
 * Reading the environment the way every client's `layerConfig` does: a variable set to nothing
 * (or to spaces) counts as unset, so a blank `X_API_KEY=` never passes for a credential.
 *
 * @module
 */
import { Config, Option, Redacted } from "effect"

/** An optional variable; a blank value is `None`. */
export const optionalText = (name: string): Config.Config<Option.Option<string>> =>
  Config.map(Config.option(Config.String(name)), Option.filter((value: string) => value.trim() !== ""))

/** An optional secret variable, `Redacted`; a blank value is `None`. */
export const optionalSecret = (name: string): Config.Config<Option.Option<Redacted.Redacted<string>>> =>
  Config.map(
    Config.option(Config.Redacted(name)),
    Option.filter((value: Redacted.Redacted<string>) => Redacted.value(value).trim() !== ""),
  )
