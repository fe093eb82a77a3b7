/**
 * Malformed-input fuzz of the proxy's client side, seeded and deterministic. Each case logs in
 * over a raw socket (or sends a mutated handshake response), sets up what its commands need
 * (prepared statements, a held backend), writes commands built valid and then mutated — payload
 * bytes flipped, truncated, lengths inside the payload made huge, frame headers with wrong
 * lengths or sequence ids, split at random byte boundaries or several in one write — and then a
 * sentinel query. It waits, event-driven, for the sentinel's answer or the connection's close
 * (a timeout is only the guard that turns a hang into a failure), and sends the same bytes to
 * MariaDB directly, as the reference.
 *
 * Per case: no uncaught exception in the proxy, no hang, every ERR code the proxy writes
 * is a documented one or a server's (not a generic 1105), and the case wrote as many rows
 * through the proxy as the same bytes wrote on MariaDB. After each batch: a well-behaved mysql2
 * client still writes and reads correctly, no client session is left, the pool has nothing busy,
 * and MariaDB sees at most N connections from the proxy's backend user.
 *
 * FUZZ_SEED (default below) and FUZZ_CASES (per family) change the run; a failure prints the
 * seed, family, case number and the hex of the bytes sent.
 */
import {
  buildChangeUser,
  CLIENT_CONNECT_ATTRS,
  CLIENT_CONNECT_WITH_DB,
  CLIENT_DEPRECATE_EOF,
  CLIENT_MULTI_STATEMENTS,
  CLIENT_PLUGIN_AUTH,
  CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA,
  CLIENT_PROTOCOL_41,
  CLIENT_SECURE_CONNECTION,
  CLIENT_SESSION_TRACK,
  CLIENT_SSL,
  encodeFrames,
  SUPPORTED_CAPABILITIES,
  scrambleNativePassword,
} from '@scalestack/mysql-protocol';
import { prng, waitFor } from '@scalestack/test-harness';
import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { bytesToBoundary, errnos, type Frame, RawMysqlClient } from './support/raw-mysql-client.js';

const SEED = Number(process.env.FUZZ_SEED ?? 0x5ca1ab1e);
const CASES = Number(process.env.FUZZ_CASES ?? 40);
const POOL = 2;
/** Guard against an answer that never comes: a case that hits it is a hang. */
const GUARD_MS = 2000;
/** The fuzzing user, known to the proxy and (with the same password) to MariaDB. */
const FUZZ_USER = { name: 'fuzz', password: 'fuzzpw' };
/** The well-behaved client of the health checks: another user, so no fuzzed KILL reaches it. */
const CHECK_USER = { name: 'checker', password: 'checkpw' };

/** Codes the README documents for the proxy's own ERR packets. */
const DOCUMENTED = new Set([
  1045, 1040, 1047, 1153, 1156, 1835, 1243, 1421, 1461, 4031, 1053, 1317, 1927, 9001, 9002, 9003, 9004, 9005,
  9006, 9007, 9008,
]);
/** Codes that say nothing about what went wrong. */
const GENERIC = new Set([0, 1105]);

// Patterns can be kept out of generation (FUZZ_EXCLUDE=a,b) to explore the rest while one is
// being fixed; none is by default.
// - seq-behind-write: a packet out of sequence right behind a write in the same client write.
//   MariaDB answers the write's OK, then 1156; the proxy once answered 1156 at once, as the
//   write's answer, though the write was applied.
const EXCLUDE = new Set<string>(
  (process.env.FUZZ_EXCLUDE ?? '').split(',').filter((x) => x !== '' && x !== 'none'),
);

let fx: ProxyFixture;
let direct: mysql.Connection;
const uncaught: unknown[] = [];
const onUncaught = (e: unknown) => uncaught.push(e);

beforeAll(async () => {
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);
  fx = await startProxyFixture({
    pool: POOL,
    options: {
      users: [
        { name: FUZZ_USER.name, password: FUZZ_USER.password, max_connections: 5000 },
        { name: CHECK_USER.name, password: CHECK_USER.password },
      ],
    },
  });
  direct = await fx.direct();
  await direct.query(
    'CREATE TABLE fz (id INT PRIMARY KEY AUTO_INCREMENT, tag VARBINARY(200), n BIGINT, d DOUBLE, t DATETIME)',
  );
  await direct.query('CREATE TABLE hc (id INT PRIMARY KEY AUTO_INCREMENT, tag VARCHAR(40))');
  await direct.query('INSERT INTO fz (tag, n) VALUES (?, 1), (?, 2), (?, 3)', ['r1', 'r2', 'r3']);
  // The reference: the same user on MariaDB, native password as at the proxy, limited to `test`
  // so that no fuzzed COM_SHUTDOWN / COM_DROP_DB / replication command runs there.
  await direct.query(
    `CREATE USER '${FUZZ_USER.name}'@'%' IDENTIFIED VIA mysql_native_password USING PASSWORD('${FUZZ_USER.password}')`,
  );
  await direct.query(
    `GRANT SELECT, INSERT, UPDATE, CREATE TEMPORARY TABLES, LOCK TABLES, EXECUTE ON test.* TO '${FUZZ_USER.name}'@'%'`,
  );
});

afterAll(async () => {
  process.off('uncaughtException', onUncaught);
  process.off('unhandledRejection', onUncaught);
  await direct?.end();
  await fx?.stop();
});

// ---------------------------------------------------------------------------------------------
// Byte helpers

