/**
 * KILL QUERY of a running statement, carried out on another connection to the statement's
 * server (BackendPool.killQuery / BackendServer.runAside): what happens while that KILL is on
 * its way. Each proxy reaches MariaDB through a BackendRelay that holds back the `KILL QUERY
 * <thread>` bytes, counts the connections it carries, or refuses new ones (a server that takes
 * no new connections while the ones it has keep working).
 */
import { waitFor } from '@scalestack/test-harness';
import type mysql from 'mysql2/promise';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type BackendRelay, startRelayedProxy } from './support/backend-relay.js';
import { hold, one } from './support/backends.js';
import { type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { type TrackedClients, trackedClients } from './support/tracked-clients.js';

let base: ProxyFixture;
let direct: mysql.Connection;

beforeAll(async () => {
  base = await startProxyFixture({ pool: 1 });
  direct = await base.direct();
});

afterAll(async () => {
  await direct?.end();
  await base?.stop();
});

/** A proxy of `pool` connections to the shared MariaDB through its own relay. */
const relayed = (pool: number, options: Record<string, unknown> = {}) =>
  startRelayedProxy(base.mariadb, pool, options);

/**
 * Runs `body` against a proxy of `pool` connections with a relay of its own (see relayed) and
 * its own tracked clients; afterwards the clients are closed (warnings checked) and both stop.
 */
async function withOwnProxy(
  pool: number,
  options: Record<string, unknown>,
  body: (t: { fx: ProxyFixture; relay: BackendRelay; clients: TrackedClients }) => Promise<void>,
): Promise<void> {
  const { fx, relay } = await relayed(pool, options);
  const clients = trackedClients(() => fx);
  try {
    await body({ fx, relay, clients });
  } finally {
    relay.holdWhen = undefined;
    relay.release();
    await clients.closeAll();
    await fx.stop();
    await relay.stop();
  }
}

/** The server's thread id running `sql` now (waits for it). */
async function threadRunning(sql: string): Promise<number> {
  return waitFor(
    async () => {
      const [r] = await direct.query<mysql.RowDataPacket[]>(
        'SELECT ID AS id FROM information_schema.PROCESSLIST WHERE INFO = ?',
        [sql],
      );
      return r.length === 1 ? Number(r[0]!.id) : undefined;
    },
    { what: `${sql} to run on the server` },
  );
}

const outcome = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: { errno?: number; message?: string }) => `${e.errno}: ${e.message}`,
  );

/**
 * The victim runs `sql`; the killer's KILL QUERY for it is held in the relay, and the statement
 * ends before that KILL arrives (interrupted from outside the proxy). Returns the KILL's
 * outcome, still on its way.
 */
async function killArrivingLate(
  relay: BackendRelay,
  victim: mysql.Connection,
  killer: mysql.Connection,
  sql: string,
): Promise<{ kill: Promise<string> }> {
  const sleeping = outcome(victim.query(sql));
  const x = await threadRunning(sql);
  relay.holdWhen = (chunk) => chunk.includes(Buffer.from(`KILL QUERY ${x}`));
  const kill = outcome(killer.query(`KILL QUERY ${victim.threadId}`));
  await waitFor(() => relay.heldCount === 1, { what: 'the KILL held in the relay' });
  await direct.query(`KILL QUERY ${x}`);
  await sleeping;
  // Wrapped: an async function's result that is a promise would be waited for.
  return { kill };
}

const stateOf = (fx: ProxyFixture, c: mysql.Connection) =>
  fx.proxy.stats().clients.find((s) => s.id === c.threadId)?.state;

