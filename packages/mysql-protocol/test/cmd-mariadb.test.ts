/**
 * The command codec against a real MariaDB, compared with mysql2 (a real client) on the same
 * data: text rows vs mysql2 `query`, binary rows vs mysql2 `execute`, prepared statements with
 * every column type and NULLs, cursors, long data, reset, close, errors and the simple commands.
 */
import { type MariaDB, startMariaDB } from '@scalestack/test-harness';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BinaryRow,
  buildChangeUser,
  buildDebug,
  buildExecute,
  buildFieldList,
  buildInitDb,
  buildPing,
  buildPrepare,
  buildProcessKill,
  buildQuery,
  buildResetConnection,
  buildSendLongData,
  buildSetOption,
  buildStatistics,
  buildStmtClose,
  buildStmtFetch,
  buildStmtReset,
  CLIENT_DEPRECATE_EOF,
  CLIENT_LOCAL_FILES,
  type ColumnDefinition,
  ColumnType,
  CursorType,
  decodeAuthSwitchRequest,
  decodeColumnCount,
  decodeColumnDefinition,
  decodeErr,
  decodeLocalInfileRequest,
  decodePrepareOk,
  encodeLocalInfileData,
  isLocalInfileRequest,
  MARIADB_CLIENT_EXTENDED_METADATA,
  type PrepareOk,
  type RowValue,
  SERVER_STATUS_CURSOR_EXISTS,
  SERVER_STATUS_LAST_ROW_SENT,
  scrambleNativePassword,
  TextRow,
} from '../src/index.js';
import { Conversation } from './support/cmd-conversation.js';
import { RawClient, type RawResponse } from './support/raw-client.js';

const TABLE = `CREATE TABLE types (
  id INT PRIMARY KEY, ti TINYINT, tu TINYINT UNSIGNED, si SMALLINT, mi MEDIUMINT, i INT, iu INT UNSIGNED,
  bi BIGINT, bu BIGINT UNSIGNED, f FLOAT, d DOUBLE, de DECIMAL(30,10), da DATE, dt DATETIME(6),
  ts TIMESTAMP NULL, tm TIME(3), y YEAR, ch CHAR(5), vc VARCHAR(20), tx TEXT, bl BLOB, bt BIT(10),
  js JSON, en ENUM('a','b'), st SET('x','y'))`;

const ROWS = [
  `(1, -128, 255, -32768, -8388608, -2147483648, 4294967295, -9223372036854775808, 18446744073709551615,
    1.1, 2.2, '12345678901234567890.0123456789', '2024-02-29', '2024-02-29 13:05:09.250000',
    '2001-02-03 04:05:06', '-838:59:59.000', 2155, 'ab', 'héllo', 'text ✓', X'00ff', b'1010101010',
    '{"a": 1}', 'b', 'x,y')`,
  '(2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)',
  `(3, 0, 0, 0, 0, 0, 0, 9007199254740993, 9007199254740992, -0.5, 1e300, '-0.0000000001', '0000-00-00',
    '2000-01-01 00:00:00', '2038-01-19 03:14:07', '00:00:00', 1901, '', '', '', '', b'0', '[]', 'a', '')`,
];

let db: MariaDB;
let client: RawClient;
let peer: mysql.Connection;

beforeAll(async () => {
  db = await startMariaDB();
  await db.query(TABLE);
  await db.query(`INSERT INTO types VALUES ${ROWS.join(',')}`);
  client = await RawClient.connect({
    host: db.host,
    port: db.port,
    user: db.user,
    password: db.password,
    database: db.database,
  });
  peer = await mysql.createConnection({
    host: db.host,
    port: db.port,
    user: db.user,
    password: db.password,
    database: db.database,
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    jsonStrings: true,
  });
});

afterAll(async () => {
  await peer?.end();
  await client?.close();
  await db?.stop();
});

/** Splits one result-set response into column definitions and row payloads. */
function resultSet(res: RawResponse): { columns: ColumnDefinition[]; rows: Buffer[] } {
  expect(res.error).toBeUndefined();
  const payloads = res.packets.map((p) => p.payload);
  const { count } = decodeColumnCount(payloads[0]!);
  const columns = payloads.slice(1, 1 + count).map((p) => decodeColumnDefinition(p));
  const metaEnd = 1 + count + (client.session.capabilities & CLIENT_DEPRECATE_EOF ? 0 : 1);
  return { columns, rows: payloads.slice(metaEnd, -1) };
}

