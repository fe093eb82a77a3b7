/**
 * MariaDB's own command-line tools (`mariadb`, `mariadb-dump`, `mariadb-admin`) against the
 * proxy, or straight at its server for the reference answer, as the fixture's users.
 */
import { execFile } from 'node:child_process';
import type { Writable } from 'node:stream';
import { APP_USER, BACKEND_USER, type ProxyFixture } from './proxy-fixture.js';

/** How a tool ended: its exit code (0 for success) and what it wrote. */
export interface ToolRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ToolOptions {
  /** Writes the tool's standard input and ends it (default: nothing); a rejection kills the tool. */
  feed?: (stdin: Writable) => Promise<void> | void;
  /** How its output is read (default utf8; latin1 keeps every byte, a character each). */
  encoding?: BufferEncoding;
}

/**
 * Runs `tool` with `args` through the proxy (as APP_USER) or at the fixture's server (as the
 * proxy's BACKEND_USER). Resolves whatever the exit code: a refusal is an answer to compare.
 */
export function runTool(
  fx: ProxyFixture,
  tool: string,
  side: 'proxy' | 'server',
  args: readonly string[],
  {
    feed = (stdin) => {
      stdin.end();
    },
    encoding = 'utf8',
  }: ToolOptions = {},
): Promise<ToolRun> {
  const [port, user] = side === 'server' ? [fx.mariadb.port, BACKEND_USER] : [fx.port, APP_USER];
  return new Promise((resolve, reject) => {
    const child = execFile(
      tool,
      ['-h127.0.0.1', `-P${port}`, `-u${user.name}`, `-p${user.password}`, ...args],
      { maxBuffer: 64 * 1024 * 1024, encoding },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    );
    Promise.resolve()
      .then(() => feed(child.stdin!))
      .catch((err: unknown) => {
        child.kill();
        reject(err);
      });
  });
}

/** Debian's python3, where python3-pymysql installs (another python3 may come first on PATH). */
export const PYTHON = '/usr/bin/python3';

/**
 * Runs a client program (`php` or {@link PYTHON} with a script) and resolves what it printed;
 * rejects with its standard error when it fails or runs past a minute.
 */
export function runClientScript(command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(command, args, { timeout: 60_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${command} ${args.join(' ')}: ${err.message}\n${stderr}`)) : resolve(stdout),
    ),
  );
}
