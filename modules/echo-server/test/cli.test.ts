import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type CliProcess, repo, spawnCli } from './cli-process.js';
import { concurrentEchoes, echoOnce, open, slowReaderTransfer } from './echo-clients.js';
import { rssKiB } from './proc-status.js';
import { readmeRunCommand } from './readme.js';

beforeAll(() => {
  // The CLI runs dist/: build it, the kernel, socket and this module.
  const tsc = join(repo, 'node_modules/.bin/tsc');
  execFileSync(tsc, ['-b', 'packages/cli', 'modules/echo-server'], { cwd: repo });
});

const running: CliProcess[] = [];
afterEach(() => {
  for (const cli of running.splice(0)) cli.child.kill('SIGKILL');
});

/** Runs the README's command on a port the OS picks; resolves once echo-server listens. */
async function startEchoCli(extra: string[] = []) {
  const args = readmeRunCommand().map((a) =>
    a.replace(/^--echo-server\.listen=.*/, '--echo-server.listen=127.0.0.1:0'),
  );
  expect(args).toContain('--echo-server.listen=127.0.0.1:0');
  const cli = spawnCli([...args, ...extra]);
  running.push(cli);
  const listening = await cli.waitForLog('echo-server', 'listening');
  const port = Number(String(listening.address).split(':').pop());
  return { cli, port, pid: cli.child.pid! };
}

describe('scalestack run echo-server (the CLI binary)', () => {
  it('echoes 1,000 concurrent clients their own payloads; SIGTERM closes connections and exits 0', async () => {
    const { cli, port } = await startEchoCli();
    expect(await concurrentEchoes(port, 1000)).toBe(1000);

    const client = await open(port);
    expect(String(await echoOnce(client, Buffer.from('before SIGTERM')))).toBe('before SIGTERM');
    const closed = once(client, 'close');
    cli.child.kill('SIGTERM');
    await closed;
    expect(await cli.exited).toEqual({ code: 0, signal: null });
    await expect(open(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('echoes 64 MiB to a slow reader while its RSS grows far less than that', async () => {
    const { port, pid } = await startEchoCli();
    // Warm up (first connection, the allocator's first arenas), then take the baseline.
    expect(await slowReaderTransfer(port, 16 * 1024 * 1024, 0)).toMatchObject({ intact: true });
    const before = rssKiB(pid);
    let peak = before;
    const total = 64 * 1024 * 1024;
    const result = await slowReaderTransfer(port, total, 2, () => {
      peak = Math.max(peak, rssKiB(pid));
    });
    expect(result).toEqual({ sent: total, received: total, intact: true });
    // Garbage (read buffers not yet collected) accounts for ~16 MiB here; an echo server that
    // ignores backpressure (write without pausing) grows by ~61 MiB in the same transfer.
    expect(peak - before, `RSS ${before} KiB before, peak ${peak} KiB`).toBeLessThan(32 * 1024);
  }, 120_000);

  it('reloads idle_timeout from the config file on SIGHUP, for open connections too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'echo-cli-'));
    try {
      const config = join(dir, 'echo.yaml');
      writeFileSync(config, 'modules:\n  echo-server:\n    listen: 127.0.0.1:0\n');
      const cli = spawnCli(['run', '--config', config]);
      running.push(cli);
      const listening = await cli.waitForLog('echo-server', 'listening');
      const client = await open(Number(String(listening.address).split(':').pop()));
      expect(String(await echoOnce(client, Buffer.from('no idle limit')))).toBe('no idle limit');

      writeFileSync(config, 'modules:\n  echo-server:\n    listen: 127.0.0.1:0\n    idle_timeout: 200ms\n');
      const closed = once(client, 'close');
      cli.child.kill('SIGHUP');
      await cli.waitForLog('echo-server', 'options reloaded');
      await closed; // the open connection, idle since, is closed by the new timeout
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lists its options under --help', async () => {
    const cli = spawnCli(['run', 'echo-server', '--help']);
    expect(await cli.exited).toEqual({ code: 0, signal: null });
    expect(cli.output()).toContain(
      'echo-server — Echoes every byte back (the reference module) (requires: socket)',
    );
    expect(cli.output()).toContain('--echo-server.listen=<address>');
    expect(cli.output()).toContain('--echo-server.max_connections=<integer>');
    expect(cli.output()).toContain('--echo-server.idle_timeout=<duration>');
  });

  it('exits 2 with the kernel message on --echo-server.listen=nonsense', async () => {
    const cli = spawnCli(['run', 'echo-server', '--echo-server.listen=nonsense']);
    expect(await cli.exited).toEqual({ code: 2, signal: null });
    expect(cli.output()).toBe(
      'scalestack: invalid configuration: module "echo-server", option "listen": got "nonsense", expected an address (host:port, [ipv6]:port, or a Unix socket path)\n',
    );
  });
});
