/**
 * An API's OpenAPI 3.1 document, derived from its definition: every endpoint the mock serves, with
 * its parameters and bodies from the contract schemas, so the document cannot drift from what the
 * client sends and decodes.
 *
 * @module
 */
import { Schema } from "effect"
import type { AnyApi, Codec, Endpoint } from "./endpoint.ts"

/** JSON Schemas whose shared definitions go to `components.schemas`, where OpenAPI resolves `$ref`s. */
const schemaCollector = () => {
  const definitions: Record<string, unknown> = {}
  const relink = (value: unknown): unknown =>
    JSON.parse(JSON.stringify(value).replaceAll('"#/$defs/', '"#/components/schemas/'))
  const toJson = (schema: Codec): Record<string, unknown> => {
    const document = Schema.toJsonSchemaDocument(schema)
    for (const [name, definition] of Object.entries(document.definitions)) definitions[name] = relink(definition)
    return relink(document.schema) as Record<string, unknown>
  }
  return { toJson, definitions }
}

type ToJson = (schema: Codec) => Record<string, unknown>

/** The parameters of a struct schema, one per property, `in` the path or the query. */
const parametersOf = (toJson: ToJson, schema: Codec | undefined, location: "path" | "query") => {
  if (schema === undefined) return []
  const json = toJson(schema)
  const properties = (json.properties ?? {}) as Record<string, unknown>
  const required = new Set((json.required ?? []) as ReadonlyArray<string>)
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: location,
    required: location === "path" || required.has(name),
    schema: property,
  }))
}

/**
 * A request body's schema, closed to unknown fields where the API refuses them: every object
 * with named properties, nested ones included (a record, with no named properties, stays open).
 */
const bodySchema = (api: AnyApi, schema: Record<string, unknown>): Record<string, unknown> =>
  api.excessProperties === "error" ? closed(schema) as Record<string, unknown> : schema

const closed = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(closed)
  if (typeof value !== "object" || value === null) return value
  const entries = Object.entries(value).map(([key, item]) => [key, closed(item)] as const)
  const object = Object.fromEntries(entries) as Record<string, unknown>
  return object.type === "object" && object.properties !== undefined
    ? { ...object, additionalProperties: false }
    : object
}

/** A success answer: its body, or none (204, 304) and a `Location` (a redirect). */
const successResponse = (status: number, type: string, endpoint: Endpoint, toJson: ToJson) =>
  status >= 300 && status < 400
    ? { description: "Redirect", headers: { Location: { schema: { type: "string" } } } }
    : status === 204 || status === 205
    ? { description: "No content" }
    : { description: "OK", content: { [type]: { schema: toJson(endpoint.success) } } }

const operation = (api: AnyApi, endpoint: Endpoint, toJson: ToJson) => {
  const status = endpoint.successStatus ?? 200
  const parameters = [
    ...parametersOf(toJson, endpoint.params, "path"),
    ...parametersOf(toJson, endpoint.query, "query"),
  ]
  const bodyType = endpoint.payloadType === "form" ? "application/x-www-form-urlencoded" : "application/json"
  const successType = endpoint.successType ?? "application/json"
  const errors = Object.entries(endpoint.errors ?? {}).map(([status, description]) => [
    status,
    { description, content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } },
  ])
  return {
    operationId: `${api.name}.${endpoint.name}`,
    summary: endpoint.summary,
    ...(endpoint.security !== undefined && { security: endpoint.security.map((name) => ({ [name]: [] })) }),
    ...(parameters.length > 0 && { parameters }),
    ...(endpoint.payload !== undefined && {
      requestBody: { required: true, content: { [bodyType]: { schema: bodySchema(api, toJson(endpoint.payload)) } } },
    }),
    responses: {
      [status]: successResponse(status, successType, endpoint, toJson),
      ...Object.fromEntries(errors),
    },
  }
}

/** The OpenAPI 3.1 document of `api`, served at `serverUrl` (the base URL the caller reached). */
export const openApiDocument = (api: AnyApi, serverUrl: string): Record<string, unknown> => {
  const { toJson, definitions } = schemaCollector()
  const paths: Record<string, Record<string, unknown>> = {}
  for (const endpoint of api.all) {
    paths[endpoint.path] = {
      ...paths[endpoint.path],
      [endpoint.method.toLowerCase()]: operation(api, endpoint, toJson),
    }
  }
  const error = toJson(api.errorBody)
  return {
    openapi: "3.1.0",
    info: { title: api.title, version: api.version },
    servers: [{ url: serverUrl }],
    components: {
      ...(api.securitySchemes !== undefined && { securitySchemes: api.securitySchemes }),
      schemas: { ...definitions, Error: error },
    },
    paths,
  }
}

const PLAIN = /^[A-Za-z_$][\w$./-]*$/
const RESERVED = /^(true|false|null|yes|no|on|off|~)$/i

const scalar = (value: unknown): string =>
  typeof value === "string"
    ? PLAIN.test(value) && !RESERVED.test(value) ? value : JSON.stringify(value)
    : JSON.stringify(value)

const isEmpty = (value: unknown) => typeof value === "object" && value !== null && Object.keys(value).length === 0

const render = (value: unknown, indent: string): string => {
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]"
    return value.map((item) => {
      const rendered = render(item, `${indent}  `)
      return `\n${indent}- ${rendered.startsWith("\n") ? rendered.trimStart() : rendered}`
    }).join("")
  }
  if (typeof value === "object" && value !== null) {
    if (isEmpty(value)) return "{}"
    return Object.entries(value).map(([key, item]) => {
      const nested = typeof item === "object" && item !== null && !isEmpty(item)
      return `\n${indent}${scalar(key)}:${nested ? "" : " "}${render(item, `${indent}  `)}`
    }).join("")
  }
  return scalar(value)
}

/** A JSON value as block-style YAML (strings that need it double-quoted, as JSON writes them). */
export const toYaml = (value: unknown): string => `${render(value, "").trimStart()}\n`
