import { execFileSync } from 'node:child_process';
import { realpathSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeApp, repo, runCli, spawnCli } from './cli-process.js';

let app: string;
beforeAll(() => {
  // Spawned processes run dist/: make sure the kernel and CLI are built and current.
  execFileSync(join(repo, 'node_modules/.bin/tsc'), ['-b', 'packages/cli'], { cwd: repo, stdio: 'inherit' });
  app = makeApp();
});
afterAll(() => rmSync(app, { recursive: true, force: true }));

/** Connects, reads the first line (the fixture's greeting), and closes. */
function greeting(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (d) => {
      text += d;
      if (text.includes('\n')) {
        socket.destroy();
        resolve(text.trim());
      }
    });
    socket.on('error', reject);
  });
}

const events = (logs: Record<string, unknown>[]) =>
  logs.filter((l) => typeof l.event === 'string').map((l) => `${l.module}:${l.event}`);

describe('scalestack modules', () => {
  it('runs as the `scalestack` command npm links: node_modules/.bin/scalestack, the committed bin/scalestack.js', async () => {
    const linked = join(repo, 'node_modules/.bin/scalestack');
    expect(realpathSync(linked)).toBe(join(repo, 'packages/cli/bin/scalestack.js'));
    const out = execFileSync(join(repo, 'node_modules/.bin/node'), [linked, 'modules'], {
      cwd: app,
      encoding: 'utf8',
    });
    expect(out).toMatch(/^fixture-echo\s+fixture: greets and echoes over TCP$/m);
  });

  it('lists installed modules with their descriptions, skips libraries, warns about broken packages', async () => {
    const { code, stdout, stderr } = await runCli(['modules'], { cwd: app });
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    expect(lines.find((l) => l.startsWith('fixture-base '))).toMatch(
      /^fixture-base\s+fixture: a dependency that records its lifecycle$/,
    );
    expect(lines.find((l) => l.startsWith('fixture-echo '))).toMatch(
      /^fixture-echo\s+fixture: greets and echoes over TCP$/,
    );
    expect(lines.find((l) => l.startsWith('fixture-fail '))).toMatch(
      /^fixture-fail\s+fixture: always fails to start$/,
    );
    expect(stdout).not.toContain('fixture-lib');
    expect(stderr).toContain(
      'warning: module "fixture-broken" (package scalestack-module-fixture-broken): failed to load (fixture-broken cannot be imported)',
    );
  });
});

describe('scalestack run --help', () => {
  it('prints every option of the modules and of what they require', async () => {
    const { code, stdout } = await runCli(['run', 'fixture-echo', '--help'], { cwd: app });
    expect(code).toBe(0);
    expect(stdout).toContain('fixture-echo — fixture: greets and echoes over TCP (requires: fixture-base)');
    expect(stdout).toContain(
      '  --fixture-echo.listen=<address>\n      where to listen [default: 127.0.0.1:0; env SCALESTACK_FIXTURE_ECHO_LISTEN]',
    );
    expect(stdout).toContain(
      '  --fixture-echo.idle=<duration>\n      idle timeout per connection [default: 5s; env SCALESTACK_FIXTURE_ECHO_IDLE]',
    );
    expect(stdout).toContain('fixture-base — fixture: a dependency that records its lifecycle');
    expect(stdout).toContain(
      '  --fixture-base.weight=<integer>\n      a number that must be at least 1 [default: 1; env SCALESTACK_FIXTURE_BASE_WEIGHT]',
    );
    expect(stdout.indexOf('fixture-base —')).toBeLessThan(stdout.indexOf('fixture-echo —'));
  });
});

describe('scalestack run: bad input', () => {
  it('reports every bad option with exit code 2 and starts nothing', async () => {
    const { code, stdout, stderr } = await runCli(
      [
        'run',
        'fixture-echo',
        '--fixture-echo.listen=abc',
        '--fixture-base.weight',
        '0',
        '--fixture-echo.greting=x',
      ],
      { cwd: app, env: { SCALESTACK_FIXTURE_ECHO_IDLE: 'forever' } },
    );
    expect(code).toBe(2);
    expect(stderr).toBe(
      [
        'scalestack: invalid configuration (4 errors):',
        '  - module "fixture-base", option "weight": got "0", expected an integer >= 1',
        '  - module "fixture-echo", option "greting": unknown option (did you mean "greeting"?)',
        '  - module "fixture-echo", option "listen": got "abc", expected an address (host:port, [ipv6]:port, or a Unix socket path)',
        '  - module "fixture-echo", option "idle": got "forever", expected a duration such as 250ms, 5s, 1.5m or 2h (a bare number is milliseconds)',
        '',
      ].join('\n'),
    );
    expect(stdout).not.toContain('"event"');
  });

  it('reports an unknown module with exit code 2', async () => {
    const { code, stderr } = await runCli(['run', 'no-such-module'], { cwd: app });
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /^scalestack: invalid configuration: module "no-such-module" was not found \(looked for/,
    );
  });

  it('rejects unknown commands, flags and log levels with exit code 2', async () => {
    expect((await runCli(['bogus'], { cwd: app })).code).toBe(2);
    expect((await runCli(['run', 'fixture-base', '--bogus'], { cwd: app })).code).toBe(2);
    const level = await runCli(['run', 'fixture-base', '--log-level', 'loud'], { cwd: app });
    expect(level.code).toBe(2);
    expect(level.stderr).toBe(
      'scalestack: --log-level: got "loud", expected one of fatal, error, warn, info, debug, trace, silent\n',
    );
  });

  it('exits 1 when a module fails to start, after stopping what had started', async () => {
    const { code, stderr, logs } = await runCli(['run', 'fixture-fail'], { cwd: app });
    expect(code).toBe(1);
    expect(stderr).toBe('scalestack: module "fixture-fail" failed to start: fixture-fail refuses to start\n');
    expect(events(logs)).toEqual(['fixture-base:start', 'fixture-base:drain', 'fixture-base:stop']);
  });
});

