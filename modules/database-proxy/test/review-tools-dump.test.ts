/**
 * REVIEW SCRATCH: mariadb-dump and restore with the mariadb CLI through the proxy, compared with
 * the same tools straight at MariaDB, while other mysql2 clients with odd session state use the
 * same pool of 2 (state must not leak either way).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { APP_USER, BACKEND_USER } from './support/proxy-fixture.js';
import { proxyTestFile } from './support/proxy-test-file.js';

const DB = 'dsrc';

const { fx, direct, clients } = proxyTestFile({
  pool: 2,
  setup: async (d) => {
    await d.query(`CREATE DATABASE ${DB} CHARACTER SET utf8mb4`);
    await d.query(`USE ${DB}`);
    await d.query(
      'CREATE TABLE t_text (id INT AUTO_INCREMENT PRIMARY KEY, s VARCHAR(100) CHARACTER SET utf8mb4, e TEXT CHARACTER SET utf8mb4, d DATETIME, ts TIMESTAMP NULL) ENGINE=InnoDB',
    );
    await d.query(
      `INSERT INTO t_text (s, e, d, ts) VALUES
        ('plain', 'x', '2020-01-02 03:04:05', '2020-01-02 03:04:05'),
        ('émoji 😀 ünïcode', 'multi\nline\ttab', '1999-12-31 23:59:59', '2021-06-01 12:00:00'),
        ('quote '' and "dq" and \\\\ back', 'nul:\\0:end', NULL, NULL),
        ('日本語テキスト', REPEAT('ab', 3000), '2000-01-01 00:00:00', '2000-01-01 00:00:00')`,
    );
    await d.query('CREATE TABLE t_blob (id INT PRIMARY KEY, b LONGBLOB, vb VARBINARY(16))');
    await d.query(
      "INSERT INTO t_blob VALUES (1, UNHEX('00FF5C27220A0D1A80C3'), UNHEX('DEADBEEF00')), (2, RANDOM_BYTES(1024), NULL), (3, REPEAT(UNHEX('00FF5C'), 100000), '')",
    );
    await d.query('CREATE TABLE t_big (id INT PRIMARY KEY, v VARCHAR(40))');
    await d.query("INSERT INTO t_big SELECT seq, CONCAT('row-', seq) FROM seq_1_to_5000");
    await d.query('CREATE TABLE t_audit (id INT AUTO_INCREMENT PRIMARY KEY, msg VARCHAR(100))');
    await d.query(
      "CREATE TRIGGER trg_text AFTER INSERT ON t_text FOR EACH ROW INSERT INTO t_audit (msg) VALUES (CONCAT('ins ', NEW.id))",
    );
    await d.query('CREATE FUNCTION f_add(x INT) RETURNS INT DETERMINISTIC RETURN x + 1');
    await d.query(
      "CREATE PROCEDURE p_fill(IN n INT) BEGIN DECLARE i INT DEFAULT 0; WHILE i < n DO INSERT INTO t_audit (msg) VALUES (CONCAT('p ', i)); SET i = i + 1; END WHILE; END",
    );
    await d.query('CREATE VIEW v_text AS SELECT id, s FROM t_text WHERE id < 3');
    await d.query('CREATE VIEW v_fn AS SELECT id, f_add(id) AS nxt FROM t_big WHERE id < 5');
    await d.query(
      "CREATE EVENT ev_daily ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 00:00:00' DO INSERT INTO t_audit (msg) VALUES ('ev')",
    );
    await d.query('CREATE SEQUENCE s1 START WITH 100 INCREMENT BY 5');
    await d.query('SELECT NEXTVAL(s1)');
    await d.query('CREATE TABLE acc (id INT PRIMARY KEY, bal INT NOT NULL) ENGINE=InnoDB');
    await d.query('CREATE TABLE acc2 (id INT PRIMARY KEY, bal INT NOT NULL) ENGINE=InnoDB');
    await d.query('INSERT INTO acc VALUES (1, 1000000)');
    await d.query('INSERT INTO acc2 VALUES (1, 0)');
    await d.query('USE test');
    await d.query('CREATE TABLE noise_t (id INT PRIMARY KEY, n INT NOT NULL DEFAULT 0, s VARCHAR(20))');
    await d.query('INSERT INTO noise_t (id) SELECT seq FROM seq_1_to_50');
    await d.query('CREATE TABLE noise_log (id INT AUTO_INCREMENT PRIMARY KEY, who VARCHAR(10))');
  },
});
const dir = mkdtempSync(join(tmpdir(), 'review-dump-'));
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
      { encoding: 'latin1', maxBuffer: 512 * 1024 * 1024, timeout },
      (err, stdout, stderr) =>
        resolve({
          code: err ? ((err as { code?: number }).code ?? -1) : 0,
          stdout: String(stdout),
          stderr:
            String(stderr) + (err && (err as { killed?: boolean }).killed ? '\n<<KILLED: timeout>>' : ''),
        }),
    );
    if (input !== undefined) child.stdin!.end(input, 'latin1');
    else child.stdin!.end();
  });
}

function normDump(text: string): string {
  return text
    .replace(/^-- Dump completed on .*$/m, '-- Dump completed on X')
    .replace(/^-- Host: .*$/m, '-- Host: X')
    .replace(/^-- Server version.*$/m, '-- Server version X')
    .replace(/AUTO_INCREMENT=\d+ /g, 'AUTO_INCREMENT=N ');
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

describe('mariadb-dump through the proxy', () => {
  it.each([
    ['default options', []],
    ['--single-transaction', ['--single-transaction']],
    ['--skip-lock-tables', ['--skip-lock-tables']],
    ['--lock-all-tables', ['--lock-all-tables']],
    ['--routines --triggers --events', ['--routines', '--triggers', '--events']],
    ['--hex-blob --routines --events', ['--hex-blob', '--routines', '--events']],
    ['--compact', ['--compact']],
    ['--skip-extended-insert --complete-insert', ['--skip-extended-insert', '--complete-insert']],
    ['--skip-tz-utc', ['--skip-tz-utc']],
    ['--databases --add-drop-database', ['--add-drop-database', '--routines', '--events', '--databases']],
    ['--no-data --routines', ['--no-data', '--routines']],
    ['--xml', ['--xml']],
    ['--where', ['--where=id<3']],
    ['--default-character-set=latin1', ['--default-character-set=latin1']],
    ['--no-autocommit --insert-ignore', ['--no-autocommit', '--insert-ignore']],
    ['--skip-quick --order-by-primary', ['--skip-quick', '--order-by-primary']],
    [
      '--single-transaction --routines --events --hex-blob',
      ['--single-transaction', '--routines', '--events', '--hex-blob'],
    ],
  ])('%s: same output as straight at MariaDB, no state leak', async (_, opts) => {
    const args = [...(opts as string[]), DB];
    const ref = await run('mariadb-dump', 'ref', args);
    const { value: prx, problems } = await withNoise(() => run('mariadb-dump', 'prx', args));
    expect({ code: prx.code, stderr: prx.stderr }).toEqual({ code: ref.code, stderr: ref.stderr });
    expect(normDump(prx.stdout)).toEqual(normDump(ref.stdout));
    expect(problems).toEqual([]);
  });

  it('the dump header names the same server version', async () => {
    const ref = await run('mariadb-dump', 'ref', ['--no-data', DB]);
    const prx = await run('mariadb-dump', 'prx', ['--no-data', DB]);
    const v = (s: string) => /^-- Server version\s*(.*)$/m.exec(s)?.[1];
    expect(v(prx.stdout)).toEqual(v(ref.stdout));
  });

  it('--single-transaction gives a consistent snapshot while others move money through the proxy', async () => {
    const mover = await clients.client();
    let stop = false;
    let moves = 0;
    const errors: string[] = [];
    const moving = (async () => {
      while (!stop) {
        try {
          await mover.query('START TRANSACTION');
          await mover.query(`UPDATE ${DB}.acc SET bal = bal - 1 WHERE id = 1`);
          await mover.query(`UPDATE ${DB}.acc2 SET bal = bal + 1 WHERE id = 1`);
          await mover.query('COMMIT');
          moves++;
        } catch (err) {
          errors.push((err as Error).message);
          await mover.query('ROLLBACK').catch(() => {});
        }
      }
    })();
    const sums: number[] = [];
    const bad: string[] = [];
    try {
      for (const opts of [
        ['--single-transaction'],
        ['--lock-tables'],
        ['--single-transaction'],
        ['--lock-tables'],
      ]) {
        const out = await run('mariadb-dump', 'prx', [...opts, '--skip-extended-insert', DB, 'acc', 'acc2']);
        if (out.code !== 0) bad.push(`${opts}: ${out.stderr}`);
        const a = /INSERT INTO `acc` VALUES \(1,(-?\d+)\)/.exec(out.stdout);
        const b = /INSERT INTO `acc2` VALUES \(1,(-?\d+)\)/.exec(out.stdout);
        if (!a || !b) bad.push(`${opts}: no rows in dump`);
        else sums.push(Number(a[1]) + Number(b[1]));
      }
    } finally {
      stop = true;
      await moving;
    }
    expect(bad).toEqual([]);
    expect(errors).toEqual([]);
    expect(moves).toBeGreaterThan(0);
    expect(sums.every((s) => s === 1_000_000)).toBe(true);
  }, 120_000);
});

describe('restore through the proxy with the mariadb CLI', () => {
  async function dumpOf(db: string, extra: string[] = []): Promise<string> {
    const out = await run('mariadb-dump', 'ref', [
      '--routines',
      '--events',
      '--triggers',
      '--skip-dump-date',
      ...extra,
      db,
    ]);
    expect(out.stderr).toBe('');
    return out.stdout;
  }

  it.each([
    ['full dump with routines, events, triggers', [] as string[]],
    ['--hex-blob', ['--hex-blob']],
    ['--compact', ['--compact']],
    ['--no-autocommit --skip-extended-insert', ['--no-autocommit', '--skip-extended-insert']],
    ['--single-transaction --tz-utc', ['--single-transaction']],
  ])(
    '%s: restored data and objects equal a direct restore',
    async (label, extra) => {
      const dump = await dumpOf(DB, extra);
      const tag = label.replace(/\W+/g, '').slice(0, 12).toLowerCase();
      for (const s of ['ref', 'prx'] as const) {
        await direct().query(`DROP DATABASE IF EXISTS r_${s}_${tag}`);
        await direct().query(`CREATE DATABASE r_${s}_${tag} CHARACTER SET utf8mb4`);
      }
      const ref = await run('mariadb', 'ref', ['--binary-mode', `r_ref_${tag}`], dump);
      const { value: prx, problems } = await withNoise(() =>
        run('mariadb', 'prx', ['--binary-mode', `r_prx_${tag}`], dump),
      );
      expect({ code: prx.code, stderr: prx.stderr }).toEqual({ code: ref.code, stderr: ref.stderr });
      // Compare what each restore produced, dumped straight from MariaDB.
      const a = (await dumpOf(`r_ref_${tag}`)).replaceAll(`r_ref_${tag}`, 'R');
      const b = (await dumpOf(`r_prx_${tag}`)).replaceAll(`r_prx_${tag}`, 'R');
      expect(normDump(b)).toEqual(normDump(a));
      expect(problems).toEqual([]);
    },
    120_000,
  );

  it('a dump taken through the proxy restores through the proxy to the same database', async () => {
    const out = await run('mariadb-dump', 'prx', ['--routines', '--events', '--triggers', '--hex-blob', DB]);
    expect(out.code).toBe(0);
    const file = join(dir, 'rt.sql');
    writeFileSync(file, out.stdout, 'latin1');
    await direct().query('DROP DATABASE IF EXISTS r_roundtrip');
    await direct().query('CREATE DATABASE r_roundtrip CHARACTER SET utf8mb4');
    const { value: restore, problems } = await withNoise(() =>
      run('mariadb', 'prx', ['r_roundtrip', '-e', `source ${file}`]),
    );
    expect(restore.stderr).toBe('');
    expect(restore.code).toBe(0);
    const a = (await dumpOf(DB)).replaceAll(DB, 'R');
    const b = (await dumpOf('r_roundtrip')).replaceAll('r_roundtrip', 'R');
    expect(normDump(b)).toEqual(normDump(a));
    expect(readFileSync(file, 'latin1').length).toBeGreaterThan(0);
    expect(problems).toEqual([]);
  }, 120_000);

  it('two restores at once through the proxy (pool 2) and a dump at the same time', async () => {
    const dump = await dumpOf(DB);
    for (const n of [1, 2]) {
      await direct().query(`DROP DATABASE IF EXISTS r_par${n}`);
      await direct().query(`CREATE DATABASE r_par${n} CHARACTER SET utf8mb4`);
    }
    const { value, problems } = await withNoise(() =>
      Promise.all([
        run('mariadb', 'prx', ['r_par1'], dump),
        run('mariadb', 'prx', ['r_par2'], dump),
        run('mariadb-dump', 'prx', ['--single-transaction', DB]),
      ]),
    );
    expect(value.map((o) => [o.code, o.stderr])).toEqual([
      [0, ''],
      [0, ''],
      [0, ''],
    ]);
    const a = (await dumpOf(DB)).replaceAll(DB, 'R');
    for (const n of [1, 2]) {
      const b = (await dumpOf(`r_par${n}`)).replaceAll(`r_par${n}`, 'R');
      expect(normDump(b)).toEqual(normDump(a));
    }
    expect(problems).toEqual([]);
  }, 180_000);
});
