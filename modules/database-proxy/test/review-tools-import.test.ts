/**
 * REVIEW SCRATCH: mariadb-import (LOAD DATA [LOCAL] INFILE) through the proxy, compared with the
 * same tool straight at MariaDB, while other mysql2 clients with odd session state use the
 * same pool of 2.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { APP_USER, BACKEND_USER } from './support/proxy-fixture.js';
import { proxyTestFile } from './support/proxy-test-file.js';

const { fx, direct, clients } = proxyTestFile({
  pool: 2,
  setup: async (d) => {
    await d.query('CREATE TABLE noise_t (id INT PRIMARY KEY, n INT NOT NULL DEFAULT 0, s VARCHAR(20))');
    await d.query('INSERT INTO noise_t (id) SELECT seq FROM seq_1_to_50');
    await d.query('CREATE TABLE noise_log (id INT AUTO_INCREMENT PRIMARY KEY, who VARCHAR(10))');
    await d.query('CREATE DATABASE imp CHARACTER SET utf8mb4');
  },
});
afterEach(() => clients.closeAll());
const root = mkdtempSync(join(tmpdir(), 'review-import-'));
chmodSync(root, 0o755);

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

/** Writes `files` (table name -> content) for each side as <dir>/<side>/<table>_<side>.txt. */
function files(test: string, content: Record<string, string | Buffer>): Record<Side, string[]> {
  const out = { ref: [] as string[], prx: [] as string[] };
  for (const s of ['ref', 'prx'] as const) {
    const d = join(root, test, s);
    mkdirSync(d, { recursive: true });
    chmodSync(join(root, test), 0o755);
    chmodSync(d, 0o755);
    for (const [t, c] of Object.entries(content)) {
      const p = join(d, `${t}_${s}.txt`);
      writeFileSync(p, c);
      chmodSync(p, 0o644);
      out[s].push(p);
    }
  }
  return out;
}

async function tables(ddl: (name: string) => string, names: string[]): Promise<void> {
  for (const s of ['ref', 'prx'])
    for (const n of names) {
      await direct().query(`DROP TABLE IF EXISTS imp.${n}_${s}`);
      await direct().query(ddl(`imp.${n}_${s}`));
    }
}

