import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { waitFor } from '@scalestack/test-harness';
import { afterEach, describe, expect, it } from 'vitest';
import { adoptForDirectReads, setReading } from '../src/direct-reads.js';
import { Connection, connect, type Listener, listen, ReadBuffer } from '../src/index.js';

/** Everything a connection reads until the peer ends, then the end itself. */
function collect(conn: Connection): Promise<Buffer> {
  const chunks: Buffer[] = [];
  return new Promise((resolve) => {
    conn.onData((chunk) => chunks.push(chunk));
    conn.onEnd(() => resolve(Buffer.concat(chunks)));
  });
}

describe('direct reads', () => {
  const listeners: Listener[] = [];
  afterEach(async () => {
    await Promise.all(listeners.splice(0).map((l) => l.closeAll()));
  });

  it('plain listeners read directly; with directReads: false through the stream layer', async () => {
    const seen: boolean[] = [];
    const direct = await listen('127.0.0.1:0', (conn) => {
      seen.push(conn.readsDirectly);
      conn.pipe(conn);
    });
    const streamed = await listen(
      '127.0.0.1:0',
      (conn) => {
        seen.push(conn.readsDirectly);
        conn.pipe(conn);
      },
      { directReads: false },
    );
    listeners.push(direct, streamed);
    for (const listener of [direct, streamed]) {
      const client = await connect(listener.address);
      const echoed = collect(client);
      client.end('ping');
      expect((await echoed).toString()).toBe('ping');
    }
    // This Node supports it: losing the fast path in a Node upgrade must show here, not in a benchmark.
    expect(seen).toEqual([true, false]);
  });

  it('falls back to stream reads where a socket has no handle to adopt', async () => {
    // What the listener does when this Node's handles take no user buffer: the accepted socket,
    // created paused for adoption, is used as it is and starts reading with its first handler.
    const server = createServer({ pauseOnConnect: true });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as { port: number }).port;
    const accepted = once(server, 'connection') as Promise<[Socket]>;
    const client = await connect(`127.0.0.1:${port}`);
    const [socket] = await accepted;
    const handle = (socket as unknown as { _handle: unknown })._handle;
    (socket as unknown as { _handle: unknown })._handle = { readStart() {} }; // no useUserBuffer
    expect(adoptForDirectReads(socket, new ReadBuffer())).toBeUndefined();
    (socket as unknown as { _handle: unknown })._handle = handle;
    const conn = new Connection(socket);
    expect(conn.readsDirectly).toBe(false);
    // A pause() before the first handler holds here too (the socket was created paused).
    const got: string[] = [];
    conn.pause();
    conn.onData((b) => got.push(b.toString()));
    await send(client, 'x');
    expect(got).toEqual([]);
    expect(conn.isPaused).toBe(true);
    conn.onData(undefined);
    const echoed = collect(client);
    conn.pipe(conn);
    conn.resume();
    client.end('over streams');
    // The 'x' that waited through the pause comes first.
    expect((await echoed).toString()).toBe('xover streams');
    await new Promise((resolve) => server.close(resolve));
  });

  it('keeps every connection’s bytes apart though all read through one buffer', async () => {
    const listener = await listen('127.0.0.1:0', (conn) => conn.pipe(conn));
    listeners.push(listener);
    const shared = new ReadBuffer();
    const clients = await Promise.all(
      Array.from({ length: 40 }, () => connect(listener.address, { readBuffer: shared })),
    );
    expect(clients.every((c) => c.readsDirectly)).toBe(true);
    const results = await Promise.all(
      clients.map(async (client, i) => {
        // Sizes around and above the buffer's 64 KiB, so reads split and interleave.
        const payload = randomBytes(1_000 + i * 5_000);
        const echoed = collect(client);
        client.end(payload);
        const got = await echoed;
        return [
          createHash('sha256').update(got).digest('hex'),
          createHash('sha256').update(payload).digest('hex'),
        ];
      }),
    );
    for (const [got, sent] of results) expect(got).toBe(sent);
  });

  it('keeps what arrives before a data handler, in order, and passes the end on after it', async () => {
    let finished = false;
    const listener = await listen('127.0.0.1:0', (conn) =>
      conn.socket.end('greeting|and more', () => {
        finished = true;
      }),
    );
    listeners.push(listener);
    const client = await connect(listener.address, { readBuffer: new ReadBuffer() });
    // Greeting and end are sent before the client has a handler: it must not read them yet.
    await waitFor(() => finished, { what: 'the server to send its greeting and end' });
    await turns(2);
    expect(client.readableLength).toBe(0); // still in the kernel: nothing read early
    expect((await collect(client)).toString()).toBe('greeting|and more');
  });

  it('keeps reads the handle delivers while it has no handler, then the end (the safety net)', async () => {
    const listener = await listen('127.0.0.1:0', (conn) => conn.socket.end('greeting|and more'));
    listeners.push(listener);
    const client = await connect(listener.address, { readBuffer: new ReadBuffer() });
    client.socket.read(0); // net.Socket restarts an onread handle itself
    await waitFor(() => client.readableLength === 17, { what: 'the greeting to be kept' });
    expect((await collect(client)).toString()).toBe('greeting|and more');
  });
});

