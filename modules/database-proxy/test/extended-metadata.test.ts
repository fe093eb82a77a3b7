/**
 * MariaDB extended metadata changes the shape of every column definition, so a client that
 * negotiated it with the proxy must never be answered by a backend connection without it: a
 * server the proxy reaches only later (unreachable at start) and whose greeting lacks it —
 * here the same MariaDB behind a relay that greets as a server without it (MariaDB < 10.5,
 * MySQL) — is refused for those clients with a clear error, their statements wait for a
 * connection of their kind, and clients logging in afterwards are offered it no more.
 */
import net from 'node:net';
import { waitFor } from '@scalestack/test-harness';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BACKEND_USER, type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';

let fx: ProxyFixture;
let relay: net.Server;
let relayPort = 0;
let accepting = false;
const sockets = new Set<net.Socket>();

beforeAll(async () => {
  relay = net.createServer((down) => {
    sockets.add(down);
    if (!accepting) {
      down.destroy();
      return;
    }
    accepted++;
    const up = net.connect(mariadbPort, '127.0.0.1');
    sockets.add(up);
    let first = true;
    up.on('data', (chunk) => {
      if (first) {
        first = false;
        // Greeting: header(4) proto(1) version\0 connid(4) auth(8) filler(1) caps-lower(2)
        const end = chunk.indexOf(0, 5);
        const capsAt = end + 1 + 4 + 8 + 1;
        chunk[capsAt] = chunk[capsAt]! | 1; // CLIENT_MYSQL: no MariaDB extended capabilities
      }
      down.write(chunk);
    });
    down.on('data', (c) => up.write(c));
    const end = () => {
      up.destroy();
      down.destroy();
    };
    up.on('close', end).on('error', end);
    down.on('close', end).on('error', end);
  });
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', () => r()));
  relayPort = (relay.address() as net.AddressInfo).port;
  const { startMariaDB } = await import('@scalestack/test-harness');
  const { createBackendUser } = await import('./support/proxy-fixture.js');
  const mariadb = await startMariaDB();
  mariadbPort = mariadb.port;
  await createBackendUser(mariadb);
  fx = await startProxyFixture({
    mariadb,
    createBackendUser: false,
    options: {
      backends: [
        {
          name: 'db1',
          address: `127.0.0.1:${mariadb.port}`,
          user: BACKEND_USER.name,
          password: BACKEND_USER.password,
          pool: 1,
        },
        {
          name: 'db2',
          address: `127.0.0.1:${relayPort}`,
          user: BACKEND_USER.name,
          password: BACKEND_USER.password,
          pool: 1,
        },
      ],
    },
  });
});
let mariadbPort = 0;
afterAll(async () => {
  for (const s of sockets) s.destroy();
  relay?.close();
  const m = fx?.mariadb;
  await fx?.stop();
  await m?.stop();
});

let accepted = 0;

it('a server reached later without it never answers a client that negotiated it', async () => {
  const c1 = await fx.connect();
  const c2 = await fx.connect();
  accepting = true; // db2 reachable now
  try {
    // c1's transaction holds db1's one connection: c2's statement can only try db2.
    await c1.query('START TRANSACTION');
    expect((await c1.query("SELECT 1 AS one, 'x' AS two"))[0]).toEqual([{ one: 1, two: 'x' }]);
    const second = c2.query("SELECT 1 AS one, 'x' AS two");
    // db2 greets, is refused for c2's kind of connection, and c2 waits for db1's.
    await waitFor(
      () => accepted === 1 && fx.proxy.stats().pools[1]!.opening === 0 && fx.proxy.stats().waiting === 1,
      {
        what: "c2's statement to wait after db2 was refused for it",
      },
    );
    expect(fx.proxy.stats().pools[1]!.healthy).toBe(true); // refused for a kind, not down
    await c1.query('COMMIT');
    expect((await second)[0]).toEqual([{ one: 1, two: 'x' }]);
    // A client logging in now is offered no extended metadata: db2 may serve it.
    const c3 = await fx.connect();
    try {
      await c1.query('START TRANSACTION');
      await c1.query('SELECT 1');
      expect((await c3.query("SELECT 1 AS one, 'x' AS two"))[0]).toEqual([{ one: 1, two: 'x' }]);
      expect(fx.proxy.stats().pools[1]!.open).toBe(1);
      await c1.query('COMMIT');
    } finally {
      c3.destroy();
    }
  } finally {
    c1.destroy();
    c2.destroy();
  }
});
