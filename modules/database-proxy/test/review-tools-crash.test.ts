/**
 * REVIEW SCRATCH: restoring a `mariadb-dump --hex-blob` dump with a blob of a few MiB through the
 * proxy: the statement `INSERT INTO \`t\` VALUES (1,0x…)` makes the proxy's classifier throw
 * RangeError (regexp backtracking in quotedCallNames) inside the socket's data handler.
 */
import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { APP_USER, BACKEND_USER } from './support/proxy-fixture.js';
import { proxyTestFile } from './support/proxy-test-file.js';

const { fx, direct, clients } = proxyTestFile({
  pool: 2,
  setup: async (d) => {
    await d.query('CREATE DATABASE hb');
    await d.query('CREATE TABLE hb.t (id INT PRIMARY KEY, b LONGBLOB)');
    // 6 MiB of bytes: 12 MiB of hex in the dump's INSERT (under the server's 16 MiB packet limit).
    await d.query("INSERT INTO hb.t VALUES (1, REPEAT(UNHEX('0123456789ABCDEF'), 786432))");
    await d.query('CREATE DATABASE hb_ref');
    await d.query('CREATE DATABASE hb_prx');
  },
});

function run(tool: string, side: 'ref' | 'prx', args: string[], input?: string) {
  const [port, user] = side === 'ref' ? [fx().mariadb.port, BACKEND_USER] : [fx().port, APP_USER];
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const child = execFile(
      tool,
      ['--no-defaults', '-h127.0.0.1', `-P${port}`, `-u${user.name}`, `-p${user.password}`, ...args],
      { encoding: 'latin1', maxBuffer: 256 * 1024 * 1024, timeout: 30_000 },
      (err, stdout, stderr) =>
        resolve({
          code: err ? ((err as { code?: number }).code ?? -1) : 0,
          stdout: String(stdout),
          stderr:
            String(stderr) + (err && (err as { killed?: boolean }).killed ? '<<KILLED after 30 s>>' : ''),
        }),
    );
    if (input !== undefined) child.stdin!.end(input, 'latin1');
    else child.stdin!.end();
  });
}

describe('--hex-blob dump of a 6 MiB blob restored through the proxy', () => {
  it('restores as straight at MariaDB', async () => {
    const dump = await run('mariadb-dump', 'ref', ['--hex-blob', 'hb']);
    expect(dump.code).toBe(0);
    const ref = await run('mariadb', 'ref', ['hb_ref'], dump.stdout);
    const prx = await run('mariadb', 'prx', ['hb_prx'], dump.stdout);
    expect({ code: prx.code, stderr: prx.stderr }).toEqual({ code: ref.code, stderr: ref.stderr });
    const [[a]] = (await direct().query('SELECT MD5(b) AS m FROM hb_ref.t')) as unknown as [[{ m: string }]];
    const [[b]] = (await direct().query('SELECT MD5(b) AS m FROM hb_prx.t')) as unknown as [[{ m: string }]];
    expect(b).toEqual(a);
  }, 60_000);

  it('the same statement from mysql2 gets an answer, and other clients go on', async () => {
    const c = await clients.client();
    const hex = '0123456789ABCDEF'.repeat(400_000); // 6.4 M characters
    const outcome = await Promise.race([
      c.query(`INSERT INTO \`hb_prx\`.\`t\` VALUES (2, 0x${hex})`).then(
        () => 'ok',
        (e) => `ERR ${(e as Error).message}`,
      ),
      new Promise((r) => setTimeout(() => r('no answer within 15 s'), 15_000)),
    ]);
    const other = await clients.client();
    const [[one]] = (await other.query('SELECT 1 AS one')) as unknown as [[{ one: number }]];
    expect({ outcome, other: one.one }).toEqual({ outcome: 'ok', other: 1 });
  }, 60_000);
});

describe('the standalone proxy process (npx scalestack run) and that statement', () => {
  it('keeps running and serving other clients', async () => {
    const { spawn } = await import('node:child_process');
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { freePort } = await import('@scalestack/test-harness');
    const mysql = (await import('mysql2/promise')).default;
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'review-crash-'));
    const cfg = join(dir, 'proxy.yaml');
    writeFileSync(
      cfg,
      [
        'log:',
        '  level: warn',
        'modules:',
        '  database-proxy:',
        `    listen: 127.0.0.1:${port}`,
        '    users:',
        '      - { name: app, password: secret }',
        '    backends:',
        `      - { name: db1, address: 127.0.0.1:${fx().mariadb.port}, user: ${BACKEND_USER.name}, password: ${BACKEND_USER.password}, pool: 2 }`,
      ].join('\n'),
    );
    const child = spawn(
      process.execPath,
      [join(__dirname, '../../../packages/cli/bin/scalestack.js'), 'run', '--config', cfg],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let log = '';
    child.stdout.on('data', (d) => (log += d));
    child.stderr.on('data', (d) => (log += d));
    let exit: number | null | undefined;
    child.on('exit', (code) => (exit = code));
    try {
      const connect = () =>
        mysql.createConnection({
          host: '127.0.0.1',
          port,
          user: 'app',
          password: 'secret',
          database: 'hb_prx',
        });
      let bystander: import('mysql2/promise').Connection | undefined;
      for (let i = 0; i < 100 && !bystander; i++) {
        bystander = await connect().catch(async () => {
          await new Promise((r) => setTimeout(r, 200));
          return undefined;
        });
      }
      expect(bystander, log).toBeDefined();
      bystander!.on('error', () => {});
      const c = await connect();
      c.on('error', () => {});
      const hex = '0123456789ABCDEF'.repeat(750_000); // 12 M characters
      const outcome = await Promise.race([
        c.query(`INSERT INTO \`t\` VALUES (3, 0x${hex})`).then(
          () => 'ok',
          (e) => `ERR ${(e as Error).message}`,
        ),
        new Promise((r) => setTimeout(() => r('no answer within 15 s'), 15_000)),
      ]);
      const other = await bystander!.query('SELECT 1 AS one').then(
        () => 'bystander ok',
        (e) => `bystander ERR ${(e as Error).message}`,
      );
      await new Promise((r) => setTimeout(r, 500));
      expect({ outcome, other, exit, log: log.slice(0, 600) }).toEqual({
        outcome: 'ok',
        other: 'bystander ok',
        exit: undefined,
        log: '',
      });
    } finally {
      child.kill('SIGKILL');
    }
  }, 90_000);
});

describe('ordinary large statements without --hex-blob', () => {
  it.each([
    [
      'a 10 MB JSON document bound as a parameter (double quotes inside)',
      () => JSON.stringify({ img: 'A'.repeat(10_000_000) }),
    ],
    ['a 10 MB plain text value after a backquoted table name', () => 'x'.repeat(10_000_000)],
  ])(
    '%s gets an answer',
    async (label, value) => {
      await direct().query(
        'CREATE TABLE IF NOT EXISTS hb_prx.j (id INT AUTO_INCREMENT PRIMARY KEY, doc LONGTEXT)',
      );
      const c = await clients.client();
      const sql = label.includes('backquoted')
        ? 'INSERT INTO `hb_prx`.`j` VALUES (NULL, ?)'
        : 'INSERT INTO hb_prx.j (doc) VALUES (?)';
      const outcome = await Promise.race([
        c.query(sql, [value()]).then(
          () => 'ok',
          (e) => `ERR ${(e as Error).message}`,
        ),
        new Promise((r) => setTimeout(() => r('no answer within 15 s'), 15_000)),
      ]);
      expect(outcome).toBe('ok');
    },
    60_000,
  );
});
