import { Kernel } from '@scalestack/kernel';
import { encodeBinaryRequest, Opcode } from '@scalestack/memcached-protocol';
import socketModule from '@scalestack/socket/module';
import {
  freePort,
  type RunningServer,
  startMemcached,
  startRedis,
  stopProcess,
  waitFor,
} from '@scalestack/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import memcachedProxy from '../src/index.js';
import { TextClient } from './text-client.js';

describe('memcached-proxy as a kernel module', () => {
  let servers: RunningServer[];
  let redis: RunningServer;
  beforeAll(async () => {
    servers = [await startMemcached(), await startMemcached()];
    redis = await startRedis();
  });
  afterAll(async () => {
    await Promise.all([...servers, redis].map((s) => s?.stop()));
  });

  const kernelWith = async (options: Record<string, unknown>) => {
    const kernel = new Kernel({ logLevel: 'silent', definitions: [memcachedProxy, socketModule] });
    await kernel.load({ config: { modules: { 'memcached-proxy': options } } });
    return kernel;
  };

  /**
   * A proxy in front of a memcached of its own, which the test may stop (SIGSTOP) to hold
   * requests at the server; `handed()` counts requests handed to the backend. Everything is
   * stopped (and the server continued) afterwards.
   */
  async function withStoppableServer(
    options: Record<string, unknown>,
    body: (t: { port: number; server: RunningServer; kernel: Kernel; handed: () => number }) => Promise<void>,
  ): Promise<void> {
    // memcached first: it takes a free port of its own, which could be the one picked here.
    const server = await startMemcached();
    const port = await freePort();
    const kernel = await kernelWith({
      listen: `127.0.0.1:${port}`,
      servers: [`127.0.0.1:${server.port}`],
      timeout: '60s',
      ...options,
    });
    await kernel.start();
    const handed = () =>
      kernel.metrics.collect().find((m) => m.name === 'memcached_proxy_backend_requests_total')!.samples[0]!
        .value;
    try {
      await body({ port, server, kernel, handed });
    } finally {
      process.kill(server.pid, 'SIGCONT');
      await kernel.stop();
      await server.stop();
    }
  }

  it('serves memcached clients over the configured servers', async () => {
    const port = await freePort();
    const kernel = await kernelWith({
      listen: `127.0.0.1:${port}`,
      servers: servers.map((s) => `127.0.0.1:${s.port}`),
    });
    await kernel.start();
    try {
      const client = await TextClient.connect(port);
      expect(await client.call('set km 5 0 2\r\nhi\r\n')).toBe('STORED');
      client.write('get km\r\n');
      expect(await client.until('END')).toBe('VALUE km 5 2\r\nhi\r\nEND\r\n');
      const metrics = kernel.metrics.collect();
      expect(metrics.find((m) => m.name === 'memcached_proxy_client_connections')?.samples[0]?.value).toBe(1);
      expect(metrics.find((m) => m.name === 'memcached_proxy_servers_live')?.samples[0]?.value).toBe(2);
      client.close();
    } finally {
      await kernel.stop();
    }
  });

  it('answers a stored value over max_value_size as a miss, and keeps the server', async () => {
    const port = await freePort();
    const kernel = await kernelWith({
      listen: `127.0.0.1:${port}`,
      servers: [`127.0.0.1:${servers[0]!.port}`],
      max_value_size: '64KiB',
    });
    await kernel.start();
    try {
      const client = await TextClient.connect(port);
      // Each write is under the limit; memcached (items up to 1 MiB) stores 120,000 bytes.
      const part = 'x'.repeat(60_000);
      expect(await client.call(`set grown 0 0 60000\r\n${part}\r\n`)).toBe('STORED');
      expect(await client.call(`append grown 0 0 60000\r\n${part}\r\n`)).toBe('STORED');
      for (let i = 0; i < 3; i++) {
        client.write('get grown\r\n');
        expect(await client.until('END')).toBe('END\r\n');
        expect(await client.call('mg grown v\r\n')).toBe('EN');
      }
      expect(await client.call('set small 0 0 2\r\nok\r\n')).toBe('STORED');
      client.write('get small\r\n');
      expect(await client.until('END')).toBe('VALUE small 0 2\r\nok\r\nEND\r\n');
      const metrics = kernel.metrics.collect();
      expect(metrics.find((m) => m.name === 'memcached_proxy_servers_live')?.samples[0]?.value).toBe(1);
      client.close();
    } finally {
      await kernel.stop();
    }
  });

  it('applies client_max_reply_bytes, and refuses one without room for a value', async () => {
    const port = await freePort();
    const options = {
      listen: `127.0.0.1:${port}`,
      servers: [`127.0.0.1:${servers[0]!.port}`],
      max_value_size: '64KiB',
    };
    const kernel = await kernelWith({ ...options, client_max_reply_bytes: '128KiB' });
    await kernel.start();
    try {
      const client = await TextClient.connect(port);
      const value = 'x'.repeat(60_000);
      for (const key of ['rb1', 'rb2', 'rb3'])
        expect(await client.call(`set ${key} 0 0 60000\r\n${value}\r\n`)).toBe('STORED');
      expect(await client.call('get rb1 rb2 rb3')).toBe('SERVER_ERROR out of memory writing get response');
      client.write('get rb1 rb2\r\n');
      expect((await client.until('END')).length).toBeGreaterThan(120_000);
      client.close();
    } finally {
      await kernel.stop();
    }
    const refused = await kernelWith({ ...options, client_max_reply_bytes: '64KiB' });
    await expect(refused.start()).rejects.toThrow(/client_max_reply_bytes \(65536\) must hold one value/);
    await refused.stop();
  });

  it.each(['text', 'binary'])(
    '%s protocol: hands a server no more of one read’s requests than client_max_pending at a time',
    (protocol) =>
      withStoppableServer({ client_max_pending: 4 }, async ({ port, server, handed }) => {
        const setter = await TextClient.connect(port);
        expect(await setter.call('set held 0 0 1\r\nh\r\n')).toBe('STORED');
        setter.close();
        const client = await TextClient.connect(port);
        const before = handed();
        await stopProcess(server.pid); // the server takes requests and answers none
        // One write, one read at the proxy.
        if (protocol === 'text') client.write('get held\r\n'.repeat(100));
        else
          client.write(
            Buffer.concat(
              Array.from({ length: 100 }, (_, i) =>
                encodeBinaryRequest({ opcode: Opcode.Get, key: 'held', opaque: i }),
              ),
            ),
          );
        await waitFor(() => handed() - before === 4, { what: 'the first four requests handed over' });
        process.kill(server.pid, 'SIGCONT');
        if (protocol === 'text') {
          const replies = await client.read((text) =>
            text.match(/END\r\n/g)?.length === 100 ? text.length : 0,
          );
          expect(replies).toBe('VALUE held 0 1\r\nh\r\nEND\r\n'.repeat(100));
        } else {
          // 100 binary responses of 24 + 4 (flags) + 1 (value) bytes.
          const replies = await client.read((text) => (text.length >= 100 * 29 ? text.length : 0));
          expect(replies.length).toBe(100 * 29);
        }
        expect(handed() - before).toBe(100);
        client.close();
      }),
  );

  it('drain answers what clients already sent before their connections end', () =>
    withStoppableServer({}, async ({ port, server, kernel, handed }) => {
      const client = await TextClient.connect(port);
      const idle = await TextClient.connect(port);
      expect(await client.call('set drained 0 0 2\r\nok\r\n')).toBe('STORED');
      const before = handed();
      await stopProcess(server.pid); // the request waits at the server
      client.write('get drained\r\n');
      await waitFor(() => handed() > before, { what: 'the get handed to the server' });
      const drained = kernel.drain();
      await idle.waitClosed(); // a client with nothing owed goes at once
      process.kill(server.pid, 'SIGCONT');
      expect(await client.until('END')).toBe('VALUE drained 0 2\r\nok\r\nEND\r\n');
      await client.waitClosed();
      await drained;
    }));

  it('reloads the server list without dropping clients', async () => {
    const port = await freePort();
    const options = { listen: `127.0.0.1:${port}`, servers: [`127.0.0.1:${servers[0]!.port}`] };
    const kernel = await kernelWith(options);
    await kernel.start();
    try {
      const client = await TextClient.connect(port);
      expect(await client.call('set before 0 0 1\r\nb\r\n')).toBe('STORED');
      const old = await TextClient.connect(servers[0]!.port);
      const connectionsToOld = async () => {
        old.write('stats\r\n');
        return Number(/STAT curr_connections (\d+)/.exec(await old.until('END'))![1]);
      };
      const withProxy = await connectionsToOld();
      const report = await kernel.reload({
        modules: {
          'memcached-proxy': { ...options, servers: [`127.0.0.1:${servers[1]!.port}`], timeout: '2s' },
        },
      });
      expect(report.applied).toEqual(['memcached-proxy']);
      // the same client connection now reaches the new server only
      expect(await client.call('set after 0 0 1\r\na\r\n')).toBe('STORED');
      const direct = await TextClient.connect(servers[1]!.port);
      direct.write('get after before\r\n');
      expect(await direct.until('END')).toBe('VALUE after 0 1\r\na\r\nEND\r\n');
      direct.close();
      // the old pool's idle connection is closed
      await waitFor(async () => (await connectionsToOld()) === withProxy - 1, {
        what: 'the old pool to close its connection',
      });
      old.close();
      client.close();
    } finally {
      await kernel.stop();
    }
  });

  it('bridges to Redis with backend: redis', async () => {
    const port = await freePort();
    const kernel = await kernelWith({
      listen: `127.0.0.1:${port}`,
      backend: 'redis',
      redis: [`redis://127.0.0.1:${redis.port}`],
    });
    await kernel.start();
    try {
      const client = await TextClient.connect(port);
      expect(await client.call('set kr 0 0 1\r\n1\r\n')).toBe('STORED');
      expect(await client.call('incr kr 41')).toBe('42');
      client.close();
    } finally {
      await kernel.stop();
    }
  });

  it('reloads timeout for the Redis backend too: a stalled Redis is given up after the new one', async () => {
    const stalled = await startRedis();
    const port = await freePort();
    const options = {
      listen: `127.0.0.1:${port}`,
      backend: 'redis',
      redis: [`redis://127.0.0.1:${stalled.port}`],
      timeout: '1h',
    };
    const kernel = await kernelWith(options);
    await kernel.start();
    try {
      const client = await TextClient.connect(port);
      expect(await client.call('set kt 0 0 1\r\n1\r\n')).toBe('STORED');
      const report = await kernel.reload({
        modules: { 'memcached-proxy': { ...options, timeout: '200ms' } },
      });
      expect(report.applied).toEqual(['memcached-proxy']);
      await stopProcess(stalled.pid); // takes the request, answers nothing
      // With the old hour-long timeout this would outlast the test.
      expect(await client.call('get kt')).toMatch(/^SERVER_ERROR /);
      client.close();
    } finally {
      process.kill(stalled.pid, 'SIGCONT');
      await kernel.stop();
      await stalled.stop();
    }
  });

  it('listens on a Unix socket', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { connect } = await import('node:net');
    const dir = mkdtempSync(join(tmpdir(), 'mcproxy-'));
    const path = join(dir, 'proxy.sock');
    const kernel = await kernelWith({ listen: path, servers: [`127.0.0.1:${servers[0]!.port}`] });
    await kernel.start();
    try {
      const reply = await new Promise<string>((resolve, reject) => {
        const socket = connect(path, () => socket.write('set u 0 0 1\r\nx\r\nget u\r\n'));
        let text = '';
        socket.on('data', (d) => {
          text += d.toString();
          if (text.endsWith('END\r\n')) {
            socket.destroy();
            resolve(text);
          }
        });
        socket.on('error', reject);
      });
      expect(reply).toBe('STORED\r\nVALUE u 0 1\r\nx\r\nEND\r\n');
    } finally {
      await kernel.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the module, option, value and expected form for a bad option', async () => {
    await expect(kernelWith({ servers: ['not-an-address'] })).rejects.toThrow(
      /memcached-proxy.*servers.*not-an-address/s,
    );
    await expect(kernelWith({ backend: 'couchbase' })).rejects.toThrow(
      /memcached-proxy.*backend.*"memcached", "redis"/s,
    );
  });

  it('refuses to start without servers for backend memcached', async () => {
    const kernel = await kernelWith({ listen: `127.0.0.1:${await freePort()}` });
    await expect(kernel.start()).rejects.toThrow(/option servers: expected at least one memcached server/);
    await kernel.stop().catch(() => {});
  });
});
