import { Cluster, Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { startRedis, startRedisCluster } from '../src/index.js';

describe('startRedis', () => {
  it('serves a real ioredis client and stops', async () => {
    const server = await startRedis();
    const client = new Redis({ host: server.host, port: server.port, lazyConnect: true });
    try {
      await client.connect();
      await client.set('k', 'v');
      expect(await client.get('k')).toBe('v');
      expect(await client.config('GET', 'save')).toEqual(['save', '']);
    } finally {
      client.disconnect();
      await server.stop();
    }
    const again = new Redis({
      host: server.host,
      port: server.port,
      lazyConnect: true,
      retryStrategy: () => null,
    });
    await expect(again.connect()).rejects.toThrow();
    again.disconnect();
  });
});

describe('startRedisCluster', () => {
  const clusters: { stop(): Promise<void> }[] = [];
  afterAll(async () => {
    await Promise.all(clusters.map((c) => c.stop()));
  });

  it('forms a cluster that a cluster client can write across', async () => {
    const cluster = await startRedisCluster(3);
    clusters.push(cluster);
    const client = new Cluster(cluster.nodes.map((n) => ({ host: n.host, port: n.port })));
    try {
      // Keys spread over slots owned by different masters.
      for (let i = 0; i < 20; i++) await client.set(`key:${i}`, String(i));
      for (let i = 0; i < 20; i++) expect(await client.get(`key:${i}`)).toBe(String(i));
      const info = await client.cluster('INFO');
      expect(info).toContain('cluster_known_nodes:3');
    } finally {
      client.disconnect();
    }
  });
});
