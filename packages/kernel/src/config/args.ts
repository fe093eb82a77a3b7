import { isSecretName } from '../options/format.js';

/** One `--<module>.<option>=<value>` from the command line. */
export interface OptionArg {
  module: string;
  option: string;
  value: string;
  /** The flag as written, for messages. */
  flag: string;
  /** Set when the flag came with no value (`value` is then `true`): right for a boolean only. */
  bare?: true;
}

/** A module name a flag can hold (a regular expression's source); definitions with others are refused. */
export const MODULE_NAME = '[A-Za-z0-9][\\w-]*';

const FLAG = new RegExp(`^--(${MODULE_NAME})\\.([A-Za-z_][\\w-]*)(?:=([\\s\\S]*))?$`);

/**
 * True for what is meant as a module's flag, well formed or not: `--<module>.<anything>`, such as
 * `--m.users[0].password=…` (which is an error: a field is set in its option's JSON value).
 */
export function looksLikeOptionFlag(arg: string): boolean {
  return /^--[^=.]+\./.test(arg);
}

/**
 * An argument's name, for messages: what comes before its `=`, with `=…` for a value never shown
 * (`--m.users[0].password=s3cret` is `--m.users[0].password=…`).
 */
export function argumentName(arg: string): string {
  const eq = arg.indexOf('=');
  return eq < 0 ? arg : `${arg.slice(0, eq)}=…`;
}

/**
 * True for a flag, well formed or not, whose last name is a secret's (`--m.password`,
 * `--m.users[0].backend_password=…`): what follows it on the command line is not shown.
 */
export function isSecretFlag(arg: string): boolean {
  if (!looksLikeOptionFlag(arg)) return false;
  const name = arg.split('=')[0]!;
  return isSecretName(name.slice(name.search(/[^.\]]*$/)));
}

/**
 * Parses `--<module>.<option>=<value>` and `--<module>.<option> <value>`; a flag followed by
 * nothing or by another flag means `true` (so `--m.verbose` works for booleans).
 *
 * Errors name an argument and never show a value. After a secret option's flag without `=`
 * (`--m.password`), an argument starting with `--` that is no module flag is taken for its value
 * and refused without being shown (such a value is given as `--m.password=--…`); the arguments
 * after a secret option that are no module flags (the rest of a value with spaces, unquoted) are
 * not shown either.
 */
export function parseOptionArgs(args: readonly string[]): { options: OptionArg[]; errors: string[] } {
  const options: OptionArg[] = [];
  const errors: string[] = [];
  // The secret flag whose value the arguments that follow may be part of.
  let afterSecret: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const next = args[i + 1];
    const match = FLAG.exec(arg);
    if (!match) {
      if (afterSecret !== undefined && !looksLikeOptionFlag(arg)) {
        errors.push(
          `command line: unexpected argument after ${afterSecret} (not shown: it may be part of the secret; quote a value with spaces)`,
        );
        continue;
      }
      const name = argumentName(arg);
      afterSecret = isSecretFlag(arg) ? name.replace(/=…$/, '') : undefined;
      // A malformed flag's value, given as the next argument, is not shown either.
      const takesNext = arg.startsWith('--') && !arg.includes('=') && next !== undefined;
      const valueAfter =
        takesNext && (!next.startsWith('--') || (afterSecret !== undefined && !looksLikeOptionFlag(next)));
      if (valueAfter) i++;
      const nested = looksLikeOptionFlag(arg)
        ? "; an option's fields and items are set in its whole value, as JSON"
        : '';
      errors.push(
        `command line: unexpected argument "${name}"${valueAfter ? ' (its value, the next argument, not shown)' : ''} (expected --<module>.<option>=<value>${nested})`,
      );
      continue;
    }
    const flag = `--${match[1]}.${match[2]}`;
    const secret = isSecretName(match[2]!);
    afterSecret = secret ? flag : undefined;
    let value = match[3];
    if (value === undefined) {
      if (next !== undefined && !next.startsWith('--')) {
        value = next;
        i++;
      } else if (secret && next !== undefined && !looksLikeOptionFlag(next)) {
        errors.push(
          `command line: ${flag}: its value is missing or starts with "--" (the next argument is not shown; give such a value as ${flag}=<value>)`,
        );
        i++;
        continue;
      } else {
        options.push({ module: match[1]!, option: match[2]!, value: 'true', flag, bare: true });
        continue;
      }
    }
    options.push({ module: match[1]!, option: match[2]!, value, flag });
  }
  return { options, errors };
}
