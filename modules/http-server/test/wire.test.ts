import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { defineModule } from '@scalestack/kernel';
import { waitFor } from '@scalestack/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionClosedError, HTTP_ROUTES, type HttpHandler } from '../src/index.js';
import { RawClient } from './support/raw-client.js';
import { type Started, startHttp } from './support/start.js';
import { tenantsModule } from './support/tenants-module.js';

/** Routes whose answers the test releases by hand, to prove ordering under pipelining. */
const gates = new Map<string, () => void>();
const arrived: string[] = [];
/** How each /feed/:id handler's loop ended. */
const feeds = new Map<string, string>();
/** The /feed/:id handlers that found the socket full and waited in drained() at least once. */
const feedsWaited = new Set<string>();
/** The request body each POST /feed/:id handler read, once the whole of it arrived. */
const feedBodies = new Map<string, string>();
const gatedModule = defineModule({
  name: 'gated',
  description: 'test module: responses released by the test',
  requires: ['http-server'],
  start(ctx) {
    // Streamed bodies that do not match the Content-Length their handler set.
    ctx.resolve(HTTP_ROUTES).route('GET', '/short', (_req, res) => {
      res.setHeader('Content-Length', 10);
      res.write('12345');
      res.end();
    });
    ctx.resolve(HTTP_ROUTES).route('GET', '/long', (_req, res) => {
      res.setHeader('Content-Length', 10);
      res.write('1234567890');
      res.write('+5 more');
      res.end();
    });
    // Refuses once the whole body is in, without reading it: an auth check awaiting a lookup.
    ctx.resolve(HTTP_ROUTES).route('POST', '/refuse-late', async (req, res) => {
      while (!req.complete) await new Promise((r) => setImmediate(r));
      res.status(401).send('refused\n');
    });
    // Handlers that try to frame the body themselves.
    ctx.resolve(HTTP_ROUTES).route('GET', '/framing/:how', (req, res) => {
      const fake = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfake!';
      switch (req.params.how) {
        case '204':
          res.status(204).write(fake);
          res.end();
          return;
        case 'te':
          res.setHeader('Transfer-Encoding', 'chunked');
          res.send(`5\r\nhello\r\n0\r\n\r\n${fake}`);
          return;
        case 'close':
          res.setHeader('Connection', 'close').send('bye');
          return;
        case 'keep-alive':
          res.setHeader('Connection', 'keep-alive').send('kept');
          return;
        case 'length-once':
          res.appendHeader('Content-Length', 5).write('hello');
          res.end();
          return;
        case 'length-twice':
          res.setHeader('Content-Length', 5).appendHeader('Content-Length', fake.length + 5);
          res.write('hello');
          res.end(fake);
          return;
      }
    });
    // A feed that writes until its client is gone (bounded, so that a loop that spins ends). As
    // a POST it starts before its request body has arrived, and reads that body alongside.
    const feed: HttpHandler = async (req, res) => {
      if (req.method === 'POST') {
        void req.text().then(
          (body) => feedBodies.set(req.params.id, body),
          () => feedBodies.set(req.params.id, '(not complete)'),
        );
      }
      const chunk = Buffer.alloc(64 * 1024, 102);
      let outcome = 'ran out';
      try {
        for (let i = 0; i < 20_000; i++) {
          if (res.write(chunk)) continue;
          feedsWaited.add(req.params.id);
          await res.drained();
        }
      } catch (error) {
        const name = error instanceof ConnectionClosedError ? 'ConnectionClosedError' : String(error);
        outcome = `${name}, closed ${res.closed}`;
      }
      feeds.set(req.params.id, outcome);
    };
    ctx.resolve(HTTP_ROUTES).route('GET', '/feed/:id', feed);
    ctx.resolve(HTTP_ROUTES).route('POST', '/feed/:id', feed);
    ctx.resolve(HTTP_ROUTES).route('GET', '/bytes/:n', (req, res) => {
      res.send(Buffer.alloc(Number(req.params.n), 97));
    });
    ctx.resolve(HTTP_ROUTES).route('GET', '/gate/:id', (req, res) => {
      arrived.push(req.params.id);
      gates.set(req.params.id, () => res.send(`gate ${req.params.id}`));
    });
  },
});

const H = 'Host: t\r\n';

/**
 * A kernel of its own (http-server and the gated routes) for the describe block that calls
 * this: started before its tests, shut down after them. Its fields are read once started.
 */
