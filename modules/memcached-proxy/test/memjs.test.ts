import memjs from 'memjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProxyFixture, startProxyFixture } from './proxy-fixture.js';
import { TextClient } from './text-client.js';

// memjs speaks only the binary protocol; the proxy translates it to the text protocol its
// memcached servers speak.
describe('memjs (binary protocol) through the proxy', () => {
  let fx: ProxyFixture;
  let client: memjs.Client;

  beforeAll(async () => {
    fx = await startProxyFixture({ servers: 3, maxValueSize: 100_000 });
    client = memjs.Client.create(`127.0.0.1:${fx.port}`, {
      retries: 0,
      timeout: 5,
      logger: { log: () => {} },
    });
  });
  afterAll(async () => {
    client?.close();
    await fx?.stop();
  });

  it('sets and gets values with flags across servers, visible to text clients too', async () => {
    for (let i = 0; i < 30; i++) expect(await client.set(`mj:${i}`, `value-${i}`, { expires: 0 })).toBe(true);
    for (let i = 0; i < 30; i++) expect((await client.get(`mj:${i}`)).value?.toString()).toBe(`value-${i}`);
    expect((await client.get('mj:missing')).value).toBeNull();
    const text = await TextClient.connect(fx.port);
    text.write('get mj:7\r\n');
    expect(await text.until('END')).toBe('VALUE mj:7 0 7\r\nvalue-7\r\nEND\r\n');
    text.close();
  });

  it('implements add, replace, delete, append, prepend and touch', async () => {
    expect(await client.add('mj:a', 'one')).toBe(true);
    expect(await client.add('mj:a', 'two')).toBe(false); // memjs reports KeyExists as false
    expect(await client.replace('mj:a', 'three')).toBe(true);
    expect(await client.replace('mj:none', 'x')).toBe(false);
    expect(await client.append('mj:a', '>')).toBe(true);
    // memjs 1.3's prepend sends the APPEND opcode (0x0e), so this appends too.
    expect(await client.prepend('mj:a', '<')).toBe(true);
    expect((await client.get('mj:a')).value?.toString()).toBe('three><');
    expect(await client.touch('mj:a', 100)).toBe(true);
    expect(await client.delete('mj:a')).toBe(true);
    expect(await client.delete('mj:a')).toBe(false);
  });

  it('increments and decrements, creating a missing counter with its initial value', async () => {
    expect((await client.increment('mj:n', 5, { initial: 10 })).value).toBe(10);
    expect((await client.increment('mj:n', 5, {})).value).toBe(15);
    expect((await client.decrement('mj:n', 20, {})).value).toBe(0);
    await client.set('mj:s', 'abc');
    await expect(client.increment('mj:s', 1, {})).rejects.toThrow(/non-numeric/i);
  });

  it('serves many concurrent requests in order, and stats/flush', async () => {
    const keys = Array.from({ length: 200 }, (_, i) => `mjc:${i}`);
    await Promise.all(keys.map((k) => client.set(k, k)));
    const values = await Promise.all(keys.map((k) => client.get(k)));
    expect(values.map((v) => v.value?.toString())).toEqual(keys);
    const stats = await new Promise<Record<string, string>>((resolve, reject) =>
      client.stats((err: Error | null, _server: string, s: Record<string, string>) =>
        err ? reject(err) : resolve(s),
      ),
    );
    expect(stats.servers).toBe('3');
    await client.flush();
    expect((await client.get(keys[0]!)).value).toBeNull();
  });

  it('refuses a value over max_value_size and keeps serving', async () => {
    await expect(client.set('mj:big', Buffer.alloc(200_000))).rejects.toThrow(/too large/i);
    expect(await client.set('mj:after', 'ok')).toBe(true);
  });
});
