import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const repo = join(import.meta.dirname, '../../..');
export const bin = join(repo, 'packages/cli/dist/bin.js');
export const node = join(repo, 'node_modules/.bin/node');
const fixtures = join(import.meta.dirname, 'fixtures');

/** A temporary application directory whose node_modules holds the fixture modules as packages. */
export function makeApp(): string {
  const app = mkdtempSync(join(tmpdir(), 'scalestack-cli-'));
  const pkg = (name: string, index: string) => {
    mkdirSync(join(app, 'node_modules', name), { recursive: true });
    writeFileSync(
      join(app, 'node_modules', name, 'package.json'),
      JSON.stringify({ name, type: 'module', exports: './index.js' }),
    );
    writeFileSync(join(app, 'node_modules', name, 'index.js'), index);
  };
  for (const f of ['base', 'echo', 'fail']) {
    pkg(
      `scalestack-module-fixture-${f}`,
      `export { default } from ${JSON.stringify(join(fixtures, `${f}.js`))};\n`,
    );
  }
  pkg('@scalestack/fixture-lib', 'export const notAModule = true;\n');
  pkg('scalestack-module-fixture-broken', "throw new Error('fixture-broken cannot be imported');\n");
  writeFileSync(join(app, 'package.json'), '{"name":"app","private":true}');
  return app;
}

export interface CliRun {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Parsed JSON log lines seen so far on stdout. */
  logs: () => Record<string, unknown>[];
  /** Resolves with the first log line matching, as soon as it appears. */
  waitForLog: (match: (line: Record<string, unknown>) => boolean) => Promise<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns the built `scalestack` binary (as another user with `uid` / `gid`, when root). */
export function spawnCli(
  args: string[],
  opts: { cwd: string; env?: Record<string, string>; uid?: number; gid?: number },
): CliRun {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run "npm run build" first`);
  const child = spawn(node, [bin, ...args], {
    cwd: opts.cwd,
    uid: opts.uid,
    gid: opts.gid,
    env: { PATH: process.env.PATH ?? '', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters: {
    match: (l: Record<string, unknown>) => boolean;
    resolve: (l: Record<string, unknown>) => void;
  }[] = [];
  const parsed: Record<string, unknown>[] = [];
  let pending = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk;
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      const entry = JSON.parse(line) as Record<string, unknown>;
      parsed.push(entry);
      for (const w of [...waiters]) {
        if (w.match(entry)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(entry);
        }
      }
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    err += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    logs: () => parsed,
    exited,
    waitForLog: (match) => {
      const seen = parsed.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        waiters.push({ match, resolve });
        exited.then(() => reject(new Error(`process exited before the log line appeared; stderr: ${err}`)));
      });
    },
  };
}

/** Runs the binary to completion. */
export async function runCli(args: string[], opts: Parameters<typeof spawnCli>[1]) {
  const run = spawnCli(args, opts);
  const { code } = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr(), logs: run.logs() };
}
