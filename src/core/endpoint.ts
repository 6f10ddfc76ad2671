/**
 * One definition per endpoint: its method, path, parameters, bodies, statuses, whether it is safe
 * to repeat, and (on the API) which headers carry secrets. The client builds and decodes its
 * requests from it, the mock routes, validates and encodes from it, and the OpenAPI document, the
 * journal's redaction and the retry policy read it. An endpoint is spelled here and nowhere else.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { defineApi } from "./endpoint.ts"
 *
 * const Api = defineApi({
 *   name: "example",
 *   title: "Example",
 *   version: "1.0.0",
 *   errorBody: Schema.Struct({ error: Schema.String }),
 *   securitySchemes: { apiKey: { type: "apiKey", in: "header", name: "X-API-Key" } }, // x-api-key is a secret
 *   endpoints: {
 *     ordinal: {
 *       method: "GET",
 *       path: "/v1/ordinal/{puid}",
 *       summary: "Decode an id to its counter value",
 *       params: Schema.Struct({ puid: Schema.String }),
 *       success: Schema.Struct({ puid: Schema.String, ordinal: Schema.String }),
 *       errors: { 400: "not a valid PUID" },
 *     },
 *   },
 * })
 * Api.endpoints.ordinal.name // "ordinal"
 * ```
 *
 * @module
 */
import { Schema } from "effect"

/** The methods an endpoint may have. */
export type Method = "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE"

/** A schema that decodes and encodes without services: every wire schema is one. */
export type Codec = Schema.Top & { readonly DecodingServices: never; readonly EncodingServices: never }

/** What an endpoint says about itself. */
export interface EndpointSpec {
  readonly method: Method
  /** The path relative to the API's base URL, parameters in braces: `/v1/ordinal/{puid}`. */
  readonly path: string
  /** One line for the OpenAPI document. */
  readonly summary: string
  /** The path parameters, as a struct of the names in `path` (encoded as strings). */
  readonly params?: Codec | undefined
  /** The query parameters, as a struct whose encoded fields are strings. */
  readonly query?: Codec | undefined
  /** The request body. */
  readonly payload?: Codec | undefined
  /** How the body travels. @default "json" */
  readonly payloadType?: "json" | "form" | undefined
  /** The body of a success. */
  readonly success: Codec
  /** The status of a success. @default 200 */
  readonly successStatus?: number | undefined
  /** The content type of a success, when it is not JSON (a YAML document). @default "application/json" */
  readonly successType?: string | undefined
  /** Error statuses and what each means; their bodies are the API's `errorBody`. */
  readonly errors?: Readonly<Record<number, string>> | undefined
  /**
   * Whether sending it twice is safe: a retry after a lost answer cannot apply it twice.
   * @default true for GET, HEAD, PUT and DELETE; false otherwise
   */
  readonly idempotent?: boolean | undefined
  /** Names of the API's security schemes, any one of which is accepted. @default none */
  readonly security?: ReadonlyArray<string> | undefined
}

/** An endpoint: its spec and its name, the operation (`ids` in `puid.ids`), given by {@linkcode defineApi}. */
export type Endpoint<Name extends string = string, S extends EndpointSpec = EndpointSpec> = S & {
  readonly name: Name
}

const SAFE_METHODS: ReadonlySet<Method> = new Set(["GET", "HEAD", "PUT", "DELETE"])

/** Whether `endpoint` may be sent again after an attempt whose outcome is unknown. */
export const isIdempotent = (endpoint: EndpointSpec): boolean =>
  endpoint.idempotent ?? SAFE_METHODS.has(endpoint.method)

/** The decoded type of one of an endpoint's schemas, or `never` when it has none. */
type TypeOf<S> = S extends Codec ? S["Type"] : never

/** What a call of endpoint `E` takes: its path parameters, query and body, each where `E` has one. */
export type Input<E extends EndpointSpec> =
  & (E extends { readonly params: Codec } ? { readonly params: TypeOf<E["params"]> } : unknown)
  & (E extends { readonly query: Codec } ? { readonly query: TypeOf<E["query"]> } : unknown)
  & (E extends { readonly payload: Codec } ? { readonly payload: TypeOf<E["payload"]> } : unknown)

/** What a success of endpoint `E` decodes to. */
export type Success<E extends EndpointSpec> = E["success"]["Type"]

/** An OpenAPI security scheme (`{ type: "apiKey", in: "header", name: "X-API-Key" }`). */
export type SecurityScheme = Readonly<Record<string, unknown>>

const OpenApiDocument = Schema.Record(Schema.String, Schema.Unknown)

