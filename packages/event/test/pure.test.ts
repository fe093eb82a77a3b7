import { Kernel, KernelConfigError } from '@scalestack/kernel';
import fc from 'fast-check';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { EVENT_LOOP, LoopMonitor, PeerRequests, workerShare } from '../src/index.js';
import type { FromWorker, ToWorker } from '../src/messages.js';
import eventModule from '../src/module.js';

const silent = pino({ level: 'silent' });

describe('workerShare', () => {
  it('splits 128 over 2 as 64 + 64 and 5 over 2 as 3 + 2', () => {
    expect([0, 1].map((i) => workerShare(128, i, 2))).toEqual([64, 64]);
    expect([0, 1].map((i) => workerShare(5, i, 2))).toEqual([3, 2]);
    expect([0, 1, 2].map((i) => workerShare(1, i, 3))).toEqual([1, 0, 0]);
  });

  it('shares always add up to the total and differ by at most one', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 1, max: 64 }), (total, count) => {
        const shares = Array.from({ length: count }, (_, i) => workerShare(total, i, count));
        expect(shares.reduce((a, b) => a + b, 0)).toBe(total);
        expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('rejects nonsense with the argument named', () => {
    expect(() => workerShare(-1, 0, 2)).toThrow(
      'workerShare: total must be a whole number (0 or more), got -1',
    );
    expect(() => workerShare(4, 2, 2)).toThrow('workerShare: index must be between 0 and 1, got 2');
    expect(() => workerShare(4, 0, 0)).toThrow(
      'workerShare: count must be a whole number (1 or more), got 0',
    );
  });
});

describe('LoopMonitor', () => {
  it('sees a blocked loop in its delay figures and utilisation', async () => {
    const monitor = new LoopMonitor({ window: 200, resolution: 5 }).start();
    const windows: ReturnType<LoopMonitor['health']>[] = [];
    const blocked = new Promise<void>((resolve) => {
      monitor.onHealth((h) => {
        windows.push(h);
        if (windows.length === 1) {
          setTimeout(() => {
            const until = performance.now() + 120;
            while (performance.now() < until) {
              /* keep the loop busy on purpose */
            }
          }, 20);
        }
        if (windows.length === 3) resolve();
      });
    });
    await blocked;
    monitor.stop();
    expect(monitor.running).toBe(false);
    // The window after the block saw a delay of about the block's length.
    expect(Math.max(...windows.slice(1).map((w) => w.delay.max))).toBeGreaterThanOrEqual(100);
    expect(Math.max(...windows.slice(1).map((w) => w.utilization))).toBeGreaterThan(0.3);
    expect(monitor.health()).toBe(windows[2]);
  });
});

