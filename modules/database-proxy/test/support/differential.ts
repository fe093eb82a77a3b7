/**
 * Differential testing of the proxy against MariaDB itself: a seeded generator picks, step by
 * step, a logical client and a statement from a catalogue; the statement runs on the client's
 * connection straight to MariaDB (the reference) and then on its connection through the proxy,
 * and the two outcomes must be equal once the side's own names are normalised.
 *
 * The two sides never touch each other: every name that is global on the server (schemas,
 * advisory locks) carries the side's prefix, written `{s}` in the catalogue and normalised back
 * to `ref` in outcomes. Names that are per connection on the server (user variables, temporary
 * tables, prepared statements, savepoints) are the same for every client on purpose: a leak
 * between clients sharing a backend connection shows up as a different answer.
 */
import { prng } from '@scalestack/test-harness';
import type mysql from 'mysql2/promise';

export type Side = 'ref' | 'prx';

/** One step of a run: what one logical client does next, on both of its connections. */
export interface Step {
  /** The logical client (0-based). */
  readonly client: number;
  /** The catalogue entry it comes from (what an exclusion names). */
  readonly entry: string;
  readonly kind: 'query' | 'execute' | 'unprepare' | 'reset' | 'changeUser';
  /** SQL with `{s}` for the side's prefix (`ref` / `prx`). */
  readonly sql?: string;
  // biome-ignore lint/suspicious/noExplicitAny: mysql2's execute() takes any parameter values
  readonly params?: any[];
  /** For changeUser: the schema (without prefix) to log into. */
  readonly schema?: string;
}

export interface Entry {
  readonly name: string;
  readonly weight: number;
  /**
   * It may leave the client holding a backend until its session is reset (transaction,
   * autocommit off, user variable, temporary table, advisory or table lock, SQL PREPARE, …).
   * With a pool of N the generator lets fewer than N clients hold one at a time, resetting a
   * holder first, or clients would wait for a backend forever.
   */
  readonly pins?: boolean;
  /** It ends every hold (COM_RESET_CONNECTION, COM_CHANGE_USER). */
  readonly unpins?: boolean;
  readonly make: (g: Gen, client: number) => Omit<Step, 'client' | 'entry'>;
}

/** The generator's dice. */
export class Gen {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = prng(seed);
  }
  /** In [0, 1). */
  float(): number {
    return this.next();
  }
  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
}

/** Logical clients per run. */
export const CLIENTS = 4;
/** Keys of the per-client tables are drawn from 1..KEYS (so duplicates happen). */
const KEYS = 12;

const q = (sql: string): Omit<Step, 'client' | 'entry'> => ({ kind: 'query', sql });

/**
 * The statement catalogue. `t{c}` is the client's own table (other clients only read it),
 * `sq{c}` its sequence, `tmp` a temporary table name every client uses.
 */
