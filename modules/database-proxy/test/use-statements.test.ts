/**
 * USE statements, through the proxy and straight at MariaDB. The proxy turns a plain USE into
 * COM_INIT_DB; a name in double quotes (a name under ANSI_QUOTES) went as it stood, quotes and
 * all, and got ER 1049 where MariaDB switches schema — and other malformed names got 1049 where
 * MariaDB answers 1064. Now only bare and backquoted names are taken apart; the server reads the
 * rest. The schema is then checked on the other backend too.
 */
import type mysql from 'mysql2/promise';
import { expect, it } from 'vitest';
import { onAnotherBackend, one } from './support/backends.js';
import { connectAsBackendUser } from './support/proxy-fixture.js';
import { proxyTestFile } from './support/proxy-test-file.js';

const POOL = 2;
const { fx, clients } = proxyTestFile({
  pool: POOL,
  setup: async (direct) => {
    await direct.query('CREATE DATABASE IF NOT EXISTS usedb');
    await direct.query('CREATE DATABASE IF NOT EXISTS `we``ird.db`');
    for (const db of ['123', '1e1', '0x41', '1db', 'select', '_latin1', '_foo'])
      await direct.query(`CREATE DATABASE IF NOT EXISTS \`${db}\``);
  },
});

/** The error number of `use`, or the schema after it. */
async function outcome(c: mysql.Connection, use: string): Promise<{ errno?: number; db?: string }> {
  try {
    await c.query(use);
  } catch (e) {
    return { errno: (e as { errno?: number }).errno };
  }
  return { db: (await one(c, 'SELECT DATABASE() AS db')).db as string };
}

it.each([
  ['', 'USE "usedb"'],
  ['ANSI_QUOTES', 'USE "usedb"'],
  ['', "USE 'usedb'"],
  ['', 'USE usedb.x'],
  ['', 'USE `we``ird.db`'],
  ['', 'USE usedb # comment'],
  // Numbers to the server (ER 1064), and a name led by a digit that is one.
  ['', 'USE 123'],
  ['', 'USE 1e1'],
  ['', 'USE 0x41'],
  ['', 'USE 1db'],
  // Reserved words and character set introducers are no names to the server (ER 1064).
  ['', 'USE select'],
  ['', 'USE _latin1'],
  ['', 'USE _foo'],
])('%s %s: the answer MariaDB gives, and the schema kept on the next backend', async (mode, use) => {
  const setMode = mode === '' ? undefined : `SET sql_mode = CONCAT(@@sql_mode, ',${mode}')`;
  const d = await connectAsBackendUser(fx());
  if (setMode) await d.query(setMode);
  const expected = await outcome(d, use);
  await d.end();

  const c = await clients.client();
  if (setMode) await c.query(setMode);
  expect(await outcome(c, use)).toEqual(expected);
  expect((await onAnotherBackend(fx(), c, POOL, 'SELECT DATABASE() AS db')).db).toBe(expected.db ?? 'test');
});
