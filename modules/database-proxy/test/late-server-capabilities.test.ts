/**
 * Some capabilities change the shape of what a server sends: MariaDB extended metadata (every
 * column definition) and CLIENT_DEPRECATE_EOF (how a result set ends). A client that
 * negotiated one with the proxy must never be answered by a backend connection without it. A
 * server the proxy reaches only later (unreachable at start) whose greeting lacks it — here
 * the same MariaDB behind a relay that greets without it, as MariaDB < 10.5 or MySQL 5.6 do — is
 * refused for those clients with a clear error (the server stays in service for others); their
 * statements wait for a connection of their kind; clients logging in afterwards are offered it
 * no more.
 */
import net from 'node:net';
import { MARIADB_CLIENT_EXTENDED_METADATA } from '@scalestack/mysql-protocol';
import { waitFor } from '@scalestack/test-harness';
import { afterEach, expect, it } from 'vitest';
import { useOwnMariaDB } from './support/own-mariadb.js';
import { APP_USER, backendAt, type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { rawLogin, rawResult } from './support/raw-login.js';

const mariadb = useOwnMariaDB();

/** Relays to MariaDB once `accepting`, rewriting the greeting's capabilities with `edit`. */
class GreetingRelay {
  accepting = false;
  accepted = 0;
  port = 0;
  private server!: net.Server;
  private readonly sockets = new Set<net.Socket>();
  constructor(private readonly edit: (greeting: Buffer, capsAt: number) => unknown) {}

  async start(target: number): Promise<void> {
    this.server = net.createServer((down) => {
      this.sockets.add(down);
      if (!this.accepting) {
        down.destroy();
        return;
      }
      this.accepted++;
      const up = net.connect(target, '127.0.0.1');
      this.sockets.add(up);
      let first = true;
      up.on('data', (chunk) => {
        if (first) {
          first = false;
          // Greeting: header(4) protocol(1) version\0 connection id(4) nonce(8) filler(1),
          // then the capabilities' lower two bytes, charset(1), status(2), upper two bytes.
          this.edit(chunk, chunk.indexOf(0, 5) + 1 + 4 + 8 + 1);
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
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

let fx: ProxyFixture | undefined;
let relay: GreetingRelay | undefined;
afterEach(async () => {
  await fx?.stop();
  await relay?.stop();
});

/** db1: MariaDB itself; db2: MariaDB behind `relay`, not reachable until it accepts. Pool 1 each. */
async function twoServers(edit: (greeting: Buffer, capsAt: number) => unknown): Promise<ProxyFixture> {
  relay = new GreetingRelay(edit);
  await relay.start(mariadb().port);
  const backend = (name: string, port: number) => backendAt(name, `127.0.0.1:${port}`, 1);
  fx = await startProxyFixture({
    mariadb: mariadb(),
    createBackendUser: false,
    options: { backends: [backend('db1', mariadb().port), backend('db2', relay.port)] },
  });
  return fx;
}

it.each([
  // CLIENT_MYSQL set: a server without MariaDB's extended capabilities.
  [
    'MariaDB extended metadata',
    (g: Buffer, at: number) => g.writeUInt8(g[at]! | 0x01, at),
    { mariadbCapabilities: MARIADB_CLIENT_EXTENDED_METADATA },
  ],
  // CLIENT_DEPRECATE_EOF (1 << 24) cleared: result sets end with EOF packets.
  ['CLIENT_DEPRECATE_EOF', (g: Buffer, at: number) => g.writeUInt8(g[at + 6]! & ~0x01, at + 6), {}],
])('a server reached later without %s never answers a client that negotiated it', async (_, edit, asks) => {
  const proxy = await twoServers(edit);
  // Raw clients take what they ask for of what the proxy offers (all, with db1 alone known).
  const c1 = await rawLogin(proxy.port, APP_USER, asks);
  const c2 = await rawLogin(proxy.port, APP_USER, asks);
  relay!.accepting = true; // db2 reachable now
  const expected = { collations: [63, 45], rows: [['1', 'x']] };
  try {
    // c1's transaction holds db1's one connection: c2's statement can only try db2.
    expect(await rawResult(c1, 'START TRANSACTION')).toBe('OK');
    expect(await rawResult(c1, "SELECT 1 AS one, 'x' AS two")).toEqual(expected);
    const second = rawResult(c2, "SELECT 1 AS one, 'x' AS two");
    // db2 greets, is refused for c2's kind of connection, and c2 waits for db1's.
    await waitFor(
      () =>
        relay!.accepted === 1 &&
        proxy.proxy.stats().pools[1]!.opening === 0 &&
        proxy.proxy.stats().waiting === 1,
      { what: "c2's statement to wait after db2 was refused for it" },
    );
    expect(proxy.proxy.stats().pools[1]!.healthy).toBe(true); // refused for a kind, not down
    expect(await rawResult(c1, 'COMMIT')).toBe('OK');
    expect(await second).toEqual(expected);
    // A client logging in now is not offered it: db2 may serve it, in the shape it asked for.
    const c3 = await rawLogin(proxy.port, APP_USER, asks);
    try {
      expect(await rawResult(c1, 'START TRANSACTION')).toBe('OK');
      await rawResult(c1, 'SELECT 1');
      expect(await rawResult(c3, "SELECT 1 AS one, 'x' AS two")).toEqual(expected);
      expect(proxy.proxy.stats().pools[1]!.open).toBe(1);
      expect(await rawResult(c1, 'COMMIT')).toBe('OK');
    } finally {
      await c3.close();
    }
  } finally {
    await c1.close();
    await c2.close();
  }
});
