import 'reflect-metadata';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { type DependencyContainer, container as globalContainer } from 'tsyringe';
import { type OptionArg, parseOptionArgs } from './config/args.js';
import { KernelConfigError } from './config/errors.js';
import { checkRawConfig, type RawConfig, readConfigFile } from './config/raw-config.js';
import { validateOptions } from './config/validate.js';
import { KernelModuleContext } from './context.js';
import type { KernelLoadPlan, ModuleDefinition, OptionValues, Token } from './contract.js';
import { KernelStartError, KernelStateError, StartCancelledError } from './lifecycle/errors.js';
import { PhaseTimeoutError, withTimeout } from './lifecycle/timeout.js';
import { createLogger } from './logging.js';
import { KernelMetrics } from './metrics/registry.js';
import { type ModuleReference, resolveGraph } from './resolve/graph.js';

/** Per-phase time limits in milliseconds. */
export interface PhaseTimeouts {
  register: number;
  start: number;
  reload: number;
  drain: number;
  stop: number;
}

export const DEFAULT_TIMEOUTS: PhaseTimeouts = {
  register: 10_000,
  start: 30_000,
  reload: 30_000,
  drain: 30_000,
  stop: 10_000,
};

export interface KernelOptions {
  /** The host application's pino logger; by default the kernel makes its own (see `createLogger`). */
  logger?: Logger;
  /** Log level; wins over the config file's `log.level`. Ignored when `logger` is given. */
  logLevel?: string;
  /** Pretty logs; defaults to whether stdout is a TTY. Ignored when `logger` is given. */
  pretty?: boolean;
  /** Where paths and the application's packages are resolved from; defaults to `process.cwd()`. */
  cwd?: string;
  /** Module definitions the embedder hands over; they are found by name before any package. */
  definitions?: readonly ModuleDefinition[];
  /**
   * Per-phase timeouts (ms), each the bound of every module's hook in that phase (as avvio
   * bounds each plugin): a drain with k hooks can take up to k × `drain`. See {@link DEFAULT_TIMEOUTS}.
   */
  timeouts?: Partial<PhaseTimeouts>;
}

/** What to load and where option values come from (config file < environment < command line). */
export interface LoadOptions {
  /** Module names, paths, or definitions. Modules named in the config's `modules:` are added. */
  modules?: readonly ModuleReference[];
  /** A configuration object (as if read from a file). */
  config?: RawConfig;
  /** A YAML or JSON config file; used when `config` is not given. */
  configFile?: string;
  /** Environment (`SCALESTACK_<MODULE>_<OPTION>`); defaults to `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Command-line overrides: `--<module>.<option>=<value>` or `--<module>.<option> <value>`. */
  args?: readonly string[];
}

/** A new configuration for {@link Kernel.reload}; the environment and arguments of `load` still apply. */
export interface ReloadOptions {
  config?: RawConfig;
  configFile?: string;
}

export interface StartReport {
  /** Each module, in start order, with how long its `start` took. */
  modules: { name: string; ms: number }[];
  /** Register plus start, for all modules. */
  totalMs: number;
}

export interface ReloadReport {
  /** Modules whose options changed and which applied them. */
  applied: string[];
  /**
   * Modules with changed options they cannot reload (all of them without `reload`, the ones not
   * `reloadable` otherwise); they keep those options' old values.
   */
  restartNeeded: string[];
  /** Modules whose `reload` threw or timed out; they keep their old values. */
  failed: string[];
}

type State = 'new' | 'loaded' | 'starting' | 'started' | 'draining' | 'drained' | 'stopping' | 'stopped';

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

/**
 * The kernel: resolves modules, validates their options, and runs them through
 * register → start → drain → stop. It never exits the process and installs no signal handlers.
 */
