import { encodeError } from '../codec/encoder.js';

/**
 * Error replies worded exactly as redis-server 7 words them, so clients and their tests that
 * match on messages behave the same. Messages are latin1 strings: argument bytes echoed in them
 * go back to the client unchanged.
 */
export const WRONGTYPE = encodeError('WRONGTYPE Operation against a key holding the wrong kind of value');
export const NOT_AN_INTEGER = encodeError('ERR value is not an integer or out of range');
export const SYNTAX_ERROR = encodeError('ERR syntax error');
export const OVERFLOW = encodeError('ERR increment or decrement would overflow');
export const DECREMENT_OVERFLOW = encodeError('ERR decrement would overflow');
export const OOM = encodeError("OOM command not allowed when used memory > 'maxmemory'.");

export function wrongArity(command: string): Buffer {
  return encodeError(`ERR wrong number of arguments for '${command}' command`);
}

export function invalidExpireTime(command: string): Buffer {
  return encodeError(`ERR invalid expire time in '${command}' command`);
}

export function protocolError(reason: string): Buffer {
  return encodeError(`ERR Protocol error: ${reason}`);
}

/** Redis prints arguments with C's `%s`: up to `max` bytes and never past a NUL. */
function cString(bytes: Buffer, max: number): string {
  const nul = bytes.indexOf(0);
  const end = Math.min(nul === -1 ? bytes.length : nul, Math.max(0, max));
  return bytes.toString('latin1', 0, end);
}

/** `ERR unknown command 'foo', with args beginning with: 'a' 'b' ` (at most ~128 bytes of args). */
export function unknownCommand(args: readonly Buffer[]): Buffer {
  let list = '';
  for (let i = 1; i < args.length && list.length < 128; i++) {
    list += `'${cString(args[i]!, 128 - list.length)}' `;
  }
  return encodeError(`ERR unknown command '${cString(args[0]!, 128)}', with args beginning with: ${list}`);
}

/** `ERR Unsupported option <opt>` (EXPIRE's NX/XX/GT/LT). */
export function unsupportedOption(option: Buffer): Buffer {
  return encodeError(`ERR Unsupported option ${cString(option, Number.MAX_SAFE_INTEGER)}`);
}

export function plainError(message: string): Buffer {
  return encodeError(`ERR ${message}`);
}
