/**
 * AuthPI Admin: the `AuthPI` service (and `AuthPIClient`, its Promise form) over every resource of
 * the Admin API, from one table: account-level resources and scopes into an issuer, a user, an
 * agent, an organization or a webhook; cursor pages and `listAll` streams; `_etag` and `ifMatch`;
 * an `Idempotency-Key` on every POST, so writes are retried without being applied twice; the
 * seed's retries and token refresh; its 16 error classes; and `verifyWebhookSignature` for the
 * apps that receive AuthPI's webhooks.
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import { FetchHttpClient } from "effect/http"
 * import { AuthPI } from "@gatehouse/sdk/authpi"
 *
 * const users = Effect.gen(function* () {
 *   const admin = yield* AuthPI
 *   const issuer = admin.issuer("i_4r8w2k9m5x1p7q3e6t0y2u4i8")
 *   yield* issuer.users.create({ email: "alice@example.com", display_name: "Alice" })
 *   return yield* Stream.runCollect(issuer.users.listAll({ status: "active" }))
 * }).pipe(Effect.provide(AuthPI.layer({ apiKey: "key_..." })), Effect.provide(FetchHttpClient.layer))
 * ```
 *
 * @module
 */
export {
  type AccountsResource,
  type AgentScope,
  AuthPI,
  AUTHPI_RETRY,
  type AuthPICredentialOptions,
  type AuthPIOptions,
  type AuthPIService,
  type IssuerScope,
  type OrganizationScope,
  type RetriesOptions,
  type Secret,
  type TokenRefresh,
  type UserScope,
  type WebhookScope,
} from "./client.ts"
export { AuthPIClient, type AuthPIPromiseClient, type Promised, type WithFetch } from "./promise.ts"
export {
  type AccountReadError,
  type AccountWriteError,
  type ApiError,
  AuthenticationError,
  type AuthPIError,
  BadGatewayError,
  ClosedClientError,
  ConfigurationError,
  ConflictError,
  ConnectionError,
  type CreateError,
  ForbiddenError,
  GatewayTimeoutError,
  InternalServerError,
  isApiError,
  isServerError,
  type MeError,
  NotFoundError,
  PreconditionFailedError,
  RateLimitError,
  type ReadError,
  type ServerError,
  ServiceUnavailableError,
  UnexpectedError,
  ValidationError,
  type WriteError,
} from "./errors.ts"
export type { ListOptions, Page } from "./page.ts"
export type {
  ActionMethod,
  ActionResult,
  ActionsOf,
  CreateOptions,
  FiltersOf,
  FilterValues,
  MethodsOf,
  ModelOf,
  Operations,
  OperationsOf,
  ResourceClient,
  ResourceOf,
  WriteOptions,
} from "./resource.ts"
export type {
  Account,
  Agent,
  ApiKey,
  Approval,
  AuthMethod,
  AuthMethodKind,
  Body,
  Client,
  Delivery,
  Domain,
  Event,
  EventAggregate,
  Group,
  Invitation,
  Issuer,
  Me,
  MeAccount,
  Member,
  Note,
  Organization,
  PersonalToken,
  Resource,
  Session,
  TrustedDevice,
  User,
  Verifier,
  Webhook,
  WebhookAuthType,
  WireResource,
} from "./models.ts"
export { type AuthPIErrorCode, DEFAULT_BASE_URL, DEFAULT_PAGE_SIZE, type ErrorBody, MAX_PAGE_SIZE } from "./contract.ts"
export {
  type Action,
  type Filter,
  type Operation,
  type ResourceName,
  RESOURCES,
  type ResourceSpec,
  type Scope,
} from "./resources.ts"
export {
  DEFAULT_TOLERANCE_SECONDS,
  SIGNATURE_HEADER,
  signWebhookPayload,
  type VerifyWebhookOptions,
  verifyWebhookSignature,
  WebhookSignatureError,
  type WebhookSignatureReason,
} from "./webhook_signature.ts"
export { RetryPolicy, type RetryPolicyOptions } from "../core/retry.ts"
export { USER_AGENT, VERSION } from "../core/version.ts"
