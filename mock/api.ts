/**
 * What one API's mock gives the mock app: its handlers under a base URL pattern, its demo
 * credentials, and a reset.
 *
 * @module
 */
import type { RequestHandler } from "msw"

/** One API's mock, as mounted on the mock app. */
export interface MockApi {
  /** Short name, also the mount prefix: `puid` is served under `/puid`. */
  readonly name: string
  /** The path the client's base URL ends with on the mock server: `/puid/api`. */
  readonly mount: string
  /** The production base URL, which `interceptGlobalFetch` answers for. */
  readonly productionBaseUrl: string
  /**
   * The msw handlers of this API under `base`, a URL or an msw pattern: `"*\/puid/api"` for the
   * mock app, `"https://puid.dev/api"` for msw's `setupServer`.
   */
  readonly handlers: (base: string) => ReadonlyArray<RequestHandler>
  /** Demo credentials and ids, printed by the mock server. Never real secrets. */
  readonly demo: Readonly<Record<string, string>>
  /** Back to the seeded state. */
  readonly reset: () => void
  /**
   * The API's own routes on the server's control API, under `/__mock/<name>/`: `route` is the
   * rest of the path. Answers `undefined` for a route it does not have.
   */
  readonly control?: ((request: Request, route: string) => Promise<Response | undefined>) | undefined
}
