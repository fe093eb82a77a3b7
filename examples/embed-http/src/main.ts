import { once } from 'node:events';
import { createServer } from 'node:http';
import echoServer, { ECHO_SERVER, type EchoServer } from '@scalestack/echo-server';
import { formatAddress, Kernel } from '@scalestack/kernel';
import { pino } from 'pino';
import { handleRequest } from './app.js';

const log = pino({ level: process.env.LOG_LEVEL ?? 'info' });

// The kernel logs through the app's logger and reads SCALESTACK_ECHO_SERVER_* from the
// environment; `socket`, which echo-server requires, is found by name.
const kernel = new Kernel({ logger: log });
await kernel.load({ modules: [echoServer] });
await kernel.start();
const echo = kernel.container.resolve<EchoServer>(ECHO_SERVER);

const server = createServer((req, res) => handleRequest(req, res, echo));
server.listen(Number(process.env.PORT ?? 8080), '127.0.0.1');
await once(server, 'listening');
const { port } = server.address() as { port: number };
log.info({ http: `127.0.0.1:${port}`, echo: formatAddress(echo.address) }, 'app ready');

// The app owns its signals; the kernel installs none. Once both have closed, nothing keeps
// the event loop alive and Node exits 0.
process.once('SIGTERM', () => {
  log.info('SIGTERM: stopping the app and its kernel');
  server.close();
  kernel.shutdown().catch((err: unknown) => {
    log.error({ err }, 'kernel shutdown failed');
    process.exitCode = 1;
  });
});
