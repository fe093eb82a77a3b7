/**
 * What a queued request body costs, counted for backpressure: the connection stops reading
 * once the body a handler has not read yet costs more than {@link BODY_HIGH_WATER}.
 */
export const BODY_HIGH_WATER = 256 * 1024;

/**
 * Cost counted per body slice on top of its payload bytes. A slice is a Buffer object from the
 * parser — about 100 bytes of heap whatever its length — and a chunked body can be cut into
 * 1-byte chunks: counted by payload alone, 256 KiB of them were 262 144 slices and ~30 MB of
 * heap. 128 rounds the object's size up, so 1-byte chunks pause reading after ~2 000 slices.
 */
export const SLICE_OVERHEAD = 128;

/**
 * Slices shorter than this are copied into a shared gather buffer rather than queued as they
 * are: queued, each would keep its Buffer object and pin the whole socket read it views (up to
 * 64 KiB for a 1-byte chunk). Longer slices are queued as views: copying them saves little.
 */
const COPY_BELOW = 4096;

/** Size of a gather buffer: many small slices share one allocation. */
const GATHER_BYTES = 16 * 1024;

/**
 * The body bytes a handler has not read yet, in order. Small slices are gathered into shared
 * buffers, so a body cut into tiny chunks is held as a few Buffers, not one per chunk.
 */
export class BodyQueue {
  /** Payload bytes plus {@link SLICE_OVERHEAD} per slice received, of everything queued. */
  cost = 0;
  private parts: Buffer[] = [];
  /** The cost of each part of {@link parts}, given back when it is taken. */
  private costs: number[] = [];
  private gather: Buffer | undefined;
  /** The gathered bytes not yet made a part: `gather[gatherStart, gatherEnd)`. */
  private gatherStart = 0;
  private gatherEnd = 0;
  private gatherCost = 0;

  push(slice: Buffer): void {
    const cost = slice.length + SLICE_OVERHEAD;
    this.cost += cost;
    if (slice.length >= COPY_BELOW) {
      this.seal();
      this.parts.push(slice);
      this.costs.push(cost);
      return;
    }
    if (this.gather === undefined || this.gatherEnd + slice.length > this.gather.length) {
      this.seal();
      this.gather = Buffer.allocUnsafe(GATHER_BYTES);
      this.gatherStart = 0;
      this.gatherEnd = 0;
    }
    slice.copy(this.gather, this.gatherEnd);
    this.gatherEnd += slice.length;
    this.gatherCost += cost;
  }

  /** The next queued bytes (everything gathered so far as one part), or undefined when empty. */
  shift(): Buffer | undefined {
    if (this.parts.length === 0) this.seal();
    const part = this.parts.shift();
    if (part !== undefined) this.cost -= this.costs.shift() ?? 0;
    return part;
  }

  clear(): void {
    this.parts = [];
    this.costs = [];
    this.gather = undefined;
    this.gatherStart = 0;
    this.gatherEnd = 0;
    this.gatherCost = 0;
    this.cost = 0;
  }

  /** Makes the gathered bytes a part. Later slices go on filling the same gather buffer after them. */
  private seal(): void {
    if (this.gather === undefined || this.gatherEnd === this.gatherStart) return;
    this.parts.push(this.gather.subarray(this.gatherStart, this.gatherEnd));
    this.costs.push(this.gatherCost);
    this.gatherStart = this.gatherEnd;
    this.gatherCost = 0;
  }
}

/**
 * Smallest buffer {@link BodyCollector} allocates once a body arrives in more than one slice.
 * Past it, a buffer is at most twice the bytes received so far.
 */
const COLLECT_FLOOR = 16 * 1024;

/**
 * Collects a whole body into one Buffer that grows by doubling, instead of keeping every slice
 * until the end: a body of a million 1-byte chunks is then one megabyte, not a million Buffer
 * objects. Growth follows the bytes received, never the announced length alone: a client that
 * announces a large Content-Length and sends a few bytes makes it allocate a few bytes' worth
 * ({@link COLLECT_FLOOR}), not the announced length. The announced length only caps growth.
 */
export class BodyCollector {
  length = 0;
  private buf: Buffer | undefined;
  /** False while `buf` is the first slice itself, not a buffer of our own to write into. */
  private owned = false;

  /**
   * @param expected the announced length, or 0 when unknown (chunked): growing stops there
   * @param limit the most bytes the body may have: growing never allocates past it
   */
  constructor(
    private readonly expected: number,
    private readonly limit: number,
  ) {}

  append(chunk: Buffer): void {
    if (chunk.length === 0) return;
    const need = this.length + chunk.length;
    if (this.buf === undefined) {
      // A body that arrives in one slice is returned as that slice, uncopied.
      this.buf = chunk;
      this.length = need;
      return;
    }
    if (!this.owned || need > this.buf.length) this.grow(need);
    chunk.copy(this.buf, this.length);
    this.length = need;
  }

  result(): Buffer {
    return this.buf === undefined ? Buffer.alloc(0) : this.buf.subarray(0, this.length);
  }

  /**
   * Twice the bytes held after this slice (at least {@link COLLECT_FLOOR}): each grow at least
   * doubles the buffer, so copying stays linear in the body, and memory follows what arrived.
   */
  private grow(need: number): void {
    let size = Math.min(this.limit, Math.max(COLLECT_FLOOR, need * 2));
    if (this.expected >= need) size = Math.min(size, this.expected);
    size = Math.max(size, need);
    const grown = Buffer.allocUnsafe(size);
    this.buf!.copy(grown, 0, 0, this.length);
    this.buf = grown;
    this.owned = true;
  }
}
