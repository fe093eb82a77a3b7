import { type Address, formatAddress } from '@scalestack/kernel';

/** How a new client connection picks its upstream. */
export type BalancePolicy = 'round_robin' | 'least_connections';

/** What the proxy knows of one upstream, as {@link UpstreamSet.stats} reports it. */
export interface UpstreamStats {
  /** `host:port` or the Unix socket path. */
  address: string;
  /** Client connections piped to it now. */
  active: number;
  /** Connections made to it since start. */
  connects: number;
  /** Connection attempts that failed (refused, timed out, unreachable). */
  failures: number;
  /** Whether it is skipped after a failure, until `retry_after` has passed. */
  down: boolean;
}

/** One upstream server and its counters. */
export class Upstream {
  readonly name: string;
  active = 0;
  connects = 0;
  failures = 0;
  /** Skipped until this time (ms, monotonic clock) after a failed connect; 0: up. */
  downUntil = 0;

  constructor(readonly address: Address) {
    this.name = formatAddress(address);
  }

  isDown(now: number): boolean {
    return this.downUntil > now;
  }
}

/**
 * The upstreams of a proxy, and the order a new connection tries them in. Upstreams that are
 * up come first, in the balance policy's order; those marked down after a failed connect come
 * last, so that a client still gets through when every upstream had a failure and one is back
 * before its `retry_after` is over.
 */
export class UpstreamSet {
  #upstreams: Upstream[];
  #policy: BalancePolicy;
  #retryAfter: number;
  /** Where round robin starts next (also breaks least-connections ties, so equal ones take turns). */
  #next = 0;

  constructor(addresses: readonly Address[], policy: BalancePolicy, retryAfterMs: number) {
    if (addresses.length === 0) throw new Error('an upstream set needs at least one upstream');
    this.#upstreams = addresses.map((a) => new Upstream(a));
    this.#policy = policy;
    this.#retryAfter = retryAfterMs;
  }

  get upstreams(): readonly Upstream[] {
    return this.#upstreams;
  }

  /**
   * Replaces the list and settings (a reload). Upstreams that stay keep their counters and
   * their connections; the ones removed get no new connections, and those already piped to
   * them carry on.
   */
  update(addresses: readonly Address[], policy: BalancePolicy, retryAfterMs: number): void {
    if (addresses.length === 0) throw new Error('an upstream set needs at least one upstream');
    const kept = new Map(this.#upstreams.map((u) => [u.name, u]));
    this.#upstreams = addresses.map((a) => kept.get(formatAddress(a)) ?? new Upstream(a));
    this.#policy = policy;
    this.#retryAfter = retryAfterMs;
    this.#next %= this.#upstreams.length;
  }

  /** The upstreams in the order a new connection should try them. */
  order(now: number): Upstream[] {
    const n = this.#upstreams.length;
    const start = this.#next;
    this.#next = (start + 1) % n;
    const rotated: Upstream[] = [];
    for (let i = 0; i < n; i++) rotated.push(this.#upstreams[(start + i) % n] as Upstream);
    // Array.prototype.sort is stable: equal upstreams keep the rotation's order.
    if (this.#policy === 'least_connections') rotated.sort((a, b) => a.active - b.active);
    const up = rotated.filter((u) => !u.isDown(now));
    return up.length === n ? up : [...up, ...rotated.filter((u) => u.isDown(now))];
  }

  /** Marks an upstream down after a failed connect: skipped for `retry_after`. */
  markFailed(upstream: Upstream, now: number): void {
    upstream.failures++;
    upstream.downUntil = now + this.#retryAfter;
  }

  /** Marks an upstream up after a connect succeeded; says whether it was down. */
  markConnected(upstream: Upstream): boolean {
    upstream.connects++;
    const wasDown = upstream.downUntil !== 0;
    upstream.downUntil = 0;
    return wasDown;
  }

  stats(now: number): UpstreamStats[] {
    return this.#upstreams.map((u) => ({
      address: u.name,
      active: u.active,
      connects: u.connects,
      failures: u.failures,
      down: u.isDown(now),
    }));
  }
}
