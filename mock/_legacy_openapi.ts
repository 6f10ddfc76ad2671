/**
 * A small OpenAPI 3.1 builder for the mocks: each operation's bodies come from the API's own
 * contract schemas, so the document cannot drift from what the client decodes.
 *
 * @module
 */
import { Schema } from "effect"

/** One operation of a mock's OpenAPI document. */
export interface OperationDoc {
  readonly method: "get" | "post" | "put" | "patch" | "delete"
  /** The path in OpenAPI form: `/v1/ordinal/{puid}`. */
  readonly path: string
  readonly operationId: string
  readonly summary?: string | undefined
  /** Names of `securitySchemes`, any one of which is accepted. */
  readonly security?: ReadonlyArray<string> | undefined
  readonly parameters?: ReadonlyArray<Readonly<Record<string, unknown>>> | undefined
  readonly requestBody?: Schema.Top | undefined
  readonly response: Schema.Top
  /** Error statuses and what they mean; their body is the document's `errorBody`. */
  readonly errors?: Readonly<Record<number, string>> | undefined
}

/** What {@linkcode openApiDocument} needs. */
export interface OpenApiOptions {
  readonly title: string
  readonly version: string
  readonly serverUrl: string
  readonly securitySchemes?: Readonly<Record<string, unknown>> | undefined
  readonly errorBody: Schema.Top
  readonly operations: ReadonlyArray<OperationDoc>
}

/** JSON Schemas whose shared definitions go to `components.schemas`, where OpenAPI resolves `$ref`s. */
const schemaCollector = () => {
  const definitions: Record<string, unknown> = {}
  const relink = (value: unknown): unknown =>
    JSON.parse(JSON.stringify(value).replaceAll('"#/$defs/', '"#/components/schemas/'))
  const toJson = (schema: Schema.Top): unknown => {
    const document = Schema.toJsonSchemaDocument(schema)
    for (const [name, definition] of Object.entries(document.definitions)) definitions[name] = relink(definition)
    return relink(document.schema)
  }
  return { toJson, definitions }
}

/** An OpenAPI 3.1 document of the operations, with encoded (wire) schemas. */
export const openApiDocument = (options: OpenApiOptions): Record<string, unknown> => {
  const { toJson, definitions } = schemaCollector()
  const jsonContent = (schema: Schema.Top) => ({ "application/json": { schema: toJson(schema) } })
  const paths: Record<string, Record<string, unknown>> = {}
  for (const op of options.operations) {
    const errors = Object.entries(op.errors ?? {}).map(([status, description]) => [
      status,
      { description, content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } },
    ])
    paths[op.path] = {
      ...paths[op.path],
      [op.method]: {
        operationId: op.operationId,
        ...(op.summary !== undefined && { summary: op.summary }),
        ...(op.security !== undefined && { security: op.security.map((name) => ({ [name]: [] })) }),
        ...(op.parameters !== undefined && { parameters: op.parameters }),
        ...(op.requestBody !== undefined && { requestBody: { required: true, content: jsonContent(op.requestBody) } }),
        responses: { 200: { description: "OK", content: jsonContent(op.response) }, ...Object.fromEntries(errors) },
      },
    }
  }
  const error = toJson(options.errorBody)
  return {
    openapi: "3.1.0",
    info: { title: options.title, version: options.version },
    servers: [{ url: options.serverUrl }],
    components: {
      ...(options.securitySchemes !== undefined && { securitySchemes: options.securitySchemes }),
      schemas: { ...definitions, Error: error },
    },
    paths,
  }
}