/**
 * A raw client that reads nothing (paused before it connects) and has sent `head`.
 */
async function nonReader(port: number, head: string): Promise<Socket> {
  const sock = connect(port, '127.0.0.1');
  sock.on('error', () => {});
  sock.pause();
  await once(sock, 'connect');
  sock.write(head);
  return sock;
}

function kernelFor(options: Record<string, string>): Started {
  let started: Started | undefined;
  beforeAll(async () => {
    started = await startHttp(options, [gatedModule]);
  });
  afterAll(async () => {
    await started?.kernel.shutdown();
  });
  const get = () => started ?? expect.fail('the kernel has not started');
  return {
    get kernel() {
      return get().kernel;
    },
    get port() {
      return get().port;
    },
    get url() {
      return get().url;
    },
  };
}

/**
 * Counts the body bytes of the one answer arriving on `sock` (its head kept as text); `each`
 * runs after every chunk with the count so far.
 */
function countAnswer(sock: Socket, each?: (body: number) => void): { head: string; body: number } {
  const answer = { head: '', body: 0 };
  let text = '';
  sock.on('data', (d: Buffer) => {
    if (answer.head === '') {
      text += d.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end >= 0) {
        answer.head = text.slice(0, end + 4);
        answer.body = text.length - end - 4;
      }
    } else answer.body += d.length;
    each?.(answer.body);
  });
  return answer;
}

/** One sample of the server's metric `name`, the one labelled `kind` if given. */
function metricOf(k: Started, name: string, kind?: string): number {
  return k.kernel.metrics
    .collect()
    .find((m) => m.name === name)!
    .samples.find((x) => kind === undefined || x.labels?.kind === kind)!.value;
}

let s: Started;
beforeAll(async () => {
  s = await startHttp({ headers_timeout: '400ms', keep_alive_timeout: '2s' }, [tenantsModule, gatedModule]);
});
afterAll(async () => {
  await s?.kernel.shutdown();
});

async function waitUntil(check: () => boolean, what: string): Promise<void> {
  // Polls on the event loop until the condition holds; the test timeout bounds it.
  while (!check()) await new Promise((r) => setImmediate(r));
  expect(check(), what).toBe(true);
}

describe('an answer sent before the body is read', () => {
  it('a body over the limit gets its 413 while the client is still sending, not a reset', async () => {
    const c = await RawClient.open(s.port);
    const sock = c.socket;
    const closed = c.closedPromise;
    const size = 8 * 1024 * 1024; // over the 1 MiB default of max_body_bytes
    sock.write(`POST /echo HTTP/1.1\r\n${H}Content-Length: ${size}\r\n\r\n`);
    const chunk = Buffer.alloc(64 * 1024, 97);
    for (let sent = 0; sent < size && !sock.destroyed; sent += chunk.length) {
      if (!sock.write(chunk)) await Promise.race([once(sock, 'drain'), closed]);
    }
    await closed;
    expect(c.text()).toMatch(/^HTTP\/1\.1 413 /);
  });
});

describe('a body its handler answers without reading, after it has arrived', () => {
  it('past the bytes queued for a handler: the next request on the connection is still read', async () => {
    const c = await RawClient.open(s.port);
    // One byte over the 256 KiB queued for a handler: the read that stops reading the socket is
    // the one that completes the body, however the bytes are split on the wire.
    const body = 'b'.repeat(256 * 1024 + 1);
    c.write(`POST /refuse-late HTTP/1.1\r\n${H}Content-Length: ${body.length}\r\n\r\n${body}`);
    expect((await c.responses(1))[0].status).toBe(401);
    c.write(`GET /tenants/after HTTP/1.1\r\n${H}\r\n`);
    const [, after] = await c.responses(2);
    expect(JSON.parse(after.body).tenant).toBe('after');
    c.close();
  });
});

