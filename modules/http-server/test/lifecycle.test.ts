import { defineModule } from '@scalestack/kernel';
import { describe, expect, it } from 'vitest';
import { HTTP_ROUTES } from '../src/index.js';
import { RawClient } from './support/raw-client.js';
import { startHttp } from './support/start.js';

const H = 'Host: t\r\n';

/** A route that answers only when the test says so. */
function gatedModule(gates: (() => void)[]) {
  return defineModule({
    name: 'slow-route',
    description: 'test module',
    requires: ['http-server'],
    start(ctx) {
      const routes = ctx.resolve(HTTP_ROUTES);
      routes.route('GET', '/slow', (_req, res) => {
        gates.push(() => res.send('done'));
      });
      routes.route('POST', '/early', (_req, res) => res.send('answered before the body'));
      routes.route('POST', '/read', async (req, res) => res.send(await req.body()));
    },
  });
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setImmediate(r));
}

describe('http-server lifecycle and timeouts', () => {
  it('drains: idle connections close, in-flight ones finish with Connection: close', async () => {
    const gates: (() => void)[] = [];
    const s = await startHttp({}, [gatedModule(gates)]);
    const idle = await RawClient.open(s.port);
    idle.write(`GET /healthz HTTP/1.1\r\n${H}\r\n`);
    await idle.responses(1);
    const busy = await RawClient.open(s.port);
    busy.write(`GET /slow HTTP/1.1\r\n${H}\r\n`);
    await until(() => gates.length === 1);
    const shutdown = s.kernel.shutdown();
    await idle.closedPromise;
    gates[0]();
    const [r] = await busy.responses(1);
    expect(r.body).toBe('done');
    expect(r.headers.connection).toBe('close');
    await busy.closedPromise;
    await shutdown;
  });

  it('closes idle kept-alive connections after keep_alive_timeout', async () => {
    const s = await startHttp({ keep_alive_timeout: '200ms' });
    try {
      const c = await RawClient.open(s.port);
      c.write(`GET /healthz HTTP/1.1\r\n${H}\r\n`);
      await c.responses(1);
      await c.closedPromise;
      const metrics = await (await fetch(`${s.url}/metrics`)).text();
      expect(metrics).toContain('scalestack_http_timeouts_total{kind="keepalive"} 1');
    } finally {
      await s.kernel.shutdown();
    }
  });

  it('answers 408 when a body does not arrive within request_timeout', async () => {
    const s = await startHttp({ request_timeout: '200ms' }, [gatedModule([])]);
    try {
      const c = await RawClient.open(s.port);
      c.write(`POST /read HTTP/1.1\r\n${H}Content-Length: 10\r\n\r\nabc`);
      await c.closedPromise;
      const [r] = await c.responses(1);
      expect(r.status).toBe(408);
      expect(r.headers.connection).toBe('close');
    } finally {
      await s.kernel.shutdown();
    }
  });

  it('drops the unread body of an early answer and serves the next request on the connection', async () => {
    const s = await startHttp({}, [gatedModule([])]);
    try {
      const c = await RawClient.open(s.port);
      c.write(`POST /early HTTP/1.1\r\n${H}Content-Length: 6\r\n\r\n`);
      const [first] = await c.responses(1);
      expect(first.body).toBe('answered before the body');
      c.write(`abcdefGET /healthz HTTP/1.1\r\n${H}\r\n`);
      const [, second] = await c.responses(2);
      expect(second.body).toBe('ok\n');
      c.close();
    } finally {
      await s.kernel.shutdown();
    }
  });
});
