// Noisy neighbour: does per-tenant QoS in the database proxy keep a quiet tenant's latency while
// another tenant floods the pool? (Issue 5.)
//
//   node_modules/.bin/node test/bench/qos/noisy-neighbour.mjs [--warmup 2] [--duration 8]
//     [--rounds 1] [--flood 1000] [--quiet 16] [--pool 16] [--no-write]
//
// Pool N = 16 backend connections to a private MariaDB (test harness). Tenant A ("flood"):
// 1,000 connections running SELECT SLEEP(0.01) in a loop. Tenant B ("quiet"): 16 connections
// running primary-key selects. B's qps, p50 and p99 are measured
//   (1) alone,
//   (2) with A flooding and QoS off — every user in one tenant, so one shared FIFO,
//   (3) with A flooding and QoS on — equal weights, A's max_in_flight = 75 % of the pool,
// then (4) A and B both saturating with SELECT SLEEP(0.01) at weights 3:1: slot-time shares
// from the proxy's own QoS metrics (/metrics of the http-server module, scraped at both ends of
// the window) and completed statements per tenant.
//
// Every scenario gets a fresh proxy (the CLI, `run database-proxy http-server`, under `timeout`)
// and two load processes (load.mjs), one per tenant, started together once both have connected.
// Only 127.0.0.1 is used; every child stops by itself. Writes
// test/bench/results/qos-noisy-neighbour.md (+ .json).

