/** One `--<module>.<option>=<value>` from the command line. */
export interface OptionArg {
  module: string;
  option: string;
  value: string;
  /** The flag as written, for messages. */
  flag: string;
}

const FLAG = /^--([A-Za-z0-9][\w-]*)\.([A-Za-z_][\w-]*)(?:=([\s\S]*))?$/;

/** True for `--<module>.<option>` and `--<module>.<option>=<value>`. */
export function isOptionFlag(arg: string): boolean {
  return FLAG.test(arg);
}

/**
 * Parses `--<module>.<option>=<value>` and `--<module>.<option> <value>`; a flag followed by
 * nothing or by another flag means `true` (so `--m.verbose` works for booleans).
 */
export function parseOptionArgs(args: readonly string[]): { options: OptionArg[]; errors: string[] } {
  const options: OptionArg[] = [];
  const errors: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const match = FLAG.exec(arg);
    if (!match) {
      errors.push(`command line: unexpected argument "${arg}" (expected --<module>.<option>=<value>)`);
      continue;
    }
    let value = match[3];
    if (value === undefined) {
      const next = args[i + 1];
      if (next !== undefined && !next.startsWith('--')) {
        value = next;
        i++;
      } else value = 'true';
    }
    options.push({ module: match[1]!, option: match[2]!, value, flag: `--${match[1]}.${match[2]}` });
  }
  return { options, errors };
}
