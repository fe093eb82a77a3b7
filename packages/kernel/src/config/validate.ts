import type { ModuleDefinition, OptionSchema } from '../contract.js';
import { didYouMean } from '../did-you-mean.js';
import { UnknownFieldError } from '../options/errors.js';
import { parseFields } from '../options/object.js';
import type { OptionArg } from './args.js';
import { envVarName, unknownEnvVars } from './env.js';
import { formatOptionError } from './errors.js';
import type { RawConfig } from './raw-config.js';

/** Where option values come from; later sources win: config file < environment < command line. */
export interface OptionSources {
  config: RawConfig | undefined;
  env: Readonly<Record<string, string | undefined>>;
  args: readonly OptionArg[];
}

/**
 * Validates the options of every module against every source and returns each module's typed
 * values, or every error found (formatted; see `formatOptionError`).
 */
export function validateOptions(
  modules: readonly ModuleDefinition[],
  sources: OptionSources,
): { values: Map<string, Record<string, unknown>>; errors: string[] } {
  const values = new Map<string, Record<string, unknown>>();
  const valid = new Map<string, Record<string, unknown>>();
  const errors: string[] = [];
  const loaded = new Set(modules.map((m) => m.name));
  for (const arg of sources.args) {
    if (!loaded.has(arg.module)) {
      const hint = didYouMean(arg.module, loaded);
      errors.push(
        `command line: ${arg.flag}: module "${arg.module}" is not loaded${hint ? ` (did you mean "${hint}"?)` : ''}`,
      );
    }
  }
  const optionNames = new Map(modules.map((m) => [m.name, Object.keys(m.options ?? {})]));
  for (const { variable, module, hint } of unknownEnvVars(sources.env, optionNames)) {
    errors.push(
      `environment: ${variable}: module "${module}" has no such option${hint ? ` (did you mean ${hint}?)` : ''}`,
    );
  }
  for (const def of modules) {
    const schema: OptionSchema = def.options ?? {};
    const raw: Record<string, unknown> = { ...(sources.config?.modules?.[def.name] ?? {}) };
    for (const name of Object.keys(schema)) {
      const fromEnv = sources.env[envVarName(def.name, name)];
      if (fromEnv !== undefined) raw[name] = fromEnv;
    }
    const unknownArgs = [];
    const bareArgs: string[] = [];
    for (const arg of sources.args) {
      if (arg.module !== def.name) continue;
      const spec = Object.hasOwn(schema, arg.option) ? schema[arg.option]! : undefined;
      if (spec === undefined)
        unknownArgs.push(new UnknownFieldError([arg.option], didYouMean(arg.option, Object.keys(schema))));
      // A flag alone means true, which only a boolean takes: "got true" would puzzle.
      else if (arg.bare && spec.type !== 'boolean')
        bareArgs.push(
          `module "${def.name}", option "${arg.option}": got no value (${arg.flag} alone), expected ${spec.expected}`,
        );
      else raw[arg.option] = arg.value;
    }
    const result = parseFields(schema, raw, []);
    for (const err of [...unknownArgs, ...result.errors]) errors.push(formatOptionError(def.name, err));
    errors.push(...bareArgs);
    if (unknownArgs.length === 0 && bareArgs.length === 0 && result.errors.length === 0)
      valid.set(def.name, result.values);
    values.set(def.name, result.values);
  }
  // Checks of options taken together run once every module's own are known: one may look at
  // another's (a module loaded after it included).
  for (const def of modules) {
    const own = valid.get(def.name);
    if (own === undefined || def.check === undefined) continue;
    let problems: readonly string[];
    try {
      problems = def.check(own as never, valid);
    } catch (err) {
      // The module's own bug, but the operator gets one line naming it, not a stack trace.
      problems = [`checking its options failed: ${err instanceof Error ? err.message : String(err)}`];
    }
    for (const problem of problems) errors.push(`module "${def.name}": ${problem}`);
  }
  return { values, errors };
}