describe('a client that reads a large answer slowly', () => {
  const k = kernelFor({ keep_alive_timeout: '100ms' });

  it('gets all of it, even past keep_alive_timeout, and the connection idles out after', async () => {
    const blocked = () =>
      k.kernel.metrics.collect().find((m) => m.name === 'scalestack_http_connections_blocked')!.samples[0]!
        .value;
    // Far more than the loopback socket buffers hold, so the server still has it to write.
    const size = 64 * 1024 * 1024;
    const sock = await nonReader(k.port, `GET /bytes/${size} HTTP/1.1\r\n${H}\r\n`);
    await waitFor(() => blocked() === 1, { what: 'the answer to wait on the client' });
    // A connection idle from after that point is closed for keep_alive_timeout: by then the
    // slow reader's keep-alive time has passed too, and the same sweep has looked at it.
    const witness = await RawClient.open(k.port);
    witness.write(`GET /healthz HTTP/1.1\r\n${H}\r\n`);
    await witness.responses(1);
    await witness.closedPromise;
    const stillWriting = blocked();
    const closed = once(sock, 'close');
    const answer = countAnswer(sock);
    sock.resume();
    await closed;
    expect(answer.head).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer.body).toBe(size);
    expect(stillWriting, 'the answer was still being written past keep_alive_timeout').toBe(1);
  });
});

describe('a client that takes none of its answer', () => {
  const k = kernelFor({ keep_alive_timeout: '100ms', send_timeout: '300ms' });

  it('is closed after send_timeout without progress: it does not hold its connection for ever', async () => {
    const metric = (name: string, kind?: string) => metricOf(k, name, kind);
    const sock = await nonReader(k.port, `GET /bytes/${64 * 1024 * 1024} HTTP/1.1\r\n${H}\r\n`);
    await waitFor(() => metric('scalestack_http_connections_blocked') === 1, {
      what: 'the answer to wait on the client',
    });
    // The client reads nothing, not even the close: the server's side is what to watch.
    await waitFor(() => metric('scalestack_http_timeouts_total', 'send') === 1, {
      what: 'the server to give up on the client',
    });
    await waitFor(() => metric('scalestack_http_connections_blocked') === 0, {
      what: 'the connection to be gone',
    });
    sock.destroy();
  });
});

describe('a client that reads one large answer slowly', () => {
  const k = kernelFor({ keep_alive_timeout: '100ms', headers_timeout: '500ms', send_timeout: '300ms' });

  it.each(['keep-alive', 'close'])(
    'Connection: %s — is not cut while it takes some of it at every step, however long the whole takes',
    async (connection) => {
      const sendTimeouts = () => metricOf(k, 'scalestack_http_timeouts_total', 'send');
      // One send() far larger than the loopback socket buffers, read 1 MiB at a time with a
      // pause between (the slow client is the scenario here): the whole takes well over
      // send_timeout, headers_timeout and keep_alive_timeout, each step far less than any, and
      // the server's one write is in flight until near the end.
      const size = 48 * 1024 * 1024;
      const step = 1024 * 1024;
      const sock = connect(k.port, '127.0.0.1');
      sock.on('error', () => {});
      sock.pause();
      await once(sock, 'connect');
      const closed = once(sock, 'close');
      sock.write(`GET /bytes/${size} HTTP/1.1\r\n${H}Connection: ${connection}\r\n\r\n`);
      let allowed = step;
      const answer = countAnswer(sock, (body) => {
        if (body >= allowed) sock.pause();
      });
      while (answer.body < size && !sock.destroyed) {
        sock.resume();
        await Promise.race([
          waitFor(() => sock.isPaused() || answer.body >= size, { what: 'a step read' }),
          closed,
        ]);
        allowed += step;
        await new Promise((r) => setTimeout(r, 30));
      }
      expect(answer.head).toMatch(/^HTTP\/1\.1 200 /);
      expect(answer.body).toBe(size);
      expect(sendTimeouts()).toBe(0);
      if (connection === 'close') await closed;
      sock.destroy();
    },
  );
});

