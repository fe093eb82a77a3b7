import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../src/errors.js';
import {
  appendLongData,
  buildExecute,
  buildStmtClose,
  buildStmtFetch,
  CursorType,
  decodeExecute,
  decodePrepareOk,
  encodePrepareOk,
  executeParamTypes,
  preparedStatementState,
  resetStatementState,
  rewriteStatementId,
  statementIdOf,
  withParamTypes,
} from '../src/statements/index.js';
import { ColumnType } from '../src/types/index.js';

describe('statements: STMT_PREPARE_OK', () => {
  it('round-trips, with and without the metadata-follows byte', () => {
    const ok = { statementId: 0xdeadbeef, columnCount: 3, paramCount: 2, warningCount: 1 };
    expect(decodePrepareOk(encodePrepareOk(ok))).toEqual(ok);
    expect(encodePrepareOk(ok)).toHaveLength(12);
    const withFlag = { ...ok, metadataFollows: false };
    expect(decodePrepareOk(encodePrepareOk(withFlag))).toEqual(withFlag);
    expect(() => decodePrepareOk(Buffer.from([0xff, 1, 2]))).toThrow(/0x00/);
    expect(() => decodePrepareOk(Buffer.from([0, 1, 2]))).toThrow(ProtocolError);
  });
});

describe('statements: COM_STMT_EXECUTE', () => {
  it('round-trips every parameter type with NULLs, types sent', () => {
    const params = [
      1,
      -5n,
      2n ** 64n - 1n,
      2.5,
      'text ✓',
      Buffer.from([0, 255]),
      null,
      true,
      '2020-01-02 03:04:05.000006',
    ];
    const payload = buildExecute({ statementId: 5, params, flags: CursorType.READ_ONLY });
    const state = preparedStatementState(5, params.length);
    const cmd = decodeExecute(payload, state);
    expect(cmd).toMatchObject({
      statementId: 5,
      flags: CursorType.READ_ONLY,
      iterationCount: 1,
      newParamsBound: true,
    });
    expect(cmd.params.map((p) => p.value)).toEqual([
      1,
      -5,
      2n ** 64n - 1n,
      2.5,
      'text ✓',
      Buffer.from([0, 255]),
      null,
      1,
      '2020-01-02 03:04:05.000006',
    ]);
    expect(cmd.params[2]).toMatchObject({ type: ColumnType.LONGLONG, unsigned: true });
    expect(state.boundTypes?.map((t) => t.type)).toEqual(cmd.params.map((p) => p.type));
  });
  it('uses the bound types when the client leaves them out (new-params-bound = 0)', () => {
    const state = preparedStatementState(1, 2);
    decodeExecute(buildExecute({ statementId: 1, params: [1, 'a'] }), state);
    const again = buildExecute({
      statementId: 1,
      params: [2, 'b'],
      sendTypes: false,
      types: state.boundTypes,
    });
    const cmd = decodeExecute(again, state);
    expect(cmd.newParamsBound).toBe(false);
    expect(cmd.params.map((p) => p.value)).toEqual([2, 'b']);
    const fresh = preparedStatementState(1, 2);
    expect(() => decodeExecute(again, fresh)).toThrow(/none were bound/);
  });
  it('takes long data from the state instead of the packet, then forgets it', () => {
    const state = preparedStatementState(3, 2);
    appendLongData(state, 1, Buffer.from('hello '));
    appendLongData(state, 1, Buffer.from('world'));
    const payload = buildExecute({
      statementId: 3,
      params: [7, { value: null, longData: true }],
    });
    const cmd = decodeExecute(payload, state);
    expect(cmd.params[1]!.value).toEqual(Buffer.from('hello world'));
    expect(state.longData.size).toBe(0);
    appendLongData(state, 0, Buffer.from('x'));
    resetStatementState(state);
    expect(state.longData.size).toBe(0);
    expect(() => appendLongData(state, 2, Buffer.from('x'))).toThrow(/parameter 2/);
  });
  it('carries MySQL named parameters with CLIENT_QUERY_ATTRIBUTES', () => {
    const payload = buildExecute({
      statementId: 2,
      params: [1, { name: 'attr', value: 'x' }],
      queryAttributes: true,
    });
    const cmd = decodeExecute(payload, preparedStatementState(2, 1), { queryAttributes: true });
    expect(cmd.params).toEqual([
      { type: ColumnType.LONGLONG, unsigned: false, name: '', value: 1 },
      { type: ColumnType.VAR_STRING, unsigned: false, name: 'attr', value: 'x' },
    ]);
  });
  it('executes a statement without parameters', () => {
    const cmd = decodeExecute(buildExecute({ statementId: 4, params: [] }), preparedStatementState(4, 0));
    expect(cmd.params).toEqual([]);
  });
  it('refuses unknown parameter types, truncation and trailing bytes', () => {
    const state = () => preparedStatementState(1, 1);
    const good = buildExecute({ statementId: 1, params: [1] });
    const badType = Buffer.from(good);
    badType[12] = 0x42;
    expect(() => decodeExecute(badType, state())).toThrow(/unknown type/);
    for (let n = 1; n < good.length; n++)
      expect(() => decodeExecute(good.subarray(0, n), state())).toThrow(ProtocolError);
    expect(() => decodeExecute(Buffer.concat([good, Buffer.from([0])]), state())).toThrow(
      /after the parameters/,
    );
  });
});

