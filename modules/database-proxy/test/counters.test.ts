/**
 * The counters in `stats()` say what the README says they count, also on the paths that used to
 * count twice or not at all: `queries` once per client command (not again for a retry, a read
 * moved off a stalled connection or a read run again for SHOW WARNINGS), `killQueriesSent` only
 * for a KILL that went out, `backendLost` for a pinned client closed because its backend broke,
 * the listener's own 1040 in `errors`, one pin per transaction or autocommit-off span,
 * `waiting` for statements that hold a slot but wait for a connection, and tenant connection
 * counts across COM_CHANGE_USER. Monitoring and alerting read these numbers: a wrong one is a bug.
 */
import type { MetricFamily } from '@scalestack/kernel';
import { waitFor } from '@scalestack/test-harness';
import type mysql from 'mysql2/promise';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type BackendRelay, startRelayedProxy } from './support/backend-relay.js';
import { backendOf, failure, one, type Row } from './support/backends.js';
import { type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { tenantMetrics, watch } from './support/qos-helpers.js';
import { trackedClients } from './support/tracked-clients.js';

let fx: ProxyFixture;
let direct: mysql.Connection;

const USERS = [
  { name: 'app', password: 'secret', tenant: 'default', max_connections: 5000 },
  { name: 'other', password: 'other', tenant: 'other' },
  { name: 'single', password: 'single', tenant: 'other', max_connections: 1 },
];
const TENANTS = [{ name: 'other' }];

const clients = trackedClients(() => fx);
const client = (user = 'app') => clients.client({ user, password: user === 'app' ? 'secret' : user });

/** The server's ids of the proxy's connections running a statement that starts with `sqlStart`. */
async function backendsRunning(sqlStart: string): Promise<number[]> {
  const [r] = await direct.query(
    "SELECT ID AS id FROM information_schema.PROCESSLIST WHERE USER = 'proxy' AND INFO LIKE CONCAT(?, '%')",
    [sqlStart],
  );
  return (r as Row[]).map((x) => Number(x.id));
}

/** The one server thread running exactly `sql` (waits for it to start). */
function threadRunning(sql: string): Promise<number> {
  return waitFor(
    async () => {
      const ids = await backendsRunning(sql);
      return ids.length === 1 ? ids[0] : undefined;
    },
    { what: `${sql} to run on the server` },
  );
}

/**
 * A table another session write-locks: a read of it waits on the server, holding its backend
 * connection, until the test unlocks it.
 */
async function lockedTable(name: string): Promise<{ unlock(): Promise<void> }> {
  await direct.query(`CREATE TABLE IF NOT EXISTS ${name} (v INT)`);
  const locker = await fx.direct();
  locker.on('error', () => {});
  await locker.query(`LOCK TABLES ${name} WRITE`);
  let locked = true;
  return {
    async unlock() {
      if (!locked) return;
      locked = false;
      await locker.query('UNLOCK TABLES');
      await locker.end();
    },
  };
}

const outcome = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: { errno?: number; code?: string; message?: string }) => `${e.errno ?? e.code}: ${e.message}`,
  );

beforeAll(async () => {
  // One shared connection for pure reads: a read behind a slow one stacks there, then moves.
  fx = await startProxyFixture({
    pool: 2,
    options: { users: USERS, tenants: TENANTS, pipeline_connections: 1 },
  });
  direct = await fx.direct();
  direct.on('error', () => {});
});

afterEach(() => clients.closeAll());

afterAll(async () => {
  await direct?.end().catch(() => {});
  await fx?.stop();
});

