import { type RunningServer, startMemcached } from '@scalestack/test-harness';
import { KetamaRing, ketamaServerName, MemcachedBackend, MemcachedProxy, ServerPool } from '../src/index.js';

export interface ProxyFixture {
  proxy: MemcachedProxy;
  port: number;
  servers: RunningServer[];
  pool: ServerPool;
  events: string[];
  /** Which server (index into `servers`) the full ring puts a key on. */
  owner(key: string): number;
  stop(): Promise<void>;
}

export interface FixtureOptions {
  servers?: number;
  serverFailureLimit?: number;
  serverRetryTimeout?: number;
  timeout?: number;
  maxValueSize?: number;
  maxReplyBytes?: number;
}

/** Starts memcached servers and a proxy over them on a free port. */
export async function startProxyFixture(opts: FixtureOptions = {}): Promise<ProxyFixture> {
  const servers: RunningServer[] = [];
  for (let i = 0; i < (opts.servers ?? 3); i++) servers.push(await startMemcached());
  const events: string[] = [];
  const pool = new ServerPool(
    servers.map((s) => ({ host: '127.0.0.1', port: s.port })),
    {
      serverFailureLimit: opts.serverFailureLimit ?? 2,
      serverRetryTimeout: opts.serverRetryTimeout ?? 30_000,
    },
    { connectTimeout: 1000, timeout: opts.timeout ?? 2000, maxValueSize: 2 * 1024 * 1024 },
    (event, server) => events.push(`${event} ${server.label}`),
  );
  const proxy = new MemcachedProxy({
    backend: new MemcachedBackend(pool),
    limits: opts.maxValueSize === undefined ? {} : { maxValueSize: opts.maxValueSize },
    maxReplyBytes: opts.maxReplyBytes,
  });
  const port = await proxy.listen(0);
  const ring = new KetamaRing(servers.map((s) => ketamaServerName('127.0.0.1', s.port)));
  return {
    proxy,
    port,
    servers,
    pool,
    events,
    owner: (key) => ring.pick(key),
    async stop() {
      await proxy.close();
      await Promise.all(servers.map((s) => s.stop()));
    },
  };
}

/** Keys that the ring places on server `index`, `count` of them. */
export function keysOn(fixture: ProxyFixture, index: number, count: number, prefix = 'k'): string[] {
  const keys: string[] = [];
  for (let i = 0; keys.length < count; i++)
    if (fixture.owner(`${prefix}${i}`) === index) keys.push(`${prefix}${i}`);
  return keys;
}
