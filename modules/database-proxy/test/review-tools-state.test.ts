/**
 * REVIEW SCRATCH: session transaction characteristics set with SET SESSION TRANSACTION, compared
 * with MariaDB, when the client's next statements run on another backend connection.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { backendOf, holdBackend } from './support/backends.js';
import { connectAsBackendUser } from './support/proxy-fixture.js';
import { proxyTestFile } from './support/proxy-test-file.js';

const { fx, direct, clients } = proxyTestFile({
  pool: 2,
  setup: async (d) => {
    await d.query('CREATE TABLE st (id INT AUTO_INCREMENT PRIMARY KEY, v INT)');
  },
});
afterEach(() => clients.closeAll());

async function trace(
  conn: import('mysql2/promise').Connection,
  moveAway?: () => Promise<() => Promise<void>>,
) {
  const out: unknown[] = [];
  const q = async (sql: string) => {
    try {
      const [r] = await conn.query(sql);
      out.push(Array.isArray(r) ? r : 'ok');
    } catch (e) {
      out.push(`ERR ${(e as { errno?: number }).errno} ${(e as Error).message}`);
    }
  };
  await q('SET SESSION TRANSACTION READ ONLY');
  await q('SELECT @@tx_read_only AS ro, @@session.tx_read_only AS sro');
  const release = moveAway ? await moveAway() : async () => {};
  try {
    await q('SELECT @@tx_read_only AS ro FROM st LIMIT 1');
    await q('SELECT @@tx_read_only AS ro');
    await q('INSERT INTO st (v) VALUES (1)');
  } finally {
    await release();
  }
  await q('SET SESSION TRANSACTION READ WRITE');
  await q('SET SESSION TRANSACTION ISOLATION LEVEL SERIALIZABLE');
  await q('SELECT @@tx_isolation AS iso, @@tx_read_only AS ro');
  await q('SELECT @@tx_isolation AS iso FROM st LIMIT 1');
  return out;
}

describe('SET SESSION TRANSACTION through the proxy', () => {
  it('same answers as MariaDB (same backend)', async () => {
    const ref = await trace(await connectAsBackendUser(fx()));
    const prx = await trace(await clients.client());
    expect(prx).toEqual(ref);
  });

  it('same answers as MariaDB when the next statements run on another backend', async () => {
    const ref = await trace(await connectAsBackendUser(fx()));
    const c = await clients.client();
    const prx = await trace(c, async () => {
      const held = await holdBackend(fx(), await backendOf(c), 2);
      return () => held.release();
    });
    expect(prx).toEqual(ref);
  });

  it('another client that gets the backend afterwards is not read only', async () => {
    const a = await clients.client();
    await a.query('SET SESSION TRANSACTION READ ONLY');
    const id = await backendOf(a);
    await a.end();
    clients.forget(a);
    const seen: unknown[] = [];
    for (let i = 0; i < 6; i++) {
      const b = await clients.client();
      const [[r]] = (await b.query('SELECT @@tx_read_only AS ro, CONNECTION_ID() AS id')) as unknown as [
        [{ ro: number; id: number }],
      ];
      seen.push({ ro: r.ro, sameBackend: r.id === id });
      await b.query('INSERT INTO st (v) VALUES (2)').catch((e) => seen.push(`ERR ${e.message}`));
    }
    expect(seen.filter((s) => typeof s === 'string' || (s as { ro: number }).ro !== 0)).toEqual([]);
    void direct;
  });
});

describe('SET SESSION TRANSACTION READ ONLY with concurrent pure reads', () => {
  it.each([
    [
      'READ ONLY',
      'SET SESSION TRANSACTION READ ONLY',
      'SELECT @@tx_read_only AS v, COUNT(*) AS c FROM st',
      '1',
    ],
    [
      'time_zone',
      "SET SESSION time_zone = '+05:00'",
      'SELECT @@time_zone AS v, COUNT(*) AS c FROM st',
      '+05:00',
    ],
    [
      'ISOLATION',
      'SET SESSION TRANSACTION ISOLATION LEVEL READ UNCOMMITTED',
      'SELECT @@tx_isolation AS v, COUNT(*) AS c FROM st',
      'READ-UNCOMMITTED',
    ],
    [
      'tx_read_only=1',
      'SET SESSION tx_read_only = 1',
      'SELECT @@tx_read_only AS v, COUNT(*) AS c FROM st',
      '1',
    ],
  ])('%s stays the client own while others read on the same pool', async (_, set, read, want) => {
    const me = await clients.client();
    await me.query(set);
    const others = await Promise.all([1, 2, 3].map(() => clients.client()));
    let stop = false;
    const bad: string[] = [];
    let mine = 0;
    const loops = [
      (async () => {
        for (let i = 0; i < 300; i++) {
          const [[r]] = (await me.query(read)) as unknown as [[{ v: unknown }]];
          mine++;
          if (String(r.v) !== want) bad.push(`me: ${r.v}`);
        }
        stop = true;
      })(),
      ...others.map(async (o) => {
        while (!stop) {
          const [[r]] = (await o.query(read)) as unknown as [[{ v: unknown }]];
          if (String(r.v) === want) bad.push(`other: ${r.v}`);
        }
      }),
    ];
    await Promise.all(loops);
    expect({ mine, bad: [...new Set(bad)], count: bad.length }).toEqual({ mine: 300, bad: [], count: 0 });
  });
});

describe('debug READ ONLY', () => {
  it('alone, then with one other client', async () => {
    const me = await clients.client();
    await me.query('SET SESSION TRANSACTION READ ONLY');
    const log: string[] = [];
    const rd = async (tag: string) => {
      const [[r]] = (await me.query(
        'SELECT @@tx_read_only AS v, CONNECTION_ID() AS id, COUNT(*) AS c FROM st',
      )) as unknown as [[{ v: unknown; id: number }]];
      log.push(`${tag} v=${r.v} id=${r.id}`);
    };
    for (let i = 0; i < 3; i++) await rd('alone');
    const o = await clients.client();
    for (let i = 0; i < 3; i++) await Promise.all([rd('with-other'), o.query('SELECT COUNT(*) FROM st')]);
    for (let i = 0; i < 3; i++) await rd('alone-again');
    const ins = await me.query('INSERT INTO st (v) VALUES (9)').then(
      () => 'insert OK',
      (e) => `insert ERR ${e.errno}`,
    );
    log.push(ins);
    const ref = await connectAsBackendUser(fx());
    await ref.query('SET SESSION TRANSACTION READ ONLY');
    const [[rr]] = (await ref.query('SELECT @@tx_read_only AS v, COUNT(*) AS c FROM st')) as unknown as [
      [{ v: unknown }],
    ];
    const rins = await ref.query('INSERT INTO st (v) VALUES (9)').then(
      () => 'insert OK',
      (e) => `insert ERR ${e.errno}`,
    );
    await ref.end();
    log.push(`direct v=${rr.v} ${rins}`);
    expect(log).toEqual([]);
  });
});

describe('reading @@sql_log_bin', () => {
  it('does not pin the client (it changes nothing)', async () => {
    const c = await clients.client();
    await c.query('SELECT @@sql_log_bin AS b');
    await new Promise((r) => setTimeout(r, 300)); // past result_hold
    expect(fx().proxy.stats().pinnedNow).toEqual(expect.objectContaining({}));
    const pins = Object.entries(fx().proxy.stats().pinnedNow).filter(([, n]) => (n as number) > 0);
    expect(pins).toEqual([]);
  });
});
