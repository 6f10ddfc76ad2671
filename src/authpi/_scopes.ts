// Where each row of the table is mounted: the scopes of the client (account, issuer(i), user(u)...)
// and what each holds, read from the rows' `scope` and `accessor`. The Effect service and the
// Promise facade are both built by walking it.
import type { Row } from "./_resource.ts"
import { type ResourceName, RESOURCES, resources, type ResourceSpec, type Scope } from "./resources.ts"

/** The row each entity scope is an item of: `issuer(id)` is an item of `issuers`. */
export const SCOPE_ROWS: { readonly [S in Exclude<Scope, "account">]: ResourceName } = {
  issuer: "issuers",
  user: "users",
  agent: "agents",
  organization: "organizations",
  webhook: "webhooks",
}

/** The rows a scope holds, as its accessors: `users`, `agents`... on `issuer(i)`. */
export const rowsIn = (scope: Scope): ReadonlyArray<readonly [ResourceName, ResourceSpec]> =>
  resources.filter(([, spec]) => spec.scope === scope)

/** The entity scopes a scope opens, with their rows: `user(id)` and `agent(id)` on `issuer(i)`. */
export const scopesIn = (scope: Scope): ReadonlyArray<readonly [Exclude<Scope, "account">, ResourceSpec]> =>
  (Object.entries(SCOPE_ROWS) as Array<[Exclude<Scope, "account">, ResourceName]>)
    .filter(([, row]) => RESOURCES[row].scope === scope)
    .map(([child, row]) => [child, RESOURCES[row]] as const)

/** The root's `accounts`: `GET /v1/accounts`, and `GET`/`PATCH` of one account. */
export const ACCOUNTS: Row = { operations: ["list", "get", "update"], id: "account_id" }

/** The method names of a resource object: its operations (`list` bringing `listAll`) and actions. */
export const methodsOf = (row: Row): ReadonlyArray<string> => [
  ...row.operations.flatMap((operation) => operation === "list" ? ["list", "listAll"] : [operation]),
  ...Object.keys(row.actions ?? {}),
]
