/** Where the CLI writes and how it ends the process; replaceable so the program runs in tests. */
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  /** Ends the process; only called by signal handling, after the kernel stopped (or on a second signal). */
  exit(code: number): void;
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
}

/** The real process. */
export function processIO(): CliIO {
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    exit: (code) => process.exit(code),
    cwd: process.cwd(),
    env: process.env,
  };
}

/** Exit codes: 2 for usage and configuration errors, 1 for modules that failed to start. */
export const EXIT = { ok: 0, startFailed: 1, usage: 2 } as const;
