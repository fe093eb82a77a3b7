import { once } from 'node:events';
import { connect as netConnect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type Connection, type Listener, listen } from '../src/index.js';

describe('Connection.close', () => {
  const listeners: Listener[] = [];
  afterEach(async () => {
    await Promise.all(listeners.splice(0).map((l) => l.destroy()));
  });

  async function serve(
    onConnection: (conn: Connection) => void,
  ): Promise<{ client: Socket; server: Promise<Connection> }> {
    let resolveServer!: (c: Connection) => void;
    const server = new Promise<Connection>((resolve) => {
      resolveServer = resolve;
    });
    const listener = await listen('127.0.0.1:0', (conn) => {
      onConnection(conn);
      resolveServer(conn);
    });
    listeners.push(listener);
    if (listener.address.kind !== 'tcp') throw new Error('tcp expected');
    // allowHalfOpen: the client decides itself when to close its side.
    const client = netConnect({ port: listener.address.port, host: '127.0.0.1', allowHalfOpen: true });
    await once(client, 'connect');
    return { client, server };
  }

  it('delivers the last answer although the peer keeps sending, then closes when the peer does', async () => {
    const { client, server } = await serve((conn) => conn.onData(() => conn.close('bye\n')));
    let received = '';
    client.on('data', (chunk: Buffer) => {
      received += chunk.toString();
    });
    const ended = once(client, 'end');
    client.write('first');
    // Input the server never reads as commands: it must be discarded, not turned into a reset.
    const flood = Buffer.alloc(1024 * 1024, 0x61);
    client.write(flood);
    await ended;
    expect(received).toBe('bye\n');
    const conn = await server;
    expect(conn.isClosing).toBe(true);
    client.end();
    expect(await conn.closed).toBeUndefined();
  });

  it('destroys the connection after the grace period when the peer never closes', async () => {
    const { client, server } = await serve((conn) => conn.onData(() => conn.close('bye\n', 50)));
    client.write('x');
    const conn = await server;
    await conn.closed;
    expect(conn.isClosed).toBe(true);
    client.destroy();
  });

  it('is a no-op on a connection already closing', async () => {
    const { client, server } = await serve((conn) =>
      conn.onData(() => {
        conn.close('one\n');
        conn.close('two\n');
      }),
    );
    let received = '';
    client.on('data', (chunk: Buffer) => {
      received += chunk.toString();
    });
    const ended = once(client, 'end');
    client.write('x');
    await ended;
    expect(received).toBe('one\n');
    client.end();
    await (await server).closed;
  });
});
