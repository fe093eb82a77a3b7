/**
 * REVIEW SCRATCH: mariadb-admin and mariadb-check through the proxy, compared with the same tools
 * straight at MariaDB, while other mysql2 clients with odd session state use the same pool of 2.
 */
import { execFile } from 'node:child_process';
import { waitFor } from '@scalestack/test-harness';
import { afterEach, describe, expect, it } from 'vitest';
import { startRelayedProxy } from './support/backend-relay.js';
import { APP_USER, BACKEND_USER } from './support/proxy-fixture.js';
import { proxyTestFile } from './support/proxy-test-file.js';

const { fx, direct, clients } = proxyTestFile({
  pool: 2,
  setup: async (d) => {
    await d.query('CREATE TABLE noise_t (id INT PRIMARY KEY, n INT NOT NULL DEFAULT 0, s VARCHAR(20))');
    await d.query('INSERT INTO noise_t (id) SELECT seq FROM seq_1_to_50');
    await d.query('CREATE TABLE noise_log (id INT AUTO_INCREMENT PRIMARY KEY, who VARCHAR(10))');
    for (const s of ['ref', 'prx']) {
      await d.query(`CREATE DATABASE chk_${s}`);
      await d.query(`CREATE TABLE chk_${s}.t_inno (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=InnoDB`);
      await d.query(`INSERT INTO chk_${s}.t_inno SELECT seq, CONCAT('v', seq) FROM seq_1_to_500`);
      await d.query(`CREATE TABLE chk_${s}.t_myi (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=MyISAM`);
      await d.query(`INSERT INTO chk_${s}.t_myi SELECT seq, CONCAT('v', seq) FROM seq_1_to_500`);
      await d.query(`CREATE TABLE chk_${s}.t_aria (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=Aria`);
      await d.query(`INSERT INTO chk_${s}.t_aria SELECT seq, CONCAT('v', seq) FROM seq_1_to_500`);
      await d.query(`CREATE TABLE chk_${s}.t_gone (id INT)`);
      await d.query(`CREATE VIEW chk_${s}.v_ok AS SELECT id FROM chk_${s}.t_inno`);
      await d.query(`CREATE VIEW chk_${s}.v_broken AS SELECT id FROM chk_${s}.t_gone`);
      await d.query(`DROP TABLE chk_${s}.t_gone`);
      await d.query(`CREATE TABLE chk_${s}.\`tëst_ü\` (id INT PRIMARY KEY) ENGINE=InnoDB`);
    }
  },
});
afterEach(() => clients.closeAll());

interface Out {
  code: number;
  stdout: string;
  stderr: string;
}

type Side = 'ref' | 'prx';

function run(tool: string, side: Side, args: string[], input?: string, timeout = 60_000): Promise<Out> {
  const [port, user] = side === 'ref' ? [fx().mariadb.port, BACKEND_USER] : [fx().port, APP_USER];
  return new Promise((resolve) => {
    const child = execFile(
      tool,
      ['--no-defaults', '-h127.0.0.1', `-P${port}`, `-u${user.name}`, `-p${user.password}`, ...args],
      { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout },
      (err, stdout, stderr) =>
        resolve({
          code: err ? ((err as { code?: number }).code ?? -1) : 0,
          stdout: String(stdout).replaceAll(`_${side}`, '_X'),
          stderr:
            String(stderr).replaceAll(`_${side}`, '_X') +
            (err && (err as { killed?: boolean }).killed ? '\n<<KILLED: timeout>>' : ''),
        }),
    );
    if (input !== undefined) child.stdin!.end(input);
    else child.stdin!.end();
  });
}

const numbers = (s: string) => s.replace(/\d+(\.\d+)?/g, 'N');

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

