import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { QosScheduler, TokenBucket, VirtualClock } from '../src/index.js';

describe('rate limit (token bucket on virtual time)', () => {
  it('admits the burst at once, then one request per refill interval', () => {
    const clock = new VirtualClock();
    const scheduler = new QosScheduler({
      slots: 100,
      clock,
      tenants: { t: { rate: { per_second: 10, burst: 3 } } },
    });
    const outcomes: (string | null)[] = [];
    const ask = () => scheduler.acquire('t', (lease, refusal) => outcomes.push(lease ? 'ok' : refusal));
    for (let i = 0; i < 4; i++) ask();
    expect(outcomes).toEqual(['ok', 'ok', 'ok', 'rate_limited']);
    clock.advance(99);
    ask();
    expect(outcomes.at(-1)).toBe('rate_limited');
    clock.advance(1);
    ask();
    ask();
    expect(outcomes.slice(-2)).toEqual(['ok', 'rate_limited']);
    // Refill stops at the burst.
    clock.advance(10_000);
    for (let i = 0; i < 4; i++) ask();
    expect(outcomes.slice(-4)).toEqual(['ok', 'ok', 'ok', 'rate_limited']);
    expect(scheduler.tenantMetrics('t')!.rejected.rate_limited).toBe(4);
  });

  // With burst >= 2 and at most one token per millisecond, the bucket never overflows between
  // requests, so the admitted count is exactly the tokens earned (burst 1 overflows: see below).
  it('admits exactly min(requests, floor(burst + rate·t)) under a request every millisecond', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 2, max: 20 }),
        fc.integer({ min: 0, max: 3000 }),
        (perSecond, burst, duration) => {
          const clock = new VirtualClock();
          const scheduler = new QosScheduler({
            slots: 1,
            clock,
            tenants: { t: { rate: { per_second: perSecond, burst } } },
          });
          let admitted = 0;
          for (let t = 0; t <= duration; t++) {
            clock.advanceTo(t);
            scheduler.acquire('t', (lease) => {
              if (lease === null) return;
              admitted++;
              lease.release();
            });
          }
          const expected = Math.min(duration + 1, Math.floor(burst + (perSecond * duration) / 1000));
          expect(admitted).toBe(expected);
          expect(scheduler.tenantMetrics('t')!.rejected.rate_limited).toBe(duration + 1 - expected);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('with burst 1, tokens earned past a full bucket are lost', () => {
    const clock = new VirtualClock();
    const scheduler = new QosScheduler({
      slots: 1,
      clock,
      tenants: { t: { rate: { per_second: 400, burst: 1 } } },
    });
    const admittedAt: number[] = [];
    for (let t = 0; t <= 10; t++) {
      clock.advanceTo(t);
      scheduler.acquire('t', (lease) => {
        if (lease === null) return;
        admittedAt.push(t);
        lease.release();
      });
    }
    // 0.4 tokens per ms: full at 2.5 ms, so requests at 3, 6, 9 find exactly one token each.
    expect(admittedAt).toEqual([0, 3, 6, 9]);
  });

  it('does not spend a token on a request refused for another reason', () => {
    const clock = new VirtualClock();
    const scheduler = new QosScheduler({
      slots: 1,
      clock,
      tenants: { t: { rate: { per_second: 1, burst: 2 }, max_queued: 0 } },
    });
    const outcomes: (string | null)[] = [];
    const ask = () => scheduler.acquire('t', (lease, refusal) => outcomes.push(lease ? 'ok' : refusal));
    ask();
    ask();
    ask();
    expect(outcomes).toEqual(['ok', 'queue_full', 'queue_full']);
    const bucket = new TokenBucket(1, 2, 0);
    expect(bucket.tryTake(0)).toBe(true);
    expect(bucket.available(0)).toBe(1);
  });

  it('keeps earned tokens (up to the new burst) when the rate is reconfigured', () => {
    const bucket = new TokenBucket(10, 10, 0);
    for (let i = 0; i < 10; i++) bucket.tryTake(0);
    expect(bucket.available(500)).toBe(5);
    bucket.reconfigure(100, 3, 500);
    expect(bucket.available(500)).toBe(3);
    bucket.tryTake(500);
    bucket.tryTake(500);
    bucket.tryTake(500);
    expect(bucket.available(510)).toBe(1);
  });
});
