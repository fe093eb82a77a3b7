// The event-loop group in front of real MariaDB: the database proxy in 2 worker threads, run by
// the CLI binary (limits, both workers, SIGTERM) and by a Kernel in this process (a crashed
// worker). Needs `npm run build` (the CLI and the workers load dist/).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EVENT_GROUP } from '@scalestack/event';
import { Kernel } from '@scalestack/kernel';
import { freePort, type MariaDB, startMariaDB, waitFor } from '@scalestack/test-harness';
import mysql from 'mysql2/promise';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackendRelay } from '../modules/database-proxy/test/support/backend-relay.js';

const repo = join(import.meta.dirname, '..');

/**
 * What a mysql2 promise `Connection` holds but its typings leave out: the callback-API
 * connection it wraps, whose socket (`stream`) tells when the server closed the connection.
 */
interface Mysql2Internals {
  connection: { stream: Socket };
}

const node = join(repo, 'node_modules/.bin/node');
const bin = join(repo, 'packages/cli/dist/bin.js');
const POOL = 12;
const TENANT_CAP = 8;
/** The server's limit on prepared statements: N × each connection's cache must stay under it. */
const MAX_PREPARED = 100;

let db: MariaDB;
let dir: string;
/** One connection of our own that watches MariaDB (counted below). */
let watcher: mysql.Connection;

beforeAll(async () => {
  db = await startMariaDB({ maxConnections: 200, maxPreparedStmtCount: MAX_PREPARED });
  await db.query("CREATE USER 'proxy'@'%' IDENTIFIED BY 'proxy-pw'");
  await db.query("GRANT ALL PRIVILEGES ON *.* TO 'proxy'@'%'");
  watcher = await mysql.createConnection({
    host: db.host,
    port: db.port,
    user: 'root',
    password: db.password,
  });
  dir = mkdtempSync(join(tmpdir(), 'event-threads-'));
});
afterAll(async () => {
  await watcher?.end();
  await db?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function proxyConfig(port: number): Record<string, unknown> {
  return {
    log: { level: 'info' },
    modules: {
      event: { threads: 2, report_interval: '50ms', restart_delay: '10ms' },
      'database-proxy': {
        listen: `127.0.0.1:${port}`,
        users: [{ name: 'app', password: 'app-pw', tenant: 'shop' }],
        backends: [
          { name: 'maria', address: `127.0.0.1:${db.port}`, user: 'proxy', password: 'proxy-pw', pool: POOL },
        ],
        tenants: [{ name: 'shop', max_in_flight: String(TENANT_CAP) }],
        queue_timeout: '60s',
        stats_interval: '100ms',
      },
    },
  };
}

/** The proxy's backend connections as MariaDB sees them: all, and those running a statement. */
async function proxyConnections(): Promise<{ total: number; running: number }> {
  const [rows] = await watcher.query(
    "SELECT COUNT(*) AS total, COALESCE(SUM(COMMAND = 'Query'), 0) AS running FROM information_schema.PROCESSLIST WHERE USER = 'proxy'",
  );
  const row = (rows as { total: number; running: string | number }[])[0]!;
  return { total: Number(row.total), running: Number(row.running) };
}

/** Waits until MariaDB runs the test's `SELECT SLEEP(60)`. */
async function sleepRunning(): Promise<void> {
  await waitFor(
    async () => {
      const [rows] = await watcher.query(
        "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP(60)%'",
      );
      return Number((rows as { n: number }[])[0]!.n) === 1;
    },
    { what: "A's SLEEP to run on MariaDB" },
  );
}

interface CliRun {
  child: ChildProcess;
  logs: Record<string, unknown>[];
  exited: Promise<number | null>;
}

function runCli(args: string[]): CliRun {
  const child = spawn(node, [bin, ...args], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: Record<string, unknown>[] = [];
  let pending = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line));
      } catch {
        /* not a log line */
      }
    }
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      if (code !== 0 && stderr) console.error(stderr);
      resolve(code);
    }),
  );
  return { child, logs, exited };
}

