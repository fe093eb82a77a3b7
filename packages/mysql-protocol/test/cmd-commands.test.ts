import { describe, expect, it } from 'vitest';
import {
  buildChangeUser,
  buildDebug,
  buildFieldList,
  buildInitDb,
  buildPing,
  buildProcessKill,
  buildQuery,
  buildQuit,
  buildResetConnection,
  buildSetOption,
  buildStatistics,
  parseCommand,
} from '../src/commands/index.js';
import { ProtocolError } from '../src/errors.js';
import {
  CLIENT_CONNECT_ATTRS,
  CLIENT_PLUGIN_AUTH,
  CLIENT_QUERY_ATTRIBUTES,
  CLIENT_SECURE_CONNECTION,
} from '../src/packets/capabilities.js';
import {
  buildPrepare,
  buildSendLongData,
  buildStmtClose,
  buildStmtFetch,
  buildStmtReset,
} from '../src/statements/index.js';
import { ColumnType } from '../src/types/index.js';

describe('commands: builders and parseCommand agree', () => {
  it('round-trips the argument-less commands', () => {
    expect(parseCommand(buildPing())).toEqual({ kind: 'ping' });
    expect(parseCommand(buildQuit())).toEqual({ kind: 'quit' });
    expect(parseCommand(buildStatistics())).toEqual({ kind: 'statistics' });
    expect(parseCommand(buildResetConnection())).toEqual({ kind: 'reset-connection' });
    expect(parseCommand(buildDebug())).toEqual({ kind: 'debug' });
  });
  it('round-trips commands with arguments', () => {
    expect(parseCommand(buildInitDb('shop_ü'))).toEqual({ kind: 'init-db', schema: 'shop_ü' });
    // A name goes in the character set the server reads it in: ü is one byte in latin1.
    expect([...buildInitDb('shop_ü', 'latin1')]).toEqual([0x02, ...Buffer.from('shop_', 'latin1'), 0xfc]);
    expect(parseCommand(buildSetOption(true))).toEqual({
      kind: 'set-option',
      option: 0,
      multiStatements: true,
    });
    expect(parseCommand(buildSetOption(false))).toMatchObject({ multiStatements: false });
    expect(parseCommand(buildFieldList('orders', 'id%'))).toEqual({
      kind: 'field-list',
      table: 'orders',
      wildcard: 'id%',
    });
    expect(parseCommand(buildProcessKill(4_000_000_000))).toEqual({
      kind: 'process-kill',
      connectionId: 4_000_000_000,
    });
    expect(parseCommand(buildPrepare('SELECT ?'))).toEqual({ kind: 'stmt-prepare', sql: 'SELECT ?' });
    expect(parseCommand(buildSendLongData(7, 2, Buffer.from('abc')))).toEqual({
      kind: 'stmt-send-long-data',
      statementId: 7,
      paramId: 2,
      data: Buffer.from('abc'),
    });
    expect(parseCommand(buildStmtClose(9))).toEqual({ kind: 'stmt-close', statementId: 9 });
    expect(parseCommand(buildStmtReset(9))).toEqual({ kind: 'stmt-reset', statementId: 9 });
    expect(parseCommand(buildStmtFetch(9, 100))).toEqual({ kind: 'stmt-fetch', statementId: 9, rows: 100 });
  });
  it('parses COM_QUERY with and without query attributes', () => {
    const plain = parseCommand(buildQuery('SELECT 1'));
    expect(plain).toMatchObject({ kind: 'query', sql: 'SELECT 1', attributes: [] });
    const capabilities = CLIENT_QUERY_ATTRIBUTES;
    const empty = parseCommand(buildQuery('SELECT 2', { queryAttributes: true }), { capabilities });
    expect(empty).toMatchObject({ kind: 'query', sql: 'SELECT 2', attributes: [] });
    const withAttrs = buildQuery('SELECT 3', {
      queryAttributes: true,
      attributes: [
        { name: 'trace_id', value: 'abc-123' },
        { name: 'n', value: 42 },
        { name: 'nothing', value: null },
      ],
    });
    expect(parseCommand(withAttrs, { capabilities })).toEqual({
      kind: 'query',
      sql: 'SELECT 3',
      sqlBytes: Buffer.from('SELECT 3'),
      attributes: [
        { name: 'trace_id', type: ColumnType.VAR_STRING, unsigned: false, value: 'abc-123' },
        { name: 'n', type: ColumnType.LONGLONG, unsigned: false, value: 42 },
        { name: 'nothing', type: ColumnType.NULL, unsigned: false, value: null },
      ],
    });
    expect(() => buildQuery('x', { attributes: [{ name: 'a', value: 1 }] })).toThrow(
      /CLIENT_QUERY_ATTRIBUTES/,
    );
  });
  it('round-trips COM_CHANGE_USER with every optional part', () => {
    const caps = CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH | CLIENT_CONNECT_ATTRS;
    const req = {
      user: 'app',
      authData: Buffer.from([1, 2, 3, 0, 4]),
      schema: 'db1',
      characterSet: 45,
      plugin: 'mysql_native_password',
      attributes: { _client_name: 'scalestack', program: 'test' },
    };
    expect(parseCommand(buildChangeUser(req, caps), { capabilities: caps })).toEqual({
      kind: 'change-user',
      ...req,
    });
    const minimal = parseCommand(
      buildChangeUser({ user: 'u', authData: Buffer.alloc(0), schema: '' }, CLIENT_SECURE_CONNECTION),
      {
        capabilities: CLIENT_SECURE_CONNECTION,
      },
    );
    expect(minimal).toMatchObject({ kind: 'change-user', user: 'u', schema: '', characterSet: 45 });
  });
  it('writes and reads COM_CHANGE_USER names in the character set it names, as MariaDB reads them', () => {
    const caps = CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH;
    const latin1 = buildChangeUser(
      { user: 'üser', authData: Buffer.alloc(0), schema: 'café', characterSet: 8 },
      caps,
    );
    // 'ü' and 'é' are one byte each in latin1.
    expect(latin1.subarray(1, 6)).toEqual(Buffer.from([0xfc, 0x73, 0x65, 0x72, 0]));
    expect(parseCommand(latin1, { capabilities: caps })).toMatchObject({ user: 'üser', schema: 'café' });
    const utf8 = buildChangeUser({ user: 'üser', authData: Buffer.alloc(0), schema: 'café' }, caps);
    expect(utf8.subarray(1, 7)).toEqual(Buffer.from('üser\0', 'utf8'));
    expect(parseCommand(utf8, { capabilities: caps })).toMatchObject({ user: 'üser', schema: 'café' });
  });
  it('returns unknown commands with ER_UNKNOWN_COM_ERROR so servers can answer and carry on', () => {
    expect(parseCommand(Buffer.from([0x05, 0x61]))).toEqual({
      kind: 'unknown',
      command: 5,
      name: 'COM_CREATE_DB',
      errno: 1047,
      sqlState: '08S01',
      message: 'Unknown command',
    });
    expect(parseCommand(Buffer.from([0x99]))).toMatchObject({ kind: 'unknown', errno: 1047 });
  });
  it('throws ProtocolError on malformed known commands', () => {
    expect(() => parseCommand(Buffer.alloc(0))).toThrow(/empty/);
    expect(() => parseCommand(Buffer.from([0x1b, 5, 0]))).toThrow(/unknown option 5/);
    expect(() => parseCommand(Buffer.from([0x0c, 1, 2]))).toThrow(ProtocolError);
    expect(() => parseCommand(Buffer.from([0x04, 0x61]))).toThrow(/no NUL/);
    expect(() => parseCommand(Buffer.from([0x17, 1, 0, 0, 0]))).toThrow(ProtocolError);
    expect(() => parseCommand(Buffer.from([0x0e, 0]))).toThrow(/unexpected byte/);
  });
});
