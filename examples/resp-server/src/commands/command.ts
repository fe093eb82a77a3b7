import { CRLF, encodeBulk, encodeBulkHeader } from '../codec/encoder.js';
import type { Store } from '../store.js';

/** What a command sees: the key space and where its reply goes. */
export interface CommandContext {
  readonly store: Store;
  /** Writes (part of) the reply. */
  write(bytes: Uint8Array): void;
  /** Closes the connection once the replies written so far are sent (QUIT). */
  close(): void;
}

/** One command, described the way Redis's command table describes it. */
export interface Command {
  /** The canonical lower-case name, used in error messages. */
  readonly name: string;
  /** Redis's arity: exactly `n` arguments (command name included), or at least `-n` when negative. */
  readonly arity: number;
  /** Whether the command may add data, and so is refused above `max_memory`. */
  readonly denyOom: boolean;
  run(args: Buffer[], ctx: CommandContext): void;
}

/** Values up to this size are copied into the reply header's buffer; larger ones are sent as is. */
const INLINE_BULK_LIMIT = 16 * 1024;

/** Writes a bulk string reply without copying large values. */
export function writeBulk(ctx: CommandContext, value: Buffer): void {
  if (value.length <= INLINE_BULK_LIMIT) {
    ctx.write(encodeBulk(value));
    return;
  }
  ctx.write(encodeBulkHeader(value.length));
  ctx.write(value);
  ctx.write(CRLF);
}

/** A key as the Map key: latin1 maps each byte to one character, so keys stay binary-safe. */
export function keyOf(bytes: Buffer): string {
  return bytes.toString('latin1');
}

/** Upper-cased ASCII text of an option argument (`ex` → `EX`). */
export function optionName(bytes: Buffer): string {
  return bytes.toString('latin1').toUpperCase();
}

/**
 * A private copy of an argument, so a stored value does not pin the whole network read it was
 * sliced from (small copies share Node's 8 KiB allocation pool).
 */
export function copyOf(bytes: Buffer): Buffer {
  return Buffer.from(bytes);
}

export function command(name: string, arity: number, denyOom: boolean, run: Command['run']): Command {
  return { name, arity, denyOom, run };
}
