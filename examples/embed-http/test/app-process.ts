import { join } from 'node:path';
import { type LoggedProcess, spawnLogged as spawnInRepo } from '@scalestack/test-harness';

export const repo = join(import.meta.dirname, '../../..');
export type { LoggedProcess };

/** Runs `node <args>` from the repository root (see the harness's spawnLogged). */
export function spawnLogged(args: string[], env: Record<string, string>): LoggedProcess {
  return spawnInRepo(args, { cwd: repo, env });
}
