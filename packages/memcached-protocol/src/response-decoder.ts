import { Framer, INCOMPLETE } from './framer.js';
import { type Limits, resolveLimits } from './limits.js';
import { parseI32, parseU32, parseU64, tokenize } from './tokens.js';
import type { MetaCode, Response, Status } from './types.js';

const STATUSES = new Set<string>(['STORED', 'NOT_STORED', 'EXISTS', 'NOT_FOUND', 'DELETED', 'TOUCHED', 'OK']);
const META_CODES = new Set<string>(['HD', 'EN', 'NF', 'NS', 'EX', 'MN', 'ME']);
const DIGITS = /^[0-9]+$/;
const MAX_TOKENS = 256;
const EN_LINE = Buffer.from('EN\r\n', 'latin1');

/**
 * Client-side decoder: bytes from a memcached server in, {@link Response} items out. A malformed
 * stream yields one `{ kind: 'invalid' }` item and the decoder stops, because a client cannot
 * know where the next reply starts; the connection should be closed.
 */
export class ResponseDecoder extends Framer {
  private readonly limits: Limits;

  /**
   * @param onOversizedValue with it, a value over `maxValueSize` is skipped without buffering
   *   and reported here, and its item is left out (`VALUE`: as a miss; `VA`: an `EN` item), so
   *   the stream goes on; without it such a value is an `invalid` item that stops the decoder
   */
  constructor(
    private readonly onResponse: (response: Response) => void,
    limits?: Partial<Limits>,
    private readonly onOversizedValue?: (bytes: number) => void,
  ) {
    const resolved = resolveLimits(limits);
    super(resolved.maxLineLength);
    this.limits = resolved;
  }

  protected onLineTooLong(): void {
    this.fail('response line too long');
  }

  protected step(buf: Buffer, off: number): number {
    const lf = this.findLine(buf, off);
    if (lf === -1) return INCOMPLETE;
    const end = this.lineEnd(buf, off, lf);
    const lineLength = lf + 1 - off;
    if (end - off > this.limits.maxLineLength) return this.fail('response line too long');
    const t = tokenize(buf, off, end, MAX_TOKENS);
    if (t === undefined || t.length === 0) return this.fail('empty or over-long response line');
    const head = t[0]!;
    const raw = buf.subarray(off, lf + 1);
    if (head === 'VALUE') return this.value(buf, off, lf, t);
    if (head === 'VA') return this.metaValue(buf, off, lf, t);
    if (head === 'END' && t.length === 1) this.onResponse({ kind: 'end', raw });
    else if (STATUSES.has(head) && t.length === 1)
      this.onResponse({ kind: 'status', status: head as Status, raw });
    else if (head === 'STAT' && t.length >= 2) {
      this.onResponse({ kind: 'stat', name: t[1]!, value: t.slice(2).join(' '), raw });
    } else if (META_CODES.has(head)) {
      const isDebug = head === 'ME';
      this.onResponse({
        kind: 'meta',
        code: head as MetaCode,
        key: isDebug ? (t[1] ?? '') : '',
        flags: t.slice(isDebug ? 2 : 1),
        data: undefined,
        raw,
      });
    } else if (head === 'VERSION') {
      this.onResponse({ kind: 'version', version: buf.toString('latin1', off + 8, end), raw });
    } else if (head === 'ERROR' || head === 'CLIENT_ERROR' || head === 'SERVER_ERROR') {
      const message = buf.toString('latin1', Math.min(off + head.length + 1, end), end);
      this.onResponse({ kind: 'error', type: head, message, raw });
    } else if (t.length === 1 && DIGITS.test(head)) {
      const value = parseU64(head);
      if (value === undefined) return this.fail('number out of range');
      this.onResponse({ kind: 'number', value, raw });
    } else {
      return this.fail(
        `unexpected response line ${JSON.stringify(buf.toString('latin1', off, Math.min(end, off + 64)))}`,
      );
    }
    return lineLength;
  }

  /** `VALUE <key> <flags> <bytes> [<cas>]` followed by a data block. */
  private value(buf: Buffer, off: number, lf: number, t: string[]): number {
    const flags = parseU32(t[2]);
    const bytes = parseI32(t[3]);
    const cas = t.length === 5 ? parseU64(t[4]) : undefined;
    if ((t.length !== 4 && t.length !== 5) || flags === undefined || bytes === undefined || bytes < 0) {
      return this.fail('malformed VALUE line');
    }
    if (t.length === 5 && cas === undefined) return this.fail('malformed cas in VALUE line');
    if (this.skipsOversized(bytes)) return lf + 1 - off;
    const total = this.dataTotal(off, lf, bytes);
    if (total < 0) return INCOMPLETE;
    if (buf.length - off < total) return this.needMore(buf, off, total);
    if (!this.isCrlf(buf, lf + 1 + bytes)) return this.fail('value not followed by CRLF');
    const data = buf.subarray(lf + 1, lf + 1 + bytes);
    this.onResponse({ kind: 'value', key: t[1]!, flags, cas, data, raw: buf.subarray(off, off + total) });
    return total;
  }

  /** `VA <size> <flags>*` followed by a data block. */
  private metaValue(buf: Buffer, off: number, lf: number, t: string[]): number {
    const bytes = parseI32(t[1]);
    if (bytes === undefined || bytes < 0) return this.fail('malformed VA line');
    if (this.skipsOversized(bytes)) {
      // A miss as memcached answers one: with the opaque and key the request asked back.
      const flags = t.slice(2).filter((f) => f[0] === 'O' || f[0] === 'k' || f === 'b');
      const raw = flags.length === 0 ? EN_LINE : Buffer.from(`EN ${flags.join(' ')}\r\n`, 'latin1');
      this.onResponse({ kind: 'meta', code: 'EN', key: '', flags, data: undefined, raw });
      return lf + 1 - off;
    }
    const total = this.dataTotal(off, lf, bytes);
    if (total < 0) return INCOMPLETE;
    if (buf.length - off < total) return this.needMore(buf, off, total);
    if (!this.isCrlf(buf, lf + 1 + bytes)) return this.fail('value not followed by CRLF');
    const data = buf.subarray(lf + 1, lf + 1 + bytes);
    this.onResponse({
      kind: 'meta',
      code: 'VA',
      key: '',
      flags: t.slice(2),
      data,
      raw: buf.subarray(off, off + total),
    });
    return total;
  }

  /** With onOversizedValue: a data block over the limit is discarded as it arrives, and reported. */
  private skipsOversized(bytes: number): boolean {
    if (bytes <= this.limits.maxValueSize || this.onOversizedValue === undefined) return false;
    this.skip(bytes + 2);
    this.onOversizedValue(bytes);
    return true;
  }

  /** Bytes from the line start to the end of its data block, or -1 (after failing) if too large. */
  private dataTotal(off: number, lf: number, bytes: number): number {
    if (bytes > this.limits.maxValueSize) {
      this.fail(`value of ${bytes} bytes exceeds the limit of ${this.limits.maxValueSize}`);
      return -1;
    }
    return lf + 1 - off + bytes + 2;
  }

  private fail(reason: string): number {
    if (!this.stopped) {
      this.stopped = true;
      this.onResponse({ kind: 'invalid', reason });
    }
    return INCOMPLETE;
  }
}
