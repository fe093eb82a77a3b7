import { readFileSync } from 'node:fs';
import { defineModule, Kernel, KernelConfigError, option } from '@scalestack/kernel';
import { acceptQueueLength } from '@scalestack/test-harness';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ConnectError, connect, type Listener, SOCKETS } from '../src/index.js';
import socketModule from '../src/module.js';
import { readUntil, roundTrip } from './helpers.js';

/** A pino logger whose JSON lines land in `lines`. */
function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { logger, lines };
}

/** The smallest module that uses the socket service: an echo server. */
function echoModule(onListening: (listener: Listener) => void) {
  return defineModule({
    name: 'echo-test',
    description: 'echoes every byte',
    requires: ['socket'],
    options: { listen: option.address('127.0.0.1:0', 'where to listen') },
    async start(ctx) {
      const listener = await ctx.resolve(SOCKETS).listen(ctx.options.listen, (conn) => conn.pipe(conn));
      onListening(listener);
    },
  });
}

describe('the socket module in a real Kernel', () => {
  it('provides SOCKETS, logs the address, stops accepting on drain and closes on stop', async () => {
    const { logger, lines } = capturingLogger();
    let listener: Listener | undefined;
    const kernel = new Kernel({ logger, definitions: [socketModule, echoModule((l) => (listener = l))] });
    await kernel.load({ modules: ['echo-test'], env: {} });
    expect(kernel.modules.map((m) => m.name)).toEqual(['socket', 'echo-test']);
    await kernel.start();

    const port = listener!.address.kind === 'tcp' ? listener!.address.port : 0;
    expect(lines).toContainEqual(
      expect.objectContaining({ module: 'socket', msg: 'listening', address: `127.0.0.1:${port}` }),
    );
    const client = await connect(listener!.address);
    expect(await roundTrip(client.socket, 'via kernel')).toBe('via kernel');

    await kernel.drain();
    await expect(connect(listener!.address)).rejects.toThrow(ConnectError);
    expect(await roundTrip(client.socket, 'draining')).toBe('draining');

    await kernel.stop();
    await client.closed;
    expect(listener!.connectionCount).toBe(0);
  });

  it('gives listeners a 4096-long accept queue by default, or the backlog option', async () => {
    const somaxconn = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));
    for (const [config, expected] of [
      [{}, 4096],
      [{ socket: { backlog: 64 } }, 64],
    ] as const) {
      const { logger } = capturingLogger();
      let listener: Listener | undefined;
      const kernel = new Kernel({ logger, definitions: [socketModule, echoModule((l) => (listener = l))] });
      await kernel.load({ modules: ['echo-test'], env: {}, config: { modules: config } });
      await kernel.start();
      try {
        const port = listener!.address.kind === 'tcp' ? listener!.address.port : 0;
        expect(await acceptQueueLength(port)).toBe(Math.min(expected, somaxconn));
      } finally {
        await kernel.shutdown();
      }
    }
  });

  it('applies max_connections and idle_timeout as listener defaults', async () => {
    const { logger } = capturingLogger();
    let listener: Listener | undefined;
    const kernel = new Kernel({ logger, definitions: [socketModule, echoModule((l) => (listener = l))] });
    await kernel.load({
      modules: ['echo-test'],
      env: {},
      config: { modules: { socket: { max_connections: 1, idle_timeout: '150ms' } } },
    });
    await kernel.start();
    try {
      const first = await connect(listener!.address);
      expect(await roundTrip(first.socket, 'one')).toBe('one');
      const second = await connect(listener!.address);
      // Over the limit: closed without a word.
      await second.closed;
      expect(listener!.connectionCount).toBe(1);
      const address = `127.0.0.1:${listener!.address.kind === 'tcp' ? listener!.address.port : 0}`;
      const metrics = kernel.metrics.collect();
      const sample = (name: string) => metrics.find((f) => f.name === name)?.samples;
      expect(sample('socket_connections')).toEqual([{ labels: { address }, value: 1 }]);
      expect(sample('socket_accepted_total')).toEqual([{ labels: { address }, value: 1 }]);
      expect(sample('socket_refused_total')).toEqual([{ labels: { address }, value: 1 }]);
      // The first one is closed by the idle timeout.
      await first.closed;
      const third = await connect(listener!.address);
      const echoed = readUntil(third.socket, (t) => t === 'three');
      third.write('three');
      expect(await echoed).toBe('three');
      third.destroy();
    } finally {
      await kernel.shutdown();
    }
  });

  it('rejects a bad option value naming the module, option and expected form', async () => {
    const kernel = new Kernel({ logger: pino({ level: 'silent' }), definitions: [socketModule] });
    const attempt = kernel.load({ modules: ['socket'], env: {}, args: ['--socket.idle_timeout=soon'] });
    await expect(attempt).rejects.toThrow(KernelConfigError);
    await expect(attempt).rejects.toThrow(/socket.*idle_timeout.*soon.*duration/s);
  });
});
