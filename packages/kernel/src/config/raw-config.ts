import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';

/** A configuration as written in a config file (YAML or JSON). */
export interface RawConfig {
  /** Module name → its options. Naming a module here loads it. */
  modules?: Record<string, Record<string, unknown> | null | undefined>;
  log?: { level?: string };
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks the shape of a raw configuration; `where` names its origin in messages. */
export function checkRawConfig(raw: unknown, where: string): string[] {
  if (raw === undefined || raw === null) return [];
  if (!isPlainObject(raw))
    return [
      `${where}: expected a mapping with "modules" and "log", got ${Array.isArray(raw) ? 'a list' : typeof raw}`,
    ];
  const errors: string[] = [];
  for (const key of Object.keys(raw)) {
    if (key !== 'modules' && key !== 'log')
      errors.push(`${where}: unknown key "${key}" (expected "modules" or "log")`);
  }
  if (raw.modules !== undefined && raw.modules !== null) {
    if (!isPlainObject(raw.modules))
      errors.push(`${where}: "modules" must map module names to their options`);
    else {
      for (const [name, opts] of Object.entries(raw.modules)) {
        if (opts !== null && opts !== undefined && !isPlainObject(opts)) {
          errors.push(`${where}: module "${name}": expected a mapping of option names to values`);
        }
      }
    }
  }
  if (raw.log !== undefined && raw.log !== null) {
    if (!isPlainObject(raw.log)) errors.push(`${where}: "log" must be a mapping such as { level: info }`);
    else {
      for (const key of Object.keys(raw.log)) {
        if (key !== 'level') errors.push(`${where}: log: unknown key "${key}" (expected "level")`);
      }
      const level = raw.log.level;
      if (level !== undefined && !LOG_LEVELS.includes(level as never)) {
        errors.push(
          `${where}: log.level: got ${JSON.stringify(level)}, expected one of ${LOG_LEVELS.join(', ')}`,
        );
      }
    }
  }
  return errors;
}

/**
 * Reads a YAML or JSON config file (JSON is YAML). Throws an Error naming the file when it
 * cannot be read or parsed; the shape is checked separately by {@link checkRawConfig}.
 */
export function readConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // "cannot read it (EISDIR)" leaves the reader to decode the code.
    if (code === 'EISDIR')
      throw new Error(`config file "${path}": is a directory (expected a YAML or JSON file)`);
    throw new Error(`config file "${path}": cannot read it (${code ?? err})`);
  }
  try {
    return parseYaml(text);
  } catch (err) {
    throw new Error(
      `config file "${path}": not valid YAML or JSON (${(err as Error).message.split('\n')[0]!.replace(/:$/, '')})`,
    );
  }
}
