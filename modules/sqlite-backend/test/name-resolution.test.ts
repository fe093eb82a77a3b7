import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Running, startBackend } from './support/start.js';

async function errnoOf(p: Promise<unknown>): Promise<number | string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return (err as { errno: number }).errno;
  }
}

// main.orders holds 'main'; shop.orders 'shop'; shop.items, shop.only_shop and shop.to_drop exist
// only in shop. SQLite alone would find a name main lacks in shop: each case is one such reach.
describe('unqualified table names resolve in the session’s database only', () => {
  let backend: Running;
  let c: mysql.Connection;
  beforeAll(async () => {
    backend = await startBackend();
    c = await backend.connect();
    await c.query('CREATE TABLE orders (id INT, v VARCHAR(10))');
    await c.query("INSERT INTO orders VALUES (1, 'main')");
    await c.query('CREATE DATABASE shop');
    await c.query('CREATE TABLE shop.orders (id INT, v VARCHAR(10))');
    await c.query("INSERT INTO shop.orders VALUES (1, 'shop')");
    await c.query('CREATE TABLE shop.items (id INT, oid INT)');
    await c.query('INSERT INTO shop.items VALUES (10, 1)');
    await c.query('CREATE TABLE shop.only_shop (id INT)');
    await c.query('INSERT INTO shop.only_shop VALUES (7)');
    await c.query('CREATE TABLE shop.to_drop (id INT)');
  });
  afterAll(async () => {
    await c?.end();
    await backend?.stop();
  });

  async function inShop<T>(run: (s: mysql.Connection) => Promise<T>): Promise<T> {
    const s = await backend.connect({ multipleStatements: true });
    try {
      await s.query('USE shop');
      return await run(s);
    } finally {
      await s.end();
    }
  }

  it('after USE main, DROP TABLE of a name main lacks is 1051 and drops nothing of another database', async () => {
    const s = await backend.connect();
    try {
      await s.query('USE shop');
      await s.query('USE main');
      const errno = await errnoOf(s.query('DROP TABLE to_drop'));
      const [rows] = await c.query<mysql.RowDataPacket[]>(
        "SELECT name FROM shop.sqlite_master WHERE name = 'to_drop'",
      );
      expect({ errno, stillThere: rows.length }).toEqual({ errno: 1051, stillThere: 1 });
    } finally {
      await s.end();
    }
  });

  it('in main (where a connection without a database starts) INSERT into a table only shop has is 1146, shop untouched', async () => {
    const s = await backend.connect();
    try {
      const errno = await errnoOf(s.query('INSERT INTO only_shop VALUES (8)'));
      const [rows] = await c.query<mysql.RowDataPacket[]>('SELECT id FROM shop.only_shop ORDER BY id');
      expect({ errno, rows }).toEqual({ errno: 1146, rows: [{ id: 7 }] });
    } finally {
      await s.end();
    }
  });

  it('with no database selected (the session’s was dropped) an unqualified table is 1046', async () => {
    const s = await backend.connect();
    try {
      await s.query('CREATE DATABASE gone');
      await s.query('USE gone');
      await s.query('DROP DATABASE gone');
      expect(await errnoOf(s.query('INSERT INTO only_shop VALUES (8)'))).toBe(1046);
      expect(await errnoOf(s.query('SELECT * FROM orders'))).toBe(1046);
      expect(await errnoOf(s.query('CREATE TABLE t (x INT)'))).toBe(1046);
      // SHOW … listed main's tables as if it were selected.
      for (const show of [
        'SHOW TABLES',
        'SHOW FULL TABLES',
        'SHOW COLUMNS FROM orders',
        'DESCRIBE orders',
        'SHOW CREATE TABLE orders',
      ])
        expect({ show, errno: await errnoOf(s.query(show)) }).toEqual({ show, errno: 1046 });
      const [shopTables] = await s.query<mysql.RowDataPacket[]>('SHOW TABLES FROM shop LIKE ?', ['orders']);
      expect(shopTables).toEqual([{ Tables_in_shop: 'orders' }]);
      const [columns] = await s.query<mysql.RowDataPacket[]>('SHOW COLUMNS FROM orders FROM shop');
      expect(columns.map((c) => c.Field)).toEqual(['id', 'v']);
      const [rows] = await s.query<mysql.RowDataPacket[]>('SELECT v FROM shop.orders');
      expect(rows).toEqual([{ v: 'shop' }]);
      await s.query('CREATE TEMPORARY TABLE scratch (x INT)');
      await s.query('INSERT INTO scratch VALUES (1)');
      const [temp] = await s.query<mysql.RowDataPacket[]>('SELECT x FROM scratch');
      expect(temp).toEqual([{ x: 1 }]);
    } finally {
      await s.end();
    }
  });

  it('CREATE TEMPORARY TABLE … AS SELECT after USE shop reads shop’s table', async () => {
    const rows = await inShop(async (s) => {
      await s.query('CREATE TEMPORARY TABLE tmp_copy AS SELECT v FROM orders');
      return (await s.query<mysql.RowDataPacket[]>('SELECT v FROM tmp_copy'))[0];
    });
    expect(rows).toEqual([{ v: 'shop' }]);
  });

  it('a parenthesised join reads shop’s tables', async () => {
    const rows = await inShop(
      async (s) =>
        (
          await s.query<mysql.RowDataPacket[]>(
            'SELECT o.v FROM ((orders o JOIN items i ON i.oid = o.id) JOIN only_shop x ON x.id = 7)',
          )
        )[0],
    );
    expect(rows).toEqual([{ v: 'shop' }]);
  });

  it('a table after a comma following JOIN … ON is shop’s', async () => {
    const rows = await inShop(
      async (s) =>
        (
          await s.query<mysql.RowDataPacket[]>(
            'SELECT o.v FROM items i JOIN only_shop x ON x.id = 7, orders o',
          )
        )[0],
    );
    expect(rows).toEqual([{ v: 'shop' }]);
  });

  it('IS [NOT] DISTINCT FROM a column is a comparison, not a table', async () => {
    const rows = await inShop(
      async (s) =>
        (
          await s.query<mysql.RowDataPacket[]>(
            'SELECT id FROM items WHERE id IS DISTINCT FROM oid AND oid IS NOT DISTINCT FROM oid',
          )
        )[0],
    );
    expect(rows).toEqual([{ id: 10 }]);
  });

  it('a CTE named in a subquery does not hide the outer table of the name', async () => {
    const rows = await inShop(
      async (s) =>
        (
          await s.query<mysql.RowDataPacket[]>(
            'SELECT v FROM orders WHERE id IN (WITH orders AS (SELECT 1 AS id) SELECT id FROM orders)',
          )
        )[0],
    );
    expect(rows).toEqual([{ v: 'shop' }]);
  });

  it('INSERT … SELECT, UPDATE with subqueries, aliases, quoted names and case all mean shop’s tables', async () => {
    await inShop(async (s) => {
      await s.query('USE SHOP');
      await s.query('CREATE TABLE log (v VARCHAR(20))');
      await s.query("INSERT INTO log SELECT v FROM ORDERS o WHERE o.v <> 'FROM orders'");
      await s.query(
        "UPDATE log SET v = (SELECT v || '!' FROM orders WHERE id = 1) WHERE v IN (SELECT v FROM `orders`)",
      );
      const [rows] = await s.query<mysql.RowDataPacket[]>('SELECT v /* FROM orders */ FROM log');
      expect(rows).toEqual([{ v: 'shop!' }]);
    });
    const [m] = await c.query<mysql.RowDataPacket[]>("SELECT name FROM main.sqlite_master WHERE name='log'");
    expect(m).toEqual([]);
  });

  it('a trigger’s body and a view resolve in their database; a temporary table comes first', async () => {
    await inShop(async (s) => {
      await s.query('CREATE TABLE audit (v VARCHAR(20))');
      await s.query('CREATE TRIGGER tr AFTER INSERT ON orders BEGIN INSERT INTO audit VALUES (new.v); END');
      await s.query("INSERT INTO orders VALUES (2, 'trig')");
      expect((await s.query<mysql.RowDataPacket[]>('SELECT v FROM audit'))[0]).toEqual([{ v: 'trig' }]);
      await s.query('CREATE VIEW ov AS SELECT v FROM orders WHERE id = 1');
      await s.query('USE main');
      await s.query('USE shop');
      expect((await s.query<mysql.RowDataPacket[]>('SELECT v FROM ov'))[0]).toEqual([{ v: 'shop' }]);
      await s.query(
        "CREATE TEMPORARY TABLE orders (id INT, v VARCHAR(10)); INSERT INTO orders VALUES (1, 'temp')",
      );
      await s.query('CREATE INDEX temp_orders_id ON orders (id)');
      expect((await s.query<mysql.RowDataPacket[]>('SELECT v FROM orders'))[0]).toEqual([{ v: 'temp' }]);
      await s.query('DROP TEMPORARY TABLE orders');
      expect((await s.query<mysql.RowDataPacket[]>('SELECT v FROM orders WHERE id = 1'))[0]).toEqual([
        { v: 'shop' },
      ]);
    });
  });
});