describe('scalestack run --timeout', () => {
  it("bounds each module's start by the time given, and refuses an unknown phase", async () => {
    const { code, stderr, logs } = await runCli(
      ['run', 'fixture-echo', '--fixture-base.hang_start=yes', '--timeout', 'start=200ms,stop=1s'],
      { cwd: app },
    );
    expect(code).toBe(1);
    expect(stderr).toBe(
      'scalestack: module "fixture-base" failed to start: timed out after 200ms (the start timeout; --timeout start=<duration> changes it)\n',
    );
    expect(events(logs)).toEqual(['fixture-base:start', 'fixture-base:drain', 'fixture-base:stop']);
    const typo = await runCli(['run', 'fixture-base', '--timeout=strat=1s'], { cwd: app });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toBe(
      'scalestack: --timeout: got "strat=1s", expected <phase>=<duration> with a phase among register, start, reload, drain, stop (did you mean "start"?)\n',
    );
    expect(typo.logs).toEqual([]);
  });
});

describe('scalestack check', () => {
  it('says "configuration OK" for a valid configuration and starts nothing', async () => {
    const file = join(app, 'ok.yaml');
    writeFileSync(file, 'modules:\n  fixture-echo:\n    greeting: hi\n');
    const { code, stdout } = await runCli(['check', '--config', file, '--fixture-base.tag=t'], { cwd: app });
    expect(code).toBe(0);
    expect(stdout).toBe('configuration OK (fixture-base, fixture-echo)\n');
  });

  it('lists every error with exit code 2', async () => {
    const file = join(app, 'bad.yaml');
    writeFileSync(file, 'modules:\n  fixture-echo:\n    listen: nowhere\n  fixture-base:\n    weight: -1\n');
    const { code, stdout, stderr } = await runCli(['check', '--config', file], { cwd: app });
    expect(code).toBe(2);
    expect(stderr).toContain('module "fixture-echo", option "listen": got "nowhere", expected an address');
    expect(stderr).toContain('module "fixture-base", option "weight": got -1, expected an integer >= 1');
    expect(stdout).toBe('');
  });

  it('takes one JSON object where a list goes, and never prints a secret from it', async () => {
    const user = '{"name":"app","password":"hunter2","tenant":"acme"}';
    const ok = await runCli(['check', 'database-proxy', `--database-proxy.users=${user}`], { cwd: repo });
    expect({ code: ok.code, stdout: ok.stdout }).toEqual({
      code: 0,
      stdout: 'configuration OK (socket, database-proxy)\n',
    });
    // Before, the object was cut at its commas and a piece with the password was shown.
    const flag = await runCli(
      ['check', 'database-proxy', '--database-proxy.users={"name":"app","password":"hun,ter2","bogus":1}'],
      {
        cwd: repo,
      },
    );
    const env = await runCli(['check', 'database-proxy'], {
      cwd: repo,
      env: {
        SCALESTACK_DATABASE_PROXY_BACKENDS:
          '{"name":"db1","address":"127.0.0.1:3306","user":"proxy","password":"hun,ter2","pool":0}',
      },
    });
    for (const bad of [flag, env]) {
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/module "database-proxy", option "(users|backends)\[0\]\.(bogus|pool)"/);
      expect(bad.stderr).not.toMatch(/hun|ter2/);
    }
  });

  it("checks one module's options against another's: a pool too small for event.threads", async () => {
    const backend = (pool: number) =>
      `--database-proxy.backends={"name":"db1","address":"127.0.0.1:3306","user":"proxy","password":"pw","pool":${pool}}`;
    const user = '--database-proxy.users={"name":"app","password":"secret"}';
    const bad = await runCli(['check', 'database-proxy', 'event', '--event.threads=4', backend(3), user], {
      cwd: repo,
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      'module "database-proxy": backend "db1" pool is 3, fewer than the 4 event.threads that each need at least 1; raise it or lower event.threads',
    );
    const ok = await runCli(['check', 'database-proxy', 'event', '--event.threads=4', backend(4), user], {
      cwd: repo,
    });
    expect([ok.code, ok.stderr]).toEqual([0, '']);
  });
});

