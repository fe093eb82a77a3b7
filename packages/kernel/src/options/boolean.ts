import { buildOption, invalid, type OptionBuilder } from './builder.js';

const WORDS: Record<string, boolean> = {
  true: true,
  false: false,
  yes: true,
  no: false,
  on: true,
  off: false,
  '1': true,
  '0': false,
};

const EXPECTED = 'a boolean (true/false, yes/no, on/off or 1/0)';

/** A boolean; from text, `true/false`, `yes/no`, `on/off` and `1/0` in any case. */
export function booleanOption(
  defaultValue: boolean | string | undefined,
  description: string,
): OptionBuilder<boolean> {
  return buildOption({
    type: 'boolean',
    description,
    expected: EXPECTED,
    defaultRaw: defaultValue,
    parse(raw, path) {
      if (typeof raw === 'boolean') return raw;
      if (raw === 1 || raw === 0) return raw === 1;
      const value = typeof raw === 'string' ? WORDS[raw.trim().toLowerCase()] : undefined;
      if (value === undefined) throw invalid(path, raw, EXPECTED);
      return value;
    },
  });
}