describe('the event module with threads = 1', () => {
  it('provides worker 0 of 1, shares that are the whole, and loop metrics', async () => {
    const kernel = new Kernel({ logger: silent, definitions: [eventModule] });
    await kernel.load({ modules: ['event'], env: {}, args: ['--event.health_window=20ms'] });
    await kernel.start();
    const loop = kernel.resolve(EVENT_LOOP);
    expect([loop.workerIndex, loop.workerCount, loop.share(128)]).toEqual([0, 1, 128]);
    await new Promise<void>((resolve) => {
      const off = loop.onHealth(() => {
        off();
        resolve();
      });
    });
    expect(loop.health().windowMs).toBeGreaterThan(0);
    const names = kernel.metrics.collect().map((f) => f.name);
    expect(names).toEqual(['scalestack_event_loop_utilization', 'scalestack_event_loop_delay_seconds']);
    // No other worker to ask; answering is a no-op.
    await expect(loop.ask(1, 't', {})).rejects.toThrow('no worker 1 to ask besides this one (1 thread)');
    expect(typeof loop.answer('t', () => 1)).toBe('function');
    await kernel.shutdown();
  });

  it('accepts "auto" and refuses a bad thread count naming module, option, value and form', async () => {
    const auto = new Kernel({ logger: silent, definitions: [eventModule] });
    await auto.load({ modules: ['event'], env: {}, args: ['--event.threads=auto'] });
    expect(auto.optionsOf('event')?.threads).toBeGreaterThanOrEqual(1);

    const bad = new Kernel({ logger: silent, definitions: [eventModule] });
    const err = await bad
      .load({ modules: ['event'], env: {}, config: { modules: { event: { threads: 'many' } } } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KernelConfigError);
    expect((err as KernelConfigError).errors).toEqual([
      'module "event", option "threads": got "many", expected a whole number of threads (1 to 1024) or "auto" (one per available core)',
    ]);
  });
});

describe('PeerRequests', () => {
  /**
   * Two workers' PeerRequests joined the way the supervisor joins them (EventLoopGroup relays
   * `ask` to the worker named, `answer` back to the asker); `drop` loses the next message.
   */
  function pair(timeout = 5000) {
    const workers: PeerRequests[] = [];
    const wire = { drop: false, sent: [] as FromWorker[] };
    const relay = (from: number) => (m: FromWorker) => {
      // Throws DataCloneError for what a port cannot carry, as port.postMessage does.
      m = structuredClone(m);
      wire.sent.push(m);
      if (wire.drop) return;
      // PeerRequests posts only these two; the check narrows `m` to them.
      if (m.type !== 'ask' && m.type !== 'answer') throw new Error(`PeerRequests posted "${m.type}"`);
      const to = workers[m.to]!;
      const out: ToWorker =
        m.type === 'ask'
          ? { type: 'ask', id: m.id, from, topic: m.topic, message: m.message }
          : { type: 'answer', id: m.id, result: m.result, error: m.error };
      queueMicrotask(() => to.receive(out));
    };
    workers.push(new PeerRequests(0, 101, relay(0), timeout), new PeerRequests(1, 102, relay(1), timeout));
    return { a: workers[0]!, b: workers[1]!, wire };
  }

  it("asks another worker and gets its handler's answer, sync or async, with the asker's index", async () => {
    const { a, b } = pair();
    b.answer('sum', (m, from) => ({ total: (m as number[]).reduce((x, y) => x + y), from }));
    b.answer('later', async (m) => `later ${m as string}`);
    expect(await a.ask(1, 'sum', [1, 2, 3])).toEqual({ total: 6, from: 0 });
    expect(await a.ask(1, 'later', 'x')).toBe('later x');
  });

  it('rejects with the reason: no handler, a handler that threw, a removed handler', async () => {
    const { a, b } = pair();
    await expect(a.ask(1, 'nope', 1)).rejects.toThrow('worker 1 has no handler for "nope"');
    b.answer('boom', () => {
      throw new Error('bad input');
    });
    await expect(a.ask(1, 'boom', 1)).rejects.toThrow('bad input');
    const off = b.answer('gone', () => 1);
    off();
    await expect(a.ask(1, 'gone', 1)).rejects.toThrow('no handler for "gone"');
    expect(() => b.answer('boom', () => 2)).toThrow('topic "boom" already has a handler on worker 1');
  });

  it('an answer or a message a port cannot carry fails the ask at once, with no unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.prependListener('unhandledRejection', onUnhandled);
    try {
      const { a, b } = pair(60_000);
      b.answer('fn', () => ({ call: () => 1 }));
      await expect(a.ask(1, 'fn', null)).rejects.toThrow('worker 1 could not send its answer to "fn"');
      await expect(a.ask(1, 'fn', { call: () => 1 })).rejects.toThrow(/could not be cloned/);
      // Unhandled rejections are reported once the microtasks have run: one turn of the loop.
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('an ask whose answer never comes fails after the timeout; close fails those still waiting', async () => {
    const { a, wire } = pair(30);
    wire.drop = true;
    await expect(a.ask(1, 'lost', 1)).rejects.toThrow('worker 1 did not answer "lost" within 30 ms');
    await expect(a.ask(1, 'lost', 1, 20)).rejects.toThrow('worker 1 did not answer "lost" within 20 ms');
    const { a: a2, wire: w2 } = pair();
    w2.drop = true;
    const waiting = a2.ask(1, 'x', 1);
    a2.close();
    await expect(waiting).rejects.toThrow('worker 0 is stopping');
  });

  it("an answer meant for another incarnation's ask is ignored; ids carry the incarnation", async () => {
    const { a, b, wire } = pair();
    b.answer('echo', (m) => m);
    expect(await a.ask(1, 'echo', 'one')).toBe('one');
    const ask = wire.sent.find((m) => m.type === 'ask')!;
    expect(ask.id).toMatch(/^101:/);
    // A late answer with an id this worker never issued changes nothing.
    expect(a.receive({ type: 'answer', id: '999:1', result: 'stale' })).toBe(true);
    expect(a.receive({ type: 'drain' })).toBe(false);
    expect(await a.ask(1, 'echo', 'two')).toBe('two');
  });
});
