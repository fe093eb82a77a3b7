import { type OptionSpec, OptionValueError } from '../contract.js';

/** An option spec that can also be made optional (no default, not required, value `undefined`). */
export interface OptionBuilder<T> extends OptionSpec<T> {
  /** The same option without a default and not required: its value is `undefined` when unset. */
  optional(): OptionSpec<T | undefined>;
}

/** What a builder supplies; `parse` receives a value that is present (never `undefined`). */
export interface OptionParts<T> {
  type: string;
  description: string;
  expected: string;
  defaultRaw: unknown;
  parse(raw: unknown, path: readonly (string | number)[]): T;
}

/** Assembles a spec: an option without a default is required unless made `.optional()`. */
export function buildOption<T>(parts: OptionParts<T>): OptionBuilder<T> {
  const spec: OptionBuilder<T> = {
    type: parts.type,
    description: parts.description,
    expected: parts.expected,
    defaultRaw: parts.defaultRaw,
    required: parts.defaultRaw === undefined,
    parse: parts.parse,
    optional() {
      return { ...spec, defaultRaw: undefined, required: false, parse: parts.parse };
    },
  };
  return spec;
}

/** Shorthand for the error every scalar spec throws. */
export function invalid(
  path: readonly (string | number)[],
  value: unknown,
  expected: string,
): OptionValueError {
  return new OptionValueError(path, value, expected);
}
