import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBinary, type SelfSignedCert, selfSignedCert } from '@scalestack/test-harness';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Running, startBackend } from './support/start.js';

const mariadb = findBinary('mariadb', 'mariadb-client');
let backend: Running;
let cert: SelfSignedCert;
let dir: string;

beforeAll(async () => {
  cert = await selfSignedCert();
  backend = await startBackend({
    users: [
      { name: 'root', password: '' },
      { name: 'app', password: 'pw' },
    ],
    tls: { key: cert.keyPath, cert: cert.certPath },
  });
  dir = mkdtempSync(join(tmpdir(), 'sqlite-backend-cli-'));
});
afterAll(async () => {
  await backend?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs the `mariadb` CLI with `script` on stdin; resolves with its exit code, stdout and stderr. */
function run(args: string[], script: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const file = join(dir, `script-${Math.random().toString(36).slice(2)}.sql`);
  writeFileSync(file, script);
  return new Promise((resolve) => {
    const child = execFile(
      mariadb,
      ['--no-defaults', '-h127.0.0.1', `-P${backend.port}`, ...args],
      { timeout: 20_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin!.end(script);
  });
}

const SCRIPT = `select @@version_comment limit 1;
CREATE TABLE pets (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(20) NOT NULL, born DATE, weight DOUBLE);
INSERT INTO pets (name, born, weight) VALUES ('Rex', '2019-04-01', 12.5), ('Tom', NULL, 4), ('O''Malley', '2020-12-24', NULL);
SELECT id, name, born, weight FROM pets ORDER BY id;
SELECT DATABASE(), USER(), COUNT(*) AS n FROM pets;
UPDATE pets SET weight = weight + 1 WHERE weight IS NOT NULL;
SELECT ROW_COUNT() AS changed;
SHOW TABLES;
DESCRIBE pets;
`;

const EXPECTED = `@@version_comment
Scale Stack SQLite backend (SQLite VERSION)
id\tname\tborn\tweight
1\tRex\t2019-04-01\t12.5
2\tTom\tNULL\t4
3\tO'Malley\t2020-12-24\tNULL
DATABASE()\tUSER()\tn
main\troot@localhost\t3
changed
2
Tables_in_main
pets
Field\tType\tNull\tKey\tDefault\tExtra
id\tint\tNO\tPRI\tNULL\tauto_increment
name\tvarchar(20)\tNO\t\tNULL\t
born\tdate\tYES\t\tNULL\t
weight\tdouble\tYES\t\tNULL\t
`;

it('runs a script in --batch mode with the exact output MariaDB would print', async () => {
  const { code, stdout, stderr } = await run(['-uroot', '--batch'], SCRIPT);
  expect(stderr).toBe('');
  expect(code).toBe(0);
  expect(stdout.replace(/SQLite 3\.\d+\.\d+/, 'SQLite VERSION')).toBe(EXPECTED);
});

it('reports errors as ERROR <code> (<state>) and stops the script', async () => {
  const { code, stdout, stderr } = await run(
    ['-uroot', '--batch'],
    'SELECT 1 AS a;\nSELECT * FROM missing_table;\nSELECT 2 AS b;\n',
  );
  expect(code).toBe(1);
  expect(stdout).toBe('a\n1\n');
  // MariaDB's CLI echoes the failing statement in batch mode, whatever the server.
  expect(stderr).toBe(
    "--------------\nSELECT * FROM missing_table\n--------------\n\nERROR 1146 (42S02) at line 2: Table 'main.missing_table' doesn't exist\n",
  );
});

it('connects over TLS (--ssl) with a password and shows the cipher in use', async () => {
  const { code, stdout, stderr } = await run(
    ['-uapp', '-ppw', '--batch', '--ssl', `--ssl-ca=${cert.certPath}`, '--ssl-verify-server-cert'],
    "SELECT USER();\nSHOW VARIABLES LIKE 'have_ssl';\n",
  );
  expect(stderr).toBe('');
  expect(code).toBe(0);
  expect(stdout).toBe('USER()\napp@localhost\nVariable_name\tValue\nhave_ssl\tYES\n');
  const status = await run(['-uapp', '-ppw', '--ssl', `--ssl-ca=${cert.certPath}`], 'status\n');
  expect(status.stdout).toMatch(/SSL:\s+Cipher in use is \S+/);
});

it('refuses a wrong password with ERROR 1045, with and without TLS', async () => {
  for (const extra of [[], ['--ssl', `--ssl-ca=${cert.certPath}`]]) {
    const { code, stderr } = await run(['-uapp', '-pnope', '--batch', ...extra], 'SELECT 1;\n');
    expect(code).toBe(1);
    expect(stderr).toBe(
      "ERROR 1045 (28000): Access denied for user 'app'@'localhost' (using password: YES)\n",
    );
  }
});

it('USE of an unknown database is ERROR 1049; of main works', async () => {
  const bad = await run(['-uroot', '--batch'], 'USE nosuch;\n');
  expect(bad.stderr).toBe("ERROR 1049 (42000) at line 1: Unknown database 'nosuch'\n");
  const good = await run(['-uroot', '--batch', 'main'], 'SELECT DATABASE();\n');
  expect(good.stdout).toBe('DATABASE()\nmain\n');
});

it('shows the info of a CREATE TABLE … SELECT (Records: …) as it shows MariaDB’s, not a malformed packet', async () => {
  const { code, stdout, stderr } = await run(
    ['-uroot', '--table', '-vv'],
    // One row an INSERT: only the CREATE … SELECT has an info to show.
    'CREATE TABLE info_src (a INT);\nINSERT INTO info_src VALUES (1);\nINSERT INTO info_src VALUES (2);\nCREATE TABLE info_copy AS SELECT a FROM info_src;\nSELECT COUNT(*) AS n FROM info_copy;\n',
  );
  expect(stderr).toBe('');
  expect(code).toBe(0);
  expect(stdout).toMatch(
    /CREATE TABLE info_copy[\s\S]*Query OK, 2 rows affected[\s\S]*\nRecords: 2 {2}Duplicates: 0 {2}Warnings: 0/,
  );
  expect(stdout).toMatch(/\|\s+n\s+\|\n\+-+\+\n\|\s+2\s+\|/);
});

it('shows the info of an INSERT of several rows (Records: …) as it shows MariaDB’s', async () => {
  const { code, stdout, stderr } = await run(
    ['-uroot', '--table', '-vv'],
    'CREATE TABLE info_rows (a INT);\nINSERT INTO info_rows VALUES (1), (2), (3);\nINSERT INTO info_rows SELECT a FROM info_rows WHERE a > 1;\n',
  );
  expect(stderr).toBe('');
  expect(code).toBe(0);
  expect(stdout).toContain('Query OK, 3 rows affected');
  expect(stdout).toContain('Records: 3  Duplicates: 0  Warnings: 0');
  expect(stdout).toContain('Query OK, 2 rows affected');
  expect(stdout).toContain('Records: 2  Duplicates: 0  Warnings: 0');
});
