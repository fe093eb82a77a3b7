import { type SelfSignedCert, selfSignedCert } from '@scalestack/test-harness';
import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Running, startBackend } from './support/start.js';

let cert: SelfSignedCert;
const users = [
  { name: 'root', password: '' },
  { name: 'app', password: 's3cret' },
];

beforeAll(async () => {
  cert = await selfSignedCert();
});

async function loginWorks(conn: mysql.Connection): Promise<string> {
  const [rows] = await conn.query<mysql.RowDataPacket[]>('SELECT USER() AS u');
  await conn.end();
  return rows[0]!.u as string;
}

for (const plugin of ['caching_sha2_password', 'mysql_native_password'] as const) {
  describe(`greeting with ${plugin}`, () => {
    let b: Running;
    beforeAll(async () => {
      b = await startBackend({ users, auth_plugin: plugin, tls: { key: cert.keyPath, cert: cert.certPath } });
    });
    afterAll(() => b?.stop());

    it('logs in users with and without a password, over plain TCP and TLS', async () => {
      expect(await loginWorks(await b.connect({ user: 'app', password: 's3cret' }))).toBe('app@localhost');
      expect(await loginWorks(await b.connect())).toBe('root@localhost');
      const tls = await b.connect({ user: 'app', password: 's3cret', ssl: { ca: cert.cert } });
      const [rows] = await tls.query<mysql.RowDataPacket[]>("SHOW VARIABLES LIKE 'have_ssl'");
      expect(rows).toEqual([{ Variable_name: 'have_ssl', Value: 'YES' }]);
      expect(await loginWorks(tls)).toBe('app@localhost');
      const label = plugin === 'mysql_native_password' ? 'mysql_native_password' : 'caching_sha2_password';
      expect(b.metric('sqlite_backend_logins_total', { plugin: label })).toBeGreaterThanOrEqual(2);
    });

    it('refuses a wrong password or an unknown user with 1045', async () => {
      for (const options of [
        { user: 'app', password: 'wrong' },
        { user: 'app', password: '' },
        { user: 'nobody', password: 'x' },
        { user: 'app', password: 'wrong', ssl: { ca: cert.cert } },
      ]) {
        const err = await b.connect(options).then(
          () => undefined,
          (e: { errno: number; sqlState: string; message: string }) => e,
        );
        expect(err).toMatchObject({ errno: 1045, sqlState: '28000' });
        expect(err!.message).toMatch(
          /^Access denied for user '(app|nobody)'@'localhost' \(using password: (YES|NO)\)$/,
        );
      }
      // The server is unharmed.
      expect(await loginWorks(await b.connect({ user: 'app', password: 's3cret' }))).toBe('app@localhost');
    });
  });
}

it('names the option when a TLS file cannot be read', async () => {
  await expect(startBackend({ tls: { key: '/nonexistent/key.pem', cert: cert.certPath } })).rejects.toThrow(
    /module "sqlite-backend", option "tls.key": cannot read "\/nonexistent\/key.pem" \(ENOENT\)/,
  );
});

it('rejects bad option values before starting', async () => {
  await expect(startBackend({ auth_plugin: 'sha256_password' })).rejects.toThrow(/auth_plugin/);
  await expect(startBackend({ users: [{ name: '' }] })).rejects.toThrow(/users/);
});
