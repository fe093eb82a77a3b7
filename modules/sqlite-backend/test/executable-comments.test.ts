import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Running, startBackend } from './support/start.js';

let backend: Running;
let c: mysql.Connection;

beforeAll(async () => {
  backend = await startBackend();
  c = await backend.connect({ multipleStatements: true });
});
afterAll(async () => {
  await c?.end();
  await backend?.stop();
});

async function outcome(sql: string): Promise<unknown> {
  try {
    const [rows] = await c.query({ sql, rowsAsArray: true });
    return rows;
  } catch (err) {
    return `ERR ${(err as { errno: number }).errno}`;
  }
}

// What MariaDB 10.11 answers to each (as compared with a live server by the review that found the
// differences): an executable comment it cannot read is a syntax error, never run.
const MARIADB: [string, unknown][] = [
  ['SELECT 1 /*! + 1 */', [[2]]],
  ['SELECT 1 /*!40101 + 1 */', [[2]]],
  ['SELECT 1 /*! + 1', 'ERR 1064'],
  ['SELECT 1 /*!40101 + 1', 'ERR 1064'],
  ['SELECT 1 /*!1 + 1 */', 'ERR 1064'],
  ['SELECT 1 /*!123 + 1 */', 'ERR 1064'],
  ['SELECT 1 /*M!1 + 1 */', 'ERR 1064'],
  ['SELECT 1 /*!40101 + 1 /* inner */ + 1 */', [[3]]],
  ["SELECT 1 /*!40101 + length('*/') */", [[3]]],
  ['SELECT 1 /*!40101 + 1 -- c */ + 1\n', 'ERR 1064'],
  ['SELECT 1 /*!40101 + 1 # c */ + 1\n', 'ERR 1064'],
  ['SELECT 1 /*M!40101 + 1 */', [[2]]],
  ['SELECT 1 /*M! + 1 */', [[2]]],
  ['SELECT 1 /*!40101 /*!40101 + 1 */ + 1 */', 'ERR 1064'],
  ['SELECT 1 /*!1234567 + 1 */', [[1]]],
  ['SELECT 1 /*!12345 + 1 */', [[2]]],
];

for (const [sql, want] of MARIADB) {
  it(`as MariaDB: ${JSON.stringify(sql)}`, async () => {
    expect(await outcome(sql)).toEqual(want);
  });
}

it('versions up to 80036 run, later ones do not; a string holding one is a string', async () => {
  expect(await outcome('SELECT 1 /*!80036 + 1 */')).toEqual([[2]]);
  expect(await outcome('SELECT 1 /*!80037 + 1 */')).toEqual([[1]]);
  expect(await outcome('SELECT 1 /*!99999 + 1 */')).toEqual([[1]]);
  expect(await outcome('SELECT 1 /*!100000 + 1 */')).toEqual([[1]]);
  expect(await outcome("SELECT '/*!40101 x */' AS s")).toEqual([['/*!40101 x */']]);
  expect(await outcome('SELECT 1 /*!80037 ; DROP TABLE nope */')).toEqual([[1]]);
});

it('an unterminated executable comment runs nothing of its statement, and is 1064 when prepared too', async () => {
  await c.query('CREATE TABLE kept (x INT)');
  expect(await outcome('SELECT 1; DROP TABLE kept /*!40101 , nothing')).toBe('ERR 1064');
  expect(await outcome('SELECT count(*) FROM kept')).toEqual([[0]]);
  await expect(c.prepare('SELECT 1 /*! + 1')).rejects.toMatchObject({ errno: 1064 });
});
