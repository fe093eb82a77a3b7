// Two worker threads running echo-server through a real Kernel in this process (workers load
// the built dist/: run `npm run build` first).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kernel, type MetricFamily } from '@scalestack/kernel';
import { freePort, waitFor } from '@scalestack/test-harness';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_GROUP, type EventLoopGroup } from '../src/index.js';

const silent = pino({ level: 'silent' });

function metric(families: MetricFamily[], name: string): number {
  return families.find((f) => f.name === name)?.samples.reduce((a, s) => a + s.value, 0) ?? 0;
}

/** A client that echoes and remembers whether it was closed. */
interface EchoClient {
  socket: Socket;
  closed: boolean;
  echo(text: string): Promise<string>;
}

/** Connects an {@link EchoClient} to `port`. */
async function client(port: number): Promise<EchoClient> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const c = {
    socket,
    closed: false,
    echo(text: string) {
      return new Promise<string>((resolve, reject) => {
        let got = '';
        const onData = (chunk: Buffer) => {
          got += chunk.toString();
          if (got.length >= text.length) {
            socket.off('data', onData);
            resolve(got);
          }
        };
        socket.on('data', onData);
        socket.once('close', () => reject(new Error('closed')));
        socket.write(text);
      });
    },
  };
  socket.on('error', () => {});
  socket.on('close', () => {
    c.closed = true;
  });
  return c;
}

describe('event-loop group: echo-server in 2 worker threads', () => {
  let kernel: Kernel;
  let group: EventLoopGroup;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    kernel = new Kernel({ logger: silent, cwd: process.cwd() });
    await kernel.load({
      modules: ['event', 'echo-server'],
      env: {},
      args: [
        '--event.threads=2',
        '--event.report_interval=20ms',
        '--event.restart_delay=10ms',
        `--echo-server.listen=127.0.0.1:${port}`,
      ],
    });
    await kernel.start();
    group = kernel.resolve(EVENT_GROUP);
  });
  afterAll(() => kernel.shutdown());

  it('runs the modules only in the workers, and connections land on both', async () => {
    expect(kernel.modules.map((m) => m.name)).toEqual(['event', 'socket', 'echo-server']);
    expect(group.workers.map((w) => w.status)).toEqual(['running', 'running']);
    const clients: EchoClient[] = [];
    for (let i = 0; i < 64; i++) clients.push(await client(port));
    expect(await Promise.all(clients.map((c, i) => c.echo(`hello ${i}`)))).toEqual(
      clients.map((_, i) => `hello ${i}`),
    );
    await waitFor(
      () =>
        group.workers.every((w) => metric(w.metrics, 'socket_connections') > 0) &&
        group.workers.reduce((a, w) => a + metric(w.metrics, 'socket_connections'), 0) === 64,
      {
        what: 'both workers to report connections (64 in all)',
        timeout: 10_000,
      },
    );
    // the main thread's registry aggregates the workers' families with a worker label
    const merged = kernel.metrics.collect().find((f) => f.name === 'socket_connections')!;
    expect(new Set(merged.samples.map((s) => s.labels?.worker))).toEqual(new Set(['0', '1']));
    expect(merged.samples.reduce((a, s) => a + s.value, 0)).toBe(64);
    for (const c of clients) c.socket.destroy();
  });

  /** A reload of the group's configuration with `echo` as echo-server's options. */
  const reloadEcho = (echo: Record<string, unknown>) =>
    kernel.reload({
      modules: {
        event: { threads: 2, report_interval: '20ms', restart_delay: '10ms' },
        'echo-server': echo,
      },
    });

  /** Crashes worker 0 and waits until it runs again in a new thread. */
  async function restartWorkerZero(): Promise<void> {
    const threadBefore = group.workers[0]!.threadId;
    await group.crash(0);
    await waitFor(
      () => group.workers[0]!.status === 'running' && group.workers[0]!.threadId !== threadBefore,
      {
        what: 'worker 0 back',
        timeout: 10_000,
      },
    );
  }

  it('reload reaches every worker (idle_timeout applied to open connections in both)', async () => {
    const clients: EchoClient[] = [];
    for (let i = 0; i < 32; i++) clients.push(await client(port));
    await waitFor(() => group.workers.every((w) => metric(w.metrics, 'socket_connections') > 0), {
      what: 'connections on both workers',
      timeout: 10_000,
    });
    const report = await reloadEcho({ listen: `127.0.0.1:${port}`, idle_timeout: '50ms' });
    expect(report).toEqual({ applied: ['echo-server'], restartNeeded: [], failed: [] });
    await waitFor(() => clients.every((c) => c.closed), {
      what: 'idle clients closed by both workers',
      timeout: 10_000,
    });
    await reloadEcho({ listen: `127.0.0.1:${port}`, idle_timeout: 0 });
  });

  it('a worker restarted after a reload runs the reloaded configuration, not the one at start', async () => {
    expect((await reloadEcho({ listen: `127.0.0.1:${port}`, idle_timeout: '50ms' })).applied).toEqual([
      'echo-server',
    ]);
    await restartWorkerZero();
    // Clients on both workers, the restarted one included: every one is closed when idle.
    const clients: EchoClient[] = [];
    for (let i = 0; i < 32; i++) clients.push(await client(port));
    await waitFor(() => clients.every((c) => c.closed), {
      what: 'idle clients closed by both workers, the restarted one too',
      timeout: 10_000,
    });
    await reloadEcho({ listen: `127.0.0.1:${port}`, idle_timeout: 0 });
  });

  it('a worker restarted after a reload that needs a restart runs the values the others run', async () => {
    // max_connections applies at start only: the group keeps serving without a limit.
    const report = await reloadEcho({ max_connections: 1 });
    expect(report).toEqual({ applied: [], restartNeeded: ['echo-server'], failed: [] });
    await restartWorkerZero();
    // Many clients on both workers, the restarted one included: none is turned away.
    const clients: EchoClient[] = [];
    for (let i = 0; i < 32; i++) clients.push(await client(port));
    await waitFor(() => metric(group.workers[0]!.metrics, 'socket_connections') > 1, {
      what: 'clients on the restarted worker',
      timeout: 10_000,
    });
    expect(await Promise.all(clients.map((c) => c.echo('no limit')))).toEqual(clients.map(() => 'no limit'));
    for (const c of clients) c.socket.destroy();
  });

  it('a crashed worker is restarted; only its own clients lose their connections', async () => {
    const clients: EchoClient[] = [];
    for (let i = 0; i < 64; i++) clients.push(await client(port));
    await waitFor(
      () => group.workers.reduce((a, w) => a + metric(w.metrics, 'socket_connections'), 0) === 64,
      { what: 'all 64 connections reported', timeout: 10_000 },
    );
    const onZero = metric(group.workers[0]!.metrics, 'socket_connections');
    expect(onZero).toBeGreaterThan(0);
    const threadBefore = group.workers[0]!.threadId;
    const restartsBefore = group.workers[0]!.restarts;
    await group.crash(0);
    await waitFor(() => clients.filter((c) => c.closed).length === onZero, {
      what: `the ${onZero} clients of worker 0 to be closed`,
      timeout: 10_000,
    });
    const survivors = clients.filter((c) => !c.closed);
    expect(survivors).toHaveLength(64 - onZero);
    // the other worker's clients keep working while worker 0 is down and after it is back
    expect(await Promise.all(survivors.map((c) => c.echo('still here')))).toEqual(
      survivors.map(() => 'still here'),
    );
    await waitFor(
      () => group.workers[0]!.status === 'running' && group.workers[0]!.threadId !== threadBefore,
      {
        what: 'worker 0 restarted',
        timeout: 10_000,
      },
    );
    expect(group.workers[0]!.restarts).toBe(restartsBefore + 1);
    expect(await Promise.all(survivors.map((c) => c.echo('after')))).toEqual(survivors.map(() => 'after'));
    const fresh = [];
    for (let i = 0; i < 32; i++) fresh.push(await client(port));
    expect(await Promise.all(fresh.map((c) => c.echo('new')))).toEqual(fresh.map(() => 'new'));
    for (const c of [...survivors, ...fresh]) c.socket.destroy();
  });

  it('shutdown drains and stops every worker; the port is closed', async () => {
    const exited: number[] = [];
    group.onWorker((e) => {
      if (e.type === 'exited') exited.push(e.index);
    });
    await kernel.shutdown();
    expect(exited.sort()).toEqual([0, 1]);
    expect(group.workers.map((w) => w.status)).toEqual(['stopped', 'stopped']);
    const refused = await new Promise<string>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve('connected');
      });
      s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
  });
});