export class Kernel {
  /** This kernel's own container (a child of tsyringe's global one, which is never written to). */
  readonly container: DependencyContainer = globalContainer.createChildContainer();
  readonly log: Logger;
  readonly metrics: KernelMetrics;
  private readonly rootLogger: Logger;
  private readonly ownsLogger: boolean;
  private readonly cwd: string;
  private readonly timeouts: PhaseTimeouts;
  private readonly definitions: Map<string, ModuleDefinition>;
  private readonly abort = new AbortController();
  private state: State = 'new';
  private loaded: ModuleDefinition[] = [];
  private contexts: KernelModuleContext[] = [];
  private env: Readonly<Record<string, string | undefined>> = {};
  private args: OptionArg[] = [];
  /** Contexts whose register (and maybe start) ran: they are the ones to drain and stop. */
  private active: KernelModuleContext[] = [];
  /** What `load` was given, for a hosting module. */
  private plan: KernelLoadPlan | undefined;
  /** The module hosting the others (see `ModuleDefinition.hosts`), and the modules it runs here. */
  private host: { def: ModuleDefinition; ctx: KernelModuleContext; local: Set<string> } | undefined;

  constructor(private readonly opts: KernelOptions = {}) {
    this.ownsLogger = !opts.logger;
    this.rootLogger = opts.logger ?? createLogger({ level: opts.logLevel, pretty: opts.pretty });
    this.log = this.rootLogger.child({ module: 'kernel' });
    this.metrics = new KernelMetrics(this.log);
    this.cwd = opts.cwd ?? process.cwd();
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
    this.definitions = new Map((opts.definitions ?? []).map((d) => [d.name, d]));
  }

  /** The loaded modules in dependency (start) order. */
  get modules(): readonly ModuleDefinition[] {
    return this.loaded;
  }

  /**
   * A service a module provided (`ctx.provide`), typed by its token: how an embedder or a test
   * reaches a running module, e.g. the address a listener bound with port 0.
   *
   * @throws Error naming the token when no module provided it
   */
  resolve<T>(token: Token<T>): T {
    const found = this.tryResolve(token);
    if (found === undefined) {
      throw new Error(`kernel: no service registered for ${token.description ?? String(token)}`);
    }
    return found;
  }

  /** Like {@link resolve}, but `undefined` when no module provided the service. */
  tryResolve<T>(token: Token<T>): T | undefined {
    return this.container.isRegistered(token, true) ? this.container.resolve<T>(token) : undefined;
  }

  /** The current validated options of a loaded module. */
  optionsOf<V = Record<string, unknown>>(module: string): V | undefined {
    return this.contexts.find((c) => c.name === module)?.options as V | undefined;
  }

