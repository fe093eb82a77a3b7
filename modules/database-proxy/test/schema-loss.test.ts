/**
 * A client's default schema that the proxy cannot put on a backend — dropped by someone else,
 * or by the client itself (a login naming one that does not exist is refused) — must never leave the client running
 * in the schema another client left on that connection (with one schema per tenant, that is
 * another tenant's tables), and must not jam the client either.
 */
import { waitFor } from '@scalestack/test-harness';
import type mysql from 'mysql2/promise';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { backendOf, failure, holdBackend, one } from './support/backends.js';
import { APP_USER, BACKEND_USER, type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { trackedClients } from './support/tracked-clients.js';

const POOL = 2;
const CLERK = { name: 'clerk', password: 'clerkpw' };
let fx: ProxyFixture;
let direct: mysql.Connection;
const clients = trackedClients(() => fx);

beforeAll(async () => {
  fx = await startProxyFixture({
    pool: POOL,
    options: {
      users: [
        { name: APP_USER.name, password: APP_USER.password, max_connections: 5000 },
        { ...CLERK, backend_user: CLERK.name, backend_password: CLERK.password },
      ],
    },
  });
  direct = await fx.direct();
  // A backend account that may use shop_a only: MariaDB answers 1044 for shop_b, not 1049.
  await direct.query(`CREATE USER '${CLERK.name}'@'%' IDENTIFIED BY '${CLERK.password}'`);
  await direct.query(`GRANT ALL ON shop_a.* TO '${CLERK.name}'@'%'`);
  for (const db of ['shop_a', 'shop_b']) {
    await direct.query(`CREATE DATABASE ${db}`);
    await direct.query(`CREATE TABLE ${db}.customers (name VARCHAR(20))`);
    await direct.query(`INSERT INTO ${db}.customers VALUES ('${db}')`);
  }
});

afterEach(() => clients.closeAll());

afterAll(async () => {
  await direct?.end();
  await fx?.stop();
});

/** Fills every backend connection with `shop_b` as its schema (the other tenant's). */
async function everyBackendIn(schema: string): Promise<void> {
  const others = await Promise.all(Array.from({ length: POOL }, () => clients.client({ database: schema })));
  await Promise.all(others.map((c) => c.query('START TRANSACTION')));
  await Promise.all(others.map((c) => c.query('SELECT 1')));
  await Promise.all(others.map((c) => c.query('COMMIT')));
}

describe('a schema the backend cannot switch to', () => {
  it('a login database that does not exist is refused (1049); a client with none never runs in another’s', async () => {
    await everyBackendIn('shop_b');
    expect((await failure(clients.client({ database: 'no_such_shop' }))).errno).toBe(1049);
    const a = await clients.client({ database: undefined });
    expect((await one(a, 'SELECT DATABASE() AS db')).db).toBeNull();
    const err = await failure(a.query('SELECT name FROM customers'));
    expect(err.errno).toBe(1046); // No database selected
    expect((await one(a, 'SELECT name FROM shop_a.customers')).name).toBe('shop_a');
    await a.query('USE shop_a');
    expect((await one(a, 'SELECT name FROM customers')).name).toBe('shop_a');
  });

  it('a login database its backend account may not use is refused (1044); a USE of it later leaves the client where it was', async () => {
    const denied = await failure(
      clients.client({ user: CLERK.name, password: CLERK.password, database: 'shop_b' }),
    );
    expect(denied.errno).toBe(1044);
    const a = await clients.client({ user: CLERK.name, password: CLERK.password, database: undefined });
    await a.query('USE shop_a');
    expect((await one(a, 'SELECT name FROM customers')).name).toBe('shop_a');
    expect((await failure(a.query('USE shop_b'))).errno).toBe(1044);
    expect((await one(a, 'SELECT name FROM customers')).name).toBe('shop_a');
  });

  it('a schema dropped by someone else: on another backend the client has none', async () => {
    await direct.query('CREATE DATABASE shop_gone');
    const a = await clients.client({ database: 'shop_gone' });
    const mine = await backendOf(a);
    await direct.query('DROP DATABASE shop_gone');
    await everyBackendIn('shop_b');
    const holder = await holdBackend(fx, mine, POOL);
    try {
      expect((await one(a, 'SELECT DATABASE() AS db')).db).toBeNull();
      expect((await failure(a.query('SELECT name FROM customers'))).errno).toBe(1046);
    } finally {
      await holder.release();
    }
  });

  it('DROP DATABASE of its own schema: the client goes on without one, on any backend', async () => {
    const a = await clients.client({ database: 'shop_a' });
    await a.query('CREATE DATABASE scratch');
    await a.query('USE scratch');
    const mine = await backendOf(a);
    await a.query('DROP DATABASE scratch');
    expect((await one(a, 'SELECT DATABASE() AS db')).db).toBeNull();
    const holder = await holdBackend(fx, mine, POOL);
    try {
      expect(await backendOf(a)).not.toBe(mine);
      expect((await one(a, 'SELECT DATABASE() AS db')).db).toBeNull();
      await a.query('USE shop_a');
      expect((await one(a, 'SELECT name FROM customers')).name).toBe('shop_a');
    } finally {
      await holder.release();
    }
  });
});

describe('a state sync that fails half way', () => {
  it('leaves the connection to nobody: its previous client still gets its own schema', async () => {
    // b's binlog_format can be set on connections opened while the proxy's account has SUPER, not
    // on ones opened after it lost it (global privileges are read at login).
    const b = await clients.client({ database: 'shop_b' });
    await b.query("SET SESSION binlog_format = 'STATEMENT'");
    await direct.query(`REVOKE SUPER, BINLOG ADMIN ON *.* FROM '${BACKEND_USER.name}'@'%'`);
    try {
      // Every connection the proxy has goes; the next one opens without SUPER.
      const [ids] = (await direct.query(
        `SELECT ID AS id FROM information_schema.PROCESSLIST WHERE USER = '${BACKEND_USER.name}'`,
      )) as [{ id: number }[], unknown];
      for (const { id } of ids) await direct.query(`KILL ${id}`);
      await waitFor(() => fx.proxy.stats().pools[0]!.open === 0, {
        what: 'the pool to notice its connections died',
      });
      const a = await clients.client({ database: 'shop_a' });
      expect((await one(a, 'SELECT name FROM customers')).name).toBe('shop_a');
      expect(fx.proxy.stats().pools[0]!.open).toBe(1);
      // b lands on that one connection: its schema becomes shop_b, then the SET is refused.
      const err = await failure(b.query('SELECT name FROM customers'));
      expect(err.message).toMatch(/could not restore session state/);
      expect(fx.proxy.stats().pools[0]!.open).toBe(1);
      expect((await one(a, 'SELECT name FROM customers')).name).toBe('shop_a');
    } finally {
      await direct.query(`GRANT ALL ON *.* TO '${BACKEND_USER.name}'@'%'`);
    }
  });
});
