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
import { type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
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

afterEach(() => clients.closeAll());

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
    expect(rows.every((r) => r.r.length === 1_000_000 && r.r[999_999] === 'y')).toBe(true);
    expect(fx.proxy.stats().clients.every((c) => !c.slowReader)).toBe(true);
  });
});
