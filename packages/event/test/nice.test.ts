// event.nice: the nice value of each event-loop thread, read back from /proc (Linux keeps one per
// thread). The CLI runs dist/: built first, as the CLI's own tests do.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { Kernel } from '@scalestack/kernel';
import { pino } from 'pino';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type CliRun, repo, spawnCli } from '../../cli/test/cli-process.js';

beforeAll(() => {
  execFileSync(
    `${repo}/node_modules/.bin/tsc`,
    ['-b', 'packages/cli', 'packages/event', 'modules/echo-server'],
    {
      cwd: repo,
    },
  );
});

const running: CliRun[] = [];
afterEach(() => {
  for (const run of running.splice(0)) run.child.kill('SIGKILL');
});

/** Every thread of process `pid`: its name and nice value (field 19 of /proc/…/stat). */
function threadNices(pid: number): { name: string; nice: number }[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    // Fields after "(comm) ": state is field 3, nice field 19.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return {
      name: readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim(),
      nice: Number(fields[16]),
    };
  });
}

const ECHO = ['run', 'echo-server', 'event', '--echo-server.listen=127.0.0.1:0'];

/** Runs the CLI to its exit (killed after the test instead if it wrongly keeps running). */
async function exitOf(args: string[], opts: { uid?: number; gid?: number } = {}) {
  const run = spawnCli([...ECHO, ...args], { cwd: repo, ...opts });
  running.push(run);
  const { code } = await run.exited;
  return { code, stderr: run.stderr() };
}

describe('event.nice', () => {
  it('one event loop: the main thread takes the value, V8 helper threads keep theirs', async () => {
    const run = spawnCli([...ECHO, '--event.nice=3'], { cwd: repo });
    running.push(run);
    await run.waitForLog((l) => l.msg === 'listening');
    const threads = threadNices(run.child.pid!);
    expect(threads.find((t) => t.name === 'MainThread')?.nice).toBe(3);
    const helpers = threads.filter((t) => t.name === 'V8Worker');
    expect(helpers.length).toBeGreaterThan(0);
    expect(helpers.every((t) => t.nice === 0)).toBe(true);
  });

  it('two worker threads: each takes the value, the supervising main thread does not', async () => {
    const run = spawnCli([...ECHO, '--event.threads=2', '--event.nice=3'], { cwd: repo });
    running.push(run);
    await run.waitForLog((l) => l.msg === 'worker threads started');
    const threads = threadNices(run.child.pid!);
    expect(threads.filter((t) => t.name === 'WorkerThread').map((t) => t.nice)).toEqual([3, 3]);
    expect(threads.find((t) => t.name === 'MainThread')?.nice).toBe(0);
  });

  it('a value the process may not set stops the start with a message saying what it needs', async () => {
    // Root may set any value: the check runs as nobody then.
    const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    for (const threads of ['1', '2']) {
      const { code, stderr } = await exitOf([`--event.threads=${threads}`, '--event.nice=-5'], asNobody);
      expect(code).toBe(1);
      expect(stderr).toContain(
        "event: option nice: cannot set the event-loop thread's nice value to -5 (it is 0): permission denied",
      );
      expect(stderr).toContain('CAP_SYS_NICE');
      expect(stderr).toContain('RLIMIT_NICE of at least 25');
    }
  });

  it('a value out of range is refused before anything starts', async () => {
    const { code, stderr } = await exitOf(['--event.nice=20']);
    expect(code).toBe(2);
    expect(stderr).toContain(
      'module "event", option "nice": got "20", expected an integer between -20 and 19',
    );
  });

  it('embedded: the host thread gets its old value back when the kernel stops', async () => {
    const before = getPriority(0);
    const warnings: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => warnings.push(line) });
    const kernel = new Kernel({ logger, cwd: repo });
    await kernel.load({ modules: ['event'], env: {}, args: [`--event.nice=${before + 2}`] });
    await kernel.start();
    expect(getPriority(0)).toBe(before + 2);
    await kernel.stop();
    if (process.getuid?.() === 0) {
      expect(getPriority(0)).toBe(before);
      expect(warnings).toEqual([]);
    } else {
      // Lowering a nice value again needs CAP_SYS_NICE: the kernel says so and the thread keeps it.
      expect(getPriority(0)).toBe(before + 2);
      expect(warnings.join('')).toContain("could not put the thread's nice value back");
    }
  });
});
