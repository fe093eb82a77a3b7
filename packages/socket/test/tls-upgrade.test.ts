import { once } from 'node:events';
import { connect as netConnect } from 'node:net';
import { Duplex } from 'node:stream';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import { type SelfSignedCert, selfSignedCert } from '@scalestack/test-harness';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Connection, connect, type Listener, listen, ReadBuffer } from '../src/index.js';
import { readUntil, roundTrip } from './helpers.js';

const STARTTLS = 'STARTTLS\n';

describe('upgradeToTls', () => {
  let cert: SelfSignedCert;
  const listeners: Listener[] = [];
  beforeAll(async () => {
    cert = await selfSignedCert('localhost');
  });
  afterEach(async () => {
    await Promise.all(listeners.splice(0).map((l) => l.closeAll()));
  });

  /**
   * A STARTTLS-style server: a plaintext line, then TLS on the same connection, then echo.
   * `leftovers` records how many bytes of the TLS stream arrived in the plaintext chunk.
   */
  async function startTlsServer(
    leftovers: number[],
    { replyOk = false, readModes = [] as boolean[], directReads = true } = {},
  ): Promise<Listener> {
    const listener = await listen(
      '127.0.0.1:0',
      (conn: Connection) => {
        readModes.push(conn.readsDirectly);
        let text = Buffer.alloc(0);
        conn.onData((chunk) => {
          text = Buffer.concat([text, chunk]);
          const newline = text.indexOf(10);
          if (newline < 0) return;
          expect(text.subarray(0, newline + 1).toString()).toBe(STARTTLS);
          const buffered = text.subarray(newline + 1);
          leftovers.push(buffered.length);
          conn.onData(undefined);
          if (replyOk) conn.write('OK\n');
          void conn.upgradeToTls({ side: 'server', key: cert.key, cert: cert.cert, buffered }).then(
            () => {
              readModes.push(conn.readsDirectly);
              conn.pipe(conn);
            },
            (err) => conn.destroy(err),
          );
        });
      },
      { directReads },
    );
    listeners.push(listener);
    return listener;
  }

  it.each([
    ['stream', false],
    ['direct', true],
  ])(
    'server side (%s reads): keeps TLS bytes that arrived in the same chunk as the plaintext request',
    async (_name, directReads) => {
      const leftovers: number[] = [];
      const readModes: boolean[] = [];
      const listener = await startTlsServer(leftovers, { readModes, directReads });
      const port = listener.address.kind === 'tcp' ? listener.address.port : 0;

      // The client sends STARTTLS and its ClientHello in one TCP write, as a MySQL client sends
      // SSLRequest and ClientHello back to back: the server reads both in one chunk.
      const raw = netConnect(port, '127.0.0.1');
      await once(raw, 'connect');
      let first = true;
      const transport = new Duplex({
        read() {},
        write(chunk: Buffer, _encoding, callback) {
          raw.write(first ? Buffer.concat([Buffer.from(STARTTLS), chunk]) : chunk, callback);
          first = false;
        },
        final(callback) {
          raw.end();
          callback();
        },
      });
      raw.on('data', (chunk) => transport.push(chunk));
      raw.on('end', () => transport.push(null));
      const secure = tlsConnect({ socket: transport, ca: cert.cert, servername: 'localhost' });
      await once(secure, 'secureConnect');

      expect(leftovers).toHaveLength(1);
      expect(leftovers[0]).toBeGreaterThan(0);
      const reply = readUntil(secure as never, (t) => t.length >= 12);
      secure.write('hello secure');
      expect(await reply).toBe('hello secure');
      // The plain connection read as configured; TLS always streams.
      expect(readModes).toEqual([directReads, false]);
      secure.destroy();
      raw.destroy();
    },
  );

  it('client side: upgrades a Connection after a plaintext exchange', async () => {
    const leftovers: number[] = [];
    const listener = await startTlsServer(leftovers, { replyOk: true });
    const conn = await connect(listener.address, { readBuffer: new ReadBuffer() });
    expect(conn.readsDirectly).toBe(true);
    const ok = new Promise<string>((resolve) => conn.onData((chunk) => resolve(chunk.toString())));
    conn.write(STARTTLS);
    expect(await ok).toBe('OK\n');
    conn.onData(undefined);
    await conn.upgradeToTls({ side: 'client', ca: cert.cert, servername: 'localhost' });
    expect(conn.encrypted).toBe(true);
    expect(await roundTrip(conn.socket, 'after upgrade')).toBe('after upgrade');
    expect(leftovers).toEqual([0]);
    conn.destroy();
    await conn.closed;
  });

  it('keeps data, idle and close handling on the upgraded connection', async () => {
    const leftovers: number[] = [];
    const listener = await startTlsServer(leftovers, { replyOk: true });
    const conn = await connect(listener.address);
    const ok = new Promise<string>((resolve) => conn.onData((chunk) => resolve(chunk.toString())));
    conn.write(STARTTLS);
    await ok;
    const received: string[] = [];
    conn.onData((chunk) => received.push(chunk.toString()));
    conn.setIdleTimeout(200);
    await conn.upgradeToTls({ side: 'client', ca: cert.cert, servername: 'localhost' });
    conn.write('ping');
    // The idle timer now runs on the TLS socket and closes it once the echo has been quiet.
    const err = await conn.closed;
    expect(received.join('')).toBe('ping');
    expect(err?.message).toMatch(/idle connection with 127\.0\.0\.1:\d+ timed out after 200ms/);
  });

  it('fails with a timeout when the peer never answers the handshake, and closes', async () => {
    const mute = await listen('127.0.0.1:0', () => {});
    listeners.push(mute);
    const lonely = await connect(mute.address);
    await expect(
      lonely.upgradeToTls({ side: 'client', ca: cert.cert, handshakeTimeout: 100 }),
    ).rejects.toThrow(/TLS handshake with 127\.0\.0\.1:\d+ timed out after 100ms/);
    expect(await lonely.closed).toBeInstanceOf(Error);
    expect(lonely.isClosed).toBe(true);
  });
});

