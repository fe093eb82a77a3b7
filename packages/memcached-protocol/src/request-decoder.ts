import { Framer, INCOMPLETE } from './framer.js';
import { type Limits, resolveLimits } from './limits.js';
import { isValidKey, parseI32, parseU32, parseU64, tokenize } from './tokens.js';
import type { MetaCommand, Request, RetrievalCommand, StorageCommand } from './types.js';

/** Error lines the server side sends, as memcached words them. */
export const ERRORS = Object.freeze({
  unknown: 'ERROR',
  format: 'CLIENT_ERROR bad command line format',
  badChunk: 'CLIENT_ERROR bad data chunk',
  tooLarge: 'SERVER_ERROR object too large for cache',
  lineTooLong: 'CLIENT_ERROR line too long',
  delta: 'CLIENT_ERROR invalid numeric delta argument',
  exptime: 'CLIENT_ERROR invalid exptime argument',
});

const STORAGE = new Set<string>(['set', 'add', 'replace', 'append', 'prepend', 'cas']);
const RETRIEVAL = new Set<string>(['get', 'gets', 'gat', 'gats']);
const META = new Set<string>(['mg', 'ms', 'md', 'ma', 'mn', 'me']);
/** Keys per multi-get line we accept; more is refused rather than tokenised without bound. */
const MAX_TOKENS = 4096;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Server-side decoder: bytes from a memcached client in, {@link Request}s out. Handles the text
 * and the meta protocol, any split of the stream, and refuses bad input with memcached's own
 * error lines (delivered as `{ kind: 'error' }` requests) without losing its place in the stream.
 */
export class RequestDecoder extends Framer {
  private readonly limits: Limits;

  constructor(
    private readonly onRequest: (request: Request) => void,
    limits?: Partial<Limits>,
  ) {
    const resolved = resolveLimits(limits);
    super(resolved.maxLineLength);
    this.limits = resolved;
  }

  protected onLineTooLong(): void {
    this.onRequest({ kind: 'error', line: ERRORS.lineTooLong });
  }

  protected step(buf: Buffer, off: number): number {
    const lf = this.findLine(buf, off);
    if (lf === -1) return INCOMPLETE;
    const end = this.lineEnd(buf, off, lf);
    const lineLength = lf + 1 - off;
    if (end - off > this.limits.maxLineLength) {
      this.onRequest({ kind: 'error', line: ERRORS.lineTooLong });
      return lineLength;
    }
    const tokens = tokenize(buf, off, end, MAX_TOKENS);
    if (tokens === undefined) {
      this.onRequest({ kind: 'error', line: ERRORS.lineTooLong });
      return lineLength;
    }
    if (tokens.length === 0) {
      this.onRequest({ kind: 'error', line: ERRORS.unknown });
      return lineLength;
    }
    const command = tokens[0]!;
    if (STORAGE.has(command)) return this.storage(buf, off, lf, command as StorageCommand, tokens);
    if (command === 'ms') return this.metaSet(buf, off, lf, tokens);
    const raw = buf.subarray(off, lf + 1);
    this.onRequest(this.simple(command, tokens, raw));
    return lineLength;
  }

