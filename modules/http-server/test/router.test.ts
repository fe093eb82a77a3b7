import { describe, expect, it } from 'vitest';
import { Router } from '../src/index.js';

const h = () => {};

describe('Router', () => {
  it('finds exact and pattern routes, params decoded', () => {
    const r = new Router();
    r.route('GET', '/a', h);
    r.route('GET', '/t/:name/p/:id', h);
    expect(r.lookup('GET', '/a').kind).toBe('found');
    const m = r.lookup('GET', '/t/x%2Fy/p/7');
    expect(m.kind === 'found' && m.params).toEqual({ name: 'x/y', id: '7' });
    expect(r.lookup('GET', '/t/x/p').kind).toBe('not-found');
    expect(r.lookup('GET', '/t/x/p/7/8').kind).toBe('not-found');
    expect(r.lookup('GET', '/t//p/7').kind).toBe('not-found');
  });

  it('lists allowed methods for 405, with HEAD for GET', () => {
    const r = new Router();
    r.route(['GET', 'PUT'], '/x/:id', h);
    expect(r.lookup('POST', '/x/1')).toEqual({
      kind: 'method-not-allowed',
      allow: ['GET', 'HEAD', 'OPTIONS', 'PUT'],
    });
    expect(r.lookup('HEAD', '/x/1').kind).toBe('found');
  });

  it('refuses duplicates and malformed patterns, and removes routes', () => {
    const r = new Router();
    const remove = r.route('GET', '/x', h);
    expect(() => r.route('GET', '/x', h)).toThrow(/GET \/x is already registered/);
    expect(() => r.route('GET', 'x', h)).toThrow(/must start with "\/"/);
    expect(() => r.route('GET', '/*/x', h)).toThrow(/"\*" must be last/);
    expect(() => r.route('GET', '/:1bad', h)).toThrow(/bad parameter name/);
    expect(() => r.route('get', '/y', h)).toThrow(/bad method/);
    remove();
    expect(r.lookup('GET', '/x').kind).toBe('not-found');
    r.route('GET', '/x', h);
  });
});