describe('lent reads', () => {
  const listeners: Listener[] = [];
  afterEach(async () => {
    await Promise.all(listeners.splice(0).map((l) => l.closeAll()));
  });

  /** A client lending its reads from a server that sends `parts` one at a time, as the client asks. */
  async function lending(): Promise<{ client: Connection; send: (text: string) => Promise<void> }> {
    let server!: Connection;
    let accept!: () => void;
    const accepted = new Promise<void>((resolve) => {
      accept = resolve;
    });
    const listener = await listen('127.0.0.1:0', (conn) => {
      server = conn;
      accept();
    });
    listeners.push(listener);
    const client = await connect(listener.address, { readBuffer: new ReadBuffer() });
    await accepted;
    expect(client.lendReads()).toBe(true);
    return { client, send: (text) => send(server, text) };
  }

  it('hands out views of one buffer of the connection’s own, reused while nobody keeps them', async () => {
    const { client, send: serverSends } = await lending();
    const seen: { text: string; memory: ArrayBufferLike }[] = [];
    client.onData((chunk) => seen.push({ text: chunk.toString(), memory: chunk.buffer }));
    for (const text of ['first', 'second', 'third']) {
      await serverSends(text);
      await waitFor(() => seen.at(-1)?.text === text, { what: `${text} to be read` });
    }
    // The first read lands where the socket was told to read before lendReads (copied out);
    // the ones after share the connection's own memory.
    expect(seen[1]!.memory).toBe(seen[2]!.memory);
    expect(seen[0]!.memory).not.toBe(seen[1]!.memory);
  });

  it('a kept view stays as it was: later reads go to fresh memory', async () => {
    const { client, send: serverSends } = await lending();
    const kept: Buffer[] = [];
    let last = '';
    client.onData((chunk) => {
      last = chunk.toString();
      if (last.startsWith('keep')) {
        kept.push(chunk);
        client.keepRead();
      }
    });
    for (const text of ['warm', 'keep-me', 'overwrite?', 'keep-too', 'and again']) {
      await serverSends(text);
      await waitFor(() => last === text, { what: `${text} to be read` });
    }
    expect(kept.map(String)).toEqual(['keep-me', 'keep-too']);
    expect(kept[0]!.buffer).not.toBe(kept[1]!.buffer);
  });

  it('a view kept without keepRead is overwritten (what the tests’ poisoning catches)', async () => {
    const { client, send: serverSends } = await lending();
    const views: Buffer[] = [];
    client.onData((chunk) => views.push(chunk));
    for (const text of ['warm', 'aaaa', 'bbbb']) {
      await serverSends(text);
      await waitFor(() => views.length === ['warm', 'aaaa', 'bbbb'].indexOf(text) + 1, { what: `${text}` });
    }
    // 'aaaa' was lent and not kept: its memory now holds what came after (or the poison).
    expect(views[1]!.toString()).not.toBe('aaaa');
    // Under the tests' poisoning (vitest.config.ts) the last one is overwritten once handled too.
    const poisoned = process.env.SCALESTACK_POISON_LENT_READS === '1';
    expect([...views[2]!]).toEqual(poisoned ? [0xee, 0xee, 0xee, 0xee] : [...Buffer.from('bbbb')]);
  });

  it('reads kept while there is no handler are copies: a later read does not change them', async () => {
    const { client, send: serverSends } = await lending();
    const got: string[] = [];
    client.onData((chunk) => got.push(chunk.toString()));
    await serverSends('warm');
    await waitFor(() => got.length === 1, { what: 'the first read' });
    client.onData(undefined);
    // No handler: reads the handle delivers anyway are kept (see the safety net above) — as
    // copies, or the second would land on the first in the connection's memory.
    for (const text of ['kept-1', 'kept-2']) {
      const before = client.readableLength;
      client.socket.read(0);
      await serverSends(text);
      await waitFor(() => client.readableLength === before + text.length, { what: `${text} to be kept` });
    }
    client.onData((chunk) => got.push(chunk.toString()));
    expect(got).toEqual(['warm', 'kept-1', 'kept-2']);
  });

  it('a connection that does not read directly cannot lend', async () => {
    const listener = await listen('127.0.0.1:0', () => {});
    listeners.push(listener);
    const client = await connect(listener.address);
    expect(client.lendReads()).toBe(false);
    client.destroy();
  });
});

