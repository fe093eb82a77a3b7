// The mariadb connector's batch() and pipelined queries, straight to MariaDB and through
// proxies, alternating targets every round: seconds per batch and rows (or queries) a second.
//
//   node test/bench/mysql/connector-batch.bench.mjs --rounds 3 --rows 10000 \
//     direct:127.0.0.1:33073 proxy:127.0.0.1:6033
//
// Each target needs user sbtest/sbtest and schema sbtest (lab-db.mjs and the lab proxy config),
// and every target must reach the same MariaDB: the script creates its table, bench_batch, through
// the first target and drops it there at the end. Traffic goes to 127.0.0.1 only and
// each round is bounded by its row count.
import { parseArgs } from 'node:util';
import mariadb from 'mariadb';
import { positiveInt } from './lib/options.mjs';
import { median } from './lib/report.mjs';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    rounds: { type: 'string', default: '3' },
    rows: { type: 'string', default: '10000' },
    queries: { type: 'string', default: '2000' },
    user: { type: 'string', default: 'sbtest' },
    password: { type: 'string', default: 'sbtest' },
    database: { type: 'string', default: 'sbtest' },
  },
});
const SCRIPT = 'connector-batch.bench.mjs';
const rounds = positiveInt('rounds', values.rounds, SCRIPT);
const rowCount = positiveInt('rows', values.rows, SCRIPT);
const queryCount = positiveInt('queries', values.queries, SCRIPT);
const targets = positionals.map((p) => {
  const [name, host, port] = p.split(':');
  if (host !== '127.0.0.1') throw new Error(`targets are on 127.0.0.1 only: ${p}`);
  return { name, host, port: Number(port) };
});
if (targets.length === 0) throw new Error('usage: connector-batch.bench.mjs name:127.0.0.1:port …');

const connect = (t) =>
  mariadb.createConnection({
    host: t.host,
    port: t.port,
    user: values.user,
    password: values.password,
    database: values.database,
  });

const setup = await connect(targets[0]);
await setup.query('DROP TABLE IF EXISTS bench_batch');
await setup.query('CREATE TABLE bench_batch (id INT PRIMARY KEY, v VARCHAR(64)) ENGINE=InnoDB');
await setup.end();

const rows = Array.from({ length: rowCount }, (_, i) => [i, `value ${i}`]);
const results = new Map(targets.map((t) => [t.name, { batch: [], pipelined: [] }]));

for (let round = 0; round < rounds; round++) {
  for (const t of round % 2 === 0 ? targets : [...targets].reverse()) {
    const conn = await connect(t);
    await conn.query('DELETE FROM bench_batch');
    let start = performance.now();
    const res = await conn.batch('INSERT INTO bench_batch VALUES (?, ?)', rows);
    const batchMs = performance.now() - start;
    // One OK for a bulk execute; without it (per-row executes) one result a row.
    const inserted = Array.isArray(res)
      ? res.reduce((n, r) => n + Number(r.affectedRows), 0)
      : Number(res.affectedRows);
    if (inserted !== rowCount) throw new Error(`${t.name}: ${inserted} rows inserted`);
    start = performance.now();
    const answers = await Promise.all(
      Array.from({ length: queryCount }, (_, i) => conn.query('SELECT ? AS n', [i])),
    );
    const pipelinedMs = performance.now() - start;
    answers.forEach((a, i) => {
      if (Number(a[0].n) !== i) throw new Error(`${t.name}: query ${i} answered ${a[0].n}`);
    });
    await conn.end();
    results.get(t.name).batch.push(batchMs);
    results.get(t.name).pipelined.push(pipelinedMs);
    console.log(
      `round ${round + 1} ${t.name}: batch of ${rowCount} ${batchMs.toFixed(0)} ms (${Math.round((rowCount / batchMs) * 1000)} rows/s); ${queryCount} pipelined queries ${pipelinedMs.toFixed(0)} ms${Array.isArray(res) ? ' (batch answered row by row)' : ''}`,
    );
  }
}

console.log('\n| target | batch ms (median) | rows/s | pipelined queries ms (median) | queries/s |');
console.log('|---|---:|---:|---:|---:|');
for (const [name, r] of results) {
  const b = median(r.batch);
  const p = median(r.pipelined);
  console.log(
    `| ${name} | ${b.toFixed(0)} | ${Math.round((rowCount / b) * 1000)} | ${p.toFixed(0)} | ${Math.round((queryCount / p) * 1000)} |`,
  );
}
const cleanup = await connect(targets[0]);
await cleanup.query('DROP TABLE IF EXISTS bench_batch');
await cleanup.end();