export const CATALOGUE: readonly Entry[] = [
  // --- user variables (pin: user_variable)
  {
    name: 'set user variable',
    weight: 3,
    pins: true,
    make: (g) =>
      q(
        g.pick([
          `SET @v = ${g.int(1, 99)}`,
          `SET @v = 'str${g.int(1, 9)}é'`,
          'SET @v = NULL',
          `SET @w = ${g.int(1, 9)}, @v = 'both'`,
        ]),
      ),
  },
  {
    name: 'read user variable',
    weight: 3,
    pins: true,
    make: () => q('SELECT @v AS v, @w AS w'),
  },
  // --- replayable session variables (no pin: session tracking carries them)
  {
    name: 'set sql_mode',
    weight: 3,
    make: (g) =>
      q(
        g.pick([
          "SET SESSION sql_mode = ''",
          "SET SESSION sql_mode = 'ANSI_QUOTES'",
          "SET SESSION sql_mode = 'TRADITIONAL'",
          "SET SESSION sql_mode = 'PIPES_AS_CONCAT,NO_BACKSLASH_ESCAPES'",
          "SET sql_mode = 'ONLY_FULL_GROUP_BY,STRICT_ALL_TABLES'",
          'SET SESSION sql_mode = DEFAULT',
          "SET @@session.sql_mode = 'NO_ZERO_DATE'",
        ]),
      ),
  },
  {
    name: 'read sql_mode',
    weight: 2,
    make: () => q("SELECT @@session.sql_mode AS m, 'a' || 'b' AS c, 1/0 AS z"),
  },
  {
    name: 'set time_zone',
    weight: 2,
    make: (g) =>
      q(
        g.pick([
          "SET time_zone = '+05:30'",
          "SET SESSION time_zone = '-03:00'",
          "SET time_zone = 'SYSTEM'",
          'SET @@session.time_zone = DEFAULT',
        ]),
      ),
  },
  {
    name: 'read time_zone',
    weight: 2,
    make: () =>
      q(
        "SELECT @@time_zone AS tz, FROM_UNIXTIME(1000000000) AS t, UNIX_TIMESTAMP('2020-01-01 00:00:00') AS u",
      ),
  },
  {
    name: 'set names',
    weight: 3,
    make: (g) =>
      q(g.pick(['SET NAMES latin1', 'SET NAMES utf8mb4', 'SET NAMES utf8mb3', 'SET CHARACTER SET latin1'])),
  },
  {
    name: 'set names with a collation',
    weight: 1,
    make: (g) => q(g.pick(['SET NAMES utf8mb4 COLLATE utf8mb4_bin', 'SET NAMES latin1 COLLATE latin1_bin'])),
  },
  {
    name: 'set character_set_results',
    weight: 2,
    make: (g) =>
      q(
        g.pick([
          'SET character_set_results = latin1',
          'SET character_set_results = utf8mb4',
          'SET character_set_results = NULL',
          'SET SESSION character_set_results = binary',
        ]),
      ),
  },
  {
    name: 'read non-ASCII',
    weight: 3,
    make: () =>
      q(
        "SELECT 'café' AS s, HEX('café') AS h, CHARSET('é') AS cs, @@character_set_client AS cc, @@character_set_results AS cr, @@collation_connection AS coll",
      ),
  },
  {
    name: 'set other session variable',
    weight: 4,
    make: (g) =>
      q(
        g.pick([
          `SET @@session.wait_timeout = ${g.int(1000, 2000)}`,
          `SET SESSION group_concat_max_len = ${g.int(4, 9)}`,
          `SET SESSION div_precision_increment = ${g.int(1, 9)}`,
          `SET SESSION sql_select_limit = ${g.int(1, 3)}`,
          'SET SESSION sql_select_limit = DEFAULT',
          `SET SESSION auto_increment_increment = ${g.int(1, 4)}`,
          `SET lc_time_names = '${g.pick(['fr_FR', 'de_DE', 'en_US'])}'`,
          `SET SESSION long_query_time = ${g.int(1, 20)}`,
          `SET SESSION TRANSACTION ISOLATION LEVEL ${g.pick(['READ COMMITTED', 'SERIALIZABLE', 'REPEATABLE READ'])}`,
          'SET SESSION TRANSACTION READ ONLY',
          'SET SESSION TRANSACTION READ WRITE',
          `SET SESSION tx_read_only = ${g.int(0, 1)}`,
          `SET SESSION completion_type = 'NO_CHAIN'`,
        ]),
      ),
  },
  {
    name: 'read session variables',
    weight: 3,
    make: () =>
      q(
        'SELECT @@session.wait_timeout AS w, @@session.group_concat_max_len AS g, @@session.div_precision_increment AS d, @@session.sql_select_limit AS l, @@auto_increment_increment AS ai, @@lc_time_names AS lc, @@session.long_query_time AS lq, @@tx_isolation AS iso, @@tx_read_only AS ro, @@completion_type AS ct, @@autocommit AS ac, @@in_transaction AS it',
      ),
  },
  {
    name: 'use session variables',
    weight: 2,
    make: (_g, c) =>
      q(
        `SELECT 1/3 AS d, GROUP_CONCAT(v ORDER BY id) AS g, DATE_FORMAT('2020-03-01', '%M %W') AS lc FROM t${c}`,
      ),
  },
  // --- reads
  {
    name: 'read own table',
    weight: 4,
    make: (g, c) =>
      q(
        g.pick([
          `SELECT id, k, v FROM t${c} ORDER BY id`,
          `SELECT COUNT(*) AS n, COALESCE(SUM(k), 0) AS s, MAX(id) AS m FROM t${c}`,
          `SELECT id, k, v FROM t${c} WHERE k > ${g.int(1, KEYS)} ORDER BY id FOR UPDATE`,
        ]),
      ),
  },
  {
    name: 'read another client table',
    weight: 2,
    make: (g, c) =>
      q(`SELECT COUNT(*) AS n, COALESCE(SUM(k), 0) AS s FROM t${(c + g.int(1, CLIENTS - 1)) % CLIENTS}`),
  },
  {
    name: 'select with warnings',
    weight: 2,
    make: (g) => q(g.pick(["SELECT CAST('7x' AS INT) AS x", 'SELECT 1/0 AS z', "SELECT 'a' + 1 AS y"])),
  },
  {
    name: 'show warnings',
    weight: 4,
    make: (g) =>
      q(
        g.pick([
          'SHOW WARNINGS',
          'SHOW COUNT(*) WARNINGS',
          'SHOW ERRORS',
          'SELECT @@warning_count AS w, @@error_count AS e',
          'SHOW WARNINGS LIMIT 1',
        ]),
      ),
  },
  // --- writes, insert ids, counts
  {
    name: 'insert',
    weight: 5,
    make: (g, c) => {
      const k = g.int(1, KEYS);
      return q(
        g.pick([
          `INSERT INTO t${c} (k, v) VALUES (${k}, 'v${k}')`,
          `INSERT IGNORE INTO t${c} (k, v) VALUES (${k}, 'i')`,
          `REPLACE INTO t${c} (k, v) VALUES (${k}, 'r')`,
          `INSERT INTO t${c} (k, v) VALUES (${k}, REPEAT('x', 30))`,
          `INSERT INTO t${c} (k) VALUES (NULL)`,
        ]),
      );
    },
  },
  {
    name: 'multi-row insert',
    weight: 2,
    make: (g, c) => q(`INSERT INTO t${c} (k, v) VALUES (${g.int(1, KEYS)}, 'a'), (${g.int(1, KEYS)}, 'b')`),
  },
  {
    name: 'insert on duplicate key update',
    weight: 2,
    make: (g, c) =>
      q(
        `INSERT INTO t${c} (k, v) VALUES (${g.int(1, KEYS)}, 'u') ON DUPLICATE KEY UPDATE v = LEFT(CONCAT(v, '+'), 20)`,
      ),
  },
  {
    name: 'read insert id',
    weight: 4,
    make: (g) =>
      q(
        g.pick(['SELECT LAST_INSERT_ID() AS id', 'SELECT @@identity AS id', 'SELECT @@last_insert_id AS id']),
      ),
  },
  {
    name: 'insert id with counts',
    weight: 2,
    make: (g) =>
      g.pick<Omit<Step, 'client' | 'entry'>>([
        q('SELECT LAST_INSERT_ID() AS id, ROW_COUNT() AS rc'),
        {
          kind: 'execute',
          sql: 'SELECT LAST_INSERT_ID() AS id, ROW_COUNT() AS rc, FOUND_ROWS() AS f',
          params: [],
        },
      ]),
  },
  {
    name: 'found rows',
    weight: 2,
    make: (g, c) =>
      q(
        g.pick([
          `SELECT SQL_CALC_FOUND_ROWS id, k FROM t${c} ORDER BY id LIMIT 2`,
          'SELECT FOUND_ROWS() AS f',
        ]),
      ),
  },
  {
    name: 'update or delete',
    weight: 4,
    make: (g, c) =>
      q(
        g.pick([
          `UPDATE t${c} SET v = 'w${g.int(1, 9)}' WHERE k <= ${g.int(1, KEYS)}`,
          `UPDATE t${c} SET v = v WHERE k = ${g.int(1, KEYS)}`,
          `DELETE FROM t${c} WHERE k = ${g.int(1, KEYS)}`,
          `UPDATE {s}_other.t${c} SET v = 'o' WHERE k = ${g.int(1, KEYS)}`,
        ]),
      ),
  },
  { name: 'row count', weight: 3, make: () => q('SELECT ROW_COUNT() AS rc') },
  // --- transactions
  {
    name: 'begin',
    weight: 3,
    pins: true,
    make: (g) =>
      q(
        g.pick([
          'BEGIN',
          'START TRANSACTION',
          'BEGIN WORK',
          'START TRANSACTION READ ONLY',
          'START TRANSACTION WITH CONSISTENT SNAPSHOT',
          'START TRANSACTION READ WRITE',
        ]),
      ),
  },
  {
    name: 'end transaction',
    weight: 3,
    make: (g) => q(g.pick(['COMMIT', 'ROLLBACK', 'COMMIT WORK', 'ROLLBACK AND NO CHAIN'])),
  },
  { name: 'commit and chain', weight: 1, pins: true, make: () => q('COMMIT AND CHAIN') },
  {
    name: 'savepoint',
    weight: 2,
    make: (g) => q(g.pick(['SAVEPOINT sp1', 'ROLLBACK TO SAVEPOINT sp1', 'RELEASE SAVEPOINT sp1'])),
  },
  { name: 'autocommit off', weight: 1, pins: true, make: () => q('SET autocommit = 0') },
  {
    name: 'autocommit on',
    weight: 2,
    make: (g) => q(g.pick(['SET autocommit = 1', 'SET SESSION autocommit = ON'])),
  },
  {
    name: 'set next transaction',
    weight: 1,
    pins: true,
    make: (g) => q(g.pick(['SET TRANSACTION ISOLATION LEVEL READ COMMITTED', 'SET TRANSACTION READ ONLY'])),
  },
  // --- temporary tables (pin: temporary_table)
  {
    name: 'create temporary table',
    weight: 2,
    pins: true,
    make: (g, c) =>
      q(
        g.pick([
          'CREATE TEMPORARY TABLE tmp (id INT PRIMARY KEY AUTO_INCREMENT, x INT)',
          `CREATE TEMPORARY TABLE t${c} SELECT * FROM t${c} LIMIT 1`,
        ]),
      ),
  },
  {
    name: 'use temporary table',
    weight: 3,
    // DROP TEMPORARY TABLE pins too (temporary_table), even when there was none.
    pins: true,
    make: (g) =>
      q(
        g.pick([
          `INSERT INTO tmp (x) VALUES (${g.int(1, 9)})`,
          'SELECT id, x FROM tmp ORDER BY id',
          'DROP TEMPORARY TABLE IF EXISTS tmp',
        ]),
      ),
  },
  // --- advisory locks (pin: advisory_lock); names are per side, timeouts 0
  {
    name: 'get lock',
    weight: 2,
    pins: true,
    make: (g, c) => q(`SELECT GET_LOCK('{s}_lk${g.pick([String(c), 'shared'])}', 0) AS g`),
  },
  {
    name: 'inspect or release lock',
    weight: 2,
    make: (g, c) =>
      q(
        g.pick([
          `SELECT IS_FREE_LOCK('{s}_lkshared') AS f, IS_USED_LOCK('{s}_lk${c}') IS NOT NULL AS u`,
          `SELECT RELEASE_LOCK('{s}_lk${c}') AS r`,
          `DO RELEASE_LOCK('{s}_lkshared')`,
          'SELECT RELEASE_ALL_LOCKS() AS n',
        ]),
      ),
  },
  // --- table locks (pin: table_lock); READ only, so other clients' reads never wait
  { name: 'lock tables', weight: 1, pins: true, make: (_g, c) => q(`LOCK TABLES t${c} READ`) },
  { name: 'unlock tables', weight: 1, make: () => q('UNLOCK TABLES') },
  // --- default schema
  {
    name: 'use schema',
    weight: 2,
    make: (g) => q(g.pick(['USE {s}_other', 'USE {s}_main'])),
  },
  { name: 'read schema', weight: 2, make: () => q('SELECT DATABASE() AS db') },
  // --- prepared statements (binary protocol, mysql2 execute() caches them per connection)
  {
    name: 'execute',
    weight: 5,
    make: (g, c) => {
      const k = g.int(1, KEYS);
      return g.pick<Omit<Step, 'client' | 'entry'>>([
        { kind: 'execute', sql: `SELECT id, k, v FROM t${c} WHERE k > ? ORDER BY id`, params: [k] },
        { kind: 'execute', sql: `INSERT INTO t${c} (k, v) VALUES (?, ?)`, params: [k, 'p'] },
        { kind: 'execute', sql: `UPDATE t${c} SET v = ? WHERE k = ?`, params: ['pu', k] },
        {
          kind: 'execute',
          sql: 'SELECT DATABASE() AS db, @@session.sql_mode AS m, @@time_zone AS tz',
          params: [],
        },
        { kind: 'execute', sql: 'SELECT COUNT(*) AS n FROM tmp', params: [] },
        { kind: 'execute', sql: 'SELECT FROM_UNIXTIME(?) AS t', params: [1000000000] },
      ]);
    },
  },
  {
    name: 'execute with string parameters',
    weight: 1,
    make: () => ({ kind: 'execute', sql: "SELECT ? AS a, CONCAT(?, 'é') AS b", params: ['x', 'ü'] }),
  },
  {
    name: 'close prepared statement',
    weight: 1,
    make: (g, c) => ({
      kind: 'unprepare',
      sql: g.pick([
        `SELECT id, k, v FROM t${c} WHERE k > ? ORDER BY id`,
        `INSERT INTO t${c} (k, v) VALUES (?, ?)`,
      ]),
    }),
  },
  {
    name: 'sql prepare',
    weight: 1,
    pins: true,
    make: (_g, c) => q(`PREPARE s1 FROM 'SELECT COUNT(*) AS n FROM t${c}'`),
  },
  {
    name: 'sql execute',
    weight: 1,
    // EXECUTE / DEALLOCATE PREPARE pin (sql_prepare), even for a statement that does not exist.
    pins: true,
    make: (g) => q(g.pick(['EXECUTE s1', 'DEALLOCATE PREPARE s1'])),
  },
  // --- multi-statement texts
  {
    name: 'multi-statement',
    weight: 3,
    make: (g, c) => {
      const k = g.int(1, KEYS);
      return q(
        g.pick([
          `INSERT INTO t${c} (k, v) VALUES (${k}, 'm'); SELECT LAST_INSERT_ID() AS id; SELECT ROW_COUNT() AS rc`,
          'SELECT 1 AS a; SELECT 2 AS b',
          `UPDATE t${c} SET v = 'mm' WHERE k = ${k}; SHOW WARNINGS`,
          'SELECT 1 AS a; SELECT * FROM no_such_table; SELECT 3 AS c',
          "SET SESSION sql_mode = 'ANSI_QUOTES'; SELECT @@sql_mode AS m",
          'DO 1; SELECT ROW_COUNT() AS rc',
        ]),
      );
    },
  },
  {
    name: 'multi-statement with user variable',
    weight: 1,
    pins: true,
    make: () => q('SET @x = 5; SELECT @x AS x'),
  },
  // --- DO, errors
  { name: 'do', weight: 1, make: (g) => q(g.pick(['DO 1', 'DO SLEEP(0)'])) },
  {
    name: 'error',
    weight: 3,
    make: (g, c) =>
      q(
        g.pick([
          'SELECT * FROM no_such_table',
          'SELEC 1',
          `SELECT no_col FROM t${c}`,
          `INSERT INTO t${c} (k, v) VALUES (NULL, 'n')`,
        ]),
      ),
  },
  // --- state the connection keeps (pin: unreplayable_variable)
  {
    name: 'sequence',
    weight: 1,
    pins: true,
    make: (g, c) => q(g.pick([`SELECT NEXTVAL(sq${c}) AS n`, `SELECT LASTVAL(sq${c}) AS l`])),
  },
  {
    name: 'last_insert_id(expr)',
    weight: 1,
    pins: true,
    make: (g) => q(`SELECT LAST_INSERT_ID(${g.int(100, 199)}) AS x`),
  },
  // --- session resets
  { name: 'reset connection', weight: 1, unpins: true, make: () => ({ kind: 'reset' }) },
  {
    name: 'change user',
    weight: 1,
    unpins: true,
    make: (g) => ({ kind: 'changeUser', schema: g.pick(['main', 'other']) }),
  },
];

