#!/usr/bin/env node
// sysbench oltp_point_select / oltp_read_only sweep: direct MariaDB vs haproxy (TCP) vs the Scale
// Stack database proxy, alternating targets at every point in one run, with each target's CPU per
// query and a Universal Scalability Law fit per curve. See test/bench/README.md.

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { startHaproxy } from './lib/haproxy.mjs';
import { describeMachine, loadAverage } from './lib/machine.mjs';
import { startBenchMariaDB } from './lib/mariadb.mjs';
import { parseOptions, USAGE } from './lib/options.mjs';
import { machineBusySeconds, treeCpuSeconds } from './lib/proc-cpu.mjs';
import { waitForQuiet } from './lib/quiet.mjs';
import { renderReport } from './lib/report.mjs';
import { DEFAULT_PROXY_COMMAND, startProxy } from './lib/scalestack-proxy.mjs';
import { prepareTables, runSysbench } from './lib/sysbench.mjs';

const ROOT = resolve(import.meta.dirname, '../../..');
const cpus = availableParallelism();
const CREDENTIALS = { user: 'sbtest', password: 'sbtest', database: 'sbtest' };

const log = (line) => process.stderr.write(`${line}\n`);
const shellQuote = (a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`);

async function waitUntil(check, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

async function main() {
  let options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    log(`${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  if (options.targets.includes('proxy') && options.proxyCommand === DEFAULT_PROXY_COMMAND) {
    const bin = join(ROOT, 'packages/cli/dist/bin.js');
    if (!existsSync(bin)) {
      log(
        `sysbench-sweep: target "proxy" needs ${bin} (run \`npm run build\`), or pass --proxy-cmd, ` +
          'or leave it out with --targets direct,haproxy',
      );
      return 2;
    }
  }

  const command = ['node', 'test/bench/mysql/sysbench-sweep.mjs', ...process.argv.slice(2)]
    .map(shellQuote)
    .join(' ');
  const started = new Date();
  const load = { start: loadAverage(), end: '' };
  const machine = await describeMachine();
  const points = options.tests.length * options.psModes.length * options.threads.length;
  const totalRuns = points * options.rounds * options.targets.length;
  // Every server is killed by `timeout` after this long even if this script dies.
  const lifetimeSeconds = totalRuns * (options.duration + 240) + 900;
  const notes = [];
  const runs = [];

  log(`sysbench-sweep: ${totalRuns} runs of ${options.duration} s; load average ${load.start}`);
  const db = await startBenchMariaDB(CREDENTIALS);
  const mariadbSettings = await db.settings().catch(() => ({}));
  const stops = [() => db.stop()];
  let haproxy;
  let proxy;
  try {
    log(
      `MariaDB ${await db.version()} on 127.0.0.1:${db.port}; preparing sbtest1 (${options.tableSize} rows)`,
    );
    await prepareTables({ port: db.port, ...CREDENTIALS }, options);

    if (options.targets.includes('haproxy')) {
      const maxconn = Math.max(...options.threads) + 1024;
      haproxy = await startHaproxy({ backendPort: db.port, maxconn, lifetimeSeconds });
      stops.push(() => haproxy.stop());
      log(`haproxy on 127.0.0.1:${haproxy.port}`);
    }

    const proxyOptions = (cpuProfDir) => ({
      command: options.proxyCommand,
      cwd: ROOT,
      backendPort: db.port,
      pool: options.pool,
      lifetimeSeconds,
      cpuProfDir,
      ...CREDENTIALS,
    });
    const wholeSweepProfile =
      options.cpuProfDir && !options.cpuProfRun ? resolve(options.cpuProfDir) : undefined;
    let proxyConfigText;
    let proxyExited = false;
    const launchProxy = async (cpuProfDir) => {
      proxy = await startProxy(proxyOptions(cpuProfDir));
      proxyExited = false;
      proxyConfigText = proxy.config;
      log(`proxy on 127.0.0.1:${proxy.port}: ${proxy.commandLine}`);
    };
    if (options.targets.includes('proxy')) {
      await launchProxy(wholeSweepProfile);
      stops.push(async () => {
        const { code, signal } = await proxy.stop();
        if (code !== 0) notes.push(`The proxy exited with ${signal ?? `code ${code}`} when stopped.`);
      });
    }

    const portOf = { direct: () => db.port, haproxy: () => haproxy.port, proxy: () => proxy.port };
    const pidOf = { direct: () => undefined, haproxy: () => haproxy.pid, proxy: () => proxy.pid };
    // Idle MariaDB connections: the admin client, plus the proxy's pool once it is open.
    const idleConnections = 2 + (options.targets.includes('proxy') ? options.pool : 0);

    let index = 0;
    for (const test of options.tests) {
      for (const psMode of options.psModes) {
        for (const threads of options.threads) {
          for (let round = 1; round <= options.rounds; round++) {
            for (const target of options.targets) {
              index++;
              const profileThis =
                target === 'proxy' &&
                options.cpuProfRun?.test === test &&
                options.cpuProfRun.psMode === psMode &&
                options.cpuProfRun.threads === threads;
              const profileDir = resolve(
                options.cpuProfDir ?? '.',
                `${test}-${psMode}-${threads}t-r${round}`,
              );
              if (target === 'proxy' && (profileThis || proxyExited)) {
                const { output } = await proxy.stop();
                if (proxyExited)
                  notes.push(`The proxy died before run ${index} and was restarted: ${output.slice(-300)}`);
                await launchProxy(profileThis ? profileDir : undefined);
              }

              // The previous run's connections must be gone from MariaDB before this one starts.
              const settled = await waitUntil(
                async () => (await db.status('Threads_connected')) <= idleConnections,
                120_000,
              );
              if (!settled)
                notes.push(
                  `Run ${index}: MariaDB still had more than ${idleConnections} connections after 120 s.`,
                );
              const quiet = options.quietBelow
                ? await waitForQuiet(
                    options.quietBelow,
                    options.quietWait * 1000,
                    [db.pid, haproxy?.pid, proxy?.pid].filter(Boolean),
                  )
                : undefined;
              await db.admin('FLUSH STATUS');

              const targetPid = pidOf[target]();
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
              const outcome = await runSysbench(
                test,
                { port: portOf[target](), ...CREDENTIALS },
                {
                  threads,
                  seconds: options.duration,
                  psMode,
                  tables: options.tables,
                  tableSize: options.tableSize,
                  onStarted: (pid) => {
                    before = sample(pid);
                  },
                  onFinished: (pid) => {
                    after = sample(pid);
                  },
                },
              );
              after ??= sample(0);
              before ??= after;
              const elapsed = Number(after.at - before.at) / 1e9;
              const self = process.cpuUsage(before.self);
              const ours =
                after.db -
                before.db +
                after.target -
                before.target +
                after.sysbench -
                before.sysbench +
                (self.user + self.system) / 1e6;
              const othersCpuPct = (100 * (after.busy - before.busy - ours)) / (elapsed * cpus);
              const maxBackendConnections = await db.status('Max_used_connections');
              const r = outcome.result;
              const queries = r?.queries ?? Number.NaN;
              const record = {
                test,
                psMode,
                threads,
                round,
                target,
                ok: outcome.ok,
                failure: outcome.failure,
                qps: r?.qps ?? Number.NaN,
                p95ms: r?.p95ms ?? Number.NaN,
                avgms: r?.avgms ?? Number.NaN,
                errors: r?.errors ?? Number.NaN,
                reconnects: r?.reconnects ?? Number.NaN,
                queries,
                seconds: r?.seconds ?? Number.NaN,
                targetCpuUsPerQuery: targetPid
                  ? ((after.target - before.target) * 1e6) / queries
                  : Number.NaN,
                dbCpuUsPerQuery: ((after.db - before.db) * 1e6) / queries,
                maxBackendConnections,
                windowSeconds: elapsed,
                busyBeforePct: quiet?.busyPct,
                waitedForQuietMs: quiet?.waitedMs,
                othersCpuPct,
              };
              runs.push(record);
              if (target === 'proxy' && proxy && (await isDead(proxy.pid))) proxyExited = true;
              if (profileThis) {
                await proxy.stop();
                notes.push(
                  `CPU profile of the proxy for ${test} ${psMode} ${threads} threads: ${options.cpuProfDir}`,
                );
                await launchProxy(undefined);
              }
              log(
                `[${index}/${totalRuns}] ${test} ${psMode} ${threads} thr r${round} ${target}: ` +
                  (outcome.ok
                    ? `${Math.round(record.qps)} qps, p95 ${record.p95ms} ms, ${record.errors} errors, ` +
                      `MariaDB ${record.dbCpuUsPerQuery.toFixed(1)} µs/q` +
                      (targetPid ? `, ${target} ${record.targetCpuUsPerQuery.toFixed(1)} µs/q` : '') +
                      `, ${maxBackendConnections} backend conns, others ${othersCpuPct.toFixed(0)}% CPU` +
                      (quiet
                        ? `, ${quiet.busyPct.toFixed(0)}% others' CPU before (waited ${quiet.waitedMs} ms)`
                        : '')
                    : `FAILED ${outcome.failure}`),
              );
            }
          }
        }
      }
    }
    options.proxyConfigText = proxyConfigText;
  } finally {
    for (const stop of stops.reverse()) {
      try {
        await stop();
      } catch (error) {
        log(`while stopping: ${error.message}`);
      }
    }
  }

  load.end = loadAverage();
  if (options.targets.includes('proxy') === false) {
    notes.push(
      'The Scale Stack proxy was not among the targets of this run (--targets); its columns come from a later run.',
    );
  }
  const report = renderReport({
    options,
    machine,
    mariadb: { settings: mariadbSettings },
    haproxyConfig: haproxy?.config,
    proxyConfig: options.proxyConfigText,
    runs,
    started,
    finished: new Date(),
    command,
    load,
    notes,
  });
  const out = resolve(ROOT, options.out);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${report}\n`);
  writeFileSync(
    out.replace(/\.md$/, '.json'),
    `${JSON.stringify({ command, machine, load, runs }, null, 2)}\n`,
  );
  console.log(report);
  log(`\nwritten to ${out}`);
  return runs.some((r) => !r.ok) ? 1 : 0;
}

async function isDead(pid) {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}

process.exitCode = await main();
