import { buildOption, invalid, type OptionBuilder } from './builder.js';

/** One of a fixed set of strings; the value's type is the union of them. */
export function enumOption<const V extends string>(
  values: readonly V[],
  defaultValue: NoInfer<V> | undefined,
  description: string,
): OptionBuilder<V> {
  const expected = `one of ${values.map((v) => `"${v}"`).join(', ')}`;
  return buildOption({
    type: `enum(${values.join('|')})`,
    description,
    expected,
    defaultRaw: defaultValue,
    parse(raw, path) {
      const text = typeof raw === 'string' ? raw.trim() : raw;
      if (!values.includes(text as V)) throw invalid(path, raw, expected);
      return text as V;
    },
  });
}
