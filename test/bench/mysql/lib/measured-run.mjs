// One measured sysbench run against one target: CPU of MariaDB, the target and everyone else
// sampled when sysbench's threads have all connected and again when it prints its summary.

import { availableParallelism } from 'node:os';
import { machineBusySeconds, treeCpuSeconds } from './proc-cpu.mjs';
import { runSysbench } from './sysbench.mjs';

const cpus = availableParallelism();

/**
 * @param {{ test: string, psMode: string, threads: number, seconds: number, tables: number,
 *   tableSize: number, target: { port: number, user: string, password: string, database: string },
 *   targetPid?: number, othersAtStart: number,
 *   db: { pid: number, status: (name: string) => Promise<number> } }} o
 *   othersAtStart: MariaDB connections open before the run that are not the target's.
 *   targetPid: the proxy's process tree root (none for direct).
 * @returns the run's record: sysbench's figures, CPU µs per query, max backend connections,
 *   and the share of the machine other processes used meanwhile.
 */
export async function measuredRun({
  test,
  psMode,
  threads,
  seconds,
  tables,
  tableSize,
  target,
  targetPid,
  othersAtStart,
  db,
}) {
  const sample = (sysbenchPid) => ({
    at: process.hrtime.bigint(),
    db: treeCpuSeconds(db.pid),
    target: targetPid ? treeCpuSeconds(targetPid) : 0,
    sysbench: sysbenchPid ? treeCpuSeconds(sysbenchPid) : Number.NaN,
    self: process.cpuUsage(),
    busy: machineBusySeconds(),
  });
  let before;
  let after;
  const outcome = await runSysbench(test, target, {
    threads,
    seconds,
    psMode,
    tables,
    tableSize,
    onStarted: (pid) => {
      before = sample(pid);
    },
    onFinished: (pid) => {
      after = sample(pid);
    },
  });
  after ??= sample(0);
  before ??= after;
  const elapsed = Number(after.at - before.at) / 1e9;
  const self = process.cpuUsage(before.self);
  const ours =
    after.db -
    before.db +
    (after.target - before.target) +
    (after.sysbench - before.sysbench) +
    (self.user + self.system) / 1e6;
  const r = outcome.result;
  const queries = r?.queries ?? Number.NaN;
  return {
    ok: outcome.ok,
    failure: outcome.failure,
    qps: r?.qps ?? Number.NaN,
    p95ms: r?.p95ms ?? Number.NaN,
    avgms: r?.avgms ?? Number.NaN,
    errors: r?.errors ?? Number.NaN,
    reconnects: r?.reconnects ?? Number.NaN,
    queries,
    seconds: r?.seconds ?? Number.NaN,
    targetCpuUsPerQuery: targetPid ? ((after.target - before.target) * 1e6) / queries : Number.NaN,
    dbCpuUsPerQuery: ((after.db - before.db) * 1e6) / queries,
    maxBackendConnections: (await db.status('Max_used_connections')) - othersAtStart,
    windowSeconds: elapsed,
    othersCpuPct: (100 * (after.busy - before.busy - ours)) / (elapsed * cpus),
  };
}

/** The progress line printed after each run. */
export function describeRun(record) {
  const { test, psMode, threads, round, target } = record;
  const head = `${test} ${psMode} ${threads} thr r${round} ${target}: `;
  if (!record.ok) return `${head}FAILED ${record.failure}`;
  const parts = [
    `${Math.round(record.qps)} qps`,
    `p95 ${record.p95ms} ms`,
    `${record.errors} errors`,
    `MariaDB ${record.dbCpuUsPerQuery.toFixed(1)} µs/q`,
  ];
  if (Number.isFinite(record.targetCpuUsPerQuery)) {
    parts.push(`${target} ${record.targetCpuUsPerQuery.toFixed(1)} µs/q`);
  }
  parts.push(
    `${record.maxBackendConnections} backend conns`,
    `others ${record.othersCpuPct.toFixed(0)}% CPU`,
  );
  if (record.busyBeforePct !== undefined) {
    parts.push(
      `${record.busyBeforePct.toFixed(0)}% others' CPU before (waited ${record.waitedForQuietMs} ms)`,
    );
  }
  return head + parts.join(', ');
}
