/**
 * The `mariadb` command-line client through the proxy and straight at MariaDB, the same input
 * to both and the outputs compared (each side's table prefix normalised): batch and table
 * modes, \G, --show-warnings, --force, --compress (not offered: it runs uncompressed),
 * `source` of a file with DELIMITER, and piped input with a transaction — with other clients
 * reading on the same backends meanwhile.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@scalestack/test-harness';
import { afterEach, describe, expect, it } from 'vitest';
import { failure, hold, one } from './support/backends.js';
import { runTool, type ToolRun } from './support/client-tools.js';
import { connectAsBackendUser } from './support/proxy-fixture.js';
import { createNums, proxyTestFile } from './support/proxy-test-file.js';

const { fx, direct, clients } = proxyTestFile({
  pool: 2,
  setup: async (direct) => {
    await createNums(direct);
    await direct.query(
      'CREATE PROCEDURE two_sets() BEGIN SELECT 1 AS a; SELECT id FROM nums WHERE id <= 2; END',
    );
    await direct.query(
      "CREATE PROCEDURE warn_set() BEGIN SELECT CAST('3q' AS SIGNED) AS w FROM nums WHERE id = 1; SELECT 2 AS b; END",
    );
  },
});
const dir = mkdtempSync(join(tmpdir(), 'mariadb-cli-'));
afterEach(() => clients.closeAll());

function norm(text: string, side: string): string {
  return text
    .replaceAll(`${side}_`, 'X_')
    .replaceAll(`${side}.sql`, 'X.sql')
    .replace(/\(\d+\.\d+ sec\)/g, '(T sec)');
}

async function cli(side: 'ref' | 'prx', args: string[], input?: string): Promise<ToolRun> {
  const out = await runTool(fx(), 'mariadb', side === 'ref' ? 'server' : 'proxy', ['test', ...args], {
    feed: (stdin) => {
      stdin.end(input);
    },
  });
  return { code: out.code, stdout: norm(out.stdout, side), stderr: norm(out.stderr, side) };
}

async function both(args: (s: string) => string[], input?: (s: string) => string) {
  const ref = await cli('ref', args('ref'), input?.('ref'));
  const prx = await cli('prx', args('prx'), input?.('prx'));
  return { ref, prx };
}

/** With a holder on one backend and another client reading with warnings on the other. */
async function withNoise<T>(f: () => Promise<T>): Promise<T> {
  const noise = await clients.client();
  let stop = false;
  const busy = (async () => {
    while (!stop) await noise.query("SELECT CAST('noise' AS SIGNED) AS n FROM nums WHERE id = 2");
  })();
  try {
    return await f();
  } finally {
    stop = true;
    await busy;
  }
}