describe('a KILL QUERY held on its way', () => {
  let fx: ProxyFixture;
  let relay: BackendRelay;
  const clients = trackedClients(() => fx);

  beforeAll(async () => {
    ({ fx, relay } = await relayed(2));
  });
  afterEach(async () => {
    relay.holdWhen = undefined;
    relay.release();
    await clients.closeAll();
  });
  afterAll(async () => {
    await fx?.stop();
    await relay?.stop();
  });

  it("does not interrupt the victim's next statement in its transaction (it hits only the statement it was for)", async () => {
    const victim = await clients.client();
    const killer = await clients.client();
    await victim.query('START TRANSACTION');
    await victim.query('SELECT 1');
    const sql = 'SELECT SLEEP(60) AS s';
    const { kill } = await killArrivingLate(relay, victim, killer, sql);
    // Still in its transaction, on the same backend: the next statement runs there.
    const next = victim.query('SELECT SLEEP(1) AS s').then(
      ([r]) => Number((r as { s: number }[])[0]!.s),
      (e: { errno?: number }) => e.errno,
    );
    // Either held back by the proxy until the KILL is answered ('waiting'), or sent ('active').
    await waitFor(() => ['waiting', 'active'].includes(stateOf(fx, victim) ?? ''), {
      what: 'the next statement to be sent or held',
    });
    relay.release();
    expect(await kill).toBe('ok');
    // 1 (or 1317): the late KILL interrupted a statement it was not for.
    expect(await next).toBe(0);
    await victim.query('ROLLBACK');
  });

  it('a victim that leaves before its KILL is answered: the killer is not told the KILL could not be sent', async () => {
    const victim = await clients.client();
    const killer = await clients.client();
    const sql = 'SELECT SLEEP(61) AS s';
    // (its promise never settles once the client is destroyed)
    void outcome(victim.query(sql));
    const x = await threadRunning(sql);
    relay.holdWhen = (chunk) => chunk.includes(Buffer.from(`KILL QUERY ${x}`));
    const kill = outcome(killer.query(`KILL QUERY ${victim.threadId}`));
    await waitFor(() => relay.heldCount === 1, { what: 'the KILL held in the relay' });
    // The victim leaves (its backend is dropped) and the server thread ends.
    clients.forget(victim);
    victim.destroy();
    await waitFor(() => stateOf(fx, victim) === undefined, { what: 'the victim to leave the proxy' });
    await direct.query(`KILL ${x}`).catch(() => {});
    await waitFor(
      async () => {
        const [r] = await direct.query<mysql.RowDataPacket[]>(
          'SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE ID = ?',
          [x],
        );
        return Number(r[0]!.n) === 0;
      },
      { what: 'the victim backend thread to end' },
    );
    const errors = fx.proxy.stats().counters.errors;
    relay.release();
    // The statement it was for is over: as for a victim with nothing running, OK — not
    // ERR 9004 "KILL QUERY could not be sent: 1094 Unknown thread id".
    expect(await kill).toBe('ok');
    expect(fx.proxy.stats().counters.errors).toBe(errors);
  });

  it('several at once share one extra connection: the server sees at most N + 1', async () => {
    // N = 2: two victims take both connections; each KILL now opens a connection of its own
    // (N + k for k KILLs in flight, unbounded), the very moment the server is busiest.
    const victims = [await clients.client(), await clients.client()];
    const killers = [await clients.client(), await clients.client()];
    const sqls = ['SELECT SLEEP(62) AS s', 'SELECT SLEEP(63) AS s'];
    const sleeping = victims.map((v, i) => outcome(v.query(sqls[i]!)));
    const threads = await Promise.all(sqls.map(threadRunning));
    relay.holdWhen = (chunk) => threads.some((x) => chunk.includes(Buffer.from(`KILL QUERY ${x}`)));
    const kills = killers.map((k, i) => outcome(k.query(`KILL QUERY ${victims[i]!.threadId}`)));
    // The first KILL is held; the second goes out behind it on the same connection (or would
    // open one more, which the count below sees).
    await waitFor(() => relay.heldCount === 1, { what: 'a KILL held in the relay' });
    await waitFor(
      () =>
        killers.every((k) => fx.proxy.stats().clients.find((c) => c.id === k.threadId)?.state === 'waiting'),
      { what: 'both killers to wait for their KILL' },
    );
    const atServer = relay.downs.size;
    relay.release();
    expect(await Promise.all(kills)).toEqual(['ok', 'ok']);
    await Promise.all(sleeping);
    expect(atServer).toBeLessThanOrEqual(2 + 1);
  });
});

describe('the extra connection', () => {
  it('carries the KILL QUERY right after login, without the session set-up a client connection gets', () =>
    withOwnProxy(1, {}, async ({ fx, relay, clients }) => {
      const victim = await clients.client();
      const killer = await clients.client();
      const sql = 'SELECT SLEEP(67) AS s';
      const sleeping = outcome(victim.query(sql));
      const x = await threadRunning(sql);
      // The only pooled connection is busy: the KILL needs the extra one. Watch what goes up.
      const sent: string[] = [];
      relay.holdWhen = (chunk) => {
        sent.push(chunk.toString('latin1'));
        return false;
      };
      expect(await outcome(killer.query(`KILL QUERY ${victim.threadId}`))).toBe('ok');
      await sleeping;
      await direct.query(`KILL QUERY ${x}`).catch(() => {});
      expect(fx.proxy.stats().counters.killQueriesSent).toBe(1);
      // COM_QUERY packets (sequence id 0, command 3); the login's packets have other ids.
      const statements = sent
        .filter((c) => c.length > 5 && c.charCodeAt(3) === 0 && c.charCodeAt(4) === 3)
        .map((c) => c.slice(5));
      expect(statements).toEqual([`KILL QUERY ${x}`]);
    }));
});

