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
  /** Client connections piped to it. */
  active = 0;
  /** Connects to it in flight: counted by least_connections, so a burst does not all pick one. */
  connecting = 0;
  connects = 0;
  failures = 0;
  /** Tried last until this time (ms, monotonic clock) after a failed connect; 0: up. */
  downUntil = 0;

  constructor(readonly address: Address) {
    this.name = formatAddress(address);
  }

  /** Whether it failed its last connect (and has not accepted one since). */
  get failing(): boolean {
    return this.downUntil !== 0;
  }

  /** Whether it is tried last now: it failed, and `retry_after` is not over. */
  isDown(now: number): boolean {
    return this.downUntil > now;
  }
}

/**
 * The upstreams of a proxy, and the order a new connection tries them in. Upstreams that are
 * up come first, in the balance policy's order; those tried last after a failed connect follow
 * (so a client still gets through when every upstream had a failure and one is back before
 * its `retry_after` is over).
 */
export class UpstreamSet {
  #upstreams: Upstream[];
  /**
   * The upstreams configured now, and removed ones that still had connections at the last
   * reload, by address: one removed and added back later still counts the connections it kept.
   * Removed ones with none are forgotten, or addresses that come and go (service discovery)
   * would pile up for the life of the process.
   */
  readonly #known = new Map<string, Upstream>();
  #policy: BalancePolicy;
  #retryAfter: number;
  /** Turns taken: where the rotation over the up upstreams starts next. */
  #turn = 0;

  constructor(addresses: readonly Address[], policy: BalancePolicy, retryAfterMs: number) {
    this.#upstreams = this.#pick(addresses);
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
    this.#upstreams = this.#pick(addresses);
    this.#policy = policy;
    this.#retryAfter = retryAfterMs;
    const current = new Set(this.#upstreams);
    for (const [name, u] of this.#known)
      if (!current.has(u) && u.active === 0 && u.connecting === 0) this.#known.delete(name);
  }

  /** How many upstreams are remembered (current ones and removed ones still in use). */
  get knownCount(): number {
    return this.#known.size;
  }

  #pick(addresses: readonly Address[]): Upstream[] {
    if (addresses.length === 0) throw new Error('an upstream set needs at least one upstream');
    return addresses.map((a) => {
      const name = formatAddress(a);
      let upstream = this.#known.get(name);
      if (upstream === undefined) {
        upstream = new Upstream(a);
        this.#known.set(name, upstream);
      }
      return upstream;
    });
  }

  /** The upstreams in the order a new connection should try them. */
  order(now: number): Upstream[] {
    const up = this.#upstreams.filter((u) => !u.isDown(now));
    const down = this.#upstreams.filter((u) => u.isDown(now));
    // The turn rotates over the upstreams that are up, so those share the traffic evenly
    // while another is down.
    const n = up.length;
    const start = n > 0 ? this.#turn % n : 0;
    this.#turn = (this.#turn + 1) % 0x40000000;
    const rotated: Upstream[] = [];
    for (let i = 0; i < n; i++) rotated.push(up[(start + i) % n] as Upstream);
    // Array.prototype.sort is stable: equal upstreams keep the rotation's order.
    if (this.#policy === 'least_connections') rotated.sort((a, b) => load(a) - load(b));
    return [...rotated, ...down];
  }

  /** Marks an upstream down after a failed connect; says whether it was up before. */
  markFailed(upstream: Upstream, now: number): boolean {
    const wasUp = !upstream.failing;
    upstream.failures++;
    // At least 1 ms: with retry_after 0 it is not skipped, but it is still known to be failing.
    upstream.downUntil = Math.max(now + this.#retryAfter, 1);
    return wasUp;
  }

  /** Marks an upstream up after a connect succeeded; says whether it was failing. */
  markConnected(upstream: Upstream): boolean {
    upstream.connects++;
    const wasFailing = upstream.failing;
    upstream.downUntil = 0;
    return wasFailing;
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

function load(u: Upstream): number {
  return u.active + u.connecting;
}