/** Resolves after `n` turns of the event loop: each includes a poll for I/O that is ready. */
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Writes and waits until the bytes are in the peer's receive queue (loopback). */
async function send(conn: Connection, text: string): Promise<void> {
  conn.write(text);
  await waitFor(() => conn.writableLength === 0, { what: `${JSON.stringify(text)} to be sent` });
  await turns(2);
}

// Pausing must mean the same on both read paths (found in review: on the direct path a pause
// next to the first handler, or inside it, did not hold).
describe.each([
  ['stream', false],
  ['direct', true],
])('pausing, %s reads', (_name, directReads) => {
  const listeners: Listener[] = [];
  afterEach(async () => {
    await Promise.all(listeners.splice(0).map((l) => l.closeAll()));
  });

  /** A listener and one client; resolves with both ends. */
  async function pair(onConnection: (conn: Connection) => void, clientReads?: ReadBuffer) {
    let resolveServer!: (c: Connection) => void;
    const served = new Promise<Connection>((resolve) => {
      resolveServer = resolve;
    });
    const listener = await listen(
      '127.0.0.1:0',
      (conn) => {
        onConnection(conn);
        resolveServer(conn);
      },
      { directReads },
    );
    listeners.push(listener);
    const client = await connect(listener.address, { readBuffer: clientReads });
    return { server: await served, client };
  }

  type SetUp = (conn: Connection, handler: (chunk: Buffer) => void) => void;
  const pauseFirst: SetUp = (conn, handler) => {
    conn.pause();
    conn.onData(handler);
  };
  const handlerFirst: SetUp = (conn, handler) => {
    conn.onData(handler);
    conn.pause();
  };
  for (const [order, setUp] of [
    ['before', pauseFirst],
    ['in the same tick as', handlerFirst],
  ] as const) {
    it(`a pause() ${order} the first data handler holds until resume()`, async () => {
      const got: string[] = [];
      const { server, client } = await pair((conn) => setUp(conn, (b) => got.push(b.toString())));
      await send(client, 'x');
      expect(got).toEqual([]);
      expect(server.isPaused).toBe(true);
      server.resume();
      await waitFor(() => got.join('') === 'x', { what: "'x' after resume()" });
      expect(server.isPaused).toBe(false);
      client.destroy();
    });
  }

  it('a pause() inside the handler holds, also for bytes that waited for the handler', async () => {
    const { server, client } = await pair(() => {}, directReads ? new ReadBuffer() : undefined);
    await send(server, 'a');
    const got: string[] = [];
    client.onData((chunk) => {
      got.push(chunk.toString());
      client.pause(); // as forward() does when its writer is full
    });
    await waitFor(() => got.length > 0, { what: "'a'" });
    await send(server, 'b');
    expect(got).toEqual(['a']);
    expect(client.isPaused).toBe(true);
    client.resume();
    await waitFor(() => got.join('') === 'ab', { what: "'b' after resume()" });
    client.destroy();
  });

  it('bytes that wait for a handler still get their reply before a half-closed peer is ended', async () => {
    let reply!: () => void;
    const { client } = await pair((conn) => {
      // One stage hands over to the next, which starts later.
      conn.onData(() => {});
      conn.onData(undefined);
      reply = () => conn.onData((chunk) => conn.write(`re:${chunk}`));
    });
    const answer = collect(client);
    client.end('hello');
    await waitFor(() => client.socket.writableFinished, { what: "the client's end to be sent" });
    await turns(2);
    reply();
    expect((await answer).toString()).toBe('re:hello');
  });

  it('a handle that will not start reading ends its socket with the system error named', () => {
    // libuv's answer cannot be provoked on a healthy socket: a handle stands in for it.
    const errors: NodeJS.ErrnoException[] = [];
    const handle = { reading: false, readStart: () => -9, readStop: () => 0, useUserBuffer: () => {} };
    const socket = {
      _handle: handle,
      destroyed: false,
      destroy: (e: Error) => errors.push(e),
    } as unknown as Socket;
    setReading(socket, true);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toBe('readStart failed: EBADF');
    expect(errors[0]).toMatchObject({ code: 'EBADF', errno: -9, syscall: 'readStart' });
  });
});
