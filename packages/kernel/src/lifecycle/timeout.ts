/** Raised by {@link withTimeout} when the work did not settle in time. */
export class PhaseTimeoutError extends Error {
  constructor(readonly ms: number) {
    super(`timed out after ${ms}ms`);
    this.name = 'PhaseTimeoutError';
  }
}

/**
 * Runs `fn` and settles with it, or rejects with {@link PhaseTimeoutError} after `ms`. The work
 * itself cannot be cancelled; the caller decides whether to go on without it.
 */
export async function withTimeout<T>(ms: number, fn: () => T | Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new PhaseTimeoutError(ms)), ms);
  });
  try {
    return await Promise.race([Promise.resolve().then(fn), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
