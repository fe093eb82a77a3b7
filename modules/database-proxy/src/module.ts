/**
 * The `database-proxy` kernel module: options in, a listening MySQL proxy out.
 */
import { EVENT_LOOP } from '@scalestack/event';
import { createToken, defineModule } from '@scalestack/kernel';
import { SOCKETS } from '@scalestack/socket';
import { proxyOptions } from './config/options.js';
import { checkTlsFiles } from './config/tls-files.js';
import { checkWorkerShares } from './config/worker-shares.js';
import { DatabaseProxy } from './database-proxy.js';
import { DATABASE_PROXY } from './service.js';

/** The proxy object itself, for this module's reload hook. */
const PROXY_INSTANCE = createToken<DatabaseProxy>('database-proxy/instance');

export default defineModule({
  name: 'database-proxy',
  description: 'MySQL proxy: auth at the proxy, M:N connection concentration, session state, per-tenant QoS',
  requires: ['socket'],
  options: proxyOptions,
  async start(ctx) {
    const sockets = ctx.resolve(SOCKETS);
    const proxy = new DatabaseProxy(
      ctx.options,
      ctx.log,
      (address, onConnection, options) => sockets.listen(address, onConnection, options),
      ctx.tryResolve(EVENT_LOOP),
    );
    ctx.provide(DATABASE_PROXY, proxy);
    ctx.provide(PROXY_INSTANCE, proxy);
    ctx.metrics.addCollector('database-proxy', () => proxy.metricFamilies());
    // Before start: a start that fails (its port taken) after opening backend connections has
    // them closed by the kernel's roll-back — an embedding process lives on.
    ctx.onDrain(() => proxy.drain());
    ctx.onStop(() => proxy.stop());
    await proxy.start();
  },
  check: (options, loaded) => [...checkTlsFiles(options), ...checkWorkerShares(options, loaded)],
  // Pools, clients and counters in the log, on demand (SIGUSR2 under the CLI).
  report(ctx) {
    ctx.resolve(PROXY_INSTANCE).logStats();
  },
  // Who may log in and how they are queued; the rest (listener, backends, pools…) needs a restart.
  reloadable: ['users', 'tenants', 'default_tenant', 'tenant_attribute', 'queue_timeout', 'max_queued'],
  reload(ctx, next) {
    ctx.resolve(PROXY_INSTANCE).reload(next);
  },
});
