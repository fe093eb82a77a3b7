import { MODULE_NAME } from '../config/args.js';
import type { ModuleDefinition } from '../contract.js';

/** What `--<module>.<option>` flags and `SCALESTACK_<MODULE>_…` variables can name. */
const IS_MODULE_NAME = new RegExp(`^${MODULE_NAME}$`);

const HOOKS = ['check', 'register', 'start', 'report', 'reload', 'hosts', 'reloadHosted'] as const;

/**
 * What is wrong with a module definition's shape, one sentence each, for the module's author —
 * TypeScript catches these at `defineModule`, a module written in JavaScript only here: a
 * `requires` that is one string (read letter by letter), an option that is no `option.*` spec
 * (taken as unset, without a word), a name no flag can name.
 */
export function definitionProblems(def: ModuleDefinition): string[] {
  const problems: string[] = [];
  const at = `module "${def.name}"`;
  if (!IS_MODULE_NAME.test(def.name))
    problems.push(`${at}: its name is no module name (a letter or digit, then letters, digits, "-" or "_")`);
  const requires: unknown = def.requires;
  if (
    requires !== undefined &&
    (!Array.isArray(requires) || requires.some((r) => typeof r !== 'string' || r === ''))
  )
    problems.push(`${at}: "requires" must be a list of module names, such as ["socket"]`);
  const options: unknown = def.options;
  if (options !== undefined) {
    if (typeof options !== 'object' || options === null || Array.isArray(options))
      problems.push(`${at}: "options" must map option names to option.* specs`);
    else {
      for (const [name, spec] of Object.entries(options)) {
        if (typeof (spec as { parse?: unknown } | null)?.parse !== 'function')
          problems.push(
            `${at}: option "${name}" is no option spec (build it with option.string(…), option.address(…), …)`,
          );
      }
    }
  }
  for (const hook of HOOKS) {
    const fn: unknown = def[hook];
    if (fn !== undefined && typeof fn !== 'function') problems.push(`${at}: "${hook}" must be a function`);
  }
  return problems;
}
