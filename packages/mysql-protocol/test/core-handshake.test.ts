import { generateKeyPairSync } from 'node:crypto';
import { selfSignedCert } from '@scalestack/test-harness';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CACHING_SHA2_PLUGIN,
  CLIENT_CONNECT_ATTRS,
  CLIENT_DEPRECATE_EOF,
  CLIENT_MYSQL,
  CLIENT_SSL,
  ClientHandshake,
  type Credentials,
  cachingSha2Hash,
  credentialsFor,
  decodeAuthSwitchRequest,
  decodeGreeting,
  decodeHandshakeResponse,
  encodeErr,
  formatNativePasswordHash,
  generateNonce,
  MARIADB_CLIENT_EXTENDED_METADATA,
  MARIADB_CLIENT_PROGRESS,
  NATIVE_PASSWORD_PLUGIN,
  nativePasswordHash,
  PacketWriter,
  parseNativePasswordHash,
  type ServerAuthPlugin,
  ServerHandshake,
  SUPPORTED_CAPABILITIES,
  writeHandshakeResponse,
} from '../src/index.js';
import { RawClient } from './support/raw-client.js';
import { startTestServer, type TestServer } from './support/test-server.js';

const users = new Map<string, Credentials>([
  ['fast', { sha2Hash: cachingSha2Hash('fast-pw') }],
  ['native', { nativeHash: formatNativePasswordHash(nativePasswordHash('native-pw')) }],
  ['plain', { plaintext: 'plain-pw' }],
  ['nopw', { plaintext: '' }],
  ['both', credentialsFor('both-pw')],
]);
const lookup = (u: string) => users.get(u);

let cert: { key: string; cert: string };
const rsa = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});
const rsaKeys = { publicKey: rsa.publicKey, privateKey: rsa.privateKey };

const servers: TestServer[] = [];
async function server(opts: Parameters<typeof startTestServer>[0]): Promise<TestServer> {
  const s = await startTestServer(opts);
  servers.push(s);
  return s;
}

