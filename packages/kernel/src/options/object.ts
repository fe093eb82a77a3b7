import type { OptionSchema, OptionValueError, OptionValues } from '../contract.js';
import { didYouMean } from '../did-you-mean.js';
import { buildOption, invalid, type OptionBuilder } from './builder.js';
import { OptionValueErrors, UnknownFieldError, valueErrorsOf } from './errors.js';
import { unquoteJson } from './format.js';

/**
 * Parses every field of `fields` from `raw` (a plain object), applying defaults, and collects all
 * errors: bad values, missing required fields and unknown fields. Shared by object options and the
 * kernel's module-level validation, so a nested field and a top-level option read alike.
 */
export function parseFields<S extends OptionSchema>(
  fields: S,
  raw: Record<string, unknown>,
  path: readonly (string | number)[],
): { values: OptionValues<S>; errors: OptionValueError[] } {
  const values: Record<string, unknown> = {};
  const errors: OptionValueError[] = [];
  for (const key of Object.keys(raw)) {
    if (!Object.hasOwn(fields, key))
      errors.push(new UnknownFieldError([...path, key], didYouMean(key, Object.keys(fields))));
  }
  for (const [key, spec] of Object.entries(fields)) {
    const fieldPath = [...path, key];
    const given = raw[key];
    const value = given === undefined || given === null ? spec.defaultRaw : given;
    if (value === undefined) {
      if (spec.required) errors.push(invalid(fieldPath, undefined, spec.expected));
      else values[key] = undefined;
      continue;
    }
    try {
      values[key] = spec.parse(value, fieldPath);
    } catch (err) {
      errors.push(...valueErrorsOf(err));
    }
  }
  return { values: values as OptionValues<S>, errors };
}

/** Structured values: an object in a config file; JSON text in the environment or command line. */
export function objectOption<S extends OptionSchema>(
  fields: S,
  defaultValue: Record<string, unknown> | undefined,
  description: string,
): OptionBuilder<OptionValues<S>> {
  const expected = `an object with fields ${Object.keys(fields).join(', ')} (JSON text outside a config file)`;
  return buildOption({
    type: 'object',
    description,
    expected,
    defaultRaw: defaultValue,
    parse(raw, path) {
      let value = raw;
      if (typeof raw === 'string') {
        try {
          value = JSON.parse(unquoteJson(raw));
        } catch {
          throw invalid(path, raw, expected);
        }
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        throw invalid(path, raw, expected);
      const { values, errors } = parseFields(fields, value as Record<string, unknown>, path);
      if (errors.length > 0) throw new OptionValueErrors(errors);
      return values;
    },
  });
}
