/**
 * The version of `@gatehouse/sdk`, sent in every `User-Agent`. Kept equal to deno.json by a test.
 *
 * @example
 * ```ts
 * import { VERSION } from "@gatehouse/sdk/puid"
 *
 * console.log(`gatehouse ${VERSION}`) // gatehouse 0.1.0
 * ```
 */
export const VERSION = "0.1.0"

/**
 * The `User-Agent` every gatehouse client sends.
 *
 * @example
 * ```ts
 * import { USER_AGENT } from "@gatehouse/sdk/puid"
 *
 * // The same User-Agent on a request of your own to the API.
 * const request = new Request("http://127.0.0.1:4010/puid/api/v1/quota", { headers: { "user-agent": USER_AGENT } })
 * console.log(USER_AGENT) // gatehouse/0.1.0
 * ```
 */
export const USER_AGENT = `gatehouse/${VERSION}`
