const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PATTERN = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/;

/**
 * Reads a duration in milliseconds: a number (milliseconds) or a string such as `250ms`, `5s`,
 * `1.5s`, `2m`, `1h`. Returns `undefined` when the value is not a non-negative finite duration.
 */
export function parseDurationMs(raw: unknown): number | undefined {
  if (typeof raw === 'number') return Number.isFinite(raw) && raw >= 0 ? raw : undefined;
  if (typeof raw !== 'string') return undefined;
  const match = PATTERN.exec(raw);
  if (match === null) return undefined;
  return Number(match[1]) * UNITS[match[2]!]!;
}
