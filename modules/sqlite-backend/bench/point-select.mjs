// Point selects against the sqlite-backend, text protocol (query) and binary (execute), with a
// few concurrent mysql2 connections; prints queries per second and server CPU per query. The
// `update` mode runs point UPDATEs by text instead (each one rewritten, and its table looked up
// for ON UPDATE columns).
// Run: npm run build && node modules/sqlite-backend/bench/point-select.mjs [seconds] [connections] [modes]
//   modes: a comma-separated list of query, execute, update (default query,execute)

import { SqliteBackendServer } from '@scalestack/sqlite-backend';
import mysql from 'mysql2/promise';

const seconds = Number(process.argv[2] ?? 3);
const connections = Number(process.argv[3] ?? 4);
const modes = (process.argv[4] ?? 'query,execute').split(',');
const server = await SqliteBackendServer.start({ listen: '127.0.0.1:0' });
const port = server.address.port;
const setup = await mysql.createConnection({
  host: '127.0.0.1',
  port,
  user: 'root',
  multipleStatements: true,
});
await setup.query('CREATE TABLE sbtest (id INTEGER PRIMARY KEY, k INT, c CHAR(120), pad CHAR(60))');
await setup.query(
  'WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000) INSERT INTO sbtest SELECT i, i * 7 % 10000, hex(randomblob(60)), hex(randomblob(30)) FROM n',
);
await setup.end();

async function run(mode) {
  const conns = await Promise.all(
    Array.from({ length: connections }, () =>
      mysql.createConnection({ host: '127.0.0.1', port, user: 'root' }),
    ),
  );
  let done = 0;
  const cpu0 = process.cpuUsage();
  const end = Date.now() + seconds * 1000;
  await Promise.all(
    conns.map(async (c) => {
      while (Date.now() < end) {
        const id = 1 + Math.floor(Math.random() * 10000);
        if (mode === 'query') await c.query(`SELECT c FROM sbtest WHERE id = ${id}`);
        else if (mode === 'update') await c.query(`UPDATE sbtest SET k = k + 1 WHERE id = ${id}`);
        else await c.execute('SELECT c FROM sbtest WHERE id = ?', [id]);
        done++;
      }
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  await Promise.all(conns.map((c) => c.end()));
  // Client and server share this process: CPU per query covers both sides.
  return {
    mode,
    qps: Math.round(done / seconds),
    cpuUsPerQuery: ((cpu.user + cpu.system) / done).toFixed(1),
  };
}

const results = [];
for (const mode of modes) results.push(await run(mode));
console.table(results);
await server.close();
