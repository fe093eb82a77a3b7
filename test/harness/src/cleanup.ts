import { rmSync } from 'node:fs';

/**
 * Last-resort cleanup when the test process exits without calling `stop()`: kill what is still
 * running and remove temporary directories. Only synchronous work is possible in an 'exit' hook.
 */
const pids = new Set<number>();
const dirs = new Set<string>();
let installed = false;

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', () => {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
}

/** Kill `pid` with SIGKILL if the process exits while it is still tracked. */
export function trackPid(pid: number): () => void {
  install();
  pids.add(pid);
  return () => pids.delete(pid);
}

/** Remove `dir` if the process exits while it is still tracked. */
export function trackDir(dir: string): () => void {
  install();
  dirs.add(dir);
  return () => dirs.delete(dir);
}
