/**
 * REVIEW SCRATCH: mariadb-slap through the proxy, compared with the
 * same tool straight at MariaDB, while other mysql2 clients with odd session state use the
 * same pool of 2.
 */
import { execFile } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { APP_USER, BACKEND_USER } from './support/proxy-fixture.js';
import { proxyTestFile } from './support/proxy-test-file.js';

const { fx, direct, clients } = proxyTestFile({
  pool: 2,
  setup: async (d) => {
    await d.query('CREATE TABLE noise_t (id INT PRIMARY KEY, n INT NOT NULL DEFAULT 0, s VARCHAR(20))');
    await d.query('INSERT INTO noise_t (id) SELECT seq FROM seq_1_to_50');
    await d.query('CREATE TABLE noise_log (id INT AUTO_INCREMENT PRIMARY KEY, who VARCHAR(10))');
  },
});
afterEach(() => clients.closeAll());

interface Out {
  code: number;
  stdout: string;
  stderr: string;
}

type Side = 'ref' | 'prx';

function run(tool: string, side: Side, args: string[], input?: string, timeout = 90_000): Promise<Out> {
  const [port, user] = side === 'ref' ? [fx().mariadb.port, BACKEND_USER] : [fx().port, APP_USER];
  return new Promise((resolve) => {
    const child = execFile(
      tool,
      ['--no-defaults', '-h127.0.0.1', `-P${port}`, `-u${user.name}`, `-p${user.password}`, ...args],
      { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout },
      (err, stdout, stderr) =>
        resolve({
          code: err ? ((err as { code?: number }).code ?? -1) : 0,
          stdout: String(stdout).replaceAll(`_${side}`, '_X').replaceAll(`/${side}/`, '/X/'),
          stderr:
            String(stderr).replaceAll(`_${side}`, '_X').replaceAll(`/${side}/`, '/X/') +
            (err && (err as { killed?: boolean }).killed ? '\n<<KILLED: timeout>>' : ''),
        }),
    );
    if (input !== undefined) child.stdin!.end(input);
    else child.stdin!.end();
  });
}

// ---------------------------------------------------------------------------------------------
// Noise: clients with odd session state and a watcher with the default state, on the same pool.
// ---------------------------------------------------------------------------------------------

const WATCHED = [
  'time_zone',
  'sql_mode',
  'sql_select_limit',
  'character_set_client',
  'character_set_results',
  'character_set_connection',
  'collation_connection',
  'foreign_key_checks',
  'unique_checks',
  'sql_safe_updates',
  'group_concat_max_len',
  'tx_isolation',
  'tx_read_only',
  'autocommit',
  'sql_quote_show_create',
  'max_statement_time',
  'sql_notes',
  'character_set_database',
  'collation_database',
  'wait_timeout',
  'sql_log_off',
  'net_buffer_length',
  'optimizer_switch',
  'div_precision_increment',
  'lc_time_names',
  'system_versioning_insert_history',
];
const WATCH_SQL = `SELECT ${WATCHED.map((v) => `@@${v} AS \`${v}\``).join(', ')}, DATABASE() AS db FROM noise_t WHERE id = 1`;

export interface Noise {
  stop(): Promise<string[]>;
  counts(): Record<string, number>;
}

export async function startNoise(clientsLike: typeof clients): Promise<Noise> {
  const problems: string[] = [];
  const counts: Record<string, number> = { watch: 0, odd: 0, ro: 0, writes: 0 };
  let stop = false;
  const watcher = await clientsLike.client();
  const [baseRows] = await watcher.query(WATCH_SQL);
  const base = (baseRows as Record<string, unknown>[])[0]!;

  const odd = await clientsLike.client();
  await odd.query('SET NAMES latin1');
  await odd.query(
    "SET SESSION time_zone = '+05:00', sql_mode = 'ANSI_QUOTES,NO_BACKSLASH_ESCAPES', sql_select_limit = 1, sql_quote_show_create = 0, foreign_key_checks = 0, unique_checks = 0, sql_safe_updates = 1, group_concat_max_len = 4, max_statement_time = 30, sql_notes = 0, div_precision_increment = 9, lc_time_names = 'de_DE'",
  );
  await odd
    .query("SET SESSION character_set_database = 'latin1'")
    .catch((e) => problems.push(`odd cs_db: ${e}`));
  await odd.query('SET SESSION TRANSACTION ISOLATION LEVEL READ UNCOMMITTED');
  const [oddBase] = await odd.query(WATCH_SQL);
  const oddWant = (oddBase as Record<string, unknown>[])[0]!;

  const ro = await clientsLike.client();
  await ro.query('SET SESSION TRANSACTION READ ONLY');

  const diff = (got: Record<string, unknown>, want: Record<string, unknown>) =>
    Object.keys(want)
      .filter((k) => String(got[k]) !== String(want[k]))
      .map((k) => `${k}: ${String(want[k])} -> ${String(got[k])}`);

  const loop = async (name: string, f: () => Promise<void>) => {
    while (!stop) {
      try {
        await f();
        counts[name] = (counts[name] ?? 0) + 1;
      } catch (err) {
        problems.push(`${name}: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
  const loops = [
    loop('watch', async () => {
      const [r] = await watcher.query(WATCH_SQL);
      const d = diff((r as Record<string, unknown>[])[0]!, base);
      if (d.length) problems.push(`watcher state leak: ${d.join('; ')}`);
      await watcher.query('INSERT INTO noise_log (who) VALUES (?)', ['watch']);
      counts.writes = (counts.writes ?? 0) + 1;
    }),
    loop('odd', async () => {
      const [r] = await odd.query(WATCH_SQL);
      const d = diff((r as Record<string, unknown>[])[0]!, oddWant);
      if (d.length) problems.push(`odd client lost its state: ${d.join('; ')}`);
      await odd.query(`UPDATE noise_t SET n = n + 1 WHERE id = ${1 + Math.floor(Math.random() * 50)}`);
    }),
    loop('ro', async () => {
      await ro.query('SELECT COUNT(*) AS c FROM noise_t');
      const e = await ro.query("INSERT INTO noise_log (who) VALUES ('ro')").then(
        () => 0,
        (x) => (x as { errno: number }).errno,
      );
      if (e !== 1792) problems.push(`ro client's write was not refused as read only: ${e}`);
    }),
  ];
  return {
    counts: () => counts,
    async stop() {
      stop = true;
      await Promise.all(loops);
      const [[{ n }]] = (await direct().query(
        "SELECT COUNT(*) AS n FROM test.noise_log WHERE who = 'watch'",
      )) as [[{ n: number }], unknown];
      if (Number(n) !== counts.writes)
        problems.push(`noise_log has ${n} rows, watcher wrote ${counts.writes}`);
      await direct().query('DELETE FROM test.noise_log');
      counts.writes = 0;
      return [...new Set(problems)];
    },
  };
}