describe('event-loop group and a Unix socket listener', () => {
  it('refuses to start, saying why, instead of two workers fighting over one socket file', async () => {
    const path = `/tmp/scalestack-group-${process.pid}.sock`;
    const kernel = new Kernel({ logger: silent, cwd: process.cwd() });
    await kernel.load({
      modules: ['event', 'echo-server'],
      env: {},
      args: ['--event.threads=2', '--event.restart_delay=10ms', `--echo-server.listen=${path}`],
    });
    const err = await kernel.start().catch((e: Error) => e);
    expect(String((err as Error & { cause?: unknown }).cause ?? err)).toMatch(
      /cannot listen on .*scalestack-group-\d+\.sock from 2 event-loop threads: a Unix socket has one listener/,
    );
  });
});

describe('event-loop group and kernel.report()', () => {
  it('reaches the hosted modules in every worker (SIGUSR2 under the CLI: they run only there)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scalestack-report-'));
    const file = join(dir, 'reports');
    writeFileSync(file, '');
    const kernel = new Kernel({ logger: silent, cwd: process.cwd() });
    try {
      await kernel.load({
        modules: ['event', join(import.meta.dirname, 'fixtures/report-module.js')],
        env: {},
        args: ['--event.threads=2', '--event.restart_delay=10ms', `--report-module.file=${file}`],
      });
      await kernel.start();
      const workerThreads = kernel.resolve(EVENT_GROUP).workers.map((w) => w.threadId);
      kernel.report();
      const reporters = () => readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number);
      await waitFor(() => reporters().length >= 2, { what: 'both workers to report', timeout: 10_000 });
      expect(reporters().sort()).toEqual([...workerThreads].sort());
    } finally {
      await kernel.shutdown();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