describe('scalestack run: signals', () => {
  it('SIGTERM drains and stops in reverse order, then exits 0', async () => {
    const run = spawnCli(['run', 'fixture-echo', '--fixture-echo.greeting=hi there'], {
      cwd: app,
      env: { SCALESTACK_FIXTURE_BASE_TAG: 'from-env' },
    });
    const listening = await run.waitForLog((l) => l.event === 'listening');
    await run.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('started 2 modules'));
    expect(await greeting(listening.port as number)).toBe('hi there');
    run.child.kill('SIGTERM');
    const { code } = await run.exited;
    expect(code).toBe(0);
    expect(events(run.logs())).toEqual([
      'fixture-base:start',
      'fixture-echo:listening',
      'fixture-echo:drain',
      'fixture-base:drain',
      'fixture-echo:stop',
      'fixture-base:stop',
    ]);
    expect(run.logs().find((l) => l.event === 'start')).toMatchObject({ tag: 'from-env' });
    expect(run.logs().find((l) => l.event === 'stop' && l.module === 'fixture-echo')).toMatchObject({
      listening: false,
    });
  });

  it('a second signal exits at once with a non-zero code', async () => {
    const run = spawnCli(['run', 'fixture-base', '--fixture-base.hang_drain=yes'], { cwd: app });
    await run.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('started 1 modules'));
    run.child.kill('SIGINT');
    await run.waitForLog((l) => l.event === 'drain');
    run.child.kill('SIGINT');
    const { code } = await run.exited;
    expect(code).toBe(130);
    expect(events(run.logs())).not.toContain('fixture-base:stop');
  });

  it('SIGTERM during start-up stops what started and exits 0, and nothing starts after', async () => {
    const run = spawnCli(['run', 'fixture-echo', '--fixture-base.hang_start=yes'], { cwd: app });
    await run.waitForLog((l) => l.event === 'start');
    run.child.kill('SIGTERM');
    const { code } = await run.exited;
    expect(code).toBe(0);
    expect(events(run.logs())).toEqual(['fixture-base:start', 'fixture-base:drain', 'fixture-base:stop']);
    expect(run.stderr()).toBe('');
  });

  it("a signal during a failed start's roll-back lets it finish and exits 1", async () => {
    // The roll-back's drain lasts until the signal arrives, so the signal always lands inside it.
    const run = spawnCli(['run', 'fixture-fail', '--fixture-base.drain_until_sigterm=yes'], { cwd: app });
    await run.waitForLog((l) => l.event === 'drain');
    run.child.kill('SIGTERM');
    const { code } = await run.exited;
    expect(code).toBe(1);
    expect(run.stderr()).toBe(
      'scalestack: module "fixture-fail" failed to start: fixture-fail refuses to start\n',
    );
    expect(events(run.logs())).toEqual(['fixture-base:start', 'fixture-base:drain', 'fixture-base:stop']);
  });

  it('SIGUSR2 has every module that can report log its state, and the process runs on', async () => {
    const run = spawnCli(['run', 'fixture-base', '--fixture-base.tag=t1'], { cwd: app });
    await run.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('started 1 modules'));
    run.child.kill('SIGUSR2');
    expect(await run.waitForLog((l) => l.event === 'report')).toMatchObject({ tag: 't1' });
    run.child.kill('SIGTERM');
    expect((await run.exited).code).toBe(0);
  });

  it('SIGHUP reloads a good config file and keeps the old one when the new one is bad', async () => {
    const file = join(app, 'reload.yaml');
    writeFileSync(file, 'modules:\n  fixture-echo:\n    greeting: first\n');
    const run = spawnCli(['run', '--config', file], { cwd: app });
    const { port } = await run.waitForLog((l) => l.event === 'listening');
    await run.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('started 2 modules'));
    expect(await greeting(port as number)).toBe('first');

    writeFileSync(file, 'modules:\n  fixture-echo:\n    greeting: second\n');
    run.child.kill('SIGHUP');
    expect(await run.waitForLog((l) => l.event === 'reload')).toMatchObject({ from: 'first', to: 'second' });
    await run.waitForLog((l) => l.msg === 'configuration reloaded');
    expect(await greeting(port as number)).toBe('second');

    writeFileSync(file, 'modules:\n  fixture-echo:\n    greeting: third\n    idle: soon\n');
    run.child.kill('SIGHUP');
    const rejected = await run.waitForLog(
      (l) => typeof l.msg === 'string' && l.msg.startsWith('reload rejected'),
    );
    expect(rejected.errors).toEqual([
      'module "fixture-echo", option "idle": got "soon", expected a duration such as 250ms, 5s, 1.5m or 2h (a bare number is milliseconds)',
    ]);
    expect(await greeting(port as number)).toBe('second');

    run.child.kill('SIGTERM');
    expect((await run.exited).code).toBe(0);
  });
});
