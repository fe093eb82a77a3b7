import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { defineModule } from '@scalestack/kernel';
import { waitFor } from '@scalestack/test-harness';
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

/** The TCP state (`ss`) of the server's side of the connection from client port `peer`. */
async function serverSideState(port: number, peer: number): Promise<string | undefined> {
  const { stdout } = await promisify(execFile)('ss', [
    '-tnH',
    'state',
    'all',
    `( sport = :${port} and dport = :${peer} )`,
  ]);
  return stdout.trim().split(/\s+/)[0];
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

  it('drains at once a new connection that has sent nothing yet (and one kept alive between requests)', {
    timeout: 5_000,
  }, async () => {
    // headers_timeout far past the test's own: a drain that waited for it would time the test out.
    const s = await startHttp({ headers_timeout: '10m' });
    const silent = await RawClient.open(s.port);
    const kept = await RawClient.open(s.port);
    kept.write(`GET /healthz HTTP/1.1\r\n${H}\r\n`);
    await kept.responses(1);
    const shutdown = s.kernel.shutdown();
    await Promise.all([silent.closedPromise, kept.closedPromise]);
    expect(silent.text()).toBe('');
    await shutdown;
  });

  it('a client that ends its side while a pipelined request waits: that request is answered as incomplete at once', {
    timeout: 5_000,
  }, async () => {
    const gates: (() => void)[] = [];
    // request_timeout far past the test's own: an answer that waited for it would time the test out.
    const s = await startHttp({ request_timeout: '10m' }, [gatedModule(gates)]);
    try {
      const c = await RawClient.open(s.port, true);
      c.write(`GET /slow HTTP/1.1\r\n${H}\r\nPOST /read HTTP/1.1\r\n${H}Content-Length: 100\r\n\r\nabc`);
      await until(() => gates.length === 1);
      c.socket.end();
      // The order under test: the server reads the end while the POST waits behind /slow. Its
      // kernel has the FIN once the server side is in CLOSE-WAIT; a request answered on another
      // connection after that has taken the server (this process) past reading it.
      await waitFor(async () => (await serverSideState(s.port, c.socket.localPort!)) === 'CLOSE-WAIT', {
        what: 'the FIN to reach the server',
      });
      expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
      gates[0]();
      await c.closedPromise;
      const [slow, read] = await c.responses(2);
      expect(slow.status).toBe(200);
      expect(read.status).toBe(400);
    } finally {
      await s.kernel.shutdown();
    }
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
