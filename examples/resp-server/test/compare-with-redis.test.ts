import { type RunningServer, startRedis } from '@scalestack/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { command, RawClient } from './support/raw-client.js';
import { type StartedServer, startRespServer } from './support/server.js';

/**
 * The same bytes go to a real redis-server and to the example, and the reply bytes must be
 * identical: values, integers, nils, and every error message word for word.
 */
let redis: RunningServer;
let ours: StartedServer;

beforeAll(async () => {
  [redis, ours] = await Promise.all([
    startRedis({ args: ['--proto-max-bulk-len', '1mb'] }),
    startRespServer({ max_bulk_size: '1MiB' }),
  ]);
});
afterAll(async () => {
  await Promise.all([redis?.stop(), ours?.stop()]);
});

const c = command;
const LONG = 'x'.repeat(100);

/** Commands run in this order on one connection to each server, starting from an empty database. */
const SCRIPT: (Buffer | string)[] = [
  c('FLUSHDB'),
  // PING, ECHO
  c('PING'),
  c('ping', 'hello'),
  c('PING', 'a', 'b'),
  c('ECHO'),
  c('ECHO', 'hi'),
  c('ECHO', 'a', 'b'),
  // SET and its options, GET
  c('SET', 'k', 'v'),
  c('GET', 'k'),
  c('GET', 'missing'),
  c('GET'),
  c('GET', 'a', 'b'),
  c('SET', 'k'),
  c('SET', 'k', 'v', 'EX'),
  c('SET', 'k', 'v', 'EX', '0'),
  c('SET', 'k', 'v', 'EX', '-1'),
  c('SET', 'k', 'v', 'EX', 'abc'),
  c('SET', 'k', 'v', 'EX', '1.5'),
  c('SET', 'k', 'v', 'PX', '0'),
  c('SET', 'k', 'v', 'EX', '10', 'PX', '10'),
  c('SET', 'k', 'v', 'EX', '10', 'EX', '20'),
  c('SET', 'k', 'v', 'KEEPTTL', 'EX', '10'),
  c('SET', 'k', 'v', 'EX', '10', 'KEEPTTL'),
  c('SET', 'k', 'v', 'EX', '9223372036854775807'),
  c('SET', 'k', 'v', 'PX', '9223372036854775807'),
  c('SET', 'k', 'v', 'EX', '99999999999999999999'),
  c('SET', 'k', 'v', 'FOO'),
  c('SET', 'k', 'v', 'NX', 'XX'),
  c('SET', 'k', 'v1', 'NX'),
  c('GET', 'k'),
  c('SET', 'k', 'v2', 'XX'),
  c('GET', 'k'),
  c('SET', 'fresh', 'v', 'XX'),
  c('SET', 'fresh', 'v', 'nx'),
  c('SET', 'k', 'v3', 'GET'),
  c('SET', 'k2', 'v', 'GET'),
  c('SET', 'k', 'v4', 'NX', 'GET'),
  c('SET', 'ttl', 'v', 'EX', '100'),
  c('TTL', 'ttl'),
  c('SET', 'ttl', 'v2', 'KEEPTTL'),
  c('TTL', 'ttl'),
  c('SET', 'ttl', 'v3'),
  c('TTL', 'ttl'),
  c('SET', 'gone', 'v', 'EXAT', '1'),
  c('GET', 'gone'),
  c('SET', 'bin', Buffer.from([0, 255, 13, 10, 42])),
  c('GET', 'bin'),
  c('SET', Buffer.from([0, 1, 2]), 'binary key'),
  c('GET', Buffer.from([0, 1, 2])),
  c('SET', 'empty', ''),
  c('GET', 'empty'),
  // DEL, EXISTS
  c('DEL', 'k', 'missing', 'k2'),
  c('DEL'),
  c('EXISTS', 'bin', 'bin', 'missing'),
  c('EXISTS'),
  // INCR family
  c('INCR', 'counter'),
  c('INCR', 'counter'),
  c('DECR', 'counter'),
  c('INCRBY', 'counter', '10'),
  c('INCRBY', 'counter', 'x'),
  c('DECRBY', 'counter', '5'),
  c('DECRBY', 'counter', '-9223372036854775808'),
  c('SET', 'big', '9223372036854775807'),
  c('INCR', 'big'),
  c('GET', 'big'),
  c('SET', 'neg', '-9223372036854775808'),
  c('DECR', 'neg'),
  c('SET', 'huge', '9223372036854775808'),
  c('INCR', 'huge'),
  c('SET', 's', 'abc'),
  c('INCR', 's'),
  c('SET', 's', ' 1'),
  c('INCR', 's'),
  c('SET', 's', '01'),
  c('INCR', 's'),
  c('SET', 's', '-0'),
  c('DECR', 's'),
  c('INCR'),
  c('INCR', 'a', 'b'),
  c('SET', 'counted', '5', 'EX', '100'),
  c('INCR', 'counted'),
  c('TTL', 'counted'),
  // EXPIRE, TTL
  c('EXPIRE', 'missing', '10'),
  c('SET', 'e', 'v'),
  c('TTL', 'e'),
  c('EXPIRE', 'e', '100'),
  c('TTL', 'e'),
  c('EXPIRE', 'e', '100', 'NX'),
  c('EXPIRE', 'e', '200', 'XX'),
  c('TTL', 'e'),
  c('EXPIRE', 'e', '50', 'GT'),
  c('EXPIRE', 'e', '50', 'LT'),
  c('TTL', 'e'),
  c('EXPIRE', 'e', '10', 'FOO'),
  c('EXPIRE', 'e', '10', 'nx', 'xx'),
  c('EXPIRE', 'e', '10', 'GT', 'LT'),
  c('EXPIRE', 'e', 'abc'),
  c('EXPIRE', 'e', '9223372036854775807'),
  c('EXPIRE', 'e', '-9223372036854775807'),
  c('PEXPIRE', 'e', '9223372036854775807'),
  c('EXPIRE', 'e'),
  c('EXPIRE', 'e', '-1'),
  c('EXISTS', 'e'),
  c('TTL', 'e'),
  c('TTL'),
  c('SET', 'p', 'v'),
  c('EXPIRE', 'p', '100', 'GT'),
  c('EXPIRE', 'p', '100', 'LT'),
  c('TTL', 'p'),
  // MSET, MGET
  c('MSET', 'a', '1', 'b', '2'),
  c('MGET', 'a', 'b', 'missing'),
  c('MSET', 'a'),
  c('MSET', 'a', '1', 'b'),
  c('MGET'),
  // a list, for WRONGTYPE
  c('LPUSH', 'l', 'x', 'y'),
  c('RPUSH', 'l', 'z'),
  c('LRANGE', 'l', '0', '-1'),
  c('LRANGE', 'l', '5', '10'),
  c('LRANGE', 'l', '-100', '100'),
  c('LRANGE', 'l', 'x', '1'),
  c('LRANGE', 'missing', '0', '1'),
  c('LLEN', 'l'),
  c('GET', 'l'),
  c('INCR', 'l'),
  c('SET', 'l', 'v', 'GET'),
  c('LPUSH', 'a', 'x'),
  c('LLEN', 'a'),
  c('LRANGE', 'a', '0', '1'),
  c('MGET', 'l', 'a'),
  c('TYPE', 'l'),
  c('TYPE', 'a'),
  c('TYPE', 'missing'),
  c('EXPIRE', 'l', '100'),
  c('TTL', 'l'),
  // DBSIZE, FLUSHDB
  c('DBSIZE'),
  c('DBSIZE', 'x'),
  c('FLUSHDB', 'x'),
  c('FLUSHDB', 'a', 'b'),
  c('FLUSHDB', 'ASYNC'),
  c('DBSIZE'),
  c('FLUSHDB', 'sync'),
  // unknown commands and names in any case
  c('FOO'),
  c('FOO', 'a', 'b'),
  c('foo', LONG, LONG, LONG),
  c('fo\r\no', 'a\nb'),
  c(Buffer.from([0xc3, 0xa9]), Buffer.from([0xff])),
  c('GeT', 'a'),
  // inline commands
  'PING\r\n',
  'ping\n',
  'SET inl "hello world"\r\n',
  'GET inl\r\n',
  "ECHO 'it\\'s'\r\n",
  'ECHO "\\x41\\n\\t\\z"\r\n',
  'ECHO "\\x4"\r\n',
  'ECHO a"b c" d\r\n',
  '  ECHO   spaced   \r\n',
  '\r\n',
  '   \r\n',
  'MSET x 1 y 2\r\nMGET x y\r\n',
  'FOO "a b"\r\n',
  // empty multibulk: no reply
  '*0\r\n',
  '*-1\r\n',
  // one read holding many commands (pipelining)
  Buffer.concat([
    c('SET', 'pipe', '1'),
    c('INCR', 'pipe'),
    c('INCR', 'pipe'),
    c('GET', 'pipe'),
    c('DEL', 'pipe'),
  ]),
  c('QUIT'),
];

