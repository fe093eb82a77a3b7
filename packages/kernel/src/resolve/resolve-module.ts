import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, join, resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ModuleDefinition } from '../contract.js';
import { didYouMean } from '../did-you-mean.js';
import { installedModuleNames } from './installed-names.js';

/** Thrown when a module cannot be found or loaded; the message is ready for an operator. */
export class ModuleResolveError extends Error {
  override name = 'ModuleResolveError';

  constructor(
    message: string,
    /** Why: nothing of that name, something without a module, or a module that failed to import. */
    readonly reason: 'not-found' | 'no-module' | 'load-failed' | 'invalid' = 'invalid',
  ) {
    super(message);
  }
}

export interface ResolveOptions {
  /** Directory that relative paths and the application's packages are resolved from. */
  cwd: string;
}

/** True for references that name a file rather than a module: `./x.js`, `../x.js`, `/abs/x.js`. */
export function isPathReference(ref: string): boolean {
  return ref.startsWith('./') || ref.startsWith('../') || isAbsolute(ref);
}

/** Whether a value has the shape of a module definition. */
export function isModuleDefinition(value: unknown): value is ModuleDefinition {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.name === 'string' && v.name !== '' && typeof v.description === 'string';
}

/** The module exported by an imported file or package: its default export or a named `module`. */
export function moduleOf(exports: Record<string, unknown>): ModuleDefinition | undefined {
  if (isModuleDefinition(exports.default)) return exports.default;
  if (isModuleDefinition(exports.module)) return exports.module;
  return undefined;
}

/** Package specifiers tried, in order, for a module name. */
export function packageCandidates(name: string): string[] {
  return [`@scalestack/${name}/module`, `@scalestack/${name}`, `scalestack-module-${name}`];
}

const kernelRequire = createRequire(import.meta.url);

function tryResolve(req: NodeJS.Require, specifier: string): string | undefined {
  try {
    return req.resolve(specifier);
  } catch {
    return undefined;
  }
}

async function importFrom(specifier: string, what: string): Promise<Record<string, unknown>> {
  try {
    return (await import(specifier)) as Record<string, unknown>;
  } catch (err) {
    throw new ModuleResolveError(
      `${what}: failed to load (${(err as Error).message.split('\n')[0]})`,
      'load-failed',
    );
  }
}

async function resolveByPath(ref: string, cwd: string): Promise<ModuleDefinition> {
  const file = resolvePath(cwd, ref);
  if (!existsSync(file)) throw new ModuleResolveError(`module "${ref}": no such file ${file}`, 'not-found');
  const def = moduleOf(await importFrom(pathToFileURL(file).href, `module "${ref}"`));
  if (!def) {
    throw new ModuleResolveError(
      `module "${ref}": ${file} exports no module (expected a default export or a named export "module" with name and description)`,
      'no-module',
    );
  }
  return def;
}

/**
 * Finds the package for a module name, trying `@scalestack/<name>` (its `./module` export first)
 * and `scalestack-module-<name>`, from the application's directory and from the kernel's own
 * location. Returns `undefined` when no package of those names is installed.
 */
async function resolveByName(name: string, cwd: string): Promise<ModuleDefinition | undefined> {
  const appRequire = createRequire(join(cwd, 'package.json'));
  const withoutModule: string[] = [];
  for (const specifier of packageCandidates(name)) {
    const fromKernel = tryResolve(kernelRequire, specifier);
    const fromApp = tryResolve(appRequire, specifier);
    if (!fromKernel && !fromApp) continue;
    // A bare import lets the host's resolver apply its own conditions (e.g. sources under vitest).
    const target = fromApp && fromApp !== fromKernel ? pathToFileURL(fromApp).href : specifier;
    const def = moduleOf(await importFrom(target, `module "${name}" (package ${specifier})`));
    if (!def) {
      if (specifier.endsWith('/module')) {
        throw new ModuleResolveError(
          `module "${name}": ${specifier} exports no module definition`,
          'no-module',
        );
      }
      withoutModule.push(specifier);
      continue;
    }
    if (def.name !== name) {
      throw new ModuleResolveError(
        `module "${name}": package ${specifier} exports a module named "${def.name}"`,
      );
    }
    return def;
  }
  if (withoutModule.length > 0) {
    throw new ModuleResolveError(
      `module "${name}": package ${withoutModule.join(', ')} exports no module (expected a default export or a named export "module")`,
      'no-module',
    );
  }
  return undefined;
}

/**
 * Resolves a module reference (a name or a path) to its definition. `definitions` (modules handed
 * over by an embedder) are looked up first. `requiredBy` only shapes the error message.
 */
export async function resolveModule(
  ref: string,
  opts: ResolveOptions & { definitions: ReadonlyMap<string, ModuleDefinition>; requiredBy?: string },
): Promise<ModuleDefinition> {
  const given = opts.definitions.get(ref);
  if (given) return given;
  if (isPathReference(ref)) return resolveByPath(ref, opts.cwd);
  if (!/^[A-Za-z0-9][\w.-]*$/.test(ref)) {
    throw new ModuleResolveError(
      `module "${ref}": not a module name (letters, digits, "-", "_", ".") or a path`,
    );
  }
  const def = await resolveByName(ref, opts.cwd);
  if (def) return def;
  const hint = didYouMean(ref, [...opts.definitions.keys(), ...installedModuleNames(opts.cwd)]);
  const looked =
    `looked for ${packageCandidates(ref).slice(1).join(' and ')} from ${opts.cwd} and the kernel's location` +
    (hint ? `; did you mean "${hint}"?` : '');
  if (opts.requiredBy) {
    throw new ModuleResolveError(
      `module "${ref}", required by "${opts.requiredBy}", was not found (${looked})`,
      'not-found',
    );
  }
  throw new ModuleResolveError(`module "${ref}" was not found (${looked})`, 'not-found');
}
