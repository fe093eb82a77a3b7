/** A module failed to register or start; the modules started before it have been stopped. */
export class KernelStartError extends Error {
  constructor(
    readonly module: string,
    readonly phase: 'register' | 'start',
    override readonly cause: unknown,
  ) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`module "${module}" failed to ${phase}: ${reason}`);
    this.name = 'KernelStartError';
  }
}

/** A lifecycle method was called in a state that does not allow it (e.g. start before load). */
export class KernelStateError extends Error {
  override name = 'KernelStateError';
}

/**
 * Why {@link KernelStartError} was thrown when `shutdown()` (or `drain()`/`stop()`) was called
 * while the kernel was starting: start-up was given up, and what had started was stopped.
 */
export class StartCancelledError extends Error {
  override name = 'StartCancelledError';
  constructor() {
    super('start-up cancelled: the kernel was asked to shut down');
  }
}
