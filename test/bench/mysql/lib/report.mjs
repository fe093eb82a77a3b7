// Turning the sweep's runs into the markdown that goes to test/bench/results: medians over
// rounds, ratios between targets, and a USL fit per curve.

import { fitUsl } from '../usl.mjs';

/** The median of the finite values (NaN for none). */
export function median(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/**
 * Medians over rounds of one (test, ps-mode, threads, target) point.
 * @param {Array<object>} runs the runs of that point
 */
export function summarise(runs) {
  const ok = runs.filter((r) => r.ok);
  return {
    runs: runs.length,
    failed: runs.length - ok.length,
    qps: median(ok.map((r) => r.qps)),
    p95ms: median(ok.map((r) => r.p95ms)),
    errors: runs.reduce((s, r) => s + (Number.isFinite(r.errors) ? r.errors : 0), 0),
    reconnects: runs.reduce((s, r) => s + (Number.isFinite(r.reconnects) ? r.reconnects : 0), 0),
    targetCpuUs: median(ok.map((r) => r.targetCpuUsPerQuery)),
    dbCpuUs: median(ok.map((r) => r.dbCpuUsPerQuery)),
    backends: Math.max(0, ...ok.map((r) => r.maxBackendConnections).filter(Number.isFinite)),
    othersCpuPct: Math.max(...runs.map((r) => r.othersCpuPct).filter(Number.isFinite)),
  };
}

const fmt = {
  qps: (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '—'),
  ms: (x) => (Number.isFinite(x) ? (x >= 100 ? x.toFixed(0) : x.toFixed(2)) : '—'),
  us: (x) => (Number.isFinite(x) ? x.toFixed(1) : '—'),
  ratio: (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? (a / b).toFixed(2) : '—'),
  int: (x) => (Number.isFinite(x) ? String(x) : '—'),
  pct: (x) => (Number.isFinite(x) ? `${Math.max(0, x).toFixed(0)}` : '—'),
};

function cell(summary, pick) {
  if (!summary) return '—';
  const value = pick(summary);
  return summary.failed > 0 ? `${value} (${summary.failed}/${summary.runs} failed)` : value;
}

/** Target pairs that get a qps ratio column, in column order. */
const RATIO_PAIRS = [
  ['proxy', 'direct'],
  ['proxy', 'haproxy'],
  ['haproxy', 'direct'],
  ['proxy', 'pipe'],
  ['pipe', 'haproxy'],
];

/**
 * Render one test × ps-mode section.
 * @param {{ test: string, psMode: string, threads: number[], targets: string[], runs: object[] }} s
 */
export function renderSection({ test, psMode, threads, targets, runs }) {
  const point = (n, target) => {
    const rs = runs.filter(
      (r) => r.test === test && r.psMode === psMode && r.threads === n && r.target === target,
    );
    return rs.length ? summarise(rs) : undefined;
  };
  const lines = [`### ${test}, --db-ps-mode=${psMode}`, ''];

  // qps ratio columns (> 1: the first is faster), for the pairs whose targets both ran. Next to
  // the Node floor (the pipe) they are throughput too; the CPU split is in the cost table.
  const ratios = RATIO_PAIRS.filter(([a, b]) => targets.includes(a) && targets.includes(b)).map(([a, b]) => [
    `${a}/${b}`,
    a,
    b,
  ]);
  const head = [
    'threads',
    ...targets.map((t) => `${t} qps`),
    ...ratios.map(([name]) => name),
    ...targets.map((t) => `${t} p95 ms`),
    ...targets.map((t) => `${t} errors`),
    "others' CPU %",
  ];
  lines.push(`| ${head.join(' | ')} |`, `|${head.map(() => '---:').join('|')}|`);
  for (const n of threads) {
    const s = Object.fromEntries(targets.map((t) => [t, point(n, t)]));
    const row = [
      String(n),
      ...targets.map((t) => cell(s[t], (x) => fmt.qps(x.qps))),
      ...ratios.map(([, a, b]) => fmt.ratio(s[a]?.qps, s[b]?.qps)),
      ...targets.map((t) => cell(s[t], (x) => fmt.ms(x.p95ms))),
      ...targets.map((t) =>
        s[t] ? `${s[t].errors}${s[t].reconnects ? ` (+${s[t].reconnects} reconn.)` : ''}` : '—',
      ),
      fmt.pct(Math.max(...targets.map((t) => s[t]?.othersCpuPct ?? Number.NaN).filter(Number.isFinite))),
    ];
    lines.push(`| ${row.join(' | ')} |`);
  }

  const proxies = targets.filter((t) => t !== 'direct');
  const costHead = [
    'threads',
    ...proxies.map((t) => `${t} CPU µs/query`),
    ...targets.map((t) => `MariaDB CPU µs/query via ${t}`),
    ...targets.map((t) => `max backend conns via ${t}`),
  ];
  lines.push('', `| ${costHead.join(' | ')} |`, `|${costHead.map(() => '---:').join('|')}|`);
  for (const n of threads) {
    const s = Object.fromEntries(targets.map((t) => [t, point(n, t)]));
    const row = [
      String(n),
      ...proxies.map((t) => (s[t] ? fmt.us(s[t].targetCpuUs) : '—')),
      ...targets.map((t) => (s[t] ? fmt.us(s[t].dbCpuUs) : '—')),
      ...targets.map((t) => (s[t] ? fmt.int(s[t].backends) : '—')),
    ];
    lines.push(`| ${row.join(' | ')} |`);
  }

  lines.push('', '| USL fit | λ (qps at 1 thread) | σ (contention) | κ (coherency) | R² | peak at N ≈ |');
  lines.push('|---|---:|---:|---:|---:|---:|');
  for (const t of targets) {
    const data = threads.map((n) => ({ n, x: point(n, t)?.qps ?? Number.NaN }));
    try {
      const f = fitUsl(data);
      lines.push(
        `| ${t} | ${fmt.qps(f.lambda)} | ${f.sigma.toPrecision(3)} | ${f.kappa.toPrecision(3)} | ${f.r2.toFixed(3)} | ${Number.isFinite(f.peakN) ? Math.round(f.peakN) : '∞'} |`,
      );
    } catch (error) {
      lines.push(`| ${t} | ${error.message} | | | | |`);
    }
  }
  return lines.join('\n');
}

/**
 * The whole results file.
 * @param {{ options: object, machine: object, mariadb: object, haproxyConfig?: string,
 *   proxyConfig?: string, runs: object[], started: Date, finished: Date, command: string,
 *   load: { start: string, end: string }, notes: string[] }} r
 */
export function renderReport(r) {
  const { options, machine } = r;
  // Named by what ran: a run narrowed with --tests/--threads is not the full sweep.
  const scope = options.quick
    ? 'quick smoke run'
    : `${options.tests.length} test(s) × ${options.psModes.length} ps-mode(s) × threads ${options.threads.join(', ')}`;
  const out = [
    `## Database proxy: sysbench sweep (${scope})`,
    '',
    `Measured ${r.started.toISOString()} – ${r.finished.toISOString()}, ${options.rounds} round(s) of ${options.duration} s per run, targets alternating ${options.targets.join(' → ')} at every point.`,
    '',
    '```',
    r.command,
    '```',
    '',
    '**Machine**',
    '',
    `- CPU: ${machine.cpu}, nproc ${machine.nproc}, memory ${machine.memory}, kernel ${machine.kernel}`,
    `- Load average (1/5/15 min) at start: ${r.load.start}; at end: ${r.load.end} (counts our own sysbench threads too)`,
    `- others' CPU %: share of all cores used during a run by processes other than sysbench, MariaDB, the target and this script (/proc/stat busy time minus ours, max over the point's runs; tick-based, so ±15 points) — the machine is shared, read rows with a high figure with care`,
    `- ${machine.mariadb}`,
    `- ${machine.sysbench}; ${machine.haproxy}; Node ${machine.node}; open files limit ${machine.openFilesLimit} for every server`,
    `- MariaDB (started by @scalestack/test-harness, otherwise server defaults): ${Object.entries(
      r.mariadb.settings,
    )
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')}`,
    `- sysbench: --tables=${options.tables} --table-size=${options.tableSize} --mysql-ignore-errors=all --percentile=95; qps = queries/s as sysbench reports it`,
    '- CPU µs/query: user+system CPU of the target process tree (from /proc/<pid>/stat) from sysbench\'s "Threads started!" to its summary (all threads connected until all disconnected), divided by the queries sysbench executed; MariaDB\'s the same way.',
    options.quietBelow
      ? `- Before each run the script waited (up to ${options.quietWait} s) until work other than ours kept all cores less than ${options.quietBelow} % busy; ${r.runs.filter((x) => x.busyBeforePct >= options.quietBelow).length} of ${r.runs.length} runs started without that quiet moment.`
      : '- No waiting for a quiet machine (--quiet-below not given).',
    "- max backend conns: MariaDB's Max_used_connections during the run (FLUSH STATUS before it) minus the connections open at its start that were not the target's (a proxy's idle pool during a direct run); may include 1 admin connection.",
  ];
  if (options.targets.includes('pipe')) {
    out.push(
      `- pipe: \`${options.pipeCommand}\`, every client piped to its own MariaDB connection with no protocol work (the floor of a Node proxy), configured with the proxy's YAML on its own port.`,
    );
  }
  out.push('');
  if (r.notes.length) out.push('**Notes**', '', ...r.notes.map((n) => `- ${n}`), '');
  for (const test of options.tests) {
    for (const psMode of options.psModes) {
      out.push(
        renderSection({ test, psMode, threads: options.threads, targets: options.targets, runs: r.runs }),
        '',
      );
    }
  }
  const failures = r.runs.filter((x) => !x.ok);
  if (failures.length) {
    out.push('**Failed runs**', '');
    for (const f of failures)
      out.push(`- ${f.test} ${f.psMode} ${f.threads} threads via ${f.target}: ${f.failure}`);
    out.push('');
  }
  if (r.haproxyConfig)
    out.push(
      '<details><summary>haproxy.cfg</summary>',
      '',
      '```',
      r.haproxyConfig.trim(),
      '```',
      '</details>',
      '',
    );
  if (r.proxyConfig)
    out.push(
      '<details><summary>proxy config</summary>',
      '',
      '```yaml',
      r.proxyConfig.trim(),
      '```',
      '</details>',
      '',
    );
  return out.join('\n');
}