/** The rows after the metadata of a cursor response's FETCH: everything but the final EOF/OK. */
function fetchedRows(res: RawResponse): Buffer[] {
  expect(res.error).toBeUndefined();
  return res.packets.slice(0, -1).map((p) => p.payload);
}

/** Rows as objects keyed by column name, BIGINTs as strings (what mysql2 gives with bigNumberStrings). */
function asObjects(
  columns: ColumnDefinition[],
  rows: Buffer[],
  reader: TextRow | BinaryRow,
): Record<string, RowValue>[] {
  return rows.map((payload) => {
    reader.wrap(payload);
    const out: Record<string, RowValue> = {};
    columns.forEach((c, i) => {
      const v = reader.get(i);
      out[c.name] = c.type === ColumnType.LONGLONG && v !== null ? String(v) : v;
    });
    return out;
  });
}

async function prepare(
  sql: string,
): Promise<{ ok: PrepareOk; params: ColumnDefinition[]; columns: ColumnDefinition[] }> {
  const res = await client.command(buildPrepare(sql));
  expect(res.error).toBeUndefined();
  const payloads = res.packets.map((p) => p.payload);
  const ok = decodePrepareOk(payloads[0]!);
  const eof = client.session.capabilities & CLIENT_DEPRECATE_EOF ? 0 : 1;
  const params = payloads.slice(1, 1 + ok.paramCount).map((p) => decodeColumnDefinition(p));
  const colStart = 1 + ok.paramCount + (ok.paramCount > 0 ? eof : 0);
  const columns = payloads.slice(colStart, colStart + ok.columnCount).map((p) => decodeColumnDefinition(p));
  return { ok, params, columns };
}

describe('result sets against MariaDB, compared with mysql2', () => {
  it('text rows decode to what mysql2 query returns', async () => {
    const { columns, rows } = resultSet(await client.query('SELECT * FROM types ORDER BY id'));
    expect(columns.map((c) => c.name)).toEqual([
      'id',
      'ti',
      'tu',
      'si',
      'mi',
      'i',
      'iu',
      'bi',
      'bu',
      'f',
      'd',
      'de',
      'da',
      'dt',
      'ts',
      'tm',
      'y',
      'ch',
      'vc',
      'tx',
      'bl',
      'bt',
      'js',
      'en',
      'st',
    ]);
    const [expected] = await peer.query('SELECT * FROM types ORDER BY id');
    expect(asObjects(columns, rows, new TextRow(columns))).toEqual(expected);
  });

  it('binary rows decode to what mysql2 execute returns (TIME keeps its column decimals)', async () => {
    const { ok, columns } = await prepare('SELECT * FROM types WHERE id >= ? ORDER BY id');
    expect(ok).toMatchObject({ paramCount: 1, columnCount: 25 });
    const res = await client.command(buildExecute({ statementId: ok.statementId, params: [0] }));
    const result = resultSet(res);
    expect(result.columns).toEqual(columns);
    const [binary] = await peer.execute('SELECT * FROM types WHERE id >= ? ORDER BY id', [0]);
    const [text] = await peer.query('SELECT dt, tm FROM types WHERE id >= 0 ORDER BY id');
    // mysql2 drops a zero fraction from binary DATETIME/TIME; we print the column's decimals, as
    // the server's text protocol does (so text and binary rows of one query decode alike).
    const fractions = text as { dt: unknown; tm: unknown }[];
    const expected = (binary as Record<string, unknown>[]).map((row, i) => ({ ...row, ...fractions[i] }));
    expect(asObjects(columns, result.rows, new BinaryRow(columns))).toEqual(expected);
    await client.command(buildStmtClose(ok.statementId));
  });

  it('every column type survives a round trip through COM_STMT_EXECUTE parameters, NULLs included', async () => {
    const { ok } = await prepare(`INSERT INTO types VALUES (${Array(25).fill('?').join(',')})`);
    expect(ok.paramCount).toBe(25);
    const values = [
      10,
      -128,
      255,
      -32768,
      -8388608,
      -2147483648,
      4294967295,
      -(2n ** 63n),
      2n ** 64n - 1n,
      1.1,
      2.2,
      '12345678901234567890.0123456789',
      { value: '2024-02-29', type: { type: ColumnType.DATE, unsigned: false } },
      { value: '2024-02-29 13:05:09.250000', type: { type: ColumnType.DATETIME, unsigned: false } },
      {
        value: new Date(Date.UTC(2001, 1, 3, 4, 5, 6)),
        type: { type: ColumnType.TIMESTAMP, unsigned: false },
      },
      { value: '-838:59:59', type: { type: ColumnType.TIME, unsigned: false } },
      2155,
      'ab',
      'héllo',
      'text ✓',
      Buffer.from([0x00, 0xff]),
      Buffer.from([0x02, 0xaa]),
      '{"a": 1}',
      'b',
      'x,y',
    ];
    let res = await client.command(buildExecute({ statementId: ok.statementId, params: values }));
    expect(res.error).toBeUndefined();
    expect(res.affectedRows).toBe(1);
    // Same statement, types not resent (new-params-bound = 0), every value NULL but the id.
    const bound = [11, ...Array(24).fill(null)];
    res = await client.command(
      buildExecute({
        statementId: ok.statementId,
        params: bound,
        sendTypes: false,
        types: Array(25).fill({ type: ColumnType.LONGLONG, unsigned: false }),
      }),
    );
    expect(res.error).toBeUndefined();
    const [rows] = await peer.query('SELECT * FROM types WHERE id IN (1, 10, 2, 11) ORDER BY id');
    const [one, two, ten, eleven] = rows as Record<string, unknown>[];
    expect({ ...ten, id: 1 }).toEqual(one);
    expect({ ...eleven, id: 2 }).toEqual(two);
    await client.command(buildStmtClose(ok.statementId));
  });
});

