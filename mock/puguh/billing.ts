/**
 * The PUGUH mock's billing: plans priced in IDR, one subscription per organization moving through
 * its states on the mock clock, and invoices numbered `INV-YYYY-NNNN` (counted per year).
 *
 * ```
 * subscribe -> active --renewal declined--> past_due --3 days unpaid--> grace_period --7 days--> cancelled
 *              active, past_due --cancel--> grace_period (7 days) --> cancelled
 *              past_due, unpaid grace_period --payment method fixed--> active (the open invoices paid)
 *              cancelled-in-grace --upgrade--> active
 *              (control) suspend --> suspended --cancel--> cancelled
 * ```
 *
 * Transitions happen when the clock passes their time, read lazily whenever a subscription is
 * looked at. A payment method `pm_card_declined` declines; any other `pm_...` pays.
 *
 * @module
 */
import type { MockClock } from "../clock.ts"
import { conflict, invalid, notFound, Problem } from "./problem.ts"

/** A plan, prices in whole rupiah. */
export interface MockPlan {
  /** `free`, `pro`, `business`, `enterprise`. */
  readonly id: string
  /** Its name. */
  readonly name: string
  /** Monthly price, IDR. */
  readonly price: number
  /** Yearly price, IDR. */
  readonly priceYearly: number
  /** What it includes. */
  readonly features: ReadonlyArray<string>
  /** Members, applications and API calls a month; `null` is unlimited. */
  readonly limits: Readonly<Record<"members" | "applications" | "api_calls", number | null>>
}

/** The plans. INFERRED prices: the two vendor docs disagree. */
export const PUGUH_PLANS: ReadonlyArray<MockPlan> = [
  {
    id: "free",
    name: "Free",
    price: 0,
    priceYearly: 0,
    features: ["1 application", "Email sign-in", "Community support"],
    limits: { members: 3, applications: 1, api_calls: 10_000 },
  },
  {
    id: "pro",
    name: "Pro",
    price: 149_000,
    priceYearly: 1_490_000,
    features: ["10 applications", "Magic links", "TOTP MFA", "Email support"],
    limits: { members: 10, applications: 10, api_calls: 1_000_000 },
  },
  {
    id: "business",
    name: "Business",
    price: 499_000,
    priceYearly: 4_990_000,
    features: ["50 applications", "Policies and branding", "SSO", "Priority support"],
    limits: { members: 50, applications: 50, api_calls: 10_000_000 },
  },
  {
    id: "enterprise",
    name: "Enterprise",
    price: 2_499_000,
    priceYearly: 24_990_000,
    features: ["Unlimited applications", "SSO", "Audit logs", "Dedicated support"],
    limits: { members: null, applications: null, api_calls: null },
  },
]

/** A subscription's state. */
export type MockSubscriptionStatus = "active" | "past_due" | "grace_period" | "cancelled" | "suspended"

/** A subscription as the mock keeps it; times in mock-clock epoch millis. */
export interface MockSubscription {
  /** Its id. */
  readonly id: string
  /** The organization. */
  readonly organizationId: string
  /** The plan's id. */
  readonly plan: string
  /** Its state. */
  readonly status: MockSubscriptionStatus
  /** How often it renews. */
  readonly billingCycle: "monthly" | "yearly"
  /** The current period's start (epoch millis). */
  readonly currentPeriodStart: number
  /** The current period's end, when it renews (epoch millis). */
  readonly currentPeriodEnd: number
  /** When it was made (mock-clock epoch millis). */
  readonly createdAt: number
  /** When it was cancelled. */
  readonly cancelledAt: number | null
  /** When a grace period ends in `cancelled`. */
  readonly gracePeriodEndsAt: number | null
  /** When a renewal was first declined; `null` when nothing is owed. */
  readonly pastDueSince: number | null
  /** What renewals charge; `pm_card_declined` declines. */
  readonly paymentMethodId: string | null
}

/** An invoice as the mock keeps it. */
export interface MockInvoice {
  /** Its id. */
  readonly id: string
  /** `INV-YYYY-NNNN`, counted per year across organizations. */
  readonly number: string
  /** The organization. */
  readonly organizationId: string
  /** The plan's id. */
  readonly plan: string
  /** Whole IDR. */
  readonly amount: number
  /** Its state. */
  readonly status: "paid" | "open" | "void"
  /** The period's start (epoch millis). */
  readonly periodStart: number
  /** The period's end (epoch millis). */
  readonly periodEnd: number
  /** When it was paid; `null` while open or void. */
  readonly paidAt: number | null
  /** When it was made (mock-clock epoch millis). */
  readonly createdAt: number
}

const DAY = 86_400_000

/** How long a declined renewal is retried before the grace period. */
export const PAST_DUE_DAYS = 3

/** How long a grace period lasts, after a cancel or past the retries. */
export const GRACE_PERIOD_DAYS = 7

/** The payment method that declines, as a card processor's test cards do. */
export const DECLINED_PAYMENT_METHOD = "pm_card_declined"

