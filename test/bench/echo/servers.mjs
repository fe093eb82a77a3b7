// Starts the two echo servers under test as their own processes and reads /proc about them.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const repo = join(import.meta.dirname, '../../..');
const node = join(repo, 'node_modules/.bin/node');
const dieWithParent = join(import.meta.dirname, 'die-with-parent.mjs');

export const TARGETS = {
  'echo-server': [
    join(repo, 'packages/cli/dist/bin.js'),
    'run',
    'echo-server',
    '--echo-server.listen=127.0.0.1:0',
    '--log-level=info',
  ],
  'node:net': [join(import.meta.dirname, 'plain-echo.mjs')],
};

/** Spawns a target; resolves with its pid, port and a stop() once it logs where it listens. */
export async function startServer(target) {
  const child = spawn(node, ['--import', dieWithParent, ...TARGETS[target]], {
    cwd: repo,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let pending = '';
  const port = await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${target} exited (${code}) before listening`)));
    child.stdout.on('data', (chunk) => {
      pending += chunk;
      const match =
        /"msg":"listening"[^\n]*"address":"127\.0\.0\.1:(\d+)"|"address":"127\.0\.0\.1:(\d+)"[^\n]*"msg":"listening"/.exec(
          pending,
        );
      if (match) resolve(Number(match[1] ?? match[2]));
    });
  });
  child.stdout.resume();
  return {
    pid: child.pid,
    port,
    async stop() {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Resident set size in KiB (VmRSS). */
export function rssKiB(pid) {
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
}

/** User + system CPU time in microseconds (utime + stime, /proc/<pid>/stat fields 14 and 15). */
export function cpuMicros(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1e6) / 100; // CLK_TCK is 100 on Linux
}

/** Forks a load-generating client and resolves with its child process once it says `ready`. */
export function startClient(script, args) {
  const child = spawn(node, [join(import.meta.dirname, script), ...args.map(String)], {
    cwd: repo,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return child;
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
