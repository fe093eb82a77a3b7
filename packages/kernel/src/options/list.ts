import type { OptionSpec, OptionValueError } from '../contract.js';
import { buildOption, invalid, type OptionBuilder } from './builder.js';
import { OptionValueErrors, valueErrorsOf } from './errors.js';
import { looksLikeJson, unquoteJson } from './format.js';

/**
 * Turns text from the environment or command line into list items: when it holds JSON brackets
 * (`[` or `{` anywhere, an IPv6 address's aside; see {@link looksLikeJson}), a JSON array, or one
 * JSON object (the one user or server an operator gave), possibly inside one pair of quotes
 * (`'{…}'`, as `docker --env-file` keeps them); otherwise comma-separated (an empty string is an
 * empty list). JSON is never cut at its commas: the pieces would be shown in errors, and a piece
 * of a secret does not read as one.
 */
function itemsFromText(text: string): unknown[] | undefined {
  if (looksLikeJson(text)) {
    try {
      const parsed: unknown = JSON.parse(unquoteJson(text));
      if (Array.isArray(parsed)) return parsed;
      return parsed !== null && typeof parsed === 'object' ? [parsed] : undefined;
    } catch {
      return undefined;
    }
  }
  const trimmed = text.trim();
  return trimmed === '' ? [] : trimmed.split(',').map((item) => item.trim());
}

/** What a list may require of its items besides each one's own spec. */
export interface ListConstraints<T> {
  /** The fewest items the list may hold (a proxy with no upstream is a mistake, not a service). */
  min?: number;
  /**
   * A field of object items whose values must all differ (users, servers and tenants by name):
   * with two of one name, which one counts would be an accident of the file's order. Items
   * that leave the field unset are not compared (an optional name defaults to something else).
   */
  unique?: keyof T & string;
}

/** A list of values of one spec. Every bad item is reported, each with its index. */
export function listOption<T>(
  item: OptionSpec<T>,
  defaultValue: readonly unknown[] | string | undefined,
  description: string,
  { min = 0, unique }: ListConstraints<T> = {},
): OptionBuilder<T[]> {
  const shape = `a list of ${item.expected} (comma-separated or a JSON array)`;
  const expected = min > 0 ? `${shape} with at least ${min} item${min === 1 ? '' : 's'}` : shape;
  return buildOption({
    type: `list<${item.type}>`,
    description,
    expected,
    defaultRaw: defaultValue,
    parse(raw, path) {
      const items = typeof raw === 'string' ? itemsFromText(raw) : Array.isArray(raw) ? raw : undefined;
      if (!items) throw invalid(path, raw, expected);
      const values: T[] = [];
      const errors: OptionValueError[] = [];
      items.forEach((value, index) => {
        const itemPath = [...path, index];
        if (value === undefined || value === null) {
          errors.push(invalid(itemPath, value, item.expected));
          return;
        }
        try {
          values.push(item.parse(value, itemPath));
        } catch (err) {
          errors.push(...valueErrorsOf(err));
        }
      });
      if (unique !== undefined && errors.length === 0) {
        const firstAt = new Map<unknown, number>();
        values.forEach((value, index) => {
          const key = value[unique];
          if (key === undefined) return;
          const first = firstAt.get(key);
          if (first === undefined) firstAt.set(key, index);
          else
            errors.push(
              invalid(
                [...path, index, unique],
                key,
                `a ${unique} no other item has (item ${first} has it too)`,
              ),
            );
        });
      }
      if (errors.length > 0) throw new OptionValueErrors(errors);
      if (values.length < min) throw invalid(path, raw, expected);
      return values;
    },
  });
}
