import { encodeArrayHeader, encodeInteger } from '../codec/encoder.js';
import { parseInt64 } from '../codec/integer.js';
import { type Command, type CommandContext, command, copyOf, keyOf, writeBulk } from './command.js';
import { NOT_AN_INTEGER, WRONGTYPE } from './errors.js';

/**
 * A minimal list type: enough for a second data type, so WRONGTYPE behaves as in Redis.
 * Kept simple (an array; LPUSH is O(n)), as befits an example.
 */
function push(ctx: CommandContext, args: Buffer[], front: boolean): void {
  const key = keyOf(args[1]!);
  const found = ctx.store.get(key);
  if (found !== undefined && Buffer.isBuffer(found)) {
    ctx.write(WRONGTYPE);
    return;
  }
  let list = found;
  if (list === undefined) {
    list = [];
    ctx.store.set(key, list);
  }
  let bytes = 0;
  for (let i = 2; i < args.length; i++) {
    const item = copyOf(args[i]!);
    bytes += item.length;
    if (front) list.unshift(item);
    else list.push(item);
  }
  ctx.store.resized(bytes, args.length - 2);
  ctx.write(encodeInteger(list.length));
}

const lpush = command('lpush', -3, true, (args, ctx) => push(ctx, args, true));
const rpush = command('rpush', -3, true, (args, ctx) => push(ctx, args, false));

const llen = command('llen', 2, false, (args, ctx) => {
  const list = ctx.store.get(keyOf(args[1]!));
  if (list === undefined) ctx.write(encodeInteger(0));
  else if (Buffer.isBuffer(list)) ctx.write(WRONGTYPE);
  else ctx.write(encodeInteger(list.length));
});

const EMPTY_ARRAY = encodeArrayHeader(0);

const lrange = command('lrange', 4, false, (args, ctx) => {
  const start = parseInt64(args[2]!);
  const stop = parseInt64(args[3]!);
  if (start === undefined || stop === undefined) {
    ctx.write(NOT_AN_INTEGER);
    return;
  }
  const list = ctx.store.get(keyOf(args[1]!));
  if (list === undefined) {
    ctx.write(EMPTY_ARRAY);
    return;
  }
  if (Buffer.isBuffer(list)) {
    ctx.write(WRONGTYPE);
    return;
  }
  const length = BigInt(list.length);
  let from = start < 0n ? length + start : start;
  let to = stop < 0n ? length + stop : stop;
  if (from < 0n) from = 0n;
  if (from > to || from >= length) {
    ctx.write(EMPTY_ARRAY);
    return;
  }
  if (to >= length) to = length - 1n;
  ctx.write(encodeArrayHeader(Number(to - from) + 1));
  for (let i = Number(from); i <= Number(to); i++) writeBulk(ctx, list[i]!);
});

export const LIST_COMMANDS: readonly Command[] = [lpush, rpush, llen, lrange];
