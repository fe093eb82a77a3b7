import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RespDecoder } from '../src/index.js';
import { decode } from './support/decode.js';
import { command } from './support/raw-client.js';

/** A command as clients send it: an array of binary-safe bulk strings. */
const bulkCommand = fc
  .array(fc.uint8Array({ maxLength: 24 }), { minLength: 1, maxLength: 5 })
  .map((args) => ({
    args: args.map((a) => Buffer.from(a).toString('latin1')),
    bytes: command(...args.map((a) => Buffer.from(a))),
  }));

/** An inline command: plain words separated by blanks. */
const word = fc.string({ unit: fc.constantFrom(...'abcXYZ019-_:.'.split('')), minLength: 1, maxLength: 8 });
const inlineCommand = fc
  .tuple(
    fc.array(word, { minLength: 1, maxLength: 4 }),
    fc.constantFrom(' ', '  ', '\t'),
    fc.constantFrom('\r\n', '\n'),
  )
  .map(([args, gap, end]) => ({ args, bytes: Buffer.from(args.join(gap) + end) }));

const commands = fc.array(fc.oneof(bulkCommand, inlineCommand), { minLength: 1, maxLength: 8 });
const splits = fc.array(fc.integer({ min: 1, max: 17 }), { minLength: 1, maxLength: 8 });
const ERRORS =
  /^(invalid multibulk length|invalid bulk length|expected '\$', got '[\s\S]'|unbalanced quotes in request|too big (inline request|mbulk count string|bulk count string))$/;
const limits = { maxBulkSize: 40, maxInlineSize: 60 };

describe('decoder properties', () => {
  // #region guide:split-property
  it('any split, one byte at a time included, decodes the same commands', () => {
    fc.assert(
      fc.property(commands, splits, (cmds, sizes) => {
        const bytes = Buffer.concat(cmds.map((c) => c.bytes));
        const expected = { commands: cmds.map((c) => c.args), error: undefined };
        expect(decode(bytes, sizes)).toEqual(expected);
        expect(decode(bytes, [1])).toEqual(expected);
      }),
      { numRuns: 400 },
    );
  });
  // #endregion

  it('mutated or truncated streams give the same result under any split: commands, then at most a clean protocol error', () => {
    const mutated = fc
      .tuple(
        commands.map((cmds) => Buffer.concat(cmds.map((c) => c.bytes))),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        fc.nat(),
      )
      .map(([bytes, edits, cut]) => {
        const copy = Buffer.from(bytes);
        for (const [at, value] of edits) copy[at % copy.length] = value;
        return copy.subarray(0, cut % (copy.length + 1));
      });
    fc.assert(
      fc.property(mutated, splits, (bytes, sizes) => {
        const whole = decode(bytes, [bytes.length || 1], limits);
        expect(decode(bytes, sizes, limits)).toEqual(whole);
        expect(decode(bytes, [1], limits)).toEqual(whole);
        if (whole.error !== undefined) expect(whole.error).toMatch(ERRORS);
      }),
      { numRuns: 1000 },
    );
  });

  it('random bytes never throw and end in commands or a clean protocol error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), splits, (raw, sizes) => {
        const bytes = Buffer.from(raw);
        const result = decode(bytes, sizes, limits);
        expect(decode(bytes, [bytes.length || 1], limits)).toEqual(result);
        if (result.error !== undefined) expect(result.error).toMatch(ERRORS);
      }),
      { numRuns: 1000 },
    );
  });

  it('a forged length never makes the decoder hold more than the bytes that arrived', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.integer({ min: 0, max: 512 * 1024 * 1024 }),
        fc.uint8Array({ maxLength: 64 }),
        (count, length, tail) => {
          const decoder = new RespDecoder();
          const head = Buffer.from(`*${count}\r\n$${length}\r\n`);
          decoder.push(head);
          decoder.push(Buffer.from(tail));
          while (decoder.next() !== undefined);
          expect(decoder.buffered).toBeLessThanOrEqual(head.length + tail.length);
        },
      ),
      { numRuns: 300 },
    );
  });
});
