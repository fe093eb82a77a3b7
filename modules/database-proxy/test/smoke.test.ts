import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';

describe('database-proxy smoke', () => {
  let fx: ProxyFixture;
  beforeAll(async () => {
    fx = await startProxyFixture({ pool: 2 });
  });
  afterAll(async () => {
    await fx?.stop();
  });

  it('answers queries through the proxy', async () => {
    const c = await fx.connect();
    const [rows] = await c.query('SELECT 1 + 1 AS two, DATABASE() AS db');
    expect(rows).toEqual([{ two: 2, db: 'test' }]);
    const [r2] = await c.execute('SELECT ? + 1 AS x', [41]);
    expect(r2).toEqual([{ x: 42 }]);
    await c.end();
  });
});