describe('server-side upgrade with requestCert (mutual TLS after a STARTTLS-style exchange)', () => {
  let server: SelfSignedCert;
  let trusted: SelfSignedCert;
  let stranger: SelfSignedCert;
  beforeAll(async () => {
    [server, trusted, stranger] = await Promise.all([
      selfSignedCert('localhost'),
      selfSignedCert('trusted-client'),
      selfSignedCert('stranger'),
    ]);
  });

  /**
   * Upgrades a plain connection accepted by a listener on the server side (trusting only
   * `trusted`'s certificate), with a client that presents `clientCert`; returns both outcomes.
   */
  async function upgradeWith(clientCert: SelfSignedCert | undefined, rejectUnauthorized?: boolean) {
    let serverSide!: Promise<{ authorized: boolean; error?: string }>;
    const accepted = new Promise<void>((resolve) => {
      void listen('127.0.0.1:0', (conn: Connection) => {
        serverSide = conn
          .upgradeToTls({
            side: 'server',
            key: server.key,
            cert: server.cert,
            ca: trusted.cert,
            requestCert: true,
            ...(rejectUnauthorized === undefined ? {} : { rejectUnauthorized }),
          })
          .then(() => {
            const tls = conn.socket as TLSSocket;
            return { authorized: tls.authorized, error: tls.authorizationError?.toString() };
          });
        serverSide.catch(() => {});
        resolve();
      }).then((l) => {
        listening = l;
        if (l.address.kind !== 'tcp') throw new Error('tcp expected');
        plain = netConnect(l.address.port, '127.0.0.1');
      });
    });
    let listening: Listener | undefined;
    let plain!: ReturnType<typeof netConnect>;
    await accepted;
    const client = tlsConnect({
      socket: plain,
      ca: server.cert,
      servername: 'localhost',
      ...(clientCert ? { key: clientCert.key, cert: clientCert.cert } : {}),
    });
    client.on('error', () => {});
    const outcome = await serverSide.then(
      (r) => r,
      (e: Error) => ({ refused: e.message }),
    );
    client.destroy();
    await listening?.closeAll();
    return outcome;
  }

  it('accepts a client whose certificate it trusts, and says so in authorized', async () => {
    expect(await upgradeWith(trusted)).toEqual({ authorized: true, error: undefined });
  });

  it('refuses a client with a certificate it does not trust', async () => {
    expect(await upgradeWith(stranger)).toEqual({
      refused: expect.stringMatching(
        /TLS handshake with 127\.0\.0\.1:\d+ failed: client certificate not accepted/,
      ),
    });
  });

  it('refuses a client without a certificate', async () => {
    expect(await upgradeWith(undefined)).toEqual({
      refused: expect.stringMatching(/client certificate not accepted/),
    });
  });

  it('with rejectUnauthorized: false lets it in and reports why it is not authorized', async () => {
    const r = await upgradeWith(stranger, false);
    expect(r).toMatchObject({ authorized: false });
    expect((r as { error?: string }).error).toMatch(/SELF_SIGNED|UNABLE|CERT/);
  });
});
