/**
 * The module contract: the only types a module author needs from the kernel.
 *
 * This file is the agreement between the kernel and every module; it holds types and tiny
 * helpers only, so modules can be written (and type-checked) against it without the kernel's
 * machinery. The option builders (`option.*`) live in `options/` and produce {@link OptionSpec}s.
 */
import type { Logger } from 'pino';
import type { DependencyContainer } from 'tsyringe';
import type { RawConfig } from './config/raw-config.js';

/** A typed service token. Tokens are global symbols so two copies of a package agree on them. */
export type Token<T> = symbol & { readonly __service?: T };

/** Creates (or finds) the token `Symbol.for('scalestack:<name>')` for a service of type `T`. */
export function createToken<T>(name: string): Token<T> {
  return Symbol.for(`scalestack:${name}`) as Token<T>;
}

/** A parsed listen/connect address. */
export type Address = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

/**
 * One option's schema: how to turn a raw value (from YAML/JSON, the environment or the command
 * line) into a typed value, plus what `--help` shows. Raw values from the environment and the
 * command line are always strings; from a config file they keep their JSON/YAML type.
 */
export interface OptionSpec<T> {
  /** Short type name shown in `--help` and in errors, e.g. `duration`, `list<address>`. */
  readonly type: string;
  readonly description: string;
  /** The default as the user would write it (shown in --help); `undefined` when required. */
  readonly defaultRaw: unknown;
  readonly required: boolean;
  /** What a valid value looks like, used in error messages: `a duration such as 250ms or 5s`. */
  readonly expected: string;
  /**
   * Parses a raw value. Throws {@link OptionValueError} (with the nested path for structured
   * values) when the value does not fit.
   */
  parse(raw: unknown, path: readonly (string | number)[]): T;
}

/** Thrown by {@link OptionSpec.parse}; the kernel adds the module and option names. */
export class OptionValueError extends Error {
  constructor(
    readonly path: readonly (string | number)[],
    readonly value: unknown,
    readonly expected: string,
  ) {
    super(`expected ${expected}`);
    this.name = 'OptionValueError';
  }
}

/** A module's option schema: option name → spec. Names are snake_case or camelCase words. */
export type OptionSchema = Record<string, OptionSpec<unknown>>;

/** The typed values of a schema. */
export type OptionValues<S extends OptionSchema> = {
  readonly [K in keyof S]: S[K] extends OptionSpec<infer T> ? T : never;
};

/** One metric family, in a shape that maps directly to the Prometheus text format. */
export interface MetricFamily {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  samples: { labels?: Record<string, string>; value: number; suffix?: string }[];
}

/** Where modules publish metrics; the http-server module renders them at `/metrics`. */
export interface MetricsRegistry {
  /** Adds a collector called at scrape time; returns a function that removes it. */
  addCollector(module: string, collect: () => MetricFamily[]): () => void;
  collect(): MetricFamily[];
}

/** What a module receives in every lifecycle hook. */
export interface ModuleContext<S extends OptionSchema = OptionSchema> {
  /** The module's name. */
  readonly name: string;
  /** Validated, typed option values. */
  readonly options: OptionValues<S>;
  /** A pino child logger bound to `{ module: name }`. */
  readonly log: Logger;
  /** The kernel's own child container (never tsyringe's global container). */
  readonly container: DependencyContainer;
  /**
   * Aborted when the kernel begins to drain, or when it gives up on a start (a shutdown during
   * start-up, a failed start); long-running loops and slow starts should watch it.
   */
  readonly signal: AbortSignal;
  /** Metrics registry shared by every module of this kernel. */
  readonly metrics: MetricsRegistry;
  /** Registers a service under a token for modules that require this one. */
  provide<T>(token: Token<T>, value: T): void;
  /** Resolves a service provided by this module or by one it requires. Throws if absent. */
  resolve<T>(token: Token<T>): T;
  /** Resolves a service if some module provided it. */
  tryResolve<T>(token: Token<T>): T | undefined;
  /** Runs during the drain phase (stop accepting, let work finish), in reverse start order. */
  onDrain(fn: () => void | Promise<void>): void;
  /** Runs during the stop phase (release everything), in reverse start order. */
  onStop(fn: () => void | Promise<void>): void;
}