describe('mariadb-admin through the proxy', () => {
  it.each([
    ['ping', ['ping']],
    ['status', ['status']],
    ['version', ['version']],
    ['extended-status', ['extended-status']],
    ['variables', ['variables']],
    ['processlist', ['processlist']],
    ['flush-tables', ['flush-tables']],
    ['flush-status', ['flush-status']],
    ['flush-privileges', ['flush-privileges']],
    ['flush-hosts', ['flush-hosts']],
    ['flush-logs', ['flush-logs']],
    ['flush-table-statistics flush-user-resources', ['flush-table-statistics', 'flush-user-resources']],
    ['flush-threads', ['flush-threads']],
    ['refresh', ['refresh']],
    ['reload', ['reload']],
    ['debug', ['debug']],
    ['-i1 -c2 ping status', ['-i1', '-c2', 'ping', 'status']],
  ])('%s: same exit code and output shape as straight at MariaDB', async (_, args) => {
    const ref = await run('mariadb-admin', 'ref', args as string[]);
    const { value: prx, problems } = await withNoise(() => run('mariadb-admin', 'prx', args as string[]));
    expect({ code: prx.code, stderr: prx.stderr }).toEqual({ code: ref.code, stderr: ref.stderr });
    if (args[0] === 'variables' || args[0] === 'ping') expect(prx.stdout).toEqual(ref.stdout);
    else if (args[0] === 'status' || args[0] === 'version')
      expect(numbers(prx.stdout)).toEqual(numbers(ref.stdout));
    expect(problems).toEqual([]);
  });

  it('create and drop a database', async () => {
    for (const s of ['ref', 'prx'] as const) {
      const c = await run('mariadb-admin', s, ['create', `adm_${s}`]);
      const dd = await run('mariadb-admin', s, ['-f', 'drop', `adm_${s}`]);
      expect({ c: c.code, d: dd.code, out: dd.stdout, err: c.stderr + dd.stderr }).toEqual({
        c: 0,
        d: 0,
        out: 'Database "adm_X" dropped\n',
        err: '',
      });
    }
  });

  it('kill <the id a client got from the proxy> ends that client', async () => {
    const victim = await clients.client();
    const id = victim.threadId!;
    const out = await run('mariadb-admin', 'prx', ['kill', String(id)]);
    expect({ code: out.code, stderr: out.stderr }).toEqual({ code: 0, stderr: '' });
    const err = await victim.query('SELECT 1').then(
      () => undefined,
      (e) => e as Error,
    );
    expect(err).toBeDefined();
  });

  it('kill of an unknown id: same message as MariaDB', async () => {
    const ref = await run('mariadb-admin', 'ref', ['kill', '987654']);
    const prx = await run('mariadb-admin', 'prx', ['kill', '987654']);
    expect({ code: prx.code, stderr: prx.stderr }).toEqual({ code: ref.code, stderr: ref.stderr });
  });

  it('kill of the Id that mariadb-admin processlist shows for a running statement', async () => {
    // The user's natural workflow: processlist, then kill the Id it shows.
    const sleeper = await clients.client();
    const running = sleeper.query('SELECT SLEEP(5) AS s').then(
      ([r]) => r,
      (e) => e as Error,
    );
    await waitFor(async () => {
      const pl = await run('mariadb-admin', 'prx', ['processlist']);
      return /SELECT SLEEP\(5\)/.test(pl.stdout);
    });
    const pl = await run('mariadb-admin', 'prx', ['processlist']);
    const line = pl.stdout.split('\n').find((l) => /SELECT SLEEP\(5\)/.test(l))!;
    const shownId = line.split('|')[1]!.trim();
    const killed = await run('mariadb-admin', 'prx', ['kill', shownId]);
    const result = await running;
    // Straight at MariaDB: kill succeeds and the sleeper's query is interrupted / connection lost.
    expect({ code: killed.code, stderr: killed.stderr, shownId, proxyIdOfSleeper: sleeper.threadId }).toEqual(
      {
        code: 0,
        stderr: '',
        shownId,
        proxyIdOfSleeper: sleeper.threadId,
      },
    );
    expect(result).toBeInstanceOf(Error);
  });

  it('password: changes whose password? (run last in this describe)', async () => {
    const out = await run('mariadb-admin', 'prx', ['password', 'newpw']);
    // Straight at MariaDB the connected user's own password changes. Through the proxy the
    // statement runs as the backend service account.
    const check = await run('mariadb', 'ref', ['-e', 'select current_user()']);
    const [[who]] = (await direct().query(
      "SELECT authentication_string AS a FROM mysql.user WHERE user = 'proxy'",
    )) as unknown as [[{ a: string }]];
    await direct().query("SET PASSWORD FOR 'proxy'@'%' = PASSWORD('proxypw')");
    const viaNew = await new Promise<number>((resolve) =>
      execFile(
        'mariadb-admin',
        ['--no-defaults', '-h127.0.0.1', `-P${fx().port}`, '-uapp', '-pnewpw', '-e', 'select 1'],
        (err) => resolve(err ? ((err as { code?: number }).code ?? -1) : 0),
      ),
    );
    expect({
      adminExit: out.code,
      adminErr: out.stderr,
      backendUserStillLogsIn: check.code === 0,
      appLogsInWithNewPassword: viaNew === 0,
      backendCheckErr: check.stderr,
      proxyAccountHash: who.a,
    }).toEqual({
      adminExit: 0,
      adminErr: '',
      backendUserStillLogsIn: true,
      appLogsInWithNewPassword: true,
      backendCheckErr: '',
      proxyAccountHash: 'unchanged',
    });
  });
});