type Rng = () => number;
const int = (rng: Rng, n: number) => Math.floor(rng() * n);
const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[int(rng, xs.length)]!;
const chance = (rng: Rng, p: number) => rng() < p;
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
};
const u16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n & 0xffff);
  return b;
};
function lenenc(n: number): Buffer {
  if (n < 0xfb) return Buffer.of(n);
  if (n <= 0xffff) return Buffer.concat([Buffer.of(0xfc), u16(n)]);
  if (n <= 0xffffff) return Buffer.of(0xfd, n & 0xff, (n >> 8) & 0xff, n >> 16);
  const b = Buffer.alloc(9);
  b[0] = 0xfe;
  b.writeBigUInt64LE(BigInt(n), 1);
  return b;
}
const lenencStr = (s: string | Buffer) => {
  const b = Buffer.isBuffer(s) ? s : Buffer.from(s);
  return Buffer.concat([lenenc(b.length), b]);
};
/** Length-encoded integers that lie: far past the packet, NULL, the reserved 0xFF, short forms. */
function lyingLenenc(rng: Rng): Buffer {
  return pick(rng, [
    Buffer.of(0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
    Buffer.of(0xfe, 0, 0, 0, 0, 1, 0, 0, 0),
    Buffer.of(0xfd, 0xff, 0xff, 0xff),
    Buffer.of(0xfc, 0xff, 0xff),
    Buffer.of(0xfb),
    Buffer.of(0xff),
    Buffer.of(0xfa),
    Buffer.of(0xfe),
    Buffer.of(0xfc),
  ]);
}
const cmd = (byte: number, body: string | Buffer = '') =>
  Buffer.concat([Buffer.of(byte), Buffer.isBuffer(body) ? body : Buffer.from(body)]);

/** One generic mutation of a command payload (the command byte is kept unless `anyByte`). */
function mutate(rng: Rng, p: Buffer, anyByte = false): { payload: Buffer; how: string } {
  const from = anyByte || p.length < 2 ? 0 : 1;
  const at = from + int(rng, Math.max(1, p.length - from));
  switch (int(rng, 8)) {
    case 0:
      return { payload: p.subarray(0, at), how: `truncate@${at}` };
    case 1: {
      const q = Buffer.from(p);
      const n = 1 + int(rng, 3);
      for (let i = 0; i < n && q.length > from; i++) q[from + int(rng, q.length - from)] = int(rng, 256);
      return { payload: q, how: `flip×${n}` };
    }
    case 2: {
      const q = Buffer.from(p);
      if (q.length > from) q[at] = pick(rng, [0, 0xff, 0xfb, 0xfc, 0xfd, 0xfe, 0x80, 0x7f]);
      return { payload: q, how: `special@${at}` };
    }
    case 3:
      return {
        payload: Buffer.concat([p.subarray(0, at), lyingLenenc(rng), p.subarray(at)]),
        how: `lenenc@${at}`,
      };
    case 4:
      return {
        payload: Buffer.concat([p.subarray(0, at), p.subarray(Math.min(p.length, at + 1 + int(rng, 4)))]),
        how: `drop@${at}`,
      };
    case 5: {
      const extra = Buffer.alloc(1 + int(rng, 40));
      for (let i = 0; i < extra.length; i++) extra[i] = int(rng, 256);
      return { payload: Buffer.concat([p, extra]), how: `append${extra.length}` };
    }
    case 6:
      return { payload: p.subarray(0, from), how: 'command-byte-only' };
    default:
      return { payload: p, how: 'none' };
  }
}

// ---------------------------------------------------------------------------------------------
// Cases

/** What a case needs before its bytes: statements prepared on the connection, state set. */
interface Setup {
  prepare?: string[];
  queries?: string[];
}

interface Case {
  family: string;
  n: number;
  /** Login as this; `mutateResponse` rewrites the handshake response. */
  capabilities?: number;
  mutateResponse?: (framed: Buffer, rng: Rng) => Buffer;
  /** The first answer must be the same as MariaDB's (a valid command goes first). */
  firstAnswerMatters?: boolean;
  /** Wait for the server's first answer before the sentinel (it may ask the client for more). */
  answerFirst?: boolean;
  setup: Setup;
  /** The command payloads, mutated, each with the frame it goes in. */
  build: (ctx: CaseContext) => Wire;
  notes: string[];
}

interface CaseContext {
  /** The ids the server gave the setup's prepares, in order (servers number them differently). */
  ids: number[];
  nonce: Buffer;
  connectionId: number;
  capabilities: number;
}

/** The bytes of a case: framed, and where to cut them into separate writes. */
interface Wire {
  bytes: Buffer;
  cuts: number[];
}

interface Statement {
  id: number;
  sql: string;
  params: number;
}

/** Prepared by the execute family's setup, in this order (ids 1…). */
const STATEMENTS: Statement[] = [
  { id: 1, sql: 'SELECT ? AS a, ? AS b', params: 2 },
  { id: 2, sql: 'INSERT INTO fz (tag, n) VALUES (?, ?)', params: 2 },
  { id: 3, sql: 'SELECT id, tag, n FROM fz ORDER BY id LIMIT 3', params: 0 },
  { id: 4, sql: 'SELECT ? AS a, ? AS b, ? AS c, ? AS d, ? AS e, ? AS f, ? AS g, ? AS h, ? AS i', params: 9 },
];

const TYPES = {
  NULL: 0x06,
  TINY: 0x01,
  LONG: 0x03,
  LONGLONG: 0x08,
  DOUBLE: 0x05,
  DATETIME: 0x0c,
  TIME: 0x0b,
  VAR_STRING: 0xfd,
  BLOB: 0xfc,
  DECIMAL: 0xf6,
  JSON: 0xf5,
};

/** A valid binary value of `type`. */
function value(rng: Rng, type: number): Buffer {
  switch (type) {
    case TYPES.TINY:
      return Buffer.of(int(rng, 256));
    case TYPES.LONG:
      return u32(int(rng, 1e9));
    case TYPES.LONGLONG: {
      const b = Buffer.alloc(8);
      b.writeBigInt64LE(BigInt(int(rng, 1e9)));
      return b;
    }
    case TYPES.DOUBLE: {
      const b = Buffer.alloc(8);
      b.writeDoubleLE(rng() * 1000);
      return b;
    }
    case TYPES.DATETIME:
      return Buffer.of(
        7,
        0xe8,
        0x07,
        1 + int(rng, 12),
        1 + int(rng, 28),
        int(rng, 24),
        int(rng, 60),
        int(rng, 60),
      );
    case TYPES.TIME:
      return Buffer.of(8, 0, 1, 0, 0, 0, 2, 3, 4);
    case TYPES.NULL:
      return Buffer.alloc(0);
    default:
      return lenencStr(`v${int(rng, 1000)}`);
  }
}

/**
 * A COM_STMT_EXECUTE built field by field, then maybe broken in one field: the statement id, the
 * flags (cursor types, bits no server knows), the iteration count, the NULL bitmap, the
 * new-params-bound flag, parameter types (unknown codes, the unsigned byte) and value lengths.
 */
function execute(rng: Rng, ctx: CaseContext, st: Statement, notes: string[], forceTypes?: boolean): Buffer {
  let id = ctx.ids[st.id - 1] ?? st.id;
  let flags = 0;
  let iterations = 1;
  const n = st.params;
  const nullBitmap = Buffer.alloc((n + 7) >> 3);
  let bound = forceTypes === false ? 0 : 1;
  const types: number[] = [];
  for (let i = 0; i < n; i++) types.push(pick(rng, Object.values(TYPES)));
  const unsignedBytes = types.map(() => 0);
  const values: Buffer[] = types.map((t) => value(rng, t));
  const breakWhat = forceTypes === undefined ? int(rng, 11) : 10;
  switch (breakWhat) {
    case 0:
      id = pick(rng, [0, 0xffffffff, 0xfffffffe, 0x7ffffff0, 0x80000000]);
      notes.push(`id=${id}`);
      break;
    case 1:
      flags = pick(rng, [1, 2, 4, 8, 0x80, 0xff, 3, 0x41]);
      notes.push(`flags=${flags}`);
      break;
    case 2:
      iterations = pick(rng, [0, 2, 0xffffffff, 0x100]);
      notes.push(`iterations=${iterations}`);
      break;
    case 3:
      for (let i = 0; i < nullBitmap.length; i++) nullBitmap[i] = int(rng, 256);
      notes.push(`nullBitmap=${nullBitmap.toString('hex')}`);
      break;
    case 4:
      bound = pick(rng, [0, 2, 0xff, 0x80]);
      notes.push(`newParamsBound=${bound}`);
      break;
    case 5:
      if (n > 0) {
        const i = int(rng, n);
        types[i] = pick(rng, [0x20, 0x7f, 0xf4, 0xf8, 0xff, 0x0e, 0x11, 0x13, 0xf2]);
        notes.push(`type[${i}]=0x${types[i]!.toString(16)}`);
      }
      break;
    case 6:
      if (n > 0) {
        const i = int(rng, n);
        unsignedBytes[i] = pick(rng, [0x80, 0x01, 0xff, 0x7f]);
        notes.push(`unsigned[${i}]=0x${unsignedBytes[i]!.toString(16)}`);
      }
      break;
    case 7:
      if (n > 0) {
        const i = int(rng, n);
        types[i] = pick(rng, [TYPES.VAR_STRING, TYPES.BLOB, TYPES.DECIMAL, TYPES.JSON]);
        values[i] = Buffer.concat([lyingLenenc(rng), Buffer.from('abc')]);
        notes.push(`value[${i}] lying length ${values[i]!.toString('hex')}`);
      }
      break;
    case 8:
      if (n > 0) {
        const i = int(rng, n);
        types[i] = pick(rng, [TYPES.DATETIME, TYPES.TIME]);
        values[i] = Buffer.of(pick(rng, [0xff, 12, 200, 3]), 1, 2);
        notes.push(`value[${i}] bad temporal length`);
      }
      break;
    case 9:
      if (n > 0) {
        const i = int(rng, n);
        values[i] = Buffer.alloc(0);
        notes.push(`value[${i}] missing`);
      }
      break;
    default:
      break;
  }
  const parts: Buffer[] = [Buffer.of(0x17), u32(id), Buffer.of(flags), u32(iterations)];
  if (n > 0) {
    parts.push(nullBitmap, Buffer.of(bound));
    if (bound !== 0) for (let i = 0; i < n; i++) parts.push(Buffer.of(types[i]!, unsignedBytes[i]!));
    for (let i = 0; i < n; i++) if (!(nullBitmap[i >> 3]! & (1 << (i & 7)))) parts.push(values[i]!);
  }
  return Buffer.concat(parts);
}

/** Frames payloads (sequence id 0), sometimes with a lying header, and cuts the bytes. */
function wire(rng: Rng, payloads: Buffer[], notes: string[], frameFaults = true): Wire {
  const parts: Buffer[] = [];
  for (const p of payloads) {
    let f = encodeFrames(p, 0);
    if (frameFaults && !EXCLUDE.has('frame-seq') && chance(rng, 0.05)) {
      const seq = 1 + int(rng, 255);
      f[3] = seq;
      notes.push(`seq=${seq}`);
    } else if (frameFaults && !EXCLUDE.has('frame-len') && chance(rng, 0.05) && p.length < 0xffffff) {
      const delta = pick(rng, [-3, -1, 1, 2, 7]);
      const len = Math.max(0, p.length + delta);
      f = Buffer.from(f);
      f.writeUIntLE(len, 0, 3);
      notes.push(`frameLength=${len} for ${p.length}`);
    }
    parts.push(f);
  }
  const bytes = Buffer.concat(parts);
  const cuts: number[] = [];
  const k = int(rng, 4);
  for (let i = 0; i < k; i++) cuts.push(1 + int(rng, Math.max(1, bytes.length - 1)));
  return { bytes, cuts: [...new Set(cuts)].sort((a, b) => a - b) };
}

/** Generic mutation of some of `payloads`; the rest go as built. */
function mutateSome(rng: Rng, payloads: Buffer[], notes: string[], anyByte = false): Buffer[] {
  return payloads.map((p, i) => {
    if (payloads.length > 1 && !chance(rng, 0.6)) return p;
    const m = mutate(rng, p, anyByte);
    if (m.how !== 'none') notes.push(`#${i} ${m.how}`);
    return m.payload;
  });
}

const QUERIES = [
  'SELECT 1',
  "SELECT 'abc' AS s, 2.5 AS d, NULL AS z",
  'SELECT id, tag FROM fz WHERE id <= 2 ORDER BY id',
  "INSERT INTO fz (tag) VALUES ('w')",
  'SET @fz = 1',
  'BEGIN',
  'COMMIT',
  'SELECT 1; SELECT 2',
  'USE test',
  'SHOW WARNINGS',
  "SELECT 'a' /*! , 'b' */",
];

type Family = (rng: Rng, n: number) => Case;

/** Pieces of SQL text that the proxy's classifier must read as the server does (or not at all). */
const SQL_TOKENS = [
  'SELECT',
  ' ',
  '1',
  "'",
  '"',
  '`',
  '\\',
  '/*',
  '*/',
  '/*!',
  '/*M!',
  '-- ',
  '#',
  '\n',
  ';',
  '@',
  '@@',
  'SET',
  'BEGIN',
  'COMMIT',
  'USE',
  'test',
  'LOCK',
  'TABLES',
  'fz',
  'READ',
  'UNLOCK',
  'PREPARE',
  'FROM',
  'DUAL',
  'FOR UPDATE',
  'GET_LOCK(',
  ')',
  '(',
  ',',
  'sql_mode',
  '=',
  'x',
  'NAMES',
  'gbk',
  '\u00bf',
  '\u00e9',
  'ROLLBACK',
  'RELEASE',
  'KILL',
  'QUERY',
  'CONNECTION_ID()',
  'LAST_INSERT_ID()',
  'TEMPORARY',
  'HANDLER',
  'XA',
  'START',
  'TRANSACTION',
  'SHOW',
  'WARNINGS',
  'CALL',
  'DO',
  'SLEEP(0)',
  'N',
  '0x5c',
];

/** A valid INSERT, then a second command: mutated, or with a faulty frame. */
const INSERT = cmd(0x03, "INSERT INTO fz (tag) VALUES ('pipelined')");

const families: Record<string, Family> = {
  query: (rng, n) => {
    const notes: string[] = [];
    const sql = pick(rng, QUERIES);
    notes.push(JSON.stringify(sql));
    return {
      family: 'query',
      n,
      setup: {},
      notes,
      build: () => wire(rng, mutateSome(rng, [cmd(0x03, sql)], notes), notes),
    };
  },
  'query-text': (rng, n) => {
    const notes: string[] = [];
    const k = 1 + int(rng, 14);
    let sql = '';
    for (let i = 0; i < k; i++) sql += pick(rng, SQL_TOKENS);
    notes.push(JSON.stringify(sql));
    return {
      family: 'query-text',
      n,
      setup: pick(rng, [
        {},
        { queries: ['SET NAMES gbk'] },
        { queries: ["SET sql_mode = 'NO_BACKSLASH_ESCAPES,ANSI_QUOTES'"] },
      ]),
      notes,
      capabilities: chance(rng, 0.5)
        ? SUPPORTED_CAPABILITIES & ~CLIENT_SSL & ~CLIENT_MULTI_STATEMENTS
        : undefined,
      build: () => wire(rng, [cmd(chance(rng, 0.8) ? 0x03 : 0x16, Buffer.from(sql, 'latin1'))], notes, false),
    };
  },
  'pipelined-write': (rng, n) => {
    const notes: string[] = [];
    return {
      family: 'pipelined-write',
      n,
      setup: pick(rng, [{}, { queries: ['SELECT 1 FROM fz LIMIT 1'] }, { queries: ['BEGIN'] }]),
      notes,
      firstAnswerMatters: true,
      build: () => {
        const second = pick(rng, [
          cmd(0x03, 'SELECT 1'),
          Buffer.concat([Buffer.of(0x17), u32(0x7ffffff0), Buffer.of(0), u32(1)]),
          cmd(0x0c),
          cmd(0x1b, Buffer.of(7, 7)),
          cmd(0x12),
          Buffer.alloc(0),
        ]);
        const m = mutate(rng, second, true);
        notes.push(`then ${second.subarray(0, 8).toString('hex')} ${m.how}`);
        const first = encodeFrames(INSERT, 0);
        const rest = encodeFrames(m.payload, 0);
        if (!EXCLUDE.has('seq-behind-write') && chance(rng, 0.3)) {
          rest[3] = 1 + int(rng, 255);
          notes.push(`seq ${rest[3]}`);
        }
        const bytes = Buffer.concat([first, rest]);
        return { bytes, cuts: chance(rng, 0.5) ? [1 + int(rng, bytes.length - 1)] : [] };
      },
    };
  },
  pipelined: (rng, n) => {
    const notes: string[] = [];
    return {
      family: 'pipelined',
      n,
      setup: { prepare: STATEMENTS.map((s) => s.sql), ...(chance(rng, 0.3) ? { queries: ['BEGIN'] } : {}) },
      notes,
      build: (ctx) => {
        const payloads: Buffer[] = [];
        const k = 2 + int(rng, 7);
        for (let i = 0; i < k; i++) {
          const p = pick(rng, [
            () => cmd(0x03, pick(rng, QUERIES)),
            () => cmd(0x02, pick(rng, ['test', 'no_such_db'])),
            () => cmd(0x04, 'fz\u0000'),
            () => execute(rng, ctx, pick(rng, STATEMENTS), notes, true),
            () => execute(rng, ctx, pick(rng, STATEMENTS), notes, false),
            () => Buffer.concat([Buffer.of(0x17), u32(ctx.ids[2]!), Buffer.of(1), u32(1)]),
            () => Buffer.concat([Buffer.of(0x1c), u32(ctx.ids[2]!), u32(1)]),
            () => Buffer.concat([Buffer.of(0x18), u32(ctx.ids[0]!), u16(0), Buffer.from('ld')]),
            () => Buffer.concat([Buffer.of(0x1a), u32(pick(rng, ctx.ids))]),
            () => Buffer.concat([Buffer.of(0x19), u32(pick(rng, ctx.ids))]),
            () => cmd(0x1b, u16(int(rng, 2))),
            () => cmd(0x0e),
            () => cmd(0x1f),
            () => cmd(0x16, 'SELECT ? AS again'),
            () => cmd(pick(rng, [0x12, 0x05, 0x1d, 0xfa])),
          ])();
          payloads.push(chance(rng, 0.2) ? mutate(rng, p).payload : p);
        }
        notes.push(payloads.map((p) => p[0]?.toString(16) ?? 'empty').join(','));
        return wire(rng, payloads, notes, !EXCLUDE.has('seq-behind-write'));
      },
    };
  },
  'init-db': (rng, n) => {
    const notes: string[] = [];
    const name = pick(rng, [
      'test',
      'no_such_db',
      '',
      'te\u0000st',
      'x'.repeat(300),
      '`test`',
      'information_schema',
    ]);
    notes.push(JSON.stringify(name));
    return {
      family: 'init-db',
      n,
      setup: {},
      notes,
      build: () => wire(rng, mutateSome(rng, [cmd(0x02, name)], notes), notes),
    };
  },
  'field-list': (rng, n) => {
    const notes: string[] = [];
    const body = pick(rng, ['fz\u0000', 'fz\u0000%', 'fz\u0000t%', 'fz', 'nope\u0000', '\u0000', '']);
    notes.push(JSON.stringify(body));
    return {
      family: 'field-list',
      n,
      setup: {},
      notes,
      build: () => wire(rng, mutateSome(rng, [cmd(0x04, body)], notes), notes),
    };
  },
  prepare: (rng, n) => {
    const notes: string[] = [];
    const sql = pick(rng, [...STATEMENTS.map((s) => s.sql), 'SELECT 1', 'BEGIN', "SELECT '?'"]);
    notes.push(JSON.stringify(sql));
    // The prepare, mutated; then an execute of "the statement prepared just before" (-1).
    const payloads = [cmd(0x16, sql)];
    if (chance(rng, 0.5))
      payloads.push(Buffer.concat([Buffer.of(0x17), u32(0xffffffff), Buffer.of(0), u32(1)]));
    return {
      family: 'prepare',
      n,
      setup: {},
      notes,
      build: () => wire(rng, [mutate(rng, payloads[0]!).payload, ...payloads.slice(1)], notes),
    };
  },
  execute: (rng, n) => {
    const notes: string[] = [];
    const st = pick(rng, STATEMENTS);
    notes.push(`stmt ${st.id}`);
    return {
      family: 'execute',
      n,
      setup: { prepare: STATEMENTS.map((s) => s.sql) },
      notes,
      build: (ctx) => {
        const payloads = [execute(rng, ctx, st, notes)];
        // Then one relying on the types bound before (new-params-bound 0), or a generic mutation.
        if (chance(rng, 0.4)) payloads.push(execute(rng, ctx, st, notes, false));
        const out = chance(rng, 0.3) ? mutateSome(rng, payloads, notes) : payloads;
        return wire(rng, out, notes);
      },
    };
  },
  'statement-commands': (rng, n) => {
    const notes: string[] = [];
    return {
      family: 'statement-commands',
      n,
      setup: { prepare: STATEMENTS.map((s) => s.sql) },
      notes,
      build: (ctx) => {
        const ids = [...ctx.ids, 0, 0xffffffff, 0x7fffffff, 0x7ffffff0];
        const payloads: Buffer[] = [];
        const k = 1 + int(rng, 3);
        for (let i = 0; i < k; i++) {
          const id = pick(rng, ids);
          switch (int(rng, 5)) {
            case 0: {
              const param = pick(rng, [0, 1, 8, 0xffff]);
              payloads.push(Buffer.concat([Buffer.of(0x18), u32(id), u16(param), Buffer.from('long-data')]));
              notes.push(`long-data ${id}/${param}`);
              break;
            }
            case 1:
              payloads.push(Buffer.concat([Buffer.of(0x1a), u32(id)]));
              notes.push(`reset ${id}`);
              break;
            case 2:
              payloads.push(Buffer.concat([Buffer.of(0x19), u32(id)]));
              notes.push(`close ${id}`);
              break;
            case 3: {
              const rows = pick(rng, [1, 0, 0xffffffff, 2]);
              payloads.push(Buffer.concat([Buffer.of(0x1c), u32(id), u32(rows)]));
              notes.push(`fetch ${id}×${rows}`);
              break;
            }
            default: {
              // An execute that opens a cursor, so that fetches have one.
              payloads.push(Buffer.concat([Buffer.of(0x17), u32(ctx.ids[2]!), Buffer.of(1), u32(1)]));
              notes.push('execute 3 with a cursor');
            }
          }
        }
        if (chance(rng, 0.3)) payloads.push(execute(rng, ctx, STATEMENTS[0]!, notes, true));
        const out = chance(rng, 0.4) ? mutateSome(rng, payloads, notes) : payloads;
        return wire(rng, out, notes);
      },
    };
  },
  'change-user': (rng, n) => {
    const notes: string[] = [];
    return {
      family: 'change-user',
      n,
      answerFirst: true,
      setup: pick(rng, [
        {},
        { queries: ['SET @cu = 1'] },
        { queries: ['BEGIN', "INSERT INTO fz (tag) VALUES ('cu')"] },
      ]),
      notes,
      build: (ctx) => {
        const plugin = pick(rng, ['mysql_native_password', 'caching_sha2_password', 'no_such_plugin', '']);
        const body = buildChangeUser(
          {
            user: pick(rng, [FUZZ_USER.name, 'nobody', '']),
            authData: scrambleNativePassword(FUZZ_USER.password, ctx.nonce),
            schema: pick(rng, ['test', '', 'no_such_db']),
            characterSet: pick(rng, [45, 33, 8, 0, 2047]),
            plugin,
            attributes: { _client_name: 'fuzz', k: 'v'.repeat(int(rng, 300)) },
          },
          ctx.capabilities,
        );
        notes.push(`plugin ${plugin}`);
        return wire(rng, [mutate(rng, body).payload], notes);
      },
    };
  },
  'simple-commands': (rng, n) => {
    const notes: string[] = [];
    return {
      family: 'simple-commands',
      n,
      setup: pick(rng, [{}, { queries: ['SET @s = 1'] }, { queries: ['BEGIN', 'SELECT 1 FROM fz LIMIT 1'] }]),
      notes,
      build: (ctx) => {
        const garbage = Buffer.alloc(int(rng, 10));
        for (let i = 0; i < garbage.length; i++) garbage[i] = int(rng, 256);
        let p: Buffer;
        switch (int(rng, 6)) {
          case 0:
            p = cmd(0x1b, garbage.subarray(0, int(rng, 5)));
            if (chance(rng, 0.5)) p = cmd(0x1b, u16(int(rng, 2)));
            notes.push('set-option');
            break;
          case 1:
            p = cmd(0x1f, garbage);
            notes.push('reset-connection');
            break;
          case 2: {
            const id = pick(rng, [ctx.connectionId, 0, 1, ctx.connectionId + 1, 0xffffffff]);
            p = cmd(0x0c, chance(rng, 0.7) ? u32(id) : garbage.subarray(0, int(rng, 6)));
            notes.push(`process-kill ${id}`);
            break;
          }
          case 3:
            p = cmd(0x0e, garbage);
            notes.push('ping');
            break;
          case 4:
            p = cmd(0x09, garbage);
            notes.push('statistics');
            break;
          default:
            p = cmd(0x00, garbage);
            notes.push('sleep');
        }
        return wire(rng, [p, ...(chance(rng, 0.3) ? [cmd(0x03, 'SELECT 2')] : [])], notes);
      },
    };
  },
  'unknown-commands': (rng, n) => {
    const notes: string[] = [];
    const known = new Set([
      0x01, 0x02, 0x03, 0x04, 0x09, 0x0c, 0x0d, 0x0e, 0x11, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1f,
    ]);
    // The replication and admin commands first, then any byte.
    const named = [0x12, 0x15, 0x1e, 0xfa, 0x05, 0x06, 0x07, 0x08, 0x0a, 0x0b, 0x0f, 0x10, 0x13, 0x14, 0x1d];
    let byte = n < named.length ? named[n]! : int(rng, 256);
    while (known.has(byte)) byte = int(rng, 256);
    return {
      family: 'unknown-commands',
      n,
      setup: {},
      notes,
      build: () => {
        // COM_BINLOG_DUMP: position, flags, server id, file name.
        const body = Buffer.concat([u32(4), u16(0), u32(1000 + n), Buffer.from('mysql-bin.000001')]);
        notes.push(`command 0x${byte.toString(16)}`);
        return wire(rng, [cmd(byte, body.subarray(0, int(rng, body.length + 1)))], notes);
      },
    };
  },
  handshake: (rng, n) => {
    const notes: string[] = [];
    return {
      family: 'handshake',
      n,
      setup: {},
      notes,
      capabilities: SUPPORTED_CAPABILITIES & ~CLIENT_SSL,
      mutateResponse: (framed) => {
        const p = Buffer.from(framed.subarray(4));
        let payload: Buffer = p;
        switch (int(rng, 9)) {
          case 0: {
            const bit = pick(rng, [
              CLIENT_PROTOCOL_41,
              CLIENT_SECURE_CONNECTION,
              CLIENT_PLUGIN_AUTH,
              CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA,
              CLIENT_CONNECT_WITH_DB,
              CLIENT_CONNECT_ATTRS,
              CLIENT_DEPRECATE_EOF,
              CLIENT_SESSION_TRACK,
              CLIENT_MULTI_STATEMENTS,
              0x20 /* COMPRESS */,
              0x80000000,
            ]);
            p.writeUInt32LE((p.readUInt32LE(0) ^ bit) >>> 0, 0);
            notes.push(`capability ^0x${bit.toString(16)}`);
            break;
          }
          case 1:
            p.writeUInt32LE(pick(rng, [0, 1, 0xffffffff, 16]), 4);
            notes.push('max packet size');
            break;
          case 2:
            p[8] = pick(rng, [0, 255, 2, 63]);
            notes.push(`charset ${p[8]}`);
            break;
          case 3: {
            // The auth response's length (lenenc under PLUGIN_AUTH_LENENC_CLIENT_DATA).
            const at = p.indexOf(0, 32) + 1;
            p[at] = pick(rng, [0, 19, 21, 0xfb, 0xfc, 0xfe, 0xff, 200]);
            notes.push(`auth length ${p[at]}`);
            break;
          }
          case 4: {
            const at = p.indexOf('mysql_native_password');
            const name = pick(rng, ['caching_sha2_password', 'mysql_clear_password', 'x', '', 'dialog']);
            if (at > 0) payload = Buffer.concat([p.subarray(0, at), Buffer.from(name), p.subarray(at + 21)]);
            notes.push(`plugin ${name}`);
            break;
          }
          case 5: {
            // The attributes block's length, or an attribute's.
            const at = p.indexOf('mysql_native_password') + 22;
            const lie = lyingLenenc(rng);
            payload = Buffer.concat([p.subarray(0, at), lie, p.subarray(at + 1)]);
            notes.push(`attrs length ${lie.toString('hex')}`);
            break;
          }
          case 6: {
            const cut = int(rng, p.length);
            payload = p.subarray(0, cut);
            notes.push(`truncate@${cut}`);
            break;
          }
          case 7: {
            const m = mutate(rng, p, true);
            payload = m.payload;
            notes.push(m.how);
            break;
          }
          default: {
            const user = pick(rng, ['', 'nobody', 'x'.repeat(300), 'fu\u00ffzz']);
            const at = p.indexOf(0, 32);
            payload = Buffer.concat([p.subarray(0, 32), Buffer.from(user, 'latin1'), p.subarray(at)]);
            notes.push(`user ${JSON.stringify(user.slice(0, 20))}`);
          }
        }
        const f = encodeFrames(payload, 1);
        if (chance(rng, 0.05)) {
          f[3] = pick(rng, [0, 2, 255]);
          notes.push(`seq ${f[3]}`);
        }
        return f;
      },
      build: () => ({ bytes: Buffer.alloc(0), cuts: [] }),
    };
  },
};

// ---------------------------------------------------------------------------------------------
// Running a case on one server

interface Outcome {
  login: string;
  /** ERR codes of the case's answers (not the setup's). */
  errs: number[];
  /** The sentinel after the case was answered: the connection carried on. */
  carriedOn: boolean;
  closed: boolean;
  hang: boolean;
  /** Rows the case added to fz. */
  wrote: number;
  sent: Buffer;
  ms: number;
  /** The first packet of the case's first answer: its header byte, and the errno of an ERR. */
  first: string;
}

const SENTINEL = (tag: string) => cmd(0x03, `SELECT '${tag}' AS sentinel`);

/** The sentinel tagged `tag` was answered: its row, then the end of its result. */
function answered(fs: Frame[], tag: string): boolean {
  const t = Buffer.from(tag);
  const at = fs.findIndex(
    (f) => f.payload.includes(t) && f.payload[0] !== 0x03 && !f.payload.includes('sentinel'),
  );
  return at >= 0 && fs.slice(at + 1).some((f) => f.payload[0] === 0xfe);
}

/** The server waits for the client: an auth switch or more-data request, a LOCAL INFILE request. */
function waitsForClient(f: Frame | undefined): 'auth' | 'infile' | undefined {
  if (f === undefined) return undefined;
  if (
    (f.payload[0] === 0xfe && f.payload.length > 9 && f.payload.includes('_password')) ||
    f.payload[0] === 0x01
  )
    return 'auth';
  if (f.payload[0] === 0xfb && f.payload.length > 1) return 'infile';
  return undefined;
}

async function rows(): Promise<number> {
  // Statements still running on the server (a client that left mid-statement) finish first.
  // A thread shown as Killed with no statement is idle: a KILL QUERY the proxy sent for a read
  // whose client left landed after that read had ended (MariaDB lists it so until its next
  // command, which runs normally).
  await waitFor(
    async () => {
      const [r] = await direct.query(
        "SELECT ID, USER, COMMAND, TIME, STATE, LEFT(INFO, 120) AS INFO FROM information_schema.PROCESSLIST WHERE USER IN ('proxy', 'fuzz') AND COMMAND NOT IN ('Sleep', 'Daemon') AND NOT (COMMAND = 'Killed' AND INFO IS NULL)",
      );
      const running = r as unknown[];
      // Quoted in the timeout message: what is still running, and in which state.
      if (running.length > 0) throw new Error(JSON.stringify(running));
      return true;
    },
    { what: 'statements on the server to finish', timeout: 5000 },
  );
  const [r] = await direct.query('SELECT COUNT(*) AS n FROM fz');
  return Number((r as { n: number }[])[0]!.n);
}

async function run(port: number, c: Case, rng: Rng, caseTag: string): Promise<Outcome> {
  const before = await rows();
  const client = await RawMysqlClient.open(port);
  const out: Outcome = {
    login: '',
    errs: [],
    carriedOn: false,
    closed: false,
    hang: false,
    wrote: 0,
    sent: Buffer.alloc(0),
    ms: 0,
    first: '',
  };
  const t0 = performance.now();
  try {
    const login = await client.login({
      user: FUZZ_USER.name,
      password: FUZZ_USER.password,
      database: 'test',
      capabilities: c.capabilities,
      attributes: { _client_name: 'malformed-input', tenant: 'x' },
      mutateResponse: c.mutateResponse ? (b) => c.mutateResponse!(b, rng) : undefined,
      timeout: GUARD_MS,
    });
    out.login = login.kind === 'err' ? `err ${login.errno}` : login.kind;
    if (c.mutateResponse) out.sent = client.sentResponse ?? Buffer.alloc(0);
    if (login.kind === 'timeout') {
      out.hang = true;
      return out;
    }
    if (login.kind !== 'ok') {
      out.closed = await client.until(() => client.closed, GUARD_MS);
      out.hang = !out.closed && login.kind !== 'client-gave-up';
      return out;
    }
    const caps = (c.capabilities ?? SUPPORTED_CAPABILITIES) & client.greeting!.capabilities;
    // Setup, then a sentinel: every answer to it has arrived when the sentinel's has.
    const setup: Buffer[] = [
      ...(c.setup.prepare ?? []).map((s) => cmd(0x16, s)),
      ...(c.setup.queries ?? []).map((s) => cmd(0x03, s)),
    ];
    let ids: number[] = [];
    if (setup.length > 0) {
      const tag = `${caseTag}-setup`;
      await client.write(Buffer.concat([...setup, SENTINEL(tag)].map((p) => encodeFrames(p, 0))));
      if (!(await client.until(() => answered(client.frames(), tag) || client.closed, GUARD_MS)))
        throw new Error(`setup of ${caseTag} not answered`);
      const fs = client.frames();
      const prepared = fs.filter((f) => f.payload[0] === 0 && f.payload.length === 12 && f.payload[9] === 0);
      ids = prepared.map((f) => f.payload.readUInt32LE(1));
      if (ids.length !== (c.setup.prepare?.length ?? 0))
        throw new Error(`setup of ${caseTag}: statement ids ${ids.join()}`);
      client.base = fs.at(-1)!.at + 4 + fs.at(-1)!.payload.length;
    }
    const w = c.build({
      ids,
      nonce: client.greeting!.nonce,
      connectionId: client.greeting!.connectionId,
      capabilities: caps,
    });
    if (!c.mutateResponse) out.sent = w.bytes;
    let from = 0;
    for (const cut of [...w.cuts, w.bytes.length]) {
      if (cut > from) await client.write(w.bytes.subarray(from, cut));
      from = cut;
    }
    // A lying frame header leaves the reader mid-packet: complete it with zeros (a packet
    // announced past 64 KiB is not completed: the client ends instead, and the server must close).
    // A lying frame header leaves the reader mid-packet: complete it with zeros (which may form
    // a header announcing more), unless that takes over 64 KiB: the client then ends instead,
    // and the server must close.
    let padding = 0;
    let missing = bytesToBoundary(w.bytes);
    while (missing > 0 && padding + missing <= 65536) {
      padding += missing;
      missing = bytesToBoundary(Buffer.concat([w.bytes, Buffer.alloc(padding)]));
    }
    if (missing > 0) {
      out.closed = await client.end(GUARD_MS);
      out.hang = !out.closed;
      return out;
    }
    if (padding > 0) await client.write(Buffer.alloc(padding));
    // The sentinel follows at once, or (a COM_CHANGE_USER, which the server may answer with an
    // auth switch) after the first answer.
    let tag: string | undefined;
    if (!c.answerFirst) {
      tag = `${caseTag}-s0`;
      await client.write(encodeFrames(SENTINEL(tag), 0));
    }
    let handled = client.frames().length;
    for (let round = 1; ; round++) {
      const ok = await client.until(() => {
        const fs = client.frames();
        if (tag !== undefined && answered(fs, tag)) return true;
        return (
          client.closed ||
          (fs.length > handled && (tag === undefined || waitsForClient(fs.at(-1)) !== undefined))
        );
      }, GUARD_MS);
      const fs = client.frames();
      if (!ok) {
        out.hang = true;
        break;
      }
      if (tag !== undefined && answered(fs, tag)) {
        out.carriedOn = true;
        break;
      }
      if (client.closed) break;
      if (round > 4) {
        out.hang = true;
        break;
      }
      // The server asks the client for something: answer it (an empty packet), then a new sentinel.
      const last = fs.at(-1)!;
      handled = fs.length;
      tag = `${caseTag}-s${round}`;
      const wants = waitsForClient(last);
      if (wants === 'infile') await client.write(encodeFrames(Buffer.alloc(0), (last.seq + 1) & 0xff));
      else if (wants === 'auth') await client.write(encodeFrames(Buffer.from(tag), (last.seq + 1) & 0xff));
      await client.write(encodeFrames(SENTINEL(tag), 0));
    }
    const fs = client.frames();
    const f0 = fs[0]?.payload;
    out.first =
      f0 === undefined ? 'none' : f0[0] === 0xff ? `ERR ${f0.readUInt16LE(1)}` : `0x${f0[0]!.toString(16)}`;
    out.errs = errnos(fs.filter((f) => !f.payload.includes('sentinel')));
    out.closed = out.closed || client.closed;
    return out;
  } finally {
    client.destroy();
    out.ms = Math.round(performance.now() - t0);
    out.wrote = (await rows()) - before;
  }
}

// ---------------------------------------------------------------------------------------------
// Health

async function healthCheck(label: string): Promise<void> {
  const c = await fx.connect({ user: CHECK_USER.name, password: CHECK_USER.password });
  try {
    const tag = `hc-${label}`.slice(0, 40);
    const [ins] = await c.query('INSERT INTO hc (tag) VALUES (?)', [tag]);
    expect((ins as mysql.ResultSetHeader).affectedRows).toBe(1);
    const [r] = await c.query('SELECT COUNT(*) AS n, MAX(tag) AS t FROM hc WHERE tag = ?', [tag]);
    expect(r).toEqual([{ n: 1, t: tag }]);
    const [p] = await c.execute('SELECT ? + 1 AS two', [1]);
    expect(p).toEqual([{ two: 2 }]);
  } finally {
    await c.end();
  }
  // Nothing left behind: no client session, nothing busy, at most N connections on the server.
  await waitFor(
    () => {
      const s = fx.proxy.stats();
      return s.clients.length === 0 && s.pools.every((p) => p.busy === 0) && s.waiting === 0;
    },
    { what: `the proxy to settle after ${label} (${JSON.stringify(fx.proxy.stats().pools)})`, timeout: 5000 },
  );
  const [pl] = await direct.query(
    "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE USER = 'proxy'",
  );
  expect(Number((pl as { n: number }[])[0]!.n), `backend connections after ${label}`).toBeLessThanOrEqual(
    POOL,
  );
}

// ---------------------------------------------------------------------------------------------

interface Finding {
  where: string;
  what: string;
}

const summary = new Map<string, number>();
const divergences: string[] = [];

describe('malformed input from clients', () => {
  for (const [name, family] of Object.entries(families)) {
    if (EXCLUDE.has(name)) continue;
    it(`${name}: ${CASES} seeded cases`, async () => {
      const findings: Finding[] = [];
      for (let n = 0; n < CASES; n++) {
        const caseSeed = (SEED ^ hashName(name)) + n * 7919;
        const where = `seed=${SEED} family=${name} case=${n} (caseSeed=${caseSeed})`;
        // The same case (same random choices) for both servers.
        const viaProxy = await run(fx.port, family(prng(caseSeed), n), prng(caseSeed + 1), `p${n}`);
        const c = family(prng(caseSeed), n);
        // MariaDB delays a refused COM_CHANGE_USER by a second: every fourth case only.
        const viaMariadb =
          name === 'change-user' && n % 8 !== 0
            ? viaProxy
            : await run(fx.mariadb.port, c, prng(caseSeed + 1), `p${n}`);
        const notes = c.notes.join('; ');
        const detail = `${where} [${notes}] bytes=${viaProxy.sent.toString('hex').slice(0, 400)}\n    proxy:   ${describeOutcome(viaProxy)}\n    mariadb: ${describeOutcome(viaMariadb)}`;
        const key = `${name}: proxy ${shape(viaProxy)} / mariadb ${shape(viaMariadb)}`;
        summary.set(key, (summary.get(key) ?? 0) + 1);
        if (uncaught.length > 0)
          findings.push({ where: detail, what: `uncaught: ${String(uncaught.splice(0).map(String))}` });
        if (viaProxy.hang) findings.push({ where: detail, what: 'hang: no answer and no close' });
        for (const e of viaProxy.errs) {
          if (
            GENERIC.has(e) ||
            (!DOCUMENTED.has(e) && !viaMariadb.errs.includes(e) && !(e >= 1000 && e < 5000))
          )
            findings.push({ where: detail, what: `ERR ${e}: generic or undocumented` });
        }
        if (viaProxy.wrote !== viaMariadb.wrote && !viaMariadb.hang)
          findings.push({
            where: detail,
            what: `wrote ${viaProxy.wrote} row(s) through the proxy, MariaDB ${viaMariadb.wrote}`,
          });
        // MariaDB closing with input left unread sends a reset, which can drop its own answers
        // before they are read: a 'none' before its close says nothing of what it answered.
        const mariadbFirst = viaMariadb.first;
        const mariadbAnswerLost = mariadbFirst === 'none' && viaMariadb.closed;
        if (c.firstAnswerMatters && !mariadbAnswerLost && viaProxy.first !== mariadbFirst)
          findings.push({
            where: detail,
            what: `first answer ${viaProxy.first}, MariaDB's ${mariadbFirst}`,
          });
        if (viaProxy.login !== viaMariadb.login || viaProxy.carriedOn !== viaMariadb.carriedOn)
          divergences.push(detail);
        if ((n + 1) % 20 === 0) await healthCheck(`${name}-${n}`);
      }
      await healthCheck(`${name}-end`);
      if (findings.length > 0) console.log(findings.map((f) => `${f.what}\n  ${f.where}`).join('\n'));
      expect(findings.map((f) => `${f.what} — ${f.where.split(' [')[0]}`)).toEqual([]);
    });
  }

  afterAll(() => {
    if (process.env.FUZZ_VERBOSE) {
      console.log(
        [...summary]
          .map(([k, v]) => `${v}\t${k}`)
          .sort()
          .join('\n'),
      );
      console.log(`divergences from MariaDB (not failures):\n${divergences.join('\n')}`);
    }
  });
});

function shape(o: Outcome): string {
  if (o.login !== 'ok') return `login ${o.login}${o.closed ? ' closed' : ''}`;
  return `${o.hang ? 'HANG' : o.carriedOn ? 'carries on' : o.closed ? 'closed' : '?'}`;
}

function describeOutcome(o: Outcome): string {
  return `login ${o.login}, errs [${o.errs.join(',')}], ${o.hang ? 'HANG' : o.carriedOn ? 'carried on' : o.closed ? 'closed' : '?'}, first ${o.first}, wrote ${o.wrote}, ${o.ms} ms`;
}

function hashName(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

describe('minimal reproductions', () => {
  it('commands pipelined behind a COM_CHANGE_USER that needs an auth switch are read as its answer, as MariaDB reads them: nothing runs', async () => {
    const answers: { wrote: number; closed: boolean; first: number | undefined }[] = [];
    for (const port of [fx.mariadb.port, fx.port]) {
      const c = await RawMysqlClient.open(port);
      expect(
        (await c.login({ user: FUZZ_USER.name, password: FUZZ_USER.password, database: 'test' })).kind,
      ).toBe('ok');
      const caps = SUPPORTED_CAPABILITIES & c.greeting!.capabilities;
      const before = await rows();
      // A command in flight, then the change of user (an unknown plugin: the server asks for
      // a switch), then a write and a query in the same write.
      const changeUser = buildChangeUser(
        {
          user: FUZZ_USER.name,
          authData: Buffer.alloc(0),
          schema: 'test',
          characterSet: 45,
          plugin: 'no_such_plugin',
        },
        caps,
      );
      await c.write(
        Buffer.concat([
          encodeFrames(cmd(0x03, 'SELECT 1'), 0),
          encodeFrames(changeUser, 0),
          encodeFrames(cmd(0x03, "INSERT INTO fz (tag) VALUES ('after-change-user')"), 0),
          encodeFrames(SENTINEL('after-change-user'), 0),
        ]),
      );
      const done = await c.until(() => c.closed || answered(c.frames(), 'after-change-user'), GUARD_MS);
      expect(done, 'an end or the sentinel').toBe(true);
      answers.push({ wrote: (await rows()) - before, closed: c.closed, first: errnos(c.frames())[0] });
      c.destroy();
    }
    // MariaDB: the switch request, 1156 for the INSERT read as its answer, the close.
    expect(answers[0]).toEqual({ wrote: 0, closed: true, first: 1156 });
    expect(answers[1], 'through the proxy').toEqual(answers[0]);
  });

  it.skipIf(EXCLUDE.has('seq-behind-write'))(
    'seq-behind-write: a write followed by a packet out of sequence gets its OK, then ERR 1156',
    async () => {
      // INSERT (sequence id 0) and SELECT 1 numbered 5, in one write, on a connection whose
      // backend session is already in step (a statement ran before).
      const bytes = Buffer.concat([
        encodeFrames(cmd(0x03, "INSERT INTO fz (tag) VALUES ('seq-probe')"), 0),
        encodeFrames(cmd(0x03, 'SELECT 1'), 5),
      ]);
      const answers: { first: string; wrote: number }[] = [];
      for (const port of [fx.mariadb.port, fx.port]) {
        const c = await RawMysqlClient.open(port);
        expect(
          (await c.login({ user: FUZZ_USER.name, password: FUZZ_USER.password, database: 'test' })).kind,
        ).toBe('ok');
        await c.write(encodeFrames(SENTINEL('warm'), 0));
        expect(await c.until(() => answered(c.frames(), 'warm'), GUARD_MS)).toBe(true);
        c.base = c.received.length;
        const before = await rows();
        await c.write(bytes);
        expect(await c.until(() => c.closed, GUARD_MS)).toBe(true);
        const f0 = c.frames()[0]?.payload;
        answers.push({
          first: f0 === undefined ? 'none' : f0[0] === 0xff ? `ERR ${f0.readUInt16LE(1)}` : 'OK',
          wrote: (await rows()) - before,
        });
      }
      // MariaDB: the INSERT's OK, then ERR 1156. The client must not be told its applied write failed.
      expect(answers[0]).toEqual({ first: 'OK', wrote: 1 });
      expect(answers[1], 'through the proxy').toEqual(answers[0]);
    },
  );
});
