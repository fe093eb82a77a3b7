import { startRedis } from '@scalestack/test-harness';
import { describe, expect, it } from 'vitest';
import { MemcachedProxy, RedisBackend } from '../src/index.js';
import { TextClient } from './text-client.js';

describe('redis backend when Redis goes away', () => {
  it('answers SERVER_ERROR instead of hanging, and keeps the client connection', async () => {
    const redis = await startRedis();
    const proxy = new MemcachedProxy({
      backend: RedisBackend.create({
        nodes: [`redis://127.0.0.1:${redis.port}`],
        cluster: false,
        timeout: 2000,
        connectTimeout: 2000,
      }),
    });
    try {
      const client = await TextClient.connect(await proxy.listen(0));
      expect(await client.call('set k 0 0 1\r\n1\r\n')).toBe('STORED');
      await redis.kill();
      expect(await client.call('get k')).toMatch(/^SERVER_ERROR /);
      expect(await client.call('set k 0 0 1\r\n2\r\n')).toMatch(/^SERVER_ERROR /);
      // the proxy itself still answers
      expect(await client.call('version')).toMatch(/^VERSION /);
      client.close();
    } finally {
      await proxy.close();
      await redis.stop();
    }
  });
});
