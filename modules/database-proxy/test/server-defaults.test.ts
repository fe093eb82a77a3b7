/**
 * Servers whose global settings change what BEGIN and COMMIT do (completion_type CHAIN or
 * RELEASE, sql_mode ORACLE, read-only transactions): the proxy reads them at start and leaves
 * BEGIN and COMMIT to the server, so a client sees what MariaDB itself shows. One private
 * MariaDB; each case sets a global, then runs the same steps on a direct connection and through a
 * proxy started after the change.
 */
import { type MariaDB, startMariaDB, waitFor } from '@scalestack/test-harness';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from '../../../packages/mysql-protocol/test/support/raw-client.js';
import type { DatabaseProxy } from '../src/database-proxy.js';
import { type BackendRelay, startRelayedProxy } from './support/backend-relay.js';
import { backendOf } from './support/backends.js';
import { PYTHON, runClientScript } from './support/client-tools.js';
import {
  APP_USER,
  backendAt,
  createBackendUser,
  type ProxyFixture,
  startProxyFixture,
} from './support/proxy-fixture.js';
import { tenantMetrics } from './support/qos-helpers.js';

const IN_TRANS = 0x1;
const AUTOCOMMIT = 0x2;
/** How a client learns that the server ended its session depends on timing. */
const LOST = ['ECONNRESET', 'PROTOCOL_CONNECTION_LOST', 'EPIPE'];
/** The connection is gone: mysql2 reports that as fatal (whichever code timing gave it), unlike an ERR. */
const connectionLost = (p: Promise<unknown>) =>
  p.then(
    () => false,
    (e: { fatal?: boolean; code?: string }) => e.fatal === true || LOST.includes(e.code ?? ''),
  );

let mariadb: MariaDB;

beforeAll(async () => {
  mariadb = await startMariaDB();
  // Before any global is set: under tx_read_only even CREATE USER is refused.
  await createBackendUser(mariadb);
  await mariadb.query('CREATE TABLE sd (id INT PRIMARY KEY AUTO_INCREMENT, v VARCHAR(40)) ENGINE=InnoDB');
});

afterAll(async () => {
  await mariadb?.stop();
});

/** A session straight to this file's MariaDB, as its root user. */
const directConnection = () =>
  mysql.createConnection({
    host: mariadb.host,
    port: mariadb.port,
    user: mariadb.user,
    password: mariadb.password,
    database: mariadb.database,
  });
const serverStatus = async (c: mysql.Connection, sql: string) => {
  const [r] = await c.query<mysql.ResultSetHeader>(sql);
  return r.serverStatus;
};
const committed = async (v: string) =>
  Number((await mariadb.query('SELECT COUNT(*) AS n FROM sd WHERE v = ?', [v]))[0].n);
const errnoOf = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: { errno?: number; code?: string }) => e.errno ?? e.code,
  );

interface Outcome<T> {
  server: T;
  proxy: T;
  /** The proxy's lazy BEGIN counters after its run. */
  lazyBegins: number;
  emptyTransactions: number;
}

/**
 * Sets `global` (a `SET GLOBAL` assignment), runs `steps` on a fresh direct connection and then
 * through a proxy started with the setting in place, and puts the setting back.
 */
async function underGlobal<T>(
  global: string | undefined,
  steps: (c: mysql.Connection, tag: string) => Promise<T>,
): Promise<Outcome<T>> {
  const [name] = global?.split('=') ?? [];
  if (global !== undefined) await mariadb.query(`SET GLOBAL ${global}`);
  let fx: ProxyFixture | undefined;
  try {
    const d = await directConnection();
    d.on('error', () => {});
    const server = await steps(d, `direct-${global}`).finally(() => d.destroy());
    fx = await startProxyFixture({ pool: 2, mariadb, createBackendUser: false });
    const c = await fx.connect();
    c.on('error', () => {});
    const proxy = await steps(c, `proxy-${global}`).finally(() => c.destroy());
    const { lazyBegins, emptyTransactions } = fx.proxy.stats().counters;
    return { server, proxy, lazyBegins, emptyTransactions };
  } finally {
    if (name !== undefined) await mariadb.query(`SET GLOBAL ${name} = DEFAULT`);
    await fx?.stop();
  }
}