describe('queries: once per command of the client', () => {
  it('a read retried on another connection after its backend was lost counts once', async () => {
    const table = await lockedTable('counted_retry');
    try {
      const a = await client();
      await one(a, 'SELECT 1 AS warm');
      const before = fx.proxy.stats().counters;
      const sql = 'SELECT COUNT(*) AS n FROM counted_retry';
      const read = one(a, sql);
      await direct.query(`KILL CONNECTION ${await threadRunning(sql)}`);
      await waitFor(() => fx.proxy.stats().counters.retries === before.retries + 1, { what: 'the retry' });
      await table.unlock();
      expect(Number((await read).n)).toBe(0);
      expect(fx.proxy.stats().counters.queries - before.queries).toBe(1);
    } finally {
      await table.unlock();
    }
  });

  it('a read stacked behind a slow one and moved off the stalled connection counts once', async () => {
    const table = await lockedTable('counted_stall');
    try {
      const a = await client();
      const b = await client();
      await one(a, 'SELECT 1 AS warm');
      await one(b, 'SELECT 1 AS warm');
      const before = fx.proxy.stats();
      const sql = 'SELECT COUNT(*) AS n FROM counted_stall';
      const slow = a.query(sql);
      await threadRunning(sql);
      expect(await one(b, 'SELECT 42 AS v')).toEqual({ v: 42 });
      // Only a read that really was stacked, then moved, tests the moved path.
      const mid = fx.proxy.stats().pipeline;
      expect(mid.stacked).toBe(before.pipeline.stacked + 1);
      expect(mid.diverted).toBe(before.pipeline.diverted + 1);
      await table.unlock();
      await slow;
      expect(fx.proxy.stats().counters.queries - before.counters.queries).toBe(2);
    } finally {
      await table.unlock();
    }
  });

  it('SHOW WARNINGS for which the read before it is run again counts once', async () => {
    await direct.query("CREATE TABLE IF NOT EXISTS counted_warn (v VARCHAR(10)) SELECT '1x' AS v");
    const a = await client();
    // A pure read that warns (the cast truncates): SHOW WARNINGS runs it again first.
    await one(a, 'SELECT CAST(v AS UNSIGNED) AS n FROM counted_warn');
    const before = fx.proxy.stats().counters;
    const [warnings] = await a.query('SHOW WARNINGS');
    expect(warnings as Row[]).toHaveLength(1);
    const after = fx.proxy.stats().counters;
    expect(after.replays).toBe(before.replays + 1);
    expect(after.queries - before.queries).toBe(1);
  });
});

describe('backendLost: pinned clients closed because their backend broke', () => {
  let relayed: ProxyFixture;
  let relay: BackendRelay;
  const relayedClients = trackedClients(() => relayed);

  beforeAll(async () => {
    // A KILL QUERY not answered within connect_timeout leaves its victim's backend untrusted.
    ({ fx: relayed, relay } = await startRelayedProxy(fx.mariadb, 2, { connect_timeout: '300ms' }));
  });
  afterEach(async () => {
    relay.holdWhen = undefined;
    relay.release();
    await relayedClients.closeAll();
  });
  afterAll(async () => {
    await relayed?.stop();
    await relay?.stop();
  });

  it('a transaction whose backend broke under its statement (an unanswered KILL) is counted', async () => {
    const victim = await relayedClients.client();
    const killer = await relayedClients.client();
    await victim.query('START TRANSACTION');
    await victim.query('SELECT 1');
    const before = relayed.proxy.stats().counters;
    const sql = 'SELECT SLEEP(3) AS s';
    const running = outcome(victim.query(sql));
    const thread = await threadRunning(sql);
    relay.holdWhen = (chunk) => chunk.includes(Buffer.from(`KILL QUERY ${thread}`));
    const kill = outcome(killer.query(`KILL QUERY ${victim.threadId}`));
    await waitFor(() => relay.heldCount === 1, { what: 'the KILL held in the relay' });
    expect(await kill).toMatch(/^9004: /);
    await direct.query(`KILL QUERY ${thread}`);
    await running;
    // Its transaction went with the untrusted connection: the client is closed.
    await waitFor(() => !relayed.proxy.stats().clients.some((c) => c.id === victim.threadId), {
      what: 'the victim closed',
    });
    relayedClients.forget(victim);
    const after = relayed.proxy.stats().counters;
    // The KILL went out, though never answered.
    expect(after.killQueriesSent).toBe(before.killQueriesSent + 1);
    expect(after.backendLost).toBe(before.backendLost + 1);
  });

  it('a quiet transaction whose backend is killed is counted', async () => {
    const victim = await client();
    await victim.query('START TRANSACTION');
    const id = await backendOf(victim);
    const before = fx.proxy.stats().counters.backendLost;
    await direct.query(`KILL CONNECTION ${Number(id)}`);
    await waitFor(() => !fx.proxy.stats().clients.some((c) => c.id === victim.threadId), {
      what: 'the victim closed',
    });
    clients.forget(victim);
    expect(fx.proxy.stats().counters.backendLost).toBe(before + 1);
  });
});