describe('a handler that frames the body itself', () => {
  it.each(['204', 'te'])(
    '/framing/%s: refused (500), and a request behind it gets its own answer',
    async (how) => {
      const c = await RawClient.open(s.port);
      c.write(`GET /framing/${how} HTTP/1.1\r\n${H}\r\nGET /healthz HTTP/1.1\r\n${H}\r\n`);
      const [first, second] = await c.responses(2);
      expect(first.status).toBe(500);
      expect(second.status).toBe(200);
      expect(c.text()).not.toContain('fake!');
      expect(c.text()).not.toMatch(/Transfer-Encoding/i);
      c.close();
    },
  );

  it('appendHeader(Content-Length) frames a streamed body like setHeader; a second one is refused (500)', async () => {
    const c = await RawClient.open(s.port);
    c.write(
      `GET /framing/length-once HTTP/1.1\r\n${H}\r\n` +
        `GET /framing/length-twice HTTP/1.1\r\n${H}\r\n` +
        `GET /healthz HTTP/1.1\r\n${H}\r\n`,
    );
    const [single, second, after] = await c.responses(3);
    expect(single.status).toBe(200);
    expect(single.headers['content-length']).toBe('5');
    expect(single.body).toBe('hello');
    expect(second.status).toBe(500);
    expect(after.status).toBe(200);
    // One Content-Length per answer, and no chunked framing beside the handler's.
    expect(c.text().match(/^content-length:/gim)).toHaveLength(3);
    expect(c.text()).not.toMatch(/Transfer-Encoding/i);
    expect(c.text()).not.toContain('fake!');
    c.close();
  });

  it('Connection: close set by the handler closes the connection; nothing behind it is answered', async () => {
    const c = await RawClient.open(s.port);
    c.write(`GET /framing/close HTTP/1.1\r\n${H}\r\nGET /healthz HTTP/1.1\r\n${H}\r\n`);
    await c.closedPromise;
    expect(c.text().match(/HTTP\/1\.1 /g)).toHaveLength(1);
    expect(c.text().match(/^connection:/gim)).toHaveLength(1);
    expect(c.text()).toMatch(/\r\nConnection: close\r\n/);
    expect(c.text()).toMatch(/\r\n\r\nbye$/);
  });

  it('Connection: keep-alive set by the handler to an HTTP/1.0 client: one Connection field', async () => {
    const c = await RawClient.open(s.port);
    c.write(`GET /framing/keep-alive HTTP/1.0\r\n${H}Connection: keep-alive\r\n\r\n`);
    const [r] = await c.responses(1);
    expect(r.body).toBe('kept');
    expect(c.text().match(/^connection:/gim)).toHaveLength(1);
    c.close();
  });
});

describe('a streamed answer its client does not take', () => {
  const k = kernelFor({ send_timeout: '300ms' });
  const sendTimeouts = () => metricOf(k, 'scalestack_http_timeouts_total', 'send');

  it('from a client that never reads: closed after send_timeout, and the handler is told', async () => {
    const sock = await nonReader(k.port, `GET /feed/never HTTP/1.1\r\n${H}\r\n`);
    // Without a deadline in the Responding phase, the handler waited in drained() for ever.
    await waitFor(() => feeds.get('never'), { what: 'the feed to end' });
    expect(feeds.get('never')).toBe('ConnectionClosedError, closed true');
    expect(sendTimeouts()).toBe(1);
    sock.destroy();
  });

  it('started while the request body arrives, from a client that then sends all of it and never reads: closed after send_timeout, and the handler is told', async () => {
    const before = sendTimeouts();
    const sock = await nonReader(k.port, `POST /feed/body-late HTTP/1.1\r\n${H}Content-Length: 5\r\n\r\n`);
    // The answer fills the socket while the connection still waits for the body (and so
    // under request_timeout, not send_timeout).
    await waitFor(() => feedsWaited.has('body-late'), { what: 'the feed to find the socket full' });
    sock.write('abcde');
    // The whole request is in: from here only send_timeout can end the exchange. Before, the
    // connection entered the Responding phase with no deadline, the socket already full, and
    // the handler waited in drained() for ever (no write came to arm the deadline).
    await waitFor(() => feedBodies.get('body-late'), { what: 'the handler to read the whole body' });
    expect(feedBodies.get('body-late')).toBe('abcde');
    await waitFor(() => feeds.get('body-late'), { what: 'the feed to end' });
    expect(feeds.get('body-late')).toBe('ConnectionClosedError, closed true');
    expect(sendTimeouts()).toBe(before + 1);
    expect(metricOf(k, 'scalestack_http_timeouts_total', 'request')).toBe(0);
    sock.destroy();
  });

  it('from a client that leaves mid-stream: the handler is told, and does not spin', async () => {
    const sock = connect(k.port, '127.0.0.1');
    sock.on('error', () => {});
    await once(sock, 'connect');
    sock.write(`GET /feed/gone HTTP/1.1\r\n${H}\r\n`);
    await once(sock, 'data');
    sock.destroy();
    // Before, drained() resolved at once on a closed connection and write() returned false:
    // the loop spun through all its writes in microtasks and "ran out".
    await waitFor(() => feeds.get('gone'), { what: 'the feed to end' });
    expect(feeds.get('gone')).toBe('ConnectionClosedError, closed true');
    expect((await fetch(`http://127.0.0.1:${k.port}/healthz`)).status).toBe(200);
  });
});

