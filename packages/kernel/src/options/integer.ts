import { buildOption, invalid, type OptionBuilder } from './builder.js';

export interface RangeOptions {
  min?: number;
  max?: number;
}

/** Describes bounds for error messages: `between 0 and 1`, `>= 1`, or `` when unbounded. */
export function describeBounds({ min, max }: RangeOptions, unit: (n: number) => string = String): string {
  if (min !== undefined && max !== undefined) return `between ${unit(min)} and ${unit(max)}`;
  if (min !== undefined) return `>= ${unit(min)}`;
  if (max !== undefined) return `<= ${unit(max)}`;
  return '';
}

/** `an integer >= 1`, `a number between 0 and 1`, or just the noun when unbounded. */
export function describeRange(noun: string, range: RangeOptions): string {
  const bounds = describeBounds(range);
  return bounds === '' ? noun : `${noun} ${bounds}`;
}

export function inRange(value: number, { min, max }: RangeOptions): boolean {
  return (min === undefined || value >= min) && (max === undefined || value <= max);
}

const INTEGER_TEXT = /^[+-]?\d+$/;

/** A safe integer, optionally bounded (inclusive). Strings must be plain decimal digits. */
export function integerOption(
  defaultValue: number | string | undefined,
  description: string,
  range: RangeOptions = {},
): OptionBuilder<number> {
  const expected = describeRange('an integer', range);
  return buildOption({
    type: 'integer',
    description,
    expected,
    defaultRaw: defaultValue,
    parse(raw, path) {
      const value = typeof raw === 'string' && INTEGER_TEXT.test(raw.trim()) ? Number(raw.trim()) : raw;
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || !inRange(value, range)) {
        throw invalid(path, raw, expected);
      }
      return value;
    },
  });
}
