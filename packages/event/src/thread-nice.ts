/**
 * The nice value of the thread that runs an event loop.
 *
 * On Linux a nice value belongs to a thread: `os.setPriority(0, n)` changes the calling thread
 * only, so each worker sets its own and V8's helper threads keep theirs. Threads the loop
 * thread starts afterwards (libuv's thread pool, on first use) inherit its value.
 *
 * Why a server may want it: the scheduler shares a contended core per thread, and one event loop
 * serving thousands of connections is one thread among however many share its cores (nginx's
 * `worker_priority` and systemd's `Nice=` are the same setting).
 */
import { getPriority, setPriority } from 'node:os';

/** The range of Linux nice values: -20 (most CPU) … 19 (least). */
export const NICE_RANGE = { min: -20, max: 19 } as const;

/**
 * Sets the calling thread's nice value. Returns what puts the previous value back (lowering a
 * nice value needs the same right as setting a negative one; if that fails the thread keeps
 * the new value and `onRestoreError` hears why).
 * @throws Error naming the option, the value and what the process needs when it may not
 */
export function setThreadNice(nice: number, onRestoreError: (err: Error) => void = () => {}): () => void {
  const before = getPriority(0);
  if (before === nice) return () => {};
  try {
    setPriority(0, nice);
  } catch (err) {
    throw new Error(niceRefused(nice, before, err as SystemError));
  }
  return () => {
    try {
      setPriority(0, before);
    } catch (err) {
      onRestoreError(err as Error);
    }
  };
}

/** What `os.setPriority` throws: ERR_SYSTEM_ERROR, with the errno's name in `info.code`. */
type SystemError = Error & { info?: { code?: string } };

function niceRefused(nice: number, before: number, err: SystemError): string {
  const why = `event: option nice: cannot set the event-loop thread's nice value to ${nice} (it is ${before})`;
  const code = err.info?.code;
  if (code !== 'EACCES' && code !== 'EPERM') return `${why}: ${err.message}`;
  return (
    `${why}: permission denied. A value below the current one needs the CAP_SYS_NICE capability ` +
    `(root, systemd AmbientCapabilities=CAP_SYS_NICE) or an RLIMIT_NICE of at least ${20 - nice} ` +
    '(systemd LimitNICE=, ulimit -e); or leave nice unset'
  );
}
