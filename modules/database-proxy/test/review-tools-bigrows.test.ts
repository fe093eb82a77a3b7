/**
 * REVIEW SCRATCH: mariadb-dump / mariadb restore of rows over 16 MiB (multi-frame packets both
 * ways) through the proxy, against a MariaDB whose max_allowed_packet allows them.
 */
import { execFile } from 'node:child_process';
import { type MariaDB, startMariaDB } from '@scalestack/test-harness';
import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  APP_USER,
  BACKEND_USER,
  createBackendUser,
  type ProxyFixture,
  startProxyFixture,
} from './support/proxy-fixture.js';

let mariadb: MariaDB;
let fx: ProxyFixture;
let root: mysql.Connection;

beforeAll(async () => {
  mariadb = await startMariaDB({ args: ['--max-allowed-packet=256M'] });
  await createBackendUser(mariadb);
  fx = await startProxyFixture({ pool: 2, mariadb, createBackendUser: false });
  root = await fx.direct();
  await root.query('CREATE DATABASE big');
  await root.query('CREATE TABLE big.t (id INT PRIMARY KEY, b LONGBLOB, note VARCHAR(20))');
  // 1 MiB of varied bytes (every byte value, with quotes, backslashes, NULs), repeated.
  await root.query('SET SESSION group_concat_max_len = 4294967295');
  await root.query(
    "SET @chunk = (SELECT GROUP_CONCAT(CHAR(seq % 256 USING binary) ORDER BY seq SEPARATOR '') FROM seq_0_to_1048575)",
  );
  await root.query(
    "INSERT INTO big.t VALUES (1, REPEAT(@chunk, 17), 'seventeen'), (2, REPEAT(@chunk, 2), 'two'), (3, REPEAT(@chunk, 30), 'thirty')",
  );
}, 180_000);

afterAll(async () => {
  await root?.end();
  await fx?.stop();
  await mariadb?.stop();
});

function run(
  tool: string,
  side: 'ref' | 'prx',
  args: string[],
  input?: Buffer,
): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  const [port, user] = side === 'ref' ? [mariadb.port, BACKEND_USER] : [fx.port, APP_USER];
  return new Promise((resolve) => {
    const child = execFile(
      tool,
      [
        '--no-defaults',
        '-h127.0.0.1',
        `-P${port}`,
        `-u${user.name}`,
        `-p${user.password}`,
        '--max-allowed-packet=512M',
        ...args,
      ],
      { encoding: 'buffer', maxBuffer: 1024 * 1024 * 1024, timeout: 150_000 },
      (err, stdout, stderr) =>
        resolve({
          code: err ? ((err as { code?: number }).code ?? -1) : 0,
          stdout: stdout as Buffer,
          stderr: String(stderr),
        }),
    );
    if (input !== undefined) child.stdin!.end(input);
    else child.stdin!.end();
  });
}

const norm = (b: Buffer) =>
  b
    .toString('latin1')
    .replace(/^-- Dump completed on .*$/m, '')
    .replace(/^-- Server version.*$/m, '');

async function md5s(db: string) {
  const [rows] = await root.query(`SELECT id, MD5(b) AS m, LENGTH(b) AS l, note FROM ${db}.t ORDER BY id`);
  return rows;
}

it.each([
  ['default', []],
  ['--hex-blob', ['--hex-blob']],
  ['--skip-extended-insert --single-transaction', ['--skip-extended-insert', '--single-transaction']],
])(
  'dump of 17 MiB and 30 MiB rows (%s) equals a direct dump, and restores through the proxy',
  async (_, opts) => {
    const ref = await run('mariadb-dump', 'ref', [...(opts as string[]), 'big']);
    const prx = await run('mariadb-dump', 'prx', [...(opts as string[]), 'big']);
    expect({ code: prx.code, stderr: prx.stderr }).toEqual({ code: ref.code, stderr: ref.stderr });
    expect(prx.stdout.length).toBe(ref.stdout.length);
    expect(norm(prx.stdout) === norm(ref.stdout)).toBe(true);
    await root.query('DROP DATABASE IF EXISTS big_r');
    await root.query('CREATE DATABASE big_r');
    const restore = await run('mariadb', 'prx', ['--binary-mode', 'big_r'], ref.stdout);
    expect({ code: restore.code, stderr: restore.stderr }).toEqual({ code: 0, stderr: '' });
    expect(await md5s('big_r')).toEqual(await md5s('big'));
  },
  300_000,
);
