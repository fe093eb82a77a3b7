import { Worker } from 'node:worker_threads';
import { createToken, type KernelLoadPlan, type MetricFamily, type ReloadReport } from '@scalestack/kernel';
import type { Logger } from 'pino';
import type { LoopHealth } from './loop-monitor.js';
import type { FromWorker, ToWorker } from './messages.js';
import type { WorkerData } from './worker-identity.js';

/** Always the built entry: worker threads load plain JavaScript, from `src/` or `dist/` alike. */
const WORKER_ENTRY = new URL('../dist/worker-entry.js', import.meta.url);

export interface EventLoopGroupOptions {
  /** How many worker threads (1 or more). */
  threads: number;
  /** How the kernel was loaded; every worker builds its kernel from it. */
  plan: KernelLoadPlan;
  log: Logger;
  /** Log level of the workers' kernels (default: `log.level`). */
  logLevel?: string;
  /** Pretty worker logs (default: whether stdout is a TTY). */
  pretty?: boolean;
  /** First delay before restarting a dead worker, ms (default 100); doubles per quick death. */
  restartDelay?: number;
  /** Longest restart delay, ms (default 10 s). */
  maxRestartDelay?: number;
  /** How often workers report health and metrics, ms (default 1000). */
  reportInterval?: number;
  /** How long `stop` waits for a worker before terminating it, ms (default 10 s). */
  stopTimeout?: number;
}

export type WorkerStatus = 'starting' | 'running' | 'restarting' | 'draining' | 'stopped';

/** What the supervisor knows about one worker. */
export interface WorkerInfo {
  readonly index: number;
  status: WorkerStatus;
  /** The current thread's id (changes on restart). */
  threadId: number;
  /** Times this worker was restarted after dying. */
  restarts: number;
  /** The last health the worker reported. */
  health: LoopHealth | undefined;
  /** The last metrics the worker reported. */
  metrics: MetricFamily[];
}

interface Slot {
  info: WorkerInfo;
  worker: Worker | undefined;
  startedAt: number;
  quickDeaths: number;
  restartTimer: NodeJS.Timeout | undefined;
  /** Resolves the current wait for a message type (started/drained/stopped). */
  waiters: Map<string, (m: FromWorker) => void>;
  /** Asks passed on to this worker and not answered yet: ask id → the asker's index. */
  asked: Map<string, number>;
}

/** The `event` module's supervisor in the main thread (when `threads` > 1): `Symbol.for('scalestack:event/group')`. */
export const EVENT_GROUP = createToken<EventLoopGroup>('event/group');

/**
 * N worker threads each running the same kernel (see `worker-entry`), supervised from this
 * thread: started together, restarted with backoff when one dies (only its own connections
 * close), asked to drain and stop, and polled for health and metrics. A library: no globals.
 */
export class EventLoopGroup {
  private readonly slots: Slot[] = [];
  private readonly restartDelay: number;
  private readonly maxRestartDelay: number;
  private readonly stopTimeout: number;
  private stopping = false;
  private nextReload = 1;
  private readonly reloads = new Map<
    number,
    { pending: Set<number>; reports: ReloadReport[]; errors: string[]; done: () => void }
  >();
  private readonly listeners = new Set<
    (event: { index: number; type: 'started' | 'exited'; code?: number }) => void
  >();

  /**
   * The last configuration {@link reload} handed out (undefined: none yet). A worker spawns
   * from the plan, whose configuration the kernel keeps as applied (the options that changed
   * and could be reloaded; restart-only ones stay as they were started), and gets this one as a
   * reload once it is up — a reload may have been on its way, or failed elsewhere.
   */
  private latest: unknown;

  constructor(private readonly options: EventLoopGroupOptions) {
    if (!Number.isSafeInteger(options.threads) || options.threads < 1) {
      throw new RangeError(
        `EventLoopGroup: threads must be a whole number (1 or more), got ${options.threads}`,
      );
    }
    this.restartDelay = options.restartDelay ?? 100;
    this.maxRestartDelay = options.maxRestartDelay ?? 10_000;
    this.stopTimeout = options.stopTimeout ?? 10_000;
    for (let index = 0; index < options.threads; index++) {
      this.slots.push({
        info: { index, status: 'stopped', threadId: -1, restarts: 0, health: undefined, metrics: [] },
        worker: undefined,
        startedAt: 0,
        quickDeaths: 0,
        restartTimer: undefined,
        waiters: new Map(),
        asked: new Map(),
      });
    }
  }

