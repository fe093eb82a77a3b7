/**
 * A client packet larger than the server's max_allowed_packet (MariaDB's default 16 MiB, below
 * the proxy's own max_packet_size of 64 MiB): the proxy learns the server's limit and refuses
 * such a packet itself, as MariaDB does — ERR 1153, then the connection closes — instead of
 * forwarding it and passing on the server's ERR from the middle of a packet of several frames,
 * which clients read as packets out of order. Other clients carry on.
 */
import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { failure, one } from './support/backends.js';
import { takeProtocolWarnings, watchProtocol } from './support/protocol-warnings.js';
import { type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';

let fx: ProxyFixture;
let direct: mysql.Connection;
let serverLimit: number;

beforeAll(async () => {
  fx = await startProxyFixture({ pool: 2 });
  direct = await fx.direct();
  serverLimit = Number((await one(direct, 'SELECT @@global.max_allowed_packet AS m')).m);
});

afterAll(async () => {
  await direct?.end();
  await fx?.stop();
});

/** What a client gets for one packet of `bytes` bytes of SQL, and whether it can go on. */
async function send(conn: mysql.Connection, bytes: number) {
  conn.on('error', () => {});
  const err = await failure(conn.query(`SELECT '${'x'.repeat(bytes)}' AS v`));
  return { errno: err.errno, after: await goesOn(conn) };
}

/** Whether `conn` still answers a statement (then it is ended), or was closed. */
async function goesOn(conn: mysql.Connection): Promise<'usable' | 'closed'> {
  const after = await conn
    .query('SELECT 1')
    .then(() => 'usable' as const)
    .catch(() => 'closed' as const);
  if (after === 'usable') await conn.end();
  return after;
}

it.each([
  ['one frame over the limit', 1024],
  ['several frames (over 32 MiB)', 17 * 1024 * 1024],
])("a packet over the server's max_allowed_packet, %s: 1153 and closed, as at MariaDB", async (_, over) => {
  expect(serverLimit).toBeLessThan(64 * 1024 * 1024); // the proxy's own max_packet_size
  const bytes = serverLimit + over;
  // MariaDB answers 1153 and closes; a client still writing the rest of a large packet may see
  // the close first (ECONNRESET, EPIPE) and never read the answer.
  const atServer = await send(await fx.direct(), bytes);
  expect([1153, -104, -32]).toContain(atServer.errno);
  expect(atServer.after).toBe('closed');
  takeProtocolWarnings();
  const client = await fx.connect();
  watchProtocol(client);
  const viaProxy = await send(client, bytes);
  expect(viaProxy).toEqual({ errno: 1153, after: 'closed' });
  // Numbered as MariaDB numbers it, after the frame that tipped the packet over: for a packet
  // of two frames that is what the client expects next; of three, mysql2 notes one too early,
  // as it does at MariaDB.
  expect(takeProtocolWarnings()).toEqual(
    over < 1024 * 1024 ? [] : ['Warning: got packets out of order. Expected 3 but received 2'],
  );
  // Nothing else broke: another client is served, on connections the proxy still has.
  const other = await fx.connect();
  expect(await one(other, 'SELECT 2 AS v')).toEqual({ v: 2 });
  await other.end();
});

it('a packet just under the limit still goes through', async () => {
  const c = await fx.connect();
  const body = serverLimit - 1024;
  const [rows] = (await c.query(`SELECT LENGTH('${'y'.repeat(body)}') AS n`)) as [{ n: number }[], unknown];
  expect(Number(rows[0]!.n)).toBe(body);
  await c.end();
});

it('at the limit itself, as MariaDB: a packet of max_allowed_packet bytes is refused, one byte less is not', async () => {
  // MariaDB refuses a packet whose size reaches max_allowed_packet (it grows its buffer only below
  // it); the proxy took one of exactly that size on to the server, which refused it and closed
  // that backend connection, while the client's stayed open (found by the Perl / Ruby audit).
  const outcome = async (conn: mysql.Connection, payload: number) => {
    conn.on('error', () => {});
    const sql = `SELECT '${'z'.repeat(payload - 1 - "SELECT '' AS v".length)}' AS v`;
    expect(sql.length + 1).toBe(payload); // the command byte, then the text
    const answer = await conn.query(sql).then(
      () => 'ok',
      (e: { errno?: number }) =>
        e.errno === 1153 || e.errno === -104 || e.errno === -32 ? 'refused' : String(e.errno),
    );
    return { answer, after: await goesOn(conn) };
  };
  for (const payload of [serverLimit - 1, serverLimit]) {
    const atServer = await outcome(await fx.direct(), payload);
    const viaProxy = await outcome(await fx.connect(), payload);
    expect(viaProxy, `a packet of ${payload} bytes`).toEqual(atServer);
  }
  expect(await outcome(await fx.connect(), serverLimit)).toEqual({ answer: 'refused', after: 'closed' });
});