describe('MariaDB extended metadata', () => {
  it('column definitions name the real type of JSON and geometry columns', async () => {
    const ext = await RawClient.connect({
      host: db.host,
      port: db.port,
      user: db.user,
      password: db.password,
      database: db.database,
      mariadbCapabilities: MARIADB_CLIENT_EXTENDED_METADATA,
    });
    try {
      expect(ext.session.mariadbCapabilities & MARIADB_CLIENT_EXTENDED_METADATA).toBeTruthy();
      const res = await ext.query('SELECT js, vc, POINT(1, 2) AS p FROM types WHERE id = 1');
      const payloads = res.packets.map((p) => p.payload);
      const defs = payloads.slice(1, 4).map((p) => decodeColumnDefinition(p, { extendedMetadata: true }));
      expect(defs.map((d) => [d.name, d.extendedFormat, d.extendedTypeName])).toEqual([
        ['js', 'json', undefined],
        ['vc', undefined, undefined],
        ['p', undefined, 'point'],
      ]);
    } finally {
      await ext.close();
    }
  });
});

describe('prepared statement lifecycle against MariaDB', () => {
  it('reads a READ_ONLY cursor with COM_STMT_FETCH', async () => {
    const { ok, columns } = await prepare('SELECT id, vc FROM types WHERE id <= 3 ORDER BY id');
    const opened = await client.command(
      buildExecute({ statementId: ok.statementId, params: [], flags: CursorType.READ_ONLY }),
      { cursor: true },
    );
    expect(opened.error).toBeUndefined();
    expect(opened.statusFlags & SERVER_STATUS_CURSOR_EXISTS).toBeTruthy();
    expect(opened.rows).toBe(0);
    const reader = new BinaryRow(columns);
    const first = await client.command(buildStmtFetch(ok.statementId, 2));
    expect(fetchedRows(first).map((r) => reader.wrap(r).toArray())).toEqual([
      [1, 'héllo'],
      [2, null],
    ]);
    expect(first.statusFlags & SERVER_STATUS_LAST_ROW_SENT).toBe(0);
    const rest = await client.command(buildStmtFetch(ok.statementId, 10));
    expect(fetchedRows(rest).map((r) => reader.wrap(r).toArray())).toEqual([[3, '']]);
    expect(rest.statusFlags & SERVER_STATUS_LAST_ROW_SENT).toBeTruthy();
    await client.command(buildStmtClose(ok.statementId));
  });

  it('sends parameters as long data in chunks', async () => {
    const { ok } = await prepare('INSERT INTO types (id, tx, bl) VALUES (?, ?, ?)');
    const big = Buffer.alloc(60_000, 0xab); // BLOB holds up to 64 KiB
    expect(
      (await client.command(buildSendLongData(ok.statementId, 1, Buffer.from('part one, ')))).packets,
    ).toEqual([]);
    await client.command(buildSendLongData(ok.statementId, 1, Buffer.from('part two ✓')));
    await client.command(buildSendLongData(ok.statementId, 2, big.subarray(0, 35_000)));
    await client.command(buildSendLongData(ok.statementId, 2, big.subarray(35_000)));
    const res = await client.command(
      buildExecute({
        statementId: ok.statementId,
        params: [
          20,
          { value: null, longData: true, type: { type: ColumnType.VAR_STRING, unsigned: false } },
          { value: null, longData: true },
        ],
      }),
    );
    expect(res.error).toBeUndefined();
    const [rows] = await peer.query('SELECT tx, bl FROM types WHERE id = 20');
    expect(rows).toEqual([{ tx: 'part one, part two ✓', bl: big }]);
    await client.command(buildStmtClose(ok.statementId));
  });

  it('COM_STMT_RESET discards long data; COM_STMT_CLOSE frees the statement', async () => {
    const { ok } = await prepare('INSERT INTO types (id, tx) VALUES (?, ?)');
    await client.command(buildSendLongData(ok.statementId, 1, Buffer.from('discarded')));
    const reset = await client.command(buildStmtReset(ok.statementId));
    expect(reset.error).toBeUndefined();
    expect(reset.packets[0]!.payload[0]).toBe(0x00);
    expect(
      (await client.command(buildExecute({ statementId: ok.statementId, params: [21, 'kept'] }))).error,
    ).toBeUndefined();
    expect(await peer.query('SELECT tx FROM types WHERE id = 21').then(([r]) => r)).toEqual([{ tx: 'kept' }]);
    expect((await client.command(buildStmtClose(ok.statementId))).packets).toEqual([]);
    const after = await client.command(buildExecute({ statementId: ok.statementId, params: [22, 'x'] }));
    expect(after.error).toMatchObject({ errno: 1243, sqlState: 'HY000' });
  });

  it('bad SQL answers ERR with code and SQL state, and the connection carries on', async () => {
    expect((await client.query('SELEC 1')).error).toMatchObject({ errno: 1064, sqlState: '42000' });
    expect((await client.command(buildPrepare('SELECT * FROM nowhere'))).error).toMatchObject({
      errno: 1146,
      sqlState: '42S02',
    });
    const { rows } = resultSet(await client.query('SELECT 1'));
    expect(rows).toHaveLength(1);
  });
});