  /** `<cmd> <key> <flags> <exptime> <bytes> [<cas>] [noreply]` followed by a data block. */
  private storage(buf: Buffer, off: number, lf: number, command: StorageCommand, t: string[]): number {
    const lineLength = lf + 1 - off;
    const isCas = command === 'cas';
    const base = isCas ? 6 : 5;
    // As memcached: one token more than the fields is allowed, and only `noreply` there means
    // anything; it silences the errors below too.
    const noreply = t.length === base + 1 && t[base] === 'noreply';
    if (t.length !== base && t.length !== base + 1) {
      // memcached reads the line as an unknown command, and what follows as commands.
      this.onRequest({ kind: 'error', line: ERRORS.unknown });
      return lineLength;
    }
    const flags = parseU32(t[2]);
    const exptime = parseI32(t[3]);
    const bytes = parseI32(t[4]);
    const cas = isCas ? parseU64(t[5]) : undefined;
    if (
      flags === undefined ||
      exptime === undefined ||
      bytes === undefined ||
      bytes < 0 ||
      (isCas && cas === undefined)
    ) {
      this.onRequest({ kind: 'error', line: ERRORS.format, noreply });
      return lineLength;
    }
    const key = t[1]!;
    if (!isValidKey(key, this.limits.maxKeyLength)) {
      // memcached refuses the line but the value still follows; skip it so it is not taken
      // for commands.
      this.onRequest({ kind: 'error', line: ERRORS.format, noreply });
      this.skip(bytes + 2);
      return lineLength;
    }
    if (bytes > this.limits.maxValueSize) {
      this.onRequest({ kind: 'error', line: ERRORS.tooLarge, noreply });
      this.skip(bytes + 2);
      return lineLength;
    }
    const dataStart = lf + 1;
    const total = lineLength + bytes + 2;
    if (buf.length - off < total) return this.needMore(buf, off, total);
    if (!this.isCrlf(buf, dataStart + bytes)) {
      this.onRequest({ kind: 'error', line: ERRORS.badChunk, noreply });
      return total;
    }
    this.onRequest({
      kind: 'storage',
      command,
      key,
      flags,
      exptime,
      data: buf.subarray(dataStart, dataStart + bytes),
      cas,
      noreply,
      raw: buf.subarray(off, off + total),
    });
    return total;
  }

  /** `ms <key> <datalen> <flags>*` followed by a data block. */
  private metaSet(buf: Buffer, off: number, lf: number, t: string[]): number {
    const lineLength = lf + 1 - off;
    const bytes = parseI32(t[2]);
    if (t.length < 3 || bytes === undefined || bytes < 0) {
      this.onRequest({ kind: 'error', line: ERRORS.format });
      return lineLength;
    }
    const head = this.metaHead('ms', t, 3, buf.subarray(off, lf + 1));
    if (head.kind === 'error') {
      this.onRequest(head);
      this.skip(bytes + 2);
      return lineLength;
    }
    if (bytes > this.limits.maxValueSize) {
      this.onRequest({ kind: 'error', line: ERRORS.tooLarge });
      this.skip(bytes + 2);
      return lineLength;
    }
    const total = lineLength + bytes + 2;
    if (buf.length - off < total) return this.needMore(buf, off, total);
    if (!this.isCrlf(buf, lf + 1 + bytes)) {
      this.onRequest({ kind: 'error', line: ERRORS.badChunk });
      return total;
    }
    if (head.kind === 'meta') {
      head.data = buf.subarray(lf + 1, lf + 1 + bytes);
      head.raw = buf.subarray(off, off + total);
    }
    this.onRequest(head);
    return total;
  }

