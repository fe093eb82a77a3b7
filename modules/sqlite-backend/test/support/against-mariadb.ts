import { type MariaDB, startMariaDB } from '@scalestack/test-harness';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, expect } from 'vitest';
import { type Running, startBackend } from './start.js';

/** A live MariaDB and the backend side by side, each with one connection that reads values as text. */
export interface SideBySide {
  /** The connection to MariaDB (database `test`, time zone UTC as the backend's clock). */
  server(): mysql.Connection;
  /** The connection to the backend (database `main`). */
  ours(): mysql.Connection;
}

/** Every value as the string on the wire (NULL as null), so types cannot hide a difference. */
const asText: mysql.ConnectionOptions['typeCast'] = (field) => field.string('utf8');

/** Starts both in the file's beforeAll and stops them in its afterAll. */
export function sideBySide(): SideBySide {
  let mariadb: MariaDB | undefined;
  let backend: Running | undefined;
  let server: mysql.Connection | undefined;
  let ours: mysql.Connection | undefined;
  beforeAll(async () => {
    [mariadb, backend] = await Promise.all([startMariaDB(), startBackend()]);
    server = await mysql.createConnection({
      host: mariadb.host,
      port: mariadb.port,
      user: mariadb.user,
      password: mariadb.password,
      database: mariadb.database,
      typeCast: asText,
      timezone: 'Z',
    });
    await server.query("SET time_zone = '+00:00'");
    ours = await backend.connect({ typeCast: asText });
  }, 120_000);
  afterAll(async () => {
    await Promise.all([server?.end(), ours?.end()]);
    await Promise.all([mariadb?.stop(), backend?.stop()]);
  });
  const started = (c: mysql.Connection | undefined) => {
    if (c === undefined) throw new Error('both servers start in beforeAll');
    return c;
  };
  return { server: () => started(server), ours: () => started(ours) };
}

/**
 * A statement's rows (as arrays) and column names, `{ affectedRows }` for one that returns none,
 * or `ERR <errno>` (a failure without a server's error code is thrown).
 */
export async function answer(c: mysql.Connection, sql: string): Promise<unknown> {
  let result: [unknown, mysql.FieldPacket[] | undefined];
  try {
    result = (await c.query({ sql, rowsAsArray: true })) as [unknown, mysql.FieldPacket[] | undefined];
  } catch (err) {
    const errno = (err as { errno?: number }).errno;
    if (errno === undefined) throw err;
    return `ERR ${errno}`;
  }
  const [rows, fields] = result;
  if (fields === undefined) return { affectedRows: (rows as mysql.ResultSetHeader).affectedRows };
  return { rows, names: fields.map((f) => f.name) };
}

/**
 * Runs `sql` on both and expects the same answer, rows in the servers' own order; the statement
 * goes into the comparison, so a failure names it. Returns the backend's answer.
 */
export async function sameAnswer(both: SideBySide, sql: string): Promise<unknown> {
  const [theirs, mine] = await Promise.all([answer(both.server(), sql), answer(both.ours(), sql)]);
  expect({ sql, answer: mine }).toEqual({ sql, answer: theirs });
  return mine;
}

/** An answer's rows in a fixed order of their own (JSON order); other answers as they are. */
export function inOrder(a: unknown): unknown {
  if (typeof a === 'string' || !('rows' in (a as object))) return a;
  const r = a as { rows: unknown[][]; names: string[] };
  return { ...r, rows: [...r.rows].sort((x, y) => (JSON.stringify(x) < JSON.stringify(y) ? -1 : 1)) };
}

/**
 * Runs `sql` on both and expects the same answer; rows compared in an order of their own, since
 * an ORDER BY on names follows each server's collation (MariaDB's ignores case and sorts `_`
 * after letters, SQLite's compares bytes). Returns the backend's answer, rows in that order.
 */
export async function sameOnBoth(
  both: SideBySide,
  sql: string,
): Promise<{ rows: unknown[][]; names: string[] }> {
  const [theirs, mine] = await Promise.all([answer(both.server(), sql), answer(both.ours(), sql)]);
  expect(inOrder(mine)).toEqual(inOrder(theirs));
  return inOrder(mine) as { rows: unknown[][]; names: string[] };
}
