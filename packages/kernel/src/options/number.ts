import { buildOption, invalid, type OptionBuilder } from './builder.js';
import { describeRange, inRange, type RangeOptions } from './integer.js';

const NUMBER_TEXT = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** A finite number, optionally bounded (inclusive). */
export function numberOption(
  defaultValue: number | string | undefined,
  description: string,
  range: RangeOptions = {},
): OptionBuilder<number> {
  const expected = describeRange('a number', range);
  return buildOption({
    type: 'number',
    description,
    expected,
    defaultRaw: defaultValue,
    parse(raw, path) {
      const value = typeof raw === 'string' && NUMBER_TEXT.test(raw.trim()) ? Number(raw.trim()) : raw;
      if (typeof value !== 'number' || !Number.isFinite(value) || !inRange(value, range)) {
        throw invalid(path, raw, expected);
      }
      return value;
    },
  });
}
