/**
 * Prepared statements and the client's character sets, through the proxy and straight at
 * MariaDB:
 * - a re-prepare whose schema needs the connection in utf8mb4 for a moment (日本 on a latin1
 *   connection) and fails (the schema dropped) left the connection reading utf8mb4, and the
 *   client's next statements ran so: `é` became `?`;
 * - the backend statement cache keyed a statement by character_set_client and the collation
 *   only, so a client whose connection character set differs (`SET character_set_client` alone)
 *   ran another client's statement, parsed under `SET NAMES latin1`;
 * - a statement prepared under `SET NAMES latin1` and run after `SET NAMES utf8mb4` on a backend
 *   that lacked it was prepared there under utf8mb4, where MariaDB keeps the first reading.
 */
import { buildExecute, buildPrepare } from '@scalestack/mysql-protocol';
import { expect, it } from 'vitest';
import type { RawClient } from '../../../packages/mysql-protocol/test/support/raw-client.js';
import { proxyTestFile } from './support/proxy-test-file.js';
import { rawBackendOf, rawHoldBackend, rawResult, rawSide } from './support/raw-login.js';

const POOL = 2;
const { fx } = proxyTestFile({ pool: POOL });
type Side = 'proxy' | 'direct';

const CHECK = "SELECT @@character_set_client, HEX('é')";

it.each([false, true])(
  'a re-prepare in a dropped `日本x` after SET NAMES latin1 (in a transaction: %s): the statements after it read latin1',
  async (inTransaction) => {
    const seen = async (side: Side) => {
      const direct = await fx().direct();
      await direct.query('CREATE DATABASE IF NOT EXISTS `日本x`');
      const c = await rawSide(fx(), side, 45);
      const after: unknown[] = [];
      try {
        expect(await rawResult(c, 'USE `日本x`')).toBe('OK');
        const prepared = await c.command(buildPrepare('SELECT 1'));
        expect(prepared.error).toBeUndefined();
        expect(await rawResult(c, 'USE test')).toBe('OK');
        expect(await rawResult(c, 'SET NAMES latin1')).toBe('OK');
        await direct.query('DROP DATABASE `日本x`');
        // Through the proxy the execute lands on the other backend, which must re-prepare.
        const held =
          side === 'proxy' ? await rawHoldBackend(fx(), await rawBackendOf(c), 45, POOL) : undefined;
        try {
          if (inTransaction) expect(await rawResult(c, 'START TRANSACTION')).toBe('OK');
          // Its outcome differs (the proxy re-prepares in the dropped schema): what follows may not.
          await c.command(buildExecute({ statementId: prepared.prepared!.statementId, params: [] }));
          after.push(await rawResult(c, CHECK, 'latin1'), await rawResult(c, CHECK, 'latin1'));
        } finally {
          await held?.close();
        }
        after.push(await rawResult(c, CHECK, 'latin1'));
        return after;
      } finally {
        await c.close();
        await direct.end();
      }
    };
    const expected = await seen('direct');
    expect(expected[0]).toMatchObject({ rows: [['latin1', 'E9']] });
    expect(await seen('proxy')).toEqual(expected);
  },
);

it('prepared under SET NAMES latin1, run after SET NAMES utf8mb4 on another backend: read as at PREPARE, as MariaDB reads it', async () => {
  // The literal's two bytes (é in UTF-8) are two latin1 characters, one utf8mb4 character.
  const text = Buffer.from("SELECT CHARSET('x') AS c, CHAR_LENGTH('é') AS n", 'utf8');
  const seen = async (c: RawClient, move: () => Promise<{ close(): Promise<void> } | undefined>) => {
    expect(await rawResult(c, 'SET NAMES latin1')).toBe('OK');
    const p = await c.command(Buffer.concat([buildPrepare(''), text]));
    expect(p.error).toBeUndefined();
    expect(await rawResult(c, 'COMMIT')).toBe('OK');
    expect(await rawResult(c, 'SET NAMES utf8mb4')).toBe('OK');
    const holder = await move();
    try {
      const r = await c.command(buildExecute({ statementId: p.prepared!.statementId, params: [] }));
      if (r.error) return [`ERR ${r.error.errno}`];
      // The binary row: 00, the null bitmap, the charset's name (length first), the count (INT).
      const row = r.packets.find((q) => q.payload[0] === 0 && q.payload.length > 2)!.payload;
      const name = row.subarray(3, 3 + row[2]!).toString('latin1');
      // The execute's, then a text statement's: the client's own settings again.
      return [name, row.readInt32LE(3 + row[2]!), await rawResult(c, CHECK)];
    } finally {
      await holder?.close();
    }
  };
  const d = await rawSide(fx(), 'direct', 45);
  const expected = await seen(d, async () => undefined);
  await d.close();
  expect(expected).toMatchObject(['latin1', 2, { rows: [['utf8mb4', 'C3A9']] }]);

  const a = await rawSide(fx(), 'proxy', 45);
  try {
    // A prepares on X, in a transaction; the execute runs on Y while X is held.
    expect(await rawResult(a, 'START TRANSACTION')).toBe('OK');
    const x = await rawBackendOf(a);
    const got = await seen(a, async () => {
      const holdX = await rawHoldBackend(fx(), x, 45, POOL);
      expect(await rawBackendOf(a)).not.toBe(x);
      return holdX;
    });
    expect(got).toEqual(expected);
  } finally {
    await a.close();
  }
});

it('a statement another client prepared under SET NAMES latin1 is not run for one that set only character_set_client', async () => {
  const text = Buffer.from("SELECT HEX('é') AS h", 'latin1');
  const prepare = async (c: RawClient) => {
    const p = await c.command(Buffer.concat([buildPrepare(''), text]));
    expect(p.error).toBeUndefined();
    return p.prepared!.statementId;
  };
  const execute = async (c: RawClient, id: number) => {
    const r = await c.command(buildExecute({ statementId: id, params: [] }));
    if (r.error) return `ERR ${r.error.errno}`;
    // The binary row: 00, the null bitmap, then the value's length and its text.
    return r.packets
      .find((p) => p.payload[0] === 0 && p.payload.length > 2)!
      .payload.subarray(3)
      .toString('latin1');
  };
  // Straight at MariaDB the literal is read in latin1 and converted to the connection's utf8mb4.
  const d = await rawSide(fx(), 'direct', 45);
  expect(await rawResult(d, 'SET character_set_client = latin1')).toBe('OK');
  const expected = await execute(d, await prepare(d));
  await d.close();
  expect(expected).toBe('C3A9');

  const a = await rawSide(fx(), 'proxy', 45);
  const b = await rawSide(fx(), 'proxy', 45);
  try {
    // A prepares on X under SET NAMES latin1 and holds X in a transaction meanwhile.
    expect(await rawResult(a, 'SET NAMES latin1')).toBe('OK');
    expect(await rawResult(a, 'START TRANSACTION')).toBe('OK');
    const x = await rawBackendOf(a);
    await prepare(a);
    // B prepares the same text on Y, then runs it on X (Y held, X let go).
    expect(await rawResult(b, 'SET character_set_client = latin1')).toBe('OK');
    expect(await rawBackendOf(b)).not.toBe(x);
    const id = await prepare(b);
    const holdY = await rawHoldBackend(fx(), x, 45, POOL, { other: true });
    try {
      expect(await rawResult(a, 'COMMIT')).toBe('OK');
      expect(await rawBackendOf(b)).toBe(x);
      expect(await execute(b, id)).toBe(expected);
    } finally {
      await holdY.close();
    }
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});
