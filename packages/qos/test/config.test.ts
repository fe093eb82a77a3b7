import { describe, expect, it } from 'vitest';
import { parseDurationMs, parseTenantConfig, QosConfigError, QosScheduler, slotCap } from '../src/index.js';

describe('tenant settings', () => {
  it('accepts absolute, fractional and percentage max_in_flight', () => {
    expect(slotCap(parseTenantConfig('t', { max_in_flight: 3 }).maxInFlight, 10)).toBe(3);
    expect(slotCap(parseTenantConfig('t', { max_in_flight: 0.75 }).maxInFlight, 10)).toBe(7);
    expect(slotCap(parseTenantConfig('t', { max_in_flight: '75%' }).maxInFlight, 8)).toBe(6);
    expect(slotCap(parseTenantConfig('t', { max_in_flight: '10%' }).maxInFlight, 4)).toBe(1);
  });

  it('reads durations and rates', () => {
    expect(parseDurationMs('250ms')).toBe(250);
    expect(parseDurationMs('1.5s')).toBe(1500);
    expect(parseDurationMs(20)).toBe(20);
    expect(parseDurationMs('soon')).toBeUndefined();
    expect(parseTenantConfig('t', { rate: 50 }).rate).toEqual({ perSecond: 50, burst: 50 });
    expect(parseTenantConfig('t', { rate: { per_second: 0.5 } }).rate).toEqual({ perSecond: 0.5, burst: 1 });
  });

  it.each([
    [{ weight: 0 }, "qos: tenant 't': weight: got 0, expected a positive number"],
    [{ max_in_flight: 1.5 }, "qos: tenant 't': max_in_flight: got 1.5, expected a whole number of slots"],
    [{ max_in_flight: '120%' }, 'max_in_flight: got "120%"'],
    [{ max_queued: -1 }, 'max_queued: got -1, expected a whole number (0 or more)'],
    [{ queue_timeout: '5 parsecs' }, 'queue_timeout: got "5 parsecs", expected a positive duration'],
    [{ rate: { per_second: 5, burts: 2 } }, 'rate.burts: got 2, expected only per_second and burst'],
    [{ rate: { burst: 2 } }, 'rate.per_second: got NaN, expected a positive number'],
    [{ wieght: 2 }, 'wieght: got 2, expected one of the options weight, max_in_flight'],
    [{ priority: 0.5 }, 'priority: got 0.5, expected an integer'],
    [{ max_connections: 'lots' }, 'max_connections: got "lots", expected a whole number'],
  ])('rejects %j with a message naming tenant, option, value and expected form', (config, message) => {
    expect(() => parseTenantConfig('t', config)).toThrow(QosConfigError);
    expect(() => parseTenantConfig('t', config)).toThrow(message);
  });

  it('rejects bad scheduler options', () => {
    expect(() => new QosScheduler({ slots: 1.5 })).toThrow(
      'qos: slots: got 1.5, expected a whole number of slots',
    );
    expect(() => new QosScheduler({ slots: 1, minGrantCost: 0 })).toThrow('minGrantCost');
    expect(() => new QosScheduler({ slots: 1, tenants: { x: 'fast' as never } })).toThrow(
      'qos: tenant \'x\': settings: got "fast"',
    );
  });
});
