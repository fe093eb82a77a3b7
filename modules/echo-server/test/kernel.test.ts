import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kernel, KernelConfigError } from '@scalestack/kernel';
import { SOCKETS, type SocketService } from '@scalestack/socket';
import socketModule from '@scalestack/socket/module';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import echoServer, { ECHO_SERVER, type EchoServer } from '../src/index.js';
import { concurrentEchoes, echoOnce, open, slowReaderTransfer } from './echo-clients.js';

/** A pino logger whose JSON lines land in `lines`. */
function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { logger, lines };
}

const kernels: Kernel[] = [];
afterEach(async () => {
  await Promise.all(kernels.splice(0).map((k) => k.shutdown()));
});

/** Starts a kernel running echo-server on a free port, configured as if by a config file. */
async function startEcho(options: Record<string, unknown> = {}) {
  const { logger, lines } = capturingLogger();
  const kernel = new Kernel({ logger, definitions: [socketModule, echoServer] });
  kernels.push(kernel);
  await kernel.load({ env: {}, config: configWith(options) });
  await kernel.start();
  const echo = kernel.container.resolve<EchoServer>(ECHO_SERVER);
  const port = echo.address.kind === 'tcp' ? echo.address.port : 0;
  return { kernel, echo, port, lines };
}

function configWith(options: Record<string, unknown>) {
  return { modules: { 'echo-server': { listen: '127.0.0.1:0', ...options } } };
}

describe('echo-server in a real Kernel', () => {
  it('starts after socket and logs where it listens', async () => {
    const { kernel, port, lines } = await startEcho();
    expect(kernel.modules.map((m) => m.name)).toEqual(['socket', 'echo-server']);
    expect(port).toBeGreaterThan(0);
    expect(lines).toContainEqual(
      expect.objectContaining({ module: 'echo-server', msg: 'listening', address: `127.0.0.1:${port}` }),
    );
  });

  it('gives 1,000 concurrent clients each exactly its own payload back', async () => {
    const { port } = await startEcho();
    expect(await concurrentEchoes(port, 1000)).toBe(1000);
  });

  it('keeps a 64 MiB echo to a slow reader bounded by backpressure', async () => {
    const { kernel, port } = await startEcho();
    const [listener] = kernel.container.resolve<SocketService>(SOCKETS).listeners;
    let maxQueued = 0;
    let highWaterMark = 0;
    let sawPaused = false;
    const sample = () => {
      for (const conn of listener!.connections) {
        maxQueued = Math.max(maxQueued, conn.writableLength);
        highWaterMark = conn.socket.writableHighWaterMark;
        sawPaused ||= conn.isPaused;
      }
    };
    const total = 64 * 1024 * 1024;
    const result = await slowReaderTransfer(port, total, 2, sample);
    expect(result).toEqual({ sent: total, received: total, intact: true });
    // The server stopped reading while the client was not: backpressure was engaged...
    expect(sawPaused).toBe(true);
    // ...and held its write buffer to the high-water mark plus at most one read's worth.
    expect(highWaterMark).toBeGreaterThan(0);
    expect(maxQueued).toBeLessThanOrEqual(highWaterMark + 64 * 1024);
  }, 120_000);

  it('drain stops accepting while open connections still echo; stop closes them', async () => {
    const { kernel, port } = await startEcho();
    const client = await open(port);
    expect(String(await echoOnce(client, Buffer.from('before drain')))).toBe('before drain');

    await kernel.drain();
    const refused = open(port);
    await expect(refused).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(String(await echoOnce(client, Buffer.from('while draining')))).toBe('while draining');

    const closed = once(client, 'close');
    await kernel.stop();
    await closed;
  });

  it('closes idle connections after idle_timeout and reloads it for open connections', async () => {
    const { kernel, echo, port } = await startEcho({ idle_timeout: '100ms' });
    const idle = await open(port);
    await once(idle, 'close');

    const report = await kernel.reload(configWith({}));
    expect(report).toEqual({ applied: ['echo-server'], restartNeeded: [], failed: [] });
    const open1 = await open(port);
    expect(String(await echoOnce(open1, Buffer.from('no idle limit now')))).toBe('no idle limit now');
    expect(echo.connectionCount).toBe(1);

    const closed = once(open1, 'close');
    echo.setIdleTimeout(50);
    await closed;
  });

  it('keeps listen and max_connections until a restart, and reloads idle_timeout beside them', async () => {
    const { kernel, port } = await startEcho({ max_connections: 5 });
    const report = await kernel.reload(configWith({ max_connections: 6, idle_timeout: '1s' }));
    expect(report).toEqual({ applied: ['echo-server'], restartNeeded: ['echo-server'], failed: [] });
    expect(kernel.optionsOf('echo-server')).toMatchObject({ max_connections: 5, idle_timeout: 1000 });
    const client = await open(port);
    expect(String(await echoOnce(client, Buffer.from('still serving')))).toBe('still serving');
    client.destroy();
  });

  it('applies max_connections: clients beyond it are closed unanswered', async () => {
    const { port } = await startEcho({ max_connections: 2 });
    const first = await open(port);
    const second = await open(port);
    expect(String(await echoOnce(first, Buffer.from('one')))).toBe('one');
    expect(String(await echoOnce(second, Buffer.from('two')))).toBe('two');
    const third = await open(port);
    expect((await echoOnce(third, Buffer.from('three'))).length).toBe(0);
    first.destroy();
    second.destroy();
  });

  it('listens on a Unix socket path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'echo-unix-'));
    try {
      const path = join(dir, 'echo.sock');
      await startEcho({ listen: `unix:${path}` });
      const client = connect(path);
      await once(client, 'connect');
      expect(String(await echoOnce(client, Buffer.from('over a unix socket')))).toBe('over a unix socket');
      client.destroy();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects a bad listen address with the module, option, value and expected form', async () => {
    const kernel = new Kernel({ logger: capturingLogger().logger, definitions: [socketModule, echoServer] });
    const load = kernel.load({ modules: ['echo-server'], env: {}, args: ['--echo-server.listen=nonsense'] });
    await expect(load).rejects.toThrow(KernelConfigError);
    await expect(load).rejects.toThrow(
      'module "echo-server", option "listen": got "nonsense", expected an address (host:port, [ipv6]:port, or a Unix socket path)',
    );
  });
});
