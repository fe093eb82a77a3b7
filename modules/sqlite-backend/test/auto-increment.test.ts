import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Running, startBackend } from './support/start.js';

let backend: Running;
let c: mysql.Connection;

beforeAll(async () => {
  backend = await startBackend();
  c = await backend.connect();
});
afterAll(async () => {
  await c?.end();
  await backend?.stop();
});

async function insertId(sql: string): Promise<number> {
  const [ok] = await c.query<mysql.ResultSetHeader>(sql);
  return ok.insertId;
}

it('never hands out an id again after the row holding the highest id is deleted (MySQL 8: 4, not 3)', async () => {
  await c.query('CREATE TABLE ai_reuse (id INT AUTO_INCREMENT PRIMARY KEY, v INT)');
  await c.query('INSERT INTO ai_reuse (v) VALUES (1), (2), (3)');
  await c.query('DELETE FROM ai_reuse WHERE id = 3');
  expect(await insertId('INSERT INTO ai_reuse (v) VALUES (4)')).toBe(4);
});

it('numbers from the AUTO_INCREMENT=n table option, as in a mysqldump', async () => {
  await c.query(
    'CREATE TABLE ai_start (id INT NOT NULL AUTO_INCREMENT, v INT, PRIMARY KEY (id)) ENGINE=InnoDB AUTO_INCREMENT=100 DEFAULT CHARSET=utf8mb4',
  );
  expect(await insertId('INSERT INTO ai_start (v) VALUES (1)')).toBe(100);
  expect(await insertId('INSERT INTO ai_start (v) VALUES (2)')).toBe(101);
});

it('numbers a column that only a UNIQUE KEY indexes (no primary key) instead of failing with 1048', async () => {
  await c.query('CREATE TABLE ai_unique (id INT NOT NULL AUTO_INCREMENT, v INT, UNIQUE KEY (id))');
  expect(await insertId('INSERT INTO ai_unique (v) VALUES (1)')).toBe(1);
  expect(await insertId('INSERT INTO ai_unique (v) VALUES (2)')).toBe(2);
});

it('keeps another primary key as a unique one: its duplicates are still 1062', async () => {
  await c.query(
    'CREATE TABLE ai_composite (code VARCHAR(5) NOT NULL, id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT, PRIMARY KEY (code, id), KEY (id))',
  );
  expect(await insertId("INSERT INTO ai_composite (code) VALUES ('x')")).toBe(1);
  expect(await insertId("INSERT INTO ai_composite (code) VALUES ('x')")).toBe(2);
  const err = await c
    .query("INSERT INTO ai_composite (code, id) VALUES ('x', 1)")
    .catch((e: { errno: number }) => e);
  expect(err).toMatchObject({ errno: 1062 });
  const [columns] = await c.query<mysql.RowDataPacket[]>('DESCRIBE ai_composite');
  expect(columns.find((r) => r.Field === 'id')).toMatchObject({ Key: 'PRI', Extra: 'auto_increment' });
});

it('AUTO_INCREMENT=n beyond SQLite’s ids (even beyond 2^64, as MariaDB accepts) starts at 2^63 - 1: the table is made, ids end there (1114)', async () => {
  await c.query(
    'CREATE TABLE ai_huge (id INT AUTO_INCREMENT PRIMARY KEY, v INT) AUTO_INCREMENT=99999999999999999999',
  );
  await c.query('INSERT INTO ai_huge (v) VALUES (1)');
  const [rows] = await c.query<mysql.RowDataPacket[]>({
    sql: 'SELECT id FROM ai_huge',
    supportBigNumbers: true,
    bigNumberStrings: true,
  } as mysql.QueryOptions);
  expect(rows).toEqual([{ id: '9223372036854775807' }]);
  await expect(c.query('INSERT INTO ai_huge (v) VALUES (2)')).rejects.toMatchObject({ errno: 1114 });
});