  /**
   * Resolves the modules and what they require, reads every option source and validates all of
   * it. Throws {@link KernelConfigError} listing every problem; nothing is registered or started.
   */
  async load(input: LoadOptions | readonly ModuleReference[] = {}): Promise<void> {
    if (this.state !== 'new') throw new KernelStateError(`load() called twice (kernel is ${this.state})`);
    const load: LoadOptions = Array.isArray(input) ? { modules: input } : (input as LoadOptions);
    let config = this.readConfig(load);
    const errors = checkRawConfig(config, load.configFile ? `config file "${load.configFile}"` : 'config');
    const refs: ModuleReference[] = [...(load.modules ?? [])];
    const fromConfig =
      config?.modules && typeof config.modules === 'object' ? Object.keys(config.modules) : [];
    for (const name of fromConfig)
      if (!refs.some((r) => (typeof r === 'string' ? r : r.name) === name)) refs.push(name);
    // A config file of the wrong shape is why none were found: say what is wrong with it first.
    if (refs.length === 0)
      throw new KernelConfigError([
        ...errors,
        'no modules to load (name some, or list them under "modules:" in a config file)',
      ]);

    const graph = await resolveGraph(refs, { cwd: this.cwd, definitions: this.definitions });
    errors.push(...graph.errors);
    // A module listed under "modules:" by path or package has its options there too: key them
    // by the name it loaded as, here and on every reload.
    for (const key of fromConfig) {
      const name = graph.resolved.get(key);
      if (name !== undefined && name !== key) this.configKeys.set(key, name);
    }
    config = this.keyedByName(config, errors);
    const parsedArgs = parseOptionArgs(load.args ?? []);
    errors.push(...parsedArgs.errors);
    const env = load.env ?? process.env;
    const validated = validateOptions(graph.modules, { config, env, args: parsedArgs.options });
    errors.push(...validated.errors);
    if (errors.length > 0) throw new KernelConfigError(errors);

    this.env = env;
    this.args = parsedArgs.options;
    this.plan = {
      modules: refs.map((r) => (typeof r === 'string' ? r : r.name)),
      config,
      env: { ...env },
      args: [...(load.args ?? [])],
      cwd: this.cwd,
      order: graph.modules.map((m) => m.name),
    };
    this.applyLogLevel(config);
    this.loaded = graph.modules;
    this.contexts = graph.modules.map(
      (def) =>
        new KernelModuleContext(
          def.name,
          validated.values.get(def.name) as OptionValues<never>,
          this.rootLogger.child({ module: def.name }),
          this.container,
          this.abort.signal,
          this.metrics,
        ),
    );
    this.state = 'loaded';
    this.log.debug({ modules: this.loaded.map((m) => m.name) }, 'modules loaded');
  }

