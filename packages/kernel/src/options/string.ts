import { buildOption, invalid, type OptionBuilder } from './builder.js';

export interface StringOptions {
  /** Rejects the empty string. */
  nonEmpty?: boolean;
}

/** A string. Numbers from a config file are accepted as their decimal text (YAML `port: 1234`). */
export function stringOption(
  defaultValue: string | undefined,
  description: string,
  opts: StringOptions = {},
): OptionBuilder<string> {
  const expected = opts.nonEmpty ? 'a non-empty string' : 'a string';
  return buildOption({
    type: 'string',
    description,
    expected,
    defaultRaw: defaultValue,
    parse(raw, path) {
      const text = typeof raw === 'number' && Number.isFinite(raw) ? String(raw) : raw;
      if (typeof text !== 'string' || (opts.nonEmpty && text === '')) throw invalid(path, raw, expected);
      return text;
    },
  });
}
