import { installedModuleNames } from './installed-names.js';
import { ModuleResolveError, resolveModule } from './resolve-module.js';

/** A module that could be loaded by name. */
export interface InstalledModule {
  name: string;
  description: string;
  requires: readonly string[];
}

/**
 * Lists the modules that can be loaded by name: installed `@scalestack/*` packages that export a
 * module and `scalestack-module-*` packages, seen from `cwd` and from the kernel's own location.
 * Packages that are plain libraries are skipped; packages that fail to import are returned as
 * problems so an operator can see why a module is missing.
 */
export async function discoverModules(
  cwd: string = process.cwd(),
): Promise<{ modules: InstalledModule[]; problems: string[] }> {
  const modules: InstalledModule[] = [];
  const problems: string[] = [];
  for (const name of installedModuleNames(cwd)) {
    try {
      const def = await resolveModule(name, { cwd, definitions: new Map() });
      modules.push({ name: def.name, description: def.description, requires: def.requires ?? [] });
    } catch (err) {
      if (!(err instanceof ModuleResolveError)) throw err;
      if (err.reason === 'load-failed' || err.reason === 'invalid') problems.push(err.message);
    }
  }
  return { modules, problems };
}