  /** Every command that is a single line. */
  private simple(command: string, t: string[], raw: Buffer): Request {
    const n = t.length;
    const noreplyAt = (i: number) => n === i + 1 && t[i] === 'noreply';
    if (RETRIEVAL.has(command)) {
      const touching = command === 'gat' || command === 'gats';
      const first = touching ? 2 : 1;
      if (n <= first) return { kind: 'error', line: ERRORS.unknown };
      const exptime = touching ? parseI32(t[1]) : undefined;
      if (touching && exptime === undefined) return { kind: 'error', line: ERRORS.exptime };
      const keys = t.slice(first);
      for (const key of keys)
        if (!isValidKey(key, this.limits.maxKeyLength)) return { kind: 'error', line: ERRORS.format };
      return { kind: 'retrieval', command: command as RetrievalCommand, keys, exptime, raw };
    }
    if (META.has(command)) return this.metaHead(command as MetaCommand, t, command === 'mn' ? 1 : 2, raw);
    switch (command) {
      case 'delete': {
        // `delete <key> 0` is an old form memcached still accepts.
        if (n < 2 || n > 4) return { kind: 'error', line: ERRORS.unknown };
        const noreply = t[n - 1] === 'noreply';
        const extra = n - 2 - (noreply ? 1 : 0);
        if (extra > 1 || (extra === 1 && t[2] !== '0'))
          return { kind: 'error', line: ERRORS.format, noreply };
        if (!this.key(t[1]!)) return { kind: 'error', line: ERRORS.format, noreply };
        return { kind: 'delete', key: t[1]!, noreply, raw };
      }
      case 'incr':
      case 'decr': {
        if (n !== 3 && !noreplyAt(3)) return { kind: 'error', line: ERRORS.unknown };
        const noreply = n === 4;
        if (!this.key(t[1]!)) return { kind: 'error', line: ERRORS.format, noreply };
        const delta = parseU64(t[2]);
        if (delta === undefined) return { kind: 'error', line: ERRORS.delta, noreply };
        return { kind: 'arithmetic', command, key: t[1]!, delta, noreply, raw };
      }
      case 'touch': {
        if (n !== 3 && !noreplyAt(3)) return { kind: 'error', line: ERRORS.unknown };
        const exptime = parseI32(t[2]);
        if (!this.key(t[1]!)) return { kind: 'error', line: ERRORS.format, noreply: n === 4 };
        if (exptime === undefined) return { kind: 'error', line: ERRORS.exptime, noreply: n === 4 };
        return { kind: 'touch', key: t[1]!, exptime, noreply: n === 4, raw };
      }
      case 'stats':
        return { kind: 'stats', args: t.slice(1), raw };
      case 'version':
        // memcached ignores anything after `version`, and memccapable checks that it does.
        return { kind: 'version', raw };
      case 'quit':
        return n === 1 ? { kind: 'quit', raw } : { kind: 'error', line: ERRORS.unknown };
      case 'verbosity': {
        // As memcached: `verbosity noreply` is a silent `verbosity 0`.
        if (n === 2 && t[1] === 'noreply') return { kind: 'verbosity', level: 0, noreply: true, raw };
        if (n !== 2 && !noreplyAt(2)) return { kind: 'error', line: ERRORS.unknown };
        const level = parseU32(t[1]);
        if (level === undefined) return { kind: 'error', line: ERRORS.format, noreply: n === 3 };
        return { kind: 'verbosity', level, noreply: n === 3, raw };
      }
      case 'flush_all': {
        const noreply = t[n - 1] === 'noreply';
        const args = n - 1 - (noreply ? 1 : 0);
        if (args > 1) return { kind: 'error', line: ERRORS.unknown };
        const delay = args === 1 ? parseI32(t[1]) : undefined;
        if (args === 1 && delay === undefined) return { kind: 'error', line: ERRORS.exptime, noreply };
        return { kind: 'flush_all', delay, noreply, raw };
      }
      default:
        return { kind: 'error', line: ERRORS.unknown };
    }
  }

  /** Key and flags of a meta command; `flagsFrom` is the index of the first flag token. */
  private metaHead(command: MetaCommand, t: string[], flagsFrom: number, raw: Buffer): Request {
    const key = command === 'mn' ? '' : t[1];
    if (key === undefined) return { kind: 'error', line: ERRORS.format };
    const flags: string[] = [];
    let quiet = false;
    let base64 = false;
    for (let i = flagsFrom; i < t.length; i++) {
      const flag = t[i]!;
      const letter = flag.charCodeAt(0);
      // Flags are one letter, optionally followed by a token.
      if (!((letter >= 0x41 && letter <= 0x5a) || (letter >= 0x61 && letter <= 0x7a))) {
        return { kind: 'error', line: ERRORS.format };
      }
      if (flag === 'q') quiet = true;
      else if (flag === 'b') base64 = true;
      else flags.push(flag);
    }
    if (command !== 'mn') {
      // memcached limits the key token as sent, base64 or not (its decoded form is shorter).
      const keyOk = base64
        ? BASE64.test(key) && key.length > 0 && key.length <= this.limits.maxKeyLength
        : isValidKey(key, this.limits.maxKeyLength);
      if (!keyOk) return { kind: 'error', line: ERRORS.format };
    }
    return { kind: 'meta', command, key, base64, flags, quiet, data: undefined, raw };
  }

  private key(key: string): boolean {
    return isValidKey(key, this.limits.maxKeyLength);
  }
}
