/** Size limits a decoder enforces; anything beyond them is refused with the protocol's own error. */
export interface Limits {
  /** Longest key in bytes (memcached: 250). */
  readonly maxKeyLength: number;
  /** Largest value in bytes; larger storage requests get `SERVER_ERROR object too large for cache`. */
  readonly maxValueSize: number;
  /** Longest command or response line in bytes, without its line terminator. */
  readonly maxLineLength: number;
}

/** memcached's own defaults: 250-byte keys, 1 MiB items; lines long enough for a large multi-get. */
export const DEFAULT_LIMITS: Limits = Object.freeze({
  maxKeyLength: 250,
  maxValueSize: 1024 * 1024,
  maxLineLength: 64 * 1024,
});

/** Fills in defaults for the limits a caller left out. */
export function resolveLimits(partial?: Partial<Limits>): Limits {
  return { ...DEFAULT_LIMITS, ...partial };
}
