import { DEFAULT_LIMITS } from './limits.js';
import { isValidKey } from './tokens.js';
import type { MetaCommand, Request, RetrievalCommand, StorageCommand } from './types.js';

/** The line terminator, shared so encoders never allocate one per message. */
export const CRLF: Buffer = Buffer.from('\r\n');

function checkKey(key: string): void {
  if (!isValidKey(key, DEFAULT_LIMITS.maxKeyLength)) {
    throw new RangeError(
      `memcached key must be 1-250 bytes without spaces or control characters, got ${JSON.stringify(key)}`,
    );
  }
}

const line = (text: string): Buffer => Buffer.from(`${text}\r\n`, 'latin1');
const tail = (noreply: boolean | undefined): string => (noreply ? ' noreply' : '');

/** `<cmd> <key> <flags> <exptime> <bytes> [<cas>] [noreply]` + data: returns the buffers to write. */
export function encodeStorage(
  command: StorageCommand,
  key: string,
  flags: number,
  exptime: number,
  data: Buffer,
  options: { cas?: bigint; noreply?: boolean } = {},
): Buffer[] {
  checkKey(key);
  if (command === 'cas' && options.cas === undefined) throw new RangeError('cas requires options.cas');
  const cas = command === 'cas' ? ` ${options.cas}` : '';
  return [
    line(`${command} ${key} ${flags >>> 0} ${exptime | 0} ${data.length}${cas}${tail(options.noreply)}`),
    data,
    CRLF,
  ];
}

/** `get|gets <key>*` or `gat|gats <exptime> <key>*`. */
export function encodeRetrieval(
  command: RetrievalCommand,
  keys: readonly string[],
  exptime?: number,
): Buffer {
  if (keys.length === 0) throw new RangeError(`${command} needs at least one key`);
  for (const key of keys) checkKey(key);
  const touching = command === 'gat' || command === 'gats';
  if (touching && exptime === undefined) throw new RangeError(`${command} needs an exptime`);
  return line(touching ? `${command} ${exptime! | 0} ${keys.join(' ')}` : `${command} ${keys.join(' ')}`);
}

export function encodeDelete(key: string, noreply?: boolean): Buffer {
  checkKey(key);
  return line(`delete ${key}${tail(noreply)}`);
}

export function encodeArithmetic(
  command: 'incr' | 'decr',
  key: string,
  delta: bigint,
  noreply?: boolean,
): Buffer {
  checkKey(key);
  if (delta < 0n || delta > 0xffff_ffff_ffff_ffffn)
    throw new RangeError(`${command} delta must be an unsigned 64-bit integer`);
  return line(`${command} ${key} ${delta}${tail(noreply)}`);
}

export function encodeTouch(key: string, exptime: number, noreply?: boolean): Buffer {
  checkKey(key);
  return line(`touch ${key} ${exptime | 0}${tail(noreply)}`);
}

export function encodeStats(args: readonly string[] = []): Buffer {
  return line(args.length === 0 ? 'stats' : `stats ${args.join(' ')}`);
}

export function encodeVerbosity(level: number, noreply?: boolean): Buffer {
  return line(`verbosity ${level >>> 0}${tail(noreply)}`);
}

export function encodeFlushAll(delay?: number, noreply?: boolean): Buffer {
  return line(`flush_all${delay === undefined ? '' : ` ${delay | 0}`}${tail(noreply)}`);
}

export const VERSION_REQUEST: Buffer = line('version');
export const QUIT_REQUEST: Buffer = line('quit');

/**
 * A meta command: `<cmd> <key> [<datalen>] <flags>*` (+ data for `ms`). `flags` are tokens such
 * as `v`, `T30`, `q`, `b`; the key must already be base64 when `b` is among them.
 */
export function encodeMeta(
  command: MetaCommand,
  key: string,
  flags: readonly string[],
  data?: Buffer,
): Buffer[] {
  if (command !== 'mn') checkKey(key);
  const rest = flags.length === 0 ? '' : ` ${flags.join(' ')}`;
  if (command === 'mn') return [line(`mn${rest}`)];
  if (command === 'ms') {
    const value = data ?? Buffer.alloc(0);
    return [line(`ms ${key} ${value.length}${rest}`), value, CRLF];
  }
  return [line(`${command} ${key}${rest}`)];
}

/** Re-encodes a decoded request from its fields (not from `raw`). */
export function encodeRequest(request: Request): Buffer[] {
  switch (request.kind) {
    case 'storage':
      return encodeStorage(request.command, request.key, request.flags, request.exptime, request.data, {
        cas: request.cas,
        noreply: request.noreply,
      });
    case 'retrieval':
      return [encodeRetrieval(request.command, request.keys, request.exptime)];
    case 'delete':
      return [encodeDelete(request.key, request.noreply)];
    case 'arithmetic':
      return [encodeArithmetic(request.command, request.key, request.delta, request.noreply)];
    case 'touch':
      return [encodeTouch(request.key, request.exptime, request.noreply)];
    case 'stats':
      return [encodeStats(request.args)];
    case 'version':
      return [VERSION_REQUEST];
    case 'verbosity':
      return [encodeVerbosity(request.level, request.noreply)];
    case 'flush_all':
      return [encodeFlushAll(request.delay, request.noreply)];
    case 'quit':
      return [QUIT_REQUEST];
    case 'meta': {
      const flags = [...request.flags];
      if (request.base64) flags.push('b');
      if (request.quiet) flags.push('q');
      return encodeMeta(request.command, request.key, flags, request.data);
    }
    case 'error':
      throw new RangeError(`cannot encode a refused request (${request.line})`);
  }
}
