// The PUID tests' wiring, on the one harness: the PUID mock alone, and client layers over it.
import { Effect, Layer } from "effect"
import { Puid, type PuidClientCredentialsOptions, type PuidCredentialOptions } from "../src/puid/mod.ts"
import { PUID_DEMO, PuidMock, s256Challenge } from "../mock/puid/mod.ts"
import { harness } from "./_harness.ts"

export const puidSetup = () => {
  const h = harness((clock) => new PuidMock(clock), (_, endpoint) => Puid.layer({ apiKey: PUID_DEMO.apiKey, endpoint }))
  const endpoint = h.baseUrl
  const withKey = (options: PuidCredentialOptions = {}) =>
    Puid.layer({ apiKey: PUID_DEMO.apiKey, endpoint, ...options }).pipe(Layer.provide(h.http))
  const withClient = (options: Partial<PuidClientCredentialsOptions> = {}) =>
    Puid.fromClientCredentials({
      clientId: PUID_DEMO.clientId,
      clientSecret: PUID_DEMO.clientSecret,
      endpoint,
      ...options,
    }).pipe(Layer.provide(h.http))
  /** Runs `f` with a client built from `layer`. */
  const run = <A, E, E2>(layer: Layer.Layer<Puid, E2>, f: (puid: Puid["Service"]) => Effect.Effect<A, E>) =>
    Effect.runPromise(Effect.flatMap(Puid, f).pipe(Effect.provide(layer)))
  return { ...h, state: h.api.state, endpoint, withKey, withClient, run }
}

/** A PKCE verifier (43 characters of the unreserved set) and its S256 challenge. */
export const pkcePair = async (verifier = crypto.randomUUID().replaceAll("-", "") + "abcdefghijk") => ({
  verifier,
  challenge: await s256Challenge(verifier),
})

/**
 * The authorization-code grant by hand over a harness's `fetch`: `authorize` answers the raw
 * response (a 302 or a 400), `exchange` and `refresh` the token endpoint's status and body.
 */
export const pkceFlow = (fetch: typeof globalThis.fetch, endpoint: string) => {
  const authorize = (query: Record<string, string>) =>
    fetch(`${endpoint}/oauth/authorize?${new URLSearchParams(query)}`)
  const token = async (form: Record<string, string>) => {
    const response = await fetch(`${endpoint}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(form),
    })
    return { status: response.status, body: await response.json() }
  }
  /** Authorizes the demo client with `challenge` (S256 unless said) and answers the code and state sent back. */
  const code = async (challenge: string, extra: Record<string, string> = {}) => {
    const response = await authorize({
      response_type: "code",
      client_id: PUID_DEMO.clientId,
      redirect_uri: PUID_DEMO.redirectUri,
      state: "st4te",
      code_challenge: challenge,
      code_challenge_method: "S256",
      ...extra,
    })
    if (response.status !== 302) throw new Error(`authorize answered ${response.status}`)
    const location = new URL(response.headers.get("location")!)
    return { code: location.searchParams.get("code")!, state: location.searchParams.get("state"), location }
  }
  const exchange = (code: string, verifier: string, extra: Record<string, string> = {}) =>
    token({
      grant_type: "authorization_code",
      client_id: PUID_DEMO.clientId,
      redirect_uri: PUID_DEMO.redirectUri,
      code,
      code_verifier: verifier,
      ...extra,
    })
  const refresh = (refreshToken: string, extra: Record<string, string> = {}) =>
    token({ grant_type: "refresh_token", client_id: PUID_DEMO.clientId, refresh_token: refreshToken, ...extra })
  return { authorize, token, code, exchange, refresh }
}
