// One benchmark target in its own process, so its CPU time can be read from /proc.
// Usage: node server.mjs <scalestack|node-http> <port>
import { createServer } from 'node:http';
import { pino } from 'pino';
import httpServer, { HTTP_ROUTES } from '../../../modules/http-server/dist/index.js';
import { defineModule, Kernel } from '../../../packages/kernel/dist/index.js';

const [target, portText] = process.argv.slice(2);
const port = Number(portText);
const BODY = 'hello, world\n';

if (target === 'node-http') {
  const server = createServer((_req, res) => {
    res.writeHead(200, {
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': Buffer.byteLength(BODY),
    });
    res.end(BODY);
  });
  server.keepAliveTimeout = 5000;
  server.listen(port, '127.0.0.1', () => console.log(`listening ${port}`));
} else if (target === 'scalestack') {
  const hello = defineModule({
    name: 'bench-hello',
    description: 'one small response',
    requires: ['http-server'],
    start(ctx) {
      ctx.resolve(HTTP_ROUTES).route('GET', '/', (_req, res) => res.send(BODY, 'text/plain; charset=utf-8'));
    },
  });
  const kernel = new Kernel({ logger: pino({ level: 'warn' }), definitions: [httpServer, hello] });
  await kernel.load({
    modules: ['http-server', 'bench-hello'],
    config: { modules: { 'http-server': { listen: `127.0.0.1:${port}` } } },
    env: {},
    args: [],
  });
  await kernel.start();
  console.log(`listening ${port}`);
} else {
  console.error(`unknown target ${target}`);
  process.exit(2);
}
// Stop when the parent goes away.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