describe('database proxy in 2 worker threads, by the CLI', () => {
  it('2,000 clients: connections on both workers, pool N and the tenant cap hold in total, SIGTERM stops all', async () => {
    const port = await freePort();
    const config = join(dir, 'proxy.json');
    writeFileSync(config, JSON.stringify(proxyConfig(port)));
    await watcher.query('FLUSH STATUS'); // Max_used_connections starts from now
    const cli = runCli(['run', '--config', config]);
    let sampling = true;
    try {
      await waitFor(() => cli.logs.filter((l) => l.msg === 'database proxy listening').length === 2, {
        what: 'both workers listening',
        timeout: 30_000,
      });
      const workersListening = cli.logs
        .filter((l) => l.msg === 'database proxy listening')
        .map((l) => l.worker);
      expect(workersListening.sort()).toEqual([0, 1]);
      // pipeline_connections (2 by default) is split between the workers like the pool.
      const pipelines = cli.logs
        .filter((l) => l.msg === 'database proxy listening')
        .map((l) => (l.pipeline as { connections: number }).connections);
      expect(pipelines).toEqual([1, 1]);
      // Each worker's statement cache fits the N of all workers (not only its own share) into
      // 90 % of the server's max_prepared_stmt_count.
      const caches = cli.logs
        .filter((l) => l.msg === "statement_cache_size lowered to fit the server's max_prepared_stmt_count")
        .map((l) => [l.worker, l.used, l.connections]);
      const fit = Math.floor((MAX_PREPARED * 0.9) / POOL);
      expect(caches.sort()).toEqual([
        [0, fit, POOL],
        [1, fit, POOL],
      ]);

      let peak = { total: 0, running: 0 };
      const sampler = (async () => {
        while (sampling) {
          const now = await proxyConnections();
          peak = { total: Math.max(peak.total, now.total), running: Math.max(peak.running, now.running) };
        }
      })();

      const CLIENTS = 2000;
      // All 2,000 are connected at once before any query; they connect 250 at a time so a busy
      // shared machine's accept backlog does not turn SYN retries into connect timeouts.
      const clients: mysql.Connection[] = [];
      while (clients.length < CLIENTS) {
        clients.push(
          ...(await Promise.all(
            Array.from({ length: Math.min(250, CLIENTS - clients.length) }, () =>
              mysql.createConnection({
                host: '127.0.0.1',
                port,
                user: 'app',
                password: 'app-pw',
                connectTimeout: 60_000,
              }),
            ),
          )),
        );
      }
      const answers = await Promise.all(
        clients.map(async (c, i) => {
          const [rows] = await c.query('SELECT SLEEP(0.005) AS s, ? AS n', [i]);
          return (rows as { n: number }[])[0]!.n;
        }),
      );
      expect(answers).toEqual(Array.from({ length: CLIENTS }, (_, i) => i));
      sampling = false;
      await sampler;

      // Both workers served clients: each logs its own stats, with its worker index.
      await waitFor(
        () => {
          const last = new Map<unknown, number>();
          for (const l of cli.logs) {
            if (l.msg === 'database proxy stats')
              last.set(l.worker, (l.counters as { connections: number }).connections);
          }
          return (
            last.size === 2 &&
            [...last.values()].every((n) => n > 0) &&
            [...last.values()].reduce((a, b) => a + b) === CLIENTS
          );
        },
        { what: 'stats of both workers adding up to 2,000 connections', timeout: 10_000 },
      );

      // MariaDB's own view: never more than N proxy connections, never more than the cap running.
      expect(peak.total).toBeLessThanOrEqual(POOL);
      expect(peak.running).toBeLessThanOrEqual(TENANT_CAP);
      expect(peak.running).toBeGreaterThan(TENANT_CAP / 2); // both workers' shares were in use at once
      const [status] = await watcher.query("SHOW GLOBAL STATUS LIKE 'Max_used_connections'");
      const maxUsed = Number((status as { Value: string }[])[0]!.Value);
      // The proxy's connections plus our watcher (the harness opens none during the run).
      expect(maxUsed).toBeLessThanOrEqual(POOL + 1);

      await Promise.all(clients.map((c) => c.end()));
      cli.child.kill('SIGTERM');
      expect(await cli.exited).toBe(0);
      expect(
        cli.logs
          .filter((l) => l.msg === 'stopped' && l.worker !== undefined)
          .map((l) => l.worker)
          .sort(),
      ).toEqual([0, 1]);
      await waitFor(async () => (await proxyConnections()).total === 0, {
        what: 'every backend connection closed',
        timeout: 10_000,
      });
    } finally {
      sampling = false;
      cli.child.kill('SIGKILL');
    }
  });
});

/**
 * A Kernel in this process running the proxy in 2 workers, with `adjust` applied to the config's
 * modules first, and one client on each worker: `a` on worker 0, `b` on worker 1 (worker i of 2
 * hands out ids i+1, i+3, …). `clients` holds every connection opened on the way.
 */
async function proxyWithClientOnEachWorker(
  adjust: (modules: Record<string, Record<string, unknown>>) => void,
): Promise<{ kernel: Kernel; a: mysql.Connection; b: mysql.Connection; clients: mysql.Connection[] }> {
  const port = await freePort();
  const kernel = new Kernel({ logger: pino({ level: 'silent' }), cwd: repo });
  const modules = proxyConfig(port).modules as Record<string, Record<string, unknown>>;
  adjust(modules);
  await kernel.load({ config: { modules } as never, env: {} });
  await kernel.start();
  const clients: mysql.Connection[] = [];
  let a: mysql.Connection | undefined;
  let b: mysql.Connection | undefined;
  while (a === undefined || b === undefined) {
    const c = await mysql.createConnection({ host: '127.0.0.1', port, user: 'app', password: 'app-pw' });
    c.on('error', () => {});
    clients.push(c);
    if (c.threadId % 2 === 1) a ??= c;
    else b ??= c;
  }
  return { kernel, a, b, clients };
}

