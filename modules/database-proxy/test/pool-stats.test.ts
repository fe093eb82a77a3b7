/**
 * stats().pools (open / busy / idle / opening / closing) against the connections MariaDB's process list
 * shows, once things settle after lifecycle events; stats().waiting counts every statement that
 * waits for a backend connection, one being opened included.
 */
import { waitFor } from '@scalestack/test-harness';
import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { failure, hold, one, proxyConnectionsAtServer } from './support/backends.js';
import { type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';

let fx: ProxyFixture;
let direct: mysql.Connection;
const POOL = 3;

beforeAll(async () => {
  fx = await startProxyFixture({
    pool: POOL,
    options: { max_lifetime: '1h', health_check_interval: '1h', connect_timeout: '2s', result_hold: '10ms' },
  });
  direct = await fx.direct();
});
afterAll(async () => {
  await direct?.end();
  await fx?.stop();
});

async function quiescent(): Promise<void> {
  await waitFor(() => fx.proxy.stats().clients.every((c) => c.state === 'idle' && c.pinned.length === 0), {
    what: 'clients idle',
  });
  await waitFor(
    async () => {
      const p = fx.proxy.stats().pools[0]!;
      const atServer = await proxyConnectionsAtServer(direct);
      return p.busy === 0 && p.opening === 0 && p.closing === 0 && p.open === atServer && p.idle === p.open;
    },
    { what: 'pool stats to match the server', timeout: 3000 },
  ).catch(async (e) => {
    const p = fx.proxy.stats().pools[0]!;
    throw new Error(
      `${(e as Error).message}: stats ${JSON.stringify(p)}, at server ${await proxyConnectionsAtServer(direct)}, waiting ${fx.proxy.stats().waiting}`,
    );
  });
  expect(fx.proxy.stats().waiting).toBe(0);
}

it('after evictions for other flavours', async () => {
  const cs = await Promise.all(
    ['UTF8MB4_GENERAL_CI', 'LATIN1_SWEDISH_CI', 'UTF8_GENERAL_CI', 'UTF8MB4_UNICODE_CI', 'BINARY'].map(
      (charset) => fx.connect({ charset }),
    ),
  );
  for (let round = 0; round < 3; round++) await Promise.all(cs.map((c) => one(c, 'SELECT 1 AS v')));
  await quiescent();
  for (const c of cs) await c.end();
});

it('after idle connections killed at the server', async () => {
  const c = await fx.connect();
  const hs = await Promise.all([hold(fx), hold(fx)]);
  await Promise.all(hs.map((h) => h.release()));
  const [rows] = (await direct.query(
    "SELECT ID FROM information_schema.PROCESSLIST WHERE USER = 'proxy'",
  )) as [{ ID: number }[], unknown];
  for (const r of rows) await direct.query(`KILL ${r.ID}`);
  await quiescent();
  expect(await one(c, 'SELECT 2 AS v')).toEqual({ v: 2 });
  await quiescent();
  await c.end();
});

it('after clients gone mid-statement (read killed, write run to its end) and a KILL QUERY', async () => {
  const a = await fx.connect();
  const b = await fx.connect();
  const k = await fx.connect();
  a.on('error', () => {});
  b.on('error', () => {});
  void a.query('SELECT SLEEP(0.5) FROM DUAL WHERE 1').catch(() => {});
  void b.query('DO SLEEP(0.3)').catch(() => {});
  await waitFor(() => fx.proxy.stats().clients.filter((s) => s.state === 'active').length === 2, {
    what: 'both running',
  });
  a.destroy();
  b.destroy();
  const c = await fx.connect();
  const slow = failure(c.query('SELECT SLEEP(5)'));
  await waitFor(() => fx.proxy.stats().clients.some((s) => s.state === 'active'), { what: 'sleep running' });
  await k.query(`KILL QUERY ${c.threadId}`);
  await slow;
  await waitFor(() => fx.proxy.stats().clients.length === 2, { what: 'a and b gone' });
  await quiescent();
  await c.end();
  await k.end();
});

it('after a pinned client whose backend was killed', async () => {
  const h = await hold(fx);
  h.conn.on('error', () => {});
  await direct.query(`KILL ${h.backendId}`);
  await waitFor(() => fx.proxy.stats().clients.length === 0, { what: 'the holder closed' });
  await quiescent();
});

it('a statement waiting for its backend connection to be opened (slow login) counts in waiting', async () => {
  const { startRelayedProxy } = await import('./support/backend-relay.js');
  const { fx: rfx, relay } = await startRelayedProxy(fx.mariadb, 2, { connect_timeout: '20s' });
  try {
    // The next connection's login (sequence id 1) is held: the statement waits for it.
    relay.holdWhen = (chunk) => chunk.length > 4 && chunk[3] === 1;
    // No login database: its check would wait for that connection too.
    const c = await rfx.connect({ database: undefined });
    c.on('error', () => {});
    const answer = one(c, 'SELECT 1 AS v');
    await waitFor(() => relay.heldCount === 1, { what: 'the login to be held' });
    const s = rfx.proxy.stats();
    const states = s.clients.map((x) => x.state);
    const seen = { states, waiting: s.waiting, opening: s.pools[0]!.opening };
    relay.release();
    expect(await answer).toEqual({ v: 1 });
    c.destroy();
    expect(seen).toEqual({ states: ['waiting'], waiting: 1, opening: 1 });
  } finally {
    relay.release();
    await rfx.stop();
    await relay.stop();
  }
});

it('a connection closed for another flavour counts in closing, not opening, until the server has seen it go', async () => {
  const { startRelayedProxy } = await import('./support/backend-relay.js');
  const { fx: rfx, relay } = await startRelayedProxy(fx.mariadb, 1, { connect_timeout: '20s' });
  try {
    const a = await rfx.connect({ database: undefined });
    expect(await one(a, 'SELECT 1 AS v')).toEqual({ v: 1 });
    // The idle connection evicted for b's flavour is closed by the proxy (COM_QUIT, then its
    // end), but the relay holds both back — the server has not seen it go: its place stays
    // taken, b waits.
    relay.holdWhen = (chunk) => chunk.length === 5 && chunk[4] === 0x01;
    relay.holdCloses = true;
    const b = await rfx.connect({ database: undefined, charset: 'LATIN1_SWEDISH_CI' });
    b.on('error', () => {});
    const answer = one(b, 'SELECT 2 AS v');
    await waitFor(() => rfx.proxy.stats().pools[0]!.open === 0 && rfx.proxy.stats().waiting === 1, {
      what: 'the evicted connection closed and b waiting',
      timeout: 3000,
    }).catch((e) => {
      throw new Error(
        `${e.message}: ${JSON.stringify(rfx.proxy.stats().pools)} waiting ${rfx.proxy.stats().waiting} ${JSON.stringify(rfx.proxy.stats().clients.map((c) => c.state))}`,
      );
    });
    const p = rfx.proxy.stats().pools[0]!;
    // It was counted as being opened before.
    const seen = { opening: p.opening, closing: p.closing };
    relay.release();
    relay.releaseCloses();
    expect(await answer).toEqual({ v: 2 });
    expect(seen).toEqual({ opening: 0, closing: 1 });
    expect(rfx.proxy.stats().pools[0]).toMatchObject({ open: 1, opening: 0, closing: 0 });
    await Promise.all([a.end(), b.end()]);
  } finally {
    relay.release();
    relay.releaseCloses();
    await rfx.stop();
    await relay.stop();
  }
});
