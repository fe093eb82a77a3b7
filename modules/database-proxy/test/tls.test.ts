/**
 * TLS between clients and the proxy (SSLRequest, then TLS on the same socket), with both
 * authentication plugins and the `mariadb` command-line client.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { type SelfSignedCert, selfSignedCert } from '@scalestack/test-harness';
import type mysql from 'mysql2/promise';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { one } from './support/backends.js';
import { type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { trackedClients } from './support/tracked-clients.js';

const run = promisify(execFile);
let fx: ProxyFixture;
let cert: SelfSignedCert;
const clients = trackedClients(() => fx);

/** A user stored with only the native hash: over TLS, caching_sha2 then uses full authentication. */
const NATIVE_ONLY = { name: 'nat', password: 'n4t-pass', native_hash: '' };

beforeAll(async () => {
  cert = await selfSignedCert('localhost');
  const { createHash } = await import('node:crypto');
  const sha1 = (b: Buffer | string) => createHash('sha1').update(b).digest();
  NATIVE_ONLY.native_hash = `*${sha1(sha1(NATIVE_ONLY.password)).toString('hex').toUpperCase()}`;
  fx = await startProxyFixture({
    pool: 2,
    options: {
      tls_key: cert.keyPath,
      tls_cert: cert.certPath,
      auth_plugin: 'caching_sha2_password',
      users: [
        { name: 'app', password: 'secret' },
        { name: NATIVE_ONLY.name, native_hash: NATIVE_ONLY.native_hash },
      ],
    },
  });
});
afterEach(() => clients.closeAll());
afterAll(async () => {
  await fx?.stop();
});

function encrypted(c: mysql.Connection): boolean {
  const stream = (c as unknown as { connection: { stream: tls.TLSSocket } }).connection.stream;
  return stream.encrypted === true;
}

describe('TLS to the proxy', () => {
  it('mysql2 over TLS, caching_sha2_password fast path', async () => {
    const c = await clients.client({ ssl: { ca: cert.cert } });
    expect(encrypted(c)).toBe(true);
    expect((await one(c, 'SELECT 1 + 1 AS two')).two).toBe(2);
  });

  it('full authentication sends the password only inside TLS', async () => {
    const c = await clients.client({
      ssl: { ca: cert.cert },
      user: NATIVE_ONLY.name,
      password: NATIVE_ONLY.password,
    });
    expect(encrypted(c)).toBe(true);
    expect((await one(c, 'SELECT 3 AS three')).three).toBe(3);
  });

  it('a plain client still works beside TLS ones', async () => {
    const c = await clients.client();
    expect(encrypted(c)).toBe(false);
    expect((await one(c, 'SELECT 4 AS four')).four).toBe(4);
  });

  it('the mariadb CLI connects with --ssl and verifies the certificate', async () => {
    const { stdout } = await run('mariadb', [
      '-h127.0.0.1',
      `-P${fx.port}`,
      '-uapp',
      '-psecret',
      '--ssl',
      `--ssl-ca=${cert.certPath}`,
      '--ssl-verify-server-cert',
      '-N',
      '-e',
      'SELECT 40 + 2',
      'test',
    ]);
    expect(stdout.trim()).toBe('42');
  });
});

it('tls_key without tls_cert is refused with the configuration (scalestack check too), naming both', async () => {
  // It passed validation and failed the start (exit 1, a stack trace) instead.
  const start = startProxyFixture({ mariadb: fx.mariadb, options: { tls_key: cert.keyPath } });
  await expect(start).rejects.toThrow(
    'module "database-proxy": options tls_key and tls_cert go together (PEM file paths, both or neither): tls_key is set, tls_cert is not',
  );
});

it('TLS files that hold no PEM key or certificate, or a certificate for another key, are refused with the configuration', async () => {
  // They passed, the proxy offered TLS, and every TLS client was dropped at its handshake.
  const dir = mkdtempSync(join(tmpdir(), 'tls-files-'));
  const junk = join(dir, 'junk.pem');
  writeFileSync(junk, 'not a PEM file\n');
  const other = await selfSignedCert('other');
  const cases: [Record<string, string>, RegExp][] = [
    [
      { tls_key: junk, tls_cert: cert.certPath },
      /option tls_key: .*junk\.pem holds no private key PEM can read/,
    ],
    [{ tls_key: cert.keyPath, tls_cert: junk }, /option tls_cert: .*junk\.pem holds no PEM certificate/],
    [
      { tls_key: other.keyPath, tls_cert: cert.certPath },
      /options tls_key and tls_cert: the certificate in .* is not for the key in /,
    ],
  ];
  for (const [options, message] of cases) {
    await expect(startProxyFixture({ mariadb: fx.mariadb, options })).rejects.toThrow(message);
  }
});

it('a TLS file that cannot be read is refused with the configuration, naming the option', async () => {
  const start = startProxyFixture({
    mariadb: fx.mariadb,
    options: { tls_key: cert.keyPath, tls_cert: '/nonexistent/cert.pem' },
  });
  await expect(start).rejects.toThrow(
    'module "database-proxy", option "tls_cert": got "/nonexistent/cert.pem", expected a string — cannot read it (ENOENT)',
  );
});

it("takes a TLS ClientHello that arrives in the SSLRequest's chunk, with a max_packet_size it exceeds as MySQL", async () => {
  // Its first bytes (0x16 0x03 0x01) read as a MySQL header announcing 66,326 bytes.
  const small = await startProxyFixture({
    mariadb: fx.mariadb,
    options: { tls_key: cert.keyPath, tls_cert: cert.certPath, max_packet_size: 4096 },
  });
  const socket = net.connect(small.port, '127.0.0.1');
  try {
    // The greeting first (one small packet).
    await new Promise<void>((resolve, reject) => {
      socket.once('data', () => resolve());
      socket.once('error', reject);
    });
    // SSLRequest: capabilities (PROTOCOL_41 | SSL | SECURE_CONNECTION | PLUGIN_AUTH), max packet,
    // collation, 23 zero bytes — written with the ClientHello in one write.
    const request = Buffer.alloc(4 + 32);
    request.writeUIntLE(32, 0, 3);
    request[3] = 1;
    request.writeUInt32LE(0x200 | 0x800 | 0x8000 | 0x80000, 4);
    request.writeUInt32LE(16 * 1024 * 1024, 8);
    request[12] = 45;
    // tls.connect writes to a net.Socket's handle directly: a stream in between sees the write.
    let first = true;
    const joined = new Duplex({
      write(chunk: Buffer, _encoding, done) {
        socket.write(first ? Buffer.concat([request, chunk]) : chunk, done);
        first = false;
      },
      read() {},
    });
    socket.on('data', (d) => joined.push(d));
    socket.on('end', () => joined.push(null));
    const secure = tls.connect({ socket: joined, ca: cert.cert, servername: 'localhost' });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', () => resolve());
      secure.once('error', reject);
    });
    expect(secure.authorized).toBe(true);
    secure.destroy();
  } finally {
    socket.destroy();
    await small.stop();
  }
});
