// Closed-loop load on virtual time: each client asks for a slot, holds it for a drawn time,
// releases it and asks again at once. Shares are measured as slot time inside a window.
import type { Lease, QosScheduler, VirtualClock } from '../src/index.js';

// The PRNG (mulberry32) lives in the test harness; simulations draw from it by seed.
export { prng } from '@scalestack/test-harness';

export interface LoadSpec {
  tenant: string;
  clients: number;
  /** Draws one hold time (ms). */
  hold: () => number;
}

export interface LoadResult {
  /** Slot-milliseconds per tenant inside [from, to]. */
  slotTime: Record<string, number>;
  /** Grants per tenant inside the window. */
  grants: Record<string, number>;
  refusals: number;
}

/**
 * Runs closed-loop clients until `to`; `afterEvent` runs after every clock event (checks).
 */
export function runClosedLoop(
  scheduler: QosScheduler,
  clock: VirtualClock,
  load: readonly LoadSpec[],
  from: number,
  to: number,
  afterEvent?: () => void,
): LoadResult {
  const slotTime: Record<string, number> = {};
  const grants: Record<string, number> = {};
  const held = new Set<Lease>();
  let refusals = 0;
  let stopped = false;
  for (const spec of load) {
    slotTime[spec.tenant] = 0;
    grants[spec.tenant] = 0;
  }
  const account = (lease: Lease, end: number) => {
    const start = Math.max(from, lease.grantedAt);
    const stop = Math.min(to, end);
    if (stop > start) slotTime[lease.tenant]! += stop - start;
  };
  const client = (spec: LoadSpec) => {
    const ask = (): void => {
      if (stopped) return;
      scheduler.acquire(spec.tenant, (lease, refusal) => {
        if (lease === null) {
          refusals++;
          throw new Error(`unexpected refusal ${refusal} for ${spec.tenant}`);
        }
        held.add(lease);
        if (lease.grantedAt >= from && lease.grantedAt < to) grants[spec.tenant]!++;
        clock.setTimer(() => {
          held.delete(lease);
          account(lease, clock.now());
          lease.release();
          ask();
          afterEvent?.();
        }, spec.hold());
      });
    };
    ask();
  };
  for (const spec of load) for (let i = 0; i < spec.clients; i++) client(spec);
  clock.advanceTo(to);
  stopped = true;
  for (const lease of held) account(lease, to);
  return { slotTime, grants, refusals };
}

/** measured share / expected share − 1, per tenant. */
export function shareErrors(
  measured: Record<string, number>,
  weights: Record<string, number>,
): Record<string, number> {
  const total = Object.values(measured).reduce((a, b) => a + b, 0);
  const weightSum = Object.values(weights).reduce((a, b) => a + b, 0);
  const errors: Record<string, number> = {};
  for (const [tenant, weight] of Object.entries(weights)) {
    errors[tenant] = measured[tenant]! / total / (weight / weightSum) - 1;
  }
  return errors;
}
