import {
  type Address,
  defineModule,
  formatAddress,
  type ModuleContext,
  type OptionValues,
  option,
} from '@scalestack/kernel';
import { SOCKETS } from '@scalestack/socket';
import type { Backend } from './backend.js';
import { MemcachedBackend } from './memcached-backend.js';
import { MemcachedProxy } from './proxy.js';
import { RedisBackend } from './redis-backend.js';
import { ServerPool } from './server-pool.js';

const options = {
  listen: option.address(
    '127.0.0.1:11311',
    'where the memcached front end listens (host:port or a Unix socket path)',
  ),
  backend: option.enum(['memcached', 'redis'], 'memcached', 'what serves the requests'),
  servers: option.list(
    option.address(undefined, 'a memcached server'),
    [],
    'memcached servers (host:port), for backend memcached',
  ),
  redis: option.list(
    option.string(undefined, 'a redis:// URL or host:port', { nonEmpty: true }),
    [],
    'for backend redis: one redis:// URL, or the seed nodes of a Redis Cluster (with redis_cluster)',
  ),
  redis_cluster: option.boolean(false, 'treat the redis entries as Redis Cluster seed nodes'),
  timeout: option.duration('1s', 'how long a request may wait for its backend reply', { min: 1 }),
  connect_timeout: option.duration('1s', 'how long connecting to a backend server may take', { min: 1 }),
  server_failure_limit: option.integer(
    2,
    'consecutive failures that eject a memcached server (0: never eject)',
    { min: 0 },
  ),
  server_retry_timeout: option.duration('30s', 'how long an ejected server stays out before it is retried', {
    min: 1,
  }),
  max_value_size: option.size(
    '1MiB',
    'largest value accepted (larger: SERVER_ERROR object too large for cache)',
    { min: 1 },
  ),
  max_line_length: option.size(
    '64KiB',
    'longest command line accepted (longer: CLIENT_ERROR line too long)',
    { min: 256 },
  ),
  client_max_pending: option.integer(
    1024,
    'replies one client may have outstanding before reading from it pauses',
    { min: 1 },
  ),
  client_max_reply_bytes: option.size(
    '64MiB',
    'bytes of values held for one client (read replies, and what its socket has not taken); a read reply past it gets SERVER_ERROR out of memory writing get response',
    { min: 1 },
  ),
  max_connections: option.integer(10_000, 'client connections accepted at once', { min: 1 }),
};

function tcp(address: Address, what: string): { host: string; port: number } {
  if (address.kind !== 'tcp')
    throw new Error(
      `memcached-proxy: option ${what}: expected host:port, got a Unix socket path ${address.path}`,
    );
  return { host: address.host, port: address.port };
}

type Values = OptionValues<typeof options>;
type Logger = ModuleContext['log'];

/** The memcached backend of each running instance (keyed by its module context), for reload. */
const memcachedBackends = new WeakMap<object, MemcachedBackend>();
/** The same for the Redis backend: its timeouts are reloadable too. */
const redisBackends = new WeakMap<object, RedisBackend>();

function buildPool(o: Values, log: Logger): ServerPool {
  if (o.servers.length === 0) {
    throw new Error(
      'memcached-proxy: option servers: expected at least one memcached server (host:port) for backend memcached',
    );
  }
  return new ServerPool(
    o.servers.map((s, i) => tcp(s, `servers[${i}]`)),
    { serverFailureLimit: o.server_failure_limit, serverRetryTimeout: o.server_retry_timeout },
    {
      connectTimeout: o.connect_timeout,
      timeout: o.timeout,
      maxValueSize: o.max_value_size,
      onOversizedValue: oversizedValueLogger(o.max_value_size, log),
    },
    (event, server, reason) => log.warn({ server: server.label, reason }, `memcached server ${event}`),
  );
}

