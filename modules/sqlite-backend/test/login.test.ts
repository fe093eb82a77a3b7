import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import {
  buildQuery,
  buildQuit,
  CLIENT_QUERY_ATTRIBUTES,
  ClientHandshake,
  encodeFrames,
  PacketDecoder,
  SUPPORTED_CAPABILITIES,
} from '@scalestack/mysql-protocol';
import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repliesUntilClosed } from './support/raw.js';
import { type Mysql2Internals, type Running, startBackend } from './support/start.js';

/** Connects a raw socket; resolves once the greeting arrived (its bytes are left unread). */
async function greeted(port: number): Promise<Socket> {
  const socket = connect({ port, host: '127.0.0.1' });
  socket.on('error', () => {});
  await once(socket, 'readable');
  return socket;
}

describe('login_timeout', () => {
  let backend: Running;
  beforeAll(async () => {
    backend = await startBackend({ login_timeout: '300ms' });
  });
  afterAll(() => backend?.stop());

  it('closes a connection that sends nothing, or only part of its handshake response, but not one that logged in', async () => {
    const loggedIn = await backend.connect();
    try {
      const silent = await greeted(backend.port);
      const partial = await greeted(backend.port);
      // A header announcing 100 bytes, and 10 of them.
      partial.write(Buffer.concat([Buffer.from([100, 0, 0, 1]), Buffer.alloc(10, 0x41)]));
      // Flowing: a socket only reports its close once what it received was read.
      silent.resume();
      partial.resume();
      // Timers of one duration fire in the order they were set: the logged-in connection's
      // would have gone before these.
      await Promise.all([once(silent, 'close'), once(partial, 'close')]);
      const [rows] = await loggedIn.query<mysql.RowDataPacket[]>('SELECT @@connect_timeout AS t');
      expect(rows).toEqual([{ t: 1 }]);
    } finally {
      await loggedIn.end();
    }
  });
});

describe('packets before the login', () => {
  let backend: Running;
  beforeAll(async () => {
    backend = await startBackend();
  });
  afterAll(() => backend?.stop());

  it('are refused over 128 KiB with 1153, and the connection closes', async () => {
    const socket = await greeted(backend.port);
    const replies = repliesUntilClosed(socket, new PacketDecoder());
    socket.end(encodeFrames(Buffer.alloc(200 * 1024, 0x41), 1));
    const [greeting, err] = await replies;
    expect(greeting![0]).toBe(10);
    expect(err![0]).toBe(0xff);
    expect(err!.readUInt16LE(1)).toBe(1153);
    expect(err!.subarray(9).toString()).toBe(
      'Got a packet bigger than the 131072 bytes accepted before login',
    );
  });

  it('do not limit the commands after it, also one sent with the handshake response', async () => {
    const big = `SELECT LENGTH('${'x'.repeat(200 * 1024)}') AS n`;
    const conn = await backend.connect();
    try {
      const [rows] = await conn.query<mysql.RowDataPacket[]>(big);
      expect(rows).toEqual([{ n: 200 * 1024 }]);
    } finally {
      await conn.end();
    }
    const socket = await greeted(backend.port);
    const decoder = new PacketDecoder();
    const hs = new ClientHandshake({
      user: 'root',
      capabilities: SUPPORTED_CAPABILITIES & ~CLIENT_QUERY_ATTRIBUTES,
    });
    const [greeting] = decoder.push(socket.read() as Buffer);
    const step = hs.receive(greeting!.payload, greeting!.sequenceId);
    if (step.kind !== 'send') throw new Error(`unexpected handshake step ${step.kind}`);
    const replies = repliesUntilClosed(socket, decoder);
    // The server (root has no password) answers the response with OK: no more login packets.
    socket.write(
      Buffer.concat([
        step.bytes,
        encodeFrames(buildQuery(big, { queryAttributes: false }), 0),
        encodeFrames(buildQuit(), 0),
      ]),
    );
    const packets = await replies;
    expect(packets[0]![0]).toBe(0x00);
    expect(packets.some((p) => p[0] === 0xff)).toBe(false);
    expect(packets.some((p) => p.toString().endsWith('204800'))).toBe(true);
  });
});

describe('wait_timeout', () => {
  let backend: Running;
  beforeAll(async () => {
    backend = await startBackend();
  });
  afterAll(() => backend?.stop());

  // Without the timer nothing ends the wait: bounded, so that it fails rather than hangs.
  it('closes a client quiet for its session wait_timeout with ERR 4031, rolling back its transaction', {
    timeout: 15_000,
  }, async () => {
    const a = await backend.connect();
    const b = await backend.connect();
    try {
      await b.query('CREATE TABLE wt (v INT)');
      await a.query('SET SESSION wait_timeout = 1');
      const told = new Promise<Error & { code?: unknown }>((resolve) =>
        (a as unknown as Mysql2Internals).connection.once('error', resolve),
      );
      await a.query('BEGIN');
      await a.query('INSERT INTO wt VALUES (1)');
      // An ERR the client did not ask for: mysql2 reports its error number as the code.
      const e = await told;
      expect(e.code).toBe(4031);
      expect(e.message).toMatch(/disconnected by the server because of inactivity/);
      // A's transaction is gone with it, and the database is free for B at once.
      const [rows] = await b.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n FROM wt');
      expect(Number(rows[0]!.n)).toBe(0);
      // B, quiet for less than its own wait_timeout (28800 s), is still served.
      const [still] = await b.query<mysql.RowDataPacket[]>('SELECT @@wait_timeout AS t');
      expect(Number(still[0]!.t)).toBe(28800);
    } finally {
      a.destroy();
      await b.end();
    }
  });

  // MySQL starts an interactive client's (CLIENT_INTERACTIVE, the mariadb CLI at a terminal)
  // wait_timeout at the global interactive_timeout, after a reset or change of user too.
  it('starts an interactive client at interactive_timeout, a non-interactive one at wait_timeout', async () => {
    const admin = await backend.connect();
    const interactive = await backend.connect({ flags: ['INTERACTIVE'] });
    const plain = await backend.connect();
    const waitOf = async (c: mysql.Connection) => {
      const [rows] = await c.query<mysql.RowDataPacket[]>('SELECT @@session.wait_timeout AS t');
      return Number(rows[0]!.t);
    };
    try {
      await admin.query('SET GLOBAL interactive_timeout = 7777');
      const late = await backend.connect({ flags: ['INTERACTIVE'] });
      try {
        expect(await waitOf(late)).toBe(7777);
        await late.query('SET SESSION wait_timeout = 5');
        await late.reset();
        expect(await waitOf(late)).toBe(7777);
        await late.query('SET SESSION wait_timeout = 5');
        await late.changeUser({ user: 'root' });
        expect(await waitOf(late)).toBe(7777);
      } finally {
        await late.end();
      }
      // Logged in before the change: the interactive_timeout of then.
      expect(await waitOf(interactive)).toBe(28800);
      expect(await waitOf(plain)).toBe(28800);
      const fresh = await backend.connect();
      expect(await waitOf(fresh)).toBe(28800);
      await fresh.end();
    } finally {
      await admin.query('SET GLOBAL interactive_timeout = 28800');
      await Promise.all([admin.end(), interactive.end(), plain.end()]);
    }
  });
});
