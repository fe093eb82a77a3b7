/**
 * Clients that do not negotiate CLIENT_SESSION_TRACK (PHP's mysqlnd, PyMySQL, mysql2 told not
 * to): their backend connections track session state all the same, so what a SET NAMES, SET
 * time_zone or USE changed is replayed wherever the client's next statement runs instead of
 * pinning the connection, and the OKs that report the changes reach the client as MariaDB
 * writes them for one that did not ask — the same bytes, however the server's answer is cut.
 */
import {
  CLIENT_DEPRECATE_EOF,
  CLIENT_MULTI_STATEMENTS,
  CLIENT_SESSION_TRACK,
  COM_INIT_DB,
  COM_QUERY,
  SUPPORTED_CAPABILITIES,
} from '@scalestack/mysql-protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RawClient } from '../../../packages/mysql-protocol/test/support/raw-client.js';
import { type BackendRelay, startRelayedProxy } from './support/backend-relay.js';
import { backendOf, one, pinnedNow, proxyConnectionsAtServer } from './support/backends.js';
import type { ProxyFixture } from './support/proxy-fixture.js';
import { proxyTestFile } from './support/proxy-test-file.js';
import { expectSameAnswers } from './support/raw-login.js';

const POOL = 2;

const { fx, direct, clients } = proxyTestFile({
  pool: POOL,
  setup: async (d) => {
    await d.query('CREATE DATABASE untracked_other');
    await d.query('CREATE TABLE test.untracked_t (n INT)');
    await d.query('INSERT INTO test.untracked_t VALUES (0), (0)');
    // A function that changes the session: the result set's closing packet reports it.
    await d.query(
      "CREATE FUNCTION test.untracked_sets_tz() RETURNS INT BEGIN SET time_zone = '+04:00'; RETURN 1; END",
    );
  },
});

// The same server behind a second proxy, through a relay that can cut its answers small.
let viaRelay: ProxyFixture;
let relay: BackendRelay;
beforeAll(async () => {
  ({ fx: viaRelay, relay } = await startRelayedProxy(fx().mariadb, POOL));
});
afterAll(() => viaRelay?.stop());

/** Statements whose OKs report session-state changes to a client that tracks them. */
const CHANGING = [
  'SET NAMES latin1',
  "SET SESSION time_zone = '+03:00'",
  "SET SESSION sql_mode = 'ANSI_QUOTES'",
  'USE untracked_other',
  'SELECT test.untracked_sets_tz() AS f',
  "SELECT 1 AS one; SET SESSION time_zone = '+02:00'; SELECT 2 AS two",
  'BEGIN',
  'UPDATE test.untracked_t SET n = n + 1',
  'COMMIT',
  'SELECT @@session.time_zone AS tz, DATABASE() AS db, @@character_set_client AS cs, @@sql_mode AS m',
];

/** Every packet of the answers to `CHANGING` and a COM_INIT_DB, as sequence id and bytes. */
async function answers(c: RawClient): Promise<string[][]> {
  const out: string[][] = [];
  const run = async (payload: Buffer) => {
    const r = await c.command(payload);
    out.push(r.packets.map((p) => `${p.sequenceId}:${p.payload.toString('hex')}`));
  };
  for (const sql of CHANGING) await run(Buffer.concat([Buffer.from([COM_QUERY]), Buffer.from(sql)]));
  await run(Buffer.concat([Buffer.from([COM_INIT_DB]), Buffer.from('test')]));
  await run(Buffer.concat([Buffer.from([COM_QUERY]), Buffer.from('SELECT DATABASE() AS db')]));
  return out;
}

const UNTRACKED = (SUPPORTED_CAPABILITIES | CLIENT_MULTI_STATEMENTS) & ~CLIENT_SESSION_TRACK;

describe('what a client without session tracking reads', () => {
  it.each([
    ['with CLIENT_DEPRECATE_EOF', UNTRACKED],
    ['with classic EOF packets', UNTRACKED & ~CLIENT_DEPRECATE_EOF],
  ])('%s: every answer is the bytes MariaDB sends it', async (_, capabilities) => {
    const reference = await expectSameAnswers(fx(), answers, { capabilities });
    // The answers did change the session (the last read shows it), and none carries the changes.
    expect(reference[CHANGING.length - 1]!.join(' ')).toContain(Buffer.from('+02:00').toString('hex'));
  });

  it('the same when the server’s answers reach the proxy a few bytes at a time', async () => {
    relay.dribble = 3;
    try {
      await expectSameAnswers(viaRelay, answers, { capabilities: UNTRACKED });
      await expectSameAnswers(viaRelay, answers, { capabilities: UNTRACKED & ~CLIENT_DEPRECATE_EOF });
    } finally {
      relay.dribble = 0;
    }
  });
});

describe('concentration for clients without session tracking', () => {
  const untracked = { flags: ['-SESSION_TRACK'] };

  it('SET NAMES, SET time_zone and USE pin nothing; each client keeps its own wherever it runs', async () => {
    const pinsBefore = fx().proxy.stats().counters.pins.untracked_state;
    // Twelve clients on two backend connections, half of them without session tracking.
    const all = await Promise.all(
      Array.from({ length: 12 }, (_, i) => clients.client(i % 2 === 0 ? untracked : {})),
    );
    const own = (i: number) => ({
      tz: `+0${i % 10}:${i < 10 ? '00' : '30'}`,
      db: i % 3 === 0 ? 'untracked_other' : 'test',
      cs: i % 4 === 0 ? 'latin1' : 'utf8mb4',
    });
    await Promise.all(
      all.map(async (c, i) => {
        const s = own(i);
        await c.query(`SET NAMES ${s.cs}`);
        await c.query(`SET SESSION time_zone = '${s.tz}'`);
        await c.query(`USE ${s.db}`);
      }),
    );
    expect(pinnedNow(fx()), 'nothing pinned after the SETs and USEs').toBe(0);
    const backends = new Set<number>();
    await Promise.all(
      all.map(async (c, i) => {
        for (let round = 0; round < 5; round++) {
          expect(
            await one(c, 'SELECT @@session.time_zone AS tz, DATABASE() AS db, @@character_set_client AS cs'),
            `client ${i}, round ${round}`,
          ).toEqual(own(i));
          backends.add(await backendOf(c));
        }
      }),
    );
    expect(backends.size, 'the clients ran on both backend connections').toBe(POOL);
    expect(fx().proxy.stats().counters.pins.untracked_state - pinsBefore).toBe(0);
    // The relayed proxy's connections log in as the same account.
    expect((await proxyConnectionsAtServer(direct())) - relay.downs.size).toBeLessThanOrEqual(POOL);
  });
});