import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { describeMachine, loadAverage } from '../mysql/lib/machine.mjs';
import { startBenchMariaDB } from '../mysql/lib/mariadb.mjs';
import { treeCpuSeconds } from '../mysql/lib/proc-cpu.mjs';
import { freePort, startServer, stopServer, waitForPort } from '../mysql/lib/processes.mjs';
import { othersBusyPercent, waitForQuiet } from '../mysql/lib/quiet.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '../../..');
const { values: args } = parseArgs({
  options: {
    warmup: { type: 'string', default: '2' },
    duration: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '1' },
    flood: { type: 'string', default: '1000' },
    quiet: { type: 'string', default: '16' },
    pool: { type: 'string', default: '16' },
    scenarios: { type: 'string', default: 'alone,qos-off,qos-on,shares' },
    'quiet-below': { type: 'string', default: '0' },
    'a-max-in-flight': { type: 'string', default: '75%' },
    out: { type: 'string', default: 'test/bench/results/qos-noisy-neighbour' },
    'quiet-wait': { type: 'string', default: '30' },
    'no-write': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(
    'usage: node test/bench/qos/noisy-neighbour.mjs [--warmup s] [--duration s] [--rounds n] [--flood n] [--quiet n] [--pool n] [--scenarios alone,qos-off,qos-on,shares] [--quiet-below pct --quiet-wait s] [--a-max-in-flight 75%] [--out path-without-extension] [--no-write]',
  );
  process.exit(0);
}
const WARMUP_MS = Number(args.warmup) * 1000;
const DURATION_MS = Number(args.duration) * 1000;
const ROUNDS = Number(args.rounds);
const FLOOD = Number(args.flood);
const QUIET = Number(args.quiet);
const POOL = Number(args.pool);
const SCENARIOS = args.scenarios.split(',');
// Before each scenario wait (up to quiet-wait s) until other work keeps the cores below this
// busy percentage; 0: do not wait. Others' CPU during the window is recorded either way.
const QUIET_BELOW = Number(args['quiet-below']);
const QUIET_WAIT_MS = Number(args['quiet-wait']) * 1000;
// A's cap in scenario (3): the issue's 75 % leaves B 4 of 16 slots.
const A_MAX_IN_FLIGHT = args['a-max-in-flight'];

const DB = { user: 'bench', password: 'bench', database: 'bench' };
const ROWS = 10_000;
const FLOOD_USER = { name: 'flood', password: 'f' };
const QUIET_USER = { name: 'quiet', password: 'q' };

/** Tenants and users of each scenario. */
function scenarioConfig(name) {
  const users = (a, b) => [
    { name: FLOOD_USER.name, password: FLOOD_USER.password, tenant: a, max_connections: 100_000 },
    { name: QUIET_USER.name, password: QUIET_USER.password, tenant: b },
  ];
  switch (name) {
    case 'qos-off':
      // One tenant for everybody: one FIFO, first come first served.
      return {
        users: users('shared', 'shared'),
        tenants: [{ name: 'shared', max_queued: 100_000, queue_timeout: '60s' }],
      };
    case 'shares':
      return {
        users: users('a', 'b'),
        tenants: [
          { name: 'a', weight: 3, max_queued: 5000, queue_timeout: '30s' },
          { name: 'b', weight: 1, max_queued: 5000, queue_timeout: '30s' },
        ],
      };
    default:
      // 'alone' runs on the same configuration as 'qos-on', with A idle.
      return {
        users: users('a', 'b'),
        tenants: [
          { name: 'a', weight: 1, max_in_flight: A_MAX_IN_FLIGHT, max_queued: 5000, queue_timeout: '30s' },
          { name: 'b', weight: 1, max_queued: 5000, queue_timeout: '30s' },
        ],
      };
  }
}

async function startProxy(backendPort, name) {
  const dir = mkdtempSync(join(tmpdir(), 'scalestack-qos-bench-'));
  const port = await freePort();
  const httpPort = await freePort();
  const { users, tenants } = scenarioConfig(name);
  const config = {
    modules: {
      'database-proxy': {
        listen: `127.0.0.1:${port}`,
        users,
        tenants,
        backends: [
          {
            name: 'db1',
            address: `127.0.0.1:${backendPort}`,
            user: DB.user,
            password: DB.password,
            pool: POOL,
          },
        ],
      },
      'http-server': { listen: `127.0.0.1:${httpPort}` },
    },
  };
  const file = join(dir, 'proxy.yaml');
  writeFileSync(file, JSON.stringify(config, null, 2));
  const server = startServer(
    process.execPath,
    [
      join(repo, 'packages/cli/dist/bin.js'),
      'run',
      'database-proxy',
      'http-server',
      '--config',
      file,
      '--log-level=warn',
    ],
    { lifetimeSeconds: 300, label: 'proxy', cwd: repo },
  );
  await waitForPort(port, server, 60_000);
  await waitForPort(httpPort, server, 60_000);
  return {
    pid: server.pid,
    port,
    httpPort,
    tenants,
    async stop() {
      const r = await stopServer(server, 30_000);
      rmSync(dir, { recursive: true, force: true });
      // `timeout` passes our SIGTERM on to its process group as well, so the proxy sees it twice
      // and exits at once with 143; anything else is worth showing.
      if (r.code !== 0 && r.code !== 143)
        console.error(`proxy exited ${r.code ?? r.signal}:\n${server.output()}`);
    },
  };
}

/** Per-tenant QoS counters from the proxy's Prometheus text. */
async function scrapeQos(httpPort) {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  const out = {};
  const re =
    /^scalestack_dbproxy_qos_(slot_seconds_total|admitted_total|wait_seconds_sum|wait_seconds_count)\{tenant="([^"]+)"\} (\S+)$/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    out[m[2]] ??= {};
    out[m[2]][m[1]] = Number(m[3]);
  }
  // Admissions that waited at most 1 ms (cumulative bucket le="0.001").
  const bucket = /^scalestack_dbproxy_qos_wait_seconds_bucket\{tenant="([^"]+)",le="0.001"\} (\S+)$/gm;
  for (let m = bucket.exec(text); m; m = bucket.exec(text)) {
    out[m[1]] ??= {};
    out[m[1]].within_1ms = Number(m[2]);
  }
  return out;
}