/**
 * The two endpoints every API serves its OpenAPI document at: spread them into an API's endpoints,
 * and its router into its routes with `documentRoutes`.
 */
export const documentEndpoints = {
  openApiJson: {
    method: "GET",
    path: "/openapi.json",
    summary: "This document, as JSON",
    success: OpenApiDocument,
  },
  openApiYaml: {
    method: "GET",
    path: "/openapi.yaml",
    summary: "This document, as YAML",
    success: Schema.String,
    successType: "application/yaml",
  },
} as const

/** What an API says about itself, its endpoints keyed by name. */
export interface ApiSpec<Es extends Readonly<Record<string, EndpointSpec>>> {
  /** Short name, the span prefix: `puid` gives spans `puid.ids`. */
  readonly name: string
  /** The title of its OpenAPI document. */
  readonly title: string
  readonly version: string
  readonly endpoints: Es
  /** The body of every error answer. */
  readonly errorBody: Codec
  /**
   * Header names whose values are secrets (redacted in traces, logs and the mock's journal), beyond
   * those the security schemes name, which count without being listed. @default none
   */
  readonly secretHeaders?: ReadonlyArray<string> | undefined
  readonly securitySchemes?: Readonly<Record<string, SecurityScheme>> | undefined
  /**
   * Unknown fields in a request body: `"error"` refuses them with a 400 naming the field (and the
   * document says `additionalProperties: false`), `"ignore"` drops them, as most APIs do.
   * @default "ignore"
   */
  readonly excessProperties?: "error" | "ignore" | undefined
}

/** What the client, the mock and the OpenAPI document read of any API. */
export interface AnyApi {
  readonly name: string
  readonly title: string
  readonly version: string
  /** Every endpoint, in definition order. */
  readonly all: ReadonlyArray<Endpoint>
  readonly errorBody: Codec
  /** Lower case. */
  readonly secretHeaders: ReadonlyArray<string>
  readonly securitySchemes?: Readonly<Record<string, SecurityScheme>> | undefined
  /** What the server does with unknown body fields. @default "ignore" */
  readonly excessProperties?: "error" | "ignore" | undefined
}

/** A defined API: its endpoints by name, each knowing its name. */
export interface Api<Es extends Readonly<Record<string, EndpointSpec>>> extends AnyApi {
  readonly endpoints: { readonly [K in keyof Es & string]: Endpoint<K, Es[K]> }
}

/** Defines an API; no two endpoints may share a method and path. */
export const defineApi = <const Es extends Readonly<Record<string, EndpointSpec>>>(spec: ApiSpec<Es>): Api<Es> => {
  const endpoints = Object.fromEntries(
    Object.entries(spec.endpoints).map(([name, endpoint]) => [name, { ...endpoint, name }]),
  ) as Api<Es>["endpoints"]
  const all: ReadonlyArray<Endpoint> = Object.values(endpoints)
  const seen = new Set<string>()
  for (const { method, path } of all) {
    if (seen.has(`${method} ${path}`)) throw new Error(`${spec.name}: ${method} ${path} is defined twice`)
    seen.add(`${method} ${path}`)
  }
  // A header a security scheme names is a secret without being listed again.
  const schemes = Object.values(spec.securitySchemes ?? {})
  const fromSchemes = schemes.flatMap((scheme) =>
    scheme.type === "apiKey" && scheme.in === "header" && typeof scheme.name === "string"
      ? [scheme.name]
      : scheme.type === "http"
      ? ["authorization"]
      : []
  )
  const secretHeaders = [...new Set([...(spec.secretHeaders ?? []), ...fromSchemes].map((name) => name.toLowerCase()))]
  return { ...spec, endpoints, all, secretHeaders }
}

/**
 * The header (lower case) an API-key security scheme of `api` is sent in: `x-api-key` for
 * `{ type: "apiKey", in: "header", name: "X-API-Key" }`. The definition is the only place a
 * credential header is spelled.
 */
export const securityHeader = (api: AnyApi, scheme: string): string => {
  const found = api.securitySchemes?.[scheme]
  if (found?.type !== "apiKey" || found.in !== "header" || typeof found.name !== "string") {
    throw new Error(`${api.name} has no header security scheme ${scheme}`)
  }
  return found.name.toLowerCase()
}

/** The names of the parameters in `path`: `["puid"]` for `/v1/ordinal/{puid}`. */
export const pathParameters = (path: string): ReadonlyArray<string> =>
  [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1])

/** `path` with each `{name}` replaced by its value, URL-encoded. */
export const fillPath = (path: string, params: Readonly<Record<string, string>>): string =>
  path.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? ""))