async function withNoise<T>(f: () => Promise<T>): Promise<{ value: T; problems: string[] }> {
  const noise = await startNoise(clients);
  try {
    const value = await f();
    return { value, problems: await noise.stop() };
  } catch (err) {
    await noise.stop();
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------

/** mariadb-slap prints timings; keep the shape and the exit status. */
const shape = (s: string) => s.replace(/\d+(\.\d+)?/g, 'N');

describe('mariadb-slap through the proxy (pool 2)', () => {
  it.each([
    [
      'mixed, concurrency 8',
      ['--concurrency=8', '--iterations=2', '--auto-generate-sql', '--number-of-queries=400'],
    ],
    [
      'write, concurrency 10',
      [
        '--concurrency=10',
        '--iterations=1',
        '--auto-generate-sql',
        '--auto-generate-sql-load-type=write',
        '--number-of-queries=500',
      ],
    ],
    [
      'key reads with autoincrement, concurrency 10',
      [
        '--concurrency=10',
        '--iterations=2',
        '--auto-generate-sql',
        '--auto-generate-sql-load-type=key',
        '--auto-generate-sql-add-autoincrement',
        '--number-of-queries=1000',
      ],
    ],
    [
      'update with --commit=5 (autocommit off: every client pinned), concurrency 6',
      [
        '--concurrency=6',
        '--iterations=1',
        '--auto-generate-sql',
        '--auto-generate-sql-load-type=update',
        '--auto-generate-sql-add-autoincrement',
        '--commit=5',
        '--number-of-queries=300',
      ],
    ],
    [
      'guid primary, mixed, --detach=10',
      [
        '--concurrency=5',
        '--iterations=1',
        '--auto-generate-sql',
        '--auto-generate-sql-guid-primary',
        '--detach=10',
        '--number-of-queries=300',
      ],
    ],
    [
      'custom --create/--query with a user variable and a temporary table',
      [
        '--concurrency=5',
        '--iterations=2',
        '--create=CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, v INT)',
        '--query=SET @x = 1; INSERT INTO t (v) VALUES (@x); SELECT LAST_INSERT_ID(); SELECT COUNT(*) FROM t',
        '--delimiter=;',
        '--number-of-queries=200',
      ],
    ],
  ])(
    '%s: succeeds as straight at MariaDB',
    async (_, args) => {
      const schema = (s: Side) => [`--create-schema=slap_${s}`];
      const ref = await run(
        'mariadb-slap',
        'ref',
        [...schema('ref'), ...(args as string[])],
        undefined,
        170_000,
      );
      const t0 = Date.now();
      const { value: prx, problems } = await withNoise(() =>
        run('mariadb-slap', 'prx', [...schema('prx'), ...(args as string[])], undefined, 170_000),
      );
      const took = Date.now() - t0;
      expect({ code: prx.code, stderr: prx.stderr, stdout: shape(prx.stdout) }).toEqual({
        code: ref.code,
        stderr: ref.stderr,
        stdout: shape(ref.stdout),
      });
      expect(problems).toEqual([]);
      expect(took).toBeLessThan(170_000);
    },
    360_000,
  );

  it('the schema slap dropped is gone, and clients that used it are fine', async () => {
    const [r] = await direct().query("SHOW DATABASES LIKE 'slap_%'");
    expect(r).toEqual([]);
    const c = await clients.client({ database: undefined });
    const [x] = await c.query('SELECT DATABASE() AS db, 1 AS one');
    expect(x).toEqual([{ db: null, one: 1 }]);
  });
});