describe('killQueriesSent: KILLs that reached a server', () => {
  it('a KILL QUERY that could not be sent (no connection for it) is not counted', async () => {
    const own = await startRelayedProxy(fx.mariadb, 1, { connect_timeout: '1s' });
    const ownClients = trackedClients(() => own.fx);
    try {
      const victim = await ownClients.client();
      const killer = await ownClients.client();
      const sql = 'SELECT SLEEP(2) AS s';
      const running = outcome(victim.query(sql));
      await threadRunning(sql);
      const before = own.fx.proxy.stats().counters.killQueriesSent;
      // The only connection is the victim's, and the server takes no new one for the KILL.
      own.relay.refuse = true;
      expect(await outcome(killer.query(`KILL QUERY ${victim.threadId}`))).toMatch(
        /^9004: .*could not be sent/,
      );
      own.relay.refuse = false;
      expect(await running).toBe('ok');
      expect(own.fx.proxy.stats().counters.killQueriesSent).toBe(before);
    } finally {
      own.relay.refuse = false;
      await ownClients.closeAll();
      await own.fx.stop();
      await own.relay.stop();
    }
  });
});

describe('errors: every ERR a client gets', () => {
  it("the listener's 1040 at its max_connections is counted", async () => {
    const own = await startProxyFixture({ mariadb: fx.mariadb, options: { max_connections: 1 } });
    try {
      const first = await own.connect();
      const before = own.proxy.stats().counters.errors;
      const refused = await failure(own.connect());
      // It read "Too many connections for user the listener (limit 1)".
      expect([refused.errno, refused.message]).toEqual([1040, 'Too many connections (the proxy takes 1)']);
      expect(own.proxy.stats().counters.errors).toBe(before + 1);
      first.destroy();
    } finally {
      await own.stop();
    }
  });
});

describe('pins', () => {
  it('a transaction counts one transaction pin however many statements it runs, under autocommit=0 one per transaction', async () => {
    await direct.query('CREATE TABLE IF NOT EXISTS counted_pins (id INT PRIMARY KEY AUTO_INCREMENT, v INT)');
    const a = await client();
    const start = fx.proxy.stats().counters.pins;
    await a.query('BEGIN');
    await a.query('INSERT INTO counted_pins (v) VALUES (1)');
    await a.query('INSERT INTO counted_pins (v) VALUES (2)');
    await a.query('SELECT * FROM counted_pins');
    expect(fx.proxy.stats().pinnedNow.transaction).toBe(1);
    await a.query('COMMIT');
    const afterTransaction = fx.proxy.stats().counters.pins;
    expect(afterTransaction.transaction - start.transaction).toBe(1);
    // Two transactions under one SET autocommit = 0: autocommit off is replayed state, not a
    // pin; each transaction it opens is one, and between them nothing is held.
    await a.query('SET autocommit = 0');
    expect(fx.proxy.stats().pinnedNow).toMatchObject({ autocommit_off: 0, transaction: 0 });
    await a.query('INSERT INTO counted_pins (v) VALUES (3)');
    expect(fx.proxy.stats().pinnedNow.transaction).toBe(1);
    await a.query('COMMIT');
    expect(fx.proxy.stats().pinnedNow.transaction).toBe(0);
    await a.query('INSERT INTO counted_pins (v) VALUES (4)');
    await a.query('SET autocommit = 1');
    const end = fx.proxy.stats();
    expect(end.counters.pins.autocommit_off - afterTransaction.autocommit_off).toBe(0);
    expect(end.counters.pins.transaction - afterTransaction.transaction).toBe(2);
    expect(end.pinnedNow).toMatchObject({ autocommit_off: 0, transaction: 0 });
  });
});

describe('pin metrics in the kernel registry', () => {
  /** The value of `family`'s sample for pin reason `reason`, as /metrics would show it now. */
  function byReason(family: string, reason: string): number {
    const f: MetricFamily | undefined = fx.kernel.metrics.collect().find((x) => x.name === family);
    if (f === undefined) throw new Error(`no metric family ${family}`);
    const s = f.samples.find((x) => x.labels?.reason === reason);
    if (s === undefined) throw new Error(`no sample of ${family} for reason ${reason}`);
    return s.value;
  }
  const PINS_TOTAL = 'scalestack_dbproxy_pins_total';
  const PINNED = 'scalestack_dbproxy_pinned_clients';

  it('SET @v counts one user_variable pin and holds the pinned_clients gauge at 1 until the client leaves', async () => {
    const before = byReason(PINS_TOTAL, 'user_variable');
    expect(byReason(PINNED, 'user_variable')).toBe(0);
    const a = await client();
    await a.query('SET @v = 1');
    expect(byReason(PINS_TOTAL, 'user_variable')).toBe(before + 1);
    expect(byReason(PINNED, 'user_variable')).toBe(1);
    // A's statements after it, naming the variable again, begin no new pin.
    expect(await one(a, 'SELECT @v AS v')).toEqual({ v: 1 });
    expect(byReason(PINS_TOTAL, 'user_variable')).toBe(before + 1);
    expect(byReason(PINNED, 'user_variable')).toBe(1);
    // The metric is the stats() counter the README documents, under the Prometheus name.
    expect(fx.proxy.stats().counters.pins.user_variable).toBe(before + 1);

    clients.forget(a);
    await a.end();
    await waitFor(() => !fx.proxy.stats().clients.some((c) => c.id === a.threadId), { what: 'A to leave' });
    expect(byReason(PINNED, 'user_variable')).toBe(0);
    expect(byReason(PINS_TOTAL, 'user_variable')).toBe(before + 1);
  });
});

