import type { AcquireOptions } from './acquire-options.js';
import { type Clock, systemClock, type TimerHandle } from './clock.js';
import { QosConfigError } from './config-error.js';
import { DeadlineQueues } from './deadline-queues.js';
import { Lease, type LeaseOwner } from './lease.js';
import { type MetricFamily, toMetricFamilies } from './metric-families.js';
import { type SchedulerMetrics, type TenantMetrics, tenantMetrics } from './metrics.js';
import { ReadyHeap } from './ready-heap.js';
import { QosRefusedError, type RefusalReason, type RejectionReason } from './refusal.js';
import { type SessionOwner, TenantSession } from './session.js';
import { parseTenantConfig, type TenantConfig, type TenantSettings } from './tenant-config.js';
import { TenantState } from './tenant-state.js';
import { type AcquireCallback, type Ticket, Waiter, type WaiterOwner } from './waiter.js';

/** Options of a {@link QosScheduler}. */
export interface SchedulerOptions {
  /** How many slots (e.g. backend connections) there are to share. A whole number, 0 or more. */
  slots: number;
  /** Tenant name → settings. */
  tenants?: Record<string, TenantConfig>;
  /**
   * The tenant for requests that name none or name one that is not configured. Configured
   * like any other under `tenants`, or with the defaults if absent. Default `"default"`.
   */
  defaultTenant?: string;
  /** Time source and timer; default {@link systemClock}. Inject a `VirtualClock` to simulate. */
  clock?: Clock;
  /**
   * Smallest cost charged per grant, in milliseconds of slot time, so that near-instant holds
   * still count (shares then follow grant counts). Default 0.001.
   */
  minGrantCost?: number;
}

// Weight of a new sample in the hold-time estimates (exponential moving average).
const ESTIMATE_GAIN = 1 / 8;
// Virtual time grows without bound (slot ms / weight); past this, tags are rebased to keep
// sub-microsecond resolution in a double.
const REBASE_AT = 2 ** 40;

/**
 * Per-tenant admission control and weighted fair sharing of a pool of slots.
 *
 * Requests ask for a slot with {@link QosScheduler.acquire}; a free slot is granted at once,
 * otherwise the request queues in its tenant's FIFO until a slot is released, its queue timeout
 * passes or it is cancelled. Released slots go to waiting tenants by start-time fair queuing
 * over slot time: each tenant's virtual clock advances by the time it held a slot divided by
 * its weight, and the waiting tenant whose clock is furthest behind goes next.
 */
export class QosScheduler implements LeaseOwner, WaiterOwner, SessionOwner {
  readonly #clock: Clock;
  readonly #minCost: number;
  #slots = 0;
  #inFlight = 0;
  #queued = 0;
  readonly #tenants = new Map<string, TenantState>();
  #default!: TenantState;
  /** Tenants with a waiter and room under their cap, in fair-share order. */
  readonly #ready = new ReadyHeap();
  /** Every waiter, by deadline; one timer is armed for the earliest. */
  readonly #deadlines = new DeadlineQueues();
  #timer: TimerHandle | undefined;
  #timerAt = Number.POSITIVE_INFINITY;
  /** System virtual time: the start tag of the latest grant. */
  #virtualTime = 0;
  #holdEstimate = -1;
  #readySeq = 0;
  #waiterSeq = 0;
  #dispatching = false;
  #shedding = false;
  #closed = false;

  constructor(options: SchedulerOptions) {
    this.#clock = options.clock ?? systemClock;
    const minCost = options.minGrantCost ?? 0.001;
    if (!(typeof minCost === 'number' && minCost > 0 && Number.isFinite(minCost))) {
      throw new QosConfigError(undefined, 'minGrantCost', minCost, 'a positive number of milliseconds');
    }
    this.#minCost = minCost;
    this.#slots = checkSlots(options.slots);
    this.update(options.tenants ?? {}, options.defaultTenant ?? 'default');
  }