  /**
   * Registers every module, then starts them, in dependency order. If one fails, those already
   * started (and the failed one's own hooks) are drained and stopped in reverse and a
   * {@link KernelStartError} naming the module is thrown. So it is too, with a
   * {@link StartCancelledError} as its cause, when `shutdown()` is called meanwhile: the module
   * starting then is given up on (its `ctx.signal` is aborted) and no other starts.
   */
  start(): Promise<StartReport> {
    if (this.state !== 'loaded')
      return Promise.reject(new KernelStateError(`start() needs a loaded kernel (kernel is ${this.state})`));
    this.state = 'starting';
    const run = this.startModules();
    this.starting = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** The start under way, settled either way: what a shutdown called meanwhile waits for. */
  private starting: Promise<void> = Promise.resolve();

  private async startModules(): Promise<StartReport> {
    const began = performance.now();
    // Settles (rejects) only when shutdown() is called: the hook then running is given up on.
    const cancelled = new Promise<never>((_, reject) => {
      this.abort.signal.addEventListener('abort', () => reject(new StartCancelledError()), { once: true });
    });
    cancelled.catch(() => {});
    try {
      this.host = this.findHost();
    } catch (err) {
      this.state = 'stopped';
      throw err;
    }
    for (const [i, ctx] of this.contexts.entries()) {
      const def = this.loaded[i]!;
      if (!this.runsHere(def)) continue;
      this.active.push(ctx);
      try {
        if (this.abort.signal.aborted) throw new StartCancelledError();
        if (def.register)
          await withTimeout(this.timeouts.register, () => Promise.race([def.register!(ctx), cancelled]));
      } catch (err) {
        await this.rollBack();
        throw new KernelStartError(def.name, 'register', err);
      }
    }
    const report: StartReport = { modules: [], totalMs: 0 };
    for (const [i, ctx] of this.contexts.entries()) {
      const def = this.loaded[i]!;
      if (!this.runsHere(def)) continue;
      const t0 = performance.now();
      let starting: Promise<unknown> | undefined;
      try {
        if (this.abort.signal.aborted) throw new StartCancelledError();
        if (def.start) {
          starting = Promise.resolve().then(() => def.start!(ctx));
          await withTimeout(this.timeouts.start, () => Promise.race([starting, cancelled]));
        }
      } catch (err) {
        if (err instanceof StartCancelledError)
          ctx.log.info('shutdown asked for during start-up; stopping the modules already started');
        else ctx.log.error({ err }, 'start failed; stopping the modules already started');
        await this.rollBack();
        if (
          (err instanceof PhaseTimeoutError || err instanceof StartCancelledError) &&
          starting !== undefined
        ) {
          await this.cleanUpAbandonedStart(ctx, starting);
        }
        throw new KernelStartError(def.name, 'start', err);
      }
      const ms = round(performance.now() - t0);
      report.modules.push({ name: def.name, ms });
      ctx.log.info({ ms }, 'started');
    }
    report.totalMs = round(performance.now() - began);
    this.state = 'started';
    this.log.info(
      { modules: report.modules, totalMs: report.totalMs },
      `started ${report.modules.length} modules in ${report.totalMs}ms`,
    );
    return report;
  }

  /**
   * Asks every started module that can to log its state now (its `report` hook), in start order;
   * a hook that throws is logged and the others still report. Nothing happens unless started.
   */
  report(): void {
    if (this.state !== 'started') return;
    for (const [i, ctx] of this.contexts.entries()) {
      const def = this.loaded[i]!;
      if (def.report === undefined || !this.runsHere(def)) continue;
      try {
        def.report(ctx);
      } catch (err) {
        ctx.log.error({ err }, 'report failed');
      }
    }
  }

  /**
   * Aborts `ctx.signal` and runs every drain hook, modules in reverse start order. While the
   * kernel is starting, gives start-up up instead (see {@link start}) and returns once what had
   * started is drained and stopped.
   */
  async drain(): Promise<void> {
    // A start that finished meanwhile (its last module's start had settled: called from within
    // it, say) was not given up: what it started is drained below, as after any start.
    if (this.state === 'starting') await this.cancelStart();
    // A second caller (two shutdowns at once) waits for the same drain.
    if (this.state === 'draining') return this.phase;
    if (this.state !== 'started') return;
    this.state = 'draining';
    this.abort.abort();
    this.phase = this.runHooks('drain').then(() => {
      // A stop() called meanwhile (it does not wait for the drain) is under way or done.
      if (this.state === 'draining') this.state = 'drained';
    });
    return this.phase;
  }

  /**
   * The drain, or the stop (or a failed start's roll-back), that `state` says is under way: what
   * a second caller awaits. Set with the state, so a stop begun during a drain replaces it.
   */
  private phase: Promise<void> = Promise.resolve();

  /**
   * Runs every stop hook, modules in reverse start order. Safe to call more than once: a call
   * while a stop is under way returns when it is done. While the kernel is starting, gives
   * start-up up as {@link drain} does.
   */
  async stop(): Promise<void> {
    if (this.state === 'starting') await this.cancelStart();
    // A failed or given-up start goes on past its roll-back: a start it abandoned has its late
    // hooks run (cleanUpAbandonedStart). A second shutdown waits for those too, as the first does.
    if (this.state === 'stopping') {
      await this.phase;
      return this.starting;
    }
    if (this.state === 'stopped' || this.state === 'new' || this.state === 'loaded') {
      this.state = 'stopped';
      return this.starting;
    }
    this.state = 'stopping';
    this.abort.abort();
    this.phase = this.runHooks('stop').then(() => {
      this.state = 'stopped';
      this.log.info('stopped');
    });
    return this.phase;
  }

  /** Aborts the start under way and waits until it has rolled back what it started. */
  private async cancelStart(): Promise<void> {
    this.abort.abort();
    await this.starting;
  }

  /** Drain, then stop; during start-up, gives it up and stops what had started. */
  async shutdown(): Promise<void> {
    await this.drain();
    await this.stop();
  }

  /**
   * Validates a whole new configuration (with the environment and arguments given to `load`).
   * Invalid: throws {@link KernelConfigError} with every reason and the old values stay. Valid:
   * each module whose options changed gets `reload(ctx, next)`, after which `ctx.options` holds
   * the new values. Takes `{ configFile }`, `{ config }`, or a configuration object itself.
   */
  async reload(next: ReloadOptions | RawConfig = {}): Promise<ReloadReport> {
    // One at a time, in the order asked (two quick SIGHUPs): each compares against the options
    // the one before it left, so the last configuration asked for is the one that stays.
    const run = this.reloading.then(() => this.reloadNow(next));
    this.reloading = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private reloading: Promise<void> = Promise.resolve();

  /**
   * `next` as the running modules apply it: for each module, the new raw values of the options
   * it reloads (all of them without a `reloadable` list, none without `reload`), the previous
   * raw values of the rest.
   */
  private appliedConfig(previous: RawConfig | undefined, given: RawConfig | undefined | null): RawConfig {
    // An empty file reads as null: every module back to its defaults, as validation took it.
    const next: RawConfig = given ?? {};
    const modules: Record<string, Record<string, unknown> | null | undefined> = {};
    const names = new Set([...Object.keys(previous?.modules ?? {}), ...Object.keys(next.modules ?? {})]);
    for (const name of names) {
      const def = this.loaded.find((m) => m.name === name);
      const before = previous?.modules?.[name] ?? {};
      const after = next.modules?.[name] ?? {};
      // reloadHosted passes configuration on to the hosted modules; the host's own options
      // change only through its reload, like any module's.
      if (def === undefined || def.reload === undefined) {
        modules[name] = previous?.modules?.[name];
        continue;
      }
      if (def.reloadable === undefined) {
        modules[name] = next.modules?.[name];
        continue;
      }
      const merged: Record<string, unknown> = { ...before };
      for (const key of def.reloadable) {
        if (key in after) merged[key] = after[key];
        else delete merged[key];
      }
      modules[name] = merged;
    }
    return { ...next, modules };
  }

  /** Keys under "modules:" that are a path or package, → the name of the module they loaded. */
  private readonly configKeys = new Map<string, string>();

  /** `config` with each path or package key under "modules:" replaced by its module's name. */
  private keyedByName(config: RawConfig | undefined, errors: string[]): RawConfig | undefined {
    const modules = config?.modules;
    if (
      this.configKeys.size === 0 ||
      modules === undefined ||
      modules === null ||
      typeof modules !== 'object'
    )
      return config;
    const renamed: Record<string, Record<string, unknown> | null | undefined> = {};
    for (const [key, options] of Object.entries(modules)) {
      const name = this.configKeys.get(key) ?? key;
      if (name in renamed) {
        errors.push(
          `config "modules": "${key}" is module "${name}", whose options are given twice; give them once`,
        );
        continue;
      }
      renamed[name] = options;
    }
    return { ...config, modules: renamed };
  }

  private async reloadNow(next: ReloadOptions | RawConfig): Promise<ReloadReport> {
    // A bare configuration object (`{ modules, log }`) is accepted as well as `{ config }` / `{ configFile }`.
    const input: ReloadOptions =
      'config' in next || 'configFile' in next ? (next as ReloadOptions) : { config: next as RawConfig };
    if (this.state !== 'loaded' && this.state !== 'started') {
      throw new KernelStateError(`reload() needs a loaded or started kernel (kernel is ${this.state})`);
    }
    const errors: string[] = [];
    const config = this.keyedByName(this.readConfig(input), errors);
    errors.push(...checkRawConfig(config, input.configFile ? `config file "${input.configFile}"` : 'config'));
    const names = new Set(this.loaded.map((m) => m.name));
    for (const name of Object.keys(config?.modules ?? {})) {
      if (!names.has(name)) errors.push(`module "${name}" is not loaded; adding a module needs a restart`);
    }
    const validated = validateOptions(this.loaded, { config, env: this.env, args: this.args });
    errors.push(...validated.errors);
    if (errors.length > 0) throw new KernelConfigError(errors);

    this.applyLogLevel(config);
    const report: ReloadReport = { applied: [], restartNeeded: [], failed: [] };
    const hostedChanged: { def: ModuleDefinition; ctx: KernelModuleContext }[] = [];
    for (const [i, ctx] of this.contexts.entries()) {
      const def = this.loaded[i]!;
      const next = validated.values.get(def.name)!;
      if (JSON.stringify(next) === JSON.stringify(ctx.options)) continue;
      if (this.state === 'loaded') {
        // Nothing runs yet: the new values are simply the ones it will start with.
        ctx.options = next as OptionValues<never>;
        report.applied.push(def.name);
        continue;
      }
      if (!this.runsHere(def)) {
        hostedChanged.push({ def, ctx });
        continue;
      }
      if (!def.reload) {
        report.restartNeeded.push(def.name);
        ctx.log.warn('options changed but the module cannot reload them; restart to apply');
        continue;
      }
      const applicable = this.reloadableOf(def, ctx, next, report);
      if (applicable === undefined) continue;
      try {
        await withTimeout(this.timeouts.reload, () => def.reload!(ctx, applicable as OptionValues<never>));
        ctx.options = applicable as OptionValues<never>;
        report.applied.push(def.name);
        ctx.log.info('options reloaded');
      } catch (err) {
        report.failed.push(def.name);
        ctx.log.error({ err }, 'reload failed; keeping the old options');
      }
    }
    if (this.host?.def.reloadHosted && this.state === 'started') {
      const { def, ctx } = this.host;
      try {
        await withTimeout(this.timeouts.reload, () => def.reloadHosted!(ctx, config));
        for (const { def: hosted, ctx: c } of hostedChanged) {
          // What each worker applies (it sorts out the options that need a restart the same way).
          const applicable = this.reloadableOf(hosted, c, validated.values.get(c.name)!, report);
          if (applicable === undefined) continue;
          c.options = applicable as OptionValues<never>;
          report.applied.push(c.name);
        }
      } catch (err) {
        report.failed.push(...hostedChanged.map(({ ctx: c }) => c.name));
        ctx.log.error({ err }, 'passing the new configuration to the hosted modules failed');
      }
    } else if (this.host) {
      report.restartNeeded.push(...hostedChanged.map(({ ctx: c }) => c.name));
    }
    // Workers start from the plan: before start it takes the new configuration as it is; once
    // running, as applied (see KernelLoadPlan.config), unless a module refused it. In place:
    // the hosting module holds the plan.
    if (this.plan !== undefined && report.failed.length === 0) {
      (this.plan as { config: RawConfig | undefined }).config =
        this.state === 'loaded' ? config : this.appliedConfig(this.plan.config, config);
    }
    return report;
  }

  /**
   * The options a module's `reload` gets: `next`, with the old value of every option outside
   * its `reloadable` list (each changed one logged and the module counted in `restartNeeded`).
   * Undefined when nothing it can reload changed.
   */
  private reloadableOf(
    def: ModuleDefinition,
    ctx: KernelModuleContext,
    next: Record<string, unknown>,
    report: ReloadReport,
  ): Record<string, unknown> | undefined {
    const reloadable = def.reloadable;
    if (reloadable === undefined) return next;
    const old = ctx.options as Record<string, unknown>;
    const applicable: Record<string, unknown> = { ...old };
    const fixed: string[] = [];
    for (const name of Object.keys(next)) {
      if (JSON.stringify(next[name]) === JSON.stringify(old[name])) continue;
      if (reloadable.includes(name)) applicable[name] = next[name];
      else fixed.push(name);
    }
    if (fixed.length > 0) {
      report.restartNeeded.push(def.name);
      ctx.log.warn({ options: fixed }, 'these options changed but take effect only after a restart');
    }
    return JSON.stringify(applicable) === JSON.stringify(old) ? undefined : applicable;
  }

  /** Asks each module, in start order, whether it hosts the others; the first that does wins. */
  private findHost(): Kernel['host'] {
    for (const [i, def] of this.loaded.entries()) {
      if (!def.hosts) continue;
      const ctx = this.contexts[i]!;
      let hosts: boolean;
      try {
        hosts = def.hosts(ctx, this.plan!);
      } catch (err) {
        throw new KernelStartError(def.name, 'register', err);
      }
      if (!hosts) continue;
      const local = new Set<string>();
      const visit = (name: string) => {
        if (local.has(name)) return;
        local.add(name);
        for (const dep of this.loaded.find((m) => m.name === name)?.requires ?? []) visit(dep);
      };
      visit(def.name);
      ctx.log.info(
        { hosted: this.loaded.filter((m) => !local.has(m.name)).map((m) => m.name) },
        'this module hosts the other modules',
      );
      return { def, ctx, local };
    }
    return undefined;
  }

  /** Whether a module registers and starts in this kernel (every module, unless one hosts them). */
  private runsHere(def: ModuleDefinition): boolean {
    return this.host === undefined || this.host.local.has(def.name);
  }

  private readConfig(input: { config?: RawConfig; configFile?: string }): RawConfig | undefined {
    if (input.config !== undefined) return input.config;
    if (input.configFile === undefined) return undefined;
    try {
      return readConfigFile(input.configFile) as RawConfig | undefined;
    } catch (err) {
      throw new KernelConfigError([(err as Error).message]);
    }
  }

  private applyLogLevel(config: RawConfig | undefined): void {
    const level = config?.log?.level;
    if (level && this.ownsLogger && this.opts.logLevel === undefined) this.rootLogger.level = level;
  }

  /**
   * A start that overran goes on after the kernel gave up on it (its signal is aborted, which a
   * well-behaved start heeds). Waits for it (up to the stop timeout) and runs the drain and stop
   * hooks it registered after the roll-back, so what it opened late is closed too.
   */
  private async cleanUpAbandonedStart(ctx: KernelModuleContext, starting: Promise<unknown>): Promise<void> {
    try {
      await withTimeout(this.timeouts.stop, () => starting);
    } catch {
      // Failed or still running: whatever it registered so far is all that can be run.
    }
    await this.runHooks('drain', { contexts: [ctx], late: true });
    await this.runHooks('stop', { contexts: [ctx], late: true });
  }

  /** Drain and stop hooks that ran already (a late clean-up runs only the others). */
  private readonly ranHooks = new WeakSet<object>();

  private rollBack(): Promise<void> {
    this.state = 'stopping';
    this.abort.abort();
    this.phase = (async () => {
      await this.runHooks('drain');
      await this.runHooks('stop');
      this.state = 'stopped';
    })();
    return this.phase;
  }

  /** Runs one phase's hooks for every active module in reverse; overruns and failures are logged, never fatal. */
  private async runHooks(
    phase: 'drain' | 'stop',
    { contexts = [...this.active].reverse(), late = false } = {},
  ): Promise<void> {
    const limit = this.timeouts[phase];
    for (const ctx of contexts) {
      const hooks = phase === 'drain' ? ctx.drainHooks : ctx.stopHooks;
      for (const hook of [...hooks].reverse()) {
        // A late clean-up (cleanUpAbandonedStart) runs only what did not run yet.
        if (late && this.ranHooks.has(hook)) continue;
        this.ranHooks.add(hook);
        try {
          await withTimeout(limit, hook);
        } catch (err) {
          if (err instanceof PhaseTimeoutError) {
            ctx.log.warn(
              { phase, timeoutMs: limit },
              `${phase} hook of module "${ctx.name}" overran ${limit}ms; going on`,
            );
          } else {
            ctx.log.error({ phase, err }, `${phase} hook of module "${ctx.name}" failed; going on`);
          }
        }
      }
      ctx.log.debug(`${phase} done`);
    }
  }
}
