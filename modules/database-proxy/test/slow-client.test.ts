/**
 * A client that reads its answers slower than MariaDB sends them pauses its backend connection
 * (the proxy does not buffer a whole result in memory). That pause belongs to the client: once it
 * leaves, the connection must read again, or every client whose statements land there waits
 * for a drain that never comes.
 */
import type { Socket } from 'node:net';
import { waitFor } from '@scalestack/test-harness';
import type mysql from 'mysql2/promise';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { one } from './support/backends.js';
import { END_MARKER, queryFrame } from './support/pipelined-commands.js';
import { type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { frames, RawMysqlClient } from './support/raw-mysql-client.js';
import { trackedClients } from './support/tracked-clients.js';

let fx: ProxyFixture;
const clients = trackedClients(() => fx);

/** mysql2's socket under a promise connection. */
function socketOf(conn: mysql.Connection): Socket {
  return (conn as unknown as { connection: { stream: Socket } }).connection.stream;
}

beforeAll(async () => {
  // One backend connection: whatever the slow client leaves behind is all the others have.
  fx = await startProxyFixture({ pool: 1 });
});

const raws: RawMysqlClient[] = [];
afterEach(async () => {
  for (const r of raws.splice(0)) r.destroy();
  await clients.closeAll();
});

afterAll(async () => {
  await fx?.stop();
});

describe('a client that stops reading', () => {
  it('pauses its backend, and leaving lets the connection serve the others', async () => {
    const slow = await clients.client();
    const other = await clients.client();
    socketOf(slow).pause();
    // A pure read (stacked on a shared connection) of ~40 MB: far more than the socket buffers
    // between the proxy and a client that reads nothing.
    const big = slow.query("SELECT REPEAT('x', 1000000) AS r FROM seq_1_to_40");
    big.catch(() => {});
    await waitFor(() => fx.proxy.stats().clients.some((c) => c.slowReader), {
      what: "the proxy to pause the slow client's backend",
    });
    clients.forget(slow);
    slow.destroy();
    await waitFor(() => fx.proxy.stats().clients.length === 1, { what: 'the slow client to leave' });
    // The rest of its answer is read and dropped; the one connection answers the next client.
    expect(Number((await one(other, 'SELECT 41 + 1 AS n')).n)).toBe(42);
    expect(fx.proxy.stats().clients.every((c) => !c.slowReader)).toBe(true);
  });

  it('gets its whole answer once it reads again', async () => {
    const slow = await clients.client();
    socketOf(slow).pause();
    const big = slow.query("SELECT REPEAT('y', 1000000) AS r FROM seq_1_to_20");
    await waitFor(() => fx.proxy.stats().clients.some((c) => c.slowReader), {
      what: "the proxy to pause the slow client's backend",
    });
    socketOf(slow).resume();
    const [rows] = (await big) as [{ r: string }[], unknown];
    expect(rows).toHaveLength(20);
    // Every byte as MariaDB sent it: what waited in the proxy for the client to read again was
    // not overwritten by what the backend connection read meanwhile (see Connection.lendReads).
    const whole = 'y'.repeat(1_000_000);
    expect(rows.filter((r) => r.r !== whole).length).toBe(0);
    expect(fx.proxy.stats().clients.every((c) => !c.slowReader)).toBe(true);
  });

  it('gets every one of many small rows as sent: what waits for it is not overwritten by later reads', async () => {
    // Small rows arrive as whole packets, many to a read, and go to the client as they were read
    // (no copy): those a client that stops reading leaves waiting in the proxy must stay intact
    // while the backend connection reads on.
    const slow = await clients.client();
    socketOf(slow).pause();
    const big = slow.query(
      'SELECT seq AS n, REPEAT(CHAR(65 + seq % 26 USING ascii), 100) AS r FROM seq_1_to_200000',
    );
    await waitFor(() => fx.proxy.stats().clients.some((c) => c.slowReader), {
      what: "the proxy to pause the slow client's backend",
    });
    socketOf(slow).resume();
    const [rows] = (await big) as [{ n: number; r: string }[], unknown];
    expect(rows).toHaveLength(200_000);
    const wrong = rows.filter((row) => row.r !== String.fromCharCode(65 + (Number(row.n) % 26)).repeat(100));
    expect(wrong.length).toBe(0);
  });

  it('a client pipelining a burst and reading none of it has its commands wait, then gets every answer as sent', async () => {
    // Whole answers (12 KB: below a socket's high-water mark, so several wait at once), a few to
    // a backend read, are written to the client as views of the
    // memory the backend connection reads into: once the client's socket is full they wait in
    // the proxy, and the connection must read the next answers elsewhere (Connection.keepRead).
    const c = await RawMysqlClient.open(fx.port);
    raws.push(c);
    expect((await c.login({ user: 'app', password: 'secret', database: 'test' })).kind).toBe('ok');
    c.socket.pause();
    const queriesBefore = fx.proxy.stats().counters.queries;
    const n = 8000;
    const letter = (k: number) => 65 + (k % 26);
    const from = c.received.length;
    // The end marker's answer comes last: seen in the tail of what arrived, it says all did.
    let tail = Buffer.alloc(0);
    let ended = false;
    // Ahead of the client's own listener, which checks `until` conditions.
    c.socket.prependListener('data', (d: Buffer) => {
      tail = Buffer.concat([tail, d]).subarray(-64);
      if (tail.includes('end-marker')) ended = true;
    });
    void c.write(
      Buffer.concat([
        ...Array.from({ length: n }, (_, k) =>
          queryFrame(`SELECT REPEAT(CHAR(${letter(k)} USING ascii), 1200) AS r FROM seq_1_to_10`),
        ),
        END_MARKER,
      ]),
    );
    // Its next commands wait for it to read, as MariaDB's would: the proxy does not run them all
    // and keep every answer in memory for it.
    await waitFor(() => fx.proxy.stats().clients.some((x) => x.slowReader), {
      what: 'the proxy to stop running the commands of a client that reads none of its answers',
    });
    expect(fx.proxy.stats().counters.queries - queriesBefore).toBeLessThan(n);
    c.socket.resume();
    // Ten rows an answer, each a 1,200-byte string: a length-encoded 0xFC 0x04B0, then the letters.
    expect(await c.until(() => ended, 50_000)).toBe(true);
    const rows = frames(c.received, from).filter((f) => f.payload.length === 1203);
    expect(rows).toHaveLength(10 * n);
    const wrong = rows.filter(
      (f, i) => !f.payload.subarray(3).every((byte) => byte === letter(Math.floor(i / 10))),
    );
    expect(wrong.length).toBe(0);
  });
});
