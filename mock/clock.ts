/**
 * The mock's clock. Rate limits, quotas and expiries read it, so a test moves time on instead of
 * sleeping.
 *
 * @module
 */

/**
 * A clock a test can move. It starts at the real time and then runs with it, plus every `advance`.
 *
 * @example
 * ```ts
 * import { createMock } from "@gatehouse/sdk/mock"
 *
 * const mock = createMock()
 * mock.clock.set(Date.parse("2030-01-01T00:00:00Z"))
 * mock.clock.advance(24 * 3_600_000) // a day on: PUID's daily quota is fresh again
 * console.log(new Date(mock.clock.now()).toISOString().slice(0, 10)) // 2030-01-02
 * ```
 */
export class MockClock {
  #offset = 0
  readonly #listeners = new Set<() => void>()

  /** Milliseconds since the epoch, as the mock sees them. */
  now(): number {
    return Date.now() + this.#offset
  }

  /** Moves the clock on by `millis` (a negative value moves it back). */
  advance(millis: number): void {
    this.#offset += millis
    this.#moved()
  }

  /** Sets the clock to `epochMillis`, from where it runs on with real time. */
  set(epochMillis: number): void {
    this.#offset = epochMillis - Date.now()
    this.#moved()
  }

  /** Back to real time. */
  reset(): void {
    this.#offset = 0
    this.#moved()
  }

  /**
   * Calls `listener` each time the clock is moved (`advance`, `set`, `reset`), so that what falls
   * due (a webhook retry) happens then. Returns the function that stops it.
   */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  #moved(): void {
    for (const listener of this.#listeners) listener()
  }
}
