import { waitFor } from '@scalestack/test-harness';
import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Running, startBackend } from './support/start.js';

let backend: Running;
let observer: mysql.Connection;

beforeAll(async () => {
  backend = await startBackend();
  observer = await backend.connect({ multipleStatements: true });
  await observer.query('CREATE TABLE perm (v INT)');
});
afterAll(async () => {
  await observer?.end();
  await backend?.stop();
});

async function temporaryObjects(conn: mysql.Connection = observer): Promise<string[]> {
  const [rows] = await conn.query<mysql.RowDataPacket[]>(
    'SELECT type, name FROM temp.sqlite_master ORDER BY type, name',
  );
  return rows.map((r) => `${r.type} ${r.name}`);
}

async function errorOf(p: Promise<unknown>): Promise<{ errno: number; message: string }> {
  try {
    await p;
  } catch (err) {
    return err as { errno: number; message: string };
  }
  throw new Error('expected the statement to fail');
}

/** Creates a temporary table, view and trigger (on a permanent table), and a table with an awkward name. */
async function createTemporaries(conn: mysql.Connection): Promise<void> {
  await conn.query('CREATE TEMPORARY TABLE tmp (a INT)');
  await conn.query('CREATE INDEX tmp_a ON tmp (a)');
  await conn.query('CREATE TEMPORARY VIEW tmp_view AS SELECT a FROM tmp');
  await conn.query(
    'CREATE TEMP TRIGGER tmp_trigger AFTER INSERT ON perm BEGIN INSERT INTO tmp VALUES (NEW.v); END',
  );
  await conn.query('CREATE TABLE temp.`odd "name` (x INT)');
  expect(await temporaryObjects(conn)).toEqual([
    'index tmp_a',
    'table odd "name',
    'table tmp',
    'trigger tmp_trigger',
    'view tmp_view',
  ]);
}

describe('temporary tables, views and triggers', () => {
  it.each([
    ['a disconnect (COM_QUIT)', (conn: mysql.Connection) => conn.end()],
    ['a closed socket', async (conn: mysql.Connection) => conn.destroy()],
    ['KILL', (conn: mysql.Connection) => observer.query(`KILL ${conn.threadId}`)],
  ])('are dropped when the session that created them ends by %s', async (_, ending) => {
    const creator = await backend.connect();
    creator.on('error', () => {});
    await createTemporaries(creator);
    await ending(creator);
    await waitFor(async () => (await temporaryObjects()).length === 0, {
      what: "the creator's temporary objects to be dropped",
    });
    // The names are free again.
    await observer.query('CREATE TEMPORARY TABLE tmp (b INT); DROP TEMPORARY TABLE tmp');
  });

  it.each([
    ['COM_RESET_CONNECTION', (conn: mysql.Connection) => conn.reset()],
    ['COM_CHANGE_USER', (conn: mysql.Connection) => conn.changeUser({ user: 'root', password: '' })],
  ])('are dropped by %s', async (_, resetting) => {
    const conn = await backend.connect();
    try {
      await createTemporaries(conn);
      await resetting(conn);
      expect(await temporaryObjects(conn)).toEqual([]);
      await conn.query('CREATE TEMPORARY TABLE tmp (b INT)');
    } finally {
      await conn.end();
    }
    expect(await temporaryObjects()).toEqual([]);
  });

  it("are dropped after another session's transaction, not inside it (its ROLLBACK would bring them back)", async () => {
    const holder = await backend.connect({ multipleStatements: true });
    const creator = await backend.connect();
    try {
      await creator.query('CREATE TEMPORARY TABLE tmp (a INT)');
      await holder.query('BEGIN; INSERT INTO perm VALUES (1)');
      const before = backend.metric('sqlite_backend_connections');
      await creator.end();
      await waitFor(() => backend.metric('sqlite_backend_connections') === before - 1, {
        what: 'the creator to be gone',
      });
      expect(await temporaryObjects(holder)).toEqual(['table tmp']);
      await holder.query('ROLLBACK');
      expect(await temporaryObjects(holder)).toEqual([]);
      const [rows] = await holder.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n FROM perm');
      expect(rows[0]!.n).toBe(0);
    } finally {
      await holder.end();
    }
  });

  it('that another session created again under the same name in the meantime are not dropped', async () => {
    const holder = await backend.connect({ multipleStatements: true });
    const creator = await backend.connect({ multipleStatements: true });
    try {
      await creator.query('CREATE TEMPORARY TABLE tmp (a INT)');
      // Created in a transaction that rolled back: the name is free for someone else.
      await creator.query('BEGIN; CREATE TEMPORARY TABLE rolled (a INT); ROLLBACK');
      await holder.query('BEGIN; CREATE TEMPORARY TABLE rolled (h INT)');
      const before = backend.metric('sqlite_backend_connections');
      await creator.end();
      await waitFor(() => backend.metric('sqlite_backend_connections') === before - 1, {
        what: 'the creator to be gone',
      });
      await holder.query('DROP TEMPORARY TABLE tmp; CREATE TEMPORARY TABLE tmp (h INT); COMMIT');
      await holder.query('INSERT INTO tmp VALUES (7); INSERT INTO rolled VALUES (8)');
      const [rows] = await holder.query<mysql.RowDataPacket[][]>('SELECT h FROM tmp; SELECT h FROM rolled');
      expect(rows).toEqual([[{ h: 7 }], [{ h: 8 }]]);
    } finally {
      await holder.end();
    }
    expect(await temporaryObjects()).toEqual([]);
  });

  it('DROP TEMPORARY TABLE drops only a temporary table', async () => {
    await observer.query('CREATE TABLE keep (x INT)');
    expect(await errorOf(observer.query('DROP TEMPORARY TABLE keep'))).toMatchObject({ errno: 1146 });
    await observer.query('DROP TEMPORARY TABLE IF EXISTS keep');
    await observer.query('CREATE TEMPORARY TABLE keep (y INT)');
    await observer.query('DROP TEMPORARY TABLE main.keep');
    const [rows] = await observer.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n FROM keep');
    expect(rows[0]!.n).toBe(0);
    expect(await temporaryObjects()).toEqual([]);
  });
});
