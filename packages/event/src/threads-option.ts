import { availableParallelism } from 'node:os';
import { type OptionSpec, OptionValueError } from '@scalestack/kernel';

const MAX_THREADS = 1024;
const EXPECTED = `a whole number of threads (1 to ${MAX_THREADS}) or "auto" (one per available core)`;

/** The `threads` option: a whole number, or `auto` for `os.availableParallelism()`. */
export function threadsOption(defaultRaw: number | 'auto', description: string): OptionSpec<number> {
  return {
    type: 'integer|auto',
    description,
    defaultRaw,
    required: false,
    expected: EXPECTED,
    parse(raw, path) {
      if (raw === 'auto') return availableParallelism();
      const n = typeof raw === 'string' && /^\s*\d+\s*$/.test(raw) ? Number(raw) : raw;
      if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1 || n > MAX_THREADS) {
        throw new OptionValueError(path, raw, EXPECTED);
      }
      return n;
    },
  };
}
