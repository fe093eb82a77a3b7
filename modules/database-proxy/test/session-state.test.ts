/**
 * Session state isolation through the proxy (PROXY-NOTES hazards 1–8), against real MariaDB with
 * a pool of two backend connections shared by several clients.
 *
 * To make sharing certain rather than likely, a "holder" client keeps one backend inside a
 * transaction so the clients under test must share the other, or holds the backend a client
 * used so its next statement must run on the other; CONNECTION_ID() shows which backend ran what.
 */
import { waitFor } from '@scalestack/test-harness';
import type mysql from 'mysql2/promise';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  backendOf,
  failure,
  hold,
  holdBackend,
  onEveryBackend,
  one,
  pinnedNow,
  rows,
  sentAndPlaced,
} from './support/backends.js';
import { connectAsBackendUser, type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { trackedClients } from './support/tracked-clients.js';

const POOL = 2;

/**
 * SQL reading a session variable without `@@`: reading `@@x` must not pin either, but that has
 * its own test below, and these tests are about the values.
 */
function sessionVariable(name: string): string {
  return `(SELECT VARIABLE_VALUE FROM information_schema.SESSION_VARIABLES WHERE VARIABLE_NAME = '${name.toUpperCase()}')`;
}
let fx: ProxyFixture;
let direct: mysql.Connection;

const clients = trackedClients(() => fx);
const client = clients.client;

beforeAll(async () => {
  fx = await startProxyFixture({ pool: POOL });
  direct = await fx.direct();
  await direct.query('CREATE DATABASE IF NOT EXISTS other_db');
  await direct.query('CREATE TABLE IF NOT EXISTS other_db.marker (name VARCHAR(20))');
  await direct.query("INSERT INTO other_db.marker VALUES ('other')");
});

afterEach(() => clients.closeAll());

afterAll(async () => {
  await direct?.end();
  await fx?.stop();
});

describe('user variables', () => {
  it('A sets @v: B reads NULL, A still reads its value on its own backend', async () => {
    const a = await client();
    const b = await client();
    await a.query('SET @v = 1');
    const aRow = await one(a, 'SELECT @v AS v, CONNECTION_ID() AS id');
    expect(aRow.v).toBe(1);
    const bRow = await one(b, 'SELECT @v AS v, CONNECTION_ID() AS id');
    expect(bRow.v).toBeNull();
    // B cannot have used A's backend while A holds a variable there.
    expect(bRow.id).not.toBe(aRow.id);
    for (let i = 0; i < 5; i++) {
      expect((await one(b, 'SELECT @v AS v')).v).toBeNull();
      expect((await one(a, 'SELECT @v AS v')).v).toBe(1);
    }
  });

  it('a variable set by a client that left is not seen by anyone on any backend', async () => {
    const a = await client();
    await a.query("SET @leftover = 'from A'");
    expect((await one(a, 'SELECT @leftover AS v')).v).toBe('from A');
    await a.end();
    clients.forget(a);
    const seen = await onEveryBackend(fx, POOL, 'SELECT @leftover AS v');
    expect(seen.map((s) => s.rows[0]!.v)).toEqual([null, null]);
  });
});

/** Session variables a client may change and the proxy must keep per client. */
const VARIABLES: { name: string; set: string; read: string; value: string }[] = [
  {
    name: 'sql_mode',
    set: "SET SESSION sql_mode = 'ANSI_QUOTES,NO_ENGINE_SUBSTITUTION'",
    read: sessionVariable('sql_mode'),
    value: 'ANSI_QUOTES,NO_ENGINE_SUBSTITUTION',
  },
  { name: 'time_zone', set: "SET time_zone = '+05:30'", read: sessionVariable('time_zone'), value: '+05:30' },
  {
    name: 'SET NAMES',
    set: 'SET NAMES latin1',
    read: sessionVariable('character_set_client'),
    value: 'latin1',
  },
];

describe.each(VARIABLES)('$name', ({ set, read, value }) => {
  it('a change by A is not seen by B sharing the same backend, and A keeps it', async () => {
    // The holder keeps one backend: A and B must take turns on the other.
    const holder = await hold(fx);
    try {
      const a = await client();
      const b = await client();
      const before = (await one(b, `SELECT ${read} AS v`)).v;
      expect(before).not.toBe(value);
      await a.query(set);
      for (let i = 0; i < 4; i++) {
        const aRow = await one(a, `SELECT ${read} AS v, CONNECTION_ID() AS id`);
        const bRow = await one(b, `SELECT ${read} AS v, CONNECTION_ID() AS id`);
        expect(aRow.v).toBe(value);
        expect(bRow.v).toBe(before);
        // Same backend: the proxy really switched its state back and forth.
        expect(aRow.id).toBe(bRow.id);
        expect(aRow.id).not.toBe(holder.backendId);
      }
    } finally {
      await holder.release();
    }
  });

  it("A's change follows A to another backend", async () => {
    const a = await client();
    await a.query(set);
    const first = await backendOf(a);
    const holder = await holdBackend(fx, first, POOL);
    try {
      const row = await one(a, `SELECT ${read} AS v, CONNECTION_ID() AS id`);
      expect(row.id).not.toBe(first);
      expect(row.v).toBe(value);
    } finally {
      await holder.release();
    }
  });

  it('a client that never changed it sees the server default on every backend', async () => {
    const fresh = await client();
    const def = (await one(fresh, `SELECT ${read} AS v`)).v;
    const a = await client();
    await a.query(set);
    await one(a, `SELECT ${read} AS v`);
    await a.end();
    clients.forget(a);
    const seen = await onEveryBackend(fx, POOL, `SELECT ${read} AS v`);
    expect(seen.map((s) => s.rows[0]!.v)).toEqual([def, def]);
  });
});

describe('SET NAMES', () => {
  it('round-trips non-ASCII text in the client character set on whichever backend', async () => {
    const a = await client();
    const b = await client({ charset: 'UTF8MB4_GENERAL_CI' });
    await a.query('SET NAMES latin1');
    const holder = await hold(fx);
    try {
      for (let i = 0; i < 3; i++) {
        const aRow = await one(
          a,
          `SELECT ${sessionVariable('character_set_results')} AS r, ${sessionVariable('collation_connection')} AS c`,
        );
        expect(aRow).toEqual({ r: 'latin1', c: 'latin1_swedish_ci' });
        const bRow = await one(b, `SELECT ${sessionVariable('character_set_results')} AS r, 'żółw' AS w`);
        expect(bRow).toEqual({ r: 'utf8mb4', w: 'żółw' });
      }
    } finally {
      await holder.release();
    }
  });
});

describe('SET NAMES … COLLATE', () => {
  it('the collation goes with the client to another backend, and a plain SET NAMES goes back to the default one', async () => {
    const collation = `${sessionVariable('character_set_connection')} AS cs, ${sessionVariable('collation_connection')} AS c`;
    // mysql2 greets with utf8mb4_unicode_ci, under which 'ß' = 'ss'; A asks for another
    // collation the way Laravel does on every connection, B keeps its own.
    const a = await client();
    const b = await client();
    expect(Number((await one(a, "SELECT 'ß' = 'ss' AS eq")).eq)).toBe(1);
    await a.query('SET NAMES utf8mb4 COLLATE utf8mb4_general_ci');
    const first = await one(a, `SELECT ${collation}, CONNECTION_ID() AS id, 'ß' = 'ss' AS eq`);
    expect(first).toMatchObject({ cs: 'utf8mb4', c: 'utf8mb4_general_ci', eq: 0 });
    const holder = await holdBackend(fx, Number(first.id), POOL);
    try {
      const moved = await one(a, `SELECT ${collation}, CONNECTION_ID() AS id, 'ß' = 'ss' AS eq`);
      expect(moved.id).not.toBe(first.id);
      expect(moved).toMatchObject({ cs: 'utf8mb4', c: 'utf8mb4_general_ci', eq: 0 });
      // B shares that backend and keeps the collation it connected with.
      const bRow = await one(b, `SELECT ${collation}, CONNECTION_ID() AS id, 'ß' = 'ss' AS eq`);
      expect(bRow).toMatchObject({ id: moved.id, c: 'utf8mb4_unicode_ci', eq: 1 });
      // A plain SET NAMES: that character set's default collation, on whichever backend.
      await a.query('SET NAMES latin1');
      expect(await one(b, `SELECT ${collation}`)).toEqual({ cs: 'utf8mb4', c: 'utf8mb4_unicode_ci' });
      expect(await one(a, `SELECT ${collation}`)).toEqual({ cs: 'latin1', c: 'latin1_swedish_ci' });
      expect(await one(b, `SELECT ${collation}`)).toEqual({ cs: 'utf8mb4', c: 'utf8mb4_unicode_ci' });
    } finally {
      await holder.release();
    }
  });
});

describe('result metadata', () => {
  /** The collation id and flags a string column of `conn`'s next SELECT reports. */
  async function stringColumn(conn: mysql.Connection): Promise<{ collation: number; flags: number }> {
    const [, fields] = await conn.query("SELECT 'x' AS s");
    const f = (fields as mysql.FieldPacket[])[0]! as unknown as { characterSet: number; flags: number };
    return { collation: f.characterSet, flags: f.flags };
  }

  /** Runs `check` while another client holds `conn`'s backend: `conn` runs on another one. */
  async function onOtherBackend(
    conn: mysql.Connection,
    check: () => Promise<void>,
    options?: mysql.ConnectionOptions,
  ): Promise<void> {
    const holder = await holdBackend(fx, await backendOf(conn), POOL, options);
    try {
      await check();
    } finally {
      await holder.release();
    }
  }

  /**
   * Runs `sql` straight on MariaDB, then through the proxy: on the client's other backend its
   * string columns' metadata and its collation_connection are MariaDB's.
   */
  async function expectAsMariaDbOnOtherBackend(sql: string): Promise<void> {
    const readCollation = `SELECT ${sessionVariable('collation_connection')} AS c`;
    const ref = await connectAsBackendUser(fx);
    let expected: { column: unknown; c: unknown };
    try {
      await ref.query(sql);
      expected = { column: await stringColumn(ref), c: await one(ref, readCollation) };
    } finally {
      await ref.end();
    }
    const a = await client();
    await a.query(sql);
    await onOtherBackend(a, async () => {
      expect(await stringColumn(a), sql).toEqual(expected.column);
      expect(await one(a, readCollation), sql).toEqual(expected.c);
    });
  }

  it("string columns carry the client's collation on every backend, after a reset and after SET NAMES … COLLATE", async () => {
    const ref = await connectAsBackendUser(fx);
    try {
      const greeting = await stringColumn(ref);
      await ref.query('SET NAMES utf8mb4 COLLATE utf8mb4_bin');
      const bin = await stringColumn(ref);
      expect(bin).not.toEqual(greeting);
      // A pinned client leaving has its backend reset; then every backend answers as a login.
      const leaving = await client();
      await leaving.query('SET @v = 1');
      await clients.endAll();
      await waitFor(() => fx.proxy.stats().clients.length === 0, { what: 'the client to leave' });
      const holders = await Promise.all([hold(fx), hold(fx)]);
      try {
        for (const h of holders) expect(await stringColumn(h.conn)).toEqual(greeting);
      } finally {
        await Promise.all(holders.map((h) => h.release()));
      }
      // SET NAMES … COLLATE goes with the client to the other backend.
      const a = await client();
      await a.query('SET NAMES utf8mb4 COLLATE utf8mb4_bin');
      expect(await stringColumn(a)).toEqual(bin);
      await onOtherBackend(a, async () => expect(await stringColumn(a)).toEqual(bin));
      // character_set_results set by name: that set's default collation, on either backend.
      await ref.query('SET NAMES utf8mb4 COLLATE utf8mb4_unicode_ci');
      await ref.query('SET character_set_results = utf8mb4');
      const byName = await stringColumn(ref);
      expect(byName).not.toEqual(greeting);
      const c = await client();
      await c.query('SET character_set_results = utf8mb4');
      expect(await stringColumn(c)).toEqual(byName);
      await onOtherBackend(c, async () => expect(await stringColumn(c)).toEqual(byName));
    } finally {
      await ref.end();
    }
  });

  it('SET NAMES utf8 COLLATE utf8_… keeps its collation on the other backend (the server names it utf8mb3_…)', async () => {
    await expectAsMariaDbOnOtherBackend('SET NAMES utf8 COLLATE utf8_unicode_ci');
  });

  it('SET NAMES cs COLLATE DEFAULT gives the default collation on the other backend too', async () => {
    await expectAsMariaDbOnOtherBackend('SET NAMES latin1 COLLATE DEFAULT');
  });

  it('character_set_results or NAMES named only in a comment, a string, a name or a read is not taken as set', async () => {
    const ref = await connectAsBackendUser(fx);
    try {
      await ref.query('SET NAMES utf8mb4 COLLATE utf8mb4_bin');
      const bin = await stringColumn(ref);
      const texts = [
        'SET NAMES utf8mb4 COLLATE utf8mb4_bin /* not character_set_results = utf8mb4 */',
        "SET NAMES utf8mb4 COLLATE utf8mb4_bin, time_zone = IF('CHARSET latin1' <> '', '+00:00', '+01:00')",
        'SET NAMES utf8mb4 COLLATE utf8mb4_bin; SELECT 1 AS names',
        "SET NAMES utf8mb4 COLLATE utf8mb4_bin; SELECT 1, CHARSET('a'), @@character_set_results = 'x'",
        "SELECT 1 AS `o'brien`; SET NAMES utf8mb4 COLLATE utf8mb4_bin",
      ];
      for (const text of texts) {
        const a = await client({ multipleStatements: true });
        await a.query(text);
        await a.query('SELECT @@character_set_results');
        await onOtherBackend(a, async () => expect(await stringColumn(a), text).toEqual(bin), {
          multipleStatements: true,
        });
      }
    } finally {
      await ref.end();
    }
  });
});

describe('the connection collation a statement leaves', () => {
  it('is the one replayed, onto a backend another client left with its own collation', async () => {
    const read = `SELECT ${sessionVariable('character_set_connection')} AS cs, ${sessionVariable('collation_connection')} AS c`;
    const statements = [
      // A later assignment of the character set gives its default collation.
      'SET NAMES utf8mb4 COLLATE utf8mb4_bin, character_set_connection = utf8mb4',
      'SET NAMES utf8mb4 COLLATE utf8mb4_bin; SET CHARACTER SET utf8mb4',
      // A comment between the set and its collation.
      'SET NAMES latin1 /* the COLLATE follows */ COLLATE latin1_bin',
      // A later SET NAMES that fails leaves the one before.
      'SET NAMES latin1 COLLATE latin1_bin; SET NAMES ucs2',
      // The collation alone (the server reports only it): its set comes with it.
      'SET collation_connection = latin1_bin',
    ];
    const multi = { multipleStatements: true };
    for (const sql of statements) {
      const ref = await connectAsBackendUser(fx, multi);
      await ref.query(sql).catch(() => {});
      const expected = await one(ref, read);
      await ref.end();
      // One backend of the flavour left: A and B take turns on it.
      const holder = await hold(fx, multi);
      try {
        const a = await client(multi);
        const b = await client(multi);
        await b.query('SET NAMES latin1 COLLATE latin1_bin');
        await a.query(sql).catch(() => {});
        await b.query('SELECT 1');
        expect(await one(a, read), sql).toEqual(expected);
      } finally {
        await holder.release();
      }
      await clients.endAll();
    }
  });
});

describe('SET NAMES … COLLATE, prepared or in a batch', () => {
  it('a prepared SET NAMES … COLLATE counts, and in a batch the last SET NAMES does', async () => {
    const collation = `${sessionVariable('character_set_connection')} AS cs, ${sessionVariable('collation_connection')} AS c`;
    const a = await client({ multipleStatements: true });
    const b = await client({ multipleStatements: true });
    await a.execute('SET NAMES utf8mb4 COLLATE utf8mb4_general_ci');
    await b.query('SET NAMES utf8mb4 COLLATE utf8mb4_bin; SET NAMES latin1');
    const holder = await hold(fx);
    try {
      // A and B now share one backend: each sync must put back the other's settings.
      for (let i = 0; i < 2; i++) {
        expect(await one(a, `SELECT ${collation}`)).toEqual({ cs: 'utf8mb4', c: 'utf8mb4_general_ci' });
        expect(await one(b, `SELECT ${collation}`)).toEqual({ cs: 'latin1', c: 'latin1_swedish_ci' });
      }
    } finally {
      await holder.release();
    }
  });
});

describe('default schema', () => {
  it('USE db is kept across backends and not seen by other clients', async () => {
    const a = await client();
    const b = await client();
    await a.query('USE other_db');
    const first = await one(
      a,
      'SELECT DATABASE() AS db, CONNECTION_ID() AS id, (SELECT name FROM marker) AS m',
    );
    expect(first).toMatchObject({ db: 'other_db', m: 'other' });
    const holder = await holdBackend(fx, Number(first.id), POOL);
    try {
      const moved = await one(
        a,
        'SELECT DATABASE() AS db, CONNECTION_ID() AS id, (SELECT name FROM marker) AS m',
      );
      expect(moved.id).not.toBe(first.id);
      expect(moved).toMatchObject({ db: 'other_db', m: 'other' });
      // B shares that other backend now and still has its own schema.
      const bRow = await one(b, 'SELECT DATABASE() AS db, CONNECTION_ID() AS id');
      expect(bRow).toEqual({ db: 'test', id: moved.id });
      expect((await one(a, 'SELECT DATABASE() AS db')).db).toBe('other_db');
    } finally {
      await holder.release();
    }
  });

  it('the schema chosen at login is per client', async () => {
    const a = await client({ database: 'other_db' });
    const b = await client({ database: 'test' });
    const holder = await hold(fx);
    try {
      for (let i = 0; i < 3; i++) {
        expect((await one(a, 'SELECT DATABASE() AS db')).db).toBe('other_db');
        expect((await one(b, 'SELECT DATABASE() AS db')).db).toBe('test');
      }
    } finally {
      await holder.release();
    }
  });

  it('a client without a default schema never runs on a backend that has one', async () => {
    // MySQL cannot unset a default schema, so the backend A used (schema `test`) is not B's to
    // take: with the other backend held, B's statement gets a fresh connection instead.
    const holder = await hold(fx);
    try {
      const a = await client();
      const aRow = await one(a, 'SELECT DATABASE() AS db, CONNECTION_ID() AS id');
      expect(aRow.db).toBe('test');
      const b = await client({ database: undefined });
      for (let i = 0; i < 3; i++) {
        const bRow = await one(b, 'SELECT DATABASE() AS db, CONNECTION_ID() AS id');
        expect(bRow.db).toBeNull();
        expect(bRow.id).not.toBe(aRow.id);
        expect(bRow.id).not.toBe(holder.backendId);
      }
      // And A, with a schema, may run on B's schema-less backend: its schema is applied first.
      expect((await one(a, 'SELECT DATABASE() AS db')).db).toBe('test');
    } finally {
      await holder.release();
    }
  });
});

describe('variables the proxy does not model', () => {
  it.each([
    ['wait_timeout', 'SET SESSION wait_timeout = 1234', 1234],
    ['long_query_time', 'SET long_query_time = 7', 7],
  ])('%s is applied or pinned, never dropped', async (name, set, expected) => {
    const globalRow = await one(direct, `SELECT @@global.${name} AS v`);
    const a = await client();
    await a.query(set);
    // Whatever backend serves A, it sees its value; other clients see the global one.
    for (let i = 0; i < 3; i++) {
      const aRow = await one(a, `SELECT ${sessionVariable(name)} AS v, CONNECTION_ID() AS id`);
      expect(Number(aRow.v)).toBe(expected);
      if (pinnedNow(fx) === 0) {
        // Not pinned: the proxy replays the value, so moving A must keep it.
        const holder = await holdBackend(fx, Number(aRow.id), POOL);
        try {
          const moved = await one(a, `SELECT ${sessionVariable(name)} AS v, CONNECTION_ID() AS id`);
          expect(moved.id).not.toBe(aRow.id);
          expect(Number(moved.v)).toBe(expected);
        } finally {
          await holder.release();
        }
        const seen = await onEveryBackend(fx, POOL, `SELECT ${sessionVariable(name)} AS v`);
        expect(seen.map((s) => Number(s.rows[0]!.v))).toEqual([Number(globalRow.v), Number(globalRow.v)]);
      } else {
        // Pinned: another client runs elsewhere and sees the global value.
        const b = await client();
        const bRow = await one(b, `SELECT ${sessionVariable(name)} AS v, CONNECTION_ID() AS id`);
        expect(bRow.id).not.toBe(aRow.id);
        expect(Number(bRow.v)).toBe(Number(globalRow.v));
      }
    }
  });

  it('a procedure that changes a session variable is tracked or pins', async () => {
    // sql_mode would not do: MariaDB restores it when a routine returns; time_zone stays.
    await direct.query('DROP PROCEDURE IF EXISTS set_zone');
    await direct.query("CREATE PROCEDURE set_zone() SET SESSION time_zone = '+03:00'");
    const zone = sessionVariable('time_zone');
    const a = await client();
    const b = await client();
    const def = (await one(b, `SELECT ${zone} AS v`)).v;
    await a.query('CALL set_zone()');
    const first = await one(a, `SELECT ${zone} AS v, CONNECTION_ID() AS id`);
    expect(first.v).toBe('+03:00');
    for (let i = 0; i < 3; i++) {
      expect((await one(b, `SELECT ${zone} AS v`)).v).toBe(def);
      expect((await one(a, `SELECT ${zone} AS v`)).v).toBe('+03:00');
    }
    if (pinnedNow(fx) === 0) {
      // Tracked rather than pinned: it must follow A to the other backend.
      const holder = await holdBackend(fx, Number(first.id), POOL);
      try {
        const moved = await one(a, `SELECT ${zone} AS v, CONNECTION_ID() AS id`);
        expect(moved.id).not.toBe(first.id);
        expect(moved.v).toBe('+03:00');
      } finally {
        await holder.release();
      }
    }
  });
});

/**
 * With the other backend held, B can only be served on A's — once A has left it: B's zone is
 * its own there (the connection was reset), and A's is A's until then.
 */
async function bothKeepTheirZones(a: mysql.Connection, b: mysql.Connection, def: string, aZone: string) {
  const zone = sessionVariable('time_zone');
  const holder = await hold(fx);
  try {
    const { outcome } = await sentAndPlaced(fx, one(b, `SELECT ${zone} AS v`));
    expect((await one(a, `SELECT ${zone} AS v`)).v).toBe(aZone);
    await a.end();
    clients.forget(a);
    expect((await outcome).v).toBe(def);
  } finally {
    await holder.release();
  }
}

describe('state changed by a routine that then fails', () => {
  it('a CALL that fails after changing a session variable keeps it the caller’s, never another’s', async () => {
    await direct.query('DROP PROCEDURE IF EXISTS zone_then_fail');
    await direct.query(
      "CREATE PROCEDURE zone_then_fail() BEGIN SET SESSION time_zone = '+05:00'; SIGNAL SQLSTATE '45000'; END",
    );
    const zone = sessionVariable('time_zone');
    // On the server itself: the error comes back, the variable stays changed.
    const own = await fx.direct();
    const def = (await one(own, `SELECT ${zone} AS v`)).v;
    expect((await failure(own.query('CALL zone_then_fail()'))).errno).toBe(1644);
    expect((await one(own, `SELECT ${zone} AS v`)).v).toBe('+05:00');
    await own.end();

    const a = await client();
    const b = await client();
    expect((await failure(a.query('CALL zone_then_fail()'))).errno).toBe(1644);
    // The error's packet carries no session state: the proxy cannot know what changed, and
    // keeps A on its backend.
    expect(fx.proxy.stats().pinnedNow.session_state).toBe(1);
    await bothKeepTheirZones(a, b, def, '+05:00');
    // A CALL that never ran (no such procedure) changed nothing: no session_state pin for it
    // (its error is held for SHOW WARNINGS until the next statement, like any error).
    expect(fx.proxy.stats().pinnedNow.session_state).toBe(0); // A has left
    const c = await client();
    expect((await failure(c.query('CALL no_such_procedure()'))).errno).toBe(1305);
    expect(fx.proxy.stats().pinnedNow.session_state).toBe(0);
  });

  it('an anonymous block (BEGIN NOT ATOMIC … END) that fails is treated like a failed CALL', async () => {
    const zone = sessionVariable('time_zone');
    const a = await client();
    const b = await client();
    const def = (await one(b, `SELECT ${zone} AS v`)).v;
    const block = "BEGIN NOT ATOMIC SET SESSION time_zone = '+06:00'; SIGNAL SQLSTATE '45000'; END";
    expect((await failure(a.query(block))).errno).toBe(1644);
    expect(fx.proxy.stats().pinnedNow.session_state).toBe(1);
    await bothKeepTheirZones(a, b, def, '+06:00');
  });
});

describe('state changed by a stored function a SELECT calls', () => {
  it('a user variable the function sets stays the caller’s, for clients with classic EOFs too', async () => {
    await direct.query('DROP FUNCTION IF EXISTS bump');
    await direct.query(
      'CREATE FUNCTION bump() RETURNS INT NOT DETERMINISTIC BEGIN SET @bumps = IFNULL(@bumps, 0) + 1; RETURN @bumps; END',
    );
    // mysql2 does not ask for CLIENT_DEPRECATE_EOF: its result sets end with an EOF that has
    // no room for session state, only the flag saying it changed.
    for (const deprecateEof of [false, true]) {
      const flags = deprecateEof ? ['DEPRECATE_EOF'] : ['-DEPRECATE_EOF'];
      const a = await client({ flags });
      const b = await client({ flags });
      expect((await one(a, 'SELECT bump() AS n')).n).toBe(1);
      expect((await one(a, 'SELECT bump() AS n')).n).toBe(2);
      for (let i = 1; i <= 3; i++) expect((await one(b, 'SELECT bump() AS n')).n).toBe(i);
      expect((await one(a, 'SELECT bump() AS n')).n).toBe(3);
      await clients.endAll();
    }
  });
});

describe('state no variable reports', () => {
  it('SET ROLE, alone or in a batch behind a tracked SET, stays the caller’s', async () => {
    await direct.query('CREATE ROLE IF NOT EXISTS reader');
    await direct.query("GRANT reader TO proxy@'%'");
    for (const sql of [
      'SET ROLE reader',
      "SET time_zone = '+00:00'; SET ROLE reader",
      'SET @r = 1; SET ROLE reader',
    ]) {
      const a = await client({ multipleStatements: true });
      const b = await client();
      // With the other backend held, A and B share one unless A is kept on its own.
      const holder = await hold(fx);
      try {
        await a.query(sql);
        // B asks while A still has its role: on A's connection only once A has left it.
        const { outcome } = await sentAndPlaced(fx, one(b, 'SELECT CURRENT_ROLE() AS r'));
        expect((await one(a, 'SELECT CURRENT_ROLE() AS r')).r).toBe('reader');
        expect((await one(a, 'SELECT CURRENT_ROLE() AS r')).r).toBe('reader');
        await a.end();
        expect((await outcome).r).toBeNull();
      } finally {
        await holder.release();
      }
      await clients.endAll();
    }
  });
});

describe('SET @@name with no scope word, which session tracking does not report', () => {
  it("stays the caller's: another client never sees it, the caller keeps it", async () => {
    for (const [sql, read, value] of [
      ["SET @@time_zone = '+01:00'", '@@time_zone', '+01:00'],
      ["SET @@sql_mode := 'ANSI_QUOTES', time_zone = '+02:00'", '@@sql_mode', 'ANSI_QUOTES'],
      // The connection's last insert id: B would read A's 5 from LAST_INSERT_ID().
      ['SET @@identity = 5', 'LAST_INSERT_ID()', '5'],
    ] as const) {
      const a = await client();
      const b = await client();
      const before = (await one(b, `SELECT ${read} AS v`)).v;
      // With the other backend held, A and B share one unless A is kept on its own.
      const holder = await hold(fx);
      try {
        await a.query(sql);
        const { outcome } = await sentAndPlaced(fx, one(b, `SELECT ${read} AS v`));
        expect(String((await one(a, `SELECT ${read} AS v`)).v), sql).toBe(value);
        expect(String((await one(a, `SELECT ${read} AS v`)).v), sql).toBe(value);
        await a.end();
        expect((await outcome).v, sql).toBe(before);
      } finally {
        await holder.release();
      }
      await clients.endAll();
    }
  });
});

describe('a batch whose tracked SET sits beside an untracked change', () => {
  it('SET time_zone …; PREPARE s …: the prepared statement stays the caller’s', async () => {
    const a = await client({ multipleStatements: true });
    const b = await client();
    const holder = await hold(fx);
    try {
      await a.query("SET time_zone = '+00:00'; PREPARE batch_stmt FROM 'SELECT 7 AS seven'");
      const { outcome } = await sentAndPlaced(fx, failure(b.query('EXECUTE batch_stmt')));
      expect(await rows(a, 'EXECUTE batch_stmt')).toEqual([{ seven: 7 }]);
      await a.end();
      expect((await outcome).errno).toBe(1243); // ER_UNKNOWN_STMT_HANDLER
    } finally {
      await holder.release();
    }
  });
});

describe('bad SET', () => {
  it('an invalid value fails at the SET and leaves the session usable and unchanged', async () => {
    const a = await client();
    const before = (await one(a, `SELECT ${sessionVariable('sql_mode')} AS v`)).v;
    const err = await failure(a.query("SET SESSION sql_mode = 'NOT_A_MODE'"));
    expect(err.errno).toBe(1231); // ER_WRONG_VALUE_FOR_VAR
    const err2 = await failure(a.query('SET SESSION no_such_variable = 1'));
    expect(err2.errno).toBe(1193); // ER_UNKNOWN_SYSTEM_VARIABLE
    for (let i = 0; i < 3; i++) {
      expect((await one(a, `SELECT ${sessionVariable('sql_mode')} AS v`)).v).toBe(before);
    }
    const seen = await onEveryBackend(fx, POOL, `SELECT ${sessionVariable('sql_mode')} AS v`);
    expect(seen.map((s) => s.rows[0]!.v)).toEqual([before, before]);
  });
});

describe('reads that must not pin', () => {
  it('SELECT @@version and @@tx_isolation leave the client unpinned', async () => {
    const pinsBefore = { ...fx.proxy.stats().counters.pins };
    const a = await client();
    const version = await one(a, 'SELECT @@version AS v');
    expect(version.v).toMatch(/MariaDB/);
    await one(a, 'SELECT @@tx_isolation AS v, @@session.autocommit AS ac');
    await one(a, 'SELECT @@global.max_connections AS v');
    expect(pinnedNow(fx)).toBe(0);
    expect(fx.proxy.stats().clients.every((c) => c.pinned.length === 0)).toBe(true);
    expect(fx.proxy.stats().counters.pins).toEqual(pinsBefore);
    // Black-box proof: both backends can be held by others while A stays connected.
    const seen = await onEveryBackend(fx, POOL, 'SELECT 1 AS one');
    expect(seen).toHaveLength(POOL);
  });
});

describe('pin accounting', () => {
  it('counts pins by reason and shows them per client while held', async () => {
    const a = await client();
    const before = fx.proxy.stats().counters.pins;
    await a.query('SET @counted = 1');
    let stats = fx.proxy.stats();
    expect(stats.counters.pins.user_variable).toBe(before.user_variable + 1);
    expect(stats.pinnedNow.user_variable).toBe(1);
    expect(stats.clients.filter((c) => c.pinned.includes('user_variable'))).toHaveLength(1);

    const b = await client();
    await b.query('CREATE TEMPORARY TABLE counted (x INT)');
    stats = fx.proxy.stats();
    expect(stats.counters.pins.temporary_table).toBe(before.temporary_table + 1);
    expect(stats.pinnedNow.temporary_table).toBe(1);

    await a.end();
    await b.end();
    clients.forget(a);
    clients.forget(b);
    stats = await waitForStats((s) => s.pinnedNow.user_variable === 0 && s.pinnedNow.temporary_table === 0);
    expect(stats.clients).toHaveLength(0);
  });
});

function waitForStats(
  ok: (s: ReturnType<ProxyFixture['proxy']['stats']>) => boolean,
): Promise<ReturnType<ProxyFixture['proxy']['stats']>> {
  return waitFor(
    () => {
      const s = fx.proxy.stats();
      return ok(s) ? s : undefined;
    },
    { what: 'proxy stats to settle' },
  );
}

describe('every statement of a multi-statement text, not only the first', () => {
  beforeAll(async () => {
    await direct.query(
      "CREATE PROCEDURE IF NOT EXISTS test.batch_sets_tz() SET SESSION time_zone = '+06:00'",
    );
    await direct.query(
      "CREATE PROCEDURE IF NOT EXISTS test.batch_sets_then_fails() BEGIN SET @leak = 99; SET SESSION time_zone = '+05:00'; SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'fails after its SETs'; END",
    );
  });

  /**
   * What a client reads of the state the batches below change (a read of `@leak` would pin the
   * reader, so only the last read of each test has it), and what a fresh session at MariaDB reads.
   */
  const STATE = 'SELECT DATABASE() AS db, @@session.time_zone AS tz';
  const fresh = async (sql: string) => {
    const own = await connectAsBackendUser(fx);
    try {
      return await one(own, sql);
    } finally {
      await own.end();
    }
  };

  /**
   * A runs `text` (failing with `failsWith`, when given); with the other backend held, B's
   * `read` can only have A's connection once A lets it go. A reads `forA`; once A has left, B
   * reads `forB`.
   */
  const keptFromOthers = async (
    options: mysql.ConnectionOptions,
    text: string,
    failsWith: number | undefined,
    read: string,
    forA: Record<string, unknown>,
    forB: Record<string, unknown>,
  ) => {
    const a = await client(options);
    const b = await client(options);
    const holder = await hold(fx);
    try {
      if (failsWith === undefined) await a.query(text);
      else expect((await failure(a.query(text))).errno).toBe(failsWith);
      const { outcome } = await sentAndPlaced(fx, one(b, read));
      expect(await one(a, read)).toEqual(forA);
      await a.end();
      clients.forget(a);
      expect(await outcome).toEqual(forB);
    } finally {
      await holder.release();
    }
  };

  // A client without CLIENT_SESSION_TRACK: its backend connections track the session all the
  // same (and the OKs it gets are rewritten without the tracking data), so a USE / SET / CALL
  // behind another statement of the text is known and kept its own.
  const UNTRACKED = { multipleStatements: true, flags: ['-SESSION_TRACK'] };

  it.each([
    ['SELECT 1 AS one; USE other_db', { db: 'other_db' }],
    ["SELECT 1 AS one; SET SESSION time_zone = '+03:00'", { tz: '+03:00' }],
    ['SELECT 1 AS one; CALL test.batch_sets_tz()', { tz: '+06:00' }],
  ])('a client without session tracking: %s stays its own', async (batch, changed) => {
    const before = await fresh(STATE);
    await keptFromOthers(UNTRACKED, batch, undefined, STATE, { ...before, ...changed }, before);
  });

  it('a client without session tracking: a text whose USE ran before an error leaves nothing behind', async () => {
    // Which statements of a failed text ran is not known to the proxy: the connection stays
    // A's, and is put back to the schema the proxy knows before anyone else gets it.
    const before = await fresh(STATE);
    const text = 'USE other_db; SELECT * FROM no_such_table';
    await keptFromOthers(UNTRACKED, text, 1146, STATE, { ...before, db: 'other_db' }, before);
  });

  it('a CALL that fails after its SETs, behind another statement, keeps them its caller’s', async () => {
    const withLeak = `${STATE}, @leak AS leak`;
    // At MariaDB: the SETs before the SIGNAL stay, in the caller's session only.
    const own = await connectAsBackendUser(fx, { multipleStatements: true });
    const reference = await failure(own.query('DO 0; CALL test.batch_sets_then_fails()'));
    const after = await one(own, withLeak);
    await own.end();
    expect(reference.errno).toBe(1644);
    const before = await fresh(withLeak);
    expect(after).toEqual({ ...before, tz: '+05:00', leak: 99 });
    const text = 'DO 0; CALL test.batch_sets_then_fails()';
    await keptFromOthers({ multipleStatements: true }, text, 1644, withLeak, after, before);
  });

  it('HANDLER … OPEN behind another statement: the handler is the caller’s alone', async () => {
    const a = await client({ multipleStatements: true });
    const b = await client({ multipleStatements: true });
    const holder = await hold(fx);
    try {
      await a.query('DO 0; HANDLER other_db.marker OPEN AS batch_handler');
      const { outcome } = await sentAndPlaced(fx, failure(b.query('HANDLER batch_handler READ FIRST')));
      expect(await rows(a, 'HANDLER batch_handler READ FIRST')).toEqual([{ name: 'other' }]);
      await a.end();
      clients.forget(a);
      expect((await outcome).errno).toBe(1109); // ER_UNKNOWN_TABLE: B has no such handler
    } finally {
      await holder.release();
    }
  });
});
