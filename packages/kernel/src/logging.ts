import { type Logger, type LoggerOptions, pino } from 'pino';
import pretty from 'pino-pretty';

export interface LoggerSetup {
  level?: string;
  /** Human-readable output; defaults to whether stdout is a TTY. */
  pretty?: boolean;
}

/**
 * The kernel's own logger when the embedder gives none: JSON lines on stdout, or pino-pretty
 * when stdout is a terminal. Both write synchronously (no worker-thread transport), so the last
 * lines before an exit are never lost.
 */
export function createLogger(setup: LoggerSetup = {}): Logger {
  const options: LoggerOptions = { level: setup.level ?? 'info', base: { pid: process.pid } };
  const wantPretty = setup.pretty ?? process.stdout.isTTY === true;
  if (wantPretty) {
    return pino(
      options,
      pretty({
        sync: true,
        destination: 1,
        ignore: 'pid,hostname,module',
        messageFormat: '[{module}] {msg}',
        translateTime: 'SYS:HH:MM:ss.l',
      }),
    );
  }
  return pino(options, pino.destination({ dest: 1, sync: true }));
}
