import { createHash, randomBytes } from 'node:crypto';
import { waitFor } from '@scalestack/test-harness';
import { afterEach, describe, expect, it } from 'vitest';
import { type Connection, connect, type Listener, listen, ReadBuffer } from '../src/index.js';

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
    const listener = await listen('127.0.0.1:0', (conn) => conn.end('greeting|and more'));
    listeners.push(listener);
    const client = await connect(listener.address, { readBuffer: new ReadBuffer() });
    // With no handler the first read is kept and reading stops, so the end waits in the kernel.
    await waitFor(() => client.isPaused, { what: 'the client to keep the greeting and pause' });
    expect((await collect(client)).toString()).toBe('greeting|and more');
  });
});
