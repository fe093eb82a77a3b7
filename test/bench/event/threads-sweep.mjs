#!/usr/bin/env node
// sysbench oltp_point_select through the database proxy with event.threads = 1 and = 2, the two
// proxies alternating at every point in one run, with each one's CPU per query and its share of
// the machine. Reuses the MySQL sweep's lib/. Usage:
//   node_modules/.bin/node test/bench/event/threads-sweep.mjs [--threads 16,64,256] [--duration 5] [--pool 32]

import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { describeMachine, loadAverage } from '../mysql/lib/machine.mjs';
import { startBenchMariaDB } from '../mysql/lib/mariadb.mjs';
import { measuredRun } from '../mysql/lib/measured-run.mjs';
import { startProxy } from '../mysql/lib/scalestack-proxy.mjs';
import { prepareTables } from '../mysql/lib/sysbench.mjs';

const ROOT = resolve(import.meta.dirname, '../../..');
const CREDENTIALS = { user: 'sbtest', password: 'sbtest', database: 'sbtest' };
const log = (line) => process.stderr.write(`${line}\n`);

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const sweep = arg('threads', '16,64,256').split(',').map(Number);
const duration = Number(arg('duration', '5'));
const pool = Number(arg('pool', '32'));
const tableSize = Number(arg('table-size', '10000'));
const out = arg('out', join(ROOT, 'test/bench/results/event-threads.md'));
const cpus = availableParallelism();
const TARGETS = [1, 2].map((n) => ({
  name: `threads=${n}`,
  command: `node packages/cli/dist/bin.js run database-proxy event --config {config} --event.threads=${n}`,
}));

const started = new Date();
const loadStart = loadAverage();
const machine = await describeMachine();
const db = await startBenchMariaDB(CREDENTIALS);
const proxies = [];
const rows = [];
try {
  await prepareTables({ port: db.port, ...CREDENTIALS }, { tables: 1, tableSize });
  for (const t of TARGETS) {
    const proxy = await startProxy({
      command: t.command,
      cwd: ROOT,
      backendPort: db.port,
      pool,
      lifetimeSeconds: 3600,
      ...CREDENTIALS,
    });
    proxies.push({ ...t, proxy });
    log(`${t.name}: ${proxy.commandLine} on port ${proxy.port}`);
  }
  for (const threads of sweep) {
    for (const { name, proxy } of proxies) {
      await db.admin('FLUSH STATUS');
      const r = await measuredRun({
        test: 'oltp_point_select',
        psMode: 'disable',
        threads,
        seconds: duration,
        tables: 1,
        tableSize,
        target: { port: proxy.port, ...CREDENTIALS },
        targetPid: proxy.pid,
        // Both proxies stay connected: the column counts both pools (see the note under the table).
        othersAtStart: 0,
        db,
      });
      const proxyShare = (r.targetCpuUsPerQuery * r.qps) / 1e6 / cpus;
      rows.push({ threads, name, ...r, proxyShare });
      log(
        `${threads} thr ${name}: ${
          r.ok
            ? `${Math.round(r.qps)} qps, proxy ${r.targetCpuUsPerQuery.toFixed(1)} µs/q, ` +
              `${(100 * proxyShare).toFixed(0)}% of the machine, ${r.maxBackendConnections} backend conns`
            : `FAILED ${r.failure}`
        }`,
      );
    }
  }
} finally {
  for (const { proxy } of proxies) await proxy.stop();
  await db.stop();
}

const fmt = (n, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : '—');
const lines = [
  '# Database proxy: event.threads = 1 vs 2 (sysbench oltp_point_select)',
  '',
  `Run ${started.toISOString()} with \`node_modules/.bin/node test/bench/event/threads-sweep.mjs --threads ${sweep.join(',')} --duration ${duration} --pool ${pool}\`.`,
  `Machine: ${machine.cpu ?? ''} ${cpus} cores shared by MariaDB, sysbench, the proxy and other users; load average ${loadStart} at start, ${loadAverage()} at end.`,
  `MariaDB, sysbench and both proxies run on the same ${cpus} cores; pool N = ${pool} (split ${pool / 2} + ${pool / 2} with 2 threads); ${duration} s per run, the two proxies alternating at each point; --ps-mode=disable, ${tableSize} rows.`,
  '',
  '| sysbench threads | proxy | qps | p95 ms | proxy µs CPU / query | MariaDB µs CPU / query | proxy share of machine | others CPU % | max backend conns | errors |',
  '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map(
    (r) =>
      `| ${r.threads} | ${r.name} | ${fmt(r.qps)} | ${fmt(r.p95ms, 2)} | ${fmt(r.targetCpuUsPerQuery, 1)} | ${fmt(r.dbCpuUsPerQuery, 1)} | ${fmt(100 * r.proxyShare)}% | ${fmt(r.othersCpuPct)} | ${r.maxBackendConnections} | ${r.errors} |`,
  ),
  '',
  '"proxy share of machine" = the proxy process tree\'s CPU seconds over the run / (seconds × cores).',
  "Max backend conns is MariaDB's Max_used_connections for the run: both proxies stay connected to the same MariaDB, so it counts both pools (at most 2 × N) plus 1–2 admin connections; the per-proxy limit is asserted in test/event-threads.test.ts.",
  '',
];
writeFileSync(out, lines.join('\n'));
log(`wrote ${out}`);
