import { describe, expect, it } from 'vitest';
import { Store } from '../src/index.js';

function clockedStore(maxMemory = 0) {
  const clock = { now: 1_000_000 };
  const store = new Store({ maxMemory, now: () => clock.now });
  return { store, clock };
}

describe('Store', () => {
  it('expires keys lazily, keeping them through the millisecond they expire at (as Redis)', () => {
    const { store, clock } = clockedStore();
    store.set('k', Buffer.from('v'), clock.now + 100);
    clock.now += 100;
    expect(store.get('k')?.toString()).toBe('v');
    clock.now += 1;
    expect(store.get('k')).toBeUndefined();
    expect(store.size).toBe(0);
    expect(store.usedMemory).toBe(0);
  });

  it('sweeps expired keys within a budget per call, resuming where it stopped', () => {
    const { store, clock } = clockedStore();
    for (let i = 0; i < 10; i++) store.set(`t${i}`, Buffer.from('v'), clock.now + 10);
    store.set('forever', Buffer.from('v'));
    store.set('later', Buffer.from('v'), clock.now + 1000);
    clock.now += 11;
    expect(store.sweep(4)).toBe(4);
    expect(store.size).toBe(8);
    expect(store.sweep(4)).toBe(4);
    expect(store.sweep(100)).toBe(2);
    expect(store.size).toBe(2);
    expect(store.sweep(100)).toBe(0);
    expect(store.get('later')).toBeDefined();
  });

  it('SET without an expiry clears it; keep keeps it', () => {
    const { store, clock } = clockedStore();
    store.set('k', Buffer.from('v'), clock.now + 10);
    store.set('k', Buffer.from('w'), 'keep');
    expect(store.expiresAt('k')).toBe(clock.now + 10);
    store.set('k', Buffer.from('x'));
    expect(store.expiresAt('k')).toBe(-1);
    expect(store.expiresAt('missing')).toBeUndefined();
  });

  it('an expiry time not after now deletes the key at once', () => {
    const { store, clock } = clockedStore();
    store.set('k', Buffer.from('v'));
    store.expireAt('k', clock.now);
    expect(store.has('k')).toBe(false);
  });

  it('accounts memory up and down, and reports when over the limit', () => {
    const { store } = clockedStore(1000);
    store.set('small', Buffer.alloc(10));
    const one = store.usedMemory;
    expect(one).toBeGreaterThan(10);
    expect(store.overLimit).toBe(false);
    store.set('big', Buffer.alloc(2000));
    expect(store.overLimit).toBe(true);
    store.set('big', Buffer.alloc(1));
    expect(store.overLimit).toBe(false);
    store.delete('big');
    expect(store.usedMemory).toBe(one);
    store.flush();
    expect(store.usedMemory).toBe(0);
  });

  it('a limit of 0 means no limit', () => {
    const { store } = clockedStore(0);
    store.set('big', Buffer.alloc(1_000_000));
    expect(store.overLimit).toBe(false);
  });
});
