// A PUID mock and client wiring shared by the PUID tests.
import { Effect, Layer } from "effect"
import { fetchLayer } from "../src/core/promise.ts"
import { Puid, type PuidClientCredentialsOptions, type PuidCredentialOptions } from "../src/puid/mod.ts"
import { mountMocks } from "../mock/app.ts"
import { MockClock } from "../mock/clock.ts"
import { PUID_DEMO, PuidMock } from "../mock/puid/mod.ts"
import { recording } from "./_fetch.ts"

export const puidSetup = () => {
  const clock = new MockClock()
  const puidMock = new PuidMock(clock)
  const mock = mountMocks(clock, [puidMock])
  const { fetch, sent } = recording(mock.fetch)
  const endpoint = mock.baseUrl("puid")
  const http = fetchLayer(fetch)
  const withKey = (options: PuidCredentialOptions = {}) =>
    Puid.layer({ apiKey: PUID_DEMO.apiKey, endpoint, ...options }).pipe(Layer.provide(http))
  const withClient = (options: Partial<PuidClientCredentialsOptions> = {}) =>
    Puid.fromClientCredentials({
      clientId: PUID_DEMO.clientId,
      clientSecret: PUID_DEMO.clientSecret,
      endpoint,
      ...options,
    }).pipe(Layer.provide(http))
  /** Runs `f` with a client built from `layer`. */
  const run = <A, E, E2>(layer: Layer.Layer<Puid, E2>, f: (puid: Puid["Service"]) => Effect.Effect<A, E>) =>
    Effect.runPromise(Effect.flatMap(Puid, f).pipe(Effect.provide(layer)))
  return { clock, mock, state: puidMock.state, sent, fetch, endpoint, http, withKey, withClient, run }
}