/**
 * Whether a step reads what the client's previous statement left on its connection: affected
 * rows, found rows, warnings and errors (the insert id is not counted: the proxy follows it).
 */
export function readsPreviousResults(step: Omit<Step, 'client' | 'entry'>): boolean {
  const first = step.sql?.split(';')[0] ?? '';
  return /ROW_COUNT\(\)|FOUND_ROWS\(\)|^SHOW (COUNT\(\*\) )?(WARNINGS|ERRORS)|@@warning_count|@@error_count/i.test(
    first,
  );
}

/**
 * Whether a step leaves results that the client's next statement may ask about, in a way the
 * proxy is meant to answer: a write (affected rows, insert id, warnings, errors), a SELECT that
 * reads a table (a pure read is run again for the question), or a SELECT that always warns.
 * Not (bugs 4 and 7 in differential.test.ts, or the documented `SET @@session.last_insert_id`
 * before an insert-id read): SET, USE,
 * DO, BEGIN/COMMIT, SHOW, resets, a batch, a SELECT with FOR UPDATE or a lock, sequence or
 * insert-id function or a variable, and a SELECT without a table (MariaDB keeps the
 * diagnostics of the statement before it).
 */
export function leavesResults(step: Omit<Step, 'client' | 'entry'>): boolean {
  if (step.kind !== 'query' && step.kind !== 'execute') return false;
  const sql = step.sql ?? '';
  if (readsPreviousResults(step) || sql.includes(';')) return false;
  if (/^(INSERT|UPDATE|DELETE|REPLACE)\b/i.test(sql)) return true;
  if (/^SELECT (CAST\('7x' AS INT\)|'a' \+ 1) AS \w+$/.test(sql)) return true;
  return (
    /^SELECT\b.* FROM t\d\b/i.test(sql) && !/FOR UPDATE|_LOCKS?\(|NEXTVAL|LASTVAL|LAST_INSERT_ID|@/i.test(sql)
  );
}

/**
 * Generates the steps of one run.
 *
 * A statement that reads the previous statement's results comes right after a statement of the
 * same client that leaves some ({@link leavesResults}): the proxy keeps a backend for them only
 * until the client's next statement or `result_hold` of its silence (README, `previous_result`),
 * and another client's statement in between may wait for a backend that long.
 */
export function* steps(
  seed: number,
  count: number,
  exclude: ReadonlySet<string>,
  pool: number,
): Generator<Step> {
  const g = new Gen(seed);
  const entries = CATALOGUE.filter((e) => !exclude.has(e.name));
  const total = entries.reduce((n, e) => n + e.weight, 0);
  const holding = new Set<number>();
  const resetEntry = CATALOGUE.find((e) => e.name === 'reset connection')!;
  const changeUserEntry = CATALOGUE.find((e) => e.name === 'change user')!;
  let last: Step | undefined;
  function* emit(step: Step): Generator<Step> {
    last = step;
    yield step;
  }
  const unpinFor = (client: number): Step => {
    const e = g.float() < 0.5 ? resetEntry : changeUserEntry;
    return { client, entry: e.name, ...e.make(g, client) };
  };
  const pickEntry = (): Entry => {
    let r = g.float() * total;
    for (const e of entries) {
      r -= e.weight;
      if (r < 0) return e;
    }
    return entries[entries.length - 1]!;
  };
  for (let i = 0; i < count; i++) {
    let client = g.int(0, CLIENTS - 1);
    // Holders give their backend back now and then, so clients also move between backends.
    for (const h of [...holding]) {
      if (g.float() < 0.08) {
        holding.delete(h);
        yield* emit(unpinFor(h));
      }
    }
    let entry: Entry;
    let made: Omit<Step, 'client' | 'entry'>;
    for (;;) {
      entry = pickEntry();
      made = entry.make(g, client);
      if (!readsPreviousResults(made)) break;
      // FOUND_ROWS() counts the last SELECT's rows, however far back (bug 8 in the test).
      const afterSelect = last !== undefined && /^SELECT/i.test(last.sql ?? '');
      if (/FOUND_ROWS\(\)/i.test(made.sql ?? '') && !afterSelect) continue;
      if (last !== undefined && leavesResults(last)) {
        client = last.client;
        made = entry.make(g, client);
        break;
      }
    }
    if (entry.pins && !holding.has(client)) {
      // Fewer than `pool` holders at once: the others must always find a backend.
      while (holding.size >= pool - 1) {
        const h = [...holding][0]!;
        holding.delete(h);
        yield* emit(unpinFor(h));
      }
      holding.add(client);
    }
    if (entry.unpins) holding.delete(client);
    yield* emit({ client, entry: entry.name, ...made });
  }
}

/** What a statement did, normalised so the two sides compare. */
export type Outcome =
  | { ok: unknown }
  | { error: { code?: string; errno?: number; sqlState?: string; message?: string } };

export interface Credentials {
  user: string;
  password: string;
}

export interface Normalisation {
  /**
   * Leave out the OK packets' session-tracking data and SERVER_SESSION_STATE_CHANGED (bug 3 in
   * differential.test.ts: the proxy passes on what its backends track, not what the client's
   * session would).
   */
  ignoreSessionTracking: boolean;
}

/** SERVER_SESSION_STATE_CHANGED in an OK packet's status. */
const SESSION_STATE_CHANGED = 0x4000;
/**
 * SERVER_QUERY_NO_GOOD_INDEX_USED and SERVER_QUERY_NO_INDEX_USED: the optimizer's choice on each
 * side's own copy of the tables (its statistics), not anything of the session: not compared.
 */
const INDEX_HINTS = 0x0010 | 0x0020;

/** Runs `step` on `conn` as side `side` and returns its normalised outcome. */
export async function run(
  conn: mysql.Connection,
  step: Step,
  side: Side,
  creds: Credentials,
  norm: Normalisation,
): Promise<Outcome> {
  const sql = step.sql?.replaceAll('{s}', side);
  const canonical = (value: unknown) => canonicalOf(value, side, norm);
  try {
    switch (step.kind) {
      case 'query':
        return { ok: canonical(await conn.query(sql!)) };
      case 'execute':
        return { ok: canonical(await conn.execute(sql!, step.params)) };
      case 'unprepare':
        conn.unprepare(sql!);
        return { ok: 'unprepared' };
      case 'reset':
        await conn.reset();
        return { ok: 'reset' };
      case 'changeUser':
        await conn.changeUser({ ...creds, database: `${side}_${step.schema}` });
        return { ok: 'changed user' };
    }
  } catch (err) {
    const e = err as {
      code?: string;
      errno?: number;
      sqlState?: string;
      sqlMessage?: string;
      message?: string;
    };
    return {
      error: {
        code: e.code,
        errno: e.errno,
        sqlState: e.sqlState,
        message: normaliseText(e.sqlMessage ?? e.message ?? '', side),
      },
    };
  }
}

function normaliseText(s: string, side: Side): string {
  return side === 'prx' ? s.replaceAll('prx_', 'ref_') : s;
}

/** A JSON-able copy of a mysql2 result with the side's names normalised. */
function canonicalOf(value: unknown, side: Side, norm: Normalisation): unknown {
  const canonical = (v: unknown, _side: Side) => canonicalOf(v, side, norm);
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return normaliseText(value, side);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value !== 'object') return value;
  if (Buffer.isBuffer(value)) return { bytes: normaliseText(value.toString('latin1'), side) };
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (Array.isArray(value)) return value.map((v) => canonical(v, side));
  const name = value.constructor?.name;
  if (name === 'ResultSetHeader') {
    const h = value as mysql.ResultSetHeader & {
      serverStatus: number;
      changedRows?: number;
      stateChanges?: unknown;
    };
    return canonical(
      {
        affectedRows: h.affectedRows,
        insertId: h.insertId,
        warningStatus: h.warningStatus,
        changedRows: h.changedRows,
        info: h.info,
        serverStatus:
          (norm.ignoreSessionTracking ? h.serverStatus & ~SESSION_STATE_CHANGED : h.serverStatus) &
          ~INDEX_HINTS,
        stateChanges: norm.ignoreSessionTracking ? undefined : h.stateChanges,
      },
      side,
    );
  }
  if (name === 'ColumnDefinition') {
    const f = value as mysql.FieldPacket & Record<string, unknown>;
    return canonical(
      {
        name: f.name,
        orgName: f.orgName,
        table: f.table,
        orgTable: f.orgTable,
        db: f.db,
        characterSet: f.characterSet,
        columnLength: f.columnLength,
        columnType: f.columnType,
        flags: f.flags,
        decimals: f.decimals,
      },
      side,
    );
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[normaliseText(k, side)] = canonical(v, side);
  return out;
}

/** Statements to create one side's schemas, tables and sequences. */
export function setupSql(side: Side): string[] {
  const out: string[] = [];
  for (const schema of ['main', 'other']) {
    const db = `${side}_${schema}`;
    out.push(`DROP DATABASE IF EXISTS ${db}`, `CREATE DATABASE ${db}`);
    for (let c = 0; c < CLIENTS; c++) {
      out.push(
        `CREATE TABLE ${db}.t${c} (id INT AUTO_INCREMENT PRIMARY KEY, k INT NOT NULL, v VARCHAR(20), UNIQUE KEY (k))`,
        `INSERT INTO ${db}.t${c} (k, v) VALUES (1, 'a'), (2, 'b'), (3, '${schema}')`,
        `CREATE SEQUENCE ${db}.sq${c}`,
      );
    }
  }
  return out;
}
