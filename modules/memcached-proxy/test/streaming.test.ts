import { waitFor } from '@scalestack/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemcachedBackend, MemcachedProxy, ServerPool } from '../src/index.js';
import { type ProxyFixture, startProxyFixture } from './proxy-fixture.js';
import { TextClient } from './text-client.js';

describe('memcached-proxy under bulk traffic', () => {
  let fx: ProxyFixture;
  beforeAll(async () => {
    fx = await startProxyFixture({ servers: 2 });
  });
  afterAll(async () => {
    await fx?.stop();
  });

  it('passes large values through intact in both directions', async () => {
    const client = await TextClient.connect(fx.port);
    const value = Buffer.alloc(900_000);
    for (let i = 0; i < value.length; i++) value[i] = (i * 31 + 7) & 0xff;
    client.write(
      Buffer.concat([Buffer.from(`set large 3 0 ${value.length}\r\n`), value, Buffer.from('\r\n')]),
    );
    expect(await client.lines(1)).toBe('STORED\r\n');
    client.write('get large\r\n');
    const header = `VALUE large 3 ${value.length}\r\n`;
    const reply = await client.read((t) =>
      t.length >= header.length + value.length + 7 ? header.length + value.length + 7 : 0,
    );
    expect(reply.slice(0, header.length)).toBe(header);
    expect(
      Buffer.from(reply.slice(header.length, header.length + value.length), 'latin1').equals(value),
    ).toBe(true);
    expect(reply.slice(header.length + value.length)).toBe('\r\nEND\r\n');
    client.close();
  });

  it('keeps order and loses nothing when a client pipelines large replies and reads them late', async () => {
    // 300 gets of 100 KB values: 30 MB of replies, far beyond socket buffers, so the proxy must
    // stop reading from this client while its replies back up (the pause/resume path).
    const client = await TextClient.connect(fx.port);
    const values = ['a', 'b', 'c'].map((c) => c.repeat(100_000));
    for (const [i, v] of values.entries())
      expect(await client.call(`set big${i} ${i} 0 ${v.length}\r\n${v}\r\n`)).toBe('STORED');
    client.socket.pause();
    const n = 300;
    let batch = '';
    for (let i = 0; i < n; i++) batch += `get big${i % 3}\r\n`;
    client.write(batch);
    const expected = Array.from(
      { length: n },
      (_, i) => `VALUE big${i % 3} ${i % 3} 100000\r\n${values[i % 3]}\r\nEND\r\n`,
    ).join('');
    // the proxy reports that it stopped reading from the client that does not read its replies
    const observer = await TextClient.connect(fx.port);
    await waitFor(
      async () => {
        observer.write('stats\r\n');
        return /STAT clients_paused 1\r\n/.test(await observer.until('END'));
      },
      { what: 'the proxy to pause the client', timeout: 20_000 },
    );
    const reading = client.read((t) => (t.length >= expected.length ? expected.length : 0), 60_000);
    client.socket.resume();
    expect((await reading) === expected).toBe(true);
    observer.write('stats\r\n');
    expect(await observer.until('END')).toMatch(/STAT clients_paused 0\r\n/);
    observer.close();
    client.close();
  });

  it('refuses connections beyond max_connections with a memcached error line', async () => {
    const pool = new ServerPool(
      fx.servers.map((s) => ({ host: '127.0.0.1', port: s.port })),
      { serverFailureLimit: 2, serverRetryTimeout: 1000 },
      { connectTimeout: 1000, timeout: 1000, maxValueSize: 1 << 20 },
    );
    const small = new MemcachedProxy({ backend: new MemcachedBackend(pool), maxConnections: 1 });
    const port = await small.listen(0);
    try {
      const first = await TextClient.connect(port);
      expect(await first.call('version')).toMatch(/^VERSION /);
      const second = await TextClient.connect(port);
      expect(await second.lines(1)).toBe('SERVER_ERROR too many open connections\r\n');
      await second.waitClosed();
      expect(await first.call('set still 0 0 2\r\nok\r\n')).toBe('STORED');
      first.close();
    } finally {
      await small.close();
    }
  });

  it('refuses an over-long command line and carries on', async () => {
    const client = await TextClient.connect(fx.port);
    client.write(`get ${'k '.repeat(40_000)}\r\nversion\r\n`);
    expect(await client.lines(2)).toMatch(/^CLIENT_ERROR line too long\r\nVERSION /);
    client.close();
  });
});
