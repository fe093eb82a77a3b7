import { type MariaDB, selfSignedCert, startMariaDB } from '@scalestack/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildChangeUser,
  CLIENT_DEPRECATE_EOF,
  COM_FIELD_LIST,
  COM_PING,
  COM_STATISTICS,
  COM_STMT_CLOSE,
  COM_STMT_EXECUTE,
  COM_STMT_FETCH,
  COM_STMT_PREPARE,
  decodeAuthSwitchRequest,
  inTransaction,
  MARIADB_CLIENT_PROGRESS,
  MAX_FRAME_PAYLOAD,
  PacketReader,
  PacketWriter,
  SERVER_STATUS_CURSOR_EXISTS,
  SERVER_STATUS_LAST_ROW_SENT,
  SUPPORTED_CAPABILITIES,
  scrambleNativePassword,
} from '../src/index.js';
import { RawClient, type RawClientOptions, type RawResponse } from './support/raw-client.js';

let db: MariaDB;
let ca: string;
const MiB = 1024 * 1024;

beforeAll(async () => {
  const cert = await selfSignedCert();
  ca = cert.cert;
  db = await startMariaDB({
    args: [
      `--ssl-cert=${cert.certPath}`,
      `--ssl-key=${cert.keyPath}`,
      '--max-allowed-packet=64M',
      '--session-track-system-variables=sql_mode,time_zone,autocommit,character_set_client',
      '--session-track-schema=ON',
      '--session-track-state-change=ON',
      '--session-track-transaction-info=CHARACTERISTICS',
    ],
  });
  await db.query('CREATE TABLE t (id INT PRIMARY KEY AUTO_INCREMENT, v VARCHAR(20))');
  await db.query("INSERT INTO t (v) VALUES ('a'), ('b'), ('c')");
  await db.query('CREATE PROCEDURE two() BEGIN SELECT 1; SELECT 2, 3 UNION SELECT 4, 5; END');
});

afterAll(async () => {
  await db?.stop();
});

function connect(extra: Partial<RawClientOptions> = {}): Promise<RawClient> {
  return RawClient.connect({
    port: db.port,
    user: db.user,
    password: db.password,
    database: db.database,
    maxPacketSize: 64 * MiB,
    ...extra,
  });
}

/** The values of a text row (lenenc strings; null for 0xFB). */
function textValues(row: Buffer): (string | null)[] {
  const r = new PacketReader(row);
  const out: (string | null)[] = [];
  while (!r.atEnd) {
    const n = r.lenencIntOrNull();
    out.push(n < 0 ? null : r.string(n));
  }
  return out;
}

/** Row packets of a single-result-set text response with DEPRECATE_EOF or not. */
function rowsOf(res: RawResponse, columns: number, deprecateEof: boolean): Buffer[] {
  const start = 1 + columns + (deprecateEof ? 0 : 1);
  return res.packets.slice(start, -1).map((p) => p.payload);
}

function expectConsistent(res: RawResponse): void {
  expect(res.scannedBytes).toBe(res.framedBytes);
}

describe('ClientHandshake against MariaDB 10.11', () => {
  it('authenticates with mysql_native_password and reports the server', async () => {
    const c = await connect();
    expect(c.session.serverVersion).toMatch(/MariaDB/);
    expect(c.session.authPlugin).toBe('mysql_native_password');
    expect(c.session.capabilities & CLIENT_DEPRECATE_EOF).toBeTruthy();
    expect(c.session.tls).toBe(false);
    await c.close();
  });

  it('reads MariaDB extended capabilities and negotiates them', async () => {
    const c = await connect({ mariadbCapabilities: MARIADB_CLIENT_PROGRESS | 0x8000 });
    expect(c.session.greeting.capabilities & 1).toBe(0);
    expect(c.session.greeting.mariadbCapabilities & MARIADB_CLIENT_PROGRESS).toBeTruthy();
    expect(c.session.mariadbCapabilities).toBe(MARIADB_CLIENT_PROGRESS);
    expect((await c.query('SELECT 1')).rows).toBe(1);
    await c.close();
  });

  it('refuses a wrong password with ERR 1045', async () => {
    await expect(connect({ password: 'wrong' })).rejects.toMatchObject({
      errno: 1045,
      sqlState: '28000',
      message: expect.stringMatching(/^Access denied for user 'root'@'[^']+' \(using password: YES\)$/),
    });
  });

  it('upgrades to TLS after SSLRequest', async () => {
    const c = await connect({ tls: true, tlsOptions: { ca, servername: 'localhost' } });
    expect(c.session.tls).toBe(true);
    const res = await c.query("SHOW STATUS LIKE 'Ssl_cipher'");
    expectConsistent(res);
    const [row] = rowsOf(res, 2, true);
    expect(textValues(row!)[1]).toMatch(/\w+/);
    await c.close();
  });
});

