import { describe, expect, it } from 'vitest';
import { RespDecoder, splitInlineArgs } from '../src/index.js';
import { decode } from './support/decode.js';
import { command } from './support/raw-client.js';

describe('RespDecoder', () => {
  it('decodes arrays of bulk strings, binary-safe', () => {
    const bytes = Buffer.concat([command('SET', 'k', 'a\r\nb'), command('GET', 'k')]);
    expect(decode(bytes)).toEqual({
      commands: [
        ['SET', 'k', 'a\r\nb'],
        ['GET', 'k'],
      ],
      error: undefined,
    });
  });

  it('decodes the same one byte at a time', () => {
    const bytes = Buffer.concat([command('SET', 'k', 'v'), Buffer.from('PING\r\n'), command('ECHO', '')]);
    expect(decode(bytes, [1])).toEqual(decode(bytes));
    expect(decode(bytes, [1]).commands).toEqual([['SET', 'k', 'v'], ['PING'], ['ECHO', '']]);
  });

  it('returns arguments as slices of the input, not copies', () => {
    const decoder = new RespDecoder();
    const bytes = command('GET', 'key');
    decoder.push(bytes);
    const args = decoder.next()!;
    expect(args[1]!.buffer).toBe(bytes.buffer);
  });

  it('skips empty inline lines and empty or null arrays, which answer nothing', () => {
    expect(decode(Buffer.from('\r\n  \r\n*0\r\n*-1\r\nPING\r\n')).commands).toEqual([['PING']]);
  });

  it('accepts a bare LF after inline commands', () => {
    expect(decode(Buffer.from('ECHO a\nECHO b\r\n')).commands).toEqual([
      ['ECHO', 'a'],
      ['ECHO', 'b'],
    ]);
  });

  it('waits for the byte after CR in length lines', () => {
    const decoder = new RespDecoder();
    decoder.push(Buffer.from('*1\r'));
    expect(decoder.next()).toBeUndefined();
    decoder.push(Buffer.from('\n$4\r\nPING\r\n'));
    expect(decoder.next()?.map(String)).toEqual(['PING']);
  });

  it.each([
    ['*abc\r\n', 'invalid multibulk length'],
    ['*-01\r\n', 'invalid multibulk length'],
    ['*1\r\n+PING\r\n', "expected '$', got '+'"],
    ['*1\r\n$-1\r\n', 'invalid bulk length'],
    ['*1\r\n$11\r\n', 'invalid bulk length'],
    ['ECHO "open\r\n', 'unbalanced quotes in request'],
    [`${'a'.repeat(101)}`, 'too big inline request'],
    [`*${'1'.repeat(101)}`, 'too big mbulk count string'],
    [`*1\r\n$${'1'.repeat(101)}`, 'too big bulk count string'],
  ])('stops at %j with "%s"', (input, error) => {
    const limits = { maxBulkSize: 10, maxInlineSize: 100 };
    expect(decode(Buffer.from(input), [input.length], limits).error).toBe(error);
    expect(decode(Buffer.from(input), [1], limits).error).toBe(error);
  });

  it('ignores input after a protocol error and frees what it held', () => {
    const decoder = new RespDecoder();
    decoder.push(Buffer.from('PING\r\n*x\r\nPING\r\n'));
    expect(decoder.next()?.map(String)).toEqual(['PING']);
    expect(decoder.next()).toBeUndefined();
    expect(decoder.error).toBe('invalid multibulk length');
    decoder.push(Buffer.from('PING\r\n'));
    expect(decoder.next()).toBeUndefined();
    expect(decoder.buffered).toBe(0);
  });

  it('never allocates for a declared length: only bytes that arrived are held', () => {
    const decoder = new RespDecoder();
    decoder.push(Buffer.from('*1\r\n$536870912\r\n'));
    expect(decoder.next()).toBeUndefined();
    decoder.push(Buffer.from('abc'));
    expect(decoder.next()).toBeUndefined();
    expect(decoder.buffered).toBe(3);
  });

  it('joins a large value arriving in many chunks once', () => {
    const value = Buffer.alloc(100_000, 0x61);
    const bytes = command('SET', 'k', value);
    expect(decode(bytes, [1000]).commands[0]![2]).toBe(value.toString('latin1'));
  });
});

describe('splitInlineArgs', () => {
  const split = (line: string) =>
    splitInlineArgs(Buffer.from(line, 'latin1'))?.map((a) => a.toString('latin1'));

  it.each([
    ['SET a b', ['SET', 'a', 'b']],
    ['  a \t b  ', ['a', 'b']],
    ['"hello world" x', ['hello world', 'x']],
    ['"\\x41\\x4a\\n\\r\\t\\b\\a\\"\\z"', ['AJ\n\r\t\b\x07"z']],
    ['"\\x4g"', ['x4g']],
    ["'it\\'s' 'a\\nb'", ["it's", 'a\\nb']],
    ['a"b c"', ['ab c']],
    ['""', ['']],
    ['a\0b c', ['a']],
    ['', []],
  ])('%j → %j', (line, args) => {
    expect(split(line)).toEqual(args);
  });

  it.each(['"open', "'open", '"a"b', "'a'b", '"\\'])('%j is unbalanced', (line) => {
    expect(split(line)).toBeUndefined();
  });
});
