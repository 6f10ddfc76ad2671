/** The version of `@gatehouse/sdk`, sent in every `User-Agent`. Kept equal to deno.json by a test. */
export const VERSION = "0.1.0"

/** The `User-Agent` every gatehouse client sends. */
export const USER_AGENT = `gatehouse/${VERSION}`
