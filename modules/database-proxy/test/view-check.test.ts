/**
 * The proxy learns which views hide a write (a stored function in the definition) from the
 * server, at start and every `view_check_interval`, so also views created behind its back (its
 * own clients' view DDL makes it check at once: pipelining.test.ts, which also shows what
 * stacking a read of such a view would do).
 */
import { waitFor } from '@scalestack/test-harness';
import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';

let fx: ProxyFixture;
let admin: mysql.Connection;

beforeAll(async () => {
  fx = await startProxyFixture({ pool: 3, options: { view_check_interval: '200ms' } });
  admin = await fx.direct();
  await admin.query('CREATE TABLE touched (a INT)');
  await admin.query(
    'CREATE FUNCTION touch() RETURNS INT MODIFIES SQL DATA BEGIN INSERT INTO touched VALUES (1); RETURN 1; END',
  );
});

afterAll(async () => {
  await admin?.end();
  await fx?.stop();
});

const impureViews = () => fx.proxy.stats().pipeline.impureViews;

describe('view check', () => {
  it('finds a view created or dropped behind its back at the next check', async () => {
    await waitFor(() => impureViews() !== null, { what: 'the first check' });
    const known = impureViews()!;
    await admin.query('CREATE VIEW elsewhere_v AS SELECT touch() AS n');
    await waitFor(() => impureViews() === known + 1, { what: 'the check to find elsewhere_v' });
    await admin.query('DROP VIEW elsewhere_v');
    await waitFor(() => impureViews() === known, { what: 'the check to see it gone' });
  });
});
