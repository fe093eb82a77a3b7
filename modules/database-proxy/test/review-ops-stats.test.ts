/**
 * Review scratch test (operator view): what stats(), logStats() and the metric families show
 * for pools, clients (state, pin reason), waiting statements and counters.
 */
import { Writable } from 'node:stream';
import { Kernel } from '@scalestack/kernel';
import { type MariaDB, startMariaDB, waitFor } from '@scalestack/test-harness';
import mysql from 'mysql2/promise';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DATABASE_PROXY, type DatabaseProxyService } from '../src/index.js';

let mariadb: MariaDB;
let kernel: Kernel;
let proxy: DatabaseProxyService;
const lines: Record<string, unknown>[] = [];
const open: mysql.Connection[] = [];

beforeAll(async () => {
  mariadb = await startMariaDB({ maxConnections: 50 });
  await mariadb.query("CREATE USER 'proxy'@'%' IDENTIFIED BY 'proxypw'");
  await mariadb.query("GRANT ALL ON *.* TO 'proxy'@'%'");
  await mariadb.query('CREATE TABLE test.t (id INT PRIMARY KEY AUTO_INCREMENT, v INT)');
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n')) if (l.trim() !== '') lines.push(JSON.parse(l));
      cb();
    },
  });
  kernel = new Kernel({ logger: pino({ level: 'info' }, sink) });
  await kernel.load({
    modules: ['database-proxy'],
    env: {},
    config: {
      modules: {
        'database-proxy': {
          listen: '127.0.0.1:0',
          users: [{ name: 'app', password: 'secret' }],
          backends: [
            {
              name: 'db1',
              address: `127.0.0.1:${mariadb.port}`,
              user: 'proxy',
              password: 'proxypw',
              pool: 2,
            },
          ],
          queue_timeout: '20s',
        },
      },
    },
  });
  await kernel.start();
  proxy = kernel.container.resolve(DATABASE_PROXY) as DatabaseProxyService;
}, 120_000);

afterAll(async () => {
  for (const c of open) c.destroy();
  await kernel?.shutdown();
  await mariadb?.stop();
});

async function client(): Promise<mysql.Connection> {
  const c = await mysql.createConnection({
    host: '127.0.0.1',
    port: proxy.address.port,
    user: 'app',
    password: 'secret',
    database: 'test',
  });
  c.on('error', () => {});
  open.push(c);
  return c;
}

it('shows pools, client states, pin reasons, waiting and counters', async () => {
  const a = await client();
  const b = await client();
  const c = await client();
  await a.query('BEGIN');
  await a.query('INSERT INTO t (v) VALUES (1)');
  await b.query('SET @v = 1');
  let s = proxy.stats();
  console.log(
    'STATS-1',
    JSON.stringify({ pools: s.pools, clients: s.clients, pinnedNow: s.pinnedNow, waiting: s.waiting }),
  );
  // Both pool connections are now held by pinned clients: c must wait.
  const running = c.query('SELECT 42 AS x');
  await waitFor(() => proxy.stats().waiting > 0, { what: 'a waiting statement' });
  s = proxy.stats();
  console.log('STATS-2', JSON.stringify({ pools: s.pools, clients: s.clients, waiting: s.waiting }));
  proxy.logStats();
  const logged = lines.filter((l) => l.msg === 'database proxy stats');
  console.log('LOGSTATS', JSON.stringify(logged.at(-1)));
  await a.query('COMMIT');
  const [rows] = await running;
  console.log('C-RESULT', JSON.stringify(rows));
  s = proxy.stats();
  console.log(
    'STATS-3',
    JSON.stringify({ pools: s.pools, clients: s.clients, counters: s.counters, pipeline: s.pipeline }),
  );
  const names = kernel.metrics.collect().map((f) => f.name);
  console.log('METRICS', names.join(' '));
  for (const n of [
    'scalestack_dbproxy_stacked_total',
    'scalestack_dbproxy_diverted_total',
    'scalestack_dbproxy_stalls_total',
    'scalestack_dbproxy_replays_total',
    'scalestack_dbproxy_shared_connections',
    'scalestack_dbproxy_lazy_begins_total',
    'scalestack_dbproxy_empty_transactions_total',
    'scalestack_dbproxy_kill_queries_sent_total',
    'scalestack_dbproxy_qos_in_flight',
    'scalestack_dbproxy_qos_queued',
    'scalestack_dbproxy_qos_connections',
    'scalestack_dbproxy_qos_admitted_total',
    'scalestack_dbproxy_qos_rejected_total',
    'scalestack_dbproxy_qos_cancelled_total',
    'scalestack_dbproxy_qos_slot_seconds_total',
    'scalestack_dbproxy_qos_wait_seconds',
    'scalestack_dbproxy_pins_total',
    'scalestack_dbproxy_pinned_clients',
  ])
    expect(names).toContain(n);
  // A running statement shows as active.
  const slow = b.query('SELECT SLEEP(1)');
  await waitFor(() => proxy.stats().clients.some((x) => x.state === 'active'), { what: 'an active client' });
  console.log('STATS-4', JSON.stringify(proxy.stats().clients));
  await slow;
}, 60_000);
