import { once } from 'node:events';
import { connect as netConnect } from 'node:net';
import { type SelfSignedCert, selfSignedCert } from '@scalestack/test-harness';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConnectError, connect, type Listener, listen, SocketTimeoutError } from '../src/index.js';
import { closed, roundTrip } from './helpers.js';

describe('TLS', () => {
  let tls: SelfSignedCert;
  const listeners: Listener[] = [];
  beforeAll(async () => {
    tls = await selfSignedCert('localhost');
  });
  afterEach(async () => {
    await Promise.all(listeners.splice(0).map((l) => l.closeAll()));
  });

  it('serves TLS with a certificate and a verifying client', async () => {
    const listener = await listen('127.0.0.1:0', (conn) => conn.pipe(conn), {
      tls: { key: tls.key, cert: tls.cert },
    });
    listeners.push(listener);
    const client = await connect(listener.address, { tls: { ca: tls.cert, servername: 'localhost' } });
    expect(client.encrypted).toBe(true);
    expect(await roundTrip(client.socket, 'secret')).toBe('secret');
    const [served] = listener.connections;
    expect(served?.encrypted).toBe(true);
    client.destroy();
  });

  it('fails a client that does not trust the certificate, with the reason', async () => {
    const errors: Error[] = [];
    const listener = await listen('127.0.0.1:0', (conn) => conn.pipe(conn), {
      tls: { key: tls.key, cert: tls.cert },
      onError: (err) => errors.push(err),
    });
    listeners.push(listener);
    const attempt = connect(listener.address, { tls: { servername: 'localhost' } });
    await expect(attempt).rejects.toThrow(ConnectError);
    await expect(attempt).rejects.toThrow(/cannot connect to 127\.0\.0\.1:\d+: .*self.signed/i);
    expect(listener.connectionCount).toBe(0);
  });

  it('closes a client that never starts its handshake', async () => {
    const errors: Error[] = [];
    const listener = await listen('127.0.0.1:0', () => {}, {
      tls: { key: tls.key, cert: tls.cert },
      handshakeTimeout: 150,
      onError: (err) => errors.push(err),
    });
    listeners.push(listener);
    const port = listener.address.kind === 'tcp' ? listener.address.port : 0;
    const silent = netConnect(port, '127.0.0.1');
    await once(silent, 'connect');
    await closed(silent);
    expect(listener.connectionCount).toBe(0);
    expect(errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/^TLS handshake with .+ timed out after 150ms$/),
    ]);
  });

  it('closeAll ends a client still in its handshake instead of waiting for it', async () => {
    const listener = await listen('127.0.0.1:0', () => {}, {
      tls: { key: tls.key, cert: tls.cert },
      handshakeTimeout: 600_000,
    });
    const port = listener.address.kind === 'tcp' ? listener.address.port : 0;
    const silent = netConnect(port, '127.0.0.1');
    silent.on('error', () => {});
    await once(silent, 'connect');
    // The server has the socket once our connect is accepted; it never gets a ClientHello.
    const gone = closed(silent);
    await listener.closeAll();
    await gone;
    expect(listener.listening).toBe(false);
  });

  it('times out a TLS connect whose server never answers', async () => {
    // A plain TCP server that accepts and stays silent: the ClientHello is never answered.
    const mute = await listen('127.0.0.1:0', () => {});
    listeners.push(mute);
    const attempt = connect(mute.address, { tls: { ca: tls.cert }, timeout: 150 });
    await expect(attempt).rejects.toThrow(SocketTimeoutError);
    await expect(attempt).rejects.toThrow(/connecting to 127\.0\.0\.1:\d+ timed out after 150ms/);
  });
});
