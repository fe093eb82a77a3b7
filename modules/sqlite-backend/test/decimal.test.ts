import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Running, startBackend } from './support/start.js';

let backend: Running;
let c: mysql.Connection;

beforeAll(async () => {
  backend = await startBackend();
  c = await backend.connect();
  await c.query('CREATE TABLE prices (p DECIMAL(10,2), whole DECIMAL(5))');
  await c.query('INSERT INTO prices VALUES (12.30, 5.5), (5, 2), (NULL, NULL)');
});
afterAll(async () => {
  await c?.end();
  await backend?.stop();
});

it('DECIMAL(p,s) values keep their scale as MySQL sends them ("12.30", "5.00", not "12.3", "5")', async () => {
  const [rows] = await c.query<mysql.RowDataPacket[]>('SELECT p, whole FROM prices ORDER BY p DESC');
  expect(rows).toEqual([
    { p: '12.30', whole: '6' },
    { p: '5.00', whole: '2' },
    { p: null, whole: null },
  ]);
});

it('prepared statements (binary rows) send the same text', async () => {
  const [rows] = await c.execute<mysql.RowDataPacket[]>('SELECT p FROM prices WHERE p > ? ORDER BY p', [1]);
  expect(rows).toEqual([{ p: '5.00' }, { p: '12.30' }]);
});

it('refuses DECIMAL beyond MySQL’s bounds at CREATE and ALTER (1425 scale > 30, 1426 precision > 65, 1427 scale > precision)', async () => {
  const cases: [string, number][] = [
    ['CREATE TABLE d1 (x DECIMAL(10,100000000))', 1425],
    ['CREATE TABLE d1 (x DECIMAL(65,31))', 1425],
    ['CREATE TABLE d1 (x NUMERIC(66,2))', 1426],
    ['CREATE TEMPORARY TABLE d1 (x DEC(5,6))', 1427],
    ['ALTER TABLE prices ADD COLUMN y DECIMAL(40,31)', 1425],
  ];
  for (const [sql, errno] of cases)
    await expect(c.query(sql), sql).rejects.toMatchObject({ errno, sqlState: '42000' });
  const [tables] = await c.query<mysql.RowDataPacket[]>("SELECT name FROM sqlite_master WHERE name = 'd1'");
  expect(tables).toEqual([]);
  await c.query('CREATE TABLE d2 (x DECIMAL(65,30))');
  await c.query('INSERT INTO d2 VALUES (1)');
  const [rows] = await c.query<mysql.RowDataPacket[]>('SELECT x FROM d2');
  expect(rows).toEqual([{ x: `1.${'0'.repeat(30)}` }]);
});