describe('statements: parameter types for re-prepared statements', () => {
  it('reads types off an execute and inserts them into one that left them out', () => {
    const params = [1, 'two', null, 2n ** 64n - 1n];
    const withTypes = buildExecute({ statementId: 4, params });
    const types = executeParamTypes(withTypes, 4)!;
    expect(types.map((t) => t.type)).toEqual([
      ColumnType.LONGLONG,
      ColumnType.VAR_STRING,
      ColumnType.NULL,
      ColumnType.LONGLONG,
    ]);
    expect(types[3]!.unsigned).toBe(true);
    expect(withParamTypes(withTypes, 4, types)).toBe(withTypes);
    const without = buildExecute({ statementId: 4, params, sendTypes: false, types });
    expect(executeParamTypes(without, 4)).toBeUndefined();
    const restored = withParamTypes(without, 4, types);
    expect(restored).toEqual(withTypes);
    // a backend that never saw the types can decode it
    expect(decodeExecute(restored, preparedStatementState(4, 4)).params.map((p) => p.value)).toEqual([
      1,
      'two',
      null,
      2n ** 64n - 1n,
    ]);
    expect(executeParamTypes(buildExecute({ statementId: 1, params: [] }), 0)).toBeUndefined();
    expect(() => executeParamTypes(withTypes.subarray(0, 12), 4)).toThrow(ProtocolError);
    expect(() => withParamTypes(without, 4, types.slice(1))).toThrow(RangeError);
  });
});

describe('statements: statement id rewriting', () => {
  it('rewrites in place or into a copy, in a payload or a framed packet', () => {
    const payload = buildStmtFetch(1, 10);
    const copy = rewriteStatementId(payload, 99, 0, false);
    expect(statementIdOf(copy)).toBe(99);
    expect(statementIdOf(payload)).toBe(1);
    rewriteStatementId(payload, 0xfffffffe);
    expect(statementIdOf(payload)).toBe(0xfffffffe);
    const framed = Buffer.concat([Buffer.from([5, 0, 0, 0]), buildStmtClose(12)]);
    rewriteStatementId(framed, 34, 4);
    expect(statementIdOf(framed, 4)).toBe(34);
    const exec = buildExecute({ statementId: 8, params: ['a'] });
    rewriteStatementId(exec, 80);
    expect(decodeExecute(exec, preparedStatementState(80, 1)).params[0]!.value).toBe('a');
  });
  it('refuses commands without a statement id', () => {
    expect(() => rewriteStatementId(Buffer.from([0x03, 0, 0, 0, 0]), 1)).toThrow(
      /COM_QUERY carries no statement id/,
    );
    expect(() => statementIdOf(Buffer.from([0x19, 1]))).toThrow(/too short/);
  });
});
