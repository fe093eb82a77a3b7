import { type EventLoopUtilization, monitorEventLoopDelay, performance } from 'node:perf_hooks';

/** The health of one event loop over the last window. Delays are in milliseconds. */
export interface LoopHealth {
  delay: { mean: number; p50: number; p90: number; p99: number; max: number };
  /** Share of the window the loop spent running callbacks rather than waiting (0..1). */
  utilization: number;
  /** The window's length, ms. */
  windowMs: number;
}

export interface LoopMonitorOptions {
  /** Length of a measurement window, ms (default 500). */
  window?: number;
  /** Delay sampling resolution, ms (default 10). */
  resolution?: number;
}

const NS_PER_MS = 1e6;

function ms(ns: number): number {
  return Number.isFinite(ns) ? Math.round((ns / NS_PER_MS) * 100) / 100 : 0;
}

/**
 * Measures the current thread's event loop: delay percentiles (`monitorEventLoopDelay`) and
 * utilisation (`eventLoopUtilization`), in consecutive windows. Readers get the last complete
 * window, so many readers never reset each other's figures. Its timer is unref'd.
 */
export class LoopMonitor {
  readonly window: number;
  private readonly histogram;
  private timer: NodeJS.Timeout | undefined;
  private elu: EventLoopUtilization | undefined;
  private last: LoopHealth;
  private readonly listeners = new Set<(health: LoopHealth) => void>();

  constructor(options: LoopMonitorOptions = {}) {
    this.window = options.window ?? 500;
    this.histogram = monitorEventLoopDelay({ resolution: options.resolution ?? 10 });
    this.last = { delay: { mean: 0, p50: 0, p90: 0, p99: 0, max: 0 }, utilization: 0, windowMs: 0 };
  }

  get running(): boolean {
    return this.timer !== undefined;
  }

  /** Starts measuring; the first figures arrive after one window. */
  start(): this {
    if (this.timer !== undefined) return this;
    this.histogram.reset();
    this.histogram.enable();
    this.elu = performance.eventLoopUtilization();
    this.timer = setInterval(() => this.roll(), this.window);
    this.timer.unref();
    return this;
  }

  stop(): void {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.histogram.disable();
  }

  /** The last complete window (zeros before the first one). */
  health(): LoopHealth {
    return this.last;
  }

  /** Calls `fn` after every window; returns a function that removes it. */
  onHealth(fn: (health: LoopHealth) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private roll(): void {
    const h = this.histogram;
    const now = performance.eventLoopUtilization();
    const delta = performance.eventLoopUtilization(now, this.elu);
    this.elu = now;
    this.last = {
      delay: {
        mean: ms(h.mean),
        p50: ms(h.percentile(50)),
        p90: ms(h.percentile(90)),
        p99: ms(h.percentile(99)),
        max: ms(h.max),
      },
      utilization: Math.round(delta.utilization * 1000) / 1000,
      windowMs: Math.round(delta.idle + delta.active),
    };
    h.reset();
    for (const fn of this.listeners) fn(this.last);
  }
}
