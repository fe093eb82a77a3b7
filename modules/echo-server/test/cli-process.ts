import { join } from 'node:path';
import { type LoggedProcess, spawnLogged } from '@scalestack/test-harness';

export const repo = join(import.meta.dirname, '../../..');
const bin = join(repo, 'packages/cli/dist/bin.js');

/** A spawned `scalestack` process whose log lines can be waited for by module and message. */
export interface CliProcess extends Omit<LoggedProcess, 'waitForLog'> {
  waitForLog(module: string, msg: string): Promise<Record<string, unknown>>;
}

/** Runs the built CLI (`node packages/cli/dist/bin.js <args>`) from the repository root. */
export function spawnCli(args: string[], env: Record<string, string> = {}): CliProcess {
  const p = spawnLogged([bin, ...args], { cwd: repo, env });
  return { ...p, waitForLog: (module, msg) => p.waitForLog(msg, module) };
}