/**
 * The server changes to ORACLE mode after a proxy started under stock settings: its connections
 * are closed, so the ones it opens from here on take the new default.
 */
async function oracleModeAfterStart(): Promise<void> {
  await mariadb.query("SET GLOBAL sql_mode = 'ORACLE'");
  const ids = await mariadb.query("SELECT ID AS id FROM information_schema.PROCESSLIST WHERE USER = 'proxy'");
  for (const { id } of ids) await mariadb.query(`KILL ${id}`);
}

/**
 * A proxy started while its server turns connections away (through a relay that refuses them
 * until the test clears `relay.refuse`), so the server is first reached later.
 */
const proxyBeforeServer = (options: Record<string, unknown> = {}) =>
  startRelayedProxy(mariadb, 2, { server_failure_limit: 1000, ...options }, { refuse: true });

/**
 * Two clients of a proxy started before its server; the server is let through and its probe
 * held in the relay while `c1`'s first statement (`first`, its outcome) waits behind it.
 */
async function firstStatementBehindHeldProbe(fx: ProxyFixture, relay: BackendRelay) {
  const c1 = await fx.connect();
  const c2 = await fx.connect();
  c1.on('error', () => {});
  c2.on('error', () => {});
  relay.refuse = false;
  relay.holdWhen = (chunk) => chunk.toString('latin1').includes('max_prepared_stmt_count');
  const first = errnoOf(c1.query('SELECT 1 AS a'));
  await waitFor(() => relay.heldCount === 1, { what: 'the probe held in the relay' });
  return { c1, c2, first };
}

