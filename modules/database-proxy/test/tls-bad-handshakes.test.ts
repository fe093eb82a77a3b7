/**
 * The TLS front end against bad handshakes: each closes its own connection, leaves no session
 * behind, and the next client is served.
 */
import net from 'node:net';
import tls from 'node:tls';
import {
  CLIENT_PLUGIN_AUTH,
  CLIENT_PROTOCOL_41,
  CLIENT_SECURE_CONNECTION,
  PacketWriter,
  writeSslRequest,
} from '@scalestack/mysql-protocol';
import { type SelfSignedCert, selfSignedCert, waitFor } from '@scalestack/test-harness';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { one } from './support/backends.js';
import { type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';

let fx: ProxyFixture;
let plain: ProxyFixture;
let cert: SelfSignedCert;
let other: SelfSignedCert;

beforeAll(async () => {
  cert = await selfSignedCert('localhost');
  other = await selfSignedCert('localhost');
  fx = await startProxyFixture({
    pool: 2,
    options: { tls_key: cert.keyPath, tls_cert: cert.certPath, login_timeout: '1s' },
  });
  plain = await startProxyFixture({ mariadb: fx.mariadb, pool: 1 });
});
afterAll(async () => {
  await plain?.stop();
  await fx?.stop();
});

/** An SSLRequest (PROTOCOL_41 | SECURE_CONNECTION | PLUGIN_AUTH, utf8mb4), framed as the login's packet 1. */
function sslRequest(): Buffer {
  return writeSslRequest(new PacketWriter(), {
    capabilities: CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH,
    mariadbCapabilities: 0,
    maxPacketSize: 16 * 1024 * 1024,
    charset: 45,
  }).toPacket(1);
}

/** Connects, reads the greeting; returns the socket and a promise of everything read until close. */
async function rawConnect(port: number): Promise<{ socket: net.Socket; rest: Promise<Buffer> }> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('data', () => resolve());
    socket.once('error', reject);
  });
  const chunks: Buffer[] = [];
  socket.on('data', (d) => chunks.push(d));
  socket.on('error', () => {});
  const rest = new Promise<Buffer>((resolve) => socket.on('close', () => resolve(Buffer.concat(chunks))));
  return { socket, rest };
}

/** A raw connection that sent SSLRequest and finished the TLS handshake, nothing more. */
async function tlsAfterSslRequest(): Promise<tls.TLSSocket> {
  const { socket } = await rawConnect(fx.port);
  socket.write(sslRequest());
  const secure = tls.connect({ socket, ca: cert.cert, servername: 'localhost' });
  secure.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    secure.once('secureConnect', () => resolve());
    secure.once('error', reject);
  });
  return secure;
}

const noClients = (f: ProxyFixture) =>
  waitFor(() => f.proxy.stats().clients.length === 0, { what: 'the client to leave the proxy' });

describe('bad TLS handshakes at a TLS proxy', () => {
  it('SSLRequest then bytes that are not TLS: closed, the session gone', async () => {
    const { socket, rest } = await rawConnect(fx.port);
    socket.write(sslRequest());
    socket.write(Buffer.from('this is not a TLS ClientHello at all, just text\r\n'));
    await rest;
    await noClients(fx);
  });

  it('SSLRequest and then silence: closed at login_timeout', async () => {
    const { socket, rest } = await rawConnect(fx.port);
    socket.write(sslRequest());
    await rest;
    await noClients(fx);
  });

  it('TLS started, then silence mid-login (after the TLS handshake): closed at login_timeout', async () => {
    const secure = await tlsAfterSslRequest();
    await new Promise<void>((resolve) => secure.on('close', () => resolve()));
    await noClients(fx);
  });

  it('a client that refuses the certificate: nothing left behind, the next client is served', async () => {
    const err = await mysql
      .createConnection({
        host: '127.0.0.1',
        port: fx.port,
        user: 'app',
        password: 'secret',
        ssl: { ca: other.cert, rejectUnauthorized: true },
      })
      .then(
        (c) => {
          c.destroy();
          return undefined;
        },
        (e: Error) => e,
      );
    expect(err).toBeDefined();
    await noClients(fx);
    const c = await fx.connect({ ssl: { ca: cert.cert } });
    expect(await one(c, 'SELECT 1 AS v')).toEqual({ v: 1 });
    await c.end();
  });

  it('a second SSLRequest inside TLS is refused', async () => {
    const secure = await tlsAfterSslRequest();
    const req = sslRequest();
    req[3] = 2;
    const got: Buffer[] = [];
    secure.on('data', (d) => got.push(d));
    secure.write(req);
    await new Promise<void>((resolve) => secure.on('close', () => resolve()));
    const all = Buffer.concat(got);
    expect(all[4]).toBe(0xff);
    expect(all.readUInt16LE(5)).toBe(1043);
    await noClients(fx);
  });
});

it('SSLRequest to a proxy without TLS: ERR 1043 as MariaDB (no TLS) answers it', async () => {
  const direct = await rawConnect(fx.mariadb.port);
  direct.socket.write(sslRequest());
  const fromServer = await direct.rest;
  const proxied = await rawConnect(plain.port);
  proxied.socket.write(sslRequest());
  const fromProxy = await proxied.rest;
  const describe = (b: Buffer) =>
    b.length === 0 ? 'closed without a word' : `${b[4] === 0xff ? `ERR ${b.readUInt16LE(5)}` : 'other'}`;
  console.log('direct:', describe(fromServer), fromServer.subarray(4).toString('latin1'));
  console.log('proxy:', describe(fromProxy), fromProxy.subarray(4).toString('latin1'));
  expect(describe(fromProxy)).toBe(describe(fromServer));
  await noClients(plain);
});
