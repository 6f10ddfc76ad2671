/**
 * Reading the environment the way every client's `layerConfig` does, through effect's `Config`
 * (so the same code reads `process.env` on Node and Bun, Deno's environment, or a
 * `ConfigProvider` a test provides):
 *
 * - a variable set to nothing (or to spaces) counts as unset, so a blank `X_API_KEY=` never
 *   passes for a credential;
 * - a variable that is missing is named, with the others looked for, and a variable that looks
 *   like the API's (`PUID_*`) but is not one it reads is pointed out as a likely misspelling;
 * - an environment that cannot be read (Deno without `--allow-env`) counts as empty.
 *
 * @module
 */
import { Config, ConfigProvider, Effect, Option, Redacted } from "effect"

/** An optional variable; a blank value is `None`. */
export const optionalText = (name: string): Config.Config<Option.Option<string>> =>
  Config.map(Config.option(Config.String(name)), Option.filter((value: string) => value.trim() !== ""))

/** An optional secret variable, `Redacted`; a blank value is `None`. */
export const optionalSecret = (name: string): Config.Config<Option.Option<Redacted.Redacted<string>>> =>
  Config.map(
    Config.option(Config.Redacted(name)),
    Option.filter((value: Redacted.Redacted<string>) => Redacted.value(value).trim() !== ""),
  )

/** The first of `names` set to a non-blank value; `undefined` when none is, or when the environment cannot be read. */
export const firstSet = (...names: ReadonlyArray<string>): Effect.Effect<string | undefined> =>
  Effect.forEach(names, optionalText).pipe(
    Effect.map((values) => Option.getOrUndefined(Option.firstSomeOf(values))),
    Effect.orElseSucceed(() => undefined),
    Effect.catchDefect(() => Effect.succeed(undefined)),
  )

/** The names of the variables set whose name starts with `prefix` (`"PUID_"`), found through the `ConfigProvider`. */
const variablesStartingWith = (prefix: string): Effect.Effect<ReadonlyArray<string>> =>
  Effect.gen(function* () {
    const provider = yield* ConfigProvider.ConfigProvider
    const found: Array<string> = []
    // An environment provider splits names on "_" into a tree of segments: walk it from the prefix.
    const walk = (path: ReadonlyArray<string>): Effect.Effect<void, ConfigProvider.SourceError> =>
      Effect.flatMap(provider.load(path), (node) => {
        if (node === undefined) return Effect.void
        if (node.value !== undefined) found.push(path.join("_"))
        return node._tag === "Record"
          ? Effect.forEach(node.keys, (key) => walk([...path, key]), { discard: true })
          : Effect.void
      })
    yield* walk(prefix.split("_").filter((segment) => segment !== ""))
    return found
  }).pipe(Effect.orElseSucceed(() => []), Effect.catchDefect(() => Effect.succeed([])))

/** Edit distance, for "did you mean". */
const distance = (a: string, b: string): number => {
  let row = Array.from({ length: b.length + 1 }, (_, index) => index)
  for (let i = 1; i <= a.length; i++) {
    const next = [i]
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    row = next
  }
  return row[b.length]
}

/**
 * What to say about the variables set with the API's `prefix` that it does not read (`known`):
 * `""` when there are none, else a sentence naming each, with the known name it likely misspells.
 */
export const strayVariables = (prefix: string, known: ReadonlyArray<string>): Effect.Effect<string> =>
  Effect.map(variablesStartingWith(prefix), (names) => {
    const stray = names.filter((name) => !known.includes(name))
    if (stray.length === 0) return ""
    const described = stray.map((name) => {
      const closest = known.toSorted((a, b) => distance(name, a) - distance(name, b))[0]
      return closest !== undefined && distance(name, closest) <= Math.max(2, closest.length / 4)
        ? `${name} (did you mean ${closest}?)`
        : name
    })
    return `${described.join(", ")} ${stray.length === 1 ? "is" : "are"} set but not read; ${prefix}* read: ${
      known.join(", ")
    }.`
  })

/** Logs {@linkcode strayVariables}' sentence as a warning, when there is one: a misspelling never goes silent. */
export const warnStrayVariables = (prefix: string, known: ReadonlyArray<string>): Effect.Effect<void> =>
  Effect.flatMap(
    strayVariables(prefix, known),
    (sentence) => sentence === "" ? Effect.void : Effect.logWarning(sentence),
  )

/**
 * The message for variables that had to be set and were not: names every variable looked for, and
 * any stray `prefix*` variable that may be the misspelled one.
 */
export const missingVariables = (
  message: string,
  prefix: string,
  known: ReadonlyArray<string>,
): Effect.Effect<string> =>
  Effect.map(strayVariables(prefix, known), (stray) => stray === "" ? message : `${message} ${stray}`)
