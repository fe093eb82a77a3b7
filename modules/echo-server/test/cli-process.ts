import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

export const repo = join(import.meta.dirname, '../../..');
const node = join(repo, 'node_modules/.bin/node');
const dieWithTest = join(import.meta.dirname, 'die-with-test.mjs');
const bin = join(repo, 'packages/cli/dist/bin.js');

/** A spawned `scalestack` process whose JSON log lines on stdout can be waited for. */
export interface CliProcess {
  child: ChildProcess;
  /** Resolves with the first log line of `module` saying `msg`; rejects if the process exits first. */
  waitForLog(module: string, msg: string): Promise<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

/** Runs the built CLI (`node packages/cli/dist/bin.js <args>`) from the repository root. */
export function spawnCli(args: string[], env: Record<string, string> = {}): CliProcess {
  const child = spawn(node, ['--import', dieWithTest, bin, ...args], {
    cwd: repo,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  const lines: Record<string, unknown>[] = [];
  const waiters = new Map<string, (line: Record<string, unknown>) => void>();
  const key = (module: unknown, msg: unknown) => `${module}: ${msg}`;
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
      waiters.get(key(line.module, line.msg))?.(line);
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
    waitForLog(module, msg) {
      const seen = lines.find((l) => l.module === module && l.msg === msg);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        waiters.set(key(module, msg), resolve);
        void exited.then(() => reject(new Error(`exited before "${key(module, msg)}":\n${output}`)));
      });
    },
  };
}