beforeAll(async () => {
  cert = await selfSignedCert();
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

describe('native password hashes', () => {
  it('accepts and prints MySQL *HEX form', () => {
    const h = nativePasswordHash('secret');
    expect(formatNativePasswordHash(h)).toBe('*14E65567ABDB5135D0CFD9A70B3032C179A49EE7');
    expect(parseNativePasswordHash('*14e65567abdb5135d0cfd9a70b3032c179a49ee7').equals(h)).toBe(true);
    expect(() => parseNativePasswordHash('14E6')).toThrow(/'\*' followed by 40 hex digits/);
  });
});

describe('handshake response names', () => {
  it('are written and read in the character set the response names (latin1: one byte for ü)', () => {
    const response = {
      capabilities: SUPPORTED_CAPABILITIES,
      mariadbCapabilities: 0,
      maxPacketSize: 1 << 24,
      user: 'üser',
      authResponse: Buffer.alloc(20, 1),
      database: 'café',
      authPlugin: 'mysql_native_password',
      attributes: {},
    };
    for (const [charset, bytes] of [
      [8, Buffer.from([0xfc, 0x73, 0x65, 0x72, 0])],
      [45, Buffer.from('üser\0', 'utf8')],
    ] as const) {
      const payload = writeHandshakeResponse(new PacketWriter(), { ...response, charset }).payload();
      expect(payload.includes(bytes)).toBe(true);
      expect(decodeHandshakeResponse(Buffer.from(payload))).toMatchObject({
        user: 'üser',
        database: 'café',
        charset,
      });
    }
  });
});

describe('nonces', () => {
  it('are 20 printable bytes, none repeated, across refills of the random pool', () => {
    // 1,000 nonces cross several refills of the pool (128 nonces per draw).
    const nonces = Array.from({ length: 1000 }, () => generateNonce());
    for (const nonce of nonces) {
      expect(nonce.length).toBe(20);
      expect(nonce.every((b) => b >= 0x21 && b <= 0x7e)).toBe(true);
    }
    expect(new Set(nonces.map((n) => n.toString('latin1'))).size).toBe(1000);
    // Each nonce owns its bytes: changing one changes no other.
    nonces[0]!.fill(0x21);
    expect(nonces[1]!.equals(Buffer.alloc(20, 0x21))).toBe(false);
  });
});

describe('handshake edge cases without sockets', () => {
  it('the client reports an ERR sent instead of the greeting (too many connections)', () => {
    const step = new ClientHandshake({ user: 'u' }).receive(
      encodeErr({ errno: 1040, message: 'Too many connections' }, 0),
      0,
    );
    expect(step).toEqual({
      kind: 'failed',
      error: { errno: 1040, sqlState: '', message: 'Too many connections' },
    });
  });

  it('the server refuses pre-4.1 clients with ERR 1251 and SSL when it has no TLS', () => {
    const hs = new ServerHandshake({ connectionId: 1, lookup });
    hs.start();
    const old = hs.receive(Buffer.from([0x85, 0x00, 0, 0, 0, 0x75, 0]), 1);
    expect(old).toMatchObject({ kind: 'failed', error: { errno: 1251 } });
    const hs2 = new ServerHandshake({ connectionId: 2, lookup });
    hs2.start();
    const ssl = Buffer.alloc(32);
    ssl.writeUInt32LE(CLIENT_SSL | 0x200, 0);
    expect(hs2.receive(ssl, 1)).toMatchObject({ kind: 'failed', error: { errno: 1043 } });
  });

  it('refuses a packet not numbered next with ERR 1156, as MariaDB does', () => {
    const hs = new ServerHandshake({ connectionId: 1, lookup });
    hs.start();
    const step = hs.receive(Buffer.from([0x85, 0x00, 0, 0, 0, 0x75, 0]), 5);
    expect(step).toMatchObject({ kind: 'failed', error: { errno: 1156, sqlState: '08S01' } });
    // Answered with the number the client should have used.
    expect(step.kind === 'failed' && step.bytes[3]).toBe(1);
  });

  it('decodes connection attributes into an object without a prototype', () => {
    const response = writeHandshakeResponse(new PacketWriter(), {
      capabilities: SUPPORTED_CAPABILITIES & ~CLIENT_SSL,
      mariadbCapabilities: 0,
      maxPacketSize: 1 << 24,
      charset: 45,
      user: 'u',
      authResponse: Buffer.alloc(0),
      database: '',
      authPlugin: CACHING_SHA2_PLUGIN,
      attributes: { _client_name: 'test' },
    }).payload();
    const { attributes } = decodeHandshakeResponse(Buffer.from(response));
    expect(attributes._client_name).toBe('test');
    // A proxy's tenant_attribute named like an Object member must not read as set.
    expect(attributes.constructor).toBeUndefined();
    expect(attributes.toString).toBeUndefined();
  });

  it('greets with what it offers and decodes back', () => {
    const hs = new ServerHandshake({ connectionId: 42, lookup, tls: true, serverVersion: '8.0.40-test' });
    const g = decodeGreeting(hs.start().subarray(4));
    expect(g).toMatchObject({
      connectionId: 42,
      serverVersion: '8.0.40-test',
      authPlugin: CACHING_SHA2_PLUGIN,
      charset: 45,
    });
    expect(g.nonce.equals(hs.nonce)).toBe(true);
    expect(g.capabilities).toBe(hs.capabilities);
    expect(g.capabilities & CLIENT_SSL).toBeTruthy();
  });
});

describe('MariaDB extended capabilities', () => {
  const EXT = MARIADB_CLIENT_EXTENDED_METADATA;
  /** A login as `nopw` answering the greeting with `capabilities` / `mariadbCapabilities`. */
  const login = (offered: number | undefined, capabilities: number, mariadbCapabilities: number) => {
    const hs = new ServerHandshake({ connectionId: 1, lookup, mariadbCapabilities: offered });
    const greeting = decodeGreeting(hs.start().subarray(4));
    const response = writeHandshakeResponse(new PacketWriter(), {
      capabilities,
      mariadbCapabilities,
      maxPacketSize: 1 << 24,
      charset: 45,
      user: 'nopw',
      authResponse: Buffer.alloc(0),
      database: '',
      authPlugin: greeting.authPlugin,
      attributes: {},
    }).payload();
    return { hs, greeting, step: hs.receive(Buffer.from(response), 1) };
  };
  const mariadbClient = SUPPORTED_CAPABILITIES & ~CLIENT_SSL & ~CLIENT_MYSQL;

  it('offered, they greet as MariaDB does (no CLIENT_MYSQL) and negotiate what both have', () => {
    const { greeting, step } = login(EXT, mariadbClient, EXT | MARIADB_CLIENT_PROGRESS);
    expect(greeting.capabilities & CLIENT_MYSQL).toBe(0);
    expect(greeting.mariadbCapabilities).toBe(EXT);
    expect(step).toMatchObject({ kind: 'authenticated', session: { mariadbCapabilities: EXT } });
  });

  it('not offered (the default), the greeting keeps CLIENT_MYSQL and nothing is negotiated', () => {
    const { greeting, step } = login(undefined, mariadbClient, EXT);
    expect(greeting.capabilities & CLIENT_MYSQL).toBeTruthy();
    expect(greeting.mariadbCapabilities).toBe(0);
    expect(step).toMatchObject({ kind: 'authenticated', session: { mariadbCapabilities: 0 } });
  });

  it('a client that keeps CLIENT_MYSQL (a MySQL driver) negotiates none', () => {
    const { step } = login(EXT, SUPPORTED_CAPABILITIES & ~CLIENT_SSL, EXT);
    expect(step).toMatchObject({ kind: 'authenticated', session: { mariadbCapabilities: 0 } });
  });

  it('COM_CHANGE_USER keeps what the login negotiated', () => {
    const { hs } = login(EXT, mariadbClient, EXT);
    const again = new ServerHandshake({ connectionId: 1, lookup, nonce: hs.nonce, mariadbCapabilities: EXT });
    const step = again.changeUser(
      { user: 'nopw', authData: Buffer.alloc(0), schema: '', plugin: NATIVE_PASSWORD_PLUGIN },
      {
        clientCapabilities: mariadbClient,
        mariadbCapabilities: EXT,
        maxPacketSize: 1 << 24,
        charset: 45,
        tls: false,
      },
    );
    expect(step).toMatchObject({ kind: 'authenticated', session: { mariadbCapabilities: EXT } });
  });
});

describe('ServerHandshake, empty passwords', () => {
  /** A HandshakeResponse41 payload from `user` naming `plugin`, with `authResponse`. */
  const responseFor = (user: string, plugin: string, authResponse: Buffer) =>
    Buffer.from(
      writeHandshakeResponse(new PacketWriter(), {
        capabilities: SUPPORTED_CAPABILITIES & ~CLIENT_SSL,
        mariadbCapabilities: 0,
        maxPacketSize: 1 << 24,
        charset: 45,
        user,
        authResponse,
        database: '',
        authPlugin: plugin,
        attributes: {},
      }).payload(),
    );

  /** The server's step after a HandshakeResponse41 with `authResponse` for `plugin`. */
  const stepFor = (user: string, plugin: ServerAuthPlugin, authResponse: Buffer) => {
    const hs = new ServerHandshake({ connectionId: 1, lookup, authPlugin: plugin });
    hs.start();
    return hs.receive(responseFor(user, plugin, authResponse), 1).kind;
  };

  it('asks again when the client named another plugin than the greeting (libmariadb --default-auth sends an empty response)', () => {
    for (const [greeted, named, user] of [
      [NATIVE_PASSWORD_PLUGIN, CACHING_SHA2_PLUGIN, 'fast'],
      [CACHING_SHA2_PLUGIN, NATIVE_PASSWORD_PLUGIN, 'native'],
    ] as const) {
      const hs = new ServerHandshake({ connectionId: 1, lookup, authPlugin: greeted });
      const { nonce } = decodeGreeting(hs.start().subarray(4));
      const step = hs.receive(responseFor(user, named, Buffer.alloc(0)), 1);
      // It checked the empty response and refused (1045) before.
      expect(step.kind).toBe('send');
      const request = decodeAuthSwitchRequest((step as { bytes: Buffer }).bytes.subarray(4));
      expect({ plugin: request.plugin, sameNonce: Buffer.from(request.data).equals(nonce) }).toEqual({
        plugin: named,
        sameNonce: true,
      });
    }
  });

  it('takes a lone NUL byte as the empty password for caching_sha2_password (libmysqlclient sends that)', () => {
    expect(stepFor('nopw', CACHING_SHA2_PLUGIN, Buffer.from([0]))).toBe('authenticated');
    expect(stepFor('nopw', CACHING_SHA2_PLUGIN, Buffer.alloc(0))).toBe('authenticated');
    // Not a way around a password: a user who has one is refused.
    expect(stepFor('fast', CACHING_SHA2_PLUGIN, Buffer.from([0]))).toBe('failed');
    expect(stepFor('both', CACHING_SHA2_PLUGIN, Buffer.from([0]))).toBe('failed');
  });
});

describe('ClientHandshake against ServerHandshake over sockets', () => {
  it('authenticates with caching_sha2_password on the fast path', async () => {
    const s = await server({ lookup, rsaKeys });
    const c = await RawClient.connect({
      port: s.port,
      user: 'fast',
      password: 'fast-pw',
      database: 'shop',
      attributes: { app: 't' },
    });
    expect(c.session.authPlugin).toBe(CACHING_SHA2_PLUGIN);
    expect(c.session.capabilities & CLIENT_DEPRECATE_EOF).toBeTruthy();
    expect(c.session.capabilities & CLIENT_SSL).toBe(0);
    const r = await c.query('SELECT USER()');
    expect(r.rows).toBe(1);
    expect(r.scannedBytes).toBe(r.framedBytes);
    await c.close();
    expect(s.sessions[0]).toMatchObject({
      user: 'fast',
      database: 'shop',
      authPlugin: CACHING_SHA2_PLUGIN,
      tls: false,
    });
    expect(s.sessions[0]!.attributes).toEqual({ app: 't' });
    expect(s.sessions[0]!.capabilities & CLIENT_CONNECT_ATTRS).toBeTruthy();
  });

  it('does caching_sha2 full authentication over TLS', async () => {
    const s = await server({ lookup, cert, alwaysFullAuthentication: true });
    const c = await RawClient.connect({ port: s.port, user: 'both', password: 'both-pw', tls: true });
    expect(c.session.tls).toBe(true);
    expect((await c.query('SELECT 1')).rows).toBe(1);
    await c.close();
    expect(s.sessions[0]).toMatchObject({ user: 'both', tls: true });
  });

  it('does caching_sha2 full authentication with RSA, fetching the key or given it', async () => {
    const s = await server({ lookup, rsaKeys, alwaysFullAuthentication: true });
    const fetched = await RawClient.connect({ port: s.port, user: 'plain', password: 'plain-pw' });
    await fetched.close();
    const given = await RawClient.connect({
      port: s.port,
      user: 'native',
      password: 'native-pw',
      serverPublicKey: rsa.publicKey,
    });
    await given.close();
    await expect(RawClient.connect({ port: s.port, user: 'plain', password: 'wrong' })).rejects.toMatchObject(
      {
        errno: 1045,
        message: "Access denied for user 'plain'@'localhost' (using password: YES)",
      },
    );
    expect(s.sessions.map((x) => x.user)).toEqual(['plain', 'native']);
    // Stored with only a native hash, outside TLS: switched to mysql_native_password, which
    // proves the password without sending it, as a MySQL server does for such an account.
    expect(s.sessions.map((x) => x.authPlugin)).toEqual([CACHING_SHA2_PLUGIN, NATIVE_PASSWORD_PLUGIN]);
  });

  it('refuses full authentication without TLS or RSA keys', async () => {
    const s = await server({ lookup, alwaysFullAuthentication: true });
    await expect(
      RawClient.connect({ port: s.port, user: 'plain', password: 'plain-pw' }),
    ).rejects.toMatchObject({ errno: 1045 });
  });

  it('uses mysql_native_password with a *HEX stored hash, and switches plugins when needed', async () => {
    const s = await server({ lookup, authPlugin: NATIVE_PASSWORD_PLUGIN });
    const c = await RawClient.connect({ port: s.port, user: 'native', password: 'native-pw' });
    expect(c.session.authPlugin).toBe(NATIVE_PASSWORD_PLUGIN);
    await c.close();
    // Only a SHA-256 hash is stored: the server switches the client to caching_sha2_password.
    const switched = await RawClient.connect({ port: s.port, user: 'fast', password: 'fast-pw' });
    expect(switched.session.authPlugin).toBe(CACHING_SHA2_PLUGIN);
    await switched.close();
  });

  it('answers wrong passwords, unknown users and missing passwords with ERR 1045', async () => {
    const s = await server({ lookup, rsaKeys, clientHost: '10.0.0.9' });
    await expect(RawClient.connect({ port: s.port, user: 'fast', password: 'nope' })).rejects.toMatchObject({
      errno: 1045,
      sqlState: '28000',
      message: "Access denied for user 'fast'@'10.0.0.9' (using password: YES)",
    });
    await expect(RawClient.connect({ port: s.port, user: 'ghost', password: 'x' })).rejects.toMatchObject({
      errno: 1045,
    });
    await expect(RawClient.connect({ port: s.port, user: 'fast' })).rejects.toMatchObject({
      message: "Access denied for user 'fast'@'10.0.0.9' (using password: NO)",
    });
    const empty = await RawClient.connect({ port: s.port, user: 'nopw' });
    await empty.close();
  });

  it('refuses clients without TLS when TLS is required', async () => {
    const s = await server({ lookup, cert, requireTls: true });
    await expect(
      RawClient.connect({ port: s.port, user: 'fast', password: 'fast-pw' }),
    ).rejects.toMatchObject({ errno: 3159 });
    const c = await RawClient.connect({ port: s.port, user: 'fast', password: 'fast-pw', tls: true });
    await c.close();
  });
});

describe('mysql2 against a ServerHandshake server', () => {
  const run = async (port: number, user: string, password: string, extra: object = {}) => {
    const conn = await mysql.createConnection({ host: '127.0.0.1', port, user, password, ...extra });
    try {
      const [rows] = await conn.query('SELECT USER() AS user');
      return rows;
    } finally {
      await conn.end();
    }
  };

  it('authenticates with caching_sha2_password on the fast path', async () => {
    const s = await server({ lookup, rsaKeys });
    expect(await run(s.port, 'fast', 'fast-pw')).toEqual([{ user: 'fast' }]);
    expect(s.sessions[0]!.authPlugin).toBe(CACHING_SHA2_PLUGIN);
  });

  it('does caching_sha2 full authentication over TLS', async () => {
    const s = await server({ lookup, cert, alwaysFullAuthentication: true });
    expect(await run(s.port, 'plain', 'plain-pw', { ssl: { rejectUnauthorized: false } })).toEqual([
      { user: 'plain' },
    ]);
    expect(s.sessions[0]).toMatchObject({ tls: true, authPlugin: CACHING_SHA2_PLUGIN });
  });

  it('does caching_sha2 full authentication with the server RSA key', async () => {
    const s = await server({ lookup, rsaKeys, alwaysFullAuthentication: true });
    expect(await run(s.port, 'both', 'both-pw')).toEqual([{ user: 'both' }]);
    await expect(run(s.port, 'both', 'bad')).rejects.toMatchObject({ errno: 1045 });
  });

  it('authenticates with mysql_native_password', async () => {
    const s = await server({ lookup, authPlugin: NATIVE_PASSWORD_PLUGIN });
    expect(await run(s.port, 'native', 'native-pw')).toEqual([{ user: 'native' }]);
    await expect(run(s.port, 'native', 'bad')).rejects.toMatchObject({ errno: 1045, sqlState: '28000' });
  });
});
