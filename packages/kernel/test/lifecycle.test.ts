import { connect } from 'node:net';
import { createToken, Kernel, KernelStartError, StartCancelledError } from '@scalestack/kernel';
import { describe, expect, it } from 'vitest';
import { captureLogger } from './fixtures/log-capture.js';
import { portToken, tcpModule } from './fixtures/tcp-module.js';
import { silent } from './helpers.js';

/** Connects to a fixture server and returns what it sent before closing. */
function greetingFrom(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (d) => {
      text += d;
    });
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.on('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('error', () => resolve(true));
  });
}

describe('lifecycle', () => {
  it('registers all, starts in dependency order, drains and stops in reverse', async () => {
    const journal: string[] = [];
    const kernel = new Kernel({
      logger: silent,
      definitions: [
        tcpModule('a', journal),
        tcpModule('b', journal, { requires: ['a'] }),
        tcpModule('c', journal, { requires: ['b'] }),
      ],
    });
    await kernel.load({ modules: ['c'], env: {}, args: ['--b.greeting=hi from b'] });
    const report = await kernel.start();
    expect(report.modules.map((m) => m.name)).toEqual(['a', 'b', 'c']);
    for (const m of report.modules) expect(m.ms).toBeGreaterThanOrEqual(0);
    const ports = Object.fromEntries(
      ['a', 'b', 'c'].map((n) => [n, kernel.container.resolve<{ port: number }>(portToken(n)).port]),
    );
    expect(await greetingFrom(ports.b)).toBe('hi from b');
    expect(await greetingFrom(ports.a)).toBe('hello');
    await kernel.shutdown();
    expect(journal).toEqual([
      'a:register',
      'b:register',
      'c:register',
      'a:start',
      `b:start(a=${ports.a})`,
      `c:start(b=${ports.b})`,
      'c:drain',
      'b:drain',
      'a:drain',
      'c:stop:closed',
      'b:stop:closed',
      'a:stop:closed',
    ]);
    expect(await refused(ports.a)).toBe(true);
  });

  it('rolls back already-started modules in reverse when one fails to start', async () => {
    const journal: string[] = [];
    const kernel = new Kernel({
      logger: silent,
      definitions: [
        tcpModule('a', journal),
        tcpModule('b', journal, { requires: ['a'] }),
        tcpModule('bad', journal, { requires: ['b'], failStart: true }),
        tcpModule('never', journal, { requires: ['bad'] }),
      ],
    });
    await kernel.load({ modules: ['never'], env: {} });
    const err = await kernel.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KernelStartError);
    expect((err as KernelStartError).module).toBe('bad');
    expect((err as Error).message).toBe('module "bad" failed to start: bad cannot start');
    const portA = kernel.container.resolve<{ port: number }>(portToken('a')).port;
    expect(await refused(portA)).toBe(true);
    expect(journal.slice(4)).toEqual([
      'a:start',
      expect.stringMatching(/^b:start\(a=\d+\)$/),
      'bad:drain',
      'b:drain',
      'a:drain',
      'bad:stop:closed',
      'b:stop:closed',
      'a:stop:closed',
    ]);
    expect(journal).not.toContain('never:start');
  });

  it('logs a drain hook that overruns its timeout with module and phase, and goes on', async () => {
    const journal: string[] = [];
    const { logger, lines } = captureLogger();
    const kernel = new Kernel({
      logger,
      timeouts: { drain: 50 },
      definitions: [
        tcpModule('a', journal),
        tcpModule('slow', journal, { requires: ['a'], hangDrain: true }),
      ],
    });
    await kernel.load({ modules: ['slow'], env: {} });
    await kernel.start();
    await kernel.shutdown();
    expect(journal.slice(-4)).toEqual(['slow:drain', 'a:drain', 'slow:stop:closed', 'a:stop:closed']);
    const overrun = lines.find((l) => l.phase === 'drain' && l.level === 40);
    expect(overrun).toMatchObject({ module: 'slow', phase: 'drain', timeoutMs: 50 });
    expect(overrun!.msg).toBe('drain hook of module "slow" overran 50ms; going on');
  });

  it('treats a start that overruns its timeout as a failure', async () => {
    const kernel = new Kernel({
      logger: silent,
      // stop bounds the wait for the abandoned start (it never settles here).
      timeouts: { start: 30, stop: 30 },
      definitions: [{ name: 'stuck', description: '', start: () => new Promise(() => {}) }],
    });
    await kernel.load({ modules: ['stuck'], env: {} });
    await expect(kernel.start()).rejects.toThrow('module "stuck" failed to start: timed out after 30ms');
  });

  it('runs the hooks a start that overran registers once it gives up, so what it opened late is closed', async () => {
    const journal: string[] = [];
    const kernel = new Kernel({
      logger: silent,
      timeouts: { start: 30 },
      definitions: [
        {
          name: 'slow',
          description: '',
          async start(ctx) {
            // Still opening when the kernel gives up and rolls back (its early stop hook runs),
            // and only then done: what it opened after that needs its own clean-up.
            const rolledBack = new Promise<void>((resolve) =>
              ctx.onStop(() => {
                journal.push('early stop');
                resolve();
              }),
            );
            await rolledBack;
            journal.push('opened late');
            ctx.onStop(() => {
              journal.push('late stop');
            });
          },
        },
      ],
    });
    await kernel.load({ modules: ['slow'], env: {} });
    await expect(kernel.start()).rejects.toThrow(/timed out after 30ms/);
    expect(journal).toEqual(['early stop', 'opened late', 'late stop']);
  });

  it('shutdown() during start-up gives it up and stops what started; nothing starts after', async () => {
    const journal: string[] = [];
    let startingSlow!: () => void;
    const slowStarting = new Promise<void>((resolve) => {
      startingSlow = resolve;
    });
    const kernel = new Kernel({
      logger: silent,
      definitions: [
        tcpModule('a', journal),
        {
          name: 'slow',
          description: '',
          requires: ['a'],
          // Ready when its signal says the kernel is going away: a start that heeds it.
          start: (ctx) =>
            new Promise<void>((resolve) => {
              journal.push('slow:start');
              ctx.signal.addEventListener('abort', () => resolve());
              startingSlow();
            }),
        },
        tcpModule('late', journal, { requires: ['slow'] }),
      ],
    });
    await kernel.load({ modules: ['late'], env: {} });
    const started = kernel.start().catch((e: unknown) => e);
    await slowStarting;
    await kernel.shutdown();
    const err = await started;
    expect(err).toBeInstanceOf(KernelStartError);
    expect((err as KernelStartError).module).toBe('slow');
    expect((err as KernelStartError).cause).toBeInstanceOf(StartCancelledError);
    const portA = kernel.container.resolve<{ port: number }>(portToken('a')).port;
    expect(await refused(portA)).toBe(true);
    expect(journal).not.toContain('late:start');
    expect(journal.slice(-2)).toEqual(['a:drain', 'a:stop:closed']);
  });

  it('a second shutdown() or a stop() while the first drains runs no hook twice; shutdowns wait for both phases', async () => {
    const journal: string[] = [];
    let drainStarted!: () => void;
    const draining = new Promise<void>((resolve) => {
      drainStarted = resolve;
    });
    let finishDrain!: () => void;
    const kernel = new Kernel({
      logger: silent,
      definitions: [
        {
          name: 'slow',
          description: '',
          start(ctx) {
            ctx.onDrain(
              () =>
                new Promise<void>((resolve) => {
                  drainStarted();
                  finishDrain = () => {
                    journal.push('drained');
                    resolve();
                  };
                }),
            );
            ctx.onStop(() => {
              journal.push('stopped');
            });
          },
        },
      ],
    });
    await kernel.load({ modules: ['slow'], env: {} });
    await kernel.start();
    const first = kernel.shutdown().then(() => journal.push('first returned'));
    await draining;
    const second = kernel.shutdown().then(() => journal.push('second returned'));
    const stopAlone = kernel.stop().then(() => journal.push('stop returned'));
    finishDrain();
    await Promise.all([first, second, stopAlone]);
    // stop() alone does not wait for the drain; each shutdown returns after both, and no hook runs twice.
    for (const returned of ['first returned', 'second returned']) {
      expect(journal.indexOf(returned)).toBeGreaterThan(journal.indexOf('drained'));
      expect(journal.indexOf(returned)).toBeGreaterThan(journal.indexOf('stopped'));
    }
    expect(journal.filter((e) => e === 'stopped')).toHaveLength(1);
    expect(journal).toHaveLength(5);
  });

  it('shutdown() called from within the last module’s start runs its drain and stop hooks', async () => {
    // An embedder that stops from inside a start: that start has settled by the time the kernel
    // looks, so start-up ends as started — and the shutdown waiting on it must then drain too.
    const journal: string[] = [];
    let shutdown: Promise<void> | undefined;
    const kernel: Kernel = new Kernel({
      logger: silent,
      definitions: [
        {
          name: 'last',
          description: '',
          start(ctx) {
            ctx.onDrain(() => {
              journal.push('drain');
            });
            ctx.onStop(() => {
              journal.push('stop');
            });
            shutdown = kernel.shutdown();
          },
        },
      ],
    });
    await kernel.load({ modules: ['last'], env: {} });
    await kernel.start().catch((e: unknown) => e);
    await shutdown;
    expect(journal).toEqual(['drain', 'stop']);
  });

  it('a second shutdown() during a given-up start returns once the abandoned start’s late hooks ran', async () => {
    const journal: string[] = [];
    let slowStarted!: () => void;
    const slowStarting = new Promise<void>((resolve) => {
      slowStarted = resolve;
    });
    let aStopped!: () => void;
    const aStopping = new Promise<void>((resolve) => {
      aStopped = resolve;
    });
    let finishSlow!: () => void;
    const kernel = new Kernel({
      logger: silent,
      definitions: [
        {
          name: 'a',
          description: '',
          start(ctx) {
            ctx.onStop(() => {
              journal.push('a:stop');
              aStopped();
            });
          },
        },
        {
          name: 'slow',
          description: '',
          requires: ['a'],
          // Ignores its signal, and opens what its stop hook closes only once done.
          start: (ctx) =>
            new Promise<void>((resolve) => {
              slowStarted();
              finishSlow = () => {
                ctx.onStop(() => {
                  journal.push('slow:stop');
                });
                resolve();
              };
            }),
        },
      ],
    });
    await kernel.load({ modules: ['slow'], env: {} });
    const started = kernel.start().catch(() => {});
    await slowStarting;
    const first = kernel.shutdown();
    await aStopping;
    const second = kernel.shutdown().then(() => journal.push('second returned'));
    // In a later turn of the event loop: a second shutdown that does not wait for the abandoned
    // start has returned by then, within this turn's promise jobs.
    setImmediate(() => finishSlow());
    await Promise.all([first, second, started]);
    expect(journal).toEqual(['a:stop', 'slow:stop', 'second returned']);
  });

  it('logs the start report and gives each module a child logger', async () => {
    const { logger, lines } = captureLogger('info');
    const kernel = new Kernel({ logger, definitions: [tcpModule('a', [])] });
    await kernel.load({ modules: ['a'], env: {} });
    await kernel.start();
    await kernel.shutdown();
    expect(lines.find((l) => l.module === 'a' && l.msg === 'started')).toMatchObject({
      ms: expect.any(Number),
    });
    expect(lines.find((l) => l.module === 'kernel' && /^started 1 modules in/.test(l.msg))).toMatchObject({
      modules: [{ name: 'a', ms: expect.any(Number) }],
    });
  });
});

