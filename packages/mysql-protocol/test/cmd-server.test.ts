/**
 * The server side of the command codec, with mysql2 as the client: text rows, binary rows,
 * STMT_PREPARE_OK and COM_STMT_EXECUTE decoding must be exactly what a real driver expects.
 */
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CollationId,
  ColumnFlag,
  ColumnType,
  columnDefinition,
  credentialsFor,
  NATIVE_PASSWORD_PLUGIN,
  type SqlValue,
} from '../src/index.js';
import { startTableServer, type TableServer } from './support/cmd-table-server.js';

const columns = [
  columnDefinition({ name: 'id', type: ColumnType.LONG, flags: ColumnFlag.NOT_NULL | ColumnFlag.PRI_KEY }),
  columnDefinition({ name: 'big', type: ColumnType.LONGLONG, flags: ColumnFlag.UNSIGNED }),
  columnDefinition({ name: 'f', type: ColumnType.DOUBLE, decimals: 31 }),
  columnDefinition({ name: 'dec', type: ColumnType.NEWDECIMAL, decimals: 2 }),
  columnDefinition({ name: 'd', type: ColumnType.DATE }),
  columnDefinition({ name: 'dt', type: ColumnType.DATETIME, decimals: 3 }),
  columnDefinition({ name: 'tm', type: ColumnType.TIME }),
  columnDefinition({ name: 's', type: ColumnType.VAR_STRING }),
  columnDefinition({
    name: 'b',
    type: ColumnType.BLOB,
    characterSet: CollationId.BINARY,
    flags: ColumnFlag.BLOB | ColumnFlag.BINARY,
  }),
  columnDefinition({ name: 'n', type: ColumnType.VAR_STRING }),
];
const rows: SqlValue[][] = [
  [
    1,
    2n ** 64n - 1n,
    1.5,
    '123.45',
    '2024-02-29',
    '2024-02-29 13:05:09.250',
    '-01:02:03',
    'héllo ✓',
    Buffer.from([0, 1]),
    null,
  ],
  [
    2,
    7,
    -0.25,
    '-0.01',
    { year: 1999, month: 12, day: 31, hour: 0, minute: 0, second: 0, microsecond: 0 },
    new Date(Date.UTC(1999, 11, 31, 23, 59, 59)),
    '838:59:59',
    '',
    Buffer.alloc(0),
    'x',
  ],
];
const expected = [
  {
    id: 1,
    big: '18446744073709551615',
    f: 1.5,
    dec: '123.45',
    d: '2024-02-29',
    dt: '2024-02-29 13:05:09.250',
    tm: '-01:02:03',
    s: 'héllo ✓',
    b: Buffer.from([0, 1]),
    n: null,
  },
  {
    id: 2,
    big: '7',
    f: -0.25,
    dec: '-0.01',
    d: '1999-12-31',
    dt: '1999-12-31 23:59:59.000',
    tm: '838:59:59',
    s: '',
    b: Buffer.alloc(0),
    n: 'x',
  },
];

let server: TableServer;
let client: mysql.Connection;

beforeAll(async () => {
  server = await startTableServer(columns, rows, {
    lookup: (user) => (user === 'app' ? credentialsFor('secret') : undefined),
    authPlugin: NATIVE_PASSWORD_PLUGIN,
  });
  client = await mysql.createConnection({
    host: '127.0.0.1',
    port: server.port,
    user: 'app',
    password: 'secret',
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
  });
});

afterAll(async () => {
  await client?.end();
  await server?.close();
});

describe('server side with mysql2 as the client', () => {
  it('mysql2 query reads our text rows', async () => {
    const [result, fields] = await client.query('SELECT * FROM t');
    expect(result).toEqual(expected);
    expect(fields.map((f) => f.name)).toEqual(columns.map((c) => c.name));
  });

  it('mysql2 execute prepares, sends typed parameters we decode, and reads our binary rows', async () => {
    const [all] = await client.execute('SELECT * FROM t WHERE id >= ?', [0]);
    // mysql2 drops a zero fraction from binary DATETIME; the text protocol keeps the decimals
    expect(all).toEqual([expected[0], { ...expected[1], dt: '1999-12-31 23:59:59' }]);
    const [some] = await client.execute('SELECT * FROM t WHERE id >= ?', [2]);
    expect((some as { id: number }[]).map((r) => r.id)).toEqual([2]);
    expect(server.seen).toContain('stmt-prepare');
    expect(server.seen).toContain('stmt-execute');
  });

  it('mysql2 sees our ERR for SQL we cannot run, and the connection carries on', async () => {
    await expect(client.query('SELECT nonsense')).rejects.toMatchObject({ errno: 1064, sqlState: '42000' });
    await client.ping();
    const [again] = await client.query('SELECT * FROM t');
    expect(again).toHaveLength(2);
  });
});
