import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { trackPid } from './cleanup.js';

/**
 * The wrapper runs the server with its output in a log file and watches its own stdin, which the
 * test process holds open: when the test process dies, however abruptly, stdin reaches EOF and
 * the server's directory is removed and the server killed. So nothing outlives the tests even
 * when the test runner kills its worker with SIGKILL and no cleanup hook runs. (The directory
 * goes first: once the server dies the wrapper stops the watcher, which must be done by then.)
 */
const WRAPPER = `
log="$1"; dir="$2"; shift 2
exec 3<&0
"$@" >>"$log" 2>&1 </dev/null &
pid=$!
echo "$pid"
( while read -r _; do :; done; [ -n "$dir" ] && rm -rf "$dir"; kill -9 "$pid" 2>/dev/null ) <&3 &
watcher=$!
exec 3<&-
wait "$pid"
status=$?
kill "$watcher" 2>/dev/null
exit $status
`;

/** A running server process started by {@link spawnServer}. */
export interface ServerProcess {
  /** The server's own pid (not the wrapper's). */
  readonly pid: number;
  /** Resolves with the exit status once the server has exited (128+n when killed by signal n). */
  readonly exited: Promise<number>;
  /** Whether the server has exited. */
  readonly hasExited: boolean;
  /** The server's output so far. */
  log(): string;
  /** Sends `signal` and waits for the exit; escalates to SIGKILL after `graceMs`. */
  terminate(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

/**
 * Starts `binary args...` under the watchdog wrapper with output appended to `logFile`;
 * `dir` is removed if the test process dies while the server runs.
 */
export async function spawnServer(
  binary: string,
  args: readonly string[],
  logFile: string,
  dir: string,
): Promise<ServerProcess> {
  const child: ChildProcess = spawn(
    '/bin/sh',
    ['-c', WRAPPER, 'scalestack-harness', logFile, dir, binary, ...args],
    {
      stdio: ['pipe', 'pipe', 'ignore'],
    },
  );
  let hasExited = false;
  const exited = new Promise<number>((resolve) => {
    child.once('exit', (code, signal) => {
      hasExited = true;
      resolve(code ?? (signal ? 128 : 1));
    });
  });
  const firstLine = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => {
      lines.close();
      resolve(line);
    });
    child.once('error', reject);
    void exited.then(() => reject(new Error(`test-harness: could not start ${binary}: ${readLog(logFile)}`)));
  });
  const pid = Number(firstLine);
  const untrack = trackPid(pid);
  void exited.then(() => {
    untrack();
    child.stdin?.destroy();
  });

  return {
    pid,
    exited,
    get hasExited() {
      return hasExited;
    },
    log: () => readLog(logFile),
    async terminate(signal = 'SIGTERM', graceMs = 20_000) {
      if (hasExited) return;
      signalPid(pid, signal);
      const timer = setTimeout(() => signalPid(pid, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

function readLog(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/**
 * Waits until `ready()` holds or the process exits, whichever comes first.
 *
 * @throws Error with the end of the server's log when it exits or does not become ready in time
 */
export async function waitUntilReady(
  server: ServerProcess,
  ready: () => Promise<boolean>,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (server.hasExited) {
      throw new Error(`test-harness: ${what} exited before it was ready; log:\n${tail(server.log())}`);
    }
    if (await ready().catch(() => false)) return;
    if (Date.now() >= deadline) {
      throw new Error(
        `test-harness: timed out after ${timeoutMs}ms waiting for ${what}; log:\n${tail(server.log())}`,
      );
    }
    await Promise.race([server.exited, new Promise((resolve) => setTimeout(resolve, 25))]);
  }
}

/** The last lines of a log, enough to see why a server failed. */
export function tail(log: string, lines = 25): string {
  return log.split('\n').slice(-lines).join('\n');
}

/** Whether a failed start looks like a lost race for the port (retry with another port). */
export function isPortConflict(log: string): boolean {
  return /address already in use|Can't start server: Bind|bind: Address|Errno 98|Could not create server TCP listening socket|failed to listen/i.test(
    log,
  );
}
