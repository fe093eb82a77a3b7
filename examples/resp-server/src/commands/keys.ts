import { encodeInteger, encodeSimple } from '../codec/encoder.js';
import { INT64_MAX, INT64_MIN, parseInt64 } from '../codec/integer.js';
import { type Command, type CommandContext, command, keyOf, optionName } from './command.js';
import { invalidExpireTime, NOT_AN_INTEGER, plainError, unsupportedOption } from './errors.js';

const del = command('del', -2, false, (args, ctx) => {
  let deleted = 0;
  for (let i = 1; i < args.length; i++) if (ctx.store.delete(keyOf(args[i]!))) deleted++;
  ctx.write(encodeInteger(deleted));
});

const exists = command('exists', -2, false, (args, ctx) => {
  let found = 0;
  for (let i = 1; i < args.length; i++) if (ctx.store.has(keyOf(args[i]!))) found++;
  ctx.write(encodeInteger(found));
});

const INCOMPATIBLE_NX = plainError('NX and XX, GT or LT options at the same time are not compatible');
const INCOMPATIBLE_GT_LT = plainError('GT and LT options at the same time are not compatible');

/** EXPIRE / PEXPIRE key time [NX | XX | GT | LT], with Redis's checks in Redis's order. */
function expireGeneric(ctx: CommandContext, args: Buffer[], name: string, unitMs: bigint): void {
  const flags = new Set<string>();
  for (let j = 3; j < args.length; j++) {
    const opt = optionName(args[j]!);
    if (opt !== 'NX' && opt !== 'XX' && opt !== 'GT' && opt !== 'LT') {
      ctx.write(unsupportedOption(args[j]!));
      return;
    }
    flags.add(opt);
  }
  if (flags.has('NX') && (flags.has('XX') || flags.has('GT') || flags.has('LT'))) {
    ctx.write(INCOMPATIBLE_NX);
    return;
  }
  if (flags.has('GT') && flags.has('LT')) {
    ctx.write(INCOMPATIBLE_GT_LT);
    return;
  }
  let when = parseInt64(args[2]!);
  if (when === undefined) {
    ctx.write(NOT_AN_INTEGER);
    return;
  }
  const now = BigInt(ctx.store.now());
  if (when > INT64_MAX / unitMs || when < INT64_MIN / unitMs || when * unitMs > INT64_MAX - now) {
    ctx.write(invalidExpireTime(name));
    return;
  }
  when = when * unitMs + now;
  const key = keyOf(args[1]!);
  const current = ctx.store.expiresAt(key);
  if (current === undefined) {
    ctx.write(encodeInteger(0));
    return;
  }
  const at = Number(when);
  const refused =
    (flags.has('NX') && current !== -1) ||
    (flags.has('XX') && current === -1) ||
    (flags.has('GT') && (current === -1 || at <= current)) ||
    (flags.has('LT') && current !== -1 && at >= current);
  if (refused) {
    ctx.write(encodeInteger(0));
    return;
  }
  ctx.store.expireAt(key, at);
  ctx.write(encodeInteger(1));
}

const expire = command('expire', -3, false, (args, ctx) => expireGeneric(ctx, args, 'expire', 1000n));
const pexpire = command('pexpire', -3, false, (args, ctx) => expireGeneric(ctx, args, 'pexpire', 1n));

/** TTL / PTTL: -2 without the key, -1 without an expiry, else the time left (seconds rounded). */
function ttlGeneric(ctx: CommandContext, keyBytes: Buffer, inMs: boolean): void {
  const at = ctx.store.expiresAt(keyOf(keyBytes));
  if (at === undefined || at === -1) {
    ctx.write(encodeInteger(at === undefined ? -2 : -1));
    return;
  }
  const left = Math.max(0, at - ctx.store.now());
  ctx.write(encodeInteger(inMs ? left : Math.floor((left + 500) / 1000)));
}

const ttl = command('ttl', 2, false, (args, ctx) => ttlGeneric(ctx, args[1]!, false));
const pttl = command('pttl', 2, false, (args, ctx) => ttlGeneric(ctx, args[1]!, true));

const TYPE_NONE = encodeSimple('none');
const TYPE_STRING = encodeSimple('string');
const TYPE_LIST = encodeSimple('list');

const type = command('type', 2, false, (args, ctx) => {
  const value = ctx.store.get(keyOf(args[1]!));
  ctx.write(value === undefined ? TYPE_NONE : Buffer.isBuffer(value) ? TYPE_STRING : TYPE_LIST);
});

export const KEY_COMMANDS: readonly Command[] = [del, exists, expire, pexpire, ttl, pttl, type];
