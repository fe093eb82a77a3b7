import { EVENT_LOOP } from '@scalestack/event';
import { defineModule, formatAddress, type MetricFamily, option } from '@scalestack/kernel';
import { toAddress } from './address.js';
import { connect } from './connect.js';
import { type Listener, listen } from './listen.js';
import { SOCKETS, type SocketService } from './service.js';

/**
 * The `socket` kernel module: provides the {@link SocketService} under {@link SOCKETS}.
 * Drain stops every listener opened through it from accepting; stop destroys what is left.
 */
export default defineModule({
  name: 'socket',
  description: 'TCP, TLS and Unix listeners and connections for other modules',
  options: {
    max_connections: option.integer(0, 'default connection limit per listener (0: no limit)', { min: 0 }),
    idle_timeout: option.duration(0, 'default idle timeout of accepted connections (0: none)'),
    keep_alive: option.duration(
      '60s',
      'TCP keepalive of accepted connections: first probe after this much silence, so that peers gone without a FIN are found dead and closed (0: off)',
    ),
    backlog: option.integer(
      4096,
      "default accept queue per listener (capped by net.core.somaxconn; Node's own is 511, which a burst of connecting clients overflows)",
      { min: 1 },
    ),
  },
  register(ctx) {
    const listeners = new Set<Listener>();
    const service: SocketService = {
      listeners,
      async listen(address, onConnection, options = {}) {
        const target = toAddress(address);
        // Several worker threads run this module: each binds the same port and the OS spreads connections.
        const workers = ctx.tryResolve(EVENT_LOOP)?.workerCount ?? 1;
        if (workers > 1 && target.kind === 'unix') {
          // reusePort shares TCP ports only: a second worker would fail to bind, or, clearing
          // what looks like a stale socket file, take the path from the first.
          throw new Error(
            `socket: cannot listen on ${formatAddress(target)} from ${workers} event-loop threads: a Unix socket has one listener; use event.threads: 1 or a TCP address`,
          );
        }
        const listener = await listen(target, onConnection, {
          reusePort: workers > 1,
          maxConnections: ctx.options.max_connections > 0 ? ctx.options.max_connections : undefined,
          idleTimeout: ctx.options.idle_timeout,
          keepAlive: ctx.options.keep_alive,
          backlog: ctx.options.backlog,
          onError: (err) => ctx.log.debug({ err, address: formatAddress(target) }, 'connection error'),
          ...options,
        });
        listeners.add(listener);
        ctx.log.info({ address: formatAddress(listener.address), tls: Boolean(options.tls) }, 'listening');
        return trackClose(listener, () => listeners.delete(listener));
      },
      connect: (address, options) => connect(address, options),
    };
    ctx.provide(SOCKETS, service);
    const removeCollector = ctx.metrics.addCollector(ctx.name, () => listenerMetrics(listeners));
    ctx.onDrain(async () => {
      await Promise.all([...listeners].map((l) => l.close()));
    });
    ctx.onStop(async () => {
      await Promise.all([...listeners].map((l) => l.closeAll()));
      listeners.clear();
      removeCollector();
    });
  },
});

/** Forgets a listener once its owner closed it completely. */
function trackClose(listener: Listener, forget: () => void): Listener {
  const closeAll = listener.closeAll.bind(listener);
  return Object.assign(listener, {
    async closeAll() {
      await closeAll();
      forget();
    },
  });
}

/** Per-listener gauges and counters, labelled with the listen address. */
function listenerMetrics(listeners: ReadonlySet<Listener>): MetricFamily[] {
  const all = [...listeners];
  const family = (
    name: string,
    help: string,
    type: MetricFamily['type'],
    value: (l: Listener) => number,
  ): MetricFamily => ({
    name,
    help,
    type,
    samples: all.map((l) => ({ labels: { address: formatAddress(l.address) }, value: value(l) })),
  });
  return [
    family('socket_connections', 'Connections being served', 'gauge', (l) => l.connectionCount),
    family('socket_accepted_total', 'Connections accepted', 'counter', (l) => l.acceptedCount),
    family(
      'socket_refused_total',
      'Connections refused over max_connections',
      'counter',
      (l) => l.refusedCount,
    ),
  ];
}
