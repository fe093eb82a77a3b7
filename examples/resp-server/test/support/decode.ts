import { type DecoderLimits, RespDecoder } from '../../src/index.js';

/** What a stream decodes to: the commands (as latin1 text) and the error that stopped it, if any. */
export interface Decoded {
  commands: string[][];
  error: string | undefined;
}

/** Feeds `bytes` in pieces of the given sizes (cycled), pulling commands after every piece. */
export function decode(
  bytes: Buffer,
  sizes: readonly number[] = [bytes.length || 1],
  limits?: DecoderLimits,
): Decoded {
  const decoder = new RespDecoder(limits);
  const commands: string[][] = [];
  let at = 0;
  let i = 0;
  while (at < bytes.length) {
    const size = Math.max(1, sizes[i++ % sizes.length]!);
    decoder.push(bytes.subarray(at, at + size));
    at += size;
    for (let args = decoder.next(); args !== undefined; args = decoder.next()) {
      commands.push(args.map((a) => a.toString('latin1')));
    }
  }
  return { commands, error: decoder.error };
}