describe('replies compared with redis-server', () => {
  it('are identical for every command of the script', async () => {
    const [a, b] = await Promise.all([RawClient.open(redis.port), RawClient.open(ours.port)]);
    let compared = 0;
    try {
      for (const step of SCRIPT) {
        if (step === SCRIPT[SCRIPT.length - 1]) {
          const [fromRedis, fromOurs] = await Promise.all([a.untilClosed(step), b.untilClosed(step)]);
          expect(fromOurs.toString('latin1')).toBe(fromRedis.toString('latin1'));
          expect(fromOurs.toString('latin1')).toBe('+OK\r\n');
          // Guards the comparison itself: the script really produced replies to compare.
          expect(compared).toBeGreaterThan(3000);
          continue;
        }
        const [fromRedis, fromOurs] = await Promise.all([a.exchange(step), b.exchange(step)]);
        compared += fromRedis.length;
        expect({ step: show(step), reply: fromOurs.toString('latin1') }).toEqual({
          step: show(step),
          reply: fromRedis.toString('latin1'),
        });
      }
    } finally {
      a.close();
      b.close();
    }
  });

  const PROTOCOL_ERRORS: [string, Buffer | string][] = [
    ['bad multibulk length', 'PING\r\n*abc\r\n'],
    ['multibulk length with a leading zero', '*01\r\n'],
    ['multibulk length above INT_MAX', '*3000000000\r\n'],
    ['"$" missing', '*1\r\nfoo\r\n'],
    ['"$" missing, CR instead', '*1\r\n\r\n\r\n'],
    ['negative bulk length', '*1\r\n$-1\r\n'],
    ['bulk length not a number', '*1\r\n$x\r\n'],
    ['oversized bulk', `*2\r\n$3\r\nSET\r\n$${2 * 1024 * 1024}\r\nabc`],
    ['unbalanced double quotes', 'SET a "unbalanced\r\n'],
    ['unbalanced single quotes', "SET a 'oops\r\n"],
    ['text right after a closing quote', 'ECHO "a"b\r\n'],
    ['inline request too big', 'x'.repeat(70_000)],
    ['bulk count string too big', `*1\r\n$${'9'.repeat(70_000)}`],
    ['mbulk count string too big', `*${'9'.repeat(70_000)}`],
    [
      'error after good commands in the same read',
      Buffer.concat([command('SET', 'x', '1'), command('GET', 'x'), Buffer.from('*1\r\n$-5\r\n')]),
    ],
  ];

  for (const [what, bytes] of PROTOCOL_ERRORS) {
    it(`answer a protocol error (${what}) the same way and close the connection`, async () => {
      const [a, b] = await Promise.all([RawClient.open(redis.port), RawClient.open(ours.port)]);
      try {
        const [fromRedis, fromOurs] = await Promise.all([a.untilClosed(bytes), b.untilClosed(bytes)]);
        expect(fromRedis.toString('latin1')).toContain('-ERR Protocol error: ');
        expect(fromOurs.toString('latin1')).toBe(fromRedis.toString('latin1'));
      } finally {
        a.close();
        b.close();
      }
    });
  }
});

