import { describe, expect, it } from 'vitest';
import { counter, gauge, renderPrometheus } from '../src/index.js';

describe('gauge and counter', () => {
  it('make one unlabelled sample from a number, or take labelled samples as given', () => {
    expect(gauge('g', 'a gauge', 3)).toEqual({
      name: 'g',
      help: 'a gauge',
      type: 'gauge',
      samples: [{ value: 3 }],
    });
    const samples = [{ labels: { k: 'v' }, value: 1 }];
    expect(counter('c_total', 'a counter', samples)).toEqual({
      name: 'c_total',
      help: 'a counter',
      type: 'counter',
      samples,
    });
    expect(renderPrometheus([counter('c_total', 'a counter', samples)])).toContain('c_total{k="v"} 1');
  });
});
