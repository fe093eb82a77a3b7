/** Largest payload one frame carries; a frame of exactly this size means "more follows". */
export const MAX_FRAME_PAYLOAD = 0xffffff;

/** How many frames a payload of `length` bytes needs (an exact multiple adds an empty frame). */
export function frameCount(length: number): number {
  return Math.floor(length / MAX_FRAME_PAYLOAD) + 1;
}

/**
 * Frames one logical payload: 4-byte header (length int<3>, sequence id int<1>) per frame,
 * splitting at 0xFFFFFF bytes and ending with a shorter (possibly empty) frame.
 * Sequence ids count up from `sequenceId`, wrapping at 256.
 */
export function encodeFrames(payload: Uint8Array, sequenceId: number): Buffer {
  const frames = frameCount(payload.length);
  const out = Buffer.allocUnsafe(payload.length + 4 * frames);
  let src = 0;
  let dst = 0;
  for (let i = 0; i < frames; i++) {
    const n = Math.min(MAX_FRAME_PAYLOAD, payload.length - src);
    out[dst] = n & 0xff;
    out[dst + 1] = (n >>> 8) & 0xff;
    out[dst + 2] = (n >>> 16) & 0xff;
    out[dst + 3] = (sequenceId + i) & 0xff;
    out.set(payload.subarray(src, src + n), dst + 4);
    src += n;
    dst += 4 + n;
  }
  return out;
}

/**
 * Stateful framing for one direction of a connection: remembers the next sequence id.
 * Call {@link PacketEncoder.reset} when a new command starts (the client's command is id 0).
 */
export class PacketEncoder {
  /** Sequence id the next frame gets. */
  sequenceId = 0;

  /** Frames `payload`, advancing the sequence id by the number of frames used. */
  encode(payload: Uint8Array): Buffer {
    const out = encodeFrames(payload, this.sequenceId);
    this.sequenceId = (this.sequenceId + frameCount(payload.length)) & 0xff;
    return out;
  }

  /** Starts a new exchange at sequence id `to` (0 for a new command). */
  reset(to = 0): void {
    this.sequenceId = to & 0xff;
  }
}
