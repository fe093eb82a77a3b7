/**
 * max_lifetime: backend connections older than it are replaced — idle ones when next wanted,
 * and a shared connection that always has a read in flight (so is never idle) by taking no
 * more reads until it drains.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { waitFor } from '@scalestack/test-harness';
import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest';
import { startRelayedProxy } from './support/backend-relay.js';
import { backendOf, one } from './support/backends.js';
import { type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { watch } from './support/qos-helpers.js';
import { trackedClients } from './support/tracked-clients.js';

// Long enough that two statements in a row fit in it on a busy machine.
const LIFETIME_MS = 1000;
let fx: ProxyFixture;
const clients = trackedClients(() => fx);

beforeAll(async () => {
  fx = await startProxyFixture({
    pool: 1,
    options: { max_lifetime: `${LIFETIME_MS}ms`, health_check_interval: '1h' },
  });
});
afterEach(() => clients.closeAll());
afterAll(async () => {
  await fx?.stop();
});

it('an idle connection past max_lifetime is replaced when next wanted, not handed out', async () => {
  const c = await clients.client();
  const first = await backendOf(c);
  expect(await backendOf(c)).toBe(first);
  // Ageing the pool's only connection is the input here, not a wait for something to happen.
  await delay(LIFETIME_MS + 100);
  expect(await backendOf(c)).not.toBe(first);
});

it('a shared connection that always has a read in flight is replaced all the same', async () => {
  const direct = await fx.direct();
  try {
    await direct.query('CREATE TABLE IF NOT EXISTS ml (id INT PRIMARY KEY)');
    await direct.query('INSERT IGNORE INTO ml VALUES (1)');
    const atServer = async () =>
      (
        (await direct.query("SELECT ID AS id FROM information_schema.PROCESSLIST WHERE USER = 'proxy'")) as [
          { id: number }[],
          unknown,
        ]
      )[0].map((r) => Number(r.id));
    const readers = await Promise.all(Array.from({ length: 6 }, () => clients.client()));
    let reading = true;
    // Six clients reading back to back keep reads stacked on the one connection: it is never
    // idle, where max_lifetime used to be checked.
    const load = Promise.all(
      readers.map(async (r) => {
        while (reading) await r.query('SELECT id FROM ml WHERE id = 1');
      }),
    );
    try {
      // Once reads stack, the connection carrying them is the one to outlive max_lifetime.
      const stackedBefore = fx.proxy.stats().pipeline.stacked;
      await waitFor(() => fx.proxy.stats().pipeline.stacked > stackedBefore, { what: 'reads to stack' });
      const carrying = new Set(await atServer());
      const stackedThen = fx.proxy.stats().pipeline.stacked;
      await waitFor(async () => (await atServer()).some((id) => !carrying.has(id)), {
        what: 'a new connection in place of the one carrying the stacked reads',
        timeout: 10 * LIFETIME_MS,
      });
      // It was replaced while reads still stacked, not after the load went idle.
      expect(fx.proxy.stats().pipeline.stacked).toBeGreaterThan(stackedThen);
    } finally {
      reading = false;
      await load;
    }
  } finally {
    await direct.end();
  }
});

it('reads stacked on a connection that outlived max_lifetime still move when the read ahead of them stalls', async () => {
  const own = await startProxyFixture({
    pool: 6,
    mariadb: fx.mariadb,
    options: { max_lifetime: '1h', pipeline_connections: 1, pipeline_depth: 8, pipeline_stall: '500ms' },
  });
  const direct = await own.direct();
  const locker = await own.direct();
  const ownClients = trackedClients(() => own);
  try {
    await direct.query('CREATE TABLE IF NOT EXISTS ml_locked (id INT PRIMARY KEY)');
    await direct.query('INSERT IGNORE INTO ml_locked VALUES (1)');
    await locker.query('LOCK TABLES ml_locked WRITE');
    const blocked = watch(one(await ownClients.client(), 'SELECT COUNT(*) AS n FROM ml_locked'));
    await waitFor(
      async () =>
        (
          (await direct.query(
            "SELECT 1 FROM information_schema.PROCESSLIST WHERE USER = 'proxy' AND STATE LIKE '%lock%'",
          )) as unknown as [unknown[]]
        )[0].length === 1,
      { what: 'the read to wait for the lock' },
    );
    // The clock is the input: stalls are checked on a real timer, only Date (the connection's
    // age) jumps. Two reads stack behind the waiting one, then the connection turns out expired.
    vi.useFakeTimers({ toFake: ['Date'] });
    const stacked = own.proxy.stats().pipeline.stacked;
    const behind = await Promise.all([ownClients.client(), ownClients.client()]);
    const waiting = behind.map((c, i) => watch(one(c, 'SELECT ? AS v', [i])));
    await waitFor(() => own.proxy.stats().pipeline.stacked === stacked + 2, { what: 'two reads to stack' });
    vi.setSystemTime(Date.now() + 2 * 3_600_000);
    // The next read finds the connection expired: it goes elsewhere.
    expect(await one(await ownClients.client(), 'SELECT 9 AS v')).toEqual({ v: 9 });
    vi.useRealTimers(); // what the jump was for is done: the connection takes no more reads
    // The two stacked ones are answered while the read ahead of them still waits for the lock.
    await waitFor(() => waiting.every((w) => w.state === 'fulfilled'), {
      what: 'the stacked reads to be moved and answered',
    });
    expect(waiting.map((w) => w.value)).toEqual([{ v: 0 }, { v: 1 }]);
    expect(blocked.state).toBe('pending');
    await locker.query('UNLOCK TABLES');
    expect(await blocked.promise).toEqual({ n: 1 });
  } finally {
    vi.useRealTimers();
    await locker.end();
    await direct.end();
    await ownClients.closeAll();
    await own.stop();
  }
});

it('an expired connection is closed at the server before its replacement opens: never N + 1', async () => {
  const { fx: relayed, relay } = await startRelayedProxy(fx.mariadb, 1, {
    max_lifetime: `${LIFETIME_MS}ms`,
    health_check_interval: '1h',
    connect_timeout: '30s',
  });
  try {
    const c = await relayed.connect();
    try {
      const first = await backendOf(c);
      await delay(LIFETIME_MS + 100); // ageing the connection is the input
      // The relay holds the proxy's COM_QUIT (and the FIN behind it): the server goes on
      // counting the expired connection until the test lets it through.
      relay.holdWhen = (chunk) => chunk.equals(Buffer.from([1, 0, 0, 0, 1]));
      const next = backendOf(c);
      await waitFor(() => relay.heldCount === 1, { what: 'the expired connection to be closing' });
      relay.release();
      expect(await next).not.toBe(first);
      expect(relay.peak).toBe(1);
    } finally {
      await c.end();
    }
  } finally {
    await relayed.stop();
    await relay.stop();
  }
});
