// The PUID tests' wiring, on the one harness: the PUID mock alone, and client layers over it.
import { Effect, Layer } from "effect"
import { Puid, type PuidClientCredentialsOptions, type PuidCredentialOptions } from "../src/puid/mod.ts"
import { PUID_DEMO, PuidMock } from "../mock/puid/mod.ts"
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
