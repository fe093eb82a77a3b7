import { envVarName, type ModuleDefinition } from '@scalestack/kernel';

function formatDefault(raw: unknown): string {
  return typeof raw === 'string' ? raw : JSON.stringify(raw);
}

/** The `run <module...> --help` text: every option of every module with type, default and description. */
export function formatModuleHelp(modules: readonly ModuleDefinition[]): string {
  let out = '';
  for (const def of modules) {
    const requires = def.requires?.length ? ` (requires: ${def.requires.join(', ')})` : '';
    out += `\n${def.name} — ${def.description}${requires}\n`;
    const entries = Object.entries(def.options ?? {});
    if (entries.length === 0) out += '  (no options)\n';
    for (const [name, spec] of entries) {
      const value = spec.required
        ? 'required'
        : spec.defaultRaw === undefined
          ? 'optional'
          : `default: ${formatDefault(spec.defaultRaw)}`;
      out += `  --${def.name}.${name}=<${spec.type}>\n`;
      out += `      ${spec.description || '(no description)'} [${value}; env ${envVarName(def.name, name)}]\n`;
    }
  }
  return out;
}
