/**
 * A worker's share of a global limit split over `count` workers: `floor(total / count)`, with the
 * remainder going one each to the first workers, so the shares always add up to `total` exactly
 * (128 over 2 → 64 + 64; 5 over 2 → 3 + 2; 1 over 2 → 1 + 0).
 */
export function workerShare(total: number, index: number, count: number): number {
  if (!Number.isSafeInteger(total) || total < 0) {
    throw new RangeError(`workerShare: total must be a whole number (0 or more), got ${total}`);
  }
  if (!Number.isSafeInteger(count) || count < 1) {
    throw new RangeError(`workerShare: count must be a whole number (1 or more), got ${count}`);
  }
  if (!Number.isSafeInteger(index) || index < 0 || index >= count) {
    throw new RangeError(`workerShare: index must be between 0 and ${count - 1}, got ${index}`);
  }
  const base = Math.floor(total / count);
  return index < total % count ? base + 1 : base;
}
