/**
 * The bytes of error messages that quote a non-ASCII name, through the proxy and from MariaDB:
 * MariaDB writes a login's refusal in the client's character set, a COM_CHANGE_USER refusal in
 * UTF-8, and a statement's error in character_set_results. The proxy re-encoded a server error
 * it passed on after a failed re-prepare as UTF-8 (a latin1 client read `caf\uFFFD`) and worded
 * every refusal of its own in UTF-8.
 */
import { buildExecute, buildPrepare, COM_QUERY } from '@scalestack/mysql-protocol';
import { expect, it } from 'vitest';
import type { RawClient, RawResponse } from '../../../packages/mysql-protocol/test/support/raw-client.js';
import { proxyTestFile } from './support/proxy-test-file.js';
import { rawBackendOf, rawChangeUser, rawHoldBackend, rawLogin, rawSide } from './support/raw-login.js';

const POOL = 2;
const { fx } = proxyTestFile({
  pool: POOL,
  setup: (direct) => direct.query('CREATE DATABASE IF NOT EXISTS `café`').then(() => undefined),
});

type Side = 'proxy' | 'direct';
const query = (c: RawClient, sql: string, encoding: BufferEncoding) =>
  c.command(Buffer.concat([Buffer.from([COM_QUERY]), Buffer.from(sql, encoding)]));
/** The message bytes of the ERR a response ended in (after header, errno and SQL state). */
const messageOf = (r: RawResponse) =>
  r.error ? r.packets.at(-1)!.payload.subarray(9) : Buffer.from('no error');

it.each([
  [8, 'latin1', '', 'latin1'],
  [45, 'utf8', '', 'utf8'],
  [45, 'utf8', 'SET character_set_results = latin1', 'latin1'],
  [8, 'latin1', 'SET character_set_results = utf8mb4', 'utf8'],
] as const)(
  "login %i (%s) %s: an execute whose table is gone, re-prepared on another backend, errs in MariaDB's bytes",
  async (charset, encoding, set, results) => {
    const seen = async (side: Side) => {
      const direct = await fx().direct();
      await direct.query('CREATE TABLE IF NOT EXISTS `café`.`tü` (x INT)');
      const c = await rawSide(fx(), side, charset);
      try {
        expect((await query(c, 'USE `café`', encoding)).error).toBeUndefined();
        if (set !== '') expect((await query(c, set, encoding)).error).toBeUndefined();
        const prepared = await c.command(
          Buffer.concat([buildPrepare(''), Buffer.from('SELECT x FROM `tü`', encoding)]),
        );
        expect(prepared.error).toBeUndefined();
        await direct.query('DROP TABLE `café`.`tü`');
        const execute = () =>
          c.command(buildExecute({ statementId: prepared.prepared!.statementId, params: [] }));
        if (side === 'direct') return messageOf(await execute());
        const held = await rawHoldBackend(fx(), await rawBackendOf(c), charset, POOL);
        try {
          return messageOf(await execute());
        } finally {
          await held.close();
        }
      } finally {
        await c.close();
        await direct.end();
      }
    };
    const expected = await seen('direct');
    expect(expected.toString(results)).toMatch(/Table 'café.tü' doesn't exist/);
    expect((await seen('proxy')).toString('hex')).toBe(expected.toString('hex'));
  },
);

it.each([
  [45, 8],
  [8, 45],
])(
  'login %i, COM_CHANGE_USER in %i to an unknown üser: refused in the bytes MariaDB writes',
  async (login, charset) => {
    const seen = async (side: Side) => {
      const c = await rawSide(fx(), side, login);
      try {
        return messageOf(await rawChangeUser(c, { name: 'üser', password: 'x' }, { charset }));
      } finally {
        await c.close().catch(() => {});
      }
    };
    // Up to the host, which differs (the proxy's client address, MariaDB's own).
    const upToHost = (b: Buffer) => b.subarray(0, b.indexOf('@')).toString('hex');
    const expected = await seen('direct');
    expect(expected.toString('utf8')).toMatch(/^Access denied for user 'üser'@/);
    expect(upToHost(await seen('proxy'))).toBe(upToHost(expected));
  },
);

it.each([8, 45])(
  'a login in %i as an unknown üser is refused in the bytes MariaDB writes',
  async (charset) => {
    const refusal = async (port: number) => {
      try {
        await (await rawLogin(port, { name: 'üser', password: 'x' }, { charset })).close();
        return 'logged in';
      } catch (e) {
        return (e as Error).message.replace(/@'[^']*'/, '@host');
      }
    };
    const expected = await refusal(fx().mariadb.port);
    expect(expected).toMatch(/Access denied/);
    expect(await refusal(fx().port)).toBe(expected);
  },
);
