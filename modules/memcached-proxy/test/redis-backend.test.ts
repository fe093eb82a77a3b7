import {
  type RedisCluster,
  type RunningServer,
  startRedis,
  startRedisCluster,
} from '@scalestack/test-harness';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemcachedProxy, RedisBackend } from '../src/index.js';
import { TextClient } from './text-client.js';

/** The same memcached conversation, against a proxy bridging to Redis or to a Redis Cluster. */
function suite(
  name: string,
  start: () => Promise<{ nodes: string[]; cluster: boolean; direct: Redis | Cluster; stop(): Promise<void> }>,
) {
  describe(name, () => {
    let env: Awaited<ReturnType<typeof start>>;
    let proxy: MemcachedProxy;
    let client: TextClient;

    beforeAll(async () => {
      env = await start();
      proxy = new MemcachedProxy({
        backend: RedisBackend.create({
          nodes: env.nodes,
          cluster: env.cluster,
          timeout: 2000,
          connectTimeout: 2000,
        }),
      });
      client = await TextClient.connect(await proxy.listen(0));
    });
    afterAll(async () => {
      client?.close();
      await proxy?.close();
      env?.direct.disconnect();
      await env?.stop();
    });

    it('stores values with their flags and serves multi-key gets in request order', async () => {
      const keys = Array.from({ length: 20 }, (_, i) => `rk:${i}`);
      for (const [i, key] of keys.entries()) {
        expect(await client.call(`set ${key} ${i} 0 ${key.length}\r\n${key}\r\n`)).toBe('STORED');
      }
      const order = [keys[5], 'missing', keys[0], keys[19], keys[5]];
      client.write(`get ${order.join(' ')}\r\n`);
      const expected = order
        .filter((k) => k !== 'missing')
        .map((k) => `VALUE ${k} ${keys.indexOf(k!)} ${k!.length}\r\n${k}\r\n`)
        .join('');
      expect(await client.until('END')).toBe(`${expected}END\r\n`);
      // the documented storage format: a hash { v, f, c }
      const stored = await env.direct.hgetall('rk:3');
      expect(stored.v).toBe('rk:3');
      expect(stored.f).toBe('3');
      expect(stored.c).toMatch(/^\d+$/);
    });

    it('keeps binary values intact', async () => {
      const value = Buffer.from([0, 1, 2, 13, 10, 255, 254, 32]);
      client.write(
        Buffer.concat([Buffer.from(`set bin 0 0 ${value.length}\r\n`), value, Buffer.from('\r\n')]),
      );
      expect(await client.lines(1)).toBe('STORED\r\n');
      client.write('get bin\r\n');
      expect(await client.until('END')).toBe(`VALUE bin 0 8\r\n${value.toString('latin1')}\r\nEND\r\n`);
    });

    it('implements add, replace, append, prepend and cas', async () => {
      expect(await client.call('add a 1 0 1\r\nx\r\n')).toBe('STORED');
      expect(await client.call('add a 1 0 1\r\nx\r\n')).toBe('NOT_STORED');
      expect(await client.call('replace nope 0 0 1\r\nx\r\n')).toBe('NOT_STORED');
      expect(await client.call('replace a 2 0 1\r\ny\r\n')).toBe('STORED');
      expect(await client.call('append a 9 0 2\r\n>>\r\n')).toBe('STORED');
      expect(await client.call('prepend a 9 0 2\r\n<<\r\n')).toBe('STORED');
      expect(await client.call('append nope 0 0 1\r\nx\r\n')).toBe('NOT_STORED');
      client.write('gets a\r\n');
      const reply = await client.until('END');
      const match = /^VALUE a 2 5 (\d+)\r\n<<y>>\r\nEND\r\n$/.exec(reply);
      expect(match).not.toBeNull();
      const cas = match![1];
      expect(await client.call(`cas a 3 0 1 ${cas}\r\nz\r\n`)).toBe('STORED');
      expect(await client.call(`cas a 3 0 1 ${cas}\r\nw\r\n`)).toBe('EXISTS');
      expect(await client.call('cas nope 0 0 1 1\r\nw\r\n')).toBe('NOT_FOUND');
      client.write('gets a\r\n');
      const next = /^VALUE a 3 1 (\d+)\r\nz\r\nEND\r\n$/.exec(await client.until('END'));
      expect(BigInt(next![1]!)).toBeGreaterThan(BigInt(cas!));
      // a key deleted and created again does not get back an old cas value
      expect(await client.call('delete a')).toBe('DELETED');
      expect(await client.call('set a 0 0 1\r\nn\r\n')).toBe('STORED');
      client.write('gets a\r\n');
      const fresh = /^VALUE a 0 1 (\d+)\r\n/.exec(await client.until('END'));
      expect(await client.call(`cas a 0 0 1 ${next![1]}\r\nm\r\n`)).toBe('EXISTS');
      expect(fresh![1]).not.toBe(next![1]);
    });

    it('implements incr/decr with memcached rules where Redis allows', async () => {
      expect(await client.call('set n 0 0 2\r\n10\r\n')).toBe('STORED');
      expect(await client.call('incr n 5')).toBe('15');
      expect(await client.call('decr n 7')).toBe('8');
      expect(await client.call('decr n 100')).toBe('0');
      expect(await client.call('decr n 18446744073709551615')).toBe('0');
      expect(await client.call('incr nope 1')).toBe('NOT_FOUND');
      expect(await client.call('set s 0 0 3\r\nabc\r\n')).toBe('STORED');
      expect(await client.call('incr s 1')).toBe(
        'CLIENT_ERROR cannot increment or decrement non-numeric value',
      );
      expect(await client.call('incr n 18446744073709551615')).toMatch(/^CLIENT_ERROR incr would overflow/);
      // As memcached reads them: leading zeros are a number, and a delta of 0 is allowed.
      expect(await client.call('set z 0 0 2\r\n05\r\n')).toBe('STORED');
      expect(await client.call('decr z 0')).toBe('5');
      expect(await client.call('incr z 0')).toBe('5');
      expect(await client.call('incr z 1')).toBe('6');
      expect(await client.call('set z 0 0 3\r\n007\r\n')).toBe('STORED');
      expect(await client.call('decr z 2')).toBe('5');
    });

    it('maps memcached expiry onto Redis TTLs', async () => {
      const now = Math.floor(Date.now() / 1000);
      expect(await client.call('set t1 0 100 1\r\nx\r\n')).toBe('STORED');
      const ttl = await env.direct.ttl('t1');
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(100);
      // more than 30 days: an absolute unix time
      expect(await client.call(`set t2 0 ${now + 5000} 1\r\nx\r\n`)).toBe('STORED');
      expect(await env.direct.ttl('t2')).toBeGreaterThan(4000);
      expect(await client.call(`set t3 0 ${now - 10} 1\r\nx\r\n`)).toBe('STORED');
      expect(await client.call('set t4 0 -1 1\r\nx\r\n')).toBe('STORED');
      client.write('get t3 t4\r\n');
      expect(await client.until('END')).toBe('END\r\n');
      expect(await client.call('touch t1 0')).toBe('TOUCHED');
      expect(await env.direct.ttl('t1')).toBe(-1);
      expect(await client.call('touch nope 10')).toBe('NOT_FOUND');
      client.write('gat 50 t1\r\n');
      expect(await client.until('END')).toBe('VALUE t1 0 1\r\nx\r\nEND\r\n');
      expect(await env.direct.ttl('t1')).toBeGreaterThan(0);
    });

    it('handles noreply, delete, flush_all, and refuses meta commands clearly', async () => {
      client.write('set nr 0 0 1 noreply\r\n1\r\nincr nr 1 noreply\r\nget nr\r\n');
      expect(await client.until('END')).toBe('VALUE nr 0 1\r\n2\r\nEND\r\n');
      expect(await client.call('delete nr')).toBe('DELETED');
      expect(await client.call('delete nr')).toBe('NOT_FOUND');
      expect(await client.call('mg foo v')).toBe(
        'CLIENT_ERROR meta commands are not supported by the redis backend',
      );
      expect(await client.call('flush_all 10')).toBe(
        'CLIENT_ERROR flush_all with a delay is not supported by the redis backend',
      );
      expect(await client.call('flush_all')).toBe('OK');
      client.write('get rk:0 rk:1 bin\r\n');
      expect(await client.until('END')).toBe('END\r\n');
    });

    it('answers a value Redis holds in another type with a SERVER_ERROR, and carries on', async () => {
      await env.direct.set('plain', 'not a hash');
      expect(await client.call('append plain 0 0 1\r\nx\r\n')).toMatch(/^SERVER_ERROR /);
      expect(await client.call('get plain')).toMatch(/^SERVER_ERROR /);
      expect(await client.call('set ok 0 0 1\r\n1\r\n')).toBe('STORED');
    });
  });
}

suite('redis backend (standalone Redis)', async () => {
  const server: RunningServer = await startRedis();
  return {
    nodes: [`redis://127.0.0.1:${server.port}`],
    cluster: false,
    direct: new Redis(server.port, '127.0.0.1'),
    stop: () => server.stop(),
  };
});

suite('redis backend (3-node Redis Cluster)', async () => {
  const cluster: RedisCluster = await startRedisCluster(3);
  const seeds = cluster.nodes.map((n) => ({ host: '127.0.0.1', port: n.port }));
  return {
    nodes: cluster.nodes.map((n) => `127.0.0.1:${n.port}`),
    cluster: true,
    direct: new Cluster(seeds),
    stop: () => cluster.stop(),
  };
});
