// The `getOrCreate*` calls of 0.2.0, on any service that has the creations and lookups: create, and on
// `AlreadyExists` read the row that has the name. The local service and the HTTP client share them.
import { Effect } from "effect"
import { AlreadyExists, KeyStoreUnavailable } from "./errors.ts"
import type { ApiKeysService, GetOrCreated } from "./service.ts"

type GetOrCreateMethods = "getOrCreateOrganization" | "getOrCreateProject" | "getOrCreateProduct"

/** A service without its `getOrCreate*` calls. */
export type CreatingService = Omit<ApiKeysService, GetOrCreateMethods>

/** `create`, or on `AlreadyExists` the row `get` reads by the id the error carries. */
const getOrCreate = <A, E>(
  create: Effect.Effect<A, E>,
  get: (id: string) => Effect.Effect<A, unknown>,
): Effect.Effect<GetOrCreated<A>, Exclude<E, AlreadyExists> | KeyStoreUnavailable> =>
  Effect.map(create, (value): GetOrCreated<A> => ({ value, created: true })).pipe(
    Effect.catch((error): Effect.Effect<GetOrCreated<A>, Exclude<E, AlreadyExists> | KeyStoreUnavailable> =>
      error instanceof AlreadyExists
        ? Effect.mapError(
          Effect.map(get(error.existingId), (value): GetOrCreated<A> => ({ value, created: false })),
          // Names are never freed, so the row that has one is not gone.
          () => new KeyStoreUnavailable({ detail: `The row '${error.existingId}' that has the name cannot be read` }),
        )
        : Effect.fail(error as Exclude<E, AlreadyExists>)
    ),
  )

/** The service with its `getOrCreate*` calls. */
export const withGetOrCreate = (service: CreatingService): ApiKeysService => ({
  ...service,
  getOrCreateOrganization: (name) => getOrCreate(service.createOrganization(name), service.getOrganization),
  getOrCreateProject: (orgId, name) => getOrCreate(service.createProject(orgId, name), service.getProject),
  getOrCreateProduct: (orgId, name) => getOrCreate(service.createProduct(orgId, name), service.getProduct),
})
