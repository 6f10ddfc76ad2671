/**
 * The AuthPI mock's webhook deliveries: every event goes, as an HTTP POST (a real `fetch`), to
 * each active webhook of its account subscribed to its type, signed as AuthPI signs them
 * (`X-Webhook-Signature`, see `src/authpi/webhook_signature.ts`) and/or with the webhook's bearer
 * token. Every attempt is a delivery record (`pending`, then `succeeded` or `failed`, with the
 * receiver's status or `null`, and how long it took); a failed attempt is tried again on the mock
 * clock after 1 min, 5 min, then 30 min (4 attempts in all). Deliveries never delay the API's
 * answer: `settled()` is how a test waits for them.
 *
 * @module
 */
import { signWebhookPayload } from "../../src/authpi/webhook_signature.ts"
import type { MockClock } from "../clock.ts"

/** How long after a failed attempt the next one is due, by attempt: 1 min, 5 min, 30 min. */
export const WEBHOOK_RETRY_DELAYS_MS: ReadonlyArray<number> = [60_000, 300_000, 1_800_000]

/** Attempts of one event to one webhook before the mock gives up (the first and three retries). */
export const WEBHOOK_MAX_ATTEMPTS = 4

/** How long the mock waits for a receiver, in real milliseconds. */
export const WEBHOOK_TIMEOUT_MS = 10_000

/** The `User-Agent` of the mock's deliveries. */
export const WEBHOOK_USER_AGENT = "AuthPI-Webhooks/0.3.0 (gatehouse mock)"

/** A webhook, as the deliveries need it. */
export interface WebhookTarget {
  /** The webhook's id (`wh_`). */
  readonly id: string
  /** Where its deliveries are POSTed. */
  readonly url: string
  /** `none`, `bearer`, `signature` or `bearer+signature`. */
  readonly auth_type: string
}

/** The webhook's secrets, in the clear: only the deliveries hold them. */
export interface WebhookCredentials {
  /** Sent as `Authorization: Bearer <bearer>` when the auth type has `bearer`. */
  readonly bearer?: string | undefined
  /** Signs `X-Webhook-Signature` when the auth type has `signature`. */
  readonly signature?: string | undefined
}

/** What the deliveries read and write of the mock's state. */
export interface DeliveryStore {
  /** The account's active webhooks subscribed to `type`. */
  readonly subscribers: (accountId: string, type: string) => ReadonlyArray<WebhookTarget>
  /** The webhook, if it still exists and is active. */
  readonly target: (accountId: string, webhookId: string) => WebhookTarget | undefined
  /** The webhook's secrets in the clear, kept privately by the state. */
  readonly credentials: (webhookId: string) => WebhookCredentials | undefined
  /** The event's JSON, as its receivers get it; `undefined` when it is gone. */
  readonly event: (accountId: string, eventId: string) => Readonly<Record<string, unknown>> | undefined
  /** Records a delivery attempt (a `dlv_` item under the webhook); returns its id. */
  readonly record: (accountId: string, webhookId: string, fields: Readonly<Record<string, unknown>>) => string
  /** Updates a delivery attempt; `false` when it is gone (a reset, a deleted webhook). */
  readonly update: (
    accountId: string,
    webhookId: string,
    deliveryId: string,
    fields: Readonly<Record<string, unknown>>,
  ) => boolean
}

/** A retry waiting for its time on the mock clock. */
export interface ScheduledDelivery {
  /** The account of the webhook and the event. */
  readonly accountId: string
  /** The webhook it goes to. */
  readonly webhookId: string
  /** The event it carries. */
  readonly eventId: string
  /** The event's type (`user.created`). */
  readonly eventType: string
  /** The attempt it will be (2 to 4). */
  readonly attempt: number
  /** When it is due, on the mock clock (Unix ms). */
  readonly dueAt: number
}

/**
 * The deliveries of one mock: dispatch on every event, retries on the mock clock, redelivery on
 * demand, and `settled()` for tests.
 */
export class WebhookDeliveries {
  readonly #clock: MockClock
  readonly #store: DeliveryStore
  readonly #fetch: () => typeof globalThis.fetch
  #inFlight = new Set<Promise<void>>()
  #scheduled: Array<ScheduledDelivery> = []
  /** Moves on at every reset: attempts of an older state record nothing. */
  #generation = 0

  /** Deliveries over `store`, on `clock`, sending with `fetch` (the global `fetch` at the time of each attempt by default). */
  constructor(clock: MockClock, store: DeliveryStore, fetch?: typeof globalThis.fetch) {
    this.#clock = clock
    this.#store = store
    this.#fetch = fetch === undefined ? () => globalThis.fetch : () => fetch
  }

  /** Sends `event` to every active webhook of the account subscribed to its type; returns the attempts started. */
  dispatch(accountId: string, event: { readonly id: string; readonly type: string }): number {
    const targets = this.#store.subscribers(accountId, event.type)
    for (const target of targets) this.#start(accountId, target, event.id, event.type, 1, true)
    return targets.length
  }

