// Tokens are kept in thousandths so that refills on whole milliseconds at whole rates are exact:
// `elapsedMs * perSecond` thousandths are added, one admission costs 1000.
const UNIT = 1000;

/**
 * A token bucket: admits up to `burst` requests at once and refills at `perSecond` tokens per
 * second, on whatever clock the caller passes in.
 */
export class TokenBucket {
  #perSecond: number;
  #capacity: number;
  #units: number;
  #last: number;

  constructor(perSecond: number, burst: number, now: number) {
    this.#perSecond = perSecond;
    this.#capacity = burst * UNIT;
    this.#units = this.#capacity;
    this.#last = now;
  }

  /** Takes one token if there is one. */
  tryTake(now: number): boolean {
    this.#refill(now);
    if (this.#units < UNIT) return false;
    this.#units -= UNIT;
    return true;
  }

  /** Tokens available at `now` (fractional). */
  available(now: number): number {
    this.#refill(now);
    return this.#units / UNIT;
  }

  /** Applies a new rate and burst; tokens earned so far are kept, up to the new burst. */
  reconfigure(perSecond: number, burst: number, now: number): void {
    this.#refill(now);
    this.#perSecond = perSecond;
    this.#capacity = burst * UNIT;
    if (this.#units > this.#capacity) this.#units = this.#capacity;
  }

  #refill(now: number): void {
    const elapsed = now - this.#last;
    if (elapsed <= 0) return;
    this.#last = now;
    const units = this.#units + elapsed * this.#perSecond;
    this.#units = Math.min(units, this.#capacity);
  }
}
