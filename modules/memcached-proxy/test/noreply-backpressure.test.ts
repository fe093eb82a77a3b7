/**
 * Noreply requests have no reply for the proxy to count, so the reply bound (client_max_pending)
 * does not hold them back. Behind a server that stopped reading, the proxy must stop reading the
 * client instead of buffering without end — and, once the server goes on, deliver every one.
 */
import {
  type RunningServer,
  startMemcached,
  startRedis,
  stopProcess,
  waitFor,
} from '@scalestack/test-harness';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import {
  type Backend,
  MAX_BACKLOG_BYTES,
  MemcachedBackend,
  MemcachedProxy,
  RedisBackend,
  ServerPool,
} from '../src/index.js';
import { TextClient } from './text-client.js';

const VALUE = 'v'.repeat(4000);
/** 40 MB of noreply sets: well past the socket buffers between the client, proxy and server. */
const COUNT = 10_000;

/** Writes COUNT noreply sets (keys nr0…) without waiting: the client's socket buffers what is not read. */
function writeNoreplySets(client: TextClient): void {
  for (let i = 0; i < COUNT; i += 100) {
    let batch = '';
    for (let j = i; j < i + 100; j++) batch += `set nr${j} 0 0 ${VALUE.length} noreply\r\n${VALUE}\r\n`;
    client.write(batch);
  }
}

/** The proxy's own `stats` (answered without a server), as numbers. */
async function proxyStats(observer: TextClient): Promise<Record<string, number>> {
  observer.write('stats\r\n');
  const text = await observer.until('END');
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^STAT (\S+) (\S+)\r$/gm)) out[m[1]!] = Number(m[2]);
  return out;
}

/** Waits until the proxy's `stats` say `paused` clients are not being read. */
async function pausedClients(observer: TextClient, paused: number, what: string): Promise<void> {
  await waitFor(async () => (await proxyStats(observer)).clients_paused === paused, {
    what,
    timeout: 20_000,
  });
}

/**
 * Stops `server` (SIGCONT is the caller's, in a finally) and has a client of `proxy` send COUNT
 * noreply sets to it; returns once the proxy stopped reading that client.
 */
async function pausedBehindStoppedServer(
  proxy: MemcachedProxy,
  server: RunningServer,
): Promise<{ client: TextClient; observer: TextClient }> {
  const port = await proxy.listen(0);
  const client = await TextClient.connect(port);
  const observer = await TextClient.connect(port);
  expect(await client.call('set warm 0 0 1\r\nw\r\n')).toBe('STORED');
  await stopProcess(server.pid);
  writeNoreplySets(client);
  await pausedClients(observer, 1, 'the proxy to stop reading the client');
  return { client, observer };
}

/**
 * Stops `server`, has a client send COUNT noreply sets, checks the proxy paused that client with
 * at most one read over the limit held for the server, lets the server go on, and returns once
 * the client's last request was answered behind them.
 */
async function throughStoppedServer(backend: Backend, server: RunningServer): Promise<void> {
  const proxy = new MemcachedProxy({ backend });
  try {
    let client: TextClient;
    let observer: TextClient;
    try {
      ({ client, observer } = await pausedBehindStoppedServer(proxy, server));
      const held = (await proxyStats(observer)).backend_backlog_bytes!;
      expect(held).toBeGreaterThan(MAX_BACKLOG_BYTES);
      // One read (64 KiB) past the limit at most, however much the client still has to send.
      expect(held).toBeLessThanOrEqual(MAX_BACKLOG_BYTES + 128 * 1024);
      expect(client.socket.writableLength).toBeGreaterThan(0);
    } finally {
      process.kill(server.pid, 'SIGCONT');
    }
    // Behind every noreply set, on the same connection: answered once they all went through.
    client.write(`get nr${COUNT - 1}\r\n`);
    expect(await client.read((t) => (t.endsWith('END\r\n') ? t.length : 0), 60_000)).toBe(
      `VALUE nr${COUNT - 1} 0 ${VALUE.length}\r\n${VALUE}\r\nEND\r\n`,
    );
    const after = await proxyStats(observer);
    expect(after.clients_paused).toBe(0);
    client.close();
    observer.close();
  } finally {
    await proxy.close();
  }
}

describe('noreply requests behind a server that stopped reading for good', () => {
  it('the connection fails after timeout, the paused client goes on, and is answered', async () => {
    const server = await startMemcached({ memoryMb: 256 });
    const pool = new ServerPool(
      [{ host: '127.0.0.1', port: server.port }],
      { serverFailureLimit: 1, serverRetryTimeout: 60_000 },
      { connectTimeout: 1000, timeout: 1000, maxValueSize: 1 << 20 },
    );
    const proxy = new MemcachedProxy({ backend: new MemcachedBackend(pool) });
    try {
      let client: TextClient;
      let observer: TextClient;
      try {
        // Nothing here waits for a reply: only the writes the server no longer takes tell.
        ({ client, observer } = await pausedBehindStoppedServer(proxy, server));
        await pausedClients(observer, 0, 'the stalled connection to fail and the client to go on');
        // The server is out of the ring now: the client's next request is answered at once.
        client.write('get warm\r\n');
        expect(
          await client.read(
            (t) => (t.includes('SERVER_ERROR no server available\r\n') ? t.length : 0),
            20_000,
          ),
        ).toMatch(/SERVER_ERROR no server available\r\n$/);
      } finally {
        process.kill(server.pid, 'SIGCONT');
      }
      client.close();
      observer.close();
    } finally {
      await proxy.close();
      await server.stop();
    }
  });
});

describe('noreply requests behind a stopped server', () => {
  it('memcached: the client is paused at the backlog limit and every set arrives', async () => {
    const server = await startMemcached({ memoryMb: 256 });
    try {
      const pool = new ServerPool(
        [{ host: '127.0.0.1', port: server.port }],
        { serverFailureLimit: 2, serverRetryTimeout: 1000 },
        { connectTimeout: 1000, timeout: 60_000, maxValueSize: 1 << 20 },
      );
      await throughStoppedServer(new MemcachedBackend(pool), server);
      const direct = await TextClient.connect(server.port);
      direct.write('stats\r\n');
      expect(await direct.until('END')).toMatch(new RegExp(`STAT curr_items ${COUNT + 1}\\r\\n`));
      direct.close();
    } finally {
      await server.stop();
    }
  });

  it('Redis: the client is paused at the backlog limit and every set arrives', async () => {
    const redis = await startRedis();
    const direct = new Redis(redis.port, '127.0.0.1');
    try {
      const backend = RedisBackend.create({
        nodes: [`redis://127.0.0.1:${redis.port}`],
        cluster: false,
        timeout: 60_000,
        connectTimeout: 2000,
      });
      await throughStoppedServer(backend, redis);
      expect(await direct.dbsize()).toBe(COUNT + 1);
    } finally {
      direct.disconnect();
      await redis.stop();
    }
  });
});
