/**
 * The mock's clock. Rate limits, quotas and expiries read it, so a test moves time on instead of
 * sleeping.
 *
 * @module
 */

/** A clock a test can move. It starts at the real time and then runs with it, plus every `advance`. */
export class MockClock {
  #offset = 0

  /** Milliseconds since the epoch, as the mock sees them. */
  now(): number {
    return Date.now() + this.#offset
  }

  /** Moves the clock on by `millis` (a negative value moves it back). */
  advance(millis: number): void {
    this.#offset += millis
  }

  /** Sets the clock to `epochMillis`, from where it runs on with real time. */
  set(epochMillis: number): void {
    this.#offset = epochMillis - Date.now()
  }

  /** Back to real time. */
  reset(): void {
    this.#offset = 0
  }
}