describe('containers', () => {
  it('gives two kernels in one process separate containers', async () => {
    const token = createToken<string>('kernel-test:identity');
    const make = (id: string) =>
      new Kernel({
        logger: silent,
        definitions: [
          { name: 'provider', description: '', register: (ctx) => ctx.provide(token, id) },
          {
            name: 'user',
            description: '',
            requires: ['provider'],
            start: (ctx) => {
              seen.push(`${id}:${ctx.resolve(token)}`);
            },
          },
        ],
      });
    const seen: string[] = [];
    const one = make('one');
    const two = make('two');
    await one.load({ modules: ['user'], env: {} });
    await two.load({ modules: ['user'], env: {} });
    await one.start();
    await two.start();
    expect(seen).toEqual(['one:one', 'two:two']);
    expect(one.container.resolve(token)).toBe('one');
    expect(two.container.resolve(token)).toBe('two');
    const bare = new Kernel({ logger: silent, definitions: [{ name: 'probe', description: '' }] });
    await bare.load({ modules: ['probe'], env: {} });
    expect(bare.container.isRegistered(token, true)).toBe(false);
    await Promise.all([one.shutdown(), two.shutdown()]);
  });

  it('resolve() names the module and the missing service; tryResolve() returns undefined', async () => {
    const token = createToken<number>('kernel-test:absent');
    const results: unknown[] = [];
    const kernel = new Kernel({
      logger: silent,
      definitions: [
        {
          name: 'lonely',
          description: '',
          start: (ctx) => {
            results.push(ctx.tryResolve(token));
            ctx.resolve(token);
          },
        },
      ],
    });
    await kernel.load({ modules: ['lonely'], env: {} });
    await expect(kernel.start()).rejects.toThrow(
      'module "lonely" failed to start: module "lonely": no service registered for scalestack:kernel-test:absent',
    );
    expect(results).toEqual([undefined]);
  });
});
