import { type RunningServer, startRedis } from '@scalestack/test-harness';
import memjs from 'memjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemcachedProxy, RedisBackend } from '../src/index.js';

// Redis has no meta protocol, so binary requests take the text-command translation path.
describe('memjs (binary protocol) through the proxy to Redis', () => {
  let redis: RunningServer;
  let proxy: MemcachedProxy;
  let client: memjs.Client;

  beforeAll(async () => {
    redis = await startRedis();
    proxy = new MemcachedProxy({
      backend: RedisBackend.create({
        nodes: [`127.0.0.1:${redis.port}`],
        cluster: false,
        timeout: 2000,
        connectTimeout: 2000,
      }),
    });
    const port = await proxy.listen(0);
    client = memjs.Client.create(`127.0.0.1:${port}`, { retries: 0, timeout: 5, logger: { log: () => {} } });
  });
  afterAll(async () => {
    client?.close();
    await proxy?.close();
    await redis?.stop();
  });

  it('stores, reads, adds, deletes and counts', async () => {
    expect(await client.set('r:a', 'alpha')).toBe(true);
    expect((await client.get('r:a')).value?.toString()).toBe('alpha');
    expect((await client.get('r:none')).value).toBeNull();
    expect(await client.add('r:a', 'again')).toBe(false);
    expect(await client.replace('r:none', 'x')).toBe(false);
    expect(await client.append('r:a', '!')).toBe(true);
    expect((await client.get('r:a')).value?.toString()).toBe('alpha!');
    expect((await client.increment('r:n', 3, { initial: 7 })).value).toBe(7);
    expect((await client.increment('r:n', 3, {})).value).toBe(10);
    expect((await client.decrement('r:n', 4, {})).value).toBe(6);
    await expect(client.increment('r:a', 1, {})).rejects.toThrow(/non-numeric/i);
    expect(await client.delete('r:a')).toBe(true);
    expect(await client.delete('r:a')).toBe(false);
  });
});
