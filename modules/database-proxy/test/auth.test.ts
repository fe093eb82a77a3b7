/**
 * Authentication at the proxy: its own users (plain password, mysql_native_password hash,
 * caching_sha2_password hash), both greeting plugins, real clients (mysql2 and the `mariadb`
 * command-line client), wrong passwords refused with 1045 without disturbing anyone, and the
 * per-user max_connections refused with 1040.
 *
 * Two proxies share one MariaDB: one greets with mysql_native_password, one with
 * caching_sha2_password.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildChangeUser, ClientHandshake, encodeFrames, PacketDecoder } from '@scalestack/mysql-protocol';
import { waitFor } from '@scalestack/test-harness';
import { authPlugins } from 'mysql2';
import mysql from 'mysql2/promise';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { failure, one } from './support/backends.js';
import { APP_USER, type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { fixtureConfig } from './support/qos-helpers.js';
import { rawLogin } from './support/raw-login.js';

const run = promisify(execFile);
// biome-ignore lint/suspicious/noExplicitAny: mysql2 does not type its built-in plugin factories
const builtinPlugins = authPlugins as any;
const sha1 = (b: Buffer | string) => createHash('sha1').update(b).digest();
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest();

const NATIVE_ONLY = { name: 'nat', password: 'natpw' };
const SHA2_ONLY = { name: 'sha', password: 'shapw' };
const LIMITED = { name: 'limited', password: 'lpw', max: 2 };
const NO_PASSWORD = { name: 'nopw', password: '' };
const UMLAUT = { name: 'üser', password: 'pässwörd' };

const USERS = [
  { name: APP_USER.name, password: APP_USER.password, max_connections: 5000 },
  { name: LIMITED.name, password: LIMITED.password, max_connections: LIMITED.max },
  { name: NO_PASSWORD.name, password: NO_PASSWORD.password },
  // Stored the way an operator would: only the hash of one plugin.
  {
    name: NATIVE_ONLY.name,
    native_hash: `*${sha1(sha1(NATIVE_ONLY.password)).toString('hex').toUpperCase()}`,
  },
  { name: SHA2_ONLY.name, sha2_hash: sha256(sha256(SHA2_ONLY.password)).toString('hex') },
  { name: UMLAUT.name, password: UMLAUT.password },
];

let native: ProxyFixture;
let sha2: ProxyFixture;
const open: mysql.Connection[] = [];

async function track(c: Promise<mysql.Connection>): Promise<mysql.Connection> {
  const conn = await c;
  conn.on('error', () => {});
  open.push(conn);
  return conn;
}

beforeAll(async () => {
  native = await startProxyFixture({ options: { users: USERS } });
  sha2 = await startProxyFixture({
    mariadb: native.mariadb,
    options: { users: USERS, auth_plugin: 'caching_sha2_password' },
  });
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.end().catch(() => c.destroy())));
  for (const fx of [native, sha2]) {
    await waitFor(() => fx.proxy.stats().clients.length === 0, { what: 'every client to leave the proxy' });
  }
});

afterAll(async () => {
  await sha2?.stop();
  await native?.stop();
});

const proxies = () =>
  [
    ['mysql_native_password', native],
    ['caching_sha2_password', sha2],
  ] as const;

describe.each(['mysql_native_password', 'caching_sha2_password'])('greeting with %s', (plugin) => {
  const fx = () => proxies().find(([p]) => p === plugin)![1];

  it.each([
    ['a plain password', APP_USER.name, APP_USER.password],
    ['only a native hash', NATIVE_ONLY.name, NATIVE_ONLY.password],
    ['only a caching_sha2 hash', SHA2_ONLY.name, SHA2_ONLY.password],
  ])('mysql2 logs in as a user stored with %s', async (_, user, password) => {
    const c = await track(fx().connect({ user, password }));
    expect((await one(c, 'SELECT 1 AS one')).one).toBe(1);
    expect(
      fx()
        .proxy.stats()
        .clients.map((s) => s.user),
    ).toEqual([user]);
  });

  it('mysql2 with an authPlugins entry for caching_sha2 still logs in (the proxy may switch plugins)', async () => {
    // A custom entry takes mysql2 off its direct path: it answers the greeting with a native
    // scramble, and uses the entry (mysql2's own implementation) only if the proxy asks for it.
    const c = await track(
      fx().connect({
        authPlugins: { caching_sha2_password: (meta) => builtinPlugins.caching_sha2_password({})(meta) },
      }),
    );
    expect((await one(c, 'SELECT 2 AS two')).two).toBe(2);
  });

  it('the mariadb command-line client works through the proxy', async () => {
    const { stdout } = await run('mariadb', [
      '-h127.0.0.1',
      `-P${fx().port}`,
      `-u${APP_USER.name}`,
      `-p${APP_USER.password}`,
      'test',
      '-N',
      '-e',
      'select 1 + 1, database()',
    ]);
    expect(stdout.trim().split('\t')).toEqual(['2', 'test']);
  });

  // libmariadb answers a greeting that names another plugin than its --default-auth with an empty
  // response made for none, and waits to be asked again (MariaDB and MySQL restart the exchange):
  // the proxy checked that empty response and refused the login with 1045.
  it.each([
    ['mysql_native_password', 'a plain password', APP_USER],
    ['caching_sha2_password', 'a plain password', APP_USER],
    ['mysql_native_password', 'only a native hash', NATIVE_ONLY],
    ['caching_sha2_password', 'only a native hash', NATIVE_ONLY],
    ['mysql_native_password', 'only a caching_sha2 hash', SHA2_ONLY],
    ['caching_sha2_password', 'only a caching_sha2 hash', SHA2_ONLY],
  ])('the mariadb client with --default-auth=%s logs in as a user stored with %s', async (auth, _, user) => {
    const { stdout } = await run('mariadb', [
      '-h127.0.0.1',
      `-P${fx().port}`,
      `-u${user.name}`,
      `-p${user.password}`,
      `--default-auth=${auth}`,
      '-N',
      '-e',
      'select 6 * 7',
    ]);
    expect(stdout.trim()).toBe('42');
  });

  // Over plain TCP, a user stored with only a native hash is switched to mysql_native_password:
  // caching_sha2's full authentication would want the password itself, which the mariadb CLI
  // (no RSA key) sent in clear — and was refused all the same.
  it.each([
    ['only a native hash', NATIVE_ONLY],
    ['only a caching_sha2 hash', SHA2_ONLY],
  ])('the mariadb client logs in as a user stored with %s, over plain TCP', async (_, user) => {
    const { stdout } = await run('mariadb', [
      '-h127.0.0.1',
      `-P${fx().port}`,
      `-u${user.name}`,
      `-p${user.password}`,
      '-N',
      '-e',
      'select 6 * 7',
    ]);
    expect(stdout.trim()).toBe('42');
  });

  it('a user with an empty password logs in with the mariadb client and with mysql2', async () => {
    // libmariadb's and libmysqlclient's caching_sha2_password send one NUL byte for an empty
    // password, not an empty response.
    const { stdout } = await run('mariadb', [
      '-h127.0.0.1',
      `-P${fx().port}`,
      `-u${NO_PASSWORD.name}`,
      '-N',
      '-e',
      'select current_user() is not null',
    ]);
    expect(stdout.trim()).toBe('1');
    const c = await track(fx().connect({ user: NO_PASSWORD.name, password: '' }));
    expect((await one(c, 'SELECT 3 AS three')).three).toBe(3);
  });

  it('COM_CHANGE_USER to a user without a password takes the lone NUL libmysqlclient sends', async () => {
    // Logged in as app over a raw socket, then changed to the password-less user the way
    // libmysqlclient's caching_sha2_password does it: one NUL byte of auth data.
    const socket = connect(fx().port, '127.0.0.1');
    const decoder = new PacketDecoder();
    const hs = new ClientHandshake({ user: APP_USER.name, password: APP_USER.password });
    let capabilities = 0;
    const reply = new Promise<Buffer>((resolve, reject) => {
      socket.on('error', reject);
      socket.on('data', (chunk: Buffer) => {
        for (const p of decoder.push(chunk)) {
          if (capabilities !== 0) return resolve(p.payload);
          const step = hs.receive(p.payload, p.sequenceId);
          if (step.kind === 'send') socket.write(step.bytes);
          else if (step.kind === 'done') {
            capabilities = step.session.capabilities;
            const change = buildChangeUser(
              {
                user: NO_PASSWORD.name,
                authData: Buffer.from([0]),
                schema: 'test',
                plugin: 'caching_sha2_password',
              },
              capabilities,
            );
            socket.write(encodeFrames(change, 0));
          } else if (step.kind !== 'wait') reject(new Error(`login failed: ${step.kind}`));
        }
      });
    });
    try {
      const payload = await reply;
      expect(payload[0], payload.toString('latin1')).toBe(0x00); // OK, not ERR 1045
      await waitFor(
        () =>
          fx()
            .proxy.stats()
            .clients.some((c) => c.user === NO_PASSWORD.name),
        {
          what: 'the client to be the new user',
        },
      );
    } finally {
      socket.destroy();
      await once(socket, 'close');
    }
  });

  // A client sends its user name in its own character set, and MariaDB reads it so: a latin1
  // client's 'ü' is the one byte 0xFC, which read as UTF-8 named nobody.
  it.each([
    ['utf8mb4', 'UTF8MB4_GENERAL_CI'],
    ['latin1', 'LATIN1_SWEDISH_CI'],
  ])('a %s client logs in as a user with a non-ASCII name, and changes user to it', async (_, charset) => {
    const c = await track(fx().connect({ user: UMLAUT.name, password: UMLAUT.password, charset }));
    expect((await one(c, 'SELECT 1 AS one')).one).toBe(1);
    expect(
      fx()
        .proxy.stats()
        .clients.map((s) => s.user),
    ).toEqual([UMLAUT.name]);
    const other = await track(fx().connect({ charset }));
    await other.changeUser({ user: UMLAUT.name, password: UMLAUT.password });
    expect((await one(other, 'SELECT 2 AS two')).two).toBe(2);
    expect(
      fx()
        .proxy.stats()
        .clients.map((s) => s.user),
    ).toEqual([UMLAUT.name, UMLAUT.name]);
    const refused = await failure(fx().connect({ user: UMLAUT.name, password: 'wrong', charset }));
    expect(refused.message).toBe(`Access denied for user '${UMLAUT.name}'@'127.0.0.1' (using password: YES)`);
  });

  // mysql2 scrambles a COM_CHANGE_USER for mysql_native_password: a user stored with only the
  // caching_sha2 hash is reached through an auth switch, as at a login.
  it.each([
    ['only a native hash', NATIVE_ONLY],
    ['only a caching_sha2 hash', SHA2_ONLY],
  ])(
    'COM_CHANGE_USER to a user stored with %s authenticates, switching plugin where needed',
    async (_, target) => {
      const c = await track(fx().connect());
      await c.changeUser({ user: target.name, password: target.password });
      expect((await one(c, 'SELECT CURRENT_USER() IS NOT NULL AS ok')).ok).toBe(1);
      expect(
        fx()
          .proxy.stats()
          .clients.map((s) => s.user),
      ).toEqual([target.name]);
    },
  );

  it('the mariadb client with a wrong password fails with 1045', async () => {
    const err = (await run('mariadb', [
      '-h127.0.0.1',
      `-P${fx().port}`,
      `-u${APP_USER.name}`,
      '-pnot-the-password',
      'test',
      '-e',
      'select 1',
    ]).then(
      () => null,
      (e: { code?: number; stderr?: string }) => e,
    )) as { code?: number; stderr?: string } | null;
    expect(err).not.toBeNull();
    expect(err!.code).not.toBe(0);
    expect(err!.stderr).toMatch(/1045/);
    expect(err!.stderr).toMatch(/Access denied for user 'app'/);
  });

  it('a wrong password is refused with 1045 while other clients carry on', async () => {
    const b = await track(fx().connect());
    const failuresBefore = fx().proxy.stats().counters.authFailures;
    const attempts = Array.from({ length: 8 }, (_, i) => failure(fx().connect({ password: `wrong-${i}` })));
    const answers = Array.from({ length: 8 }, (_, i) => one(b, `SELECT ${i} AS i`));
    const errs = await Promise.all(attempts);
    for (const err of errs) {
      expect(err.errno).toBe(1045);
      expect(err.sqlState).toBe('28000');
      expect(err.message).toMatch(/Access denied for user 'app'@'127\.0\.0\.1' \(using password: YES\)/);
    }
    expect((await Promise.all(answers)).map((r) => r.i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(fx().proxy.stats().counters.authFailures).toBe(failuresBefore + 8);
  });

  it('an unknown user and an empty password are refused with 1045', async () => {
    const unknown = await failure(fx().connect({ user: 'nobody', password: 'x' }));
    expect(unknown.errno).toBe(1045);
    const empty = await failure(fx().connect({ password: '' }));
    expect(empty.errno).toBe(1045);
    expect(empty.message).toMatch(/using password: NO/);
  });
});

/**
 * Logs in over a raw socket as `user`; when the proxy asks for an auth switch, runs `between`
 * before answering it. Resolves with the outcome: the ERR's errno, or 0 for a login.
 */
