import { waitFor } from '@scalestack/test-harness';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StartedServer, startRespServer } from './support/server.js';

let server: StartedServer;
let client: Redis;

beforeAll(async () => {
  server = await startRespServer({ sweep_interval: '10ms' });
  client = new Redis({ port: server.port, host: '127.0.0.1', lazyConnect: true });
  await client.connect();
});
afterAll(async () => {
  client?.disconnect();
  await server?.stop();
});

describe('with ioredis', () => {
  it('runs every command', async () => {
    expect(await client.ping()).toBe('PONG');
    expect(await client.echo('hello')).toBe('hello');
    expect(await client.set('k', 'v')).toBe('OK');
    expect(await client.get('k')).toBe('v');
    expect(await client.set('k', 'w', 'NX')).toBeNull();
    expect(await client.set('k', 'w', 'XX')).toBe('OK');
    expect(await client.set('k', 'x', 'EX', 100)).toBe('OK');
    expect(await client.ttl('k')).toBe(100);
    expect(await client.exists('k', 'k', 'nope')).toBe(2);
    expect(await client.incr('n')).toBe(1);
    expect(await client.decr('n')).toBe(0);
    expect(await client.incrby('n', 41)).toBe(41);
    expect(await client.decrby('n', -1)).toBe(42);
    expect(await client.mset('a', '1', 'b', '2')).toBe('OK');
    expect(await client.mget('a', 'b', 'c')).toEqual(['1', '2', null]);
    expect(await client.expire('a', 50)).toBe(1);
    expect(await client.ttl('a')).toBe(50);
    expect(await client.ttl('b')).toBe(-1);
    expect(await client.ttl('c')).toBe(-2);
    expect(await client.dbsize()).toBe(4);
    expect(await client.del('a', 'b', 'c')).toBe(2);
    expect(await client.rpush('l', 'x', 'y')).toBe(2);
    expect(await client.lrange('l', 0, -1)).toEqual(['x', 'y']);
    expect(await client.type('l')).toBe('list');
    await expect(client.get('l')).rejects.toThrow(
      'WRONGTYPE Operation against a key holding the wrong kind of value',
    );
    await expect(client.incr('k')).rejects.toThrow('ERR value is not an integer or out of range');
    expect(await client.flushdb()).toBe('OK');
    expect(await client.dbsize()).toBe(0);
  });

  it('keeps binary values intact, small and large', async () => {
    const small = Buffer.from([0, 255, 13, 10, 1]);
    const large = Buffer.alloc(3 * 1024 * 1024);
    for (let i = 0; i < large.length; i++) large[i] = (i * 31) & 0xff;
    await client.set(Buffer.from([0xff, 0]), small);
    await client.set('large', large);
    expect(await client.getBuffer(Buffer.from([0xff, 0]))).toEqual(small);
    expect((await client.getBuffer('large'))!.equals(large)).toBe(true);
  });

  it('answers a pipeline of many commands in order', async () => {
    const pipeline = client.pipeline();
    for (let i = 0; i < 2000; i++) pipeline.set(`p${i}`, String(i)).incr(`p${i}`).get(`p${i}`);
    const results = (await pipeline.exec())!;
    expect(results).toHaveLength(6000);
    for (let i = 0; i < 2000; i++) {
      expect(results[i * 3]).toEqual([null, 'OK']);
      expect(results[i * 3 + 1]).toEqual([null, i + 1]);
      expect(results[i * 3 + 2]).toEqual([null, String(i + 1)]);
    }
  });

  it('serves a client that reads its replies slowly (backpressure) without losing any', async () => {
    const value = 'v'.repeat(64 * 1024);
    await client.set('wide', value);
    const pipeline = client.pipeline();
    for (let i = 0; i < 300; i++) pipeline.get('wide');
    const results = (await pipeline.exec())!;
    expect(results.every(([err, v]) => err === null && v === value)).toBe(true);
  });

  it('expires keys set with PX, lazily and through the sweep', async () => {
    await client.set('short', 'v', 'PX', 30);
    await client.set('swept', 'v', 'PX', 30);
    expect(await client.pttl('short')).toBeGreaterThan(0);
    await waitFor(async () => (await client.get('short')) === null, {
      timeout: 5000,
      what: 'short to expire',
    });
    // Never touched again: only the periodic sweep can remove it. volatileCount reads the
    // expiry table without the lazy expiry a lookup would do.
    const { store } = server.server;
    await waitFor(() => store.volatileCount === 0, { timeout: 5000, what: 'the sweep to remove "swept"' });
    expect(await client.exists('swept')).toBe(0);
  });
});

describe('max_memory', () => {
  it('refuses writes with -OOM above the limit and accepts them again after deletes', async () => {
    const small = await startRespServer({ max_memory: '64KiB' });
    const redis = new Redis({ port: small.port, host: '127.0.0.1', lazyConnect: true });
    await redis.connect();
    try {
      let i = 0;
      for (; i < 1000; i++) {
        const reply = await redis.set(`fill${i}`, 'x'.repeat(1024)).catch((err: Error) => err);
        if (reply instanceof Error) {
          expect(reply.message).toBe("OOM command not allowed when used memory > 'maxmemory'.");
          break;
        }
      }
      expect(i).toBeGreaterThan(30);
      expect(i).toBeLessThan(1000);
      await expect(redis.incr('n')).rejects.toThrow(/^OOM/);
      expect(await redis.get('fill0')).toBe('x'.repeat(1024));
      expect(await redis.del('fill0', 'fill1', 'fill2')).toBe(3);
      expect(await redis.set('again', 'v')).toBe('OK');
    } finally {
      redis.disconnect();
      await small.stop();
    }
  });
});

describe('reload', () => {
  it('applies a new max_memory to the running store', async () => {
    const started = await startRespServer();
    const redis = new Redis({ port: started.port, host: '127.0.0.1', lazyConnect: true });
    await redis.connect();
    try {
      expect(await redis.set('big', 'x'.repeat(4096))).toBe('OK');
      await started.kernel.reload({ config: { modules: { 'resp-server': { max_memory: '1KiB' } } } });
      expect(started.server.store.maxMemory).toBe(1024);
      await expect(redis.set('more', 'v')).rejects.toThrow(/^OOM/);
    } finally {
      redis.disconnect();
      await started.stop();
    }
  });
});
