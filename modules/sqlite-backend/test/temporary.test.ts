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

async function errorOf(p: Promise<unknown>): Promise<{ errno: number; sqlState: string; message: string }> {
  try {
    await p;
  } catch (err) {
    return err as { errno: number; sqlState: string; message: string };
  }
  throw new Error('expected the statement to fail');
}

/** Ends `conn` and waits until the server saw it go (what it owned is dropped by then, or waits). */
async function disconnect(conn: mysql.Connection): Promise<void> {
  const before = backend.metric('sqlite_backend_connections');
  await conn.end();
  await waitFor(() => backend.metric('sqlite_backend_connections') === before - 1, {
    what: 'the connection to be gone',
  });
}

async function noTemporaryObjectsLeft(): Promise<void> {
  await waitFor(async () => (await temporaryObjects()).length === 0, { what: 'the temp schema to be empty' });
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
  // An index is kept under `<table>.<name>` (MySQL's index names are per table).
  expect(await temporaryObjects(conn)).toEqual([
    'index tmp.tmp_a',
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
    expect(await errorOf(observer.query('DROP TEMPORARY TABLE keep'))).toMatchObject({
      errno: 1051,
      message: "Unknown table 'main.keep'",
    });
    await observer.query('DROP TEMPORARY TABLE IF EXISTS keep');
    await observer.query('CREATE TEMPORARY TABLE keep (y INT)');
    await observer.query('DROP TEMPORARY TABLE main.keep');
    const [rows] = await observer.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n FROM keep');
    expect(rows[0]!.n).toBe(0);
    expect(await temporaryObjects()).toEqual([]);
  });

  it('DROP TEMPORARY TABLE with several names drops temporary tables only, all of them or none (1051)', async () => {
    await observer.query(
      'CREATE TABLE t2 (p INT); INSERT INTO t2 VALUES (5); CREATE TEMPORARY TABLE t1 (a INT); CREATE TEMPORARY TABLE t3 (c INT)',
    );
    // As MySQL 8 (atomic DDL): the missing ones are named and nothing is dropped.
    expect(await errorOf(observer.query('DROP TEMPORARY TABLE t1, t2, nowhere.t4'))).toMatchObject({
      errno: 1051,
      sqlState: '42S02',
      message: "Unknown table 'main.t2,nowhere.t4'",
    });
    expect(await temporaryObjects()).toEqual(['table t1', 'table t3']);
    await observer.query('DROP TEMPORARY TABLE IF EXISTS t1, t2');
    expect(await temporaryObjects()).toEqual(['table t3']);
    // A table that cannot go (a foreign key refers to it) fails the statement: the ones listed
    // before it stay too.
    await observer.query(
      'CREATE TEMPORARY TABLE parent (id INTEGER PRIMARY KEY); CREATE TEMPORARY TABLE child (p INT REFERENCES parent (id)); INSERT INTO parent VALUES (1); INSERT INTO child VALUES (1)',
    );
    expect(await errorOf(observer.query('DROP TEMPORARY TABLE t3, parent'))).toMatchObject({ errno: 1451 });
    expect(await temporaryObjects()).toEqual(['table child', 'table parent', 'table t3']);
    await observer.query(
      'CREATE TEMPORARY TABLE t1 (a INT); DROP TEMPORARY TABLE `T1`, t3, child, parent RESTRICT',
    );
    expect(await temporaryObjects()).toEqual([]);
    const [rows] = await observer.query<mysql.RowDataPacket[]>('SELECT p FROM t2');
    expect(rows).toEqual([{ p: 5 }]);
    await observer.query('DROP TABLE t2');
  });

  it("DROP TEMPORARY TABLE passes over another session's temporary table: 1051, and it stays its owner's", async () => {
    const owner = await backend.connect();
    const other = await backend.connect();
    try {
      await owner.query('CREATE TEMPORARY TABLE theirs (a INT)');
      await owner.query('INSERT INTO theirs VALUES (1), (2)');
      // As in MySQL, where the other session's table does not exist for this one.
      expect(await errorOf(other.query('DROP TEMPORARY TABLE theirs'))).toMatchObject({
        errno: 1051,
        sqlState: '42S02',
        message: "Unknown table 'main.theirs'",
      });
      expect(await errorOf(other.query('DROP TEMPORARY TABLE main.THEIRS'))).toMatchObject({ errno: 1051 });
      await other.query('DROP TEMPORARY TABLE IF EXISTS theirs');
      expect(await temporaryObjects(other)).toEqual(['table theirs']);
      const [rows] = await owner.query<mysql.RowDataPacket[]>('SELECT a FROM theirs ORDER BY a');
      expect(rows).toEqual([{ a: 1 }, { a: 2 }]);
      // Still the owner's: its own DROP finds it.
      await owner.query('DROP TEMPORARY TABLE theirs');
      expect(await temporaryObjects(other)).toEqual([]);
    } finally {
      owner.destroy();
      other.destroy();
    }
    await noTemporaryObjectsLeft();
  });

  it("DROP TEMPORARY TABLE naming its own and another session's temporary table drops neither (1051)", async () => {
    const owner = await backend.connect();
    const other = await backend.connect();
    try {
      await owner.query('CREATE TEMPORARY TABLE theirs (a INT)');
      await owner.query('INSERT INTO theirs VALUES (1)');
      await other.query('CREATE TEMPORARY TABLE mine (b INT)');
      await other.query('INSERT INTO mine VALUES (2)');
      expect(await errorOf(other.query('DROP TEMPORARY TABLE mine, theirs'))).toMatchObject({
        errno: 1051,
        sqlState: '42S02',
        message: "Unknown table 'main.theirs'",
      });
      expect(await temporaryObjects(other)).toEqual(['table mine', 'table theirs']);
      const [mine] = await other.query<mysql.RowDataPacket[]>('SELECT b FROM mine');
      expect(mine).toEqual([{ b: 2 }]);
      // IF EXISTS drops its own only.
      await other.query('DROP TEMPORARY TABLE IF EXISTS theirs, mine');
      expect(await temporaryObjects(other)).toEqual(['table theirs']);
      const [theirs] = await owner.query<mysql.RowDataPacket[]>('SELECT a FROM theirs');
      expect(theirs).toEqual([{ a: 1 }]);
    } finally {
      owner.destroy();
      other.destroy();
    }
    await noTemporaryObjectsLeft();
  });

  it.each([
    'CREATE TEMPORARY TABLE IF NOT EXISTS tmp (b INT)',
    'CREATE TEMPORARY TABLE TMP (b INT)',
    'CREATE TABLE IF NOT EXISTS temp.tmp (b INT)',
  ])("%s, another session's temporary table, answers 1235 rather than sharing it", async (create) => {
    const owner = await backend.connect({ multipleStatements: true });
    const other = await backend.connect();
    try {
      await owner.query('CREATE TEMPORARY TABLE tmp (a INT)');
      const err = await errorOf(other.query(create));
      expect(err).toMatchObject({ errno: 1235, sqlState: '42000' });
      expect(err.message).toContain('temporary tables of the same name in two sessions');
      // Prepared, too (SQLite prepares IF NOT EXISTS, and refuses the others while preparing).
      expect(await errorOf(other.execute(create))).toMatchObject({ errno: 1235 });
      // Its own: IF NOT EXISTS leaves it be, as in MySQL.
      await owner.query('CREATE TEMPORARY TABLE IF NOT EXISTS tmp (c INT); INSERT INTO tmp (a) VALUES (1)');
      await disconnect(owner);
      expect(await temporaryObjects(other)).toEqual([]);
      // Once the owner is gone the name is free: the other session gets a table of its own.
      await other.query(create);
      await other.query('INSERT INTO tmp (b) VALUES (2)');
    } finally {
      owner.destroy();
      other.destroy();
    }
    await noTemporaryObjectsLeft();
  });

  // Another session can still drop the table through SQLite's own `temp.` schema (DROP TEMPORARY
  // TABLE passes over it): what a rollback undoes must give it back to its creator.
  it.each([
    [
      'a DROP undone by ROLLBACK TO SAVEPOINT',
      'BEGIN; SAVEPOINT s; DROP TABLE temp.tmp; ROLLBACK TO SAVEPOINT s; COMMIT',
    ],
    [
      'a re-creation undone by ROLLBACK TO SAVEPOINT',
      'BEGIN; SAVEPOINT s; DROP TABLE temp.tmp; CREATE TEMPORARY TABLE tmp (b INT); ROLLBACK TO s; COMMIT',
    ],
    [
      'a re-creation undone by ROLLBACK',
      'BEGIN; DROP TABLE temp.tmp; CREATE TEMPORARY TABLE tmp (b INT); ROLLBACK',
    ],
    [
      'a re-creation undone by ROLLBACK TO a SAVEPOINT that began the transaction',
      'SAVEPOINT s; DROP TABLE temp.tmp; CREATE TEMPORARY TABLE tmp (b INT); ROLLBACK TO s; RELEASE s',
    ],
  ])("%s leaves a temporary table its creator's", async (_, statements) => {
    const owner = await backend.connect({ multipleStatements: true });
    const other = await backend.connect({ multipleStatements: true });
    try {
      await owner.query('CREATE TEMPORARY TABLE tmp (a INT); INSERT INTO tmp VALUES (1)');
      await other.query(statements);
      await disconnect(other);
      const [rows] = await owner.query<mysql.RowDataPacket[]>('SELECT a FROM tmp');
      expect(rows).toEqual([{ a: 1 }]);
    } finally {
      owner.destroy();
      other.destroy();
    }
    await noTemporaryObjectsLeft();
  });

  it("that a rollback brings back after their creator ended are dropped, not left the rolling-back session's", async () => {
    const owner = await backend.connect();
    const holder = await backend.connect({ multipleStatements: true });
    try {
      await owner.query('CREATE TEMPORARY TABLE tmp (a INT)');
      await holder.query('BEGIN; SAVEPOINT s; DROP TABLE temp.tmp');
      await disconnect(owner);
      await holder.query('ROLLBACK TO s');
      expect(await temporaryObjects(holder)).toEqual(['table tmp']);
      await holder.query('COMMIT');
      expect(await temporaryObjects(holder)).toEqual([]);
    } finally {
      owner.destroy();
      holder.destroy();
    }
  });

  it.each([
    [
      'ROLLBACK TO SAVEPOINT',
      'BEGIN; SAVEPOINT s; CREATE TEMPORARY TABLE tmp (a INT); ROLLBACK TO s; COMMIT',
    ],
    ['ROLLBACK', 'BEGIN; SAVEPOINT s; CREATE TEMPORARY TABLE tmp (a INT); ROLLBACK'],
  ])("a temporary table whose creation was undone by %s is not its creator's", async (_, statements) => {
    const creator = await backend.connect({ multipleStatements: true });
    const other = await backend.connect();
    try {
      await creator.query(statements);
      expect(await temporaryObjects(creator)).toEqual([]);
      await other.query('CREATE TEMPORARY TABLE tmp (b INT)');
      await disconnect(creator);
      expect(await temporaryObjects(other)).toEqual(['table tmp']);
    } finally {
      creator.destroy();
      other.destroy();
    }
    await noTemporaryObjectsLeft();
  });
});

