/**
 * SIGHUP through the real CLI binary (`scalestack run database-proxy --config <file>`, the built
 * dist/): the configuration file is rewritten on disk, the process re-reads it, and tenants and
 * users change without a connection being dropped. A file that does not validate is refused
 * whole, the reason is logged, and the old settings keep governing.
 * Needs `npm run build` first.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, type MariaDB, startMariaDB, waitFor } from '@scalestack/test-harness';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, one } from './support/backends.js';

const repo = join(import.meta.dirname, '../../..');
const bin = join(repo, 'packages/cli/dist/bin.js');
const node = join(repo, 'node_modules/.bin/node');
const BACKEND = { user: 'proxy', password: 'proxypw' };

let mariadb: MariaDB;
let dir: string;
let configFile: string;
let port: number;
let child: ChildProcess;
let exited: Promise<number | null>;
let output = '';
const open: mysql.Connection[] = [];

/** The configuration file's content: `tenant` is tenant t's settings, `users` the proxy users. */
function writeConfig(tenant: Record<string, unknown>, users: Record<string, unknown>[]): void {
  const config = {
    modules: {
      'database-proxy': {
        listen: `127.0.0.1:${port}`,
        users,
        tenants: [{ name: 't', ...tenant }],
        backends: [
          {
            name: 'db1',
            address: `127.0.0.1:${mariadb.port}`,
            user: BACKEND.user,
            password: BACKEND.password,
            pool: 2,
          },
        ],
      },
    },
  };
  // JSON is YAML: the CLI reads either.
  writeFileSync(configFile, JSON.stringify(config, null, 2));
}

async function connect(user: string): Promise<mysql.Connection> {
  const c = await mysql.createConnection({ host: '127.0.0.1', port, user, password: `${user}-pw` });
  c.on('error', () => {});
  open.push(c);
  return c;
}

/** Sends SIGHUP and waits for the log line that reports its outcome (the n-th such line). */
async function hangUp(expected: RegExp): Promise<string> {
  const seen = output.split('\n').filter((l) => expected.test(l)).length;
  child.kill('SIGHUP');
  return waitFor(() => output.split('\n').filter((l) => expected.test(l))[seen], {
    what: `a log line matching ${expected}`,
  });
}

beforeAll(async () => {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run "npm run build" first`);
  mariadb = await startMariaDB({ maxConnections: 100 });
  await mariadb.query(`CREATE USER '${BACKEND.user}'@'%' IDENTIFIED BY '${BACKEND.password}'`);
  await mariadb.query(`GRANT ALL ON *.* TO '${BACKEND.user}'@'%'`);
  dir = mkdtempSync(join(tmpdir(), 'scalestack-qos-sighup-'));
  configFile = join(dir, 'proxy.yaml');
  port = await freePort();
  writeConfig({ max_connections: 1 }, [{ name: 'u1', password: 'u1-pw', tenant: 't' }]);
  child = spawn(node, [bin, 'run', 'database-proxy', '--config', configFile, '--log-level=info'], {
    cwd: repo,
    env: { PATH: process.env.PATH ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  const collect = (chunk: Buffer) => {
    output += chunk;
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  await new Promise<void>((resolve, reject) => {
    const onData = () => {
      if (output.includes('"msg":"started 2 modules')) resolve();
    };
    child.stdout!.on('data', onData);
    child.on('exit', () => reject(new Error(`the CLI exited early:\n${output}`)));
  });
});

afterAll(async () => {
  await Promise.all(open.splice(0).map((c) => c.end().catch(() => c.destroy())));
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await exited;
  await mariadb?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('SIGHUP reloads tenants and users from the file (CLI process)', () => {
  it('applies a rewritten file: a raised tenant cap and a new user, without dropping anyone', async () => {
    const first = await connect('u1');
    const refused = await failure(connect('u1'));
    expect(refused.errno).toBe(1040);
    expect(refused.message).toBe('Too many connections for user u1 (tenant t) (limit 1)');
    expect((await failure(connect('u2'))).errno).toBe(1045);

    writeConfig({ max_connections: 3 }, [
      { name: 'u1', password: 'u1-pw', tenant: 't' },
      { name: 'u2', password: 'u2-pw', tenant: 't' },
    ]);
    const line = await hangUp(/configuration reloaded/);
    expect(line).toContain('database-proxy');

    expect(await one(first, 'SELECT 1 AS v')).toEqual({ v: 1 });
    const second = await connect('u1');
    const third = await connect('u2');
    expect(await one(second, 'SELECT 2 AS v')).toEqual({ v: 2 });
    expect(await one(third, 'SELECT CURRENT_USER() AS u')).toEqual({ u: 'proxy@%' });
    const over = await failure(connect('u2'));
    expect(over.errno).toBe(1040);
    expect(over.message).toBe('Too many connections for user u2 (tenant t) (limit 3)');
  });

  it('refuses a file that does not validate, logs why, and keeps the old tenants and users', async () => {
    writeConfig({ max_connections: 10, weight: 'heavy' }, [
      { name: 'u1', password: 'u1-pw', tenant: 't' },
      { name: 'u2', password: 'u2-pw', tenant: 't' },
      { name: 'u3', password: 'u3-pw', tenant: 't' },
    ]);
    const entry = JSON.parse(await hangUp(/reload rejected/)) as { level: number; msg: string };
    expect(entry.level).toBe(50);
    expect(entry.msg).toContain('reload rejected, keeping the old configuration');
    expect(entry.msg).toContain(
      'module "database-proxy", option "tenants[0].weight": got "heavy", expected a number',
    );

    // u3 was in the refused file only; t's cap is still 3, all of them held since the last test.
    expect((await failure(connect('u3'))).errno).toBe(1045);
    const over = await failure(connect('u1'));
    expect(over.errno).toBe(1040);
    expect(over.message).toContain('(limit 3)');
    for (const c of open) expect(await one(c, 'SELECT 7 AS v')).toEqual({ v: 7 });
  });

  it('drains and exits 0 on SIGTERM', async () => {
    await Promise.all(open.splice(0).map((c) => c.end()));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
