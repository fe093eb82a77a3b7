import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

export const repo = join(import.meta.dirname, '../../..');
const node = join(repo, 'node_modules/.bin/node');
const dieWithTest = join(import.meta.dirname, 'die-with-test.mjs');

/** A spawned Node process whose JSON log lines on stdout can be waited for. */
export interface LoggedProcess {
  child: ChildProcess;
  /** Resolves with the first log line whose `msg` is `msg`; rejects if the process exits first. */
  waitForLog(msg: string): Promise<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

export function spawnLogged(args: string[], env: Record<string, string>): LoggedProcess {
  const child = spawn(node, ['--import', dieWithTest, ...args], {
    cwd: repo,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  const lines: Record<string, unknown>[] = [];
  const waiters = new Map<string, (line: Record<string, unknown>) => void>();
  let pending = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk;
    pending += chunk;
    const complete = pending.split('\n');
    pending = complete.pop()!;
    for (const text of complete) {
      if (!text.startsWith('{')) continue;
      const line = JSON.parse(text) as Record<string, unknown>;
      lines.push(line);
      waiters.get(line.msg as string)?.(line);
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    output += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    exited,
    output: () => output,
    waitForLog(msg) {
      const seen = lines.find((l) => l.msg === msg);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        waiters.set(msg, resolve);
        void exited.then(() => reject(new Error(`exited before logging "${msg}":\n${output}`)));
      });
    },
  };
}