function startLoad(opts) {
  const child = fork(join(here, 'load.mjs'), [JSON.stringify(opts)], {
    cwd: repo,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = new Promise((resolve, reject) => {
    child.on('message', (m) => m.ready && resolve());
    child.once('exit', (code) => reject(new Error(`${opts.user} load exited ${code} before it was ready`)));
  });
  const result = new Promise((resolve, reject) => {
    child.on('message', (m) => m.result && resolve(m.result));
    child.once('exit', (code) => reject(new Error(`${opts.user} load exited ${code} without a result`)));
  });
  result.catch(() => {});
  ready.catch(() => {});
  return { child, ready, result, go: () => child.send({ go: true }) };
}

async function runScenario(db, name) {
  const proxy = await startProxy(db.port, name);
  try {
    const common = {
      port: proxy.port,
      database: DB.database,
      rows: ROWS,
      warmupMs: WARMUP_MS,
      durationMs: DURATION_MS,
    };
    const loads = [];
    if (name !== 'alone') {
      loads.push(
        startLoad({
          ...common,
          user: FLOOD_USER.name,
          password: FLOOD_USER.password,
          connections: FLOOD,
          kind: 'sleep',
        }),
      );
    }
    loads.push(
      startLoad({
        ...common,
        user: QUIET_USER.name,
        password: QUIET_USER.password,
        connections: QUIET,
        kind: name === 'shares' ? 'sleep' : 'point',
      }),
    );
    await Promise.all(loads.map((l) => l.ready));
    // Our whole process tree: MariaDB, the proxy and the load processes are all below us.
    const ownPids = [process.pid];
    const quiet = QUIET_BELOW > 0 ? await waitForQuiet(QUIET_BELOW, QUIET_WAIT_MS, ownPids) : undefined;
    const load = loadAverage();
    for (const l of loads) l.go();
    // Scrape at both ends of the measuring window; sample other people's CPU during it.
    const others = new Promise((r) => setTimeout(r, WARMUP_MS)).then(() =>
      othersBusyPercent(ownPids, DURATION_MS),
    );
    // CPU of each of our processes over the window, as a share of one core.
    const cpuPids = {
      proxy: proxy.pid,
      mariadb: db.pid,
      loadA: loads[0]?.child.pid,
      loadB: loads.at(-1).child.pid,
    };
    if (name === 'alone') delete cpuPids.loadA;
    const cpuNow = () =>
      Object.fromEntries(Object.entries(cpuPids).map(([k, pid]) => [k, treeCpuSeconds(pid)]));
    const cpu = Promise.all([
      new Promise((r) => setTimeout(r, WARMUP_MS)).then(cpuNow),
      new Promise((r) => setTimeout(r, WARMUP_MS + DURATION_MS)).then(cpuNow),
    ]).then(([a, b]) =>
      Object.fromEntries(
        Object.keys(b).map((k) => [k, Math.round((100 * (b[k] - a[k])) / (DURATION_MS / 1000))]),
      ),
    );
    const scrapes = await Promise.all([
      new Promise((r) => setTimeout(r, WARMUP_MS)).then(() => scrapeQos(proxy.httpPort)),
      new Promise((r) => setTimeout(r, WARMUP_MS + DURATION_MS)).then(() => scrapeQos(proxy.httpPort)),
    ]);
    const results = await Promise.all(loads.map((l) => l.result));
    const qos = {};
    for (const tenant of Object.keys(scrapes[1])) {
      const a = scrapes[0][tenant] ?? {};
      const b = scrapes[1][tenant];
      const d = (k) => (b[k] ?? 0) - (a[k] ?? 0);
      qos[tenant] = {
        slotSeconds: d('slot_seconds_total'),
        admitted: d('admitted_total'),
        meanWaitMs:
          d('wait_seconds_count') > 0 ? (1000 * d('wait_seconds_sum')) / d('wait_seconds_count') : 0,
        // Mean slot hold: a 10 ms SLEEP held far longer means the machine starved the run.
        meanHoldMs: d('admitted_total') > 0 ? (1000 * d('slot_seconds_total')) / d('admitted_total') : 0,
        within1msPct: d('wait_seconds_count') > 0 ? (100 * d('within_1ms')) / d('wait_seconds_count') : null,
      };
    }
    return {
      scenario: name,
      loadAverage: load,
      othersBusyPct: Math.round(await others),
      cpuPct: await cpu,
      quietBefore: quiet,
      flood: results.find((r) => r.user === FLOOD_USER.name) ?? null,
      quiet: results.find((r) => r.user === QUIET_USER.name),
      qos,
    };
  } finally {
    await proxy.stop();
  }
}

const median = (xs) => {
  const s = xs.filter((x) => x !== null && x !== undefined).sort((a, b) => a - b);
  if (s.length === 0) return null;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (x, digits = 2) => (x === null || x === undefined ? '–' : x.toFixed(digits));
const errorsOf = (r) =>
  Object.entries(r?.errors ?? {})
    .map(([k, v]) => `${k}×${v}`)
    .join(' ') || '0';

function report(machine, settings, runs) {
  const by = (name) => runs.filter((r) => r.scenario === name);
  const lines = [];
  const started = new Date().toISOString().replace('T', ' ').slice(0, 16);
  lines.push('# QoS: noisy neighbour', '');
  lines.push(
    `Run ${started} UTC on ${machine.cpu} (${machine.nproc} cores, shared with other work), ${machine.node}, ${machine.mariadb}.`,
  );
  lines.push(
    `Pool N = ${POOL}; A = ${FLOOD} connections of \`SELECT SLEEP(0.01)\`; B = ${QUIET} connections of primary-key selects (10,000-row table); ${settings.warmup} s warmup, ${settings.duration} s measured, ${ROUNDS} round(s), medians over rounds.`,
  );
  lines.push(
    '',
    '```',
    `node_modules/.bin/node test/bench/qos/noisy-neighbour.mjs ${process.argv.slice(2).join(' ')}`.trim(),
    '```',
    '',
  );
  lines.push("## B (quiet tenant) under A's flood", '');
  lines.push(
    'Medians over rounds. "B waited" is the mean time B\'s statements spent in the proxy\'s QoS queue;',
    '"A hold" the mean time a 10 ms `SLEEP` held a slot (well above 10 ms means the machine starved the run).',
    '',
    '| scenario | B qps | B p50 ms | B p99 ms | B p99 / alone | A qps | B waited ms | A hold ms | errors B / A |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  );
  const labels = {
    alone: '(1) B alone',
    'qos-off': '(2) A floods, QoS off (one FIFO)',
    'qos-on': `(3) A floods, QoS on (1:1, A max ${A_MAX_IN_FLIGHT})`,
  };
  const tenantsOf = (name) => (name === 'qos-off' ? ['shared', 'shared'] : ['a', 'b']);
  const alone = median(by('alone').map((r) => r.quiet.p99));
  for (const name of ['alone', 'qos-off', 'qos-on']) {
    const rs = by(name);
    if (rs.length === 0) continue;
    const [ta, tb] = tenantsOf(name);
    const p99 = median(rs.map((r) => r.quiet.p99));
    const errors = [...new Set(rs.map((r) => `${errorsOf(r.quiet)} / ${errorsOf(r.flood)}`))].join('; ');
    lines.push(
      `| ${labels[name]} | ${fmt(median(rs.map((r) => r.quiet.qps)), 0)} | ${fmt(median(rs.map((r) => r.quiet.p50)))} | ${fmt(p99)} | ${alone ? fmt(p99 / alone) : '–'} | ${name === 'alone' ? '–' : fmt(median(rs.map((r) => r.flood?.qps)), 0)} | ${fmt(median(rs.map((r) => r.qos[tb]?.meanWaitMs)))} | ${name === 'alone' ? '–' : fmt(median(rs.map((r) => r.qos[ta]?.meanHoldMs)))} | ${errors} |`,
    );
  }
  lines.push(
    '',
    'Every run. CPU % is of one core over the window (200 % = the whole machine); "others CPU" is',
    "other people's share of both cores meanwhile.",
    '',
    '| round | scenario | B qps | B p50 ms | B p99 ms | A qps | B waited ms | B admitted within 1 ms | A hold ms | CPU % proxy / MariaDB / load A / load B | others CPU |',
    '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |',
  );
  for (const r of runs) {
    const [ta, tb] = tenantsOf(r.scenario);
    lines.push(
      `| ${r.round} | ${r.scenario} | ${fmt(r.quiet.qps, 0)} | ${fmt(r.quiet.p50)} | ${fmt(r.quiet.p99)} | ${r.flood ? fmt(r.flood.qps, 0) : '–'} | ${fmt(r.qos[tb]?.meanWaitMs)} | ${fmt(r.qos[tb]?.within1msPct, 1)} % | ${r.flood ? fmt(r.qos[ta]?.meanHoldMs) : '–'} | ${[r.cpuPct.proxy, r.cpuPct.mariadb, r.cpuPct.loadA ?? '–', r.cpuPct.loadB].join(' / ')} | ${r.othersBusyPct} % |`,
    );
  }
  const shares = by('shares');
  if (shares.length > 0) {
    lines.push('', '## Both saturating, weights A:B = 3:1 (both run `SELECT SLEEP(0.01)`)', '');
    lines.push(
      "Slot time from the proxy's `scalestack_dbproxy_qos_slot_seconds_total` over the window; completed statements from the load processes.",
      '',
      '| round | A slot-s | B slot-s | A share (slot time) | A share (completed) | A qps | B qps | A hold ms | B hold ms | others CPU |',
      '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const r of shares) {
      const a = r.qos.a?.slotSeconds ?? 0;
      const b = r.qos.b?.slotSeconds ?? 0;
      const ca = r.flood.completed;
      const cb = r.quiet.completed;
      lines.push(
        `| ${r.round} | ${fmt(a, 1)} | ${fmt(b, 1)} | ${fmt((100 * a) / (a + b), 1)} % | ${fmt((100 * ca) / (ca + cb), 1)} % | ${fmt(r.flood.qps, 0)} | ${fmt(r.quiet.qps, 0)} | ${fmt(r.qos.a?.meanHoldMs)} | ${fmt(r.qos.b?.meanHoldMs)} | ${r.othersBusyPct} % |`,
      );
    }
    lines.push('', 'Target share for A: 75.0 % (±5 %).');
  }
  return lines.join('\n');
}

const machine = await describeMachine();
const db = await startBenchMariaDB(DB);
const runs = [];
try {
  await db.admin(
    `CREATE TABLE ${DB.database}.t (id INT PRIMARY KEY, k INT NOT NULL, c CHAR(120) NOT NULL) ENGINE=InnoDB`,
  );
  await db.admin(
    `INSERT INTO ${DB.database}.t SELECT seq, seq * 7 % 1000, REPEAT(CHAR(65 + seq % 26), 120) FROM seq_1_to_${ROWS}`,
  );
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of SCENARIOS) {
      const r = { round: round + 1, ...(await runScenario(db, name)) };
      console.error(
        `[round ${round + 1}] ${name}: B ${r.quiet.qps} qps p50 ${r.quiet.p50} p99 ${r.quiet.p99} ms` +
          (r.flood ? ` | A ${r.flood.qps} qps` : '') +
          ` | qos ${JSON.stringify(r.qos)} | others' CPU ${r.othersBusyPct} %`,
      );
      runs.push(r);
    }
  }
} finally {
  await db.stop();
}

const markdown = report(machine, { warmup: WARMUP_MS / 1000, duration: DURATION_MS / 1000 }, runs);
console.log(markdown);
if (!args['no-write']) {
  const out = resolve(repo, args.out);
  writeFileSync(`${out}.md`, `${markdown}\n`);
  writeFileSync(`${out}.json`, `${JSON.stringify({ machine, runs }, null, 2)}\n`);
}