  /** Pool size. */
  get slots(): number {
    return this.#slots;
  }

  /** Slots currently granted. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Requests currently waiting. */
  get queued(): number {
    return this.#queued;
  }

  /** The default tenant's name. */
  get defaultTenant(): string {
    return this.#default.name;
  }

  /** The configured tenant a name maps to: itself, or the default tenant when unknown. */
  resolveTenant(tenant: string | undefined): string {
    return this.#resolve(tenant).name;
  }

  /**
   * Asks for a slot for `tenant` (`undefined` or an unknown name: the default tenant).
   *
   * When the answer is immediate (a free slot, or a refusal) the callback runs before this
   * returns and the result is `null`. Otherwise the request is queued and its {@link Ticket} is
   * returned; the callback runs later, exactly once, unless `ticket.cancel()` is called.
   */
  acquire(tenant: string | undefined, callback: AcquireCallback, options?: AcquireOptions): Ticket | null {
    const state = this.#resolve(tenant);
    if (this.#closed) return this.#refuse(state, 'closed', callback);
    const signal = options?.signal;
    if (signal?.aborted) {
      state.cancelled++;
      callback(null, 'cancelled');
      return null;
    }
    const now = this.#clock.now();
    // Free slot, nobody else eligible waiting (the ready heap is empty whenever a slot is free,
    // except while dispatching), and room under the tenant's cap: grant now.
    const immediate =
      this.#inFlight < this.#slots &&
      this.#ready.size === 0 &&
      state.queued === 0 &&
      state.inFlight < state.cap;
    if (!immediate) {
      if (options?.wait === false) return this.#refuse(state, 'no_capacity', callback);
      if (this.#shedding) return this.#refuse(state, 'shedding', callback);
      if (state.queued >= state.settings.maxQueued) return this.#refuse(state, 'queue_full', callback);
    }
    if (state.bucket !== null && !state.bucket.tryTake(now))
      return this.#refuse(state, 'rate_limited', callback);
    if (immediate) {
      const lease = this.#grant(state, now, 0);
      callback(lease, null);
      return null;
    }
    const waiter = new Waiter(
      this,
      state,
      callback,
      now,
      state.settings.queueTimeoutMs,
      now + state.settings.queueTimeoutMs,
      this.#waiterSeq++,
      signal,
    );
    state.push(waiter);
    this.#queued++;
    this.#deadlines.add(waiter, state.settings.queueTimeoutMs);
    if (waiter.deadline < this.#timerAt) this.#armTimer(waiter.deadline, now);
    signal?.addEventListener('abort', waiter);
    if (state.heapIndex < 0 && state.inFlight < state.cap) this.#makeReady(state);
    if (this.#inFlight < this.#slots && this.#ready.size > 0) this.#dispatch();
    return waiter;
  }

  /**
   * Promise form of {@link QosScheduler.acquire}: resolves with the lease, rejects with a
   * {@link QosRefusedError} (or the signal's reason when aborted).
   */
  acquireAsync(tenant: string | undefined, options?: AcquireOptions): Promise<Lease> {
    return new Promise<Lease>((resolve, reject) => {
      this.acquire(
        tenant,
        (lease, refusal) => {
          if (lease !== null) resolve(lease);
          else if (refusal === 'cancelled' && options?.signal !== undefined) reject(options.signal.reason);
          else reject(new QosRefusedError(refusal!, this.resolveTenant(tenant)));
        },
        options,
      );
    });
  }

  /**
   * Counts a new client connection against its tenant's `max_connections`. Returns the session
   * (close it on disconnect) or the refusal: `'connection_limit'` or `'closed'`.
   */
  connect(tenant: string | undefined): TenantSession | RefusalReason {
    const state = this.#resolve(tenant);
    if (this.#closed) {
      state.rejected.closed++;
      return 'closed';
    }
    if (state.connections >= state.settings.maxConnections) {
      state.rejected.connection_limit++;
      return 'connection_limit';
    }
    state.connections++;
    return new TenantSession(this, state);
  }

  /**
   * Applies a new tenant configuration to every decision from now on. Everything is validated
   * first; on a {@link QosConfigError} nothing changes. Requests already queued keep their
   * deadlines. A tenant that disappears from the configuration is retired: its queued requests
   * are still served (by its last settings) and its leases and sessions stay valid, while new
   * requests naming it go to the default tenant.
   */
  update(
    tenants: Record<string, TenantConfig>,
    defaultTenant: string = this.#default?.name ?? 'default',
  ): void {
    if (typeof tenants !== 'object' || tenants === null || Array.isArray(tenants)) {
      throw new QosConfigError(undefined, 'tenants', tenants, 'an object of tenant name → settings');
    }
    if (typeof defaultTenant !== 'string' || defaultTenant === '') {
      throw new QosConfigError(undefined, 'defaultTenant', defaultTenant, 'a tenant name');
    }
    const parsed = new Map<string, TenantSettings>();
    for (const [name, raw] of Object.entries(tenants)) parsed.set(name, parseTenantConfig(name, raw));
    if (!parsed.has(defaultTenant)) parsed.set(defaultTenant, parseTenantConfig(defaultTenant, undefined));

    const now = this.#clock.now();
    for (const state of this.#tenants.values()) state.retired = !parsed.has(state.name);
    for (const [name, settings] of parsed) {
      let state = this.#tenants.get(name);
      if (state === undefined) {
        state = new TenantState(name);
        this.#tenants.set(name, state);
      }
      state.configure(settings, this.#slots, now);
    }
    this.#default = this.#tenants.get(defaultTenant)!;
    this.#refreshAll();
  }

  /** Changes the pool size. Shrinking never takes slots back: grants pause until under the size. */
  resize(slots: number): void {
    this.#slots = checkSlots(slots);
    const now = this.#clock.now();
    for (const state of this.#tenants.values()) state.configure(state.settings, this.#slots, now);
    this.#refreshAll();
  }

  /** While shedding, requests that would have to wait are refused with `'shedding'` instead. */
  setShedding(shedding: boolean): void {
    this.#shedding = shedding;
  }

  get shedding(): boolean {
    return this.#shedding;
  }

  /**
   * Refuses every queued request with `'closed'` and every later request too. Leases and
   * sessions already handed out can still be released and closed.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    let first: unknown;
    let failed = false;
    for (let waiter = this.#deadlines.earliest(); waiter !== undefined; waiter = this.#deadlines.earliest()) {
      this.#unqueue(waiter);
      waiter.state.rejected.closed++;
      try {
        waiter.callback(null, 'closed');
      } catch (error) {
        if (!failed) first = error;
        failed = true;
      }
    }
    this.#disarmTimer();
    this.#forgetIdleRetired();
    if (failed) throw first;
  }

  /** A plain snapshot of every tenant's counters. */
  metrics(): SchedulerMetrics {
    const tenants: Record<string, TenantMetrics> = {};
    for (const state of this.#tenants.values()) tenants[state.name] = tenantMetrics(state);
    return {
      slots: this.#slots,
      inFlight: this.#inFlight,
      queued: this.#queued,
      shedding: this.#shedding,
      defaultTenant: this.#default.name,
      tenants,
    };
  }

  /** One tenant's counters (a configured or still-draining retired tenant), or undefined. */
  tenantMetrics(tenant: string): TenantMetrics | undefined {
    const state = this.#tenants.get(tenant);
    return state === undefined ? undefined : tenantMetrics(state);
  }

  /** The metrics as kernel `MetricFamily`s (Prometheus-shaped), names prefixed by `prefix`. */
  toMetricFamilies(prefix = 'scalestack_qos'): MetricFamily[] {
    return toMetricFamilies(this.metrics(), prefix);
  }

  /** @internal */
  releaseLease(lease: Lease): boolean {
    if (lease.released) return false;
    lease.released = true;
    const state = lease.state;
    const hold = Math.max(0, this.#clock.now() - lease.grantedAt);
    state.inFlight--;
    this.#inFlight--;
    state.slotTime += hold;
    // Charge the slot time actually used, replacing the estimate charged at grant time (at the
    // weight in force now; what the grant added is taken back as it was added).
    const cost = Math.max(hold, this.#minCost);
    state.tag += cost / state.weight - lease.tagCharged;
    state.holdEstimate =
      state.holdEstimate < 0 ? cost : state.holdEstimate + (cost - state.holdEstimate) * ESTIMATE_GAIN;
    this.#holdEstimate =
      this.#holdEstimate < 0 ? cost : this.#holdEstimate + (cost - this.#holdEstimate) * ESTIMATE_GAIN;
    if (state.heapIndex >= 0) this.#ready.update(state);
    else if (state.queued > 0 && state.inFlight < state.cap) this.#makeReady(state);
    else if (state.retired && state.idle) this.#forget(state);
    if (this.#inFlight < this.#slots && this.#ready.size > 0) this.#dispatch();
    return true;
  }

  /** @internal */
  cancelWaiter(waiter: Waiter, notify: boolean): boolean {
    if (waiter.settled) return false;
    const state = waiter.state;
    this.#unqueue(waiter);
    state.cancelled++;
    this.#disarmIfIdle();
    if (state.retired && state.idle) this.#forget(state);
    if (notify) waiter.callback(null, 'cancelled');
    return true;
  }

  /** @internal */
  closeSession(session: TenantSession): boolean {
    if (session.closed) return false;
    session.closed = true;
    const state = session.state;
    state.connections--;
    if (state.retired && state.idle) this.#forget(state);
    return true;
  }

  #resolve(tenant: string | undefined): TenantState {
    if (tenant === undefined) return this.#default;
    const state = this.#tenants.get(tenant);
    return state === undefined || state.retired ? this.#default : state;
  }

  #refuse(state: TenantState, reason: RejectionReason, callback: AcquireCallback): null {
    state.rejected[reason]++;
    callback(null, reason);
    return null;
  }

  /** Hands a slot to `state`, charging its estimated cost now (corrected on release). */
  #grant(state: TenantState, now: number, waited: number): Lease {
    // A tenant that was not ready cannot bank credit from its idle time.
    let start = state.heapIndex < 0 && state.tag < this.#virtualTime ? this.#virtualTime : state.tag;
    if (start > this.#virtualTime) {
      this.#virtualTime = start;
      if (start > REBASE_AT) {
        this.#rebase();
        start = 0;
      }
    }
    const estimate = state.holdEstimate >= 0 ? state.holdEstimate : this.#holdEstimate;
    const tagCharged = Math.max(estimate, this.#minCost) / state.weight;
    state.tag = start + tagCharged;
    state.inFlight++;
    this.#inFlight++;
    state.admitted++;
    state.wait.observe(waited);
    return new Lease(this, state, now, tagCharged);
  }

  /** Subtracts the system virtual time from every tag: order and differences are unchanged. */
  #rebase(): void {
    const base = this.#virtualTime;
    for (const state of this.#tenants.values()) state.tag -= base;
    this.#ready.refreshKeys();
    this.#virtualTime = 0;
  }

  #makeReady(state: TenantState): void {
    if (state.tag < this.#virtualTime) state.tag = this.#virtualTime;
    state.readySeq = this.#readySeq++;
    this.#ready.push(state);
  }

  /** Grants free slots to ready tenants, fairest first, until slots or waiters run out. */
  #dispatch(): void {
    if (this.#dispatching) return;
    this.#dispatching = true;
    let first: unknown;
    let failed = false;
    try {
      while (this.#inFlight < this.#slots) {
        const state = this.#ready.peek();
        if (state === undefined) break;
        const waiter = state.head!;
        this.#unqueue(waiter);
        const now = this.#clock.now();
        let lease: Lease | null = null;
        if (waiter.deadline < now) {
          // Its timer is late (real timers are): refuse, never grant past the queue timeout.
          state.rejected.queue_timeout++;
          if (state.retired && state.idle) this.#forget(state);
        } else {
          lease = this.#grant(state, now, now - waiter.enqueuedAt);
          if (state.queued > 0 && state.inFlight < state.cap) this.#ready.update(state);
          else this.#ready.remove(state);
        }
        try {
          if (lease === null) waiter.callback(null, 'queue_timeout');
          else waiter.callback(lease, null);
        } catch (error) {
          // A throwing callback must not strand the other free slots; rethrown below.
          if (!failed) first = error;
          failed = true;
        }
      }
    } finally {
      this.#dispatching = false;
    }
    this.#disarmIfIdle();
    if (failed) throw first;
  }

  /** Takes a waiter out of its queue, the deadline heap and its signal; marks it settled. */
  #unqueue(waiter: Waiter): void {
    waiter.settled = true;
    const state = waiter.state;
    state.unlink(waiter);
    this.#queued--;
    this.#deadlines.remove(waiter);
    waiter.signal?.removeEventListener('abort', waiter);
    if (state.queued === 0 && state.heapIndex >= 0) this.#ready.remove(state);
  }

  #onTimer = (): void => {
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    const now = this.#clock.now();
    let first: unknown;
    let failed = false;
    for (let waiter = this.#deadlines.earliest(); waiter !== undefined && waiter.deadline <= now; ) {
      const state = waiter.state;
      this.#unqueue(waiter);
      state.rejected.queue_timeout++;
      if (state.retired && state.idle) this.#forget(state);
      try {
        waiter.callback(null, 'queue_timeout');
      } catch (error) {
        if (!failed) first = error;
        failed = true;
      }
      waiter = this.#deadlines.earliest();
    }
    // The timer may fire before its deadline (real timers round) or after the waiter it was
    // armed for left the queue: either way, re-arm for whoever is earliest now.
    const next = this.#deadlines.earliest();
    if (next !== undefined && next.deadline < this.#timerAt) this.#armTimer(next.deadline, this.#clock.now());
    if (failed) throw first;
  };

  /** Arms the timer for `deadline`, earlier than the one armed (a later one stays: it re-arms). */
  #armTimer(deadline: number, now: number): void {
    if (this.#timer !== undefined) this.#clock.clearTimer(this.#timer);
    this.#timerAt = deadline;
    this.#timer = this.#clock.setTimer(this.#onTimer, Math.max(0, deadline - now));
  }

  /** Drops the timer once nobody waits, so an idle scheduler holds no timer. */
  #disarmIfIdle(): void {
    if (this.#queued === 0) this.#disarmTimer();
  }

  #disarmTimer(): void {
    if (this.#timer === undefined) return;
    this.#clock.clearTimer(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
  }

  /** After caps or the pool changed: put every tenant in or out of the ready heap, then grant. */
  #refreshAll(): void {
    for (const state of this.#tenants.values()) {
      const eligible = state.queued > 0 && state.inFlight < state.cap;
      if (eligible && state.heapIndex < 0) this.#makeReady(state);
      else if (!eligible && state.heapIndex >= 0) this.#ready.remove(state);
      else if (eligible) this.#ready.update(state);
    }
    this.#forgetIdleRetired();
    if (this.#inFlight < this.#slots && this.#ready.size > 0) this.#dispatch();
  }

  #forgetIdleRetired(): void {
    for (const state of this.#tenants.values()) if (state.retired && state.idle) this.#forget(state);
  }

  #forget(state: TenantState): void {
    if (this.#tenants.get(state.name) === state) this.#tenants.delete(state.name);
  }
}

function checkSlots(slots: unknown): number {
  if (typeof slots !== 'number' || !Number.isSafeInteger(slots) || slots < 0) {
    throw new QosConfigError(undefined, 'slots', slots, 'a whole number of slots (0 or more)');
  }
  return slots;
}
