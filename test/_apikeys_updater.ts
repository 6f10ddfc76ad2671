// A second process for test/apikeys_hostile_test.ts: `updates` concurrent updates of key `keyId` in the SQLite file
// `filename`; prints its failures as JSON.
import { Effect, Exit } from "effect"
import { makeApiKeys } from "../src/apikeys/make_api_keys.ts"
import { SqliteClient } from "../src/sql/sqlite.ts"

const [filename, keyId, updates] = process.argv.slice(2)
const failures = await Effect.runPromise(
  Effect.gen(function* () {
    const keys = yield* makeApiKeys()
    const results = yield* Effect.all(
      Array.from({ length: Number(updates) }, (_, i) => Effect.exit(keys.updateKey(keyId, { custom: { child: i } }))),
      { concurrency: "unbounded" },
    )
    return results.filter(Exit.isFailure).map(String)
  }).pipe(Effect.scoped, Effect.provide(SqliteClient.layer({ filename }))),
)
console.log(JSON.stringify(failures))
