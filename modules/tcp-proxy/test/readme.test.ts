import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kernel } from '@scalestack/kernel';
import socketModule from '@scalestack/socket/module';
import { freePort, type RunningServer, spawnLogged, startRedis, waitFor } from '@scalestack/test-harness';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import tcpProxy from '../src/index.js';
import { startRelay } from './embed-example.js';

const execFileAsync = promisify(execFile);
const repo = join(import.meta.dirname, '../../..');
const readme = readFileSync(join(import.meta.dirname, '../README.md'), 'utf8');
const blocks = [...readme.matchAll(/^```(\w+)\n([\s\S]*?)^```$/gm)].map((m) => ({
  lang: m[1]!,
  code: m[2]!,
}));
const shLines = blocks.filter((b) => b.lang === 'sh').flatMap((b) => b.code.trim().split('\n'));

let redis: RunningServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

it('shows the embedding example as it is compiled and tested', () => {
  expect(blocks.map((b) => b.lang)).toEqual(['sh', 'yaml', 'ts']);
  expect(blocks[2]!.code).toBe(readFileSync(join(import.meta.dirname, 'embed-example.ts'), 'utf8'));
});

it("the README's commands run: the sqlite backend behind the proxy, a mariadb client through it", async () => {
  const [sqlitePort, proxyPort] = [await freePort(), await freePort()];
  const run = shLines.find((l) => l.startsWith('npx scalestack run'))!;
  const args = run
    .split(/\s+/)
    .slice(2)
    .map((a) => a.replace('127.0.0.1:3307', `127.0.0.1:${sqlitePort}`));
  // The README's ports, moved to free ones.
  args.push(`--sqlite-backend.listen=127.0.0.1:${sqlitePort}`, `--tcp-proxy.listen=127.0.0.1:${proxyPort}`);
  const cli = spawnLogged([join(repo, 'packages/cli/dist/bin.js'), ...args], { cwd: repo });
  try {
    await cli.waitForLog('proxying', 'tcp-proxy');
    const client = shLines.find((l) => l.startsWith('mariadb '))!;
    const clientArgs = [...client.matchAll(/'[^']*'|\S+/g)]
      .map((m) => m[0].replace(/^'|'$/g, ''))
      .slice(1)
      .map((a) => (a === '-P7100' ? `-P${proxyPort}` : a));
    const { stdout } = await execFileAsync('mariadb', clientArgs);
    expect(stdout).toContain('42');
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toEqual({ code: 0, signal: null });
  } finally {
    cli.child.kill('SIGKILL');
  }
});

it('runs in every event-loop thread with event.threads=2 (one port, reusePort), and stops on SIGTERM', async () => {
  const port = await freePort();
  const cli = spawnLogged(
    [
      join(repo, 'packages/cli/dist/bin.js'),
      'run',
      'tcp-proxy',
      'event',
      '--event.threads=2',
      `--tcp-proxy.listen=127.0.0.1:${port}`,
      `--tcp-proxy.upstreams=127.0.0.1:${redis.port}`,
    ],
    { cwd: repo },
  );
  try {
    await waitFor(() => (cli.output().match(/"msg":"proxying"/g) ?? []).length === 2, {
      what: 'both workers to proxy',
      timeout: 20_000,
    });
    for (let i = 0; i < 4; i++) {
      const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null });
      try {
        await client.connect();
        expect(await client.ping()).toBe('PONG');
      } finally {
        client.disconnect();
      }
    }
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toEqual({ code: 0, signal: null });
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${cli.output()}`);
  } finally {
    cli.child.kill('SIGKILL');
  }
});

it("the README's config file loads and validates", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tcp-proxy-readme-'));
  try {
    const configFile = join(dir, 'relay.yaml');
    writeFileSync(configFile, blocks.find((b) => b.lang === 'yaml')!.code);
    const kernel = new Kernel({ logger: pino({ level: 'silent' }), definitions: [socketModule, tcpProxy] });
    await kernel.load({ configFile, env: {} });
    expect(kernel.optionsOf('tcp-proxy')).toEqual({
      listen: { kind: 'tcp', host: '127.0.0.1', port: 6380 },
      upstreams: [
        { kind: 'tcp', host: '127.0.0.1', port: 6379 },
        { kind: 'tcp', host: '127.0.0.1', port: 6381 },
      ],
      balance: 'least_connections',
      connect_timeout: 1000,
      retry_after: 10_000,
      idle_timeout: 600_000,
      max_connections: 0,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

it('the embedding example relays Redis without a kernel', async () => {
  const relay = await startRelay([`127.0.0.1:${redis.port}`]);
  const port = relay.address.kind === 'tcp' ? relay.address.port : 0;
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null });
  try {
    await client.connect();
    await client.set('relayed', 'yes');
    expect(await client.get('relayed')).toBe('yes');
    expect(relay.stats()).toMatchObject({ connections: 1, upstreams: [{ active: 1, connects: 1 }] });
  } finally {
    client.disconnect();
    await relay.close();
  }
});