  /** Starts every retry that is due on the mock clock; returns how many. */
  deliverDue(): number {
    const now = this.#clock.now()
    const due = this.#scheduled.filter((retry) => retry.dueAt <= now)
    if (due.length === 0) return 0
    this.#scheduled = this.#scheduled.filter((retry) => retry.dueAt > now)
    let started = 0
    for (const retry of due) {
      const target = this.#store.target(retry.accountId, retry.webhookId)
      if (target === undefined) continue
      this.#start(retry.accountId, target, retry.eventId, retry.eventType, retry.attempt, true)
      started++
    }
    return started
  }

  /**
   * Delivers an event to a webhook again, now, whatever its earlier attempts did: one attempt,
   * numbered after the last, not retried. Any retry of the same event to it that was waiting is
   * dropped. Returns the new delivery's id, or `undefined` when the webhook is not active.
   */
  redeliver(
    accountId: string,
    webhookId: string,
    eventId: string,
    eventType: string,
    attempt: number,
  ): string | undefined {
    const target = this.#store.target(accountId, webhookId)
    if (target === undefined) return undefined
    this.#scheduled = this.#scheduled.filter((r) => !(r.webhookId === webhookId && r.eventId === eventId))
    return this.#start(accountId, target, eventId, eventType, attempt, false)
  }

  /** Drops the waiting retries of a webhook (it was deleted or disabled). */
  forget(webhookId: string): void {
    this.#scheduled = this.#scheduled.filter((retry) => retry.webhookId !== webhookId)
  }

  /** The retries waiting for their time, soonest first. */
  scheduled(): ReadonlyArray<ScheduledDelivery> {
    return [...this.#scheduled].sort((a, b) => a.dueAt - b.dueAt)
  }

  /** Resolves when no attempt is in flight (attempts started meanwhile included). */
  async settled(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight])
  }

  /** Forgets every waiting retry; attempts in flight finish without recording anything. */
  reset(): void {
    this.#generation++
    this.#scheduled = []
  }

  #start(
    accountId: string,
    target: WebhookTarget,
    eventId: string,
    eventType: string,
    attempt: number,
    retried: boolean,
  ): string {
    const deliveryId = this.#store.record(accountId, target.id, {
      webhook_id: target.id,
      event_id: eventId,
      event_type: eventType,
      attempt,
      status: "pending",
      response_code: null,
      duration_ms: 0,
      next_attempt_at: null,
    })
    const running = this.#attempt(accountId, target, deliveryId, eventId, eventType, attempt, retried)
      .finally(() => this.#inFlight.delete(running))
    this.#inFlight.add(running)
    return deliveryId
  }

  async #attempt(
    accountId: string,
    target: WebhookTarget,
    deliveryId: string,
    eventId: string,
    eventType: string,
    attempt: number,
    retried: boolean,
  ): Promise<void> {
    const generation = this.#generation
    const event = this.#store.event(accountId, eventId)
    if (event === undefined) return
    const body = JSON.stringify(event)
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "user-agent": WEBHOOK_USER_AGENT,
      "x-webhook-id": target.id,
      "x-webhook-event": eventType,
      "x-webhook-delivery": deliveryId,
      "x-webhook-attempt": String(attempt),
    }
    const credentials = this.#store.credentials(target.id) ?? {}
    if (target.auth_type.includes("signature") && credentials.signature !== undefined) {
      headers["x-webhook-signature"] = await signWebhookPayload(
        body,
        credentials.signature,
        Math.floor(this.#clock.now() / 1000),
      )
    }
    if (target.auth_type.includes("bearer") && credentials.bearer !== undefined) {
      headers.authorization = `Bearer ${credentials.bearer}`
    }
    const started = performance.now()
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(), WEBHOOK_TIMEOUT_MS)
    let code: number | null = null
    try {
      const response = await this.#fetch()(target.url, { method: "POST", headers, body, signal: controller.signal })
      code = response.status
      await response.body?.cancel().catch(() => {})
    } catch {
      code = null
    } finally {
      clearTimeout(timer)
    }
    if (generation !== this.#generation) return
    const succeeded = code !== null && code >= 200 && code < 300
    const retry = !succeeded && retried && attempt < WEBHOOK_MAX_ATTEMPTS
    const nextAttemptAt = retry ? this.#clock.now() + WEBHOOK_RETRY_DELAYS_MS[attempt - 1] : null
    const recorded = this.#store.update(accountId, target.id, deliveryId, {
      status: succeeded ? "succeeded" : "failed",
      response_code: code,
      duration_ms: Math.max(0, Math.round(performance.now() - started)),
      next_attempt_at: nextAttemptAt,
    })
    if (recorded && nextAttemptAt !== null) {
      this.#scheduled.push({
        accountId,
        webhookId: target.id,
        eventId,
        eventType,
        attempt: attempt + 1,
        dueAt: nextAttemptAt,
      })
    }
  }
}