it('DESCRIBE, SHOW COLUMNS and SHOW CREATE TABLE read a temporary table, before a permanent one of the name', async () => {
  const c = await backend.connect();
  try {
    await c.query("CREATE TABLE described (a INT NOT NULL, b VARCHAR(3) DEFAULT 'x')");
    const [permanent] = await c.query({ sql: 'DESCRIBE described', rowsAsArray: true });
    await c.query("CREATE TEMPORARY TABLE described_tmp (a INT NOT NULL, b VARCHAR(3) DEFAULT 'x')");
    expect((await c.query({ sql: 'DESCRIBE described_tmp', rowsAsArray: true }))[0]).toEqual(permanent);
    expect((await c.query({ sql: 'SHOW COLUMNS FROM described_tmp', rowsAsArray: true }))[0]).toEqual(
      permanent,
    );
    const [created] = await c.query<mysql.RowDataPacket[]>('SHOW CREATE TABLE described_tmp');
    expect(created[0]!['Create Table']).toBe(
      "CREATE TEMPORARY TABLE `described_tmp` (\n  `a` int NOT NULL,\n  `b` varchar(3) DEFAULT 'x'\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci",
    );
    // As in MySQL, the temporary table hides the permanent one, which a qualified name still reads.
    await c.query('CREATE TEMPORARY TABLE described (z INT)');
    const [shadowing] = await c.query<mysql.RowDataPacket[]>('DESCRIBE described');
    expect(shadowing.map((r) => r.Field)).toEqual(['z']);
    expect((await c.query({ sql: 'DESCRIBE main.described', rowsAsArray: true }))[0]).toEqual(permanent);
  } finally {
    await disconnect(c);
  }
});
