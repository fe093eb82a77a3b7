import {
  Kernel,
  KernelConfigError,
  type LoadOptions,
  type ModuleDefinition,
  type OptionSchema,
} from '@scalestack/kernel';
import { pino } from 'pino';

export const silent = pino({ level: 'silent' });

/** Loads one module named "echo-server" with the given schema and sources; returns its values or the errors. */
export async function loadEcho(
  options: OptionSchema,
  sources: Omit<LoadOptions, 'modules'> & { raw?: Record<string, unknown> } = {},
): Promise<{ values?: Record<string, unknown>; errors?: readonly string[] }> {
  const def: ModuleDefinition = { name: 'echo-server', description: 'test', options };
  const kernel = new Kernel({ logger: silent, definitions: [def] });
  const { raw, ...rest } = sources;
  try {
    await kernel.load({
      modules: ['echo-server'],
      env: {},
      ...(raw ? { config: { modules: { 'echo-server': raw } } } : {}),
      ...rest,
    });
  } catch (err) {
    if (err instanceof KernelConfigError) return { errors: err.errors };
    throw err;
  }
  return { values: kernel.optionsOf('echo-server') };
}