describe('a KILL QUERY that timed out', () => {
  it('does not leave the extra connection dead for the next KILL', () =>
    withOwnProxy(1, { connect_timeout: '1s' }, async ({ relay, clients }) => {
      const victim = await clients.client();
      const killer = await clients.client();
      const sql1 = 'SELECT SLEEP(71) AS s';
      const s1 = outcome(victim.query(sql1));
      const x1 = await threadRunning(sql1);
      relay.holdWhen = (chunk) => chunk.includes(Buffer.from(`KILL QUERY ${x1}`));
      expect(await outcome(killer.query(`KILL QUERY ${victim.threadId}`))).toMatch(/^9004/);
      await direct.query(`KILL QUERY ${x1}`);
      await s1;
      relay.release();
      const sql2 = 'SELECT SLEEP(72) AS s';
      const s2 = outcome(victim.query(sql2));
      const x2 = await threadRunning(sql2);
      const k2 = await outcome(killer.query(`KILL QUERY ${victim.threadId}`));
      await direct.query(`KILL QUERY ${x2}`).catch(() => {});
      await s2;
      expect(k2).toBe('ok');
    }));
});

describe('a KILL QUERY never answered', () => {
  it('does not keep the killer waiting, nor the victim backend out of the pool, for ever', async () => {
    const { fx, relay } = await relayed(2, { connect_timeout: '1s' });
    const clients = trackedClients(() => fx);
    try {
      const victim = await clients.client();
      const killer = await clients.client();
      const other = await clients.client();
      const holder = await hold(fx);
      const sql = 'SELECT SLEEP(64) AS s';
      const { kill } = await killArrivingLate(relay, victim, killer, sql);
      // After connect_timeout (1 s) the KILL's connection is given up on and the killer told;
      // the backend it named is closed, not reused (the KILL may still land on it).
      expect(await kill).toMatch(/^9004: .*KILL QUERY could not be sent: no answer to KILL QUERY/);
      // Another client gets a backend (the pool's second one is held by `holder`).
      const next = await outcome(one(other, 'SELECT 1 AS v'));
      await holder.release();
      relay.holdWhen = undefined;
      relay.release();
      expect(next).toBe('ok');
    } finally {
      relay.release();
      await clients.closeAll().catch(() => {});
      await fx.stop();
      await relay.stop();
    }
  });

  it("is not left open by the proxy's stop", async () => {
    const { fx, relay } = await relayed(1);
    const clients = trackedClients(() => fx);
    const victim = await clients.client();
    const killer = await clients.client();
    const sql = 'SELECT SLEEP(65) AS s';
    const sleeping = outcome(victim.query(sql));
    const x = await threadRunning(sql);
    relay.holdWhen = (chunk) => chunk.includes(Buffer.from(`KILL QUERY ${x}`));
    const kill = outcome(killer.query(`KILL QUERY ${victim.threadId}`));
    try {
      await waitFor(() => relay.heldCount === 1, { what: 'the KILL held in the relay' });
      // The statement ends; only the KILL is left.
      await direct.query(`KILL QUERY ${x}`);
      await sleeping;
      // The killer leaves too (else the drain waits for its answer, which never comes).
      clients.forget(killer);
      killer.destroy(); // (its query promise never settles)
      void kill;
      await waitFor(() => fx.proxy.stats().clients.length === 1, { what: 'the killer to leave' });
      await fx.stop();
      // Every backend connection the proxy had is closed, the KILL's own included.
      await waitFor(() => relay.downs.size === 0, {
        what: 'the proxy to close its connections',
        timeout: 2000,
      });
    } finally {
      await direct.query(`KILL QUERY ${x}`).catch(() => {});
      relay.release();
      await relay.stop();
    }
  });
});

