/**
 * The explicit type of a `Schema.TaggedError` base class, so that an error class publishes to JSR
 * without slow types: `const XBase: TaggedErrorClass<X, "X", XFields> = Schema.TaggedError<X>()("X", {...})`,
 * then `export class X extends XBase {}`.
 *
 * @module
 */
import type { Cause, Schema } from "effect"

/** The class `Schema.TaggedError<Self>()(tag, fields)` returns. */
export type TaggedErrorClass<Self, Tag extends string, Fields extends Schema.Struct.Fields> = Schema.Class<
  Self,
  Schema.TaggedStruct<Tag, Fields>,
  Cause.YieldableError
>