describe('mariadb-check through the proxy', () => {
  it.each([
    ['check one db', ['chk_DB']],
    ['--analyze', ['--analyze', 'chk_DB']],
    ['--optimize', ['--optimize', 'chk_DB']],
    ['--repair', ['--repair', 'chk_DB']],
    ['--extended --verbose', ['--extended', '--verbose', 'chk_DB']],
    ['--all-in-1', ['--all-in-1', 'chk_DB']],
    ['--auto-repair --check-upgrade', ['--auto-repair', '--check-upgrade', 'chk_DB']],
    ['--skip-write-binlog --analyze', ['--skip-write-binlog', '--analyze', 'chk_DB']],
    ['--databases chk test', ['--databases', 'chk_DB', 'test']],
    ['table list', ['chk_DB', 't_inno', 't_myi', 'v_ok']],
    ['--check-only-changed', ['--check-only-changed', 'chk_DB']],
    ['--default-character-set=utf8mb4', ['--default-character-set=utf8mb4', 'chk_DB']],
    ['--default-character-set=latin1', ['--default-character-set=latin1', 'chk_DB']],
  ])('%s: same output as straight at MariaDB', async (_, args) => {
    const a = (s: Side) => (args as string[]).map((x) => x.replace('_DB', `_${s}`));
    const ref = await run('mariadb-check', 'ref', a('ref'));
    const { value: prx, problems } = await withNoise(() => run('mariadb-check', 'prx', a('prx')));
    expect(prx).toEqual(ref);
    expect(problems).toEqual([]);
  });

  it('--all-databases --check: same output', async () => {
    const ref = await run('mariadb-check', 'ref', ['--all-databases']);
    const { value: prx, problems } = await withNoise(() => run('mariadb-check', 'prx', ['--all-databases']));
    expect({ code: prx.code, stderr: prx.stderr }).toEqual({ code: ref.code, stderr: ref.stderr });
    // the two chk_ dbs print the same lines, noise tables differ in nothing
    expect(prx.stdout).toEqual(ref.stdout);
    expect(problems).toEqual([]);
  });
});

describe('mariadb-admin ping as a health check', () => {
  it('ping through a proxy whose only server refuses connections', async () => {
    const { fx: down, relay } = await startRelayedProxy(fx().mariadb, 2, {}, { refuse: true });
    try {
      const ping = await new Promise<{ code: number; out: string }>((resolve) =>
        execFile(
          'mariadb-admin',
          ['--no-defaults', '-h127.0.0.1', `-P${down.port}`, '-uapp', '-psecret', 'ping'],
          { timeout: 30_000 },
          (err, stdout, stderr) =>
            resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, out: stdout + stderr }),
        ),
      );
      const status = await new Promise<{ code: number; out: string }>((resolve) =>
        execFile(
          'mariadb-admin',
          ['--no-defaults', '-h127.0.0.1', `-P${down.port}`, '-uapp', '-psecret', 'status'],
          { timeout: 30_000 },
          (err, stdout, stderr) =>
            resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, out: stdout + stderr }),
        ),
      );
      // Straight at a server that is down, ping fails (exit 1, "connect to server ... failed").
      expect({ ping, status }).toEqual({ ping: { code: 1, out: 'X' }, status: { code: 1, out: 'X' } });
    } finally {
      await down.stop();
      await relay.stop?.();
    }
  });
});
