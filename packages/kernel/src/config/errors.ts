import type { OptionValueError } from '../contract.js';
import { UnknownFieldError } from '../options/errors.js';
import { formatPath, formatValue } from '../options/format.js';

/**
 * Every problem found while loading or reloading a configuration (unknown modules, bad option
 * values, cycles, …), reported together; nothing has been registered or started when it is thrown.
 */
export class KernelConfigError extends Error {
  constructor(readonly errors: readonly string[]) {
    super(
      errors.length === 1
        ? `invalid configuration: ${errors[0]}`
        : `invalid configuration (${errors.length} errors):\n${errors.map((e) => `  - ${e}`).join('\n')}`,
    );
    this.name = 'KernelConfigError';
  }
}

/**
 * The one format of an option error:
 * `module "echo-server", option "listen": got "abc", expected an address (…)`, with nested paths
 * such as `option "users[1].max_connections"`.
 */
export function formatOptionError(module: string, err: OptionValueError): string {
  const prefix = `module "${module}", option "${formatPath(err.path)}"`;
  if (err instanceof UnknownFieldError) {
    const what = err.path.length === 1 ? 'unknown option' : 'unknown field';
    return `${prefix}: ${what}${err.suggestion ? ` (did you mean "${err.suggestion}"?)` : ''}`;
  }
  return `${prefix}: got ${formatValue(err.value, err.path)}, expected ${err.expected}`;
}