describe('database proxy in 2 worker threads, a Kernel in this process', () => {
  it('connection ids are unique across workers; SHOW PROCESSLIST lists them all and KILL works whichever worker it lands on', async () => {
    const port = await freePort();
    const kernel = new Kernel({ logger: pino({ level: 'silent' }), cwd: repo });
    await kernel.load({ config: { modules: proxyConfig(port).modules } as never, env: {} });
    await kernel.start();
    const clients: mysql.Connection[] = [];
    try {
      for (let i = 0; i < 24; i++) {
        const c = await mysql.createConnection({ host: '127.0.0.1', port, user: 'app', password: 'app-pw' });
        c.on('error', () => {});
        clients.push(c);
      }
      const ids = clients.map((c) => c.threadId);
      expect(new Set(ids).size).toBe(ids.length);
      // Worker i of 2 hands out i+1, i+3, …: both parities seen means both workers served.
      const onZero = clients.filter((c) => c.threadId % 2 === 1);
      const onOne = clients.filter((c) => c.threadId % 2 === 0);
      expect(onZero.length).toBeGreaterThan(0);
      expect(onOne.length).toBeGreaterThan(0);
      const [a, b] = [onZero[0]!, onOne[0]!];
      const errnoOf = (p: Promise<unknown>) =>
        p.then(
          () => 'ok',
          (e: { errno?: number }) => e.errno,
        );

      // An idle client: OK, as on MariaDB. An id nobody has: 1094, from the thread that owns it.
      expect(await errnoOf(b.query(`KILL QUERY ${a.threadId}`))).toBe('ok');
      expect(await errnoOf(b.query(`KILL QUERY ${a.threadId + 1000}`))).toBe(1094);

      // A running statement on worker 0, killed from worker 1.
      const sleeping = a.query('SELECT SLEEP(60) AS s').then(
        ([rows]) => (rows as { s: number }[])[0]!.s,
        (e: { errno?: number }) => e.errno,
      );
      await sleepRunning();
      // SHOW PROCESSLIST on worker 1 lists both workers' clients, A's statement among them.
      const [listed] = await b.query('SHOW FULL PROCESSLIST');
      const list = listed as { Id: number; Command: string; Info: string | null }[];
      expect(list.map((r) => r.Id)).toEqual([...ids].sort((x, y) => x - y));
      expect(list.find((r) => r.Id === a.threadId)).toMatchObject({
        Command: 'Query',
        Info: 'SELECT SLEEP(60) AS s',
      });
      expect(await errnoOf(b.query(`KILL QUERY ${a.threadId}`))).toBe('ok');
      expect([1, 1317]).toContain(await sleeping);
      expect(((await a.query('SELECT 1 AS one'))[0] as { one: number }[])[0]!.one).toBe(1);

      // KILL CONNECTION across: A is closed, B goes on.
      const closed = new Promise<void>((resolve) =>
        (a as unknown as Mysql2Internals).connection.stream.on('close', () => resolve()),
      );
      expect(await errnoOf(b.query(`KILL ${a.threadId}`))).toBe('ok');
      await closed;
      expect(((await b.query('SELECT 2 AS two'))[0] as { two: number }[])[0]!.two).toBe(2);
    } finally {
      await Promise.all(clients.map((c) => c.end().catch(() => c.destroy())));
      await kernel.shutdown();
    }
  });

  it('a killed worker is replaced; the other worker’s clients keep working during and after', async () => {
    const port = await freePort();
    const kernel = new Kernel({ logger: pino({ level: 'silent' }), cwd: repo });
    const config = proxyConfig(port);
    await kernel.load({ config: { modules: config.modules } as never, env: {} });
    await kernel.start();
    const group = kernel.resolve(EVENT_GROUP);
    try {
      const clients = await Promise.all(
        Array.from({ length: 64 }, () =>
          mysql.createConnection({ host: '127.0.0.1', port, user: 'app', password: 'app-pw' }),
        ),
      );
      const closed = new Set<number>();
      clients.forEach((c, i) => {
        c.on('error', () => closed.add(i));
        (c as unknown as Mysql2Internals).connection.stream.on('close', () => closed.add(i));
      });
      const perWorker = () =>
        group.workers.map(
          (w) =>
            w.metrics
              .find((f) => f.name === 'socket_connections')
              ?.samples.reduce((a, s) => a + s.value, 0) ?? 0,
        );
      await waitFor(() => perWorker()[0]! + perWorker()[1]! === 64, {
        what: 'all 64 clients reported',
        timeout: 10_000,
      });
      const onZero = perWorker()[0]!;
      expect(onZero).toBeGreaterThan(0);
      expect(onZero).toBeLessThan(64);

      // Clients keep querying while worker 0 is killed and restarted.
      let crashed = false;
      const failed = new Map<number, string>();
      const loops = clients.map(async (c, i) => {
        let n = 0;
        while (!crashed || n < 5) {
          try {
            await c.query('SELECT ? AS n', [n]);
          } catch (err) {
            failed.set(i, (err as Error).message);
            return;
          }
          if (closed.has(i)) return;
          n++;
        }
      });
      await group.crash(0);
      await waitFor(() => closed.size === onZero, {
        what: `the ${onZero} clients of worker 0 closed`,
        timeout: 10_000,
      });
      await waitFor(() => group.workers[0]!.status === 'running', {
        what: 'worker 0 restarted',
        timeout: 10_000,
      });
      crashed = true;
      await Promise.all(loops);
      // Only worker 0's clients saw errors (their connection was reset); nobody else's query failed.
      expect([...failed.keys()].filter((i) => !closed.has(i))).toEqual([]);
      expect(group.workers[0]!.restarts).toBe(1);
      const survivors = clients.filter((_, i) => !closed.has(i));
      expect(survivors).toHaveLength(64 - onZero);
      const fresh = await Promise.all(
        Array.from({ length: 16 }, () =>
          mysql.createConnection({ host: '127.0.0.1', port, user: 'app', password: 'app-pw' }),
        ),
      );
      for (const c of [...survivors, ...fresh])
        expect(((await c.query('SELECT 1 AS one'))[0] as { one: number }[])[0]!.one).toBe(1);
      await Promise.all([...survivors, ...fresh].map((c) => c.end()));
      // The replacement worker's pool takes its share again: still never more than N in total.
      expect((await proxyConnections()).total).toBeLessThanOrEqual(POOL);
    } finally {
      await kernel.shutdown();
    }
  });

  it('a KILL whose owner worker dies before answering gets ER 1094 at once, not after the wait', async () => {
    // The owner's KILL QUERY to MariaDB is held on its way, so the owner has the request and has
    // not answered when it is killed; connect_timeout makes the asker's own wait 61 s.
    const relay = new BackendRelay(db.port);
    await relay.start();
    const { kernel, a, b, clients } = await proxyWithClientOnEachWorker((modules) => {
      const proxy = modules['database-proxy']!;
      proxy.connect_timeout = '30s';
      proxy.backends = [{ ...(proxy.backends as object[])[0], address: `127.0.0.1:${relay.port}` }];
    });
    const group = kernel.resolve(EVENT_GROUP);
    try {
      const sleeping = a.query('SELECT SLEEP(60)').catch(() => {});
      await sleepRunning();
      relay.holdWhen = (chunk) => chunk.includes('KILL QUERY');
      const killed = b.query(`KILL QUERY ${a.threadId}`).then(
        () => ({ errno: 0, message: 'ok' }),
        (e: { errno: number; message: string }) => ({ errno: e.errno, message: e.message }),
      );
      await waitFor(() => relay.heldCount === 1, { what: "worker 0's KILL QUERY to reach the relay" });
      await group.crash(0);
      const answer = await killed;
      expect(answer.errno).toBe(1094);
      expect(answer.message).toContain('worker 0 exited before answering');
      await sleeping;
      // The asker's worker goes on.
      expect(((await b.query('SELECT 2 AS two'))[0] as { two: number }[])[0]!.two).toBe(2);
    } finally {
      relay.release();
      await Promise.all(clients.map((c) => c.end().catch(() => c.destroy())));
      await kernel.shutdown();
      await relay.stop();
    }
  });

  it('a KILL for a client of a worker that is down gets ER 1094 from the supervisor at once', async () => {
    const { kernel, a, b, clients } = await proxyWithClientOnEachWorker((modules) => {
      // Worker 0 stays down long enough to be asked while it is.
      modules.event = { ...modules.event, restart_delay: '60s' };
    });
    const group = kernel.resolve(EVENT_GROUP);
    try {
      await group.crash(0);
      await waitFor(() => group.workers[0]!.status === 'restarting', { what: 'worker 0 to be down' });
      const answer = await b.query(`KILL QUERY ${a.threadId}`).then(
        () => ({ errno: 0, message: 'ok' }),
        (e: { errno: number; message: string }) => ({ errno: e.errno, message: e.message }),
      );
      expect(answer.errno).toBe(1094);
      expect(answer.message).toContain('worker 0 is restarting');
    } finally {
      await Promise.all(clients.map((c) => c.end().catch(() => c.destroy())));
      await kernel.shutdown();
    }
  });
});
