import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Preloaded into every spawned process: it dies with the test process that spawned it, even
 * when that one is SIGKILLed (see the file). It sits beside the sources; from dist/ look there.
 */
const dieWithTest = [
  join(import.meta.dirname, 'die-with-test.mjs'),
  join(import.meta.dirname, '../src/die-with-test.mjs'),
].find((p) => existsSync(p))!;

/** A spawned Node process whose JSON (pino) log lines on stdout can be waited for. */
export interface LoggedProcess {
  child: ChildProcess;
  /**
   * Resolves with the first log line whose `msg` is `msg` (and whose `module` is `module`, when
   * given); rejects if the process exits first.
   */
  waitForLog(msg: string, module?: string): Promise<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

/**
 * Runs `node <args>` with this process's Node (the repository's Node 24 under vitest), stdin
 * held open so the child dies with the test, and stdout parsed as JSON log lines.
 */
export function spawnLogged(
  args: string[],
  options: { cwd: string; env?: Record<string, string> },
): LoggedProcess {
  const child = spawn(process.execPath, ['--import', dieWithTest, ...args], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? '', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  const lines: Record<string, unknown>[] = [];
  const waiters: {
    msg: string;
    module: string | undefined;
    resolve: (line: Record<string, unknown>) => void;
  }[] = [];
  const matches = (line: Record<string, unknown>, msg: string, module: string | undefined) =>
    line.msg === msg && (module === undefined || line.module === module);
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
      for (const w of waiters) if (matches(line, w.msg, w.module)) w.resolve(line);
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
    waitForLog(msg, module) {
      const seen = lines.find((l) => matches(l, msg, module));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        waiters.push({ msg, module, resolve });
        const what = module === undefined ? msg : `${module}: ${msg}`;
        void exited.then(() => reject(new Error(`exited before logging "${what}":\n${output}`)));
      });
    },
  };
}
