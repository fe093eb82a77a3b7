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