describe('a streamed answer begun before a body that never comes, with request_timeout off', () => {
  const k = kernelFor({ send_timeout: '300ms', request_timeout: '0' });

  it('from a client that never reads: closed after send_timeout, and the handler is told', async () => {
    const sock = await nonReader(k.port, `POST /feed/body-never HTTP/1.1\r\n${H}Content-Length: 5\r\n\r\n`);
    // No body and no deadline for one: only the answer the client does not take can end it.
    await waitFor(() => feeds.get('body-never'), { what: 'the feed to end' });
    expect(feeds.get('body-never')).toBe('ConnectionClosedError, closed true');
    expect(feedsWaited.has('body-never')).toBe(true);
    expect(metricOf(k, 'scalestack_http_timeouts_total', 'send')).toBe(1);
    expect(metricOf(k, 'scalestack_http_timeouts_total', 'request')).toBe(0);
    await waitFor(() => feedBodies.get('body-never'), { what: 'the body read to fail' });
    expect(feedBodies.get('body-never')).toBe('(not complete)');
    sock.destroy();
  });
});

describe('a streamed answer begun before a body that trickles in, with request_timeout off', () => {
  const k = kernelFor({ send_timeout: '1s', request_timeout: '0' });

  it('is not cut while the client, reading nothing until it is done, still sends its body', async () => {
    const body = 'abcdefghijklabcdefghijkl';
    const sock = await nonReader(
      k.port,
      `POST /feed/trickle HTTP/1.1\r\n${H}Content-Length: ${body.length}\r\n\r\n`,
    );
    await waitFor(() => feedsWaited.has('trickle'), { what: 'the feed to find the socket full' });
    // A slow uploader: a byte every 200 ms, 4.8 s in all — well past send_timeout (the first
    // seconds the kernel may still take some of the answer as its buffers grow), taking nothing.
    for (const byte of body) {
      sock.write(byte);
      await new Promise((r) => setTimeout(r, 200));
    }
    await waitFor(() => feedBodies.get('trickle'), { what: 'the handler to read the whole body' });
    expect(feedBodies.get('trickle')).toBe(body);
    expect(metricOf(k, 'scalestack_http_timeouts_total', 'send')).toBe(0);
    sock.destroy();
  });
});

describe('a streamed body that does not match its Content-Length', () => {
  it.each(['/short', '/long'])(
    '%s: the connection closes, and a request behind it is not answered out of frame',
    async (path) => {
      const c = await RawClient.open(s.port);
      c.write(`GET ${path} HTTP/1.1\r\n${H}\r\nGET /healthz HTTP/1.1\r\n${H}\r\n`);
      await c.closedPromise;
      // One response head, never the healthz answer read as this body's missing bytes.
      expect(c.text().match(/HTTP\/1\.1 /g)?.length ?? 0).toBeLessThanOrEqual(1);
      if (path === '/short') expect(c.text()).toMatch(/\r\n\r\n12345$/);
      expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
    },
  );
});

describe('a client that ends its side in the middle of a body', () => {
  // Bounded well under request_timeout (30 s), which would close it too, only late.
  it('after an answer sent before its body (a 404): the connection closes at once', {
    timeout: 10_000,
  }, async () => {
    const c = await RawClient.open(s.port, true);
    c.write(`POST /nowhere HTTP/1.1\r\n${H}Content-Length: 1000\r\n\r\nabc`);
    expect((await c.responses(1, true))[0]!.status).toBe(404);
    c.socket.end();
    await c.closedPromise;
  });

  it('gets a 400 at once and the connection closes, instead of the handler waiting for the rest', async () => {
    const c = await RawClient.open(s.port, true);
    c.write(`POST /echo HTTP/1.1\r\n${H}Content-Length: 100\r\n\r\n0123456789`);
    c.socket.end();
    await c.closedPromise;
    expect(c.text()).toMatch(/^HTTP\/1\.1 400 /);
    expect(c.text()).toMatch(/ended the connection before the request body was complete/);
  });
});