describe('waiting', () => {
  it('counts a statement that holds a slot and waits for a backend connection', async () => {
    // A backend account the server gives two connections: the proxy's pool of four has slots
    // for statements it cannot open connections for.
    await fx.mariadb.query(
      "CREATE USER IF NOT EXISTS 'counted_cap'@'%' IDENTIFIED BY 'capped-pw' WITH MAX_USER_CONNECTIONS 2",
    );
    await fx.mariadb.query("GRANT ALL ON *.* TO 'counted_cap'@'%'");
    const own = await startProxyFixture({
      pool: 4,
      mariadb: fx.mariadb,
      createBackendUser: false,
      options: {
        backends: [
          {
            name: 'capped',
            address: `127.0.0.1:${fx.mariadb.port}`,
            user: 'counted_cap',
            password: 'capped-pw',
            pool: 4,
          },
        ],
        server_failure_limit: 1,
        server_retry_timeout: '1h',
        connect_timeout: '20s',
      },
    });
    const ownClients = trackedClients(() => own);
    try {
      const [h1, h2, third] = [
        await ownClients.client(),
        await ownClients.client(),
        await ownClients.client(),
      ];
      for (const h of [h1, h2]) {
        await h.query('START TRANSACTION');
        await h.query('SELECT 1'); // the transaction takes its slot and connection
      }
      const waiting = watch(one(third, 'SELECT 3 AS v'));
      await waitFor(() => own.proxy.stats().clients.some((c) => c.state === 'waiting'), {
        what: 'the third statement to wait for a connection',
      });
      // It holds a slot: the scheduler has nobody queued, yet the statement waits.
      expect(tenantMetrics(own, 'default')).toMatchObject({ queued: 0, inFlight: 3 });
      expect(own.proxy.stats().waiting).toBe(1);
      await h1.query('ROLLBACK');
      expect(await waiting.promise).toEqual({ v: 3 });
      expect(own.proxy.stats().waiting).toBe(0);
      await h2.query('ROLLBACK');
    } finally {
      await ownClients.closeAll();
      await own.stop();
      await fx.mariadb.query("DROP USER 'counted_cap'@'%'");
    }
  });
});

describe('tenant connection counts', () => {
  it('COM_CHANGE_USER moves the connection to the new tenant; a refused one closes it and uncounts it', async () => {
    const single = await client('single');
    const c = await client();
    const defaultBefore = tenantMetrics(fx, 'default').connections;
    expect(tenantMetrics(fx, 'other').connections).toBe(1);
    await c.changeUser({ user: 'other', password: 'other' });
    expect(tenantMetrics(fx, 'other').connections).toBe(2);
    expect(tenantMetrics(fx, 'default').connections).toBe(defaultBefore - 1);
    expect(fx.proxy.stats().clients.find((x) => x.id === c.threadId)).toMatchObject({
      user: 'other',
      tenant: 'other',
    });
    // `single` may have one connection, and has it.
    expect((await failure(c.changeUser({ user: 'single', password: 'single' }))).errno).toBe(1040);
    clients.forget(c);
    await waitFor(() => !fx.proxy.stats().clients.some((x) => x.id === c.threadId), {
      what: 'the refused connection closed',
    });
    expect(tenantMetrics(fx, 'other').connections).toBe(1);
    // Neither counted twice nor left uncounted: still one for `single`, and one again once it leaves.
    expect((await failure(client('single'))).errno).toBe(1040);
    clients.forget(single);
    await single.end();
    await waitFor(() => tenantMetrics(fx, 'other').connections === 0, { what: 'single gone' });
    expect(await one(await client('single'), 'SELECT 1 AS v')).toEqual({ v: 1 });
  });
});
