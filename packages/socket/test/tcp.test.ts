import { connect as netConnect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectError, connect, ListenError, type Listener, listen } from '../src/index.js';
import { closed, roundTrip } from './helpers.js';

describe('TCP', () => {
  const listeners: Listener[] = [];
  afterEach(async () => {
    await Promise.all(listeners.splice(0).map((l) => l.closeAll()));
  });

  it('listens on port 0, reports the bound port and echoes through pipe()', async () => {
    const listener = await listen('127.0.0.1:0', (conn) => conn.pipe(conn));
    listeners.push(listener);
    expect(listener.address.kind).toBe('tcp');
    const port = listener.address.kind === 'tcp' ? listener.address.port : 0;
    expect(port).toBeGreaterThan(0);

    const client = await connect({ kind: 'tcp', host: '127.0.0.1', port });
    expect(client.remoteAddress).toBe('127.0.0.1');
    expect(client.remotePort).toBe(port);
    expect(client.socket.setNoDelay).toBeTypeOf('function');
    expect(await roundTrip(client.socket, 'hello, world')).toBe('hello, world');
    client.end();
    await client.closed;
    expect(client.isClosed).toBe(true);
  });

  it('counts connections and forgets closed ones', async () => {
    const listener = await listen('127.0.0.1:0', (conn) => conn.pipe(conn));
    listeners.push(listener);
    const a = await connect(listener.address);
    const b = await connect(listener.address);
    await roundTrip(a.socket, 'a');
    await roundTrip(b.socket, 'b');
    expect(listener.connectionCount).toBe(2);
    const serverSide = [...listener.connections][0]!;
    a.destroy();
    b.destroy();
    await Promise.all([...listener.connections].map((c) => c.closed));
    expect(serverSide.isClosed).toBe(true);
    expect(listener.connectionCount).toBe(0);
  });

  it('close() stops accepting while served connections carry on', async () => {
    const listener = await listen('127.0.0.1:0', (conn) => conn.pipe(conn));
    listeners.push(listener);
    const client = await connect(listener.address);
    await listener.close();
    expect(listener.listening).toBe(false);
    await expect(connect(listener.address)).rejects.toThrow(ConnectError);
    expect(await roundTrip(client.socket, 'still here')).toBe('still here');
    client.destroy();
  });

  it('closeAll() destroys served connections', async () => {
    const listener = await listen('127.0.0.1:0', (conn) => conn.pipe(conn));
    const client = netConnect(listener.address.kind === 'tcp' ? listener.address.port : 0, '127.0.0.1');
    await roundTrip(client, 'x');
    await listener.closeAll();
    await closed(client);
    expect(listener.connectionCount).toBe(0);
  });

  it('names the address when it is in use', async () => {
    const listener = await listen('127.0.0.1:0', () => {});
    listeners.push(listener);
    const port = listener.address.kind === 'tcp' ? listener.address.port : 0;
    const attempt = listen(`127.0.0.1:${port}`, () => {});
    await expect(attempt).rejects.toThrow(ListenError);
    await expect(attempt).rejects.toThrow(
      `cannot listen on 127.0.0.1:${port}: address already in use (EADDRINUSE)`,
    );
  });

  it('lets two listeners share a port with reusePort', async () => {
    const first = await listen('127.0.0.1:0', (conn) => conn.end('first'), { reusePort: true });
    listeners.push(first);
    const port = first.address.kind === 'tcp' ? first.address.port : 0;
    const second = await listen(`127.0.0.1:${port}`, (conn) => conn.end('second'), { reusePort: true });
    listeners.push(second);
    expect(second.address).toEqual(first.address);
  });

  it('rejects a malformed address with the accepted forms', async () => {
    await expect(listen('localhost', () => {})).rejects.toThrow(
      'invalid socket address "localhost": expected host:port, [ipv6]:port, unix:/path or /path.sock',
    );
  });

  it('reports a refused connection with the address and the reason', async () => {
    const listener = await listen('127.0.0.1:0', () => {});
    const address = listener.address;
    await listener.closeAll();
    const attempt = connect(address);
    await expect(attempt).rejects.toThrow(ConnectError);
    await expect(attempt).rejects.toThrow(
      /cannot connect to 127\.0\.0\.1:\d+: connection refused \(ECONNREFUSED\)/,
    );
  });

  it('passes an end on through pipe() and closes both sides', async () => {
    // A two-hop relay: client -> relay -> echo backend.
    const backend = await listen('127.0.0.1:0', (conn) => conn.pipe(conn));
    listeners.push(backend);
    const relay = await listen('127.0.0.1:0', (conn) => {
      conn.pause();
      void connect(backend.address).then((upstream) => {
        conn.pipe(upstream);
        conn.resume();
      });
    });
    listeners.push(relay);
    const client = await connect(relay.address);
    expect(await roundTrip(client.socket, 'through the relay')).toBe('through the relay');
    client.end();
    await client.closed;
    await Promise.all([...relay.connections, ...backend.connections].map((c) => c.closed));
    expect(relay.connectionCount + backend.connectionCount).toBe(0);
  });

  for (const directReads of [true, false]) {
    it(`allowHalfOpen keeps the write side open after the peer's end (${directReads ? 'direct' : 'stream'} reads)`, async () => {
      // The server answers a turn after the client ended its side (as a proxy's upstream
      // answers): the answer must still get out.
      const server = await listen(
        '127.0.0.1:0',
        (conn) => {
          const got: Buffer[] = [];
          conn.onData((chunk) => got.push(chunk));
          conn.onEnd(() => setImmediate(() => conn.end(`got ${Buffer.concat(got)}, bye`)));
        },
        { allowHalfOpen: true, directReads },
      );
      listeners.push(server);
      const client = await connect(server.address, { allowHalfOpen: true });
      const answer: Buffer[] = [];
      client.onData((chunk) => answer.push(chunk));
      const ended = new Promise<void>((resolve) => client.onEnd(resolve));
      client.end('hello');
      await ended;
      expect(String(Buffer.concat(answer))).toBe('got hello, bye');
      // Both sides ended: both connections close by themselves.
      expect(await client.closed).toBeUndefined();
      await Promise.all([...server.connections].map((c) => c.closed));
      expect(server.connectionCount).toBe(0);
    });
  }

  it("without allowHalfOpen, the peer's end ends this side: a later answer is dropped", async () => {
    let wrote: boolean | undefined;
    const server = await listen('127.0.0.1:0', (conn) => {
      conn.onData(() => {});
      conn.onEnd(() =>
        setImmediate(() => {
          wrote = conn.write('too late');
        }),
      );
    });
    listeners.push(server);
    const client = await connect(server.address, { allowHalfOpen: true });
    const answer: Buffer[] = [];
    client.onData((chunk) => answer.push(chunk));
    client.end('hello');
    await client.closed;
    expect(wrote).toBe(false);
    expect(answer).toHaveLength(0);
  });
});
