/**
 * The body of a control request (`/__mock/...`): a JSON object, checked before any handler sees it,
 * so that every control route refuses the same bad input the same way (400 naming what is wrong).
 *
 * @module
 */
import { MAX_JSON_DEPTH, nestingOf } from "../src/core/router.ts"

/**
 * The JSON object of a control request's body (an empty body is `{}`), or why it is not one: not
 * JSON, not an object, nested deeper than `maxDepth`, or (when `known` is given) a field not in
 * `known`.
 */
export const controlBody = async (
  request: Request,
  known?: ReadonlyArray<string>,
  maxDepth: number = MAX_JSON_DEPTH,
): Promise<Record<string, unknown> | string> => {
  const text = await request.text().catch(() => "")
  if (text.trim() === "") return {}
  if (nestingOf(text) > maxDepth) return `the body nests deeper than ${maxDepth} levels`
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return "the body is not JSON"
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "the body must be a JSON object"
  const input = value as Record<string, unknown>
  return known === undefined ? input : unknownField(input, known) ?? input
}

/** The first field of `input` not in `known`, as a refusal. */
export const unknownField = (input: Record<string, unknown>, known: ReadonlyArray<string>): string | undefined => {
  const field = Object.keys(input).find((key) => !known.includes(key))
  return field === undefined ? undefined : `unknown field ${field} (known: ${known.join(", ") || "none"})`
}
