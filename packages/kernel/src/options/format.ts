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
const SECRET_FIELD = /(^|[_.-])(password|passwd|secret|token|hash)$/i;
/** The same names in camel case (`backendPassword`, `nativeHash`). */
const SECRET_FIELD_CAMEL = /[a-z\d](Password|Passwd|Secret|Token|Hash)$/;

/** Whether a field or option name is a secret's. */
export function isSecretName(name: string): boolean {
  return SECRET_FIELD.test(name) || SECRET_FIELD_CAMEL.test(name);
}

/** Whether the option or field at the end of `path` holds a secret. */
export function isSecretPath(path: readonly (string | number)[]): boolean {
  for (let i = path.length - 1; i >= 0; i--) {
    const part = path[i];
    if (typeof part === 'string') return isSecretName(part);
  }
  return false;
}

/** A secret field's name anywhere in a text. */
const SECRET_MENTION = /password|passwd|secret|token|_hash\b/i;
const SECRET_MENTION_CAMEL = /[a-z\d]Hash\b/;
const mentionsSecret = (text: string) => SECRET_MENTION.test(text) || SECRET_MENTION_CAMEL.test(text);
/** A secret field given a value in a text (`password=…`, `"token": …`). */
const SECRET_ASSIGNMENT = /(?:password|passwd|secret|token|_hash)["'`]?\s*[:=]/i;
const SECRET_ASSIGNMENT_CAMEL = /[a-z\d]Hash["'`]?\s*[:=]/;
const assignsSecret = (text: string) => SECRET_ASSIGNMENT.test(text) || SECRET_ASSIGNMENT_CAMEL.test(text);

const hideSecrets = (key: string, v: unknown) => (key !== '' && isSecretName(key) ? '(hidden)' : v);

/** The brackets of IPv6 addresses (`[::1]:3306`), which do not make a text JSON. */
const IPV6_BRACKETS = /\[[\da-f.]*:[\da-f.:]*(%[\w.-]+)?\]/gi;

/**
 * Whether a text (from the environment or command line) is meant as JSON: it holds a `{` or a `[`
 * anywhere, other than an IPv6 address's. Such text is a JSON value or invalid as a whole, never
 * cut at its commas: a piece of it, or of a secret in it, would not read as part of a secret.
 */
export function looksLikeJson(text: string): boolean {
  return /[[{]/.test(text.replace(IPV6_BRACKETS, ''));
}

/**
 * The JSON of a text: the text, trimmed, or what one pair of matching quotes around it holds when
 * that is a JSON object or array (`'{…}'`: `docker --env-file` keeps the quotes of a value).
 */
export function unquoteJson(text: string): string {
  const trimmed = text.trim();
  const quoted = /^(['"])\s*([[{][\s\S]*[\]}])\s*\1$/.exec(trimmed);
  return quoted ? quoted[2]! : trimmed;
}

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
    let parsed: unknown;
    if (looksLikeJson(value)) {
      try {
        parsed = JSON.parse(unquoteJson(value));
      } catch {
        // Not JSON after all (a typo, most likely): its secret values cannot be told apart, and
        // a field name may be written with an escape (`"pass\u0077ord"`).
        if (mentionsSecret(value)) return 'JSON text not shown (it does not parse, and names a secret field)';
        if (/\\u/i.test(value))
          return 'JSON text not shown (it does not parse, and a \\u escape in it may spell a secret field)';
      }
    }
    if (parsed !== null && typeof parsed === 'object') shown = parsed;
    // Other text giving a secret field a value (`password=…`, a piece of JSON) is not shown
    // either; a value that only contains such a word (`sha256_password`) is.
    else if (assignsSecret(value)) return 'text not shown (it names a secret field)';
  }
  let text: string;
  try {
    text = JSON.stringify(shown, hideSecrets) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
