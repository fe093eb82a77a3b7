// Waiting for a quiet moment on a shared machine: before a run, sample how busy all cores are
// (our servers are idle between runs, so this is mostly other people's work) and hold off while
// it is above a threshold, up to a limit. The figure is recorded either way.

import { availableParallelism } from 'node:os';
import { machineBusySeconds } from './proc-cpu.mjs';

const cpus = availableParallelism();

/** Percentage of all cores busy over the next sampleMs. */
export async function busyPercent(sampleMs = 1000) {
  const a = machineBusySeconds();
  const t = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, sampleMs));
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  return (100 * (machineBusySeconds() - a)) / (seconds * cpus);
}

/**
 * Sample until the machine is below belowPct busy or maxWaitMs has passed.
 * @returns {Promise<{ busyPct: number, waitedMs: number, quiet: boolean }>}
 */
export async function waitForQuiet(belowPct, maxWaitMs) {
  const start = Date.now();
  for (;;) {
    const busyPct = await busyPercent();
    const waitedMs = Date.now() - start;
    if (busyPct < belowPct) return { busyPct, waitedMs, quiet: true };
    if (waitedMs >= maxWaitMs) return { busyPct, waitedMs, quiet: false };
  }
}
