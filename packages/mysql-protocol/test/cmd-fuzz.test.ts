import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildChangeUser, buildQuery, parseCommand } from '../src/commands/index.js';
import { ProtocolError } from '../src/errors.js';
import {
  CLIENT_CONNECT_ATTRS,
  CLIENT_PLUGIN_AUTH,
  CLIENT_QUERY_ATTRIBUTES,
  CLIENT_SECURE_CONNECTION,
} from '../src/packets/capabilities.js';
import {
  BinaryRow,
  columnDefinition,
  decodeColumnCount,
  decodeColumnDefinition,
  encodeColumnDefinition,
  TextRow,
  writeBinaryRow,
  writeTextRow,
} from '../src/resultset/index.js';
import {
  buildExecute,
  decodeExecute,
  decodePrepareOk,
  encodePrepareOk,
  executeParamTypes,
  preparedStatementState,
  withParamTypes,
} from '../src/statements/index.js';
import { CollationId, ColumnFlag, ColumnType } from '../src/types/index.js';
import { PacketWriter } from '../src/wire/index.js';

const paramTypes = [
  { type: ColumnType.LONGLONG, unsigned: false },
  { type: ColumnType.VAR_STRING, unsigned: false },
  { type: ColumnType.NULL, unsigned: false },
];
const ALL_CAPS =
  CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH | CLIENT_CONNECT_ATTRS | CLIENT_QUERY_ATTRIBUTES;

const columns = [
  columnDefinition({ name: 'a', type: ColumnType.LONGLONG, flags: ColumnFlag.UNSIGNED }),
  columnDefinition({ name: 'b', type: ColumnType.DATETIME, decimals: 6 }),
  columnDefinition({ name: 'c', type: ColumnType.TIME }),
  columnDefinition({ name: 'd', type: ColumnType.VAR_STRING }),
  columnDefinition({ name: 'e', type: ColumnType.DOUBLE }),
  columnDefinition({ name: 'f', type: ColumnType.BLOB, characterSet: CollationId.BINARY }),
  columnDefinition({ name: 'g', type: ColumnType.LONG }),
];
const rowValues = [
  2n ** 63n,
  '2020-01-01 01:02:03.000004',
  '-12:00:00',
  'x'.repeat(300),
  1.25,
  Buffer.alloc(70000, 1),
  null,
];

/** Every decoder under test, each taking arbitrary bytes. */
const decoders: Record<string, (b: Buffer) => unknown> = {
  columnDefinition: (b) => decodeColumnDefinition(b, { extendedMetadata: true, fieldList: true }),
  columnCount: (b) => decodeColumnCount(b, true),
  textRow: (b) => new TextRow(columns).wrap(b).toArray(),
  binaryRow: (b) => new BinaryRow(columns).wrap(b).toArray(),
  parseCommand: (b) => parseCommand(b, { capabilities: ALL_CAPS }),
  execute: (b) => decodeExecute(b, preparedStatementState(1, 4), { queryAttributes: true }),
  prepareOk: (b) => decodePrepareOk(b),
  executeTypes: (b) => withParamTypes(b, 3, executeParamTypes(b, 3) ?? paramTypes),
};

const samples: Record<string, Buffer> = {
  columnDefinition: encodeColumnDefinition(
    { ...columns[0]!, extendedTypeName: 'json', defaultValue: Buffer.from('1') },
    { extendedMetadata: true, fieldList: true },
  ),
  columnCount: Buffer.from([3, 1]),
  textRow: Buffer.from(writeTextRow(new PacketWriter(), rowValues, columns).payload()),
  binaryRow: Buffer.from(writeBinaryRow(new PacketWriter(), columns, rowValues).payload()),
  parseCommand: buildChangeUser(
    { user: 'u', authData: Buffer.from('pw'), schema: 's', plugin: 'p', attributes: { k: 'v' } },
    ALL_CAPS,
  ),
  execute: buildExecute({ statementId: 1, params: [1, 'two', null, '10:00:00'], queryAttributes: true }),
  prepareOk: encodePrepareOk({ statementId: 1, columnCount: 2, paramCount: 3, warningCount: 0 }),
};
samples.executeTypes = buildExecute({
  statementId: 1,
  params: [1, 'x', null],
  sendTypes: false,
  types: paramTypes,
});
samples.query = buildQuery('SELECT ?', { queryAttributes: true, attributes: [{ name: 'a', value: 5n }] });
decoders.query = decoders.parseCommand!;

function onlyProtocolErrors(decode: (b: Buffer) => unknown, bytes: Buffer): void {
  try {
    decode(bytes);
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
  }
}

describe('fuzz: decoders fail only with ProtocolError', () => {
  for (const [name, sample] of Object.entries(samples)) {
    const decode = decoders[name]!;
    it(`${name}: the sample decodes`, () => {
      expect(() => decode(sample)).not.toThrow();
    });
    it(`${name}: every truncation`, () => {
      for (let n = 0; n < Math.min(sample.length, 400); n++)
        onlyProtocolErrors(decode, sample.subarray(0, n));
    });
    it(`${name}: random byte mutations`, () => {
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
          (edits) => {
            const bytes = Buffer.from(sample);
            for (const [at, value] of edits) bytes[at % bytes.length] = value;
            onlyProtocolErrors(decode, bytes);
          },
        ),
        { numRuns: 500 },
      );
    });
    it(`${name}: random bytes`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 64 }), (raw) => onlyProtocolErrors(decode, Buffer.from(raw))),
        { numRuns: 500 },
      );
    });
  }
  it('a forged 8-byte length is refused before anything is allocated', () => {
    const forged = Buffer.from([0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0x41]);
    expect(() => new TextRow([columns[3]!]).wrap(forged).get(0)).toThrow(/claims/);
    const exec = Buffer.from([
      0x17, 1, 0, 0, 0, 0x08, 1, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00,
    ]);
    expect(() => decodeExecute(exec, preparedStatementState(1, 1), { queryAttributes: true })).toThrow(
      ProtocolError,
    );
  });
});
