/**
 * The client's character set as the login, COM_CHANGE_USER and character set statements choose
 * it, compared with MariaDB's answers to the same bytes: session variables, the bytes of the
 * values and the collation ids in the result metadata (what a driver decodes by). The proxy
 * keeps each client's character set itself and puts it on whichever backend connection serves
 * the client, so each check runs on the backend connection that ran the statement and again on
 * another one (the first held by someone else).
 *
 * Not here, known limits in the README: `SET collation_connection` / `character_set_connection`
 * / `character_set_client` alone (the metadata on another backend), non-ASCII schema names for
 * clients in a multi-byte character set other than UTF-8, and a refused COM_CHANGE_USER's
 * character set.
 */
import {
  buildExecute,
  buildPrepare,
  buildResetConnection,
  CLIENT_IGNORE_SPACE,
  COM_INIT_DB,
  SUPPORTED_CAPABILITIES,
} from '@scalestack/mysql-protocol';
import type mysql from 'mysql2/promise';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RawClient } from '../../../packages/mysql-protocol/test/support/raw-client.js';
import { one } from './support/backends.js';
import { APP_USER, BACKEND_USER, type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { rawBackendOf, rawChangeUser, rawHoldBackend, rawLogin, rawResult } from './support/raw-login.js';
import { trackedClients } from './support/tracked-clients.js';

const POOL = 2;
let fx: ProxyFixture;
let direct: mysql.Connection;
const clients = trackedClients(() => fx);

beforeAll(async () => {
  fx = await startProxyFixture({ pool: POOL });
  direct = await fx.direct();
  await direct.query('CREATE DATABASE IF NOT EXISTS l1db CHARACTER SET latin1');
  await direct.query('CREATE DATABASE IF NOT EXISTS u8db CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci');
  await direct.query(
    'CREATE TABLE IF NOT EXISTS test.cs (a VARCHAR(10) CHARACTER SET latin1, b VARCHAR(10) CHARACTER SET utf8mb4)',
  );
  await direct.query("INSERT INTO test.cs VALUES ('é', 'é')");
  await direct.query('CREATE DATABASE IF NOT EXISTS `café`');
  await direct.query('CREATE TABLE IF NOT EXISTS `café`.t (x INT)');
  await direct.query('INSERT INTO `café`.t VALUES (42)');
  await direct.query('CREATE DATABASE IF NOT EXISTS `日本`');
  await direct.query('CREATE TABLE IF NOT EXISTS `日本`.t (x INT)');
  await direct.query('INSERT INTO `日本`.t VALUES (42)');
});

afterEach(() => clients.closeAll());

afterAll(async () => {
  await direct?.end();
  await fx?.stop();
});

type Side = 'proxy' | 'direct';
const accountOf = (side: Side) => (side === 'proxy' ? APP_USER : BACKEND_USER);

/**
 * MariaDB drops IGNORE_SPACE from sql_mode at a reset or change of user and the proxy keeps it
 * (a known difference, see differential.test.ts): the clients here do not ask for it, so the
 * session variables compare after a reset on everything else.
 */
const CAPABILITIES = SUPPORTED_CAPABILITIES & ~CLIENT_IGNORE_SPACE;

function login(side: Side, charset: number, database = 'test'): Promise<RawClient> {
  const port = side === 'proxy' ? fx.port : fx.mariadb.port;
  return rawLogin(port, accountOf(side), { charset, database, capabilities: CAPABILITIES });
}

const VARIABLES =
  'SELECT DATABASE(), @@character_set_client, @@character_set_connection, @@character_set_results, @@collation_connection, @@autocommit, @@sql_mode';
/** A text column and a binary one: their collation ids are what the client decodes by. */
const COLUMNS = "SELECT 'x', CAST('y' AS BINARY)";

/** What a client's character set shows: the variables, and the result metadata. */
async function charsetSeen(c: RawClient) {
  return { variables: await rawResult(c, VARIABLES), columns: await rawResult(c, COLUMNS) };
}

const backendOf = rawBackendOf;
const holdBackend = (id: string, charset: number) =>
  rawHoldBackend(fx, id, charset, POOL, { capabilities: CAPABILITIES });

/**
 * `read` twice: through the proxy on the backend the client used last and then on another one;
 * straight at MariaDB on its one connection, twice, for answers to compare with.
 */
async function hereAndElsewhere<T>(
  side: Side,
  c: RawClient,
  charset: number,
  read: () => Promise<T>,
): Promise<T[]> {
  const here = await read();
  if (side === 'direct') return [here, await read()];
  const id = await backendOf(c);
  const holder = await holdBackend(id, charset);
  try {
    expect(await backendOf(c)).not.toBe(id);
    return [here, await read()];
  } finally {
    await holder.close();
  }
}

describe('a login in a character set no client can use', () => {
  it.each([
    [35, 'ucs2'],
    [54, 'utf16'],
    [56, 'utf16le'],
    [60, 'utf32'],
  ])("collation %i (%s) is refused with MariaDB's 1231", async (charset) => {
    const refusal = async (side: Side) => {
      try {
        const c = await login(side, charset);
        await c.close();
        return 'logged in';
      } catch (e) {
        const err = e as { errno?: number; sqlState?: string; message: string };
        return `${err.errno} ${err.sqlState} ${err.message}`;
      }
    };
    const expected = await refusal('direct');
    expect(expected).toMatch(/^1231 /);
    expect(await refusal('proxy')).toBe(expected);
  });

  it('refused again and again, it leaves the backend server in service for every other client', async () => {
    const before = await clients.client();
    const attempt = async () => {
      let c: RawClient;
      try {
        c = await login('proxy', 35);
      } catch (e) {
        return (e as { errno?: number }).errno;
      }
      try {
        // Were the login taken, its first statement would need a backend login in ucs2.
        const r = await c.query('SELECT 1');
        return r.error?.errno ?? 'ran';
      } finally {
        await c.close().catch(() => {});
      }
    };
    for (let i = 0; i < 5; i++) expect(await attempt()).toBe(1231);
    expect(fx.proxy.stats().pools.map((p) => p.healthy)).toEqual([true]);
    // latin1 needs a backend login of its own: the server must still take new ones.
    const latin1 = await clients.client({ charset: 'LATIN1_SWEDISH_CI' });
    expect((await one(latin1, 'SELECT 1 AS one')).one).toBe(1);
    expect((await one(before, 'SELECT 2 AS two')).two).toBe(2);
  });
});

describe('a login in a client character set', () => {
  // (Ids 0 and 255 are left out: MariaDB's own answer after a reset then depends on whether
  // its connection thread came from its thread cache.)
  it.each([[8], [224], [45], [33], [63], [246]])(
    "collation %i: the session variables and result collations are MariaDB's, and a reset after SET NAMES restores them",
    async (charset) => {
      const seen = async (side: Side) => {
        const c = await login(side, charset);
        try {
          const atLogin = await charsetSeen(c);
          await c.query('SET NAMES latin1');
          const r = await c.command(buildResetConnection());
          return { atLogin, reset: r.error?.errno, afterReset: await charsetSeen(c) };
        } finally {
          await c.close();
        }
      };
      expect(await seen('proxy')).toEqual(await seen('direct'));
    },
  );
});

describe('COM_CHANGE_USER naming a collation', () => {
  it.each([
    [45, 8],
    [45, 224],
    [45, 33],
    [45, 63],
    [8, 224],
    [224, 8],
  ])(
    "after a login in collation %i, a change to %i: the session variables and result collations are MariaDB's, and a reset restores them",
    async (loginCharset, charset) => {
      const seen = async (side: Side) => {
        const c = await login(side, loginCharset);
        try {
          const changed = await rawChangeUser(c, accountOf(side), { charset });
          const afterChange = await charsetSeen(c);
          // A set none of the cases uses, so that the reset has something to undo.
          await c.query('SET NAMES koi8r');
          await c.command(buildResetConnection());
          return { changed: changed.error?.errno, afterChange, afterReset: await charsetSeen(c) };
        } finally {
          await c.close();
        }
      };
      expect(await seen('proxy')).toEqual(await seen('direct'));
    },
  );

  it.each([
    [35, 'ucs2'],
    [54, 'utf16'],
    [56, 'utf16le'],
    [160, 'utf32'],
  ])(
    "to collation %i (%s, no client's) is refused with MariaDB's 1231, and the connection goes on as before",
    async (charset) => {
      const refusal = async (side: Side) => {
        const c = await login(side, 45);
        try {
          const { error } = await rawChangeUser(c, accountOf(side), { charset });
          const after = await rawResult(c, 'SELECT 1 AS still');
          return { refusal: `${error?.errno} ${error?.sqlState} ${error?.message}`, after };
        } finally {
          await c.close().catch(() => {});
        }
      };
      const expected = await refusal('direct');
      expect(expected.refusal).toMatch(/^1231 /);
      expect(await refusal('proxy')).toEqual(expected);
    },
  );
});

/** Stands for a COM_RESET_CONNECTION among a scenario's statements. */
const RESET = 'COM_RESET_CONNECTION';

const SCENARIOS: [string, number, string[]][] = [
  ['SET CHARACTER SET latin1', 45, ['SET CHARACTER SET latin1']],
  // The connection's set becomes the database's (latin1), not the one named.
  ['SET CHARACTER SET in a latin1 database', 45, ['USE l1db', 'SET CHARACTER SET utf8mb4', 'USE test']],
  ['SET CHARACTER SET DEFAULT', 8, ['SET CHARACTER SET DEFAULT']],
  ['SET NAMES DEFAULT', 8, ['SET NAMES DEFAULT']],
  ['SET NAMES binary', 45, ['SET NAMES binary']],
  ['SET character_set_results = NULL', 45, ['SET character_set_results = NULL']],
  [
    'SET NAMES latin1, then character_set_results = NULL',
    45,
    ['SET NAMES latin1', 'SET character_set_results = NULL'],
  ],
  [
    'SET NAMES latin1, then character_set_results = utf8mb4',
    45,
    ['SET NAMES latin1', 'SET character_set_results = utf8mb4'],
  ],
  [
    'SET @@session.character_set_results = DEFAULT after SET NAMES utf8mb4',
    8,
    ['SET NAMES utf8mb4', 'SET @@session.character_set_results = DEFAULT'],
  ],
  [
    'SET NAMES latin1, character_set_results and collation_connection in one SET',
    45,
    ['SET NAMES latin1, character_set_results = utf8mb4, collation_connection = latin1_bin'],
  ],
  ['character_set_results = NULL, then a reset', 8, ['SET character_set_results = NULL', RESET]],
  [
    'SET CHARACTER SET latin1 in a utf8mb4 database, then a reset',
    224,
    ['USE u8db', 'SET CHARACTER SET latin1', RESET],
  ],
];

/** The variables, non-ASCII values in latin1 and utf8mb4 columns, and the collation in force. */
const CHECKS = [
  'SELECT @@character_set_client, @@character_set_connection, @@character_set_results, @@collation_connection, @@character_set_database, DATABASE()',
  "SELECT 'é' AS lit, a, b, CONCAT(a, b) AS ab FROM test.cs",
  "SELECT 'a' = 'A' AS ci, 'a' = 'á' AS ai",
];

describe('character set statements', () => {
  it.each(SCENARIOS)(
    "%s (login collation %i) leaves MariaDB's variables, values and result collations, on either backend",
    async (_, charset, statements) => {
      const seen = async (side: Side) => {
        const c = await login(side, charset);
        try {
          const errors: string[] = [];
          for (const statement of statements) {
            const r =
              statement === RESET ? await c.command(buildResetConnection()) : await c.query(statement);
            if (r.error) errors.push(`${statement}: ${r.error.errno} ${r.error.message}`);
          }
          const checks = await hereAndElsewhere(side, c, charset, async () => {
            const out = [];
            for (const sql of CHECKS) out.push(await rawResult(c, sql));
            return out;
          });
          return { errors, checks };
        } finally {
          await c.close();
        }
      };
      expect(await seen('proxy')).toEqual(await seen('direct'));
    },
  );
});

describe.each([
  ['utf8mb4', 45, 'utf8'],
  ['latin1', 8, 'latin1'],
] as const)('a non-ASCII schema name of a %s client', (_, charset, encoding) => {
  const READ = 'SELECT DATABASE(), (SELECT x FROM t)';
  const read = (c: RawClient) => rawResult(c, READ, encoding);

  it.each([
    ['USE', (c: RawClient) => rawResult(c, 'USE `café`', encoding)],
    [
      'COM_INIT_DB',
      async (c: RawClient) => {
        const r = await c.command(Buffer.concat([Buffer.from([COM_INIT_DB]), Buffer.from('café', encoding)]));
        return r.error ? `ERR ${r.error.errno} ${r.error.message}` : 'OK';
      },
    ],
  ])('chosen with %s, is kept on another backend as on MariaDB', async (_, choose) => {
    const seen = async (side: Side) => {
      const c = await login(side, charset);
      try {
        const use = await choose(c);
        return { use, reads: await hereAndElsewhere(side, c, charset, () => read(c)) };
      } finally {
        await c.close();
      }
    };
    const expected = await seen('direct');
    expect(expected.use).toBe('OK');
    expect(await seen('proxy')).toEqual(expected);
  });

  it('named at login, is kept on another backend as on MariaDB', async () => {
    const seen = async (side: Side) => {
      const c = await login(side, charset, 'café');
      try {
        return await hereAndElsewhere(side, c, charset, () => read(c));
      } finally {
        await c.close();
      }
    };
    const expected = await seen('direct');
    expect(expected[0]).toMatchObject({ rows: [[Buffer.from('café', encoding).toString('latin1'), '42']] });
    expect(await seen('proxy')).toEqual(expected);
  });
});

describe("a client's non-ASCII schema on a connection another client left in another character set", () => {
  // The name goes in the character set the connection reads it in then (the other client's);
  // one that set cannot hold goes with the connection reading utf8mb4 for that command.
  it.each([
    ['café', 'latin1'],
    ['日本', 'latin1'],
    ['café', 'koi8r'],
    ['café', 'cp1251'],
  ])('`%s`, the connection left in %s: set there, and kept', async (db, other) => {
    const u = await login('proxy', 45);
    const l = await login('proxy', 45);
    try {
      expect(await rawResult(u, `USE \`${db}\``)).toBe('OK');
      const x = await backendOf(u);
      // L runs on u's connection (the other one is held) and leaves it in another character set.
      const held = await rawHoldBackend(fx, x, 45, POOL, { other: true, capabilities: CAPABILITIES });
      try {
        expect(await rawResult(l, `SET NAMES ${other}`)).toBe('OK');
        expect(await backendOf(l)).toBe(x);
        expect(
          await rawResult(u, 'SELECT DATABASE(), @@character_set_client, (SELECT x FROM t)'),
        ).toMatchObject({
          rows: [[Buffer.from(db).toString('latin1'), 'utf8mb4', '42']],
        });
        expect(await backendOf(u)).toBe(x);
      } finally {
        await held.close();
      }
    } finally {
      await Promise.all([u.close(), l.close()]);
    }
  });

  it('a statement prepared in `日本` runs after SET NAMES latin1 on another backend, as on MariaDB', async () => {
    const seen = async (side: Side) => {
      const c = await login(side, 45);
      try {
        expect(await rawResult(c, 'USE `日本`')).toBe('OK');
        const prepared = await c.command(buildPrepare('SELECT x FROM t'));
        if (prepared.error) return `prepare: ${prepared.error.message}`;
        expect(await rawResult(c, 'USE test')).toBe('OK');
        expect(await rawResult(c, 'SET NAMES latin1')).toBe('OK');
        const execute = async () => {
          const r = await c.command(
            buildExecute({ statementId: prepared.prepared!.statementId, params: [] }),
          );
          return r.error ? `ERR ${r.error.errno} ${r.error.message}` : `rows ${r.rows}`;
        };
        return await hereAndElsewhere(side, c, 45, execute);
      } finally {
        await c.close();
      }
    };
    const expected = await seen('direct');
    expect(expected).toEqual(['rows 1', 'rows 1']);
    expect(await seen('proxy')).toEqual(expected);
  });
});
