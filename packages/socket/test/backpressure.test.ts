import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect as netConnect } from 'node:net';
import { waitFor } from '@scalestack/test-harness';
import { afterEach, describe, expect, it } from 'vitest';
import { type Connection, connect, type Listener, listen } from '../src/index.js';

const CHUNK = 64 * 1024;
/**
 * A paused relay may hold one read (≤ 64 KiB) beyond its write buffer's high-water mark (Node's
 * default: 16 KiB before Node 22, 64 KiB since).
 */
const boundOf = (writer: Connection) => writer.socket.writableHighWaterMark + CHUNK;

describe('backpressure', () => {
  const listeners: Listener[] = [];
  afterEach(async () => {
    await Promise.all(listeners.splice(0).map((l) => l.closeAll()));
  });

  it('a drain listener that removes and re-adds itself waits for the next drain', async () => {
    const listener = await listen('127.0.0.1:0', () => {});
    listeners.push(listener);
    const conn = await connect(listener.address);
    let calls = 0;
    // What a session does that waits for its client to read, runs what it can and finds the socket
    // full again: it listens for the next drain. Called again by this one, it would spin for ever.
    const arm = () => {
      const off = conn.onDrain(() => {
        off();
        calls++;
        if (calls < 1000) arm();
      });
    };
    arm();
    conn.socket.emit('drain');
    expect(calls).toBe(1);
    conn.socket.emit('drain');
    expect(calls).toBe(2);
    conn.destroy();
  });

  it('write() returns false for a reader that does not read, and drained() resolves when it does', async () => {
    const chunk = randomBytes(CHUNK);
    let writes = 0;
    let bufferedAtFalse = -1;
    let bound = 0;
    let drainedAfter: Promise<void> | undefined;
    const listener = await listen('127.0.0.1:0', (conn) => {
      while (conn.write(chunk)) writes++;
      writes++;
      bufferedAtFalse = conn.writableLength;
      bound = boundOf(conn);
      drainedAfter = conn.drained().then(() => conn.end());
    });
    listeners.push(listener);
    const reader = await connect(listener.address);
    reader.pause();
    await waitFor(() => bufferedAtFalse >= 0, { what: 'the server to fill the socket' });
    // The writer stopped at the first false: its own buffer holds at most one chunk past the mark.
    expect(bufferedAtFalse).toBeGreaterThan(0);
    expect(bufferedAtFalse).toBeLessThanOrEqual(bound);
    let received = 0;
    reader.onData((data) => {
      received += data.length;
    });
    reader.resume();
    await drainedAfter;
    await reader.closed;
    expect(received).toBe(writes * CHUNK);
  });

  // The relay's reader on both read paths: listeners read directly unless told not to.
  it.each([
    ['stream', false],
    ['direct', true],
  ])(
    'pipe() pauses the reader while the writer is full and loses nothing (%s reads)',
    async (_name, directReads) => {
      const total = 48 * 1024 * 1024;
      let sink: Connection | undefined;
      const sinkListener = await listen('127.0.0.1:0', (conn) => {
        sink = conn; // does not read until told to
      });
      listeners.push(sinkListener);
      let inbound: Connection | undefined;
      let upstream: Connection | undefined;
      const relay = await listen(
        '127.0.0.1:0',
        (conn) => {
          conn.pause();
          void connect(sinkListener.address).then((up) => {
            inbound = conn;
            upstream = up;
            conn.pipe(up);
            conn.resume();
          });
        },
        { directReads },
      );
      listeners.push(relay);

      const source = await connect(relay.address);
      const sent = createHash('sha256');
      let written = 0;
      const sending = (async () => {
        const block = randomBytes(CHUNK);
        for (let i = 0; written < total; i++) {
          block.writeUInt32BE(i, 0);
          sent.update(block);
          written += block.length;
          if (!source.write(Buffer.from(block))) await source.drained();
        }
        source.end();
      })();

      await waitFor(() => inbound?.isPaused, { what: 'the relay to pause its reader' });
      expect(upstream!.writableLength).toBeLessThanOrEqual(boundOf(upstream!));
      // Once every kernel buffer on the way is full, the source itself is held back...
      await waitFor(() => source.socket.writableNeedDrain, { what: 'the source to be held back' });
      expect(written).toBeLessThan(total);
      // ...and the relay still buffers no more than before.
      expect(inbound!.isPaused).toBe(true);
      expect(upstream!.writableLength).toBeLessThanOrEqual(boundOf(upstream!));
      expect(inbound!.readsDirectly).toBe(directReads);
      if (directReads) {
        // A direct-read connection stops reading the moment it pauses: it keeps nothing.
        expect(inbound!.readableLength).toBe(0);
      } else {
        // A paused stream socket reads ahead until its buffer reaches the high-water mark (the
        // last read may overshoot it by one read), then stops reading from the kernel.
        expect(inbound!.readableLength).toBeLessThanOrEqual(inbound!.socket.readableHighWaterMark + CHUNK);
      }

      const received = createHash('sha256');
      let receivedBytes = 0;
      const ended = new Promise<void>((resolve) => sink!.onEnd(resolve));
      sink!.onData((data) => {
        received.update(data);
        receivedBytes += data.length;
      });
      await sending;
      await ended;
      expect(receivedBytes).toBe(total);
      expect(received.digest('hex')).toBe(sent.digest('hex'));
    },
  );
});

describe('pipe() when one side ends', () => {
  const open: Listener[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((l) => l.closeAll()));
  });

  it('a client that writes after the backend ended still has its own end seen, and closes', async () => {
    const backend = await listen('127.0.0.1:0', (c) => c.end('bye'));
    open.push(backend);
    let proxied: Connection | undefined;
    const relay = await listen('127.0.0.1:0', async (c) => {
      proxied = c;
      c.pipe(await connect(backend.address));
    });
    open.push(relay);
    const port = relay.address.kind === 'tcp' ? relay.address.port : 0;
    // Half-open, so it can still write once the relay has ended its side.
    const client = netConnect({ port, host: '127.0.0.1', allowHalfOpen: true });
    client.on('error', () => {});
    let heard = '';
    client.on('data', (d: Buffer) => {
      heard += d.toString();
    });
    await once(client, 'end');
    expect(heard).toBe('bye');
    // Bytes for a backend that is gone, then the client's own end.
    client.write('x'.repeat(64 * 1024));
    client.end();
    await proxied!.closed;
    expect(relay.connectionCount).toBe(0);
  });
});
