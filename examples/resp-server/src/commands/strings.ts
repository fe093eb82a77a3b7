import { encodeArrayHeader, encodeInteger, NIL, OK } from '../codec/encoder.js';
import { INT64_MAX, INT64_MIN, parseInt64 } from '../codec/integer.js';
import type { Store } from '../store.js';
import {
  type Command,
  type CommandContext,
  command,
  copyOf,
  keyOf,
  optionName,
  writeBulk,
} from './command.js';
import {
  DECREMENT_OVERFLOW,
  invalidExpireTime,
  NOT_AN_INTEGER,
  OVERFLOW,
  SYNTAX_ERROR,
  WRONGTYPE,
  wrongArity,
} from './errors.js';

const get = command('get', 2, false, (args, ctx) => {
  const value = ctx.store.get(keyOf(args[1]!));
  if (value === undefined) ctx.write(NIL);
  else if (!Buffer.isBuffer(value)) ctx.write(WRONGTYPE);
  else writeBulk(ctx, value);
});

type ExpireUnit = 'EX' | 'PX' | 'EXAT' | 'PXAT';
const EXPIRE_UNITS = new Set<string>(['EX', 'PX', 'EXAT', 'PXAT']);

/** SET key value [NX | XX] [GET] [EX s | PX ms | EXAT s | PXAT ms | KEEPTTL] */
const set = command('set', -3, true, (args, ctx) => {
  let nx = false;
  let xx = false;
  let withGet = false;
  let keepTtl = false;
  let unit: ExpireUnit | undefined;
  let expireArg: Buffer | undefined;
  for (let j = 3; j < args.length; j++) {
    const opt = optionName(args[j]!);
    const hasNext = j < args.length - 1;
    if (opt === 'NX' && !xx) nx = true;
    else if (opt === 'XX' && !nx) xx = true;
    else if (opt === 'GET') withGet = true;
    else if (opt === 'KEEPTTL' && unit === undefined) keepTtl = true;
    else if (EXPIRE_UNITS.has(opt) && !keepTtl && (unit === undefined || unit === opt) && hasNext) {
      unit = opt as ExpireUnit;
      expireArg = args[++j];
    } else {
      ctx.write(SYNTAX_ERROR);
      return;
    }
  }
  let expiresAt: number | undefined;
  if (unit !== undefined) {
    expiresAt = expiryTime(ctx, expireArg!, unit);
    if (expiresAt === undefined) return;
  }
  const key = keyOf(args[1]!);
  const { store } = ctx;
  if (withGet) {
    const old = store.get(key);
    if (old !== undefined && !Buffer.isBuffer(old)) {
      ctx.write(WRONGTYPE);
      return;
    }
    if (old === undefined) ctx.write(NIL);
    else writeBulk(ctx, old);
  }
  const found = store.has(key);
  if ((nx && found) || (xx && !found)) {
    if (!withGet) ctx.write(NIL);
    return;
  }
  store.set(key, copyOf(args[2]!), expiresAt ?? (keepTtl ? 'keep' : undefined));
  if (!withGet) ctx.write(OK);
});

/** SET's expiry as an absolute time in ms, or `undefined` after writing the error. */
function expiryTime(ctx: CommandContext, arg: Buffer, unit: ExpireUnit): number | undefined {
  const n = parseInt64(arg);
  if (n === undefined) {
    ctx.write(NOT_AN_INTEGER);
    return undefined;
  }
  const seconds = unit === 'EX' || unit === 'EXAT';
  if (n <= 0n || (seconds && n > INT64_MAX / 1000n)) {
    ctx.write(invalidExpireTime('set'));
    return undefined;
  }
  let ms = seconds ? n * 1000n : n;
  if (unit === 'EX' || unit === 'PX') ms += BigInt(ctx.store.now());
  if (ms > INT64_MAX) {
    ctx.write(invalidExpireTime('set'));
    return undefined;
  }
  return Number(ms);
}

const mget = command('mget', -2, false, (args, ctx) => {
  ctx.write(encodeArrayHeader(args.length - 1));
  for (let i = 1; i < args.length; i++) {
    const value = ctx.store.get(keyOf(args[i]!));
    if (value === undefined || !Buffer.isBuffer(value)) ctx.write(NIL);
    else writeBulk(ctx, value);
  }
});

const mset = command('mset', -3, true, (args, ctx) => {
  if (args.length % 2 === 0) {
    ctx.write(wrongArity('mset'));
    return;
  }
  for (let i = 1; i < args.length; i += 2) ctx.store.set(keyOf(args[i]!), copyOf(args[i + 1]!));
  ctx.write(OK);
});

/** INCR/DECR/INCRBY/DECRBY: the value must be a 64-bit integer and stay one. */
function incrementBy(ctx: CommandContext, keyBytes: Buffer, increment: bigint): void {
  const store: Store = ctx.store;
  const key = keyOf(keyBytes);
  const value = store.get(key);
  let current = 0n;
  if (value !== undefined) {
    const parsed = Buffer.isBuffer(value) ? parseInt64(value) : undefined;
    if (parsed === undefined) {
      ctx.write(Buffer.isBuffer(value) ? NOT_AN_INTEGER : WRONGTYPE);
      return;
    }
    current = parsed;
  }
  if (
    (increment < 0n && current < 0n && increment < INT64_MIN - current) ||
    (increment > 0n && current > 0n && increment > INT64_MAX - current)
  ) {
    ctx.write(OVERFLOW);
    return;
  }
  const next = current + increment;
  store.set(key, Buffer.from(next.toString(), 'latin1'), 'keep');
  ctx.write(encodeInteger(next));
}

const incr = command('incr', 2, true, (args, ctx) => incrementBy(ctx, args[1]!, 1n));
const decr = command('decr', 2, true, (args, ctx) => incrementBy(ctx, args[1]!, -1n));

const incrby = command('incrby', 3, true, (args, ctx) => {
  const increment = parseInt64(args[2]!);
  if (increment === undefined) ctx.write(NOT_AN_INTEGER);
  else incrementBy(ctx, args[1]!, increment);
});

const decrby = command('decrby', 3, true, (args, ctx) => {
  const decrement = parseInt64(args[2]!);
  if (decrement === undefined) ctx.write(NOT_AN_INTEGER);
  else if (decrement === INT64_MIN) ctx.write(DECREMENT_OVERFLOW);
  else incrementBy(ctx, args[1]!, -decrement);
});

export const STRING_COMMANDS: readonly Command[] = [get, set, mget, mset, incr, decr, incrby, decrby];
