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

  it('reads every view whatever session the connection it borrows was left in (sql_select_limit, utf16 results)', async () => {
    await waitFor(() => impureViews() !== null, { what: 'the first check' });
    const known = impureViews()!;
    // Every pooled connection is left by a client in a session that cuts or garbles a list.
    const leavers = await Promise.all(Array.from({ length: 3 }, () => fx.connect()));
    for (const c of leavers) {
      await c.query('BEGIN');
      await c.query('SELECT 1');
    }
    await leavers[0]!.query('SET SESSION sql_select_limit = 1');
    await leavers[1]!.query('SET SESSION sql_select_limit = 1, character_set_results = utf16');
    await leavers[2]!.query('SET SESSION sql_select_limit = 1, character_set_results = utf32');
    for (const c of leavers) {
      await c.query('COMMIT');
      await c.end();
    }
    for (const name of ['left_v1', 'left_v2', 'left_v3'])
      await admin.query(`CREATE VIEW ${name} AS SELECT touch() AS n`);
    await waitFor(() => impureViews() === known + 3, { what: 'the check to find all three views' });
    for (const name of ['left_v1', 'left_v2', 'left_v3']) await admin.query(`DROP VIEW ${name}`);
    await waitFor(() => impureViews() === known, { what: 'the check to see them gone' });
  });
});