  /** Every worker, by index. */
  get workers(): readonly WorkerInfo[] {
    return this.slots.map((s) => s.info);
  }

  /** Listens to workers starting and exiting (tests, logs); returns a function that removes it. */
  onWorker(fn: (event: { index: number; type: 'started' | 'exited'; code?: number }) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Starts every worker and waits until all started; if one fails, stops the rest and throws its reason. */
  async start(): Promise<void> {
    const results = await Promise.allSettled(this.slots.map((slot) => this.spawn(slot)));
    const failed = results.findIndex((r) => r.status === 'rejected');
    if (failed >= 0) {
      await this.stop();
      throw new Error(
        `worker ${failed} failed to start: ${(results[failed] as PromiseRejectedResult).reason.message}`,
      );
    }
  }

  /** Asks every worker to drain (stop accepting, finish work) and waits for all of them. */
  async drain(): Promise<void> {
    await Promise.all(
      this.slots.map(async (slot) => {
        if (slot.worker === undefined || slot.info.status !== 'running') return;
        slot.info.status = 'draining';
        await this.request(slot, { type: 'drain' }, 'drained');
      }),
    );
  }

  /** Stops every worker (terminating those that overrun `stopTimeout`); no restarts after this. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      this.slots.map(async (slot) => {
        if (slot.restartTimer !== undefined) clearTimeout(slot.restartTimer);
        const worker = slot.worker;
        if (worker === undefined) return;
        const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
        worker.postMessage({ type: 'stop' } satisfies ToWorker);
        const timer = setTimeout(() => {
          this.options.log.warn(
            { worker: slot.info.index },
            `worker did not stop within ${this.stopTimeout}ms; terminating it`,
          );
          void worker.terminate();
        }, this.stopTimeout);
        await exited;
        clearTimeout(timer);
      }),
    );
  }

  /**
   * Hands a validated configuration to every running worker's kernel (`kernel.reload`).
   * Resolves with each worker's report; rejects naming the workers that refused it.
   */
  async reload(config: unknown): Promise<ReloadReport[]> {
    this.latest = config;
    const running = this.slots.filter((s) => s.worker !== undefined && s.info.status === 'running');
    const id = this.nextReload++;
    const state = {
      pending: new Set(running.map((s) => s.info.index)),
      reports: [] as ReloadReport[],
      errors: [] as string[],
      done: () => {},
    };
    const done = new Promise<void>((resolve) => {
      state.done = resolve;
    });
    this.reloads.set(id, state);
    for (const slot of running) {
      slot.worker!.postMessage({ type: 'reload', id, config } satisfies ToWorker);
    }
    if (running.length === 0) state.done();
    await done;
    this.reloads.delete(id);
    if (state.errors.length > 0) throw new Error(`reload failed in ${state.errors.join('; ')}`);
    return state.reports;
  }

  /**
   * Asks every running worker's kernel to log its modules' state now (`kernel.report()`): the
   * modules a group hosts run only in the workers, so a report asked of the main thread's
   * kernel reaches them through this.
   */
  report(): void {
    for (const slot of this.slots) {
      if (slot.worker !== undefined && slot.info.status === 'running')
        slot.worker.postMessage({ type: 'log-report' } satisfies ToWorker);
    }
  }

  /**
   * Kills a worker as if it had crashed (`worker.terminate()`): its connections close and the
   * supervisor restarts it. For fault tests and operators; resolves once it has exited.
   */
  async crash(index: number): Promise<void> {
    const worker = this.slots[index]?.worker;
    if (worker === undefined) throw new RangeError(`EventLoopGroup.crash: no running worker ${index}`);
    await worker.terminate();
  }

  /**
   * Every worker's last reported metric families, merged by name with a `worker` label, plus the
   * group's own: loop delay and utilisation, restarts and whether each worker runs.
   */
  collect(): MetricFamily[] {
    const merged = new Map<string, MetricFamily>();
    for (const slot of this.slots) {
      const worker = String(slot.info.index);
      for (const family of slot.info.metrics) {
        let into = merged.get(family.name);
        if (into === undefined) {
          into = { name: family.name, help: family.help, type: family.type, samples: [] };
          merged.set(family.name, into);
        }
        for (const s of family.samples) into.samples.push({ ...s, labels: { ...s.labels, worker } });
      }
    }
    return [...merged.values(), ...this.ownFamilies()];
  }

  private ownFamilies(): MetricFamily[] {
    const per = (value: (i: WorkerInfo) => number) =>
      this.slots.map((s) => ({ labels: { worker: String(s.info.index) }, value: value(s.info) }));
    const quantiles = this.slots.flatMap((s) =>
      (['p50', 'p90', 'p99'] as const).map((q) => ({
        labels: { worker: String(s.info.index), quantile: `0.${q.slice(1)}` },
        value: (s.info.health?.delay[q] ?? 0) / 1000,
      })),
    );
    return [
      {
        name: 'scalestack_event_worker_up',
        help: 'Whether the worker runs (1) or not (0)',
        type: 'gauge',
        samples: per((i) => (i.status === 'running' ? 1 : 0)),
      },
      {
        name: 'scalestack_event_worker_restarts_total',
        help: 'Worker restarts after it died',
        type: 'counter',
        samples: per((i) => i.restarts),
      },
      {
        name: 'scalestack_event_loop_utilization',
        help: 'Event-loop utilisation over the last window (0..1)',
        type: 'gauge',
        samples: per((i) => i.health?.utilization ?? 0),
      },
      {
        name: 'scalestack_event_loop_delay_seconds',
        help: 'Event-loop delay percentiles over the last window',
        type: 'gauge',
        samples: quantiles,
      },
    ];
  }

  private spawn(slot: Slot): Promise<void> {
    const { options } = this;
    const data: WorkerData = {
      scalestackEventWorker: true,
      index: slot.info.index,
      count: this.slots.length,
      plan: options.plan,
      logLevel: options.logLevel ?? options.log.level,
      pretty: options.pretty ?? process.stdout.isTTY === true,
      reportInterval: options.reportInterval ?? 1000,
    };
    const worker = new Worker(WORKER_ENTRY, {
      workerData: data,
      env: { ...options.plan.env } as NodeJS.ProcessEnv,
      execArgv: withoutConditions(process.execArgv),
    });
    slot.worker = worker;
    slot.info.status = 'starting';
    slot.info.threadId = worker.threadId;
    slot.startedAt = Date.now();
    return new Promise<void>((resolve, reject) => {
      let started = false;
      let failure: string | undefined;
      worker.on('message', (m: FromWorker) => {
        switch (m.type) {
          case 'started':
            started = true;
            slot.info.status = 'running';
            options.log.info({ worker: slot.info.index, threadId: worker.threadId }, 'worker started');
            // A reload came while it was starting: it gets that configuration now.
            // The plan holds the configuration as applied, but a reload may be on its way or may
            // have failed somewhere: the latest one goes to it too (its kernel keeps the options
            // that need a restart as they started, so this changes nothing that should not).
            if (this.latest !== undefined) {
              worker.postMessage({ type: 'reload', id: -1, config: this.latest } satisfies ToWorker);
            }
            this.emit({ index: slot.info.index, type: 'started' });
            resolve();
            break;
          case 'failed':
            failure = m.error;
            break;
          case 'report':
            slot.info.health = m.health;
            slot.info.metrics = m.metrics;
            break;
          case 'reloaded':
            this.settleReload(slot, m);
            break;
          case 'ask':
            this.relayAsk(slot, m);
            break;
          case 'answer':
            slot.asked.delete(m.id);
            this.running(m.to)?.postMessage({
              type: 'answer',
              id: m.id,
              result: m.result,
              error: m.error,
            } satisfies ToWorker);
            break;
          default:
            slot.waiters.get(m.type)?.(m);
            slot.waiters.delete(m.type);
        }
      });
      worker.on('error', (err) => {
        failure ??= err.message;
        options.log.error({ worker: slot.info.index, err }, 'worker threw');
      });
      worker.on('exit', (code) => {
        if (slot.worker === worker) slot.worker = undefined;
        for (const w of slot.waiters.values()) w({ type: 'stopped' });
        slot.waiters.clear();
        // Its askers get told now rather than wait out their timeout.
        for (const [id, asker] of slot.asked) {
          this.running(asker)?.postMessage({
            type: 'answer',
            id,
            error: `worker ${slot.info.index} exited before answering`,
          } satisfies ToWorker);
        }
        slot.asked.clear();
        for (const r of this.reloads.values()) {
          if (!r.pending.delete(slot.info.index)) continue;
          r.errors.push(`worker ${slot.info.index}: exited`);
          if (r.pending.size === 0) r.done();
        }
        this.emit({ index: slot.info.index, type: 'exited', code });
        if (!started) {
          slot.info.status = 'stopped';
          reject(new Error(failure ?? `exited with code ${code} before starting`));
          // A first start fails to the caller of start(); a failed restart is tried again.
          if (!this.stopping && slot.info.restarts > 0) this.scheduleRestart(slot, code, failure);
          return;
        }
        if (this.stopping) {
          slot.info.status = 'stopped';
          return;
        }
        this.scheduleRestart(slot, code, failure);
      });
    });
  }

  private scheduleRestart(slot: Slot, code: number, reason: string | undefined): void {
    const lived = Date.now() - slot.startedAt;
    slot.quickDeaths = lived > 10 * this.maxRestartDelay ? 0 : slot.quickDeaths + 1;
    const delay = Math.min(this.maxRestartDelay, this.restartDelay * 2 ** Math.max(0, slot.quickDeaths - 1));
    slot.info.status = 'restarting';
    slot.info.health = undefined;
    slot.info.metrics = [];
    this.options.log.error(
      { worker: slot.info.index, code, reason, restartInMs: delay },
      'worker died; its connections are closed; restarting it',
    );
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = undefined;
      if (this.stopping) return;
      slot.info.restarts++;
      this.spawn(slot).catch((err: unknown) =>
        this.options.log.error(
          { worker: slot.info.index, err: (err as Error).message },
          'worker restart failed',
        ),
      );
    }, delay);
  }

  private settleReload(slot: Slot, m: Extract<FromWorker, { type: 'reloaded' }>): void {
    const r = this.reloads.get(m.id);
    if (r === undefined) {
      // The catch-up reload of a worker that was starting (see spawn): nobody awaits it.
      if (m.error !== undefined)
        this.options.log.error(
          { worker: slot.info.index, err: m.error },
          'reload failed in a worker that was starting',
        );
      return;
    }
    if (m.error !== undefined) r.errors.push(`worker ${slot.info.index}: ${m.error}`);
    if (m.report !== undefined) r.reports.push(m.report);
    r.pending.delete(slot.info.index);
    if (r.pending.size === 0) r.done();
  }

  /** The worker at `index` if it runs (a draining one still answers). */
  private running(index: number): Worker | undefined {
    const slot = this.slots[index];
    if (slot === undefined || (slot.info.status !== 'running' && slot.info.status !== 'draining'))
      return undefined;
    return slot.worker;
  }

  /** Passes a worker's request on to the worker it names, or answers for one that is not running. */
  private relayAsk(from: Slot, m: Extract<FromWorker, { type: 'ask' }>): void {
    const to = this.running(m.to);
    if (to === undefined) {
      const error =
        this.slots[m.to] === undefined
          ? `no worker ${m.to} (the group has ${this.slots.length})`
          : `worker ${m.to} is ${this.slots[m.to]!.info.status}`;
      from.worker?.postMessage({ type: 'answer', id: m.id, error } satisfies ToWorker);
      return;
    }
    this.slots[m.to]!.asked.set(m.id, from.info.index);
    to.postMessage({
      type: 'ask',
      id: m.id,
      from: from.info.index,
      topic: m.topic,
      message: m.message,
    } satisfies ToWorker);
  }

  private request(slot: Slot, message: ToWorker, reply: FromWorker['type']): Promise<void> {
    return new Promise<void>((resolve) => {
      slot.waiters.set(reply, () => resolve());
      slot.worker!.postMessage(message);
    });
  }

  private emit(event: { index: number; type: 'started' | 'exited'; code?: number }): void {
    for (const fn of this.listeners) fn(event);
  }
}

/**
 * The parent's Node flags minus custom export conditions: a test runner's `--conditions=source`
 * would send the workers' plain-JavaScript imports to TypeScript sources.
 */
function withoutConditions(execArgv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i]!;
    if (arg === '--conditions' || arg === '-C') i++;
    else if (!arg.startsWith('--conditions=') && !arg.startsWith('-C=')) out.push(arg);
  }
  return out;
}
