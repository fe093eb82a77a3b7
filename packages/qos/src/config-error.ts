/** A bad tenant or scheduler setting: names the tenant, the option, the value and what fits. */
export class QosConfigError extends Error {
  constructor(
    /** The tenant whose setting is wrong, or `undefined` for a scheduler-wide option. */
    readonly tenant: string | undefined,
    readonly option: string,
    readonly value: unknown,
    readonly expected: string,
  ) {
    const where = tenant === undefined ? `qos: ${option}` : `qos: tenant '${tenant}': ${option}`;
    super(`${where}: got ${show(value)}, expected ${expected}`);
    this.name = 'QosConfigError';
  }
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object' && value !== null) {
    try {
      return JSON.stringify(value);
    } catch {
      return String(value);
    }
  }
  return String(value);
}
