import { addressOption } from './address.js';
import { booleanOption } from './boolean.js';
import { durationOption } from './duration.js';
import { enumOption } from './enum.js';
import { integerOption } from './integer.js';
import { listOption } from './list.js';
import { numberOption } from './number.js';
import { objectOption } from './object.js';
import { sizeOption } from './size.js';
import { stringOption } from './string.js';

/**
 * The option builders. Each takes `(default, description, constraints?)` — with the type-specific
 * argument first for `list`, `enum` and `object` — and returns an `OptionSpec`. A default of
 * `undefined` makes the option required; `.optional()` makes it optional with value `undefined`.
 *
 * @example
 * options: {
 *   listen: option.address('127.0.0.1:7000', 'where to listen'),
 *   pool_size: option.integer(8, 'backend connections', { min: 1 }),
 *   users: option.list(option.object({ name: option.string(undefined, 'user name') }, undefined, 'a user'), [], 'users'),
 * }
 */
export const option = {
  string: stringOption,
  integer: integerOption,
  number: numberOption,
  boolean: booleanOption,
  duration: durationOption,
  size: sizeOption,
  address: addressOption,
  list: listOption,
  enum: enumOption,
  object: objectOption,
} as const;

export { formatAddress, parseAddress } from './address.js';
export type { OptionBuilder } from './builder.js';
export { MAX_DURATION_MS, parseDuration } from './duration.js';
export { OptionValueErrors, UnknownFieldError } from './errors.js';
export { formatPath, formatValue } from './format.js';
export type { RangeOptions } from './integer.js';
export type { ListConstraints } from './list.js';
export { parseFields } from './object.js';
export { parseSize } from './size.js';
export type { StringOptions } from './string.js';
