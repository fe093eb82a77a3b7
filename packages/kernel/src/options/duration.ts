import { buildOption, invalid, type OptionBuilder } from './builder.js';
import { describeBounds, inRange, type RangeOptions } from './integer.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION_TEXT = /^(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h|d)?$/;

/**
 * Parses `250ms`, `5s`, `1.5m`, `2h`, `1d` or a bare number of milliseconds into milliseconds;
 * `undefined` when the text is not a duration. Exported for modules that parse durations elsewhere.
 */
export function parseDuration(raw: unknown): number | undefined {
  if (typeof raw === 'number') return Number.isFinite(raw) && raw >= 0 ? raw : undefined;
  if (typeof raw !== 'string') return undefined;
  const match = DURATION_TEXT.exec(raw.trim());
  if (!match) return undefined;
  return Number(match[1]) * UNIT_MS[match[2] ?? 'ms']!;
}

/**
 * The longest delay Node's timers take (2^31 − 1 ms, about 24.8 days): a longer one fires after
 * 1 ms instead, so a "check rarely" setting would run a thousand times a second.
 */
export const MAX_DURATION_MS = 2 ** 31 - 1;

/**
 * A duration, as a number of milliseconds: at most {@link MAX_DURATION_MS}, unless `timer: false`
 * says the value never becomes a timer (an age compared with a clock, say).
 */
export function durationOption(
  defaultValue: string | number | undefined,
  description: string,
  { timer = true, ...range }: RangeOptions & { timer?: boolean } = {},
): OptionBuilder<number> {
  const base = 'a duration such as 250ms, 5s, 1.5m or 2h (a bare number is milliseconds)';
  const bounds = describeBounds(range, (n) => `${n}ms`);
  const expected = bounds === '' ? base : `${base}, ${bounds}`;
  return buildOption({
    type: 'duration',
    description,
    expected,
    defaultRaw: defaultValue,
    parse(raw, path) {
      const ms = parseDuration(raw);
      if (ms === undefined || !inRange(ms, range)) throw invalid(path, raw, expected);
      if (timer && ms > MAX_DURATION_MS) {
        throw invalid(
          path,
          raw,
          `${expected}, at most 24.8d (${MAX_DURATION_MS}ms, the longest timer Node runs)`,
        );
      }
      return ms;
    },
  });
}
