import { defineModule, formatAddress, option } from '@scalestack/kernel';
import { type Connection, SOCKETS } from '@scalestack/socket';
import { ECHO_SERVER } from './service.js';

/** The `echo-server` module: echoes every byte back, and the model for writing modules. */
export default defineModule({
  name: 'echo-server',
  description: 'Echoes every byte back (the reference module)',
  requires: ['socket'],
  options: {
    listen: option.address('127.0.0.1:7000', 'where to listen'),
    max_connections: option.integer(0, 'connections echoed at once (0: the socket default)', { min: 0 }),
    idle_timeout: option.duration(0, 'close connections idle this long (0: the socket default)'),
  },

  async start(ctx) {
    const { listen, max_connections } = ctx.options;
    let idleTimeout = ctx.options.idle_timeout;
    const echo = (conn: Connection) => {
      if (idleTimeout > 0) conn.setIdleTimeout(idleTimeout);
      // pipe() to itself: reading pauses while the write buffer is full, so a client that
      // does not read cannot make the server buffer what it sends.
      conn.pipe(conn);
    };
    const limit = max_connections > 0 ? { maxConnections: max_connections } : {};
    const listener = await ctx.resolve(SOCKETS).listen(listen, echo, limit);
    ctx.log.info({ address: formatAddress(listener.address) }, 'listening');

    ctx.provide(ECHO_SERVER, {
      address: listener.address,
      get connectionCount() {
        return listener.connectionCount;
      },
      setIdleTimeout(ms) {
        idleTimeout = ms;
        for (const conn of listener.connections) conn.setIdleTimeout(ms);
      },
    });
    ctx.onDrain(() => listener.close()); // stop accepting; open connections carry on
    ctx.onStop(() => listener.closeAll()); // close what is left
  },

  // listen and max_connections apply at start only: the kernel keeps their old values and says
  // a restart is needed.
  reloadable: ['idle_timeout'],
  reload(ctx, next) {
    ctx.resolve(ECHO_SERVER).setIdleTimeout(next.idle_timeout);
  },
});
