import fc from 'fast-check';
import type { Request, Response } from '../src/index.js';

const keyChars = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_:-.!~'];
export const key = fc.string({ unit: fc.constantFrom(...keyChars), minLength: 1, maxLength: 40 });
const data = fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a));
const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
const i32 = fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff });
const u64 = fc.bigInt({ min: 0n, max: 0xffff_ffff_ffff_ffffn });
const metaFlag = fc
  .tuple(
    fc.constantFrom(...'acfhklOstvTNDEMIRS'),
    fc.string({ unit: fc.constantFrom(...'0123456789abc'), maxLength: 5 }),
  )
  .map(([l, v]) => l + v);
const none = Buffer.alloc(0);

/** Any request the decoder can produce (except refusals), with `raw` left empty. */
export const request: fc.Arbitrary<Request> = fc.oneof(
  fc
    .record({
      kind: fc.constant('storage' as const),
      command: fc.constantFrom('set', 'add', 'replace', 'append', 'prepend', 'cas' as const),
      key,
      flags: u32,
      exptime: i32,
      data,
      cas: u64,
      noreply: fc.boolean(),
      raw: fc.constant(none),
    })
    .map((r) => ({ ...r, cas: r.command === 'cas' ? r.cas : undefined })),
  fc
    .record({
      kind: fc.constant('retrieval' as const),
      command: fc.constantFrom('get', 'gets', 'gat', 'gats' as const),
      keys: fc.array(key, { minLength: 1, maxLength: 8 }),
      exptime: i32,
      raw: fc.constant(none),
    })
    .map((r) => ({ ...r, exptime: r.command.startsWith('gat') ? r.exptime : undefined })),
  fc.record({ kind: fc.constant('delete' as const), key, noreply: fc.boolean(), raw: fc.constant(none) }),
  fc.record({
    kind: fc.constant('arithmetic' as const),
    command: fc.constantFrom('incr', 'decr' as const),
    key,
    delta: u64,
    noreply: fc.boolean(),
    raw: fc.constant(none),
  }),
  fc.record({
    kind: fc.constant('touch' as const),
    key,
    exptime: i32,
    noreply: fc.boolean(),
    raw: fc.constant(none),
  }),
  fc.record({
    kind: fc.constant('stats' as const),
    args: fc.array(key, { maxLength: 2 }),
    raw: fc.constant(none),
  }),
  fc.record({ kind: fc.constant('version' as const), raw: fc.constant(none) }),
  fc.record({
    kind: fc.constant('verbosity' as const),
    level: u32,
    noreply: fc.boolean(),
    raw: fc.constant(none),
  }),
  fc.record({
    kind: fc.constant('flush_all' as const),
    delay: fc.option(i32, { nil: undefined }),
    noreply: fc.boolean(),
    raw: fc.constant(none),
  }),
  fc.record({ kind: fc.constant('quit' as const), raw: fc.constant(none) }),
  fc
    .record({
      kind: fc.constant('meta' as const),
      command: fc.constantFrom('mg', 'ms', 'md', 'ma', 'mn', 'me' as const),
      key,
      base64: fc.constant(false),
      flags: fc.array(metaFlag, { maxLength: 5 }),
      quiet: fc.boolean(),
      data,
      raw: fc.constant(none),
    })
    .map((r) => ({
      ...r,
      key: r.command === 'mn' ? '' : r.key,
      data: r.command === 'ms' ? r.data : undefined,
    })),
);

/** Any response item the decoder can produce (except `invalid`), with `raw` left empty. */
export const response: fc.Arbitrary<Response> = fc.oneof(
  fc.record({
    kind: fc.constant('value' as const),
    key,
    flags: u32,
    cas: fc.option(u64, { nil: undefined }),
    data,
    raw: fc.constant(none),
  }),
  fc.record({ kind: fc.constant('end' as const), raw: fc.constant(none) }),
  fc.record({ kind: fc.constant('stat' as const), name: key, value: key, raw: fc.constant(none) }),
  fc.record({
    kind: fc.constant('status' as const),
    status: fc.constantFrom(
      'STORED',
      'NOT_STORED',
      'EXISTS',
      'NOT_FOUND',
      'DELETED',
      'TOUCHED',
      'OK' as const,
    ),
    raw: fc.constant(none),
  }),
  fc.record({ kind: fc.constant('number' as const), value: u64, raw: fc.constant(none) }),
  fc.record({ kind: fc.constant('version' as const), version: key, raw: fc.constant(none) }),
  fc.record({
    kind: fc.constant('error' as const),
    type: fc.constantFrom('CLIENT_ERROR', 'SERVER_ERROR' as const),
    message: key,
    raw: fc.constant(none),
  }),
  fc
    .record({
      kind: fc.constant('meta' as const),
      code: fc.constantFrom('HD', 'VA', 'EN', 'NF', 'NS', 'EX', 'MN', 'ME' as const),
      key,
      flags: fc.array(metaFlag, { maxLength: 4 }),
      data,
      raw: fc.constant(none),
    })
    .map((r) => ({ ...r, key: r.code === 'ME' ? r.key : '', data: r.code === 'VA' ? r.data : undefined })),
);

/** Chunk sizes for splitting a stream; 1 means one byte at a time. */
export const splits = fc.oneof(
  fc.constant([1]),
  fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 10 }),
);
