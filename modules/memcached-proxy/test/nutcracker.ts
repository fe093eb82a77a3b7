import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBinary, freePort, tcpExchange, waitFor } from '@scalestack/test-harness';

/** A running twemproxy (nutcracker) in front of memcached servers, configured for ketama + md5. */
export interface Nutcracker {
  readonly port: number;
  readonly pid: number;
  stop(): Promise<void>;
}

export async function startNutcracker(servers: readonly { port: number }[]): Promise<Nutcracker> {
  const binary = findBinary('nutcracker', 'nutcracker');
  const dir = mkdtempSync(join(tmpdir(), 'scalestack-nutcracker-'));
  const port = await freePort();
  const conf = [
    'pool:',
    `  listen: 127.0.0.1:${port}`,
    '  hash: md5',
    '  distribution: ketama',
    '  auto_eject_hosts: false',
    '  timeout: 2000',
    '  servers:',
    ...servers.map((s) => `   - 127.0.0.1:${s.port}:1`),
    '',
  ].join('\n');
  const file = join(dir, 'nutcracker.yml');
  writeFileSync(file, conf);
  const child: ChildProcess = spawn(
    binary,
    ['-c', file, '-s', String(await freePort()), '-o', join(dir, 'log')],
    {
      stdio: 'ignore',
    },
  );
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  await waitFor(async () => (await tcpExchange(port, 'get x\r\n', (r) => r.endsWith('END\r\n'))).length > 0, {
    what: `nutcracker on port ${port}`,
  });
  return {
    port,
    pid: child.pid!,
    async stop() {
      process.off('exit', killOnExit);
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