async function loginAcrossSwitch(
  fx: ProxyFixture,
  user: { name: string; password: string },
  between: () => Promise<unknown>,
): Promise<{ errno: number; switched: boolean }> {
  const socket = connect(fx.port, '127.0.0.1');
  const decoder = new PacketDecoder();
  const hs = new ClientHandshake({ user: user.name, password: user.password });
  let switched = false;
  try {
    return await new Promise((resolve, reject) => {
      socket.on('error', reject);
      socket.on('data', async (chunk: Buffer) => {
        for (const p of decoder.push(chunk)) {
          if (p.sequenceId > 0 && p.payload[0] === 0xfe) {
            switched = true;
            socket.pause();
            await between();
            socket.resume();
          }
          const step = hs.receive(p.payload, p.sequenceId);
          if (step.kind === 'send') socket.write(step.bytes);
          else if (step.kind === 'done') resolve({ errno: 0, switched });
          else if (step.kind === 'failed') resolve({ errno: step.error.errno, switched });
        }
      });
    });
  } finally {
    socket.destroy();
  }
}

describe('a reload between the first packet of a login and its last', () => {
  const reloadUsers = (users: unknown[]) =>
    native.kernel.reload({ config: fixtureConfig(native, 2, { users }) });
  afterEach(() => reloadUsers(USERS));

  // The greeting offers mysql_native_password and the user is stored with only the caching_sha2
  // hash: the proxy switches plugin, and the reload lands while the client answers the switch.
  it.each([
    ['removed', USERS.filter((u) => u.name !== SHA2_ONLY.name)],
    [
      'given another password',
      USERS.map((u) => (u.name === SHA2_ONLY.name ? { ...SHA2_ONLY, password: 'new' } : u)),
    ],
  ])('refuses with 1045 a user %s by it; other clients carry on', async (_, users) => {
    const bystander = await track(native.connect());
    const failuresBefore = native.proxy.stats().counters.authFailures;
    const outcome = await loginAcrossSwitch(native, SHA2_ONLY, () => reloadUsers(users));
    expect(outcome).toEqual({ errno: 1045, switched: true });
    expect(native.proxy.stats().counters.authFailures).toBe(failuresBefore + 1);
    expect((await one(bystander, 'SELECT 1 AS one')).one).toBe(1);
  });

  it('lets a user whose password stayed the same log in', async () => {
    const outcome = await loginAcrossSwitch(native, SHA2_ONLY, () =>
      reloadUsers(USERS.map((u) => (u.name === SHA2_ONLY.name ? { ...u, tenant: 'other' } : u))),
    );
    expect(outcome).toEqual({ errno: 0, switched: true });
  });
});

