import { selfSignedCert, waitFor } from '@scalestack/test-harness';
import { afterEach, describe, expect, it } from 'vitest';
import { type Connection, connect, type Listener, listen } from '../src/index.js';
import { readUntil, roundTrip } from './helpers.js';

describe('maxConnections', () => {
  const listeners: Listener[] = [];
  const clients: Connection[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    await Promise.all(listeners.splice(0).map((l) => l.closeAll()));
  });

  async function client(listener: Listener): Promise<Connection> {
    const c = await connect(listener.address);
    clients.push(c);
    return c;
  }

  it('refuses connections over the limit with the protocol refusal while the others carry on', async () => {
    const listener = await listen('127.0.0.1:0', (conn) => conn.pipe(conn), {
      maxConnections: 2,
      onRefused: (conn) => conn.write('ERR too many connections\n'),
    });
    listeners.push(listener);
    const a = await client(listener);
    const b = await client(listener);
    expect(await roundTrip(a.socket, 'a1')).toBe('a1');
    expect(await roundTrip(b.socket, 'b1')).toBe('b1');
    expect(listener.connectionCount).toBe(2);

    const refused = await client(listener);
    const refusal = readUntil(refused.socket, (t) => t.endsWith('\n'));
    expect(await refusal).toBe('ERR too many connections\n');
    await refused.closed;
    expect(listener.connectionCount).toBe(2);

    expect(await roundTrip(a.socket, 'a2')).toBe('a2');
    expect(await roundTrip(b.socket, 'b2')).toBe('b2');

    // A freed slot is available again.
    a.destroy();
    await waitFor(() => listener.connectionCount === 1, { what: 'the server to see the first client leave' });
    const c = await client(listener);
    expect(await roundTrip(c.socket, 'c1')).toBe('c1');
  });

  it('closes refused connections without a refusal handler', async () => {
    const listener = await listen('127.0.0.1:0', (conn) => conn.pipe(conn), { maxConnections: 0 });
    listeners.push(listener);
    const refused = await client(listener);
    const received: Buffer[] = [];
    refused.onData((chunk) => received.push(chunk));
    await refused.closed;
    expect(Buffer.concat(received).length).toBe(0);
    expect(listener.connectionCount).toBe(0);
  });

  it('writes the refusal over TLS on a TLS listener', async () => {
    const { key, cert } = await selfSignedCert();
    const listener = await listen('127.0.0.1:0', (conn) => conn.pipe(conn), {
      tls: { key, cert },
      maxConnections: 1,
      onRefused: (conn) => conn.write('busy\n'),
    });
    listeners.push(listener);
    const served = await connect(listener.address, { tls: { ca: cert, servername: 'localhost' } });
    clients.push(served);
    expect(await roundTrip(served.socket, 'in')).toBe('in');
    const refused = await connect(listener.address, { tls: { ca: cert, servername: 'localhost' } });
    clients.push(refused);
    expect(await readUntil(refused.socket, (t) => t.endsWith('\n'))).toBe('busy\n');
    await refused.closed;
    expect(listener.refusedCount).toBe(1);
    expect(await roundTrip(served.socket, 'still in')).toBe('still in');
  });
});
