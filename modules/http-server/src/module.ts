import {
  type Address,
  createToken,
  defineModule,
  formatAddress,
  option,
  type Token,
} from '@scalestack/kernel';
import { addBuiltinRoutes } from './builtin-routes.js';
import { HTTP_ROUTES, Router } from './router.js';
import { HttpServer } from './server.js';
import { DEFAULT_SETTINGS as D } from './settings.js';

/** What the `http-server` module tells others about itself (the bound address, once started). */
export interface HttpServerInfo {
  readonly address: Address | undefined;
}

/** Token of the {@link HttpServerInfo} service. */
export const HTTP_SERVER: Token<HttpServerInfo> = createToken<HttpServerInfo>('http-server');

/**
 * The `http-server` kernel module: an HTTP/1.1 server with `/healthz`, `/metrics` and the
 * routes other modules add through {@link HTTP_ROUTES} (provided in `register`, so modules that
 * require `http-server` can resolve it in their own `start`).
 */
export default defineModule({
  name: 'http-server',
  description: 'HTTP/1.1 server: routes from other modules, /healthz and Prometheus /metrics',
  options: {
    listen: option.address('127.0.0.1:8080', 'where to listen (host:port or a Unix socket path)'),
    max_connections: option.integer(D.maxConnections, 'connections open at once; more get 503', { min: 1 }),
    headers_timeout: option.duration(
      '10s',
      'time to receive a request head from its first byte (slowloris defence); 408 after',
      { min: 1 },
    ),
    request_timeout: option.duration(
      '30s',
      'time to receive a request body after its head; 408 after; 0 disables',
    ),
    keep_alive_timeout: option.duration('5s', 'idle time allowed between requests', { min: 1 }),
    send_timeout: option.duration(
      '60s',
      'time a client may take none of an answer written for it (it is not reading) before the connection is closed',
      { min: 1 },
    ),
    max_header_bytes: option.size('16KiB', 'most bytes in a request head; 431 beyond', { min: 256 }),
    max_header_count: option.integer(D.maxHeaderCount, 'most header fields in a request; 431 beyond', {
      min: 1,
    }),
    max_body_bytes: option.size('1MiB', 'default body limit for handlers that collect bodies; 413 beyond'),
  },
  register(ctx) {
    ctx.provide(HTTP_ROUTES, new Router());
    ctx.provide(HTTP_SERVER, { address: undefined });
  },
  async start(ctx) {
    const o = ctx.options;
    const server = new HttpServer({
      router: ctx.resolve(HTTP_ROUTES) as Router,
      log: ctx.log,
      maxConnections: o.max_connections,
      headersTimeout: o.headers_timeout,
      requestTimeout: o.request_timeout,
      keepAliveTimeout: o.keep_alive_timeout,
      sendTimeout: o.send_timeout,
      maxHeaderBytes: o.max_header_bytes,
      maxHeaderCount: o.max_header_count,
      maxBodyBytes: o.max_body_bytes,
    });
    addBuiltinRoutes(server, ctx.metrics);
    const removeCollector = ctx.metrics.addCollector(ctx.name, () => server.stats.families());
    const bound = await server.listen(o.listen);
    (ctx.resolve(HTTP_SERVER) as { address: Address | undefined }).address = bound;
    ctx.log.info({ address: formatAddress(bound) }, `listening on ${formatAddress(bound)}`);
    ctx.onDrain(() => server.drain());
    ctx.onStop(async () => {
      removeCollector();
      await server.close();
    });
  },
});
