import { ProtocolError } from '../errors.js';

/**
 * Size of the length-encoded integer header starting with byte `first` (1, 3, 4 or 9), or 0 for
 * 0xFB (NULL) and 0xFF, which are not lengths.
 */
export function lenencHeaderSize(first: number): number {
  if (first < 0xfb) return 1;
  if (first === 0xfc) return 3;
  if (first === 0xfd) return 4;
  if (first === 0xfe) return 9;
  return 0;
}

/**
 * The value of the length-encoded integer at `pos`, whose header (of `headerSize` bytes) the
 * caller has bounds-checked. Values past 2^53 come out inexact, which only matters for lengths
 * that the caller then finds exceed the packet anyway.
 */
export function lenencValue(buf: Buffer, pos: number, headerSize: number): number {
  switch (headerSize) {
    case 1:
      return buf[pos]!;
    case 3:
      return buf[pos + 1]! | (buf[pos + 2]! << 8);
    case 4:
      return buf[pos + 1]! | (buf[pos + 2]! << 8) | (buf[pos + 3]! << 16);
    default:
      return buf.readUInt32LE(pos + 5) * 0x1_0000_0000 + buf.readUInt32LE(pos + 1);
  }
}

/**
 * Bounds-checks the length-encoded string at `pos` (which must end by `end`) and returns the
 * offset just past it. The data starts `lenencHeaderSize(buf[pos])` bytes after `pos`.
 */
export function skipLenencString(buf: Buffer, pos: number, end: number, what: string): number {
  const header = lenencHeaderSize(buf[pos]!);
  if (header === 0) {
    throw new ProtocolError(`${what}: bad length byte 0x${buf[pos]!.toString(16)} at offset ${pos}`);
  }
  if (pos + header > end) throw new ProtocolError(`${what}: truncated length at offset ${pos}`);
  const length = lenencValue(buf, pos, header);
  const next = pos + header + length;
  if (next > end) {
    throw new ProtocolError(`${what}: value of ${length} byte(s) at offset ${pos} runs past the packet end`);
  }
  return next;
}