describe('server defaults that change BEGIN / COMMIT', () => {
  it('stock settings: the proxy answers BEGIN and an empty COMMIT itself (control)', async () => {
    const r = await underGlobal(undefined, async (c) => [
      await serverStatus(c, 'BEGIN'),
      await serverStatus(c, 'COMMIT'),
    ]);
    expect(r.proxy).toEqual(r.server);
    expect(r.lazyBegins).toBe(1);
    expect(r.emptyTransactions).toBe(1);
  });

  it('completion_type=CHAIN: every COMMIT opens the next transaction, empty ones too', async () => {
    const r = await underGlobal("completion_type='CHAIN'", async (c, tag) => {
      const flags = [await serverStatus(c, 'BEGIN'), await serverStatus(c, 'COMMIT')];
      // Inside the chained transaction: rolled back.
      await c.query('INSERT INTO sd (v) VALUES (?)', [`${tag}-chained`]);
      flags.push(await serverStatus(c, 'ROLLBACK'));
      return { flags, kept: await committed(`${tag}-chained`) };
    });
    expect(r.server.flags.map((f) => f & IN_TRANS)).toEqual([IN_TRANS, IN_TRANS, IN_TRANS]);
    expect(r.server.kept).toBe(0);
    expect(r.proxy).toEqual(r.server);
    expect(r.lazyBegins).toBe(0);
  });

  it('completion_type=RELEASE: a plain COMMIT ends the session, through the proxy too', async () => {
    const r = await underGlobal("completion_type='RELEASE'", async (c, tag) => {
      await c.query('BEGIN');
      await c.query('INSERT INTO sd (v) VALUES (?)', [tag]);
      await c.query('COMMIT');
      return { lost: await connectionLost(c.query('SELECT 1')), kept: await committed(tag) };
    });
    expect(r.server).toEqual({ lost: true, kept: 1 });
    expect(r.proxy).toEqual(r.server);
  });

  it('sql_mode=ORACLE: BEGIN and what follows answer as MariaDB answers them', async () => {
    const r = await underGlobal("sql_mode='ORACLE'", async (c) => ({
      begin: await errnoOf(c.query('BEGIN')),
      next: await errnoOf(c.query('SELECT 1 AS one FROM dual')),
    }));
    expect(r.proxy).toEqual(r.server);
    expect(r.lazyBegins).toBe(0);
  });

  it('read-only transactions by default: same status flags and the same refusal of a write', async () => {
    const r = await underGlobal('tx_read_only=1', async (c, tag) => ({
      begin: await serverStatus(c, 'BEGIN'),
      write: await errnoOf(c.query('INSERT INTO sd (v) VALUES (?)', [tag])),
      commit: await serverStatus(c, 'COMMIT'),
    }));
    expect(r.server.write).toBe(1792); // ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION
    expect(r.proxy).toEqual(r.server);
    expect(r.lazyBegins).toBe(0);
  });

  it('a server changed after start: the refused BEGIN gets ERR 9007 and a closed connection, nobody else notices', async () => {
    const fx = await startProxyFixture({ pool: 2, mariadb, createBackendUser: false });
    try {
      const other = await fx.connect();
      other.on('error', () => {});
      const c = await fx.connect();
      c.on('error', () => {});
      await oracleModeAfterStart();

      await c.query('BEGIN'); // answered by the proxy, which read stock settings at start
      const err = await c.query('SELECT 1 AS one FROM dual').then(
        () => undefined,
        (e: { errno?: number; message: string }) => e,
      );
      expect(err?.errno).toBe(9007);
      expect(err?.message).toMatch(/refused the transaction's BEGIN \(1064: /);
      expect(await connectionLost(c.query('SELECT 1'))).toBe(true);
      expect(fx.proxy.stats().counters.lazyBegins).toBe(1);
      // Others go on, on the same pool.
      expect((await other.query<mysql.RowDataPacket[]>('SELECT 2 AS two FROM dual'))[0]).toEqual([
        { two: 2 },
      ]);
      other.destroy();
    } finally {
      await mariadb.query('SET GLOBAL sql_mode = DEFAULT');
      await fx.stop();
    }
  });

  it('a BEGIN refused before a write (BEGIN alone on the backend): ERR 9007, and the slot and backend come back', async () => {
    const fx = await startProxyFixture({ pool: 2, mariadb, createBackendUser: false });
    try {
      const c = await fx.connect();
      c.on('error', () => {});
      await oracleModeAfterStart();
      await c.query('BEGIN');
      expect(await errnoOf(c.query("INSERT INTO sd (v) VALUES ('refused-write')"))).toBe(9007);
      expect(await connectionLost(c.query('SELECT 1'))).toBe(true);
      await waitFor(() => fx.proxy.stats().clients.length === 0, { what: 'the client to be gone' });
      expect(tenantMetrics(fx, 'default').inFlight).toBe(0);
      expect(fx.proxy.stats().pools[0]!.busy).toBe(0);
      expect(await committed('refused-write')).toBe(0);
    } finally {
      await mariadb.query('SET GLOBAL sql_mode = DEFAULT');
      await fx.stop();
    }
  });

  it('autocommit=0 by default: the login says so, as MariaDB does, and a client that wants it on gets it on', async () => {
    // PyMySQL (autocommit=True) sends SET autocommit = 1 only when the login's status flags say
    // it is off: told it was on, it left it off, and its writes were rolled back when it left.
    const loginAutocommit = async (port: number, user: string, password: string) => {
      const c = await RawClient.connect({ host: '127.0.0.1', port, user, password, database: 'test' });
      try {
        return c.session.statusFlags & AUTOCOMMIT;
      } finally {
        await c.close();
      }
    };
    const write = (port: number, user: string, password: string, v: string) =>
      runClientScript(PYTHON, [
        '-c',
        `import pymysql, sys\nc = pymysql.connect(host='127.0.0.1', port=${port}, user='${user}', password='${password}', database='test', autocommit=True)\nc.cursor().execute("INSERT INTO sd (v) VALUES ('${v}')")\nc.close()`,
      ]);
    await mariadb.query('SET GLOBAL autocommit = 0');
    let fx: ProxyFixture | undefined;
    try {
      fx = await startProxyFixture({ pool: 2, mariadb, createBackendUser: false });
      const server = await loginAutocommit(mariadb.port, mariadb.user, mariadb.password);
      expect(server).toBe(0);
      expect(await loginAutocommit(fx.port, APP_USER.name, APP_USER.password)).toBe(server);
      await write(mariadb.port, mariadb.user, mariadb.password, 'ac-direct');
      await write(fx.port, APP_USER.name, APP_USER.password, 'ac-proxy');
      expect(await committed('ac-direct')).toBe(1);
      expect(await committed('ac-proxy')).toBe(1);
    } finally {
      await mariadb.query('SET GLOBAL autocommit = DEFAULT');
      await fx?.stop();
    }
  });

  it('init_connect turns autocommit off: every client starts with it off, whichever connection it lands on', async () => {
    // init_connect runs for accounts without SUPER: the proxy's here is one.
    const limited = { name: 'limited', password: 'limitedpw' };
    await mariadb.query(
      `CREATE USER IF NOT EXISTS '${limited.name}'@'%' IDENTIFIED BY '${limited.password}'`,
    );
    await mariadb.query(`GRANT ALL ON test.* TO '${limited.name}'@'%'`);
    await mariadb.query("SET GLOBAL init_connect = 'SET autocommit = 0'");
    let fx: ProxyFixture | undefined;
    try {
      // One connection: the second client lands on the one the first left with autocommit on.
      fx = await startProxyFixture({
        pool: 1,
        mariadb,
        createBackendUser: false,
        options: {
          backends: [
            {
              ...backendAt('db', `127.0.0.1:${mariadb.port}`, 1),
              user: limited.name,
              password: limited.password,
            },
          ],
        },
      });
      const x = await fx.connect();
      await x.query('SET autocommit = 1');
      expect(await serverStatus(x, 'DO 1')).toBe(AUTOCOMMIT);
      await x.end();
      const z = await fx.connect();
      z.on('error', () => {});
      const [[row]] = (await z.query('SELECT @@autocommit AS ac')) as unknown as [[{ ac: number }]];
      expect(row.ac).toBe(0);
      // BEGIN is the server's (lazy BEGIN is off: its status would say autocommit on).
      expect((await serverStatus(z, 'BEGIN')) & AUTOCOMMIT).toBe(0);
      await z.query('ROLLBACK');
      await z.query("INSERT INTO sd (v) VALUES ('init-connect')");
      z.destroy();
      // Never committed: rolled back when Z left, as at MariaDB.
      await waitFor(async () => fx!.proxy.stats().clients.length === 0, { what: 'Z to leave' });
      expect(await committed('init-connect')).toBe(0);
      expect(fx.proxy.stats().counters.lazyBegins).toBe(0);
      // MariaDB runs init_connect after the login's OK, and not again on COM_RESET_CONNECTION:
      // the login says autocommit on, the session has it off, a reset one has it on.
      const sides = [
        [mariadb.port, limited.name, limited.password],
        [fx.port, APP_USER.name, APP_USER.password],
      ] as const;
      const seen: unknown[] = [];
      for (const [port, user, password] of sides) {
        const c = await RawClient.connect({ host: '127.0.0.1', port, user, password, database: 'test' });
        try {
          const read = async () => {
            const r = await c.command(Buffer.from('\x03SELECT @@autocommit', 'latin1'));
            return r.packets.at(-2)!.payload.toString('latin1', 1);
          };
          const login = c.session.statusFlags & AUTOCOMMIT;
          const atLogin = await read();
          const reset = (await c.command(Buffer.from([0x1f]))).statusFlags & AUTOCOMMIT;
          seen.push({ login, atLogin, reset, afterReset: await read() });
        } finally {
          await c.close();
        }
      }
      expect(seen[0]).toEqual({ login: AUTOCOMMIT, atLogin: '0', reset: AUTOCOMMIT, afterReset: '1' });
      expect(seen[1], 'through the proxy').toEqual(seen[0]);
    } finally {
      await mariadb.query("SET GLOBAL init_connect = ''");
      await fx?.stop();
    }
  });

  it('autocommit=0 by default: BEGIN answers with the status flags MariaDB gives', async () => {
    const r = await underGlobal('autocommit=0', async (c) => (await serverStatus(c, 'BEGIN')) & AUTOCOMMIT);
    expect(r.server).toBe(0);
    expect(r.proxy).toEqual(r.server);
    expect(r.lazyBegins).toBe(0);
  });

  it('autocommit=0 by default: a read on a shared connection keeps the transaction it opened to its client', async () => {
    await mariadb.query("INSERT INTO sd (id, v) VALUES (100, 'before')");
    await mariadb.query('SET GLOBAL autocommit = 0');
    let fx: ProxyFixture | undefined;
    const d = await directConnection();
    try {
      fx = await startProxyFixture({ pool: 2, mariadb, createBackendUser: false });
      const a = await fx.connect();
      const b = await fx.connect();
      const read = async (c: mysql.Connection) =>
        ((await c.query('SELECT v FROM sd WHERE id = 100')) as unknown as [{ v: string }[]])[0][0]!.v;
      // A pure read: it goes out on a shared connection, and opens a transaction (a snapshot).
      expect(await read(a)).toBe('before');
      expect(fx.proxy.stats().clients.some((c) => c.pinned.includes('transaction'))).toBe(true);
      await d.query('SET autocommit = 1');
      await d.query("UPDATE sd SET v = 'after' WHERE id = 100");
      // B sees the committed row (A's snapshot would still say 'before'), A keeps its own view,
      // as two direct sessions with autocommit off would.
      expect(await read(b)).toBe('after');
      expect(await read(a)).toBe('before');
      a.destroy();
      b.destroy();
    } finally {
      d.destroy();
      await mariadb.query('SET GLOBAL autocommit = DEFAULT');
      await fx?.stop();
    }
  });

  it('autocommit=0 by default: a read stacked behind the one that opened a transaction goes elsewhere', async () => {
    await mariadb.query("INSERT INTO sd (id, v) VALUES (101, 'stacked') ON DUPLICATE KEY UPDATE v = v");
    await mariadb.query('SET GLOBAL autocommit = 0');
    let fx: ProxyFixture | undefined;
    const d = await directConnection();
    try {
      // One shared connection, never called stalled: B's read stacks behind A's and stays there.
      fx = await startProxyFixture({
        pool: 4,
        mariadb,
        createBackendUser: false,
        options: { pipeline_connections: 1, pipeline_depth: 8, pipeline_stall: '1h' },
      });
      const proxy = fx.proxy;
      const a = await fx.connect();
      const b = await fx.connect();
      const sql = 'SELECT v FROM sd WHERE id = 101';
      const read = async (c: mysql.Connection) =>
        ((await c.query(sql)) as unknown as [{ v: string }[]])[0][0]!.v;
      await d.query('LOCK TABLES sd WRITE');
      const aRead = read(a);
      await waitFor(
        async () =>
          (
            (await d.query("SELECT 1 FROM information_schema.PROCESSLIST WHERE USER = 'proxy' AND INFO = ?", [
              sql,
            ])) as unknown as [unknown[]]
          )[0].length === 1,
        { what: "A's read to wait for the lock" },
      );
      const stacked = proxy.stats().pipeline.stacked;
      const bRead = read(b);
      await waitFor(() => proxy.stats().pipeline.stacked === stacked + 1, {
        what: "B's read to stack behind A's",
      });
      await d.query('UNLOCK TABLES');
      expect(await aRead).toBe('stacked');
      expect(await bRead).toBe('stacked');
      // A's read opened a transaction on the shared connection: A keeps it. B's read ran there
      // after it, inside A's transaction: it must run again on a connection of its own, or the
      // two clients would share one session (B's ROLLBACK undoing A's writes).
      expect(await backendOf(a)).not.toBe(await backendOf(b));
      expect(proxy.stats().pinnedNow.transaction).toBe(2);
      a.destroy();
      b.destroy();
    } finally {
      d.destroy();
      await mariadb.query('SET GLOBAL autocommit = DEFAULT');
      await fx?.stop();
    }
  });

  it('NO_BACKSLASH_ESCAPES by default: a session’s very first statement is read that way', async () => {
    await mariadb.query("SET GLOBAL sql_mode = CONCAT(@@global.sql_mode, ',NO_BACKSLASH_ESCAPES')");
    let fx: ProxyFixture | undefined;
    try {
      fx = await startProxyFixture({ pool: 2, mariadb, createBackendUser: false });
      const c = await fx.connect();
      // Under NO_BACKSLASH_ESCAPES 'C:\' ends at its quote: GET_LOCK is SQL, not string.
      const [rows] = (await c.query("SELECT 'C:\\' AS p, GET_LOCK('nbe-first', 0) AS got")) as unknown as [
        { p: string; got: number }[],
      ];
      expect(rows[0]).toEqual({ p: 'C:\\', got: 1 });
      expect(fx.proxy.stats().pinnedNow.advisory_lock).toBe(1);
      c.destroy();
    } finally {
      await mariadb.query('SET GLOBAL sql_mode = DEFAULT');
      await fx?.stop();
    }
  });

  it('a server first reached after the proxy started: its defaults are read before it runs anything', async () => {
    await mariadb.query("SET GLOBAL completion_type = 'RELEASE'");
    const { fx, relay } = await proxyBeforeServer();
    try {
      const c = await fx.connect(); // clients log in at the proxy: no backend needed
      c.on('error', () => {});
      expect(fx.proxy.stats().pools[0]!.open).toBe(0);
      relay.refuse = false;
      // Answered by the proxy (nothing known yet); the INSERT's connection is the first one.
      await c.query('BEGIN');
      await c.query('INSERT INTO sd (v) VALUES (?)', ['reached-late']);
      await c.query('COMMIT');
      expect(await connectionLost(c.query('SELECT 1'))).toBe(true);
      expect(await committed('reached-late')).toBe(1);
      // From here on the server answers BEGIN itself.
      const next = await fx.connect();
      next.on('error', () => {});
      await next.query('BEGIN');
      next.destroy();
      expect(fx.proxy.stats().counters.lazyBegins).toBe(1);
    } finally {
      await mariadb.query('SET GLOBAL completion_type = DEFAULT');
      await fx.stop();
      await relay.stop();
    }
  });

  it('a server that logs in and never answers the probe: given up after connect_timeout, the statement retried on the next connection, which learns it', async () => {
    const { fx, relay } = await proxyBeforeServer({ connect_timeout: '1s', queue_timeout: '20s' });
    try {
      const c = await fx.connect();
      c.on('error', () => {});
      relay.refuse = false;
      relay.holdWhen = (chunk) => chunk.toString('latin1').includes('max_prepared_stmt_count');
      // The probe's connection is closed after connect_timeout, not a hang; nothing of the
      // statement was sent, so it asks for another connection, which is probed and answers.
      expect(await c.query('SELECT 1 AS a')).toEqual([[{ a: 1 }], expect.anything()]);
      expect(fx.proxy.stats().counters.retries).toBe(1);
      const d = await fx.connect();
      d.on('error', () => {});
      expect(await errnoOf(d.query('SELECT 2 AS b'))).toBe('ok');
      // Its connection was probed first: new clients are greeted with the server's version.
      expect((fx.proxy as DatabaseProxy).serverVersion).toMatch(/MariaDB/);
      d.destroy();
    } finally {
      relay.release();
      await fx.stop();
      await relay.stop();
    }
  });

  it('KILL QUERY of a statement whose new connection breaks during the probe: ER 1317 at once, no other connection tried', async () => {
    const { fx, relay } = await proxyBeforeServer();
    try {
      const { c1: victim, c2: killer, first: statement } = await firstStatementBehindHeldProbe(fx, relay);
      await killer.query(`KILL QUERY ${victim.threadId}`);
      const accepted = relay.accepted;
      [...relay.downs][0]!.destroy();
      expect(await statement).toBe(1317);
      expect(relay.accepted).toBe(accepted);
      expect(fx.proxy.stats().counters.retries).toBe(0);
      expect(await errnoOf(victim.query('SELECT 2 AS b'))).toBe('ok');
    } finally {
      relay.release();
      await fx.stop();
      await relay.stop();
    }
  });

  it('a probe whose connection breaks goes on with a connection that waited for it, before that one is used', async () => {
    await mariadb.query("SET GLOBAL completion_type = 'RELEASE'");
    const { fx, relay } = await proxyBeforeServer();
    try {
      const { c2, first } = await firstStatementBehindHeldProbe(fx, relay);
      const probeSocket = [...relay.downs][0]!;
      await c2.query('BEGIN'); // answered by the proxy: nothing is known of the server yet
      const read = errnoOf(c2.query('SELECT 2 AS b'));
      await waitFor(() => fx.proxy.stats().pools[0]!.open === 2, {
        what: "c2's connection logged in, waiting for the probe",
      });
      probeSocket.destroy();
      // Nothing of c1's statement went out on the broken connection: it was retried.
      expect(await first).toBe('ok');
      expect(fx.proxy.stats().counters.retries).toBe(1);
      expect(await read).toBe('ok');
      // Probed before c2 used it: the server's RELEASE is known, and c2's COMMIT ends c2 too.
      await c2.query('COMMIT');
      expect(await connectionLost(c2.query('SELECT 3 AS c'))).toBe(true);
    } finally {
      relay.release();
      await mariadb.query('SET GLOBAL completion_type = DEFAULT');
      await fx.stop();
      await relay.stop();
    }
  });
});