/** Warns the first time a server returns a value over max_value_size (answered as a miss), then logs at debug. */
function oversizedValueLogger(limit: number, log: Logger): (bytes: number) => void {
  let warned = false;
  return (bytes) => {
    const msg = `memcached-proxy: a stored value of ${bytes} bytes exceeds max_value_size (${limit}); answered as a miss`;
    if (warned) log.debug({ bytes }, msg);
    else log.warn({ bytes }, msg);
    warned = true;
  };
}

/** The memcached proxy as a kernel module. */
export default defineModule({
  name: 'memcached-proxy',
  description: 'memcached front end: ketama consistent hashing over memcached servers, or a bridge to Redis',
  requires: ['socket'],
  options,
  async start(ctx) {
    const o = ctx.options;
    let backend: Backend;
    if (o.backend === 'memcached') {
      const memcached = new MemcachedBackend(buildPool(o, ctx.log));
      memcachedBackends.set(ctx, memcached);
      backend = memcached;
    } else {
      if (o.redis.length === 0) {
        throw new Error(
          'memcached-proxy: option redis: expected a redis:// URL (or cluster seed nodes) for backend redis',
        );
      }
      const redis = RedisBackend.create({
        nodes: o.redis,
        cluster: o.redis_cluster,
        timeout: o.timeout,
        connectTimeout: o.connect_timeout,
      });
      redisBackends.set(ctx, redis);
      backend = redis;
    }
    const sockets = ctx.resolve(SOCKETS);
    let proxy: MemcachedProxy;
    try {
      // Inside: options it refuses must not leave the backend's connections open.
      proxy = new MemcachedProxy({
        backend,
        limits: { maxValueSize: o.max_value_size, maxLineLength: o.max_line_length },
        maxPending: o.client_max_pending,
        maxReplyBytes: o.client_max_reply_bytes,
        maxConnections: o.max_connections,
        listen: (address, onConnection, listenOptions) =>
          sockets.listen(address, onConnection, listenOptions),
      });
      await proxy.listen(o.listen);
      ctx.log.info(
        { address: formatAddress(proxy.address!), backend: o.backend },
        'memcached proxy listening',
      );
    } catch (err) {
      await backend.close();
      throw err;
    }
    const removeCollector = ctx.metrics.addCollector('memcached-proxy', () => {
      const stats = backend.stats();
      return [
        {
          name: 'memcached_proxy_client_connections',
          help: 'Connected memcached clients',
          type: 'gauge',
          samples: [{ value: proxy.connections }],
        },
        {
          name: 'memcached_proxy_backend_requests_total',
          help: 'Requests handed to the backend',
          type: 'counter',
          samples: [{ value: Number(stats.backend_requests ?? 0) }],
        },
        ...(stats.servers_live === undefined
          ? []
          : [
              {
                name: 'memcached_proxy_servers_live',
                help: 'memcached servers on the ketama ring (not ejected)',
                type: 'gauge' as const,
                samples: [{ value: Number(stats.servers_live) }],
              },
            ]),
      ];
    });
    // Drain: no new clients, and each connected one gets the replies it is owed before its
    // connection ends; stop closes whatever is left, and the servers.
    ctx.onDrain(() => proxy.drain());
    ctx.onStop(async () => {
      removeCollector();
      await proxy.close();
    });
  },
  /**
   * Applies a new server list, ejection policy and timeouts without dropping clients: new
   * requests use a new pool at once, the old pool's connections close when their replies are in.
   * The other options need a restart (the kernel says which).
   */
  reloadable: ['servers', 'timeout', 'connect_timeout', 'server_failure_limit', 'server_retry_timeout'],
  reload(ctx, next) {
    const backend = memcachedBackends.get(ctx);
    if (backend !== undefined && next.backend === 'memcached') backend.replacePool(buildPool(next, ctx.log));
    // Redis has no server list or ejection here (redis / redis_cluster need a restart): its timeouts.
    redisBackends.get(ctx)?.setTimeouts(next.timeout, next.connect_timeout);
  },
});
