import { waitFor } from '@scalestack/test-harness';
import type mysql from 'mysql2/promise';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { backendOf, everywhere, failure, hold, one, warningsAcross } from './support/backends.js';
import { type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { trackedClients } from './support/tracked-clients.js';

let fx: ProxyFixture;
const clients = trackedClients(() => fx);
const client = clients.client;

beforeAll(async () => {
  fx = await startProxyFixture({ pool: 2 });
  const direct = await fx.direct();
  await direct.query('CREATE TABLE kq (id INT PRIMARY KEY AUTO_INCREMENT, v VARCHAR(40)) ENGINE=InnoDB');
  await direct.end();
});
afterEach(() => clients.closeAll());
afterAll(async () => {
  await fx?.stop();
});

/** The connection id mysql2 got in the proxy's greeting (what JDBC's cancel and KILL use). */
function threadId(c: mysql.Connection): number {
  return (c as unknown as { threadId: number }).threadId;
}

describe('KILL with the connection ids the proxy hands out', () => {
  it('KILL QUERY interrupts that client’s running statement, and only it', async () => {
    const a = await client();
    const b = await client();
    const bystander = await client();
    // SLEEP returns 0 when it runs its course and 1 (or ER 1317) when interrupted; 120 s is longer
    // than the test's own timeout, so a KILL that misses fails the test.
    const sleeping = a.query('SELECT SLEEP(120) AS s').then(
      ([rows]) => (rows as { s: number }[])[0]!.s,
      (e: { errno?: number }) => e.errno,
    );
    await waitFor(() => fx.proxy.stats().clients.some((c) => c.id === threadId(a) && c.state === 'active'), {
      what: "A's statement to be running",
    });
    const sent = fx.proxy.stats().counters.killQueriesSent;
    await b.query(`KILL QUERY ${threadId(a)}`);
    expect([1, 1317]).toContain(await sleeping);
    expect(fx.proxy.stats().counters.killQueriesSent).toBe(sent + 1);
    expect((await one(a, 'SELECT 1 AS ok')).ok).toBe(1);
    expect((await one(bystander, 'SELECT 2 AS ok')).ok).toBe(2);
  });

  it('KILL QUERY of a statement waiting for a backend: answered 1317 at once, and it never runs', async () => {
    const holders = [await hold(fx), await hold(fx)];
    const victim = await client();
    const killer = await client();
    const write = victim.query("INSERT INTO kq (v) VALUES ('queued')").then(
      () => 'ran',
      (e: { errno?: number }) => e.errno,
    );
    await waitFor(
      () => fx.proxy.stats().clients.some((c) => c.id === threadId(victim) && c.state === 'waiting'),
      { what: "the victim's INSERT to wait for a backend" },
    );
    const sent = fx.proxy.stats().counters.killQueriesSent;
    await killer.query(`KILL QUERY ${threadId(victim)}`);
    // Answered while both backends are still held: not by a queue timeout or a late run.
    expect(await write).toBe(1317);
    // Nothing to kill on the server.
    expect(fx.proxy.stats().counters.killQueriesSent).toBe(sent);
    await Promise.all(holders.map((h) => h.release()));
    expect((await one(victim, 'SELECT 5 AS ok')).ok).toBe(5);
    const direct = await fx.direct();
    try {
      expect((await one(direct, "SELECT COUNT(*) AS n FROM kq WHERE v = 'queued'")).n).toBe(0);
    } finally {
      await direct.end();
    }
  });

  /**
   * `a` runs a long SLEEP, on a backend thread whose id anyone can learn from the server
   * (CONNECTION_ID() in an expression, or information_schema.PROCESSLIST):
   * that id, and the SLEEP's outcome (1 when interrupted, or its errno).
   */
  const sleepingOn = async (a: mysql.Connection) => {
    const backendThread = await backendOf(a);
    const sleeping = a.query('SELECT SLEEP(120) AS s').then(
      ([rows]) => (rows as { s: number }[])[0]!.s,
      (e: { errno?: number }) => e.errno,
    );
    await waitFor(() => fx.proxy.stats().clients.some((c) => c.id === threadId(a) && c.state === 'active'), {
      what: "A's statement to be running",
    });
    return { backendThread, sleeping };
  };

  it('KILL through a prepared statement, PREPARE … FROM or EXECUTE IMMEDIATE never reaches a backend thread id', async () => {
    const a = await client();
    const b = await client();
    const { backendThread, sleeping } = await sleepingOn(a);
    const refused = [
      await failure(b.execute(`KILL QUERY ${backendThread}`)),
      await failure(b.query(`PREPARE k FROM 'KILL QUERY ${backendThread}'`)),
      await failure(b.query(`EXECUTE IMMEDIATE 'KILL QUERY ${backendThread}'`)),
    ];
    expect(refused.map((e) => e.errno)).toEqual([1295, 1295, 1295]);
    expect(refused[0]!.message).toMatch(/KILL cannot be prepared/);
    // A's statement still runs: interrupt it the proxy's way, by the id the proxy gave A.
    await b.query(`KILL QUERY ${threadId(a)}`);
    expect([1, 1317]).toContain(await sleeping);
  });

  it('a KILL inside a multi-statement text is refused whole: a backend thread id never reaches the server', async () => {
    const a = await client();
    const b = await client({ multipleStatements: true });
    const { backendThread, sleeping } = await sleepingOn(a);
    for (const text of [`DO 0; KILL QUERY ${backendThread}`, `KILL QUERY ${threadId(a)}; DO 0`]) {
      const err = await failure(b.query(text));
      expect(err.errno, text).toBe(1235);
      expect(err.message).toMatch(/statement of its own/);
    }
    expect(fx.proxy.stats().clients.find((c) => c.id === threadId(a))?.state).toBe('active');
    // A's statement still runs: interrupt it the proxy's way, by the id the proxy gave A.
    await b.query(`KILL QUERY ${threadId(a)}`);
    expect([1, 1317]).toContain(await sleeping);
  });

  it('an ERR the proxy answers itself is the statement’s diagnostics, as the server’s is', async () => {
    // The server never saw the KILL: the proxy raises the error there before SHOW WARNINGS.
    const unknown = ['Error 1094 Unknown thread id: 999999'];
    expect(await warningsAcross(fx, client, 'KILL QUERY 999999')).toEqual(everywhere(unknown));
    const counts = ['1 1']; // @@warning_count counts errors too
    const read = 'SELECT @@warning_count AS w, @@error_count AS e';
    expect(await warningsAcross(fx, client, 'KILL QUERY 999999', read)).toEqual(everywhere(counts));
  });

  it('KILL CONNECTION closes that client and nobody else', async () => {
    const a = await client();
    const b = await client();
    const closed = new Promise<void>((resolve) => a.on('end', () => resolve()).on('error', () => resolve()));
    await b.query(`KILL ${threadId(a)}`);
    await closed;
    await waitFor(() => !fx.proxy.stats().clients.some((c) => c.id === threadId(a)), {
      what: 'A to be gone',
    });
    expect((await one(b, 'SELECT 3 AS ok')).ok).toBe(3);
  });

  it('KILL with the id quoted, as DBD::mysql fills pt-kill’s `KILL ?`: the client is closed', async () => {
    const a = await client();
    const b = await client();
    const closed = new Promise<void>((resolve) => a.on('end', () => resolve()).on('error', () => resolve()));
    await b.query(`KILL '${threadId(a)}'`);
    await closed;
    await waitFor(() => !fx.proxy.stats().clients.some((c) => c.id === threadId(a)), {
      what: 'A to be gone',
    });
    // MariaDB takes the quoted form too: an unknown id is 1094 either way, not 1235.
    const own = await fx.direct();
    const direct = await failure(own.query("KILL QUERY '999999'"));
    own.destroy();
    const err = await failure(b.query("KILL QUERY '999999'"));
    expect([err.errno, direct.errno]).toEqual([1094, 1094]);
  });

  it('KILL of its own connection: answered ER 1927 as MariaDB answers it, then closed', async () => {
    // MariaDB's own answer, for comparison.
    const own = await fx.direct();
    const direct = await failure(own.query(`KILL ${threadId(own)}`));
    const a = await client();
    clients.forget(a);
    const err = await failure(a.query(`KILL CONNECTION ${threadId(a)}`));
    expect([err.errno, err.sqlState, err.message]).toEqual([direct.errno, direct.sqlState, direct.message]);
    expect(err.errno).toBe(1927);
    await waitFor(() => !fx.proxy.stats().clients.some((c) => c.id === threadId(a)), {
      what: 'A to be gone',
    });
    own.destroy();
    a.destroy();
  });

  it('KILL CONNECTION of a client whose write is running stops the write, as at MariaDB', async () => {
    // It only closed the client: the UPDATE ran to its end and committed after the client was
    // told it was killed (the mariadb connector's destroy() sends this KILL), and one waiting on
    // a row lock held its backend for innodb_lock_wait_timeout.
    const direct = await fx.direct();
    try {
      await direct.query("INSERT INTO kq (id, v) VALUES (900, '0')");
      const victim = await client();
      const killer = await client();
      const update = victim.query("UPDATE kq SET v = CONCAT('ran', SLEEP(60)) WHERE id = 900").then(
        () => 'answered',
        () => 'failed',
      );
      const running = async () =>
        (
          (await direct.query(
            "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE 'UPDATE kq SET v = CONCAT(%'",
          )) as unknown as [{ n: number }[]]
        )[0][0]!.n;
      await waitFor(async () => (await running()) === 1, {
        what: "the victim's UPDATE to run at the server",
      });
      await killer.query(`KILL ${threadId(victim)}`);
      expect(await update).toBe('failed');
      // 60 s is longer than the test's timeout: a write left to run fails the test here.
      await waitFor(async () => (await running()) === 0, { what: 'the killed UPDATE to stop at the server' });
      const [rows] = (await direct.query('SELECT v FROM kq WHERE id = 900')) as unknown as [{ v: string }[]];
      expect(rows[0]!.v).toBe('0');
      expect((await one(killer, 'SELECT 4 AS ok')).ok).toBe(4);
    } finally {
      await direct.end();
    }
  });

  it('a backend thread id is not a connection id: nothing reaches the server', async () => {
    const a = await client();
    const direct = await fx.direct();
    try {
      // Both count from 1 on a fresh server and proxy: a backend thread whose id is also a
      // proxy client's would test nothing. Such a connection is closed; the pool opens a new
      // one, with a higher thread id, and the read is run again there.
      let backendThread = await backendOf(a);
      while (fx.proxy.stats().clients.some((c) => c.id === backendThread)) {
        await direct.query(`KILL ${backendThread}`);
        backendThread = await backendOf(a);
      }
      const err = await failure(a.query(`KILL ${backendThread}`));
      expect(err.errno).toBe(1094);
      // Forwarded, that KILL would have closed the backend connection that served A.
      const [rows] = await direct.query(
        'SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE ID = ?',
        [backendThread],
      );
      expect(Number((rows as { n: number }[])[0]!.n)).toBe(1);
    } finally {
      await direct.end();
    }
    expect((await one(a, 'SELECT 4 AS ok')).ok).toBe(4);
  });
});
