import { afterEach, describe, expect, it } from 'vitest';
import { connect, type Listener, listen, SocketTimeoutError } from '../src/index.js';
import { readUntil, roundTrip } from './helpers.js';

describe('idle timeout', () => {
  const listeners: Listener[] = [];
  afterEach(async () => {
    await Promise.all(listeners.splice(0).map((l) => l.closeAll()));
  });

  it('closes a silent connection with an idle SocketTimeoutError', async () => {
    const listener = await listen('127.0.0.1:0', (conn) => conn.pipe(conn), { idleTimeout: 100 });
    listeners.push(listener);
    const client = await connect(listener.address);
    expect(await roundTrip(client.socket, 'awake')).toBe('awake');
    const [served] = listener.connections;
    const err = await served!.closed;
    expect(err).toBeInstanceOf(SocketTimeoutError);
    expect((err as SocketTimeoutError).kind).toBe('idle');
    expect(err?.message).toMatch(/^idle connection with 127\.0\.0\.1:\d+ timed out after 100ms$/);
    await client.closed;
    expect(listener.connectionCount).toBe(0);
  });

  it('lets a protocol say goodbye before closing', async () => {
    const listener = await listen('127.0.0.1:0', (conn) => {
      conn.setIdleTimeout(100, () => conn.end('bye: idle\n'));
    });
    listeners.push(listener);
    const client = await connect(listener.address);
    const goodbye = await readUntil(client.socket, (t) => t.endsWith('\n'));
    expect(goodbye).toBe('bye: idle\n');
    expect(await client.closed).toBeUndefined();
  });

  it('does not close connections without a timeout', async () => {
    const closedByIdle: Error[] = [];
    const listener = await listen('127.0.0.1:0', (conn) => {
      conn.pipe(conn);
      void conn.closed.then((err) => err && closedByIdle.push(err));
    });
    listeners.push(listener);
    const quick = await listen('127.0.0.1:0', (conn) => conn.pipe(conn), { idleTimeout: 50 });
    listeners.push(quick);
    const patient = await connect(listener.address);
    const impatient = await connect(quick.address);
    // The impatient connection's idle close is the event to wait for; the other must survive it.
    await roundTrip(impatient.socket, 'x');
    await impatient.closed;
    expect(await roundTrip(patient.socket, 'still open')).toBe('still open');
    expect(closedByIdle).toEqual([]);
    patient.destroy();
  });
});
