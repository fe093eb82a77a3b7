/**
 * COM_STMT_BULK_EXECUTE through the proxy: the mariadb connector's `batch()` sends every row in
 * one command when the greeting offers MariaDB's bulk operations, and the proxy offers them when
 * every server does. Without it the connector sent one execute a row, each a round trip through
 * the proxy (10,000 rows: 1.1 s against 0.04 s direct). A bulk execute maps its statement id like
 * an execute, is re-prepared on a backend that lacks the statement, and is answered as MariaDB
 * answers it where it is wrong (short, an unknown id, not negotiated).
 */
import {
  buildPrepare,
  COM_STMT_BULK_EXECUTE,
  MARIADB_CLIENT_STMT_BULK_OPERATIONS,
} from '@scalestack/mysql-protocol';
import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RawClient } from '../../../packages/mysql-protocol/test/support/raw-client.js';
import { type Row, rows } from './support/backends.js';
import { connectorClients } from './support/mariadb-connector.js';
import { APP_USER, BACKEND_USER, type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { rawBackendOf, rawHoldBackend, rawLogin, rawResult } from './support/raw-login.js';

const POOL = 2;
let fx: ProxyFixture;
let direct: mysql.Connection;
const clients = connectorClients(() => fx);
const connector = () => clients.open();

beforeAll(async () => {
  fx = await startProxyFixture({ pool: POOL });
  direct = await fx.direct();
  await direct.query(
    'CREATE TABLE test.bulk_rows (id INT PRIMARY KEY, n BIGINT UNSIGNED, s VARCHAR(40), d DATE, f DOUBLE)',
  );
});

afterAll(async () => {
  await clients.closeAll();
  await direct?.query('DROP TABLE IF EXISTS test.bulk_rows');
  await direct?.end();
  await fx?.stop();
});

/** The rows of test.bulk_rows as MariaDB has them, read straight from it. */
async function stored(): Promise<Row[]> {
  return rows(direct, 'SELECT id, n, s, DATE_FORMAT(d, "%Y-%m-%d") AS d, f FROM test.bulk_rows ORDER BY id');
}

/** Rows of test.bulk_rows; with `nulls`, some values are NULL. */
const sample = (from: number, count: number, nulls = false) =>
  Array.from({ length: count }, (_, i) => {
    const id = from + i;
    return [
      id,
      nulls && id % 7 === 0 ? null : 2 ** 40 + id,
      nulls && id % 5 === 0 ? null : `räte ${id} ✓`,
      `2026-12-${String((id % 28) + 1).padStart(2, '0')}`,
      id + 0.25, // never whole: the connector would send a whole one as an integer, a new bulk
    ];
  });

/** What test.bulk_rows holds after `values` went in (as mysql2 reads it). */
const asStored = (values: unknown[][]) => values.map(([id, n, s, d, f]) => ({ id, n, s, d, f }));

/** Prepares the INSERT into bulk_rows on `c`: its statement id, as a command carries it. */
async function insertId(c: RawClient): Promise<Buffer> {
  const prepared = await c.command(buildPrepare('INSERT INTO test.bulk_rows (id, s) VALUES (?, ?)'));
  const id = Buffer.alloc(4);
  id.writeUInt32LE(prepared.prepared!.statementId);
  return id;
}

describe("the mariadb connector's batch()", () => {
  it('runs as one bulk execute: one OK for every row, the rows as sent', async () => {
    await direct.query('DELETE FROM test.bulk_rows');
    const c = await connector();
    const values = sample(1, 500, true);
    const res = await c.batch('INSERT INTO bulk_rows VALUES (?, ?, ?, ?, ?)', values);
    // One answer: without bulk execute the connector gets (and returns) one a row.
    if (Array.isArray(res)) throw new Error(`${res.length} answers for one batch`);
    expect(res.affectedRows).toBe(500);
    expect(await stored()).toEqual(asStored(values));
  });

  it('that fails (a duplicate key) gets the server ERR, applies no row, and the connection goes on', async () => {
    await direct.query('DELETE FROM test.bulk_rows');
    const c = await connector();
    const other = await connector();
    const err = await c
      .batch('INSERT INTO bulk_rows VALUES (?, ?, ?, ?, ?)', [...sample(1, 3), ...sample(2, 1)])
      .then(
        () => undefined,
        (e: { errno: number }) => e,
      );
    expect(err?.errno).toBe(1062);
    expect(await stored()).toEqual([]);
    expect((await c.query('SELECT 5 AS v'))[0].v).toBe(5);
    expect((await other.query('SELECT 6 AS v'))[0].v).toBe(6);
  });

  it('inside a transaction is rolled back with it', async () => {
    await direct.query('DELETE FROM test.bulk_rows');
    const c = await connector();
    await c.beginTransaction();
    await c.batch('INSERT INTO bulk_rows VALUES (?, ?, ?, ?, ?)', sample(1, 50));
    expect((await c.query('SELECT COUNT(*) AS n FROM bulk_rows'))[0].n).toBe(50);
    await c.rollback();
    expect(await stored()).toEqual([]);
  });
});

describe('COM_STMT_BULK_EXECUTE as bytes, answered as MariaDB answers it', () => {
  /**
   * The errno and message (or `ok <affected rows>`) for each payload built from a fresh
   * statement, then how many rows the table holds.
   */
  async function answers(port: number, user: { name: string; password: string }, bulk: boolean) {
    const c: RawClient = await rawLogin(
      port,
      user,
      bulk ? { mariadbCapabilities: MARIADB_CLIENT_STMT_BULK_OPERATIONS } : {},
    );
    try {
      await c.query('DELETE FROM test.bulk_rows');
      const id = await insertId(c);
      const payloads = [
        Buffer.from([COM_STMT_BULK_EXECUTE, 0x3f, 0x42, 0x0f, 0x00, 0x80, 0x00]), // an id nobody prepared
        Buffer.concat([Buffer.of(COM_STMT_BULK_EXECUTE), id]), // no flags
        Buffer.concat([Buffer.of(COM_STMT_BULK_EXECUTE), id, Buffer.from([0x80])]), // half the flags
        // INT and VARCHAR; rows (7, NULL) and (8, 'x')
        Buffer.concat([
          Buffer.of(COM_STMT_BULK_EXECUTE),
          id,
          Buffer.from([0x80, 0, 3, 0, 0xfd, 0, 0, 7, 0, 0, 0, 1, 0, 8, 0, 0, 0, 0, 1, 0x78]),
        ]),
        // No type block: the types bound by the bulk before; row (9, NULL)
        Buffer.concat([Buffer.of(COM_STMT_BULK_EXECUTE), id, Buffer.from([0, 0, 0, 9, 0, 0, 0, 1])]),
      ];
      const seen: string[] = [];
      for (const p of payloads) {
        const r = await c.command(p);
        seen.push(r.error ? `${r.error.errno} ${r.error.message}` : `ok ${r.affectedRows}`);
      }
      const count = await rawResult(c, 'SELECT COUNT(*) FROM test.bulk_rows');
      seen.push(typeof count === 'string' ? count : `rows stored: ${count.rows[0]![0]}`);
      return seen;
    } finally {
      await c.close();
    }
  }

  /** The same through the proxy; its malformed-packet refusal says more (the same code). */
  async function proxiedAnswers(bulk: boolean) {
    return (await answers(fx.port, APP_USER, bulk)).map((a) =>
      a.replace(/^1835 Malformed communication packet: .*/, '1835 Malformed communication packet'),
    );
  }

  it('negotiated: an unknown id, short ones and rows with and without types', async () => {
    const reference = await answers(fx.mariadb.port, BACKEND_USER, true);
    expect(reference).toEqual([
      '1243 Unknown prepared statement handler (999999) given to mysqld_stmt_execute',
      '1835 Malformed communication packet',
      '1835 Malformed communication packet',
      'ok 2',
      'ok 1',
      'rows stored: 3',
    ]);
    expect(await proxiedAnswers(true)).toEqual(reference);
    expect(await rows(direct, 'SELECT id, s FROM test.bulk_rows ORDER BY id')).toEqual([
      { id: 7, s: null },
      { id: 8, s: 'x' },
      { id: 9, s: null },
    ]);
  });

  it('re-prepared on a backend that lacks the statement: rows as on the first', async () => {
    await direct.query('DELETE FROM test.bulk_rows');
    const utf8mb4 = 45;
    const first = await rawHoldBackend(fx, '', utf8mb4, POOL, { other: true });
    const firstId = await rawBackendOf(first);
    const c = await rawLogin(fx.port, APP_USER, {
      charset: utf8mb4,
      mariadbCapabilities: MARIADB_CLIENT_STMT_BULK_OPERATIONS,
    });
    try {
      // Prepared, and run once, on the backend the holder leaves free…
      const id = await insertId(c);
      const bulk = (rowId: number, typed: boolean) =>
        Buffer.concat([
          Buffer.of(COM_STMT_BULK_EXECUTE),
          id,
          typed ? Buffer.from([0x80, 0, 3, 0, 0xfd, 0]) : Buffer.from([0, 0]),
          Buffer.from([0, rowId, 0, 0, 0, 0, 2]),
          Buffer.from(`r${rowId}`),
        ]);
      expect((await c.command(bulk(1, true))).affectedRows).toBe(1);
      await first.close();
      // …which is then held: the next one runs on the first holder's, which lacks the statement
      // and the types bound with it (the proxy writes them in).
      const second = await rawHoldBackend(fx, firstId, utf8mb4, POOL, { other: true });
      try {
        const reprepares = fx.proxy.stats().counters.reprepares;
        const r = await c.command(bulk(2, false));
        expect([r.error?.message, r.affectedRows]).toEqual([undefined, 1]);
        expect(fx.proxy.stats().counters.reprepares).toBe(reprepares + 1);
      } finally {
        await second.close();
      }
    } finally {
      await c.close();
    }
    expect(await rows(direct, 'SELECT id, s FROM test.bulk_rows ORDER BY id')).toEqual([
      { id: 1, s: 'r1' },
      { id: 2, s: 'r2' },
    ]);
  });

  it('not negotiated at login: refused with 1295 whatever the id, short ones still malformed', async () => {
    const reference = await answers(fx.mariadb.port, BACKEND_USER, false);
    expect(reference).toEqual([
      '1295 This command is not supported in the prepared statement protocol yet',
      '1835 Malformed communication packet',
      '1835 Malformed communication packet',
      '1295 This command is not supported in the prepared statement protocol yet',
      '1295 This command is not supported in the prepared statement protocol yet',
      'rows stored: 0',
    ]);
    expect(await proxiedAnswers(false)).toEqual(reference);
  });
});
