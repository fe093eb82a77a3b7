import type { Logger } from 'pino';
import type { DependencyContainer } from 'tsyringe';
import type { MetricsRegistry, ModuleContext, OptionSchema, OptionValues, Token } from './contract.js';

type Hook = () => void | Promise<void>;

/** The context one module sees in all its hooks; the kernel keeps it for drain, stop and reload. */
export class KernelModuleContext<S extends OptionSchema = OptionSchema> implements ModuleContext<S> {
  /** Drain and stop hooks, in the order the module added them. */
  readonly drainHooks: Hook[] = [];
  readonly stopHooks: Hook[] = [];

  constructor(
    readonly name: string,
    public options: OptionValues<S>,
    readonly log: Logger,
    readonly container: DependencyContainer,
    readonly signal: AbortSignal,
    readonly metrics: MetricsRegistry,
  ) {}

  provide<T>(token: Token<T>, value: T): void {
    this.container.register<T>(token, { useValue: value });
  }

  resolve<T>(token: Token<T>): T {
    if (!this.container.isRegistered(token, true)) {
      throw new Error(
        `module "${this.name}": no service registered for ${token.description ?? String(token)} (is the module that provides it in "requires"?)`,
      );
    }
    return this.container.resolve<T>(token);
  }

  tryResolve<T>(token: Token<T>): T | undefined {
    return this.container.isRegistered(token, true) ? this.container.resolve<T>(token) : undefined;
  }

  onDrain(fn: Hook): void {
    this.drainHooks.push(fn);
  }

  onStop(fn: Hook): void {
    this.stopHooks.push(fn);
  }
}
