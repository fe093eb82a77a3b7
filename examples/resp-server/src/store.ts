/** A stored value: a string (bytes) or a list of strings. */
export type Value = Buffer | Buffer[];

/** Options of {@link Store}. */
export interface StoreOptions {
  /** Approximate bytes for keys and values above which writes are refused (0: no limit). */
  maxMemory?: number;
  /** The clock, in milliseconds; tests inject one to make expiry deterministic. */
  now?: () => number;
}

/** Rough per-entry bookkeeping cost (Map slot, objects), so many tiny keys still count. */
const ENTRY_OVERHEAD = 64;
const LIST_ITEM_OVERHEAD = 16;
const EXPIRY_OVERHEAD = 32;

function valueCost(value: Value): number {
  if (Buffer.isBuffer(value)) return value.length;
  let bytes = 0;
  for (const item of value) bytes += item.length + LIST_ITEM_OVERHEAD;
  return bytes;
}

// #region guide:store
/**
 * The key space: keys (binary-safe, held as latin1 strings) to values, with expiry times kept
 * aside as Redis does. Expired keys vanish lazily when touched and through {@link sweep}, which
 * one timer calls with a budget — never one timer per key. Memory is an estimate (key + value
 * bytes + a fixed overhead per entry), enough to refuse writes before the process runs out.
 */
export class Store {
  readonly #data = new Map<string, Value>();
  readonly #expires = new Map<string, number>();
  readonly #now: () => number;
  #sweepCursor: MapIterator<[string, number]> | undefined;
  #used = 0;
  /** The limit for {@link overLimit}; changes take effect at once (reload). */
  maxMemory: number;

  constructor(options: StoreOptions = {}) {
    this.maxMemory = options.maxMemory ?? 0;
    this.#now = options.now ?? Date.now;
  }
  // #endregion

  /** The current time of the store's clock. */
  now(): number {
    return this.#now();
  }

  /** Number of keys, including expired ones not collected yet (as Redis's DBSIZE). */
  get size(): number {
    return this.#data.size;
  }

  /** Keys that have an expiry time. */
  get volatileCount(): number {
    return this.#expires.size;
  }

  /** Estimated bytes used by keys and values. */
  get usedMemory(): number {
    return this.#used;
  }

  /** Whether used memory is above the limit: commands that may add data must be refused. */
  get overLimit(): boolean {
    return this.maxMemory > 0 && this.#used > this.maxMemory;
  }

  /** The value of a live key. */
  get(key: string): Value | undefined {
    const value = this.#data.get(key);
    if (value === undefined || this.#expires.size === 0) return value;
    return this.#expireIfDue(key) ? undefined : value;
  }

  /** Whether a live key exists. */
  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /**
   * Sets a key. `expiresAt` is an absolute time in ms; `undefined` removes any expiry, `'keep'`
   * keeps the current one. A Buffer value is stored as given: pass a copy, not a slice of a
   * network read (which would pin the whole read buffer in memory).
   */
  set(key: string, value: Value, expiresAt?: number | 'keep'): void {
    const old = this.#data.get(key);
    if (old === undefined) this.#used += ENTRY_OVERHEAD + key.length;
    else this.#used -= valueCost(old);
    this.#used += valueCost(value);
    this.#data.set(key, value);
    if (expiresAt !== 'keep') this.#setExpiry(key, expiresAt);
  }

  /** Accounts for a list changed in place (push/pop). */
  resized(delta: number, items: number): void {
    this.#used += delta + items * LIST_ITEM_OVERHEAD;
  }

  /** Deletes a live key; false if there was none. */
  delete(key: string): boolean {
    if (this.get(key) === undefined) return false;
    this.#remove(key);
    return true;
  }

  /** The absolute expiry time of a live key, `-1` if it has none, `undefined` if no such key. */
  expiresAt(key: string): number | undefined {
    if (this.get(key) === undefined) return undefined;
    return this.#expires.get(key) ?? -1;
  }

  /** Sets the expiry of an existing key; a time not after now deletes it (as Redis does). */
  expireAt(key: string, at: number): void {
    if (at <= this.#now()) this.#remove(key);
    else this.#setExpiry(key, at);
  }

  /** Removes every key. */
  flush(): void {
    this.#data.clear();
    this.#expires.clear();
    this.#sweepCursor = undefined;
    this.#used = 0;
  }

  // #region guide:sweep
  /**
   * Active expiry: looks at up to `budget` keys that have an expiry, resuming where the last
   * call stopped, and deletes those that are due. Returns how many it deleted. Called from one
   * periodic timer, so the cost per tick is bounded whatever the number of keys.
   */
  sweep(budget: number): number {
    const now = this.#now();
    let removed = 0;
    this.#sweepCursor ??= this.#expires.entries();
    for (let seen = 0; seen < budget; seen++) {
      const step = this.#sweepCursor.next();
      if (step.done) {
        this.#sweepCursor = undefined;
        break;
      }
      const [key, at] = step.value;
      if (now > at) {
        this.#remove(key);
        removed++;
      }
    }
    return removed;
  }
  // #endregion

  #expireIfDue(key: string): boolean {
    const at = this.#expires.get(key);
    // Redis keeps a key alive through the very millisecond it expires at.
    if (at === undefined || !(this.#now() > at)) return false;
    this.#remove(key);
    return true;
  }

  #setExpiry(key: string, at: number | undefined): void {
    const had = this.#expires.has(key);
    if (at === undefined) {
      if (had) {
        this.#expires.delete(key);
        this.#used -= EXPIRY_OVERHEAD;
      }
      return;
    }
    this.#expires.set(key, at);
    if (!had) this.#used += EXPIRY_OVERHEAD;
  }

  #remove(key: string): void {
    const value = this.#data.get(key);
    if (value === undefined) return;
    this.#data.delete(key);
    this.#used -= ENTRY_OVERHEAD + key.length + valueCost(value);
    this.#setExpiry(key, undefined);
  }
}