for (const deprecateEof of [true, false]) {
  describe(`ResponseTracker against MariaDB (${deprecateEof ? 'DEPRECATE_EOF' : 'classic EOF'})`, () => {
    let c: RawClient;
    beforeAll(async () => {
      c = await connect({
        capabilities: deprecateEof ? SUPPORTED_CAPABILITIES : SUPPORTED_CAPABILITIES & ~CLIENT_DEPRECATE_EOF,
      });
      expect(Boolean(c.session.capabilities & CLIENT_DEPRECATE_EOF)).toBe(deprecateEof);
    });
    afterAll(async () => {
      await c?.close();
    });

    it('ends OK, ERR and result-set responses exactly', async () => {
      const ok = await c.query("INSERT INTO t (v) VALUES ('d')");
      expectConsistent(ok);
      expect(ok.packets).toHaveLength(1);
      expect(ok.affectedRows).toBe(1);
      expect(ok.lastInsertId).toBeGreaterThan(3);

      const err = await c.query('SELEC 1');
      expectConsistent(err);
      expect(err.error).toMatchObject({ errno: 1064, sqlState: '42000' });

      const rs = await c.query('SELECT id, v FROM t ORDER BY id LIMIT 3');
      expectConsistent(rs);
      expect(rs.rows).toBe(3);
      expect(rs.resultSets).toBe(1);
      expect(rowsOf(rs, 2, deprecateEof).map(textValues)).toEqual([
        ['1', 'a'],
        ['2', 'b'],
        ['3', 'c'],
      ]);
      const nul = await c.query('SELECT NULL, 1 FROM t WHERE id < 0');
      expectConsistent(nul);
      expect(nul.rows).toBe(0);
    });

    it('follows multi-statement and CALL result chains to the last OK', async () => {
      const multi = await c.query(
        "SELECT 1; UPDATE t SET v = v WHERE id = 1; SELECT 'x', 'y' UNION SELECT 'z', 'w'",
      );
      expectConsistent(multi);
      expect(multi.error).toBeUndefined();
      expect(multi.resultSets).toBe(2);
      expect(multi.rows).toBe(3);

      const call = await c.query('CALL two()');
      expectConsistent(call);
      expect(call.resultSets).toBe(2);
      expect(call.rows).toBe(3);

      const failing = await c.query('SELECT 1; SELECT * FROM missing_table; SELECT 2');
      expectConsistent(failing);
      expect(failing.resultSets).toBe(1);
      expect(failing.error?.errno).toBe(1146);
    });

    it('tracks prepared statements, binary results, cursors and fetch', async () => {
      const prep = await c.command(
        Buffer.concat([Buffer.from([COM_STMT_PREPARE]), Buffer.from('SELECT id, v FROM t WHERE id <= ?')]),
      );
      expectConsistent(prep);
      const stmt = prep.prepared!;
      expect(stmt).toMatchObject({ columns: 2, params: 1 });
      const execute = (flags: number) =>
        Buffer.from(
          new PacketWriter()
            .u8(COM_STMT_EXECUTE)
            .u32(stmt.statementId)
            .u8(flags)
            .u32(1)
            .u8(0) // NULL bitmap
            .u8(1) // new params bound
            .u8(8) // MYSQL_TYPE_LONGLONG
            .u8(0)
            .u64(3)
            .payload(),
        );
      const plain = await c.command(execute(0));
      expectConsistent(plain);
      expect(plain.rows).toBe(3);
      expect(plain.resultSets).toBe(1);

      const cursor = await c.command(execute(1), { cursor: true });
      expectConsistent(cursor);
      expect(cursor.rows).toBe(0);
      expect(cursor.statusFlags & SERVER_STATUS_CURSOR_EXISTS).toBeTruthy();
      const fetch = (n: number) =>
        c.command(Buffer.from(new PacketWriter().u8(COM_STMT_FETCH).u32(stmt.statementId).u32(n).payload()));
      const first = await fetch(2);
      expectConsistent(first);
      expect(first.rows).toBe(2);
      const rest = await fetch(10);
      expectConsistent(rest);
      expect(rest.rows).toBe(1);
      expect(rest.statusFlags & SERVER_STATUS_LAST_ROW_SENT).toBeTruthy();

      const closed = await c.command(
        Buffer.from(new PacketWriter().u8(COM_STMT_CLOSE).u32(stmt.statementId).payload()),
      );
      expect(closed.packets).toHaveLength(0);
      const ping = await c.command(Buffer.from([COM_PING]));
      expectConsistent(ping);
      expect(ping.packets).toHaveLength(1);
    });

    it('tracks COM_CHANGE_USER through an auth switch', async () => {
      const payload = buildChangeUser(
        { user: db.user, authData: Buffer.alloc(0), schema: 'test', plugin: 'caching_sha2_password' },
        c.session.capabilities,
      );
      let switched = '';
      const res = await c.command(payload, {
        answer: (p) => {
          const req = decodeAuthSwitchRequest(p.payload);
          switched = req.plugin;
          return scrambleNativePassword(db.password, req.data);
        },
      });
      expect(switched).toBe('mysql_native_password');
      expect(res.error).toBeUndefined();
      expect(res.packets).toHaveLength(2);
      const who = await c.query('SELECT CURRENT_USER()');
      expect(who.rows).toBe(1);
    });

    it('tracks COM_FIELD_LIST and COM_STATISTICS', async () => {
      const fields = await c.command(Buffer.concat([Buffer.from([COM_FIELD_LIST]), Buffer.from('t\0')]));
      expectConsistent(fields);
      expect(fields.packets).toHaveLength(3);
      const stats = await c.command(Buffer.from([COM_STATISTICS]));
      expectConsistent(stats);
      expect(stats.packets[0]!.payload.toString()).toMatch(/^Uptime: \d+/);
    });

    it('reports session-state changes and transaction status', async () => {
      const mode = await c.query("SET sql_mode = 'ANSI_QUOTES'");
      expectConsistent(mode);
      expect(mode.sessionState?.systemVariables).toContainEqual({ name: 'sql_mode', value: 'ANSI_QUOTES' });

      await c.query('CREATE DATABASE IF NOT EXISTS other');
      const use = await c.query('USE other');
      expect(use.sessionState?.schema).toBe('other');
      await c.query('USE test');

      const begin = await c.query('BEGIN');
      expect(inTransaction(begin.statusFlags)).toBe(true);
      expect(begin.sessionState?.transactionState).toMatch(/^T/);
      const commit = await c.query('COMMIT');
      expect(inTransaction(commit.statusFlags)).toBe(false);
    });

    it('reports a change made by a stored function a SELECT called (a classic EOF has only the flag)', async () => {
      await c.query('SET session_track_state_change = ON');
      const fn = `bump_${deprecateEof ? 'ok' : 'eof'}`;
      await c.query(`DROP FUNCTION IF EXISTS ${fn}`);
      await c.query(
        `CREATE FUNCTION ${fn}() RETURNS INT NOT DETERMINISTIC BEGIN SET @bumps = IFNULL(@bumps, 0) + 1; RETURN @bumps; END`,
      );
      const plain = await c.query('SELECT 1');
      expect(plain.sessionState?.stateChanged).toBeUndefined();
      const called = await c.query(`SELECT ${fn}()`);
      expectConsistent(called);
      expect(called.sessionState?.stateChanged).toBe(true);
    });

    it('reassembles a row over 16 MiB', async () => {
      const big = await c.query(`SELECT REPEAT('x', ${17 * MiB}) AS big`);
      expectConsistent(big);
      expect(big.error).toBeUndefined();
      expect(big.rows).toBe(1);
      const [row] = rowsOf(big, 1, deprecateEof);
      expect(row!.length).toBe(17 * MiB + 9);
      expect(row!.length).toBeGreaterThan(MAX_FRAME_PAYLOAD);
      expect(row![0]).toBe(0xfe);
      expect(row!.readUInt32LE(1)).toBe(17 * MiB);
    });
  });
}
