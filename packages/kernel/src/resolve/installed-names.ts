import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Every `node_modules` directory from `start` up to the root. */
export function nodeModulesDirs(start: string): string[] {
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

/**
 * Module names suggested by installed package names (`@scalestack/<name>`,
 * `scalestack-module-<name>`) seen from `cwd` and from the kernel's own location. Cheap: reads
 * directories only, imports nothing, so some names may turn out to be plain libraries.
 */
export function installedModuleNames(cwd: string): string[] {
  const names = new Set<string>();
  for (const dir of [...nodeModulesDirs(cwd), ...nodeModulesDirs(import.meta.dirname)]) {
    for (const name of safeReaddir(join(dir, '@scalestack'))) names.add(name);
    for (const entry of safeReaddir(dir)) {
      if (entry.startsWith('scalestack-module-')) names.add(entry.slice('scalestack-module-'.length));
    }
  }
  return [...names].sort();
}
