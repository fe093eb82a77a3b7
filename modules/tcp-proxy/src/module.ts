/**
 * The `tcp-proxy` kernel module: a listener whose connections are piped to upstream servers.
 */
import {
  counter,
  createToken,
  defineModule,
  formatAddress,
  gauge,
  type MetricFamily,
  type OptionValues,
  option,
} from '@scalestack/kernel';
import { SOCKETS } from '@scalestack/socket';
import { TCP_PROXY } from './service.js';
import { TcpProxy, type TcpProxySettings } from './tcp-proxy.js';

const options = {
  listen: option.address('127.0.0.1:7100', 'where to listen'),
  upstreams: option.list(
    option.address(undefined, 'an upstream server'),
    undefined,
    'servers to pipe connections to (host:port or a Unix socket path), tried in the balance order',
    { min: 1 },
  ),
  balance: option.enum(
    ['round_robin', 'least_connections'],
    'round_robin',
    'how a new connection picks its upstream: in turn, or the one with the fewest connections',
  ),
  connect_timeout: option.duration('5s', 'time an upstream has to accept before the next is tried', {
    min: 1,
  }),
  retry_after: option.duration('10s', 'an upstream that failed a connect is tried last for this long'),
  idle_timeout: option.duration(
    0,
    'close a connection pair after no bytes either way for this long (0: never)',
  ),
  max_connections: option.integer(0, 'client connections at once (0: the socket module default)', { min: 0 }),
};

type TcpProxyOptions = OptionValues<typeof options>;

/** The proxy object itself, for this module's reload hook. */
const PROXY_INSTANCE = createToken<TcpProxy>('tcp-proxy/instance');

function settingsOf(o: TcpProxyOptions): TcpProxySettings {
  return {
    upstreams: o.upstreams,
    balance: o.balance,
    connectTimeout: o.connect_timeout,
    retryAfter: o.retry_after,
    idleTimeout: o.idle_timeout,
  };
}

export default defineModule({
  name: 'tcp-proxy',
  description: 'Layer-4 proxy: pipes each connection to one of a list of upstreams, with failover',
  requires: ['socket'],
  options,
  async start(ctx) {
    const sockets = ctx.resolve(SOCKETS);
    const proxy = new TcpProxy(settingsOf(ctx.options), (address, o) => sockets.connect(address, o), ctx.log);
    const { max_connections } = ctx.options;
    // Half-close passes through: a client that ends its side still gets the upstream's answer.
    const listener = await sockets.listen(ctx.options.listen, proxy.handle, {
      allowHalfOpen: true,
      // The proxy times pairs out itself (idle_timeout, reloadable); the socket module's
      // default would cut pairs that this module's option says to keep.
      idleTimeout: 0,
      ...(max_connections > 0 ? { maxConnections: max_connections } : {}),
    });
    ctx.log.info(
      { address: formatAddress(listener.address), upstreams: ctx.options.upstreams.map(formatAddress) },
      'proxying',
    );
    ctx.provide(PROXY_INSTANCE, proxy);
    ctx.provide(TCP_PROXY, { address: listener.address, stats: () => proxy.stats() });
    const removeCollector = ctx.metrics.addCollector(ctx.name, () => metricFamilies(proxy));
    ctx.onDrain(() => listener.close()); // stop accepting; piped connections carry on
    ctx.onStop(async () => {
      proxy.destroyAll();
      await listener.closeAll();
      removeCollector();
    });
  },
  // The listener needs a restart; where new connections go, and how, does not.
  reloadable: ['upstreams', 'balance', 'connect_timeout', 'retry_after', 'idle_timeout'],
  reload(ctx, next) {
    ctx.resolve(PROXY_INSTANCE).update(settingsOf(next));
  },
});

function metricFamilies(proxy: TcpProxy): MetricFamily[] {
  const { connections, connecting, unrouted, upstreams } = proxy.stats();
  const per = (value: (u: (typeof upstreams)[number]) => number) =>
    upstreams.map((u) => ({ labels: { upstream: u.address }, value: value(u) }));
  return [
    gauge('tcp_proxy_connections', 'Client connections piped to an upstream', connections),
    gauge('tcp_proxy_connecting', 'Client connections waiting for an upstream to accept', connecting),
    counter(
      'tcp_proxy_unrouted_total',
      'Client connections closed because no upstream accepted them',
      unrouted,
    ),
    gauge(
      'tcp_proxy_upstream_connections',
      'Connections piped to each upstream',
      per((u) => u.active),
    ),
    counter(
      'tcp_proxy_upstream_connects_total',
      'Connections made to each upstream',
      per((u) => u.connects),
    ),
    counter(
      'tcp_proxy_upstream_failures_total',
      'Failed connects to each upstream',
      per((u) => u.failures),
    ),
    gauge(
      'tcp_proxy_upstream_down',
      'Whether an upstream is skipped after a failure (1) or not (0)',
      per((u) => (u.down ? 1 : 0)),
    ),
  ];
}
