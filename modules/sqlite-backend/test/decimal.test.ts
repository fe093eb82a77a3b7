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