describe('simple commands against MariaDB', () => {
  const scalar = async (sql: string) => {
    const { columns, rows } = resultSet(await client.query(sql));
    return new TextRow(columns).wrap(rows[0]!).get(0);
  };

  it('COM_PING, COM_STATISTICS, COM_DEBUG', async () => {
    expect((await client.command(buildPing())).packets[0]!.payload[0]).toBe(0x00);
    const stats = await client.command(buildStatistics());
    expect(stats.packets[0]!.payload.toString()).toMatch(/^Uptime: \d+/);
    expect((await client.command(buildDebug())).error).toBeUndefined();
  });

  it('COM_INIT_DB switches the schema or answers ER_BAD_DB_ERROR', async () => {
    expect((await client.command(buildInitDb('mysql'))).error).toBeUndefined();
    expect(await scalar('SELECT DATABASE()')).toBe('mysql');
    expect((await client.command(buildInitDb('no_such_db'))).error).toMatchObject({
      errno: 1049,
      sqlState: '42000',
    });
    await client.command(buildInitDb('test'));
  });

  it('COM_SET_OPTION turns multi-statements on and off', async () => {
    expect((await client.command(buildSetOption(true))).error).toBeUndefined();
    expect((await client.query('SELECT 1; SELECT 2')).resultSets).toBe(2);
    expect((await client.command(buildSetOption(false))).error).toBeUndefined();
    expect((await client.query('SELECT 1; SELECT 2')).error).toMatchObject({ errno: 1064 });
  });

  it('COM_FIELD_LIST lists column definitions with defaults', async () => {
    const res = await client.command(buildFieldList('types', 'v%'));
    expect(res.error).toBeUndefined();
    const defs = res.packets.slice(0, -1).map((p) => decodeColumnDefinition(p.payload, { fieldList: true }));
    expect(defs.map((d) => [d.name, d.type, d.table])).toEqual([['vc', ColumnType.VAR_STRING, 'types']]);
  });

  it('COM_RESET_CONNECTION clears session state', async () => {
    await client.query('SET @v = 42');
    expect(await scalar('SELECT @v')).toBe(42);
    expect((await client.command(buildResetConnection())).error).toBeUndefined();
    expect(await scalar('SELECT @v')).toBeNull();
  });

  it('COM_CHANGE_USER re-authenticates with schema, charset and attributes', async () => {
    // RawClient does not model the auth switch that may answer COM_CHANGE_USER: drive it by hand.
    const conv = await Conversation.connect({
      host: db.host,
      port: db.port,
      user: db.user,
      password: db.password,
      database: 'test',
    });
    try {
      const { capabilities, greeting } = conv.session;
      const authData = scrambleNativePassword(db.password, greeting.nonce);
      const change = {
        user: db.user,
        authData,
        schema: 'mysql',
        characterSet: 45,
        plugin: 'mysql_native_password',
        attributes: { program_name: 'cmd-test' },
      };
      conv.send(buildChangeUser(change, capabilities), 0);
      let reply = await conv.next();
      if (reply.payload[0] === 0xfe) {
        const req = decodeAuthSwitchRequest(reply.payload);
        expect(req.plugin).toBe('mysql_native_password');
        conv.send(scrambleNativePassword(db.password, req.data), reply.sequenceId + 1);
        reply = await conv.next();
      }
      expect(reply.payload[0]).toBe(0x00);
      conv.send(buildQuery('SELECT DATABASE(), CURRENT_USER()'), 0);
      const eof = capabilities & CLIENT_DEPRECATE_EOF ? 0 : 1;
      const packets = [];
      for (let i = 0; i < 1 + 2 + eof + 1 + 1; i++) packets.push((await conv.next()).payload);
      const columns = packets.slice(1, 3).map((p) => decodeColumnDefinition(p));
      const [schema, user] = new TextRow(columns).wrap(packets[3 + eof]!).toArray();
      expect(schema).toBe('mysql');
      expect(String(user)).toMatch(/^root@/);

      // A wrong password is refused with ER_ACCESS_DENIED_ERROR.
      conv.send(
        buildChangeUser(
          { ...change, authData: scrambleNativePassword('wrong', greeting.nonce) },
          capabilities,
        ),
        0,
      );
      reply = await conv.next();
      if (reply.payload[0] === 0xfe) {
        conv.send(
          scrambleNativePassword('wrong', decodeAuthSwitchRequest(reply.payload).data),
          reply.sequenceId + 1,
        );
        reply = await conv.next();
      }
      expect(decodeErr(reply.payload)).toMatchObject({ errno: 1045, sqlState: '28000' });
    } finally {
      conv.close();
    }
  });

  it('LOAD DATA LOCAL INFILE: request, chunked data, empty terminator', async () => {
    const conv = await Conversation.connect({
      host: db.host,
      port: db.port,
      user: db.user,
      password: db.password,
      database: 'test',
    });
    try {
      expect(conv.session.capabilities & CLIENT_LOCAL_FILES).toBeTruthy();
      conv.send(
        buildQuery("LOAD DATA LOCAL INFILE 'rows.csv' INTO TABLE types FIELDS TERMINATED BY ',' (id, vc)"),
        0,
      );
      const request = await conv.next();
      expect(isLocalInfileRequest(request.payload)).toBe(true);
      expect(decodeLocalInfileRequest(request.payload)).toBe('rows.csv');
      const csv = Buffer.from(Array.from({ length: 50 }, (_, i) => `${100 + i},row ${i}\n`).join(''));
      const { packets } = encodeLocalInfileData(csv, request.sequenceId + 1, { chunkSize: 100 });
      conv.write(packets);
      const done = await conv.next();
      expect(done.payload[0]).toBe(0x00);
      const [rows] = await peer.query(
        'SELECT COUNT(*) AS n, MAX(vc) AS last FROM types WHERE id BETWEEN 100 AND 149',
      );
      expect(rows).toEqual([{ n: '50', last: 'row 9' }]); // COUNT(*) is a BIGINT: a string with bigNumberStrings
    } finally {
      conv.close();
    }
  });

  it('COM_PROCESS_KILL ends another connection', async () => {
    const victim = await RawClient.connect({
      host: db.host,
      port: db.port,
      user: db.user,
      password: db.password,
    });
    expect((await client.command(buildProcessKill(victim.session.connectionId))).error).toBeUndefined();
    await expect(victim.query('SELECT 1')).rejects.toThrow();
  });

  it('an unknown command is answered with ER_UNKNOWN_COM_ERROR', async () => {
    const res = await client.command(Buffer.from([0x1d]));
    expect(res.error).toMatchObject({ errno: 1047, sqlState: '08S01' });
    expect((await client.command(buildQuery('SELECT 1'))).error).toBeUndefined();
  });
});
