/**
 * How long a number sampled by a periodic sweep has stayed the same: the sweep's way to tell a
 * client that sent no command, or took no bytes, without a timer re-armed per statement.
 */
export class Stillness {
  private value = Number.NaN;
  private since = 0;

  /** Forget the last sample (the thing watched is not waiting now). */
  reset(): void {
    this.value = Number.NaN;
  }

  /** Milliseconds `value` has stayed as it is, as of `now`; 0 when it just changed. */
  for(value: number, now: number): number {
    if (value !== this.value) {
      this.value = value;
      this.since = now;
      return 0;
    }
    return now - this.since;
  }
}