describe('mariadb CLI', () => {
  it.each([
    ['-e batch', ['-e', 'select 1 as a; select id from nums where id < 3; select 2 as b\\G']],
    ['--batch -N', ['--batch', '-N', '-e', 'select id, n from nums where id < 4; select @@autocommit']],
    ['--table', ['--table', '-e', 'select id from nums where id < 3; call two_sets()']],
    ['--compress', ['--compress', '-e', "select 1 as a; select repeat('z', 100000) as big; call two_sets()"]],
    ['--skip-ssl', ['--skip-ssl', '-e', 'select 1 as one']],
    [
      '--show-warnings',
      [
        '--show-warnings',
        '-e',
        "select cast('1x' as signed) as v from nums where id = 1; select 1; call warn_set(); do 0",
      ],
    ],
    [
      '--show-warnings errors',
      [
        '--show-warnings',
        '--force',
        '-e',
        'select * from no_such; select 2; insert ignore into nums (id) values (1); select 3',
      ],
    ],
    ['--force with errors', ['--force', '-e', 'select 1; select * from no_such; select 2']],
    ['error stops', ['-e', 'select 1; select * from no_such; select 2']],
    ['-v -v -v', ['-vvv', '-e', "select 1; update nums set n = n where id = 1; select cast('2x' as signed)"]],
  ])('%s', async (_, args) => {
    const { ref, prx } = await withNoise(() => both(() => args as string[]));
    expect(prx).toEqual(ref);
  });

  it.each([
    ['no noise', false, []],
    ['noise', true, []],
    // With --show-warnings the CLI sends its own `show warnings` after the error: the explicit
    // one is then a second SHOW WARNINGS, which reads empty through the proxy (README known limit).
  ])('explicit SHOW WARNINGS after a failed INSERT from a sourced file (%s)', async (_, noisy, extra) => {
    const file = (s: string) => {
      const path = join(dir, `${s}.sql`);
      writeFileSync(
        path,
        [
          `DROP TABLE IF EXISTS ${s}_fsrc;`,
          `CREATE TABLE ${s}_fsrc (id INT PRIMARY KEY AUTO_INCREMENT, v VARCHAR(5));`,
          `INSERT INTO ${s}_fsrc (v) VALUES ('toolongvalue');`,
          'SHOW WARNINGS;',
          `INSERT INTO ${s}_fsrc (v) VALUES ('toolongvalue');`,
          'SHOW ERRORS;',
        ].join('\n'),
      );
      return path;
    };
    const run = () => both((s) => ['--table', '-vvv', ...(extra as string[]), '-e', `source ${file(s)}`]);
    const { ref, prx } = noisy ? await withNoise(run) : await run();
    expect(prx).toEqual(ref);
  });

  it('source of a file with delimiters, procedures and warnings', async () => {
    const file = (s: string) => {
      const path = join(dir, `${s}.sql`);
      writeFileSync(
        path,
        [
          `DROP TABLE IF EXISTS ${s}_src;`,
          `CREATE TABLE ${s}_src (id INT PRIMARY KEY AUTO_INCREMENT, v VARCHAR(5));`,
          `DROP PROCEDURE IF EXISTS ${s}_fill;`,
          'DELIMITER //',
          `CREATE PROCEDURE ${s}_fill(IN n INT)`,
          'BEGIN',
          '  DECLARE i INT DEFAULT 0;',
          `  WHILE i < n DO INSERT INTO ${s}_src (v) VALUES (CONCAT('v', i)); SET i = i + 1; END WHILE;`,
          `  SELECT COUNT(*) AS filled FROM ${s}_src;`,
          `  SELECT v FROM ${s}_src ORDER BY id LIMIT 2;`,
          'END //',
          'DELIMITER ;',
          `CALL ${s}_fill(5);`,
          'SELECT LAST_INSERT_ID() AS lid, ROW_COUNT() AS rc;',
          `INSERT INTO ${s}_src (v) VALUES ('toolongvalue');`,
          'SHOW WARNINGS;',
          `SELECT * FROM ${s}_src WHERE id = 1\\G`,
          'DELIMITER $$',
          `SELECT 1 AS a; SELECT 2 AS b $$`,
          'DELIMITER ;',
          "SET @x = 'k'; SELECT @x AS x;",
        ].join('\n'),
      );
      return path;
    };
    const { ref, prx } = await withNoise(() => both((s) => ['--table', '-e', `source ${file(s)}`]));
    expect(prx).toEqual(ref);
    const piped = await withNoise(() =>
      both(
        () => ['--force'],
        (s) => `source ${join(dir, `${s}.sql`)}\nselect 'after' as done;\n`,
      ),
    );
    expect(piped.prx).toEqual(piped.ref);
  });

  it('stdin with a transaction, a USE and warnings while another client holds a backend', async () => {
    await direct().query('CREATE DATABASE IF NOT EXISTS ref_cli');
    await direct().query('CREATE DATABASE IF NOT EXISTS prx_cli');
    const holder = await hold(fx());
    try {
      const { ref, prx } = await withNoise(() =>
        both(
          () => ['--force'],
          (s) =>
            [
              `use ${s}_cli`,
              'create table if not exists t (id int primary key auto_increment, v tinyint);',
              'start transaction;',
              'insert into t (v) values (300);',
              'select last_insert_id() > 0 as has_id, @@in_transaction as tx;',
              'rollback;',
              'select count(*) as n from t;',
              'select database() as db;',
              'use test',
              'select database() as db;',
              "select cast('8y' as signed) as c from nums where id = 3;",
              "select @@warning_count as wc; -- known limit after the CLI's SHOW WARNINGS",
            ].join('\n'),
        ),
      );
      expect(prx).toEqual(ref);
    } finally {
      await holder.release();
    }
  });

  const admin = (side: 'ref' | 'prx', ...command: string[]) =>
    runTool(fx(), 'mariadb-admin', side === 'ref' ? 'server' : 'proxy', command);

  it('mariadb-admin refresh and flush-threads (COM_REFRESH) work as at MariaDB', async () => {
    // COM_REFRESH was refused with 1047 'Unknown command', and the tool exited 1.
    for (const command of ['refresh', 'flush-threads']) {
      expect({ command, ...(await admin('prx', command)) }).toEqual({
        command,
        ...(await admin('ref', command)),
      });
    }
    expect((await one(await clients.client(), 'SELECT 1 AS ok')).ok).toBe(1);
  });

  it('mariadb-admin processlist lists the proxy’s connections, and mariadb-admin kill takes an id from it', async () => {
    const victim = await clients.client();
    const id = victim.threadId;
    const { code, stderr, stdout: listed } = await admin('prx', 'processlist');
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    // Its table: the victim asleep in schema test, the tool's own connection running the query.
    expect(listed).toMatch(
      new RegExp(String.raw`\|\s*${id}\s*\|\s*app\s*\|\s*127\.0\.0\.1:\d+\s*\|\s*test\s*\|\s*Sleep\s*\|`),
    );
    expect(listed).toMatch(/\|\s*Query\s*\|\s*\d+\s*\|\s*Answered by the proxy\s*\|\s*show processlist\s*\|/);
    expect(await admin('prx', 'kill', String(id))).toEqual({ code: 0, stdout: '', stderr: '' });
    clients.forget(victim);
    await waitFor(
      () =>
        !fx()
          .proxy.stats()
          .clients.some((c) => c.id === id),
      { what: 'the victim to be closed' },
    );
  });

  it('mariadb-admin shutdown (COM_SHUTDOWN) is refused as MariaDB refuses a user without the privilege; the server stays up', async () => {
    // The proxy's service account may hold SHUTDOWN (GRANT ALL): no client of the proxy may use
    // it. Before, 1047 'Unknown command'.
    const seen = await admin('prx', 'shutdown');
    expect(seen.code).not.toBe(0);
    expect(seen.stderr).toContain(
      "shutdown failed; error: 'Access denied; you need (at least one of) the SHUTDOWN privilege(s) for this operation'",
    );
    expect((await one(await clients.client(), 'SELECT 1 AS ok')).ok).toBe(1);
  });

  it("changing the session's own password is refused: it would change the backend account every client shares", async () => {
    // `mariadb-admin password` (SET PASSWORD = …) exited 0 and changed the password of the
    // proxy's backend account — every new backend connection then failed — and not the app user's.
    const viaAdmin = await admin('prx', 'password', 'changed-pw');
    expect(viaAdmin.code).not.toBe(0);
    expect(viaAdmin.stderr).toContain("does not yet support changing the session's own account");
    const c = await clients.client();
    for (const sql of [
      "SET PASSWORD = PASSWORD('changed-pw')",
      "/* x */ ALTER USER CURRENT_USER() IDENTIFIED BY 'changed-pw'",
      "SELECT 1; SET PASSWORD = 'x'",
      "PREPARE s FROM 'SET PASSWORD = ''x'''",
      "SET PASSWORD FOR CURRENT_USER() = PASSWORD('changed-pw')",
      'EXECUTE IMMEDIATE "ALTER USER CURRENT_USER() IDENTIFIED BY \'x\'"',
    ]) {
      expect({ sql, errno: (await failure(c.query(sql))).errno }).toEqual({ sql, errno: 1235 });
    }
    expect({
      errno: (await failure(c.prepare("ALTER USER USER() IDENTIFIED BY 'changed-pw'"))).errno,
    }).toEqual({
      errno: 1235,
    });
    // The backend account's password is what it was: it still logs in at MariaDB.
    const backend = await connectAsBackendUser(fx());
    expect((await one(backend, 'SELECT 2 AS ok')).ok).toBe(2);
    await backend.end();
    expect((await one(c, 'SELECT 3 AS ok')).ok).toBe(3);
  });
});
