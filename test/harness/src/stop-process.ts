import { readdirSync, readFileSync } from 'node:fs';
import { waitFor } from './wait-for.js';

/** The scheduler state letter of a thread (`R`, `S`, `T` for stopped, …) from /proc. */
function threadState(pid: number, tid: string): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces: the state follows its last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined; // the thread ended meanwhile
  }
}

/**
 * Stops a server with SIGSTOP and resolves once every one of its threads is stopped. The signal
 * takes effect when each thread next runs kernel code: a request sent right after `kill` returns
 * could still be answered by a thread that had not stopped yet (seen under load).
 */
export async function stopProcess(pid: number): Promise<void> {
  process.kill(pid, 'SIGSTOP');
  await waitFor(
    () =>
      readdirSync(`/proc/${pid}/task`).every((tid) => {
        const state = threadState(pid, tid);
        return state === undefined || state === 'T' || state === 't';
      }),
    { what: `process ${pid} to stop`, interval: 5 },
  );
}
