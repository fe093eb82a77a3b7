import { describe, expect, it } from 'vitest';
import { MAX_REPLAYED_READ_SIZE, MAX_REPLAYED_READS, ReadHistory } from '../src/frontend/read-history.js';

const read = (n: number) => Buffer.from(`\x03SELECT ${n}`, 'latin1');
const texts = (h: ReadHistory) =>
  Array.from({ length: h.length }, (_, i) => h.at(i).payload.toString('latin1', 1));

describe('ReadHistory', () => {
  it('keeps the last MAX_REPLAYED_READS reads, oldest first', () => {
    const h = new ReadHistory();
    for (let n = 1; n <= MAX_REPLAYED_READS + 3; n++) h.remember(read(n), undefined);
    expect(texts(h)).toEqual(Array.from({ length: MAX_REPLAYED_READS }, (_, i) => `SELECT ${i + 4}`));
    h.clear();
    expect(h.length).toBe(0);
    h.remember(read(100), undefined);
    expect(texts(h)).toEqual(['SELECT 100']);
  });

  it('forgets everything for a read too large to keep: nothing before it can be run again in order', () => {
    const h = new ReadHistory();
    h.remember(read(1), undefined);
    h.remember(Buffer.alloc(MAX_REPLAYED_READ_SIZE + 1, 0x20), undefined);
    expect(h.length).toBe(0);
  });
});