describe('a client that pipelines and does not read', () => {
  it('has no more of its requests read once its answers fill the socket, and gets them all when it reads', async () => {
    const metric = (name: string) =>
      s.kernel.metrics.collect().find((m) => m.name === `scalestack_http_${name}`)!.samples[0]!.value;
    const requests = () => metric('requests_total');
    const before = requests();
    const sock = connect(s.port, '127.0.0.1');
    sock.pause();
    await once(sock, 'connect');
    // 20,000 requests for /metrics: tens of MB of answers, far beyond the socket buffers.
    const K = 20_000;
    const batch = `GET /metrics HTTP/1.1\r\n${H}\r\n`.repeat(1000);
    for (let i = 0; i < K / 1000; i++) sock.write(batch);
    await waitFor(() => metric('connections_blocked') === 1, {
      what: 'the connection to stop reading requests',
      timeout: 30_000,
    });
    expect(requests() - before).toBeLessThan(K);
    // Now it reads: every answer comes, in order, and the connection takes requests again.
    let text = '';
    let answers = 0;
    sock.setEncoding('latin1');
    const all = new Promise<void>((resolve) => {
      sock.on('data', (d: string) => {
        text += d;
        for (
          let at = text.indexOf('HTTP/1.1 200 OK\r\n');
          at >= 0;
          at = text.indexOf('HTTP/1.1 200 OK\r\n')
        ) {
          answers++;
          text = text.slice(at + 17);
        }
        if (answers === K) resolve();
      });
    });
    sock.resume();
    await all;
    expect(metric('connections_blocked')).toBe(0);
    expect(requests() - before).toBe(K);
    sock.destroy();
  });
});

