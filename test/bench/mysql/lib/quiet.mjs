// Waiting for a quiet moment on a shared machine: before a run, sample how busy all cores are
// (our servers are idle between runs, so this is mostly other people's work) and hold off while
// it is above a threshold, up to a limit. The figure is recorded either way.

import { availableParallelism } from 'node:os';
import { machineBusySeconds, treeCpuSeconds } from './proc-cpu.mjs';

const cpus = availableParallelism();

const ownSeconds = (pids) => pids.reduce((sum, pid) => sum + treeCpuSeconds(pid), 0);

/**
 * Percentage of all cores busy over the next sampleMs with work other than ours (the process
 * trees of ownPids: MariaDB and the proxies, which may still be winding down the last run).
 */
export async function othersBusyPercent(ownPids, sampleMs = 1000) {
  const busy = machineBusySeconds();
  const own = ownSeconds(ownPids);
  const t = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, sampleMs));
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  const others = machineBusySeconds() - busy - (ownSeconds(ownPids) - own);
  return (100 * others) / (seconds * cpus);
}

/**
 * Sample until other work keeps the cores below belowPct busy, or maxWaitMs has passed.
 * @param {number} belowPct
 * @param {number} maxWaitMs
 * @param {number[]} ownPids process trees not counted as other work
 * @returns {Promise<{ busyPct: number, waitedMs: number, quiet: boolean }>}
 */
export async function waitForQuiet(belowPct, maxWaitMs, ownPids) {
  const start = Date.now();
  for (;;) {
    const busyPct = await othersBusyPercent(ownPids);
    const waitedMs = Date.now() - start;
    if (busyPct < belowPct) return { busyPct, waitedMs, quiet: true };
    if (waitedMs >= maxWaitMs) return { busyPct, waitedMs, quiet: false };
  }
}