async function contents(name: string, s: Side): Promise<unknown> {
  const [rows] = await direct().query({
    sql: `SELECT * FROM imp.${name}_${s} ORDER BY 1`,
    rowsAsArray: true,
  });
  return JSON.parse(JSON.stringify(rows, (_, v) => (Buffer.isBuffer(v) ? v.toString('hex') : v)));
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

const T2 = (n: string) =>
  `CREATE TABLE ${n} (id INT PRIMARY KEY, s VARCHAR(40) CHARACTER SET utf8mb4, d DATE NULL, b VARBINARY(20) NULL)`;

const BASIC =
  [
    '1\tplain\t2020-01-02\tab',
    '2\témoji 😀 ü\t\\N\t\\0x',
    '3\ttab\\there\t1999-12-31\t',
    '4\tback\\\\slash\t\\N\t\\N',
    '5\t日本語\t2000-02-29\tzz',
  ].join('\n') + '\n';

describe('mariadb-import through the proxy', () => {
  async function compare(
    test: string,
    ddl: (n: string) => string,
    content: Record<string, string | Buffer>,
    opts: string[],
    noise = true,
  ) {
    await tables(ddl, Object.keys(content));
    const f = files(test, content);
    const ref = await run('mariadb-import', 'ref', [...opts, 'imp', ...f.ref]);
    const go = () => run('mariadb-import', 'prx', [...opts, 'imp', ...f.prx]);
    const { value: prx, problems } = noise ? await withNoise(go) : { value: await go(), problems: [] };
    const sortLines = (s: string) => s.split('\n').sort().join('\n');
    expect({ code: prx.code, stdout: sortLines(prx.stdout), stderr: prx.stderr }).toEqual({
      code: ref.code,
      stdout: sortLines(ref.stdout),
      stderr: ref.stderr,
    });
    for (const t of Object.keys(content)) expect(await contents(t, 'prx')).toEqual(await contents(t, 'ref'));
    expect(problems).toEqual([]);
  }

  it('--local, tab separated, utf8mb4, NULLs and escapes', () =>
    compare('basic', T2, { basic: BASIC }, ['--local']));

  it('--local --default-character-set=utf8mb4', () =>
    compare('cs', T2, { cs: BASIC }, ['--local', '--default-character-set=utf8mb4']));

  it('--local CSV options', () =>
    compare('csv', T2, { csv: 'id,s,d,b\r\n1,"a,b",2020-01-01,x\r\n2,"q""uote",\\N,y\r\n' }, [
      '--local',
      '--fields-terminated-by=,',
      '--fields-optionally-enclosed-by="',
      '--lines-terminated-by=\r\n',
      '--ignore-lines=1',
    ]));

  it('--local --columns', () =>
    compare('cols', T2, { cols: 'x1\t10\nx2\t20\n' }, ['--local', '--columns=s,id']));

  it('--local --ignore with duplicates and bad rows (warnings)', async () => {
    await compare(
      'ign',
      T2,
      {
        ign: '1\ta\t2020-01-01\tb\n1\tdup\t2020-01-01\tb\n2\ttoo long value that does not fit in forty characters at all\tnotadate\tb\n3\n',
      },
      ['--local', '--ignore'],
    );
  });

  it('--local --replace', () =>
    compare('rep', T2, { rep: '1\ta\t\\N\t\\N\n1\tb\t\\N\t\\N\n' }, ['--local', '--replace']));

  it('--local strict-mode error, without and with --force and two files', async () => {
    await compare(
      'err',
      T2,
      {
        err1: '1\ttoo long value that does not fit in forty characters at all\t\\N\t\\N\n',
        err2: '1\tok\t\\N\t\\N\n',
      },
      ['--local'],
    );
    await compare(
      'errf',
      T2,
      {
        errf1: '1\ttoo long value that does not fit in forty characters at all\t\\N\t\\N\n',
        errf2: '1\tok\t\\N\t\\N\n',
      },
      ['--local', '--force'],
    );
  });

  it('--local --delete (a DELETE FROM without WHERE first)', async () => {
    await tables(T2, ['del']);
    await direct().query("INSERT INTO imp.del_ref VALUES (99, 'old', NULL, NULL)");
    await direct().query("INSERT INTO imp.del_prx VALUES (99, 'old', NULL, NULL)");
    const f = files('del', { del: BASIC });
    const ref = await run('mariadb-import', 'ref', ['--local', '--delete', 'imp', ...f.ref]);
    const { value: prx, problems } = await withNoise(() =>
      run('mariadb-import', 'prx', ['--local', '--delete', 'imp', ...f.prx]),
    );
    expect(prx).toEqual(ref);
    expect(await contents('del', 'prx')).toEqual(await contents('del', 'ref'));
    expect(problems).toEqual([]);
  });

  it('--local --lock-tables with three files', () =>
    compare('lock', T2, { lk1: BASIC, lk2: BASIC, lk3: BASIC }, ['--local', '--lock-tables']));

  it('--local --use-threads=4 with six files (pool of 2)', () =>
    compare('thr', T2, { th1: BASIC, th2: BASIC, th3: BASIC, th4: BASIC, th5: BASIC, th6: BASIC }, [
      '--local',
      '--use-threads=4',
    ]));

  it('--local a 30 MB file', () => {
    const lines: string[] = [];
    for (let i = 1; i <= 400_000; i++) lines.push(`${i}\t${'x'.repeat(30)}-${i}\t2020-01-01\t${i % 1000}`);
    return compare(
      'big',
      (n) => `CREATE TABLE ${n} (id INT PRIMARY KEY, s VARCHAR(60), d DATE, b VARCHAR(10))`,
      { big: `${lines.join('\n')}\n` },
      ['--local'],
    );
  }, 180_000);

  it('server-side file (no --local)', () => compare('srv', T2, { srv: BASIC }, []));

  it('--local file that does not exist', async () => {
    await tables(T2, ['nofile']);
    const ref = await run('mariadb-import', 'ref', ['--local', 'imp', join(root, 'none', 'nofile_ref.txt')]);
    const prx = await run('mariadb-import', 'prx', ['--local', 'imp', join(root, 'none', 'nofile_prx.txt')]);
    expect({ code: prx.code, stderr: prx.stderr.replace('/prx/', '/ref/') }).toEqual({
      code: ref.code,
      stderr: ref.stderr,
    });
    // the connection must still be usable afterwards
    const after = await run('mariadb', 'prx', ['-e', 'select 1 as one']);
    expect(after.code).toBe(0);
  });
  it('--local --ignore-foreign-keys (SET foreign_key_checks=0 first) with --use-threads=2', async () => {
    for (const side of ['ref', 'prx']) {
      await direct().query(`DROP TABLE IF EXISTS imp.fkc1_${side}, imp.fkc2_${side}, imp.fkp_${side}`);
      await direct().query(`CREATE TABLE imp.fkp_${side} (id INT PRIMARY KEY) ENGINE=InnoDB`);
      for (const c of ['fkc1', 'fkc2'])
        await direct().query(
          `CREATE TABLE imp.${c}_${side} (id INT PRIMARY KEY, p INT, FOREIGN KEY (p) REFERENCES imp.fkp_${side} (id)) ENGINE=InnoDB`,
        );
    }
    const f = files('fk', { fkc1: '1\t10\n2\t20\n', fkc2: '1\t30\n' });
    const ref = await run('mariadb-import', 'ref', ['--local', '-k', '--use-threads=2', 'imp', ...f.ref]);
    const { value: prx, problems } = await withNoise(() =>
      run('mariadb-import', 'prx', ['--local', '-k', '--use-threads=2', 'imp', ...f.prx]),
    );
    const sortLines = (x: string) => x.split('\n').sort().join('\n');
    expect({ ...prx, stdout: sortLines(prx.stdout) }).toEqual({ ...ref, stdout: sortLines(ref.stdout) });
    for (const t of ['fkc1', 'fkc2']) expect(await contents(t, 'prx')).toEqual(await contents(t, 'ref'));
    expect(problems).toEqual([]);
  });
});

describe('character_set_database (what LOAD DATA reads a file in) follows the schema', () => {
  it('@@character_set_database of clients in a latin1 schema, while others use other schemas', async () => {
    await direct().query('CREATE DATABASE IF NOT EXISTS cs_lat CHARACTER SET latin1');
    await direct().query('CREATE DATABASE IF NOT EXISTS cs_utf CHARACTER SET utf8mb4');
    await direct().query('CREATE DATABASE IF NOT EXISTS cs_lat2 CHARACTER SET latin1');
    await direct().query('CREATE TABLE IF NOT EXISTS cs_lat.t (id INT)');
    await direct().query('CREATE TABLE IF NOT EXISTS cs_lat2.t (id INT)');
    await direct().query('CREATE TABLE IF NOT EXISTS cs_utf.t (id INT)');
    const seen: string[] = [];
    const a = await clients.client({ database: 'cs_lat' });
    const b = await clients.client({ database: 'cs_lat2' });
    const c = await clients.client({ database: 'test' });
    const d = await clients.client({ database: 'test' });
    await d.query('USE cs_lat');
    for (let i = 0; i < 40; i++) {
      const [ra] = await a.query('SELECT @@character_set_database AS cs, DATABASE() AS db FROM t LIMIT 1');
      const [rb] = await b.query('SELECT @@character_set_database AS cs, DATABASE() AS db FROM t LIMIT 1');
      const [rd] = await d.query('SELECT @@character_set_database AS cs, DATABASE() AS db FROM t LIMIT 1');
      await c.query(i % 2 ? 'USE cs_utf' : 'USE test');
      const [rc] = await c.query('SELECT @@character_set_database AS cs, DATABASE() AS db');
      for (const r of [ra, rb, rd, rc] as { cs: string; db: string }[][])
        if (r[0] && r[0].cs !== (r[0].db.startsWith('cs_lat') ? 'latin1' : 'utf8mb4'))
          seen.push(`${r[0].db}: ${r[0].cs}`);
    }
    expect([...new Set(seen)]).toEqual([]);
  });

  it('mariadb-import --local of a latin1 file into a latin1 database, after other clients used utf8mb4 schemas', async () => {
    await direct().query('CREATE DATABASE IF NOT EXISTS implat CHARACTER SET latin1');
    for (const side of ['ref', 'prx']) {
      await direct().query(`DROP TABLE IF EXISTS implat.lat_${side}`);
      await direct().query(`CREATE TABLE implat.lat_${side} (id INT PRIMARY KEY, s VARCHAR(20))`);
    }
    // Clients that leave backends in other schemas (and one that sets character_set_database).
    const others = await Promise.all([1, 2, 3].map(() => clients.client({ database: 'test' })));
    await others[0]!.query('USE cs_utf').catch(() => {});
    await others[1]!.query("SET SESSION character_set_database = 'utf8mb4'");
    await Promise.all(others.map((o) => o.query('SELECT COUNT(*) FROM information_schema.SCHEMATA')));
    const f = files('lat', { lat: Buffer.from('1\tcaf\xe9\n2\t\xdcml\xe4ut\n', 'latin1') });
    const ref = await run('mariadb-import', 'ref', ['--local', 'implat', ...f.ref]);
    const prx = await run('mariadb-import', 'prx', ['--local', 'implat', ...f.prx]);
    expect(prx).toEqual(ref);
    const q = async (side: string) =>
      (await direct().query(`SELECT id, HEX(s) AS h FROM implat.lat_${side} ORDER BY id`))[0];
    expect(await q('prx')).toEqual(await q('ref'));
  });
});
