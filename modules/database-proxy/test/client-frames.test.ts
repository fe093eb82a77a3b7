import { encodeFrames, SERVER_STATUS_AUTOCOMMIT, SERVER_STATUS_IN_TRANS } from '@scalestack/mysql-protocol';
import { describe, expect, it } from 'vitest';
import {
  frameOf,
  lastPacketStart,
  markEofsInTransaction,
  markResponseInTransaction,
} from '../src/frontend/client-frames.js';

const EOF = (status: number) => Buffer.from([0xfe, 0, 0, status & 0xff, status >> 8]);

describe('client frames', () => {
  it('finds the frame a whole command arrived in, and only then', () => {
    const frame = encodeFrames(Buffer.from('\x03SELECT 1', 'latin1'), 0);
    const chunk = Buffer.concat([Buffer.from('junk'), frame]);
    const payload = chunk.subarray(8);
    expect(frameOf(chunk, payload, 0)).toEqual(frame);
    // Not sequence 0 (part of a conversation), or a copy (the decoder joined pieces).
    expect(frameOf(chunk, payload, 1)).toBeUndefined();
    expect(frameOf(chunk, Buffer.from(payload), 0)).toBeUndefined();
    // A view whose header is not in the chunk.
    expect(frameOf(chunk.subarray(6), chunk.subarray(8), 0)).toBeUndefined();
  });

  it('finds the last packet of a run', () => {
    const run = Buffer.concat([encodeFrames(Buffer.from([1, 2, 3]), 2), encodeFrames(Buffer.from([0]), 3)]);
    expect(lastPacketStart(run)).toBe(7);
    expect(lastPacketStart(encodeFrames(Buffer.from([9]), 1))).toBe(0);
  });

  it('marks every EOF of a prepare answer as in a transaction, nothing else', () => {
    const column = encodeFrames(Buffer.from([3, 0x64, 0x65, 0x66, 0xfe, 0, 0]), 2);
    const frames = Buffer.concat([column, encodeFrames(EOF(SERVER_STATUS_AUTOCOMMIT), 3)]);
    const before = Buffer.from(frames);
    markEofsInTransaction(frames);
    expect(frames.subarray(0, column.length)).toEqual(before.subarray(0, column.length));
    expect(frames.readUInt16LE(column.length + 4 + 3)).toBe(
      SERVER_STATUS_AUTOCOMMIT | SERVER_STATUS_IN_TRANS,
    );
  });

  it('marks the OK that ends a response after its two length-encoded integers, and leaves an ERR alone', () => {
    const status = (frames: Buffer, at: number) => frames.readUInt16LE(at);
    // OK: affected rows 300 (0xFC + 2 bytes), insert id 0, status, warnings.
    const ok = encodeFrames(Buffer.from([0x00, 0xfc, 0x2c, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00]), 1);
    markResponseInTransaction(ok);
    expect(status(ok, 4 + 5)).toBe(SERVER_STATUS_AUTOCOMMIT | SERVER_STATUS_IN_TRANS);
    // DEPRECATE_EOF: a row, then the 0xFE OK that ends the result set (with an info string).
    const row = encodeFrames(Buffer.from([1, 0x31]), 2);
    const end = encodeFrames(Buffer.from([0xfe, 0, 0, 0x02, 0x00, 0, 0, 2, 0x68, 0x69]), 3);
    const result = Buffer.concat([row, end]);
    markResponseInTransaction(result);
    expect(result.subarray(0, row.length)).toEqual(row);
    expect(status(result, row.length + 4 + 3)).toBe(SERVER_STATUS_AUTOCOMMIT | SERVER_STATUS_IN_TRANS);
    // A classic EOF result: both EOFs.
    const classic = Buffer.concat([
      encodeFrames(EOF(SERVER_STATUS_AUTOCOMMIT), 2),
      row,
      encodeFrames(EOF(SERVER_STATUS_AUTOCOMMIT), 4),
    ]);
    markResponseInTransaction(classic);
    expect([status(classic, 7), status(classic, classic.length - 2)]).toEqual([
      SERVER_STATUS_AUTOCOMMIT | SERVER_STATUS_IN_TRANS,
      SERVER_STATUS_AUTOCOMMIT | SERVER_STATUS_IN_TRANS,
    ]);
    // The usual end of a result under DEPRECATE_EOF: 7 bytes, no info.
    const short = encodeFrames(Buffer.from([0xfe, 0, 0, 0x02, 0x00, 0, 0]), 3);
    markResponseInTransaction(short);
    expect(status(short, 4 + 3)).toBe(SERVER_STATUS_AUTOCOMMIT | SERVER_STATUS_IN_TRANS);
    const err = encodeFrames(Buffer.from([0xff, 0x15, 0x04, 0x23, 0x34, 0x32, 0x30, 0x30, 0x30, 0x78]), 1);
    const errBefore = Buffer.from(err);
    markResponseInTransaction(err);
    expect(err).toEqual(errBefore);
    markResponseInTransaction(Buffer.alloc(0));
  });
});
