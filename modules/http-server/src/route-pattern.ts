/**
 * A compiled path pattern: `/tenants/:name/pools/:id` matches `/tenants/a/pools/7` with
 * params `{ name: 'a', id: '7' }`; a final `*` matches the rest of the path (`/static/*` binds
 * `'*'`). Literal segments compare with the raw (still percent-encoded) path; params are
 * percent-decoded.
 */
export interface RoutePattern {
  readonly source: string;
  /** Null when the path does not match; the params otherwise. */
  match(segments: readonly string[]): Record<string, string> | null;
  /** True when the pattern has no params or wildcard (it can be looked up by exact path). */
  readonly isStatic: boolean;
}

type Segment = { kind: 'literal'; text: string } | { kind: 'param'; name: string } | { kind: 'rest' };

/** Compiles a pattern; throws an Error naming the pattern when it is malformed. */
export function compilePattern(source: string): RoutePattern {
  if (!source.startsWith('/')) throw new Error(`route pattern ${JSON.stringify(source)} must start with "/"`);
  const parts = splitPath(source);
  const segments: Segment[] = parts.map((part, i) => {
    if (part === '*') {
      if (i !== parts.length - 1)
        throw new Error(`route pattern ${JSON.stringify(source)}: "*" must be last`);
      return { kind: 'rest' };
    }
    if (part.startsWith(':')) {
      const name = part.slice(1);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
        throw new Error(
          `route pattern ${JSON.stringify(source)}: bad parameter name ${JSON.stringify(part)}`,
        );
      }
      return { kind: 'param', name };
    }
    return { kind: 'literal', text: part };
  });
  const isStatic = segments.every((s) => s.kind === 'literal');
  return {
    source,
    isStatic,
    match(path) {
      const params: Record<string, string> = {};
      for (let i = 0; i < segments.length; i++) {
        const seg = segments[i];
        if (seg.kind === 'rest') {
          params['*'] = decode(path.slice(i).join('/'));
          return params;
        }
        if (i >= path.length) return null;
        if (seg.kind === 'literal') {
          if (seg.text !== path[i]) return null;
        } else {
          if (path[i] === '') return null;
          params[seg.name] = decode(path[i]);
        }
      }
      return path.length === segments.length ? params : null;
    },
  };
}

/** `/a/b/` → `['a', 'b', '']`; `/` → `['']`. */
export function splitPath(path: string): string[] {
  return path.slice(1).split('/');
}

/** Thrown for a param that is not valid percent-encoding; the server answers 400. */
export class BadPathError extends Error {}

function decode(text: string): string {
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    throw new BadPathError(`path segment ${JSON.stringify(text)} is not valid percent-encoding`);
  }
}
