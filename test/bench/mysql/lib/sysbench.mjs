// Running sysbench's bundled OLTP scripts and reading their summary.

import { run } from './processes.mjs';

/**
 * Common connection options.
 * @param {{ port: number, user: string, password: string, database: string }} target
 */
function connectionArgs({ port, user, password, database }) {
  return [
    '--db-driver=mysql',
    '--mysql-host=127.0.0.1',
    `--mysql-port=${port}`,
    `--mysql-user=${user}`,
    `--mysql-password=${password}`,
    `--mysql-db=${database}`,
  ];
}

/** `sysbench oltp_point_select prepare`: creates and fills the sbtest tables. */
export async function prepareTables(target, { tables, tableSize }) {
  const r = await run(
    'sysbench',
    [
      'oltp_point_select',
      ...connectionArgs(target),
      `--tables=${tables}`,
      `--table-size=${tableSize}`,
      'prepare',
    ],
    { timeoutMs: 600_000 },
  );
  if (r.code !== 0) throw new Error(`sysbench prepare failed (exit ${r.code}):\n${r.stdout}${r.stderr}`);
}

/**
 * Read the summary sysbench 1.0 prints after a run.
 * @param {string} text sysbench's stdout
 * @returns {{ queries: number, qps: number, transactions: number, tps: number, p95ms: number,
 *   avgms: number, errors: number, reconnects: number, seconds: number } | undefined}
 *   undefined when the summary is missing (sysbench died before printing it).
 */
export function parseSysbenchOutput(text) {
  const number = (re) => {
    const m = re.exec(text);
    return m ? Number(m[1]) : Number.NaN;
  };
  const pair = (re) => {
    const m = re.exec(text);
    return m ? [Number(m[1]), Number(m[2])] : [Number.NaN, Number.NaN];
  };
  const [queries, qps] = pair(/^\s*queries:\s+(\d+)\s+\(([\d.]+) per sec\.\)/m);
  if (Number.isNaN(queries)) return undefined;
  const [transactions, tps] = pair(/^\s*transactions:\s+(\d+)\s+\(([\d.]+) per sec\.\)/m);
  return {
    queries,
    qps,
    transactions,
    tps,
    errors: number(/^\s*ignored errors:\s+(\d+)/m),
    reconnects: number(/^\s*reconnects:\s+(\d+)/m),
    p95ms: number(/^\s*95th percentile:\s+([\d.]+)/m),
    avgms: number(/^\s*avg:\s+([\d.]+)/m),
    seconds: number(/^\s*total time:\s+([\d.]+)s/m),
  };
}

/**
 * One measured run.
 * @param {string} test oltp_point_select | oltp_read_only
 * @param {{ port: number, user: string, password: string, database: string }} target
 * @param {{ threads: number, seconds: number, psMode: string, tables: number, tableSize: number,
 *   onStarted?: (pid: number) => void, onFinished?: (pid: number) => void }} opts
 *   onStarted runs once, when sysbench reports that every thread has connected and the measured
 *   phase begins ("Threads started!"); onFinished when it starts printing the summary (threads
 *   done, sysbench still alive). Both get sysbench's pid.
 * @returns {Promise<{ ok: boolean, result?: ReturnType<typeof parseSysbenchOutput>, failure?: string, args: string[] }>}
 */
export async function runSysbench(
  test,
  target,
  { threads, seconds, psMode, tables, tableSize, onStarted, onFinished },
) {
  const args = [
    test,
    ...connectionArgs(target),
    `--tables=${tables}`,
    `--table-size=${tableSize}`,
    `--threads=${threads}`,
    `--time=${seconds}`,
    `--db-ps-mode=${psMode}`,
    // Count errors instead of aborting at the first one: the errors column is part of the result.
    '--mysql-ignore-errors=all',
    '--percentile=95',
    'run',
  ];
  // Connecting thousands of threads takes a while on two cores; a hung run must not stall the sweep.
  let pid = 0;
  let started = false;
  let finished = false;
  const onStdout = (soFar) => {
    if (!started && soFar.includes('Threads started!')) {
      started = true;
      onStarted?.(pid);
    }
    if (!finished && soFar.includes('SQL statistics:')) {
      finished = true;
      onFinished?.(pid);
    }
  };
  const onSpawn = (p) => {
    pid = p;
  };
  const r = await run('sysbench', args, { timeoutMs: (seconds + 180) * 1000, onStdout, onSpawn });
  const result = parseSysbenchOutput(r.stdout);
  if (r.code === 0 && result) return { ok: true, result, args };
  const fatal = `${r.stdout}\n${r.stderr}`
    .split('\n')
    .filter((line) => /FATAL|error|Error/.test(line))
    .slice(0, 3)
    .join(' | ');
  const how = r.signal ? `killed by ${r.signal}` : `exit ${r.code}`;
  return { ok: false, result, failure: `${how}: ${fatal || r.stderr.slice(-300)}`, args };
}
