import { type ChildProcess, spawn } from 'node:child_process';
import { findBinary, startMemcached, stopProcess, tcpExchange, waitFor } from '@scalestack/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KetamaRing, ketamaServerName, MemcachedBackend, MemcachedProxy, ServerPool } from '../src/index.js';
import { keysOn, type ProxyFixture, startProxyFixture } from './proxy-fixture.js';
import { TextClient } from './text-client.js';

describe('memcached-proxy with a failing server', () => {
  let fx: ProxyFixture;
  let client: TextClient;
  let replacement: ChildProcess | undefined;

  beforeAll(async () => {
    fx = await startProxyFixture({ servers: 3, serverFailureLimit: 2, serverRetryTimeout: 1500 });
    client = await TextClient.connect(fx.port);
  });
  afterAll(async () => {
    client?.close();
    if (replacement && replacement.exitCode === null) {
      const exited = new Promise((r) => replacement!.once('exit', r));
      replacement.kill('SIGTERM');
      await exited;
    }
    await fx?.stop();
  });

  it('fails requests for a dead server, ejects it after server_failure_limit, and retries it later', async () => {
    const onDead = keysOn(fx, 1, 3, 'dead');
    const onLive = [...keysOn(fx, 0, 2, 'live'), ...keysOn(fx, 2, 2, 'live')];
    for (const key of [...onDead, ...onLive])
      expect(await client.call(`set ${key} 0 0 1\r\nx\r\n`)).toBe('STORED');

    const deadPort = fx.servers[1]!.port;
    await fx.servers[1]!.kill();

    // Failures (the lost idle connection counts, as in twemproxy) reach the limit of 2: until
    // then requests for its keys get a SERVER_ERROR at once, nothing hangs; then it is ejected.
    const replies: string[] = [];
    let reply = await client.call(`get ${onDead[0]}`);
    while (reply.startsWith('SERVER_ERROR ')) {
      replies.push(reply);
      expect(replies.length).toBeLessThanOrEqual(2);
      reply = await client.call(`get ${onDead[0]}`);
    }
    expect(replies.length).toBeGreaterThanOrEqual(1);
    // the key now maps to a live server, where it was never stored
    expect(reply).toBe('END');
    expect(fx.events).toEqual([`ejected 127.0.0.1:${deadPort}`]);

    // Ejected: its keys now live on the remaining servers, the others did not move.
    expect(await client.call(`set ${onDead[1]} 0 0 1\r\ny\r\n`)).toBe('STORED');
    client.write(`get ${onDead[1]}\r\n`);
    expect(await client.until('END')).toBe(`VALUE ${onDead[1]} 0 1\r\ny\r\nEND\r\n`);
    for (const key of onLive) {
      client.write(`get ${key}\r\n`);
      expect(await client.until('END')).toBe(`VALUE ${key} 0 1\r\nx\r\nEND\r\n`);
    }

    // A memcached comes back on the same port; after server_retry_timeout the proxy uses it again.
    replacement = spawn(
      findBinary('memcached', 'memcached'),
      ['-l', '127.0.0.1', '-p', String(deadPort), '-U', '0', '-u', 'root'],
      {
        stdio: 'ignore',
      },
    );
    await waitFor(
      async () =>
        (await tcpExchange(deadPort, 'version\r\n', (r) => r.endsWith('\r\n'))).startsWith('VERSION'),
      {
        what: 'the replacement memcached',
      },
    );
    const direct = await TextClient.connect(deadPort);
    await waitFor(
      async () => {
        await client.call(`set ${onDead[2]} 0 0 1\r\nz\r\n`);
        direct.write(`get ${onDead[2]}\r\n`);
        return (await direct.until('END')).startsWith('VALUE');
      },
      { timeout: 10_000, interval: 100, what: 'the proxy to put the server back on the ring' },
    );
    direct.close();
    expect(fx.events).toEqual([`ejected 127.0.0.1:${deadPort}`, `restored 127.0.0.1:${deadPort}`]);
  });

  it('a server that missed a flush_all while ejected is flushed before it serves again', async () => {
    const fx2 = await startProxyFixture({
      servers: 2,
      timeout: 300,
      serverFailureLimit: 1,
      serverRetryTimeout: 2500, // time enough to flush while it is out, on a busy machine too
    });
    try {
      const c = await TextClient.connect(fx2.port);
      const [stale] = keysOn(fx2, 1, 1, 'stale');
      const [other] = keysOn(fx2, 0, 1, 'other');
      expect(await c.call(`set ${stale} 0 0 3\r\nold\r\n`)).toBe('STORED');
      // Stopped, it keeps its items; one unanswered request ejects it (server_failure_limit 1).
      await stopProcess(fx2.servers[1]!.pid);
      try {
        expect(await c.call(`get ${stale}`)).toMatch(/^SERVER_ERROR /);
        expect(fx2.events).toEqual([`ejected 127.0.0.1:${fx2.servers[1]!.port}`]);
        expect(await c.call('flush_all')).toBe('OK'); // reaches the one server on the ring
      } finally {
        process.kill(fx2.servers[1]!.pid, 'SIGCONT');
      }
      // Back on the ring after server_retry_timeout (requests put it back when it is due).
      await waitFor(
        async () => {
          expect(await c.call(`get ${other}`)).toBe('END');
          return fx2.events.length === 2;
        },
        { timeout: 10_000, interval: 50, what: 'the server to be put back on the ring' },
      );
      // Its old item is gone, as on the server that took the flush.
      expect(await c.call(`get ${stale}`)).toBe('END');
      const direct = await TextClient.connect(fx2.servers[1]!.port);
      direct.write('stats\r\n');
      expect(await direct.until('END')).toMatch(/STAT cmd_flush 1\r\n/);
      direct.close();
      c.close();
    } finally {
      await fx2.stop();
    }
  });

  it('a reload keeps what the pool knew of a server: ejected, and owed a flush_all', async () => {
    const servers = [await startMemcached(), await startMemcached()];
    const addresses = servers.map((m) => ({ host: '127.0.0.1', port: m.port }));
    const makePool = (timeout: number) =>
      new ServerPool(
        addresses,
        { serverFailureLimit: 1, serverRetryTimeout: 2500 },
        {
          connectTimeout: 1000,
          timeout,
          maxValueSize: 1 << 20,
        },
      );
    const backend = new MemcachedBackend(makePool(300));
    const proxy = new MemcachedProxy({ backend });
    try {
      const c = await TextClient.connect(await proxy.listen(0));
      const ring = new KetamaRing(servers.map((m) => ketamaServerName('127.0.0.1', m.port)));
      let n = 0;
      while (ring.pick(`stale${n}`) !== 1) n++;
      const stale = `stale${n}`; // on the second server
      expect(await c.call(`set ${stale} 0 0 3\r\nold\r\n`)).toBe('STORED');
      await stopProcess(servers[1]!.pid);
      try {
        expect(await c.call(`get ${stale}`)).toMatch(/^SERVER_ERROR /); // ejected
        expect(await c.call('flush_all')).toBe('OK');
        // A reload (a new timeout): the same two servers in a new pool.
        backend.replacePool(makePool(400));
      } finally {
        process.kill(servers[1]!.pid, 'SIGCONT');
      }
      // Still out of the ring, and flushed before it is back: never the old item.
      expect(await c.call(`get ${stale}`)).toBe('END');
      await waitFor(
        async () => {
          expect(await c.call(`get ${stale}`)).toBe('END');
          return backend.stats().servers_live === 2;
        },
        { timeout: 10_000, interval: 50, what: 'the server to be back on the ring' },
      );
      expect(await c.call(`get ${stale}`)).toBe('END');
      c.close();
    } finally {
      await proxy.close();
      for (const m of servers) await m.stop();
    }
  });

  it('times out a server that accepts but never answers', async () => {
    // A memcached stopped with SIGSTOP keeps its socket open and answers nothing.
    const stalled = await startProxyFixture({ servers: 1, timeout: 1000, serverFailureLimit: 0 });
    try {
      await stopProcess(stalled.servers[0]!.pid);
      const c = await TextClient.connect(stalled.port);
      expect(await c.call('get anything')).toBe('SERVER_ERROR no reply within 1000ms');
      process.kill(stalled.servers[0]!.pid, 'SIGCONT');
      expect(await c.call('set a 0 0 1\r\n1\r\n')).toBe('STORED');
      c.close();
    } finally {
      process.kill(stalled.servers[0]!.pid, 'SIGCONT');
      await stalled.stop();
    }
  });

  it('answers a multi-get that spans a dead server with SERVER_ERROR, never a partial hit list', async () => {
    const split = await startProxyFixture({ servers: 2, serverFailureLimit: 0 });
    try {
      const c = await TextClient.connect(split.port);
      const [alive] = keysOn(split, 0, 1, 'alive');
      const [doomed] = keysOn(split, 1, 1, 'doomed');
      expect(await c.call(`set ${alive} 0 0 1\r\na\r\n`)).toBe('STORED');
      expect(await c.call(`set ${doomed} 0 0 1\r\nd\r\n`)).toBe('STORED');
      await split.servers[1]!.kill();
      expect(await c.call(`get ${alive} ${doomed}`)).toMatch(/^SERVER_ERROR /);
      // keys on the live server are still served; with server_failure_limit 0 nothing moves
      c.write(`get ${alive}\r\n`);
      expect(await c.until('END')).toBe(`VALUE ${alive} 0 1\r\na\r\nEND\r\n`);
      expect(await c.call(`get ${doomed}`)).toMatch(/^SERVER_ERROR /);
      c.close();
    } finally {
      await split.stop();
    }
  });
});