describe('max_memory compared with redis-server maxmemory', () => {
  it('refuses writes with the same -OOM error and still serves reads and deletes', async () => {
    const small = await startRedis({ args: ['--maxmemory', '1'] });
    const tight = await startRespServer({ max_memory: '1KiB' });
    const [a, b] = await Promise.all([RawClient.open(small.port), RawClient.open(tight.port)]);
    try {
      // Fill ours above its limit (Redis with maxmemory 1 is above it from the start).
      await b.exchange(command('SET', 'filler', 'f'.repeat(2048)));
      for (const step of [
        command('SET', 'k', 'v'),
        command('MSET', 'k', 'v'),
        command('INCR', 'n'),
        command('LPUSH', 'l', 'x'),
        command('GET', 'k'),
        command('DEL', 'k'),
        command('PING'),
      ]) {
        const [fromRedis, fromOurs] = await Promise.all([a.exchange(step), b.exchange(step)]);
        expect(fromOurs.toString('latin1')).toBe(fromRedis.toString('latin1'));
      }
      expect((await b.exchange(command('SET', 'k', 'v'))).toString()).toBe(
        "-OOM command not allowed when used memory > 'maxmemory'.\r\n",
      );
      // Deleting brings it back under the limit.
      expect((await b.exchange(command('DEL', 'filler'))).toString()).toBe(':1\r\n');
      expect((await b.exchange(command('SET', 'k', 'v'))).toString()).toBe('+OK\r\n');
    } finally {
      a.close();
      b.close();
      await Promise.all([small.stop(), tight.stop()]);
    }
  });
});

function show(step: Buffer | string): string {
  return JSON.stringify(Buffer.from(step as Buffer).toString('latin1')).slice(0, 120);
}
