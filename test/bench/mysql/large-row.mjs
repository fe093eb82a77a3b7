#!/usr/bin/env node
// Time to read one large row through the database proxy against straight from MariaDB, in one
// run, alternating: what the proxy's holding of a packet until it is whole costs per MiB.
//
//   node test/bench/mysql/large-row.mjs [MiB=64] [rounds=5]
//
// Starts its own MariaDB (max_allowed_packet 256M) and the built proxy (npm run build) in this
// process; the client is mysql2 in this process too, so both figures include its parsing.
import { Kernel } from '@scalestack/kernel';
import { startMariaDB } from '@scalestack/test-harness';
import mysql from 'mysql2/promise';

const mib = Number(process.argv[2] ?? 64);
const rounds = Number(process.argv[3] ?? 5);
const db = await startMariaDB({ args: ['--max-allowed-packet=256M'] });
const kernel = new Kernel({ logLevel: 'warn' });
try {
  await db.query("CREATE USER 'proxy'@'%' IDENTIFIED BY 'proxypw'");
  await db.query("GRANT ALL ON *.* TO 'proxy'@'%'");
  await kernel.load({
    modules: ['database-proxy'],
    env: {},
    config: {
      modules: {
        'database-proxy': {
          listen: '127.0.0.1:0',
          users: [{ name: 'app', password: 'secret', tenant: 'default', max_connections: 10 }],
          backends: [
            { name: 'db', address: `127.0.0.1:${db.port}`, user: 'proxy', password: 'proxypw', pool: 1 },
          ],
        },
      },
    },
  });
  await kernel.start();
  const proxyPort = kernel.container.resolve(Symbol.for('scalestack:database-proxy')).address.port;
  const direct = await mysql.createConnection({
    host: '127.0.0.1',
    port: db.port,
    user: 'root',
    password: db.password,
  });
  const proxied = await mysql.createConnection({
    host: '127.0.0.1',
    port: proxyPort,
    user: 'app',
    password: 'secret',
  });
  const sql = `SELECT REPEAT('x', ${mib} * 1024 * 1024) AS v`;
  const time = async (conn) => {
    const t0 = process.hrtime.bigint();
    const [rows] = await conn.query(sql);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (rows[0].v.length !== mib * 1024 * 1024) throw new Error('short row');
    return ms;
  };
  await time(direct);
  await time(proxied);
  const results = { direct: [], proxy: [] };
  for (let i = 0; i < rounds; i++) {
    results.direct.push(await time(direct));
    results.proxy.push(await time(proxied));
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  for (const [name, xs] of Object.entries(results))
    console.log(
      `${name.padEnd(6)} ${mib} MiB row: median ${median(xs).toFixed(0)} ms (${xs.map((x) => x.toFixed(0)).join(' ')})`,
    );
  console.log(`proxy - direct: ${(median(results.proxy) - median(results.direct)).toFixed(0)} ms`);
  await direct.end();
  await proxied.end();
} finally {
  await kernel.shutdown();
  await db.stop();
}
