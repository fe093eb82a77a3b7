import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findBinary, freePort } from '@scalestack/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = join(import.meta.dirname, '../../..');
const bin = join(repo, 'packages/cli/dist/bin.js');
const node = join(repo, 'node_modules/.bin/node');
const redisCli = findBinary('redis-cli', 'redis-tools');

let child: ChildProcess;
let port: number;
let exited: Promise<number | null>;

/** Starts `scalestack run resp-server` — the module found by its package name alone. */
beforeAll(async () => {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run "npm run build" first`);
  port = await freePort();
  child = spawn(
    node,
    [bin, 'run', 'resp-server', `--resp-server.listen=127.0.0.1:${port}`, '--log-level=info'],
    {
      cwd: repo,
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk;
      if (out.includes('"msg":"started 2 modules')) resolve();
    });
    child.on('exit', () => reject(new Error(`the CLI exited early: ${out}`)));
  });
});
afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGTERM');
  await exited;
});

async function cli(...args: string[]): Promise<string> {
  const { stdout } = await run(redisCli, ['-p', String(port), ...args]);
  return stdout;
}

function pipe(input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(redisCli, ['-p', String(port), '--pipe'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (chunk: Buffer) => {
      out += chunk;
    });
    p.on('error', reject);
    p.on('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`redis-cli --pipe exited ${code}: ${out}`)),
    );
    p.stdin.end(input);
  });
}

describe('scalestack run resp-server (the CLI binary)', () => {
  it('answers redis-cli', async () => {
    expect(await cli('PING')).toBe('PONG\n');
    expect(await cli('SET', 'greeting', 'hello world')).toBe('OK\n');
    expect(await cli('GET', 'greeting')).toBe('hello world\n');
    expect(await cli('INCR', 'visits')).toBe('1\n');
    expect(await cli('MGET', 'greeting', 'visits', 'none')).toBe('hello world\n1\n\n');
    expect((await cli('NOSUCH', 'x')).trim()).toBe(
      "ERR unknown command 'NOSUCH', with args beginning with: 'x'",
    );
  });

  it('takes a mass insertion through redis-cli --pipe', async () => {
    let input = '';
    for (let i = 0; i < 5000; i++)
      input += `*3\r\n$3\r\nSET\r\n$${`bulk:${i}`.length}\r\nbulk:${i}\r\n$${String(i).length}\r\n${i}\r\n`;
    const report = await pipe(input);
    expect(report).toContain('errors: 0, replies: 5000');
    expect(await cli('GET', 'bulk:4999')).toBe('4999\n');
    expect(Number(await cli('DBSIZE'))).toBeGreaterThanOrEqual(5000);
  });

  it('refuses a bad option value before starting, naming module, option, value and form', async () => {
    const failed = await run(node, [bin, 'check', 'resp-server', '--resp-server.max_memory=lots'], {
      cwd: repo,
    }).then(
      () => undefined,
      (err: Error & { code: number; stderr: string }) => err,
    );
    expect(failed?.code).toBe(2);
    expect(failed?.stderr).toContain(
      'module "resp-server", option "max_memory": got "lots", expected a size such as 512B, 64KiB, 1MiB or 2GB',
    );
  });

  it('drains and exits 0 on SIGTERM', async () => {
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
