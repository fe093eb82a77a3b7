/** Formats an option path such as `['users', 1, 'max_connections']` as `users[1].max_connections`. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? part : `.${part}`;
  }
  return out;
}

/**
 * Option fields whose values an error message never shows: passwords, and the hashes that stand
 * for them (a mysql_native_password hash is enough to log in). Error messages end up in logs.
 */
const SECRET_FIELD = /(^|_)(password|passwd|secret|token|hash)$/i;

/** Whether the option or field at the end of `path` holds a secret. */
export function isSecretPath(path: readonly (string | number)[]): boolean {
  for (let i = path.length - 1; i >= 0; i--) {
    const part = path[i];
    if (typeof part === 'string') return SECRET_FIELD.test(part);
  }
  return false;
}

/** A secret field's name anywhere in a text. */
const SECRET_MENTION = /password|passwd|secret|token|_hash\b/i;

const hideSecrets = (key: string, v: unknown) => (key !== '' && SECRET_FIELD.test(key) ? '(hidden)' : v);

/**
 * Formats a raw value for an error message: JSON text, shortened so one bad value cannot flood a
 * log. With the option's `path`, a secret (see {@link isSecretPath}) is not shown, nor are the
 * secret fields of an object or list (also when they come as JSON text, from the command line).
 */
export function formatValue(value: unknown, path: readonly (string | number)[] = []): string {
  if (value === undefined) return 'nothing';
  if (isSecretPath(path)) return 'a value not shown (a secret)';
  let shown = value;
  if (typeof value === 'string') {
    let parsed = false;
    if (/^\s*[[{]/.test(value)) {
      try {
        shown = JSON.parse(value);
        parsed = true;
      } catch {
        // Not JSON after all (a typo, most likely): its secret values cannot be told apart.
        if (SECRET_MENTION.test(value))
          return 'JSON text not shown (it does not parse, and names a secret field)';
      }
    }
    // Other text naming a secret field (`password=…`, a piece of JSON) is not shown either.
    if (!parsed && SECRET_MENTION.test(value)) return 'text not shown (it names a secret field)';
  }
  let text: string;
  try {
    text = JSON.stringify(shown, hideSecrets) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
