import { describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM benchmark helper without type declarations
import { fitUsl, uslThroughput } from './bench/mysql/usl.mjs';

const THREADS = [1, 4, 16, 64, 256, 1024, 4096];

/** Deterministic ±amplitude multiplicative noise (a fixed LCG, so the test is repeatable). */
function noisy(values: number[], amplitude: number, seed: number): number[] {
  let s = seed;
  return values.map((v) => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return v * (1 + amplitude * (2 * (s / 2 ** 31) - 1));
  });
}

describe('USL fit (test/bench/mysql/usl.mjs)', () => {
  it('recovers λ, σ and κ from a curve generated with known parameters plus 1% noise', () => {
    const truth = { lambda: 9000, sigma: 0.04, kappa: 0.00002 };
    const xs = noisy(
      THREADS.map((n) => uslThroughput(n, truth)),
      0.01,
      7,
    );
    const fit = fitUsl(THREADS.map((n, i) => ({ n, x: xs[i] })));
    expect(fit.lambda / truth.lambda).toBeGreaterThan(0.97);
    expect(fit.lambda / truth.lambda).toBeLessThan(1.03);
    expect(fit.sigma / truth.sigma).toBeGreaterThan(0.85);
    expect(fit.sigma / truth.sigma).toBeLessThan(1.15);
    expect(fit.kappa / truth.kappa).toBeGreaterThan(0.8);
    expect(fit.kappa / truth.kappa).toBeLessThan(1.2);
    expect(fit.r2).toBeGreaterThan(0.99);
  });

  it('keeps σ and κ non-negative and finds κ = 0 for a curve that only saturates', () => {
    const truth = { lambda: 20000, sigma: 0.3, kappa: 0 };
    const fit = fitUsl(THREADS.map((n) => ({ n, x: uslThroughput(n, truth) })));
    expect(fit.sigma).toBeCloseTo(0.3, 3);
    expect(fit.kappa).toBeGreaterThanOrEqual(0);
    expect(fit.kappa).toBeLessThan(1e-8);
    expect(fit.lambda).toBeCloseTo(20000, -1);
    expect(fit.peakN).toBeGreaterThan(10_000);
  });

  it('refuses curves it cannot pin down: fewer than three usable points, or none at ≤ 4 threads', () => {
    expect(() =>
      fitUsl([
        { n: 1, x: 100 },
        { n: 4, x: 0 },
        { n: 16, x: Number.NaN },
        { n: 64, x: 300 },
      ]),
    ).toThrow(/at least 3 points/);
    expect(() =>
      fitUsl([
        { n: 16, x: 31702 },
        { n: 256, x: 29477 },
        { n: 4096, x: 14445 },
      ]),
    ).toThrow(/4 threads or fewer/);
  });

  it('keeps σ within [0, 1] when the data fall from the first point on', () => {
    const fit = fitUsl([
      { n: 1, x: 30000 },
      { n: 4, x: 20000 },
      { n: 16, x: 12000 },
      { n: 64, x: 6000 },
    ]);
    expect(fit.sigma).toBeGreaterThanOrEqual(0);
    expect(fit.sigma).toBeLessThanOrEqual(1);
    expect(fit.kappa).toBeGreaterThanOrEqual(0);
    expect(fit.peakN).toBeGreaterThanOrEqual(1);
  });
});
