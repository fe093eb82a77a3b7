import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ModuleResolveError, resolveModule } from './resolve-module.js';

/** A module that could be loaded by name. */
export interface InstalledModule {
  name: string;
  description: string;
  requires: readonly string[];
}

/** Every `node_modules` directory from `start` up to the root. */
function nodeModulesDirs(start: string): string[] {
  const dirs: string[] = [];
  for (let dir = start; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules');
    if (existsSync(candidate)) dirs.push(candidate);
    if (dirname(dir) === dir) return dirs;
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Module names suggested by installed package names: `@scalestack/<name>` and `scalestack-module-<name>`. */
function candidateNames(nodeModules: string): string[] {
  const names = safeReaddir(join(nodeModules, '@scalestack'));
  for (const entry of safeReaddir(nodeModules)) {
    if (entry.startsWith('scalestack-module-')) names.push(entry.slice('scalestack-module-'.length));
  }
  return names;
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
  const names = new Set<string>();
  for (const dir of [...nodeModulesDirs(cwd), ...nodeModulesDirs(import.meta.dirname)]) {
    for (const name of candidateNames(dir)) names.add(name);
  }
  const modules: InstalledModule[] = [];
  const problems: string[] = [];
  for (const name of [...names].sort()) {
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
