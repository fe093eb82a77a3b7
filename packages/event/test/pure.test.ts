import { Kernel, KernelConfigError } from '@scalestack/kernel';
import fc from 'fast-check';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { EVENT_LOOP, LoopMonitor, workerShare } from '../src/index.js';
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