/**
 * How a kernel was loaded: everything a hosting module (see {@link ModuleDefinition.hosts}) needs
 * to build the same kernel elsewhere, e.g. in a worker thread. Plain data, so it can be posted.
 */
export interface KernelLoadPlan {
  /** The module references given to `load` (names or paths; a handed-over definition by its name). */
  readonly modules: readonly string[];
  /**
   * The configuration, already read from its file if one was given. After a reload it is the
   * configuration as applied — new values for the options modules reloaded, the started values
   * for those that need a restart — so a worker started later runs what the others run.
   */
  readonly config: RawConfig | undefined;
  /** The environment option values were read from. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The command-line option flags, as given. */
  readonly args: readonly string[];
  /** Where paths and packages are resolved from. */
  readonly cwd: string;
  /** The loaded modules in start order (this one included). */
  readonly order: readonly string[];
}

/** A module: a plain object. `defineModule` only gives it types. */
export interface ModuleDefinition<S extends OptionSchema = OptionSchema> {
  /** Unique name, used on the command line and in config files: `database-proxy`. */
  readonly name: string;
  /** One line, shown by `scalestack modules`. */
  readonly description: string;
  /** Modules that must be loaded and started before this one. */
  readonly requires?: readonly string[];
  /** The option schema. */
  readonly options?: S;
  /**
   * What is wrong with the options taken together (`tls_key` without `tls_cert`), once each is
   * valid on its own: one sentence per problem, naming the options. Runs wherever options are
   * validated — `kernel.load` (and so `scalestack check`) and every reload — so a configuration
   * it refuses starts nothing and replaces nothing.
   * @param loaded - every loaded module's option values, by module name, for a rule across
   *   modules (a pool split between `event.threads` workers); a module whose own options are
   *   wrong is absent (its errors are reported already)
   */
  check?(
    options: OptionValues<S>,
    loaded: ReadonlyMap<string, Readonly<Record<string, unknown>>>,
  ): readonly string[];
  /** Called for every module (in dependency order) before any module starts: provide services. */
  register?(ctx: ModuleContext<S>): void | Promise<void>;
  /** Starts the service. Register drain/stop work with `ctx.onDrain` / `ctx.onStop`. */
  start?(ctx: ModuleContext<S>): void | Promise<void>;
  /**
   * Logs what the running module is doing now (its stats), when asked: `kernel.report()`,
   * SIGUSR2 under the CLI.
   */
  report?(ctx: ModuleContext<S>): void;
  /**
   * Applies new option values at runtime (SIGHUP / `kernel.reload`). Called only after the
   * whole new configuration validated. A module without `reload` keeps its old values and the
   * kernel logs that a restart is needed for changes to it.
   */
  reload?(ctx: ModuleContext<S>, next: OptionValues<S>): void | Promise<void>;
  /**
   * The options `reload` applies (default: every one). A change to any other is not passed to
   * `reload`: the kernel logs that those options need a restart, and `ctx.options` keeps their
   * old values — so the next reload still sees them differ, and says so again.
   */
  readonly reloadable?: readonly (keyof S & string)[];
  /**
   * Lets this module run the other modules itself (the `event` module: in worker threads)
   * instead of the kernel. Asked once at the start of `kernel.start()`, before any `register`,
   * in start order; the first module to answer true hosts. The kernel then registers and starts
   * only the host and the modules it requires; the others stay loaded and validated (and are
   * validated again on reload) but never register in this kernel.
   */
  hosts?(ctx: ModuleContext<S>, plan: KernelLoadPlan): boolean;
  /**
   * For the hosting module: `kernel.reload` validated a new configuration; pass it on to where
   * the hosted modules run. Throwing marks the hosted modules whose options changed as failed.
   */
  reloadHosted?(ctx: ModuleContext<S>, config: RawConfig | undefined): void | Promise<void>;
}

/** Gives a module definition its types. */
export function defineModule<S extends OptionSchema>(def: ModuleDefinition<S>): ModuleDefinition<S> {
  return def;
}
