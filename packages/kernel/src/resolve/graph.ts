import type { ModuleDefinition } from '../contract.js';
import { definitionProblems } from './definition-problems.js';
import { ModuleResolveError, type ResolveOptions, resolveModule } from './resolve-module.js';

/** What to load: module names, paths, or definitions handed over directly. */
export type ModuleReference = string | ModuleDefinition;

/**
 * Resolves the requested modules and everything they require, and orders them so that each
 * module comes after its requirements. The order is stable: requested order, then `requires`
 * order. Every missing module, missing dependency and cycle is reported.
 */
export async function resolveGraph(
  refs: readonly ModuleReference[],
  opts: ResolveOptions & { definitions?: ReadonlyMap<string, ModuleDefinition> },
): Promise<{
  modules: ModuleDefinition[];
  errors: string[];
  /** Each string reference given (a name, a package, a path) → the name of the module it loaded. */
  resolved: Map<string, string>;
}> {
  const definitions = new Map(opts.definitions ?? []);
  const byName = new Map<string, ModuleDefinition>();
  const errors: string[] = [];
  const roots: string[] = [];
  const failed = new Set<string>();

  const add = (def: ModuleDefinition, origin: string): boolean => {
    const existing = byName.get(def.name);
    if (existing && existing !== def) {
      errors.push(`module "${def.name}" is defined twice (again by ${origin})`);
      return false;
    }
    const problems = existing ? [] : definitionProblems(def);
    if (problems.length > 0) {
      errors.push(...problems);
      return false;
    }
    byName.set(def.name, def);
    definitions.set(def.name, def);
    return true;
  };

  const load = async (ref: string, requiredBy?: string): Promise<ModuleDefinition | undefined> => {
    const known = byName.get(ref) ?? definitions.get(ref);
    if (known) {
      byName.set(known.name, known);
      return known;
    }
    if (failed.has(ref)) return undefined;
    try {
      const def = await resolveModule(ref, { cwd: opts.cwd, definitions, requiredBy });
      if (add(def, `"${ref}"`)) return def;
      failed.add(ref);
      return undefined;
    } catch (err) {
      if (!(err instanceof ModuleResolveError)) throw err;
      failed.add(ref);
      errors.push(err.message);
      return undefined;
    }
  };

  const resolved = new Map<string, string>();
  for (const ref of refs) {
    const def = typeof ref === 'string' ? await load(ref) : add(ref, 'an embedder') ? ref : undefined;
    if (def && typeof ref === 'string') resolved.set(ref, def.name);
    if (def && !roots.includes(def.name)) roots.push(def.name);
  }
  // Breadth-first over `requires` so every missing dependency is found, not just the first.
  const queue = [...roots];
  const seen = new Set(queue);
  while (queue.length > 0) {
    const def = byName.get(queue.shift()!)!;
    for (const dep of def.requires ?? []) {
      const depDef = await load(dep, def.name);
      if (depDef && !seen.has(depDef.name)) {
        seen.add(depDef.name);
        queue.push(depDef.name);
      }
    }
  }

  const ordered: ModuleDefinition[] = [];
  const done = new Set<string>();
  const stack: string[] = [];
  const reportedCycles = new Set<string>();
  const visit = (name: string): void => {
    const def = byName.get(name);
    if (!def || done.has(name)) return;
    const at = stack.indexOf(name);
    if (at >= 0) {
      const cycle = [...stack.slice(at), name];
      const key = [...cycle.slice(0, -1)].sort().join(',');
      if (!reportedCycles.has(key)) {
        reportedCycles.add(key);
        errors.push(`module dependency cycle: ${cycle.join(' -> ')}`);
      }
      return;
    }
    stack.push(name);
    for (const dep of def.requires ?? []) visit(byName.get(dep)?.name ?? dep);
    stack.pop();
    done.add(name);
    ordered.push(def);
  };
  for (const name of roots) visit(name);
  return { modules: ordered, errors, resolved };
}