describe('per-user max_connections', () => {
  it('refuses the connection over the limit with 1040 and accepts again once one leaves', async () => {
    const fx = native;
    const login = { user: LIMITED.name, password: LIMITED.password };
    const first = await track(fx.connect(login));
    const second = await track(fx.connect(login));
    const err = await failure(fx.connect(login));
    expect(err.errno).toBe(1040);
    expect(err.message).toMatch(/Too many connections/);
    // Other users are not limited by it.
    const other = await track(fx.connect());
    expect((await one(other, 'SELECT 1 AS one')).one).toBe(1);
    expect((await one(first, 'SELECT 1 AS one')).one).toBe(1);
    await second.end();
    open.splice(open.indexOf(second), 1);
    const third = await waitFor(
      async () => {
        const c = await fx.connect(login);
        c.on('error', () => {});
        return c;
      },
      { what: 'a free connection slot for the limited user' },
    );
    open.push(third);
    expect((await one(third, 'SELECT 3 AS three')).three).toBe(3);
  });
});

describe('an unknown user is refused with 1045', () => {
  it.each([
    ['an empty user name', ''],
    ['a user name of 80 characters', 'x'.repeat(80)],
    // MariaDB reads no more than 128 characters of a user name, and names no more in its text.
    ['a user name of 200 characters', 'y'.repeat(200)],
    ['a non-ASCII user name', 'zé€'],
  ])("%s: the text names it as MariaDB's does", async (_, name) => {
    const refusal = async (port: number) => {
      const err = await failure(rawLogin(port, { name, password: 'pw' }));
      return `${err.errno} ${err.sqlState} ${err.message}`;
    };
    const expected = await refusal(native.mariadb.port);
    expect(expected).toMatch(/^1045 28000 /);
    expect(await refusal(native.port)).toBe(expected);
  });
});

describe('a proxy listening on a Unix socket', () => {
  let unix: ProxyFixture;
  let path: string;
  beforeAll(async () => {
    path = join(mkdtempSync(join(tmpdir(), 'proxy-auth-')), 'proxy.sock');
    unix = await startProxyFixture({
      mariadb: native.mariadb,
      createBackendUser: false,
      options: { listen: path, users: USERS },
    });
  });
  afterAll(() => unix?.stop());

  it('logs a client in, and names a refused one @localhost as MariaDB does over its socket', async () => {
    const c = await track(
      mysql.createConnection({ socketPath: path, user: APP_USER.name, password: APP_USER.password }),
    );
    expect((await one(c, 'SELECT 1 AS one')).one).toBe(1);
    const direct = await failure(
      mysql.createConnection({ socketPath: native.mariadb.socketPath, user: APP_USER.name, password: 'bad' }),
    );
    expect(direct.message).toBe(
      `Access denied for user '${APP_USER.name}'@'localhost' (using password: YES)`,
    );
    const proxied = await failure(
      mysql.createConnection({ socketPath: path, user: APP_USER.name, password: 'bad' }),
    );
    expect(proxied.errno).toBe(1045);
    expect(proxied.message).toBe(direct.message);
  });
});