const addMonths = (epochMillis: number, months: number): number => {
  const date = new Date(epochMillis)
  date.setUTCMonth(date.getUTCMonth() + months)
  return date.getTime()
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

/** Billing state, on the mock clock. */
export class BillingState {
  readonly #clock: MockClock
  #subscriptions = new Map<string, Mutable<MockSubscription>>()
  #invoices = new Map<string, Array<Mutable<MockInvoice>>>()
  #sequence = new Map<number, number>()

  /** Empty billing, reading `clock`. */
  constructor(clock: MockClock) {
    this.#clock = clock
  }

  /** No subscriptions, no invoices, numbering from 1 again. */
  reset(): void {
    this.#subscriptions = new Map()
    this.#invoices = new Map()
    this.#sequence = new Map()
  }

  /** Every plan. */
  plans(): ReadonlyArray<MockPlan> {
    return PUGUH_PLANS
  }

  /** A plan, or a 404. */
  plan(planId: string): MockPlan {
    const plan = PUGUH_PLANS.find((p) => p.id === planId)
    if (plan === undefined) throw notFound("Plan")
    return plan
  }

  /** The organization's subscription, brought up to the clock, or `undefined`. */
  subscription(organizationId: string): MockSubscription | undefined {
    const subscription = this.#subscriptions.get(organizationId)
    if (subscription !== undefined) this.#settle(subscription)
    return subscription
  }

  #required(organizationId: string): Mutable<MockSubscription> {
    const subscription = this.#subscriptions.get(organizationId)
    if (subscription === undefined) throw notFound("Subscription")
    this.#settle(subscription)
    return subscription
  }

  /** The organization's invoices, newest first. */
  invoices(organizationId: string): ReadonlyArray<MockInvoice> {
    this.subscription(organizationId)
    return [...(this.#invoices.get(organizationId) ?? [])].reverse()
  }

  /**
   * Subscribes an organization: 409 while it has a subscription that is not `cancelled`, 404 for an
   * unknown plan, 422 for a paid plan without a payment method, 402 when the payment declines.
   */
  subscribe(
    organizationId: string,
    planId: string,
    billingCycle: "monthly" | "yearly" = "monthly",
    paymentMethodId?: string,
  ): MockSubscription {
    const existing = this.subscription(organizationId)
    if (existing !== undefined && existing.status !== "cancelled") {
      throw conflict("The organization already has a subscription: upgrade it instead", "subscription_exists")
    }
    const plan = this.plan(planId)
    const price = billingCycle === "yearly" ? plan.priceYearly : plan.price
    if (paymentMethodId !== undefined && !paymentMethodId.startsWith("pm_")) {
      throw invalid(["body", "payment_method_id"], "A payment method id starts with pm_")
    }
    if (price > 0 && paymentMethodId === undefined) {
      throw invalid(["body", "payment_method_id"], "A paid plan needs a payment method", "missing")
    }
    const now = this.#clock.now()
    const end = addMonths(now, billingCycle === "yearly" ? 12 : 1)
    if (price > 0) this.#charge(organizationId, plan.id, price, now, end, paymentMethodId ?? null, true)
    const subscription: Mutable<MockSubscription> = {
      id: `sub_${crypto.randomUUID().replaceAll("-", "").slice(0, 24)}`,
      organizationId,
      plan: plan.id,
      status: "active",
      billingCycle,
      currentPeriodStart: now,
      currentPeriodEnd: end,
      createdAt: now,
      cancelledAt: null,
      gracePeriodEndsAt: null,
      pastDueSince: null,
      paymentMethodId: paymentMethodId ?? null,
    }
    this.#subscriptions.set(organizationId, subscription)
    return subscription
  }

  /**
   * Moves to another plan at once, charging the price difference for what is left of the period
   * (nothing when it costs less). A cancelled subscription in its grace period is reactivated.
   */
  upgrade(organizationId: string, planId: string): MockSubscription {
    const subscription = this.#required(organizationId)
    if (subscription.status === "cancelled" || subscription.status === "suspended") {
      throw conflict(`A ${subscription.status} subscription cannot change plan`, "subscription_inactive")
    }
    if (subscription.plan === planId) throw conflict("The subscription is already on that plan", "same_plan")
    const from = this.plan(subscription.plan)
    const to = this.plan(planId)
    const price = (plan: MockPlan) => subscription.billingCycle === "yearly" ? plan.priceYearly : plan.price
    const now = this.#clock.now()
    const left = (subscription.currentPeriodEnd - now) /
      (subscription.currentPeriodEnd - subscription.currentPeriodStart)
    const amount = Math.round((price(to) - price(from)) * Math.max(0, left))
    if (amount > 0) {
      this.#charge(
        organizationId,
        to.id,
        amount,
        now,
        subscription.currentPeriodEnd,
        subscription.paymentMethodId,
        true,
      )
    }
    subscription.plan = to.id
    if (subscription.status === "grace_period" && subscription.pastDueSince === null) {
      Object.assign(subscription, { status: "active", cancelledAt: null, gracePeriodEndsAt: null })
    }
    return subscription
  }

  /** Cancels: `grace_period` for 7 days (service continues), then `cancelled`; a suspended one at once. */
  cancel(organizationId: string): MockSubscription {
    const subscription = this.#required(organizationId)
    const now = this.#clock.now()
    if (subscription.status === "cancelled" || subscription.cancelledAt !== null) {
      throw conflict("The subscription is already cancelled", "subscription_cancelled")
    }
    subscription.cancelledAt = now
    if (subscription.status === "suspended") {
      subscription.status = "cancelled"
    } else {
      subscription.status = "grace_period"
      subscription.gracePeriodEndsAt = now + GRACE_PERIOD_DAYS * DAY
    }
    return subscription
  }

  /** Suspends the organization's subscription (what the provider does on abuse or fraud). */
  suspend(organizationId: string): MockSubscription {
    const subscription = this.#required(organizationId)
    subscription.status = "suspended"
    return subscription
  }

  /** Sets the payment method renewals charge; `pm_card_declined` makes them fail. */
  setPaymentMethod(organizationId: string, paymentMethodId: string): void {
    this.#required(organizationId).paymentMethodId = paymentMethodId
  }

  /** Invoices an amount; paid at once unless the method declines (402 when `required`, else left open). */
  #charge(
    organizationId: string,
    plan: string,
    amount: number,
    periodStart: number,
    periodEnd: number,
    paymentMethodId: string | null,
    required: boolean,
  ): boolean {
    const paid = paymentMethodId !== null && paymentMethodId !== DECLINED_PAYMENT_METHOD
    if (!paid && required) throw new Problem(402, "The payment was declined", "payment_declined")
    const at = periodStart
    const year = new Date(at).getUTCFullYear()
    const sequence = (this.#sequence.get(year) ?? 0) + 1
    this.#sequence.set(year, sequence)
    const invoices = this.#invoices.get(organizationId) ?? []
    invoices.push({
      id: `inv_${crypto.randomUUID().replaceAll("-", "").slice(0, 24)}`,
      number: `INV-${year}-${String(sequence).padStart(4, "0")}`,
      organizationId,
      plan,
      amount,
      status: paid ? "paid" : "open",
      periodStart,
      periodEnd,
      paidAt: paid ? at : null,
      createdAt: at,
    })
    this.#invoices.set(organizationId, invoices)
    return paid
  }

  /** Pays the open invoices with the subscription's method, at `at`; whether it did. */
  #payOpen(subscription: MockSubscription, at: number): boolean {
    const method = subscription.paymentMethodId
    if (method === null || method === DECLINED_PAYMENT_METHOD) return false
    for (const invoice of this.#invoices.get(subscription.organizationId) ?? []) {
      if (invoice.status === "open") Object.assign(invoice, { status: "paid", paidAt: at })
    }
    return true
  }

  /** Applies every transition whose time the clock has passed, in order. */
  #settle(subscription: Mutable<MockSubscription>): void {
    for (;;) {
      const now = this.#clock.now()
      if (
        subscription.status === "active" && subscription.cancelledAt === null && now >= subscription.currentPeriodEnd
      ) {
        this.#renew(subscription)
      } else if (subscription.status === "past_due" && this.#payOpen(subscription, now)) {
        Object.assign(subscription, { status: "active", pastDueSince: null })
      } else if (subscription.status === "past_due" && now >= subscription.pastDueSince! + PAST_DUE_DAYS * DAY) {
        const start = subscription.pastDueSince! + PAST_DUE_DAYS * DAY
        Object.assign(subscription, { status: "grace_period", gracePeriodEndsAt: start + GRACE_PERIOD_DAYS * DAY })
      } else if (
        subscription.status === "grace_period" && subscription.pastDueSince !== null &&
        this.#payOpen(subscription, now)
      ) {
        Object.assign(subscription, { status: "active", pastDueSince: null, gracePeriodEndsAt: null })
      } else if (subscription.status === "grace_period" && now >= subscription.gracePeriodEndsAt!) {
        for (const invoice of this.#invoices.get(subscription.organizationId) ?? []) {
          if (invoice.status === "open") invoice.status = "void"
        }
        subscription.status = "cancelled"
      } else {
        return
      }
    }
  }

  /** The renewal at the end of the period: a new period, its invoice paid, or `past_due` when declined. */
  #renew(subscription: Mutable<MockSubscription>): void {
    const plan = this.plan(subscription.plan)
    const start = subscription.currentPeriodEnd
    const end = addMonths(start, subscription.billingCycle === "yearly" ? 12 : 1)
    const price = subscription.billingCycle === "yearly" ? plan.priceYearly : plan.price
    const paid = price === 0 ||
      this.#charge(subscription.organizationId, plan.id, price, start, end, subscription.paymentMethodId, false)
    Object.assign(subscription, { currentPeriodStart: start, currentPeriodEnd: end })
    if (!paid) Object.assign(subscription, { status: "past_due", pastDueSince: start })
  }
}
