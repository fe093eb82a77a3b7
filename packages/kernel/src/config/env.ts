import { didYouMean } from '../did-you-mean.js';

/** Upper-cases and joins words: `database-proxy` → `DATABASE_PROXY`, `maxConnections` → `MAX_CONNECTIONS`. */
function envWord(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]/g, '_')
    .toUpperCase();
}

/** The environment variable that sets one option: `SCALESTACK_<MODULE>_<OPTION>`. */
export function envVarName(module: string, option: string): string {
  return `SCALESTACK_${envWord(module)}_${envWord(option)}`;
}

/**
 * The variables of `env` that look meant for a loaded module (`SCALESTACK_<MODULE>_…`, the
 * longest such module name) but set none of its options: a misspelt one would otherwise be
 * ignored without a word. `options` maps each loaded module to its option names; `hint` is the
 * variable of the option whose name is closest, if one is close. One that sets some loaded
 * module's option is never reported, nor one of more than one word after the module's name
 * that is close to none of its options (it may be another module's).
 */
export function unknownEnvVars(
  env: Readonly<Record<string, string | undefined>>,
  options: ReadonlyMap<string, readonly string[]>,
): { variable: string; module: string; hint: string | undefined }[] {
  const known = new Set([...options].flatMap(([module, names]) => names.map((n) => envVarName(module, n))));
  const found: { variable: string; module: string; hint: string | undefined }[] = [];
  for (const variable of Object.keys(env)) {
    if (env[variable] === undefined || known.has(variable)) continue;
    let owner: string | undefined;
    let prefix = '';
    for (const module of options.keys()) {
      const its = envVarName(module, ''); // SCALESTACK_<MODULE>_
      if (variable.startsWith(its) && its.length > prefix.length) [owner, prefix] = [module, its];
    }
    if (owner === undefined) continue;
    const given = variable.slice(prefix.length);
    const closest = didYouMean(given, options.get(owner)!.map(envWord));
    // Past one word it may be the variable of a module not loaded whose name begins with this
    // one's (SCALESTACK_HTTP_SERVER_LISTEN beside a module "http"): a typo only if it is close.
    if (closest === undefined && given.includes('_')) continue;
    found.push({ variable, module: owner, hint: closest && `${prefix}${closest}` });
  }
  return found;
}
