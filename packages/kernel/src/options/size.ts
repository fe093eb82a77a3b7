import { buildOption, invalid, type OptionBuilder } from './builder.js';
import { describeBounds, inRange, type RangeOptions } from './integer.js';

const UNIT_BYTES: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};
const SIZE_TEXT = /^(\d+(?:\.\d+)?|\.\d+)\s*([kmgt]i?b|b)?$/i;

/**
 * Parses `512B`, `64KiB`, `1MiB`, `2GB` (KB/MB/GB are powers of 1000, KiB/MiB/GiB of 1024) or a
 * bare number of bytes; `undefined` unless it is a whole number of bytes.
 */
export function parseSize(raw: unknown): number | undefined {
  let bytes: number;
  if (typeof raw === 'number') bytes = raw;
  else if (typeof raw === 'string') {
    const match = SIZE_TEXT.exec(raw.trim());
    if (!match) return undefined;
    bytes = Number(match[1]) * UNIT_BYTES[(match[2] ?? 'b').toLowerCase()]!;
  } else return undefined;
  return Number.isSafeInteger(bytes) && bytes >= 0 ? bytes : undefined;
}

/** A size, as a number of bytes. */
export function sizeOption(
  defaultValue: string | number | undefined,
  description: string,
  range: RangeOptions = {},
): OptionBuilder<number> {
  const base = 'a size such as 512B, 64KiB, 1MiB or 2GB (a bare number is bytes)';
  const bounds = describeBounds(range, (n) => `${n} bytes`);
  const expected = bounds === '' ? base : `${base}, ${bounds}`;
  return buildOption({
    type: 'size',
    description,
    expected,
    defaultRaw: defaultValue,
    parse(raw, path) {
      const bytes = parseSize(raw);
      if (bytes === undefined || !inRange(bytes, range)) throw invalid(path, raw, expected);
      return bytes;
    },
  });
}
