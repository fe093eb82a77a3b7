import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../src/index.js';

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('the watchdog', () => {
  it('kills a server and removes its files when the test process dies by SIGKILL', async () => {
    const fixtures = new URL('./fixtures/', import.meta.url);
    const child = spawn(
      process.execPath,
      ['--import', new URL('ts-resolve.mjs', fixtures).pathname, new URL('orphan.ts', fixtures).pathname],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
    const { pid, dir } = JSON.parse(line) as { pid: number; dir: string };
    expect(isRunning(pid)).toBe(true);
    expect(existsSync(dir)).toBe(true);

    child.kill('SIGKILL'); // no exit hook, no afterAll: only the watchdog is left
    await once(child, 'exit');
    await waitFor(() => !isRunning(pid) && !existsSync(dir), {
      timeout: 10_000,
      what: `memcached ${pid} to be killed and ${dir} removed`,
    });
  });
});
