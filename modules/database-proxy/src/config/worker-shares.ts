import { workerShare } from '@scalestack/event';
import { formatAddress } from '@scalestack/kernel';
import { type ProxyOptions, toTenantConfig } from './options.js';

/**
 * Why `total` cannot be split between `workers` event-loop threads (each proxy in a worker gets
 * its part: a backend pool, a tenant's cap), or undefined when it can.
 */
export function unsharable(what: string, total: number, workers: number): string | undefined {
  // The last worker's part is the smallest.
  if (workers <= 1 || workerShare(total, workers - 1, workers) >= 1) return undefined;
  return `${what} is ${total}, fewer than the ${workers} event.threads that each need at least 1; raise it or lower event.threads`;
}

/**
 * Limits too small to split between the `event` module's worker threads, found with the other
 * options (`scalestack check` reports them): before, the configuration passed and each worker's
 * proxy refused to start.
 */
export function checkWorkerShares(
  options: Pick<ProxyOptions, 'backends' | 'tenants'>,
  loaded: ReadonlyMap<string, Readonly<Record<string, unknown>>>,
): string[] {
  const threads = loaded.get('event')?.threads;
  if (typeof threads !== 'number' || threads <= 1) return [];
  const problems: (string | undefined)[] = [];
  for (const b of options.backends) {
    problems.push(unsharable(`backend "${b.name ?? formatAddress(b.address)}" pool`, b.pool, threads));
  }
  for (const t of options.tenants) {
    const cap = toTenantConfig(t).max_in_flight;
    // A share of the pool ("75%", 0.75) stays a share in every worker.
    if (typeof cap === 'number' && cap >= 1) {
      problems.push(unsharable(`tenant "${t.name}" max_in_flight`, cap, threads));
    }
  }
  return problems.filter((p) => p !== undefined);
}
