import { ProtocolError } from '../errors.js';
import { encodeFrames, MAX_FRAME_PAYLOAD } from '../framing/encoder.js';
import { LOCAL_INFILE_HEADER } from '../packets/headers.js';
import { PacketWriter } from '../wire/index.js';

/**
 * LOAD DATA LOCAL INFILE: the server answers the query with 0xFB + the file name; the client
 * sends the file's contents as packets (continuing the sequence ids) and then an empty packet;
 * the server answers OK or ERR.
 */

/** True when a query response's first packet is a LOCAL INFILE request. */
export function isLocalInfileRequest(payload: Buffer): boolean {
  return payload.length > 0 && payload[0] === LOCAL_INFILE_HEADER;
}

/** The LOCAL INFILE request packet payload. */
export function encodeLocalInfileRequest(filename: string): Buffer {
  return new PacketWriter(filename.length + 4).u8(LOCAL_INFILE_HEADER).string(filename).payload();
}

/** The file name a LOCAL INFILE request asks for. */
export function decodeLocalInfileRequest(payload: Buffer): string {
  if (!isLocalInfileRequest(payload)) throw new ProtocolError('not a LOCAL INFILE request (expected 0xFB)');
  return payload.toString('utf8', 1);
}

/**
 * Frames `data` as the client's LOCAL INFILE content, `chunkSize` bytes per packet, sequence ids
 * from `sequenceId`. With `terminate`, the empty end-of-file packet is appended. Returns the
 * bytes to write and the next sequence id, so a large file can be sent in several calls.
 */
export function encodeLocalInfileData(
  data: Uint8Array,
  sequenceId: number,
  options: { chunkSize?: number; terminate?: boolean } = {},
): { packets: Buffer; nextSequenceId: number } {
  const chunkSize = options.chunkSize ?? MAX_FRAME_PAYLOAD - 1;
  if (!(chunkSize > 0 && chunkSize < MAX_FRAME_PAYLOAD)) {
    throw new RangeError(`LOCAL INFILE chunkSize ${chunkSize}: expected 1..${MAX_FRAME_PAYLOAD - 1}`);
  }
  const parts: Buffer[] = [];
  let seq = sequenceId;
  for (let at = 0; at < data.length; at += chunkSize) {
    parts.push(encodeFrames(data.subarray(at, at + chunkSize), seq));
    seq = (seq + 1) & 0xff;
  }
  if (options.terminate ?? true) {
    parts.push(encodeFrames(Buffer.alloc(0), seq));
    seq = (seq + 1) & 0xff;
  }
  return { packets: Buffer.concat(parts), nextSequenceId: seq };
}

/** True for the empty packet that ends the client's LOCAL INFILE data. */
export function isLocalInfileEnd(payload: Buffer): boolean {
  return payload.length === 0;
}