describe('a server out of service (it takes no new connections)', () => {
  let fx: ProxyFixture;
  let relay: BackendRelay;
  const clients = trackedClients(() => fx);

  beforeAll(async () => {
    ({ fx, relay } = await relayed(3, { server_failure_limit: 1, server_retry_timeout: '1h' }));
  });
  afterAll(async () => {
    relay.refuse = false;
    await clients.closeAll().catch(() => {});
    await fx?.stop();
    await relay?.stop();
  });

  it('KILL QUERY goes on an idle connection it still has', async () => {
    const victim = await clients.client();
    const killer = await clients.client();
    // Connections of the victim's flavour: one for its statement, others idle.
    const holders = [await hold(fx), await hold(fx)];
    await Promise.all(holders.map((h) => h.release()));
    await waitFor(() => fx.proxy.stats().pools[0]!.idle >= 2, { what: 'two idle connections' });
    const sql = 'SELECT SLEEP(66) AS s';
    const sleeping = victim.query(sql).then(
      ([r]) => Number((r as { s: number }[])[0]!.s),
      (e: { errno?: number }) => e.errno,
    );
    const x = await threadRunning(sql);
    // The server stops taking connections: a client of another flavour (collation) needs a new
    // one, which fails, and the server goes out of service.
    relay.refuse = true;
    const latin1 = await clients.client({ charset: 'LATIN1_SWEDISH_CI' });
    expect((await outcome(latin1.query('SELECT 1'))).startsWith('9004')).toBe(true);
    expect(fx.proxy.stats().pools[0]!.healthy).toBe(false);
    expect(fx.proxy.stats().pools[0]!.idle).toBeGreaterThan(0);
    const kill = await outcome(killer.query(`KILL QUERY ${victim.threadId}`));
    // A KILL that missed leaves SLEEP(66) running past the test's timeout.
    const interrupted = await sleeping;
    await direct.query(`KILL QUERY ${x}`).catch(() => {});
    // SLEEP interrupted returns 1 or fails 1317.
    expect({ kill, interrupted: interrupted === 1 || interrupted === 1317 }).toEqual({
      kill: 'ok',
      interrupted: true,
    });
  });
});

describe('a KILL QUERY for a read waiting on a table lock', () => {
  /** A direct session holding `LOCK TABLES kill_locked WRITE`: reads of it wait until unlock. */
  async function lockTable(): Promise<{ unlock(): Promise<void> }> {
    await direct.query('CREATE TABLE IF NOT EXISTS kill_locked (id INT)');
    const locker = await base.direct();
    await locker.query('LOCK TABLES kill_locked WRITE');
    return {
      async unlock() {
        await locker.query('UNLOCK TABLES');
        await locker.end();
      },
    };
  }

  it('sent and never answered: the shared connection it ran on leaves the pool once the read ends', () =>
    withOwnProxy(2, { connect_timeout: '1s' }, async ({ fx, relay, clients }) => {
      const victim = await clients.client();
      const killer = await clients.client();
      const other = await clients.client();
      const holder = await hold(fx);
      const lock = await lockTable();
      try {
        // A pure read: it goes out on a shared connection, and waits for the lock.
        const sql = 'SELECT COUNT(*) AS n FROM kill_locked';
        const read = outcome(victim.query(sql));
        const x = await threadRunning(sql);
        expect(fx.proxy.stats().pipeline.sharedConnections).toBe(1);
        relay.holdWhen = (chunk) => chunk.includes(Buffer.from(`KILL QUERY ${x}`));
        expect(await outcome(killer.query(`KILL QUERY ${victim.threadId}`))).toMatch(/^9004: .*no answer/);
        await lock.unlock();
        expect(await read).toBe('ok');
        // The KILL may still land there: closed, not shared on nor put back; the pool opens another.
        await waitFor(() => fx.proxy.stats().pipeline.sharedConnections === 0, {
          what: 'the connection to leave the shared list',
        });
        expect(await outcome(one(other, 'SELECT 1 AS v'))).toBe('ok');
      } finally {
        await holder.release();
      }
    }));

  it('never sent (no connection for it): the victim keeps its transaction', () =>
    withOwnProxy(1, { connect_timeout: '1s' }, async ({ relay, clients }) => {
      const victim = await clients.client();
      const killer = await clients.client();
      const lock = await lockTable();
      await victim.query('START TRANSACTION');
      const sql = 'SELECT COUNT(*) AS n FROM kill_locked';
      const read = outcome(victim.query(sql));
      await threadRunning(sql);
      // The only connection is the victim's and the server takes no new one: the KILL's
      // connection is refused, so the KILL never reaches the server.
      relay.refuse = true;
      expect(await outcome(killer.query(`KILL QUERY ${victim.threadId}`))).toMatch(/^9004/);
      relay.refuse = false;
      await lock.unlock();
      expect(await read).toBe('ok');
      expect(await outcome(victim.query('SELECT 1'))).toBe('ok');
      expect(await outcome(victim.query('COMMIT'))).toBe('ok');
    }));
});
