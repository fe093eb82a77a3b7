/**
 * Framing helpers for what the proxy writes to a client: where a forwarded command's own frame
 * is, where the last packet of a run of packets starts, and status flags rewritten in place.
 */
import { isEofPacket, lenencHeaderSize, SERVER_STATUS_IN_TRANS } from '@scalestack/mysql-protocol';

/**
 * The packet's bytes with their header, as a view on the chunk they arrived in — when the
 * decoder handed out a view (the whole frame was in this chunk) and it starts a command
 * (sequence id 0). Otherwise undefined, and the proxy frames the payload itself.
 */
export function frameOf(chunk: Buffer, payload: Buffer, sequenceId: number): Buffer | undefined {
  if (sequenceId !== 0 || payload.buffer !== chunk.buffer || payload.length >= 0xffffff) return undefined;
  const headerAt = payload.byteOffset - 4;
  if (headerAt < chunk.byteOffset) return undefined;
  const frame = Buffer.from(payload.buffer, headerAt, payload.length + 4);
  // The header must be this packet's own: length and sequence id as decoded.
  if (frame.readUIntLE(0, 3) !== payload.length || frame[3] !== 0) return undefined;
  return frame;
}

/** Offset of the last packet in a buffer of whole packets. */
export function lastPacketStart(bytes: Buffer): number {
  let at = 0;
  let last = 0;
  while (at + 4 <= bytes.length) {
    last = at;
    at += 4 + bytes.readUIntLE(at, 3);
  }
  return last;
}

/**
 * Sets IN_TRANS in the status flags of every EOF packet among `frames` (whole frames, none of
 * them continued: a prepare response's packets are small).
 */
export function markEofsInTransaction(frames: Buffer): void {
  for (let at = 0; at + 4 <= frames.length; ) {
    const payload = at + 4;
    const end = payload + frames.readUIntLE(at, 3);
    // Protocol 4.1 EOF: header, warnings (2), status flags (2).
    if (end - payload >= 5 && isEofPacket(frames.subarray(payload, end))) {
      frames.writeUInt16LE(frames.readUInt16LE(payload + 3) | SERVER_STATUS_IN_TRANS, payload + 3);
    }
    at = end;
  }
}

/**
 * Sets IN_TRANS in the status flags of a whole statement response (text result set or OK, not
 * a prepare's): its EOF packets and the OK that ends it (0x00, or 0xFE under DEPRECATE_EOF),
 * whose flags follow two length-encoded integers. An ERR carries none.
 */
export function markResponseInTransaction(frames: Buffer): void {
  if (frames.length < 5) return;
  markEofsInTransaction(frames);
  const last = lastPacketStart(frames);
  const payload = last + 4;
  const end = payload + frames.readUIntLE(last, 3);
  const header = frames[payload];
  // 0xFE of 7 bytes or more is an OK (a classic EOF has 5, marked above).
  if (end > frames.length || (header !== 0x00 && !(header === 0xfe && end - payload >= 7))) return;
  let at = payload + 1;
  for (let i = 0; i < 2 && at < end; i++) at += lenencHeaderSize(frames[at]!) || 1;
  if (at + 2 <= end) frames.writeUInt16LE(frames.readUInt16LE(at) | SERVER_STATUS_IN_TRANS, at);
}
