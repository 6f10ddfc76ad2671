/**
 * PUGUH (ARSAKA PUGUH): authentication, organizations, applications and billing. Sign users in
 * (passwords, magic links, TOTP MFA), verify their access tokens locally against the API's JWKS,
 * manage organizations with their roles and members, applications, and subscriptions billed in IDR.
 *
 * Two auth modes: a user's access token, or a service key with the organization it acts in. The
 * seed's context (`setOrganizationContext`, `setApplicationContext`, `clearContext`) supplies the
 * ids a call does not name and sends them as `X-Organization-ID` / `X-Application-ID`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { FetchHttpClient } from "effect/http"
 * import { Puguh } from "@gatehouse/sdk/puguh"
 *
 * const program = Effect.gen(function* () {
 *   const puguh = yield* Puguh
 *   const plans = yield* puguh.billing.getPlans()
 *   for (const plan of plans) yield* Effect.log(`${plan.name}: ${plan.price}/mo`)
 *   const claims = yield* puguh.verifyToken("eyJ...") // who is calling: the seed has no get_me
 *   return claims.sub
 * }).pipe(
 *   Effect.provide(Puguh.layer({ apiKey: "pk_live_...", organizationId: "org-uuid" })),
 *   Effect.provide(FetchHttpClient.layer),
 * )
 * ```
 *
 * @module
 */
export {
  type AddApplicationMember,
  type ArgumentCallError,
  type CallError,
  type ContextCallError,
  type CreateApplication,
  type CreateOrganization,
  type CreateSubscription,
  type InviteMember,
  type LoginInput,
  type OrganizationListOptions,
  type PageOptions,
  Puguh,
  type PuguhApplications,
  type PuguhAuth,
  type PuguhBilling,
  type PuguhContext,
  type PuguhCredentialOptions,
  type PuguhOptions,
  type PuguhOrganizations,
  type PuguhService,
  type RegisterInput,
  type RemoveMember,
  type RequestError,
  type Secret,
  type UpdateApplication,
  type UpdateMemberRole,
  type UpdateOrganization,
  type UpgradeSubscription,
  type VerifyOptions,
  type VerifyToken,
} from "./client.ts"
export {
  type AccessTokenClaims,
  API_KEY_HEADER,
  type Application,
  APPLICATION_HEADER,
  type ApplicationMember,
  type BillingCycle,
  type BillingPrefix,
  DEFAULT_AUDIENCE,
  DEFAULT_BASE_URL,
  DEFAULT_ISSUER,
  DEFAULT_PAGE_SIZE,
  type Environment,
  type ErrorBody,
  type Invitation,
  type InvitationStatus,
  type Invoice,
  type InvoiceStatus,
  type JsonWebKeySet,
  MAX_PAGE_SIZE,
  type Member,
  type Message,
  type MfaSetup,
  type MfaStatus,
  type OpenString,
  type Organization,
  ORGANIZATION_HEADER,
  type OrganizationType,
  type Page,
  type Plan,
  type Registration,
  type Role,
  ROLES,
  type Subscription,
  type SubscriptionStatus,
  type Tokens,
  type UnknownFields,
  type Usage,
  type UserContext,
  type ValidationIssue,
} from "./contract.ts"
export {
  ApiError,
  AuthError,
  ConfigurationError,
  type ContextKind,
  InvalidArgument,
  isPuguhError,
  MissingContext,
  NetworkError,
  type NetworkFailure,
  PuguhError,
  type PuguhErrorCode,
  type PuguhErrorTag,
  type PuguhFailure,
  RateLimitError,
} from "./errors.ts"
export {
  type PromisedApplications,
  type PromisedOrganizations,
  PuguhClient,
  type PuguhPromiseClient,
  type WithFetch,
} from "./promise.ts"
export { RetryPolicy, type RetryPolicyOptions } from "../core/retry.ts"
export type { TransportOptions } from "../core/client.ts"
export type { PromiseClient, Promised } from "../core/promise.ts"
export { USER_AGENT, VERSION } from "../core/version.ts"
