/**
 * Server-side cursors (COM_STMT_EXECUTE with a cursor flag, then COM_STMT_FETCH) through the
 * proxy, compared with MariaDB's answers to the same commands: fetching to the end and past it,
 * a cursor closed by COM_STMT_CLOSE, COM_STMT_RESET, COM_RESET_CONNECTION, another execute or a
 * transaction's end, statements that open no cursor, cursor flags other than READ_ONLY — for
 * clients with and without CLIENT_DEPRECATE_EOF (without it the EOF packets carry the cursor's
 * status flags). Then what only the proxy can get wrong: a cursor pins its backend, which must be
 * clean for the next client once its owner leaves, and must keep its rows while others use the
 * pool.
 *
 * mysql2 cannot fetch from a cursor: the codec's own raw client sends the commands.
 */
import {
  buildExecute,
  buildPrepare,
  buildResetConnection,
  buildStmtClose,
  buildStmtFetch,
  buildStmtReset,
  CLIENT_DEPRECATE_EOF,
  CursorType,
  SERVER_STATUS_CURSOR_EXISTS,
  SERVER_STATUS_IN_TRANS,
  SERVER_STATUS_LAST_ROW_SENT,
  SUPPORTED_CAPABILITIES,
} from '@scalestack/mysql-protocol';
import { waitFor } from '@scalestack/test-harness';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RawClient, RawResponse } from '../../../packages/mysql-protocol/test/support/raw-client.js';
import { APP_USER, type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { expectSameAnswers, rawLogin, rawResult } from './support/raw-login.js';

const POOL = 2;
let fx: ProxyFixture;

beforeAll(async () => {
  fx = await startProxyFixture({ pool: POOL });
  await fx.mariadb.query('CREATE TABLE cur (id INT PRIMARY KEY, v VARCHAR(20))');
  await fx.mariadb.query("INSERT INTO cur SELECT seq, CONCAT('v', seq) FROM seq_1_to_10");
  await fx.mariadb.query('CREATE PROCEDURE cur_proc() SELECT id FROM cur ORDER BY id');
});

// Every test closes its clients: none may be left, nor a cursor pinning a backend.
afterEach(async () => {
  await waitFor(() => fx.proxy.stats().clients.length === 0, { what: 'every client to leave the proxy' });
  expect(fx.proxy.stats().pinnedNow.cursor).toBe(0);
});

afterAll(async () => {
  await fx?.stop();
});

async function prepare(c: RawClient, sql: string): Promise<number> {
  const r = await c.command(buildPrepare(sql));
  if (r.error) throw new Error(`prepare failed: ${r.error.message}`);
  return r.prepared!.statementId;
}

/** Executes statement `id` (no parameters) with `flags`; READ_ONLY opens a cursor. */
const execute = (c: RawClient, id: number, flags: number = CursorType.READ_ONLY) =>
  c.command(buildExecute({ statementId: id, params: [], flags }), { cursor: flags !== CursorType.NO_CURSOR });
const fetch = (c: RawClient, id: number, rows: number) => c.command(buildStmtFetch(id, rows));

/** The first column of each binary row of one INT column (a row is 0x00, a NULL bitmap byte, the INT). */
const ids = (r: RawResponse) =>
  r.packets.filter((p) => p.payload[0] === 0 && p.payload.length === 6).map((p) => p.payload.readInt32LE(2));

/**
 * What a client can tell from an answer: its rows (as bytes), the status flags it acts on, the
 * error and the sequence ids. Statement ids in messages are blanked: each side numbers its own
 * (and a 1421 a server answers names the server's, a documented difference).
 */
function view(r: RawResponse) {
  const last = r.packets.at(-1);
  return {
    rows: r.rows,
    rowBytes: r.packets
      .filter((p) => r.rows > 0 && p !== last && p.payload[0] === 0x00)
      .map((p) => p.payload.toString('hex')),
    cursorFlags: r.statusFlags & (SERVER_STATUS_CURSOR_EXISTS | SERVER_STATUS_LAST_ROW_SENT),
    inTransaction: r.statusFlags & SERVER_STATUS_IN_TRANS,
    error:
      r.error === undefined ? undefined : `${r.error.errno} ${r.error.message.replace(/\(\d+\)/g, '(<id>)')}`,
    seqs: r.packets.map((p) => p.sequenceId),
  };
}

const CAPABILITIES: [string, number][] = [
  ['with CLIENT_DEPRECATE_EOF', SUPPORTED_CAPABILITIES],
  ['without CLIENT_DEPRECATE_EOF', (SUPPORTED_CAPABILITIES & ~CLIENT_DEPRECATE_EOF) >>> 0],
];

describe.each(CAPABILITIES)('a client %s gets the answers MariaDB gives', (_, capabilities) => {
  const sameAnswers = (script: (c: RawClient) => Promise<unknown[]>) =>
    expectSameAnswers(fx, script, { capabilities });

  it('fetching past the end, and again once the cursor is exhausted', async () => {
    const answers = await sameAnswers(async (c) => {
      const id = await prepare(c, 'SELECT id, v FROM cur ORDER BY id');
      const out = [view(await execute(c, id))];
      for (let i = 0; i < 5; i++) out.push(view(await fetch(c, id, 4)));
      out.push(view(await c.query('SELECT 1')));
      return out;
    });
    // 4 + 4 + 2 rows, then the refusals.
    expect(answers.map((a) => (a as ReturnType<typeof view>).rows)).toEqual([0, 4, 4, 2, 0, 0, 1]);
  });

  it('fetching exactly the rows left, then again', async () => {
    await sameAnswers(async (c) => {
      const id = await prepare(c, 'SELECT id, v FROM cur ORDER BY id');
      const out = [view(await execute(c, id))];
      for (let i = 0; i < 3; i++) out.push(view(await fetch(c, id, 10)));
      return out;
    });
  });

  it('a fetch after COM_STMT_CLOSE of the statement whose cursor is open', async () => {
    await sameAnswers(async (c) => {
      const id = await prepare(c, 'SELECT id FROM cur ORDER BY id');
      const out = [view(await execute(c, id)), view(await fetch(c, id, 2))];
      await c.command(buildStmtClose(id));
      out.push(view(await fetch(c, id, 2)), view(await c.query('SELECT 1')));
      return out;
    });
  });

  it('a fetch after COM_STMT_RESET of the statement whose cursor is open', async () => {
    await sameAnswers(async (c) => {
      const id = await prepare(c, 'SELECT id FROM cur ORDER BY id');
      const out = [view(await execute(c, id)), view(await fetch(c, id, 2))];
      out.push(view(await c.command(buildStmtReset(id))), view(await fetch(c, id, 2)));
      return out;
    });
  });

  it('a fetch after COM_RESET_CONNECTION with a cursor open, and an execute of the forgotten statement', async () => {
    await sameAnswers(async (c) => {
      const id = await prepare(c, 'SELECT id FROM cur ORDER BY id');
      const out = [view(await execute(c, id)), view(await fetch(c, id, 2))];
      out.push(view(await c.command(buildResetConnection())));
      out.push(view(await fetch(c, id, 2)), view(await execute(c, id, CursorType.NO_CURSOR)));
      return out;
    });
  });

  it('executing again with a cursor open starts it over; an execute without the flag closes it', async () => {
    await sameAnswers(async (c) => {
      const id = await prepare(c, 'SELECT id FROM cur ORDER BY id');
      const out = [view(await execute(c, id)), view(await fetch(c, id, 3))];
      out.push(view(await execute(c, id)), view(await fetch(c, id, 3)));
      out.push(view(await execute(c, id, CursorType.NO_CURSOR)), view(await fetch(c, id, 3)));
      return out;
    });
  });

  it.each([
    ['a statement with no result set (DO 1)', 'DO 1'],
    ['a SELECT of no rows', 'SELECT id FROM cur WHERE id < 0'],
    ['a CALL (its results come at once)', 'CALL cur_proc()'],
  ])('a cursor execute of %s, then fetches and a query', async (_, sql) => {
    await sameAnswers(async (c) => {
      const id = await prepare(c, sql);
      const out = [view(await execute(c, id))];
      out.push(view(await fetch(c, id, 2)), view(await fetch(c, id, 2)), view(await c.query('SELECT 1')));
      return out;
    });
  });

  it.each([
    CursorType.FOR_UPDATE,
    CursorType.SCROLLABLE,
    CursorType.PARAMETER_COUNT_AVAILABLE,
    0x80,
    CursorType.READ_ONLY | CursorType.FOR_UPDATE,
  ])('an execute with cursor flags %i, then a fetch and a query', async (flags) => {
    await sameAnswers(async (c) => {
      const id = await prepare(c, 'SELECT id FROM cur ORDER BY id');
      return [
        view(await execute(c, id, flags)),
        view(await fetch(c, id, 3)),
        view(await c.query('SELECT 1')),
      ];
    });
  });

  it('a cursor opened in a transaction, fetched after COMMIT; another after ROLLBACK', async () => {
    await sameAnswers(async (c) => {
      const id = await prepare(c, 'SELECT id FROM cur ORDER BY id');
      const out = [view(await c.query('BEGIN')), view(await execute(c, id)), view(await fetch(c, id, 3))];
      out.push(view(await c.query('COMMIT')), view(await fetch(c, id, 3)));
      out.push(view(await c.query('START TRANSACTION')), view(await execute(c, id)));
      out.push(view(await c.query('ROLLBACK')), view(await fetch(c, id, 20)), view(await fetch(c, id, 20)));
      return out;
    });
  });
});

describe('the backend a cursor pins', () => {
  const viaProxy = () => rawLogin(fx.port, APP_USER);

  it('is clean for the next clients once a client leaves with its cursor open: their cursors start at the first row, outside any transaction', async () => {
    for (let round = 0; round < 3; round++) {
      const leaver = await viaProxy();
      const id = await prepare(leaver, 'SELECT id FROM cur ORDER BY id');
      await execute(leaver, id);
      expect(ids(await fetch(leaver, id, 2))).toEqual([1, 2]);
      // Gone without COM_QUIT, as a client that crashes: the raw client keeps its socket private.
      (leaver as unknown as { socket: { destroy(): void } }).socket.destroy();
    }
    const next = await Promise.all(Array.from({ length: 4 }, () => viaProxy()));
    for (const c of next) {
      const id = await prepare(c, 'SELECT id FROM cur ORDER BY id');
      await execute(c, id);
      expect(ids(await fetch(c, id, 3))).toEqual([1, 2, 3]);
      expect(await rawResult(c, 'SELECT @@in_transaction')).toMatchObject({ rows: [['0']] });
      await c.command(buildStmtClose(id));
    }
    await Promise.all(next.map((c) => c.close()));
  });

  it('keeps its rows while other clients use every connection of the pool', async () => {
    const owner = await viaProxy();
    const others = await Promise.all(Array.from({ length: POOL + 1 }, () => viaProxy()));
    try {
      const id = await prepare(owner, 'SELECT id FROM cur ORDER BY id');
      await execute(owner, id);
      const read: number[] = [];
      for (let i = 0; i < 5; i++) {
        await Promise.all(others.map((o) => o.query('SELECT * FROM cur')));
        read.push(...ids(await fetch(owner, id, 2)));
      }
      expect(read).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    } finally {
      await Promise.all([owner, ...others].map((c) => c.close()));
    }
  });

  it('cursors of statements prepared on other backends read every row, for many clients at once', async () => {
    const sqls = [
      'SELECT id FROM cur ORDER BY id',
      'SELECT id FROM cur WHERE id > 0 ORDER BY id',
      'SELECT id FROM cur WHERE id < 100 ORDER BY id',
    ];
    const clients = await Promise.all(Array.from({ length: 6 }, () => viaProxy()));
    const problems: string[] = [];
    await Promise.all(
      clients.map(async (c, ci) => {
        const statements: number[] = [];
        for (const sql of sqls) statements.push(await prepare(c, sql));
        for (let round = 0; round < 15; round++) {
          const id = statements[(round + ci) % sqls.length]!;
          const opened = await execute(c, id);
          if (opened.error) problems.push(`execute: ${opened.error.message}`);
          const got: number[] = [];
          for (;;) {
            const f = await fetch(c, id, 3 + (ci % 3));
            if (f.error) {
              problems.push(`fetch: ${f.error.message}`);
              break;
            }
            got.push(...ids(f));
            if (f.statusFlags & SERVER_STATUS_LAST_ROW_SENT) break;
            // A text query between fetches must not move the cursor's client off its backend.
            if (round % 2) {
              const q = await c.query(`SELECT ${round} AS r`);
              if (q.error) problems.push(`query: ${q.error.message}`);
            }
          }
          if (got.join() !== '1,2,3,4,5,6,7,8,9,10')
            problems.push(`client ${ci} round ${round}: ${got.join()}`);
        }
      }),
    );
    await Promise.all(clients.map((c) => c.close()));
    expect(problems).toEqual([]);
  });
});
