import { createToken, type Token } from '@scalestack/kernel';
import { compilePattern, type RoutePattern, splitPath } from './route-pattern.js';
import type { HttpHandler } from './types.js';

/** The route table other modules add to; resolve it with {@link HTTP_ROUTES}. */
export interface HttpRouter {
  /**
   * Routes `method` (or several) on `pattern` (`/tenants/:name`, `/files/*`) to `handler`.
   * Returns a function that removes the route. Throws when the same method and pattern are
   * already routed.
   */
  route(method: string | readonly string[], pattern: string, handler: HttpHandler): () => void;
}

/** The service token under which the `http-server` module provides its {@link HttpRouter}. */
export const HTTP_ROUTES: Token<HttpRouter> = createToken<HttpRouter>('http-routes');

/** The outcome of looking up a request. */
export type RouteMatch =
  | { kind: 'found'; handler: HttpHandler; params: Record<string, string> }
  | { kind: 'method-not-allowed'; allow: string[] }
  | { kind: 'not-found' };

interface Route {
  readonly method: string;
  readonly pattern: RoutePattern;
  readonly handler: HttpHandler;
}

const NO_PARAMS: Record<string, string> = Object.freeze({}) as Record<string, string>;

/**
 * A route table: exact paths are found through a map, patterns by trying each in the order
 * they were added. HEAD falls back to GET routes (the server drops the body).
 */
export class Router implements HttpRouter {
  private readonly exact = new Map<string, Map<string, HttpHandler>>();
  private readonly patterns: Route[] = [];

  route(method: string | readonly string[], pattern: string, handler: HttpHandler): () => void {
    const methods = typeof method === 'string' ? [method] : [...method];
    const compiled = compilePattern(pattern);
    for (const m of methods) {
      if (!/^[A-Z][A-Z0-9_-]*$/.test(m)) throw new Error(`route ${pattern}: bad method ${JSON.stringify(m)}`);
      if (this.has(m, pattern)) throw new Error(`route ${m} ${pattern} is already registered`);
    }
    for (const m of methods) {
      if (compiled.isStatic) {
        let byMethod = this.exact.get(pattern);
        if (!byMethod) {
          byMethod = new Map();
          this.exact.set(pattern, byMethod);
        }
        byMethod.set(m, handler);
      } else {
        this.patterns.push({ method: m, pattern: compiled, handler });
      }
    }
    return () => {
      for (const m of methods) {
        if (compiled.isStatic) {
          const byMethod = this.exact.get(pattern);
          if (byMethod?.get(m) === handler) byMethod.delete(m);
          if (byMethod?.size === 0) this.exact.delete(pattern);
        } else {
          const i = this.patterns.findIndex(
            (r) => r.method === m && r.pattern.source === pattern && r.handler === handler,
          );
          if (i >= 0) this.patterns.splice(i, 1);
        }
      }
    };
  }

  /** Finds the handler for `method` on `path` (the path part of the target, still encoded). */
  lookup(method: string, path: string): RouteMatch {
    const byMethod = this.exact.get(path);
    if (byMethod) {
      const handler = byMethod.get(method) ?? (method === 'HEAD' ? byMethod.get('GET') : undefined);
      if (handler) return { kind: 'found', handler, params: NO_PARAMS };
    }
    const allow = new Set<string>(byMethod ? byMethod.keys() : []);
    if (this.patterns.length > 0) {
      const segments = splitPath(path);
      let headFallback: RouteMatch | undefined;
      for (const route of this.patterns) {
        const params = route.pattern.match(segments);
        if (params === null) continue;
        if (route.method === method) return { kind: 'found', handler: route.handler, params };
        if (method === 'HEAD' && route.method === 'GET' && !headFallback) {
          headFallback = { kind: 'found', handler: route.handler, params };
        }
        allow.add(route.method);
      }
      if (headFallback) return headFallback;
    }
    if (allow.size === 0) return { kind: 'not-found' };
    if (allow.has('GET')) allow.add('HEAD');
    allow.add('OPTIONS');
    return { kind: 'method-not-allowed', allow: [...allow].sort() };
  }

  private has(method: string, pattern: string): boolean {
    if (this.exact.get(pattern)?.has(method)) return true;
    return this.patterns.some((r) => r.method === method && r.pattern.source === pattern);
  }
}