describe('http-server on the wire', () => {
  it('keeps a connection alive across requests', async () => {
    const c = await RawClient.open(s.port);
    c.write(`GET /healthz HTTP/1.1\r\n${H}\r\n`);
    expect((await c.responses(1))[0].status).toBe(200);
    c.write(`GET /tenants/b HTTP/1.1\r\n${H}\r\n`);
    const [, second] = await c.responses(2);
    expect(JSON.parse(second.body).tenant).toBe('b');
    expect(c.closed).toBe(false);
    c.close();
  });

  it('answers pipelined requests in order even when the first is slowest', async () => {
    arrived.length = 0;
    const c = await RawClient.open(s.port);
    c.write(
      `GET /gate/1 HTTP/1.1\r\n${H}\r\nGET /tenants/p HTTP/1.1\r\n${H}\r\nPOST /echo HTTP/1.1\r\n${H}Content-Length: 3\r\n\r\nxyzGET /healthz HTTP/1.1\r\n${H}\r\n`,
    );
    await waitUntil(() => gates.has('1'), 'first request dispatched');
    // The later requests are not even parsed while the first is unanswered.
    expect(arrived).toEqual(['1']);
    expect(c.text()).toBe('');
    gates.get('1')!();
    const r = await c.responses(4);
    expect(r.map((x) => x.body)).toEqual([
      'gate 1',
      JSON.stringify({ tenant: 'p', query: '' }),
      'xyz',
      'ok\n',
    ]);
    c.close();
  });

  it('decodes a chunked upload with extensions and trailers', async () => {
    const c = await RawClient.open(s.port);
    c.write(
      `POST /echo HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n4;ext=1\r\nWiki\r\n5\r\npedia\r\n0\r\nX-Check: 7\r\n\r\n`,
    );
    const [r] = await c.responses(1);
    expect(r.body).toBe('Wikipedia');
    expect(r.headers['x-trailers']).toBe('X-Check,7');
    c.close();
  });

  it('streams a chunked response back for HTTP/1.1 and close-delimits it for HTTP/1.0', async () => {
    const c = await RawClient.open(s.port);
    c.write(`POST /stream HTTP/1.1\r\n${H}Content-Length: 5\r\n\r\nabcde`);
    const [r] = await c.responses(1);
    expect(r.headers['transfer-encoding']).toBe('chunked');
    expect(r.body).toBe('abcde');
    c.close();
    const old = await RawClient.open(s.port);
    old.write('POST /stream HTTP/1.0\r\nContent-Length: 3\r\n\r\nxyz');
    await old.closedPromise;
    const [o] = await old.responses(1);
    expect(o.headers.connection).toBe('close');
    expect(o.body).toBe('xyz');
  });

  it('closes HTTP/1.0 connections unless keep-alive is asked for', async () => {
    const plain = await RawClient.open(s.port);
    plain.write('GET /healthz HTTP/1.0\r\n\r\n');
    await plain.closedPromise;
    expect((await plain.responses(1))[0].headers.connection).toBe('close');
    const kept = await RawClient.open(s.port);
    kept.write('GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
    const [k] = await kept.responses(1);
    expect(k.headers.connection).toBe('keep-alive');
    kept.write('GET /healthz HTTP/1.0\r\n\r\n');
    await kept.closedPromise;
    expect(await kept.responses(2)).toHaveLength(2);
  });

  it('answers HEAD without a body but with the GET length', async () => {
    const c = await RawClient.open(s.port);
    c.write(`HEAD /healthz HTTP/1.1\r\n${H}\r\nGET /healthz HTTP/1.1\r\n${H}\r\n`);
    const [head] = await c.responses(1, true);
    expect(head.headers['content-length']).toBe('3');
    // The GET right after shows no stray body bytes were sent for the HEAD.
    await waitUntil(
      () => c.text().split('HTTP/1.1 200').length === 3 && c.text().endsWith('ok\n'),
      'GET answered',
    );
    expect(c.text().split('\r\n\r\n')[1].startsWith('HTTP/1.1 200 OK')).toBe(true);
    c.close();
  });

  it('does not let a slow client block a fast one', async () => {
    const slow = await RawClient.open(s.port);
    const request = `GET /tenants/slow HTTP/1.1\r\n${H}\r\n`;
    let sent = 0;
    const trickle = setInterval(() => {
      if (sent < request.length) slow.write(request[sent++]);
    }, 5);
    try {
      await waitUntil(() => sent >= 3, 'slow client started');
      const fast = await fetch(`${s.url}/tenants/fast`);
      expect(await fast.json()).toEqual({ tenant: 'fast', query: '' });
      expect(sent).toBeLessThan(request.length);
      const [r] = await slow.responses(1);
      expect(JSON.parse(r.body).tenant).toBe('slow');
    } finally {
      clearInterval(trickle);
      slow.close();
    }
  });

  it('answers 408 and closes when a request head does not arrive in time (slowloris)', async () => {
    const c = await RawClient.open(s.port);
    c.write(`GET /healthz HTTP/1.1\r\n${H}X-Slow: `);
    await c.closedPromise;
    const [r] = await c.responses(1);
    expect(r.status).toBe(408);
    expect(r.headers.connection).toBe('close');
  });

  it('sends 100 Continue when the handler reads the body', async () => {
    const c = await RawClient.open(s.port);
    c.write(`POST /echo HTTP/1.1\r\n${H}Expect: 100-continue\r\nContent-Length: 4\r\n\r\n`);
    const [interim] = await c.responses(1);
    expect(interim.status).toBe(100);
    c.write('data');
    const [, final] = await c.responses(2);
    expect(final.status).toBe(200);
    expect(final.body).toBe('data');
    c.close();
  });

  it('refuses a body over max_body_bytes with 413 before 100 Continue, and closes', async () => {
    const c = await RawClient.open(s.port);
    c.write(`POST /echo HTTP/1.1\r\n${H}Expect: 100-continue\r\nContent-Length: 99999999\r\n\r\n`);
    await c.closedPromise;
    const [r] = await c.responses(1);
    expect(r.status).toBe(413);
    expect(c.text()).not.toContain('100 Continue');
  });

  const smuggling: [string, string, number][] = [
    [
      'CL + TE',
      `POST /echo HTTP/1.1\r\n${H}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
      400,
    ],
    [
      'TE: chunked, chunked',
      `POST /echo HTTP/1.1\r\n${H}Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n`,
      400,
    ],
    ['TE: xchunked', `POST /echo HTTP/1.1\r\n${H}Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n`, 400],
    ['space before colon', `POST /echo HTTP/1.1\r\n${H}Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n`, 400],
    ['duplicate CL', `POST /echo HTTP/1.1\r\n${H}Content-Length: 1\r\nContent-Length: 2\r\n\r\nab`, 400],
    ['CL with sign', `POST /echo HTTP/1.1\r\n${H}Content-Length: +2\r\n\r\nab`, 400],
    ['CL with spaces inside', `POST /echo HTTP/1.1\r\n${H}Content-Length: 1 2\r\n\r\nab`, 400],
    [
      'chunk size overflow',
      `POST /echo HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n`,
      400,
    ],
    [
      'LF-only chunk line',
      `POST /echo HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n2\nab\r\n0\r\n\r\n`,
      400,
    ],
    ['NUL in header', `GET /healthz HTTP/1.1\r\n${H}X: a\0b\r\n\r\n`, 400],
    ['obs-fold', `GET /healthz HTTP/1.1\r\n${H}X: a\r\n b\r\n\r\n`, 400],
    ['absolute-form', `GET http://t/healthz HTTP/1.1\r\n${H}\r\n`, 400],
    ['bad request line', `GET /healthz HTTP/1.1 extra\r\n${H}\r\n`, 400],
    ['too many headers', `GET /healthz HTTP/1.1\r\n${H}${'A: b\r\n'.repeat(101)}\r\n`, 431],
    ['head too large', `GET /healthz HTTP/1.1\r\n${H}A: ${'b'.repeat(17000)}\r\n\r\n`, 431],
  ];

  it.each(smuggling)('refuses %s with %i and closes the connection', async (_name, wire, status) => {
    const c = await RawClient.open(s.port);
    // A valid request follows: it must never be answered (no desync).
    c.write(wire + `GET /tenants/smuggled HTTP/1.1\r\n${H}\r\n`);
    await c.closedPromise;
    const r = await c.responses(1);
    expect(r[0].status).toBe(status);
    expect(r[0].headers.connection).toBe('close');
    expect(c.text()).not.toContain('smuggled');
  });
});

describe('http-server limits', () => {
  it('answers 503 beyond max_connections and serves again when one closes', async () => {
    const small = await startHttp({ max_connections: 2 });
    try {
      const a = await RawClient.open(small.port);
      const b = await RawClient.open(small.port);
      a.write(`GET /healthz HTTP/1.1\r\n${H}\r\n`);
      b.write(`GET /healthz HTTP/1.1\r\n${H}\r\n`);
      await a.responses(1);
      await b.responses(1);
      const c = await RawClient.open(small.port);
      await c.closedPromise;
      expect((await c.responses(1))[0].status).toBe(503);
      a.close();
      await a.closedPromise;
      // The server notices the close asynchronously; retry until a slot is free.
      for (;;) {
        const d = await RawClient.open(small.port);
        d.write(`GET /healthz HTTP/1.1\r\n${H}Connection: close\r\n\r\n`);
        await d.closedPromise;
        const [r] = await d.responses(1);
        if (r.status === 200) break;
        expect(r.status).toBe(503);
      }
      b.close();
    } finally {
      await small.kernel.shutdown();
    }
  });

  it('names the module, option and expected form for a bad option', async () => {
    await expect(startHttp({ listen: 'not-an-address' })).rejects.toThrow(
      /http-server.*listen[\s\S]*address/,
    );
    await expect(startHttp({ headers_timeout: 'soon' })).rejects.toThrow(/headers_timeout[\s\S]*duration/);
  });
});

describe('http-server under random splits', () => {
  it('answers a pipelined stream the same however the bytes are split on the wire', async () => {
    const fc = (await import('fast-check')).default;
    const s = await startHttp({}, [tenantsModule]);
    try {
      const stream =
        `GET /tenants/a HTTP/1.1\r\n${H}\r\n` +
        `POST /echo HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n` +
        `PUT /echo HTTP/1.1\r\n${H}Content-Length: 4\r\n\r\nwxyz` +
        `GET /nowhere HTTP/1.1\r\n${H}\r\n`;
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 12 }),
          async (cuts) => {
            const points = [...new Set(cuts)].sort((a, b) => a - b);
            const c = await RawClient.open(s.port);
            let last = 0;
            for (const p of [...points, stream.length]) {
              c.write(stream.slice(last, p));
              last = p;
              // Let each piece leave as its own segment.
              await new Promise((r) => setImmediate(r));
            }
            const r = await c.responses(4);
            c.close();
            expect(r.map((x) => [x.status, x.body])).toEqual([
              [200, JSON.stringify({ tenant: 'a', query: '' })],
              [200, 'abcde'],
              [200, 'wxyz'],
              [404, 'no route for /nowhere\n'],
            ]);
          },
        ),
        { numRuns: 25 },
      );
    } finally {
      await s.kernel.shutdown();
    }
  });
});
