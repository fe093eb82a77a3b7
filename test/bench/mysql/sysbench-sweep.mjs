#!/usr/bin/env node
// sysbench oltp_point_select / oltp_read_only sweep: direct MariaDB vs haproxy (TCP) vs the Scale
// Stack database proxy (and, on request, the Node pipe: the floor of any Node proxy), alternating
// targets at every point in one run, with each target's CPU per query and a Universal
// Scalability Law fit per curve. See test/bench/README.md.

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { startHaproxy } from './lib/haproxy.mjs';
import { describeMachine, loadAverage } from './lib/machine.mjs';
import { startBenchMariaDB } from './lib/mariadb.mjs';
import { describeRun, measuredRun } from './lib/measured-run.mjs';
import { parseOptions, USAGE } from './lib/options.mjs';
import { waitForQuiet } from './lib/quiet.mjs';
import { renderReport } from './lib/report.mjs';
import { DEFAULT_PIPE_COMMAND, DEFAULT_PROXY_COMMAND, startProxy } from './lib/scalestack-proxy.mjs';
import { waitForSettledConnections } from './lib/settle.mjs';
import { prepareTables } from './lib/sysbench.mjs';

const ROOT = resolve(import.meta.dirname, '../../..');
const CREDENTIALS = { user: 'sbtest', password: 'sbtest', database: 'sbtest' };

const log = (line) => process.stderr.write(`${line}\n`);
const shellQuote = (a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`);

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
  // The default commands run built code: say so now rather than as a failed start later.
  const builtFor = [
    ['proxy', options.proxyCommand === DEFAULT_PROXY_COMMAND, 'packages/cli/dist/bin.js'],
    ['pipe', options.pipeCommand === DEFAULT_PIPE_COMMAND, 'packages/socket/dist/index.js'],
  ];
  for (const [target, usesDefault, built] of builtFor) {
    const file = join(ROOT, built);
    if (options.targets.includes(target) && usesDefault && !existsSync(file)) {
      log(
        `sysbench-sweep: target "${target}" needs ${file} (run \`npm run build\`), or pass --${target}-cmd, ` +
          'or leave it out of --targets',
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
  if (options.nice !== undefined) {
    notes.push(
      `Forwarding threads at nice ${options.nice} (--nice): the proxy's event loop (event.nice), every ` +
        "haproxy thread, the pipe's event loop. MariaDB and sysbench run at the default 0.",
    );
  }

  log(`sysbench-sweep: ${totalRuns} runs of ${options.duration} s; load average ${load.start}`);
  const db = await startBenchMariaDB(CREDENTIALS);
  const mariadbSettings = await db.settings().catch(() => ({}));
  const stops = [() => db.stop()];
  let haproxy;
  let proxy;
  let pipe;
  try {
    log(
      `MariaDB ${await db.version()} on 127.0.0.1:${db.port}; preparing sbtest1 (${options.tableSize} rows)`,
    );
    await prepareTables({ port: db.port, ...CREDENTIALS }, options);

    if (options.targets.includes('haproxy')) {
      const maxconn = Math.max(...options.threads) + 1024;
      haproxy = await startHaproxy({
        backendPort: db.port,
        maxconn,
        lifetimeSeconds,
        threads: options.haproxyThreads,
        nice: options.nice,
      });
      stops.push(() => haproxy.stop());
      log(`haproxy on 127.0.0.1:${haproxy.port}`);
    }

    const proxyOptions = (cpuProfDir, command = options.proxyCommand) => ({
      command,
      cwd: ROOT,
      backendPort: db.port,
      pool: options.pool,
      lifetimeSeconds,
      cpuProfDir,
      nice: options.nice,
      ...CREDENTIALS,
    });
    const wholeSweepProfile =
      options.cpuProfDir && !options.cpuProfRun ? resolve(options.cpuProfDir) : undefined;
    // A non-zero exit when asked to stop is worth a line in the results (for the proxy it may also
    // mean no --cpu-prof profile).
    const noteStop = (label, { code, signal }) => {
      if (code !== 0) notes.push(`The ${label} exited with ${signal ?? `code ${code}`} when stopped.`);
    };
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
      stops.push(async () => noteStop('proxy', await proxy.stop()));
    }
    if (options.targets.includes('pipe')) {
      // Its own process on its own port with the proxy's YAML shape; never profiled (--cpu-prof
      // is the proxy's), and its CPU is measured from its pid exactly like the proxy's.
      pipe = await startProxy({ ...proxyOptions(undefined, options.pipeCommand), label: 'pipe' });
      stops.push(async () => noteStop('pipe', await pipe.stop()));
      log(`pipe on 127.0.0.1:${pipe.port}: ${pipe.commandLine}`);
    }

    const portOf = {
      direct: () => db.port,
      haproxy: () => haproxy.port,
      pipe: () => pipe.port,
      proxy: () => proxy.port,
    };
    const pidOf = {
      direct: () => undefined,
      haproxy: () => haproxy.pid,
      pipe: () => pipe.pid,
      proxy: () => proxy.pid,
    };
    // Idle MariaDB connections: the admin client (2 for slack); a proxy may keep its pools open,
    // one per worker thread perhaps (16 at most assumed). haproxy and the pipe have no pool: each
    // backend connection closes with its client, so they add nothing here.
    const idleConnections = 2;
    const persistentMax = idleConnections + (options.targets.includes('proxy') ? 16 * options.pool : 0);

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
              const { settled, connections } = await waitForSettledConnections(
                () => db.status('Threads_connected'),
                { idle: idleConnections, persistentMax, timeoutMs: 120_000 },
              );
              if (!settled) {
                notes.push(`Run ${index}: MariaDB still had ${connections} connections after 120 s.`);
              }
              const quiet = options.quietBelow
                ? await waitForQuiet(
                    options.quietBelow,
                    options.quietWait * 1000,
                    [db.pid, haproxy?.pid, pipe?.pid, proxy?.pid].filter(Boolean),
                  )
                : undefined;
              await db.admin('FLUSH STATUS');
              // Connections already open that are not this target's (a proxy's idle pool during a
              // direct, haproxy or pipe run); the status query's own connection is gone by the time
              // the run starts. Only the proxy keeps connections across runs.
              const othersAtStart =
                target === 'proxy' ? 0 : Math.max(0, (await db.status('Threads_connected')) - 1);

              const record = {
                test,
                psMode,
                threads,
                round,
                target,
                ...(await measuredRun({
                  test,
                  psMode,
                  threads,
                  seconds: options.duration,
                  tables: options.tables,
                  tableSize: options.tableSize,
                  target: { port: portOf[target](), ...CREDENTIALS },
                  targetPid: pidOf[target](),
                  db,
                  othersAtStart,
                })),
                busyBeforePct: quiet?.busyPct,
                waitedForQuietMs: quiet?.waitedMs,
              };
              runs.push(record);
              if (target === 'proxy' && proxy && (await isDead(proxy.pid))) proxyExited = true;
              if (profileThis) {
                await proxy.stop();
                notes.push(
                  `CPU profile of the proxy for ${describeRun(record).split(':')[0]}: ${profileDir}`,
                );
                await launchProxy(undefined);
              }
              log(`[${index}/${totalRuns}] ${describeRun(record)}`);
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
