import { waitFor } from '@scalestack/test-harness';
import { afterEach, describe, expect, it } from 'vitest';
import { type Connection, connect, type Listener, listen } from '../src/index.js';
import { readUntil } from './helpers.js';

describe('Connection', () => {
  const listeners: Listener[] = [];
  afterEach(async () => {
    await Promise.all(listeners.splice(0).map((l) => l.destroy()));
  });

  async function pair(directReads = true): Promise<{ server: Connection; client: Connection }> {
    let resolveServer!: (c: Connection) => void;
    const served = new Promise<Connection>((resolve) => {
      resolveServer = resolve;
    });
    const listener = await listen('127.0.0.1:0', resolveServer, { directReads });
    listeners.push(listener);
    const client = await connect(listener.address);
    return { server: await served, client };
  }

  it.each([
    ['stream', false],
    ['direct', true],
  ])('loses no byte while data handlers are swapped (%s reads)', async (_name, directReads) => {
    const { server, client } = await pair(directReads);
    const first: string[] = [];
    const second: string[] = [];
    let resolveFirst!: () => void;
    const firstDone = new Promise<void>((resolve) => {
      resolveFirst = resolve;
    });
    server.onData((chunk) => {
      first.push(chunk.toString());
      if (first.join('').includes('|')) {
        server.onData(undefined);
        resolveFirst();
      }
    });
    client.write('one|');
    await firstDone;
    // Written while no handler is set: must wait, not vanish.
    client.write('two');
    if (directReads) {
      // Reading stopped with the handler: 'two' waits in the kernel (on loopback a write the
      // kernel took is in the peer's receive queue).
      await waitFor(() => client.writableLength === 0, { what: "'two' to reach the server" });
      expect(server.isPaused).toBe(true);
    } else {
      await waitFor(() => server.readableLength >= 3, { what: "'two' to wait in the server's buffer" });
    }
    const secondDone = new Promise<void>((resolve) =>
      server.onData((chunk) => {
        second.push(chunk.toString());
        if (second.join('').endsWith('three')) resolve();
      }),
    );
    client.write('three');
    await secondDone;
    expect(first.join('')).toBe('one|');
    expect(second.join('')).toBe('twothree');
    client.destroy();
  });

  it('a write after close() is dropped: the last answer arrives and the connection closes cleanly', async () => {
    const { server, client } = await pair();
    let received = '';
    client.onData((chunk) => {
      received += chunk.toString();
    });
    server.close('bye');
    expect(server.write('after')).toBe(false);
    expect(await server.closed).toBeUndefined();
    expect(received).toBe('bye');
  });

  it('stopping a pipe whose reader waits for a full writer lets the next data handler read', async () => {
    const { server, client } = await pair();
    const sink = await pair();
    // The sink's peer does not read: its writes fill up and the pipe pauses the reader.
    sink.client.pause();
    const stop = server.pipe(sink.server);
    const block = Buffer.alloc(64 * 1024, 0x61);
    await waitFor(
      () => {
        client.write(block);
        return server.isPaused;
      },
      { what: 'the pipe to pause the reader for the full writer' },
    );
    stop();
    const marker = new Promise<void>((resolve) =>
      server.onData((chunk) => {
        if (chunk.includes(0x7a)) resolve();
      }),
    );
    client.write('z');
    await marker;
    client.destroy();
    sink.client.destroy();
  });

  it('drained() resolves at once when nothing is buffered', async () => {
    const { client } = await pair();
    expect(client.socket.writableNeedDrain).toBe(false);
    await client.drained();
    client.destroy();
  });

  it('drained() also resolves when the connection closes instead of draining', async () => {
    const { server, client } = await pair();
    client.pause();
    const block = Buffer.alloc(64 * 1024);
    while (server.write(block));
    const waiting = server.drained();
    client.destroy();
    await waiting;
    await server.closed;
    expect(server.isClosed).toBe(true);
  });

  it('cork() holds a burst until uncork()', async () => {
    const { server, client } = await pair();
    const got = readUntil(client.socket, (t) => t === 'abc');
    server.cork();
    server.write('a');
    server.write('b');
    expect(server.writableLength).toBe(2);
    server.write('c');
    server.uncork();
    expect(await got).toBe('abc');
    client.destroy();
  });

  it('destroy(err) makes closed resolve with that error on both peers seeing the close', async () => {
    const { server, client } = await pair();
    const reason = new Error('protocol violation');
    server.destroy(reason);
    expect(await server.closed).toBe(reason);
    expect(await client.closed).toBeUndefined();
    expect(client.isClosed).toBe(true);
  });

  it('connect() honours an abort signal', async () => {
    const listener = await listen('127.0.0.1:0', () => {});
    listeners.push(listener);
    const controller = new AbortController();
    controller.abort(new Error('no longer needed'));
    await expect(connect(listener.address, { signal: controller.signal })).rejects.toThrow(
      /cannot connect to 127\.0\.0\.1:\d+: no longer needed/,
    );
  });
});
