import {
  buildExecute,
  buildPrepare,
  buildQuit,
  buildSendLongData,
  CLIENT_QUERY_ATTRIBUTES,
  COM_PROCESS_KILL,
  ColumnType,
  encodeFrames,
} from '@scalestack/mysql-protocol';
import fc from 'fast-check';
import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { login, repliesUntilClosed } from './support/raw.js';
import { type Running, startBackend } from './support/start.js';

let backend: Running;
beforeAll(async () => {
  backend = await startBackend();
});
afterAll(() => backend?.stop());

/**
 * Sends `bytes` after the login and half-closes; resolves with what came back once the server
 * closed. Every byte the server sent must frame into whole packets.
 */
async function sendAfterLogin(bytes: Uint8Array): Promise<Buffer[]> {
  const { socket, decoder } = await login(backend.port);
  const replies = repliesUntilClosed(socket, decoder);
  socket.end(bytes);
  return replies;
}

const KNOWN_COMMANDS = [
  0x01, 0x02, 0x03, 0x04, 0x09, 0x0c, 0x0e, 0x11, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1f, 0xfa,
];

const framedCommand = fc
  .tuple(
    fc.constantFrom(...KNOWN_COMMANDS, 0x00, 0x42, 0xff),
    fc.uint8Array({ maxLength: 64 }),
    fc.integer({ min: 0, max: 3 }),
  )
  .map(([command, tail, seq]) =>
    encodeFrames(Buffer.concat([Buffer.from([command]), tail]), seq === 3 ? 0 : seq),
  );

it('random bytes after the handshake never crash the server; other connections carry on', async () => {
  const bystander = await backend.connect();
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 256 }), framedCommand),
      async (bytes) => {
        const replies = await sendAfterLogin(bytes);
        // Whatever came back are whole packets: OK, ERR, EOF, result sets, statistics text.
        for (const r of replies) expect(r).toBeInstanceOf(Buffer);
        const [rows] = await bystander.query<mysql.RowDataPacket[]>('SELECT 1 AS one');
        expect(rows).toEqual([{ one: 1 }]);
      },
    ),
    { numRuns: 150 },
  );
  await bystander.end();
  const fresh = await backend.connect();
  const [rows] = await fresh.query<mysql.RowDataPacket[]>('SELECT 2 AS two');
  expect(rows).toEqual([{ two: 2 }]);
  await fresh.end();
});

it('a malformed packet gets an ERR and closes only that connection', async () => {
  // COM_STMT_EXECUTE that is too short to hold its statement id: a protocol error.
  const replies = await sendAfterLogin(encodeFrames(Buffer.from([0x17, 0x01]), 0));
  expect(replies).toHaveLength(1);
  expect(replies[0]![0]).toBe(0xff);
  expect(replies[0]!.readUInt16LE(1)).toBe(1835);
  // A packet out of sequence.
  const out = await sendAfterLogin(encodeFrames(Buffer.from([0x0e]), 5));
  expect(out[0]![0]).toBe(0xff);
  expect(out[0]!.readUInt16LE(1)).toBe(1156);
  // An unknown command is answered with 1047 and the connection stays usable.
  const unknown = await sendAfterLogin(
    Buffer.concat([encodeFrames(Buffer.from([0x42]), 0), encodeFrames(Buffer.from([0x0e]), 0)]),
  );
  expect(unknown.map((p) => p[0])).toEqual([0xff, 0x00]);
  expect(unknown[0]!.readUInt16LE(1)).toBe(1047);
});

it('COM_PROCESS_KILL of its own connection answers OK, then closes', async () => {
  const { socket, decoder, connectionId } = await login(backend.port);
  const replies = repliesUntilClosed(socket, decoder);
  const kill = Buffer.alloc(5);
  kill[0] = COM_PROCESS_KILL;
  kill.writeUInt32LE(connectionId, 1);
  socket.write(encodeFrames(kill, 0));
  expect((await replies).map((p) => p[0])).toEqual([0x00]);
});

it('COM_STMT_SEND_LONG_DATA beyond max_packet_size is discarded and the execute answered 1210; the connection carries on', async () => {
  const small = await startBackend({ max_packet_size: 4096 });
  try {
    const { socket, decoder, capabilities } = await login(small.port);
    const replies = repliesUntilClosed(socket, decoder);
    const queryAttributes = (capabilities & CLIENT_QUERY_ATTRIBUTES) !== 0;
    const execute = encodeFrames(
      buildExecute({ statementId: 1, params: [{ value: null, longData: true }], queryAttributes }),
      0,
    );
    const chunk = Buffer.alloc(2000, 0x61);
    socket.write(
      Buffer.concat([
        encodeFrames(buildPrepare('SELECT LENGTH(?) AS n'), 0),
        ...[1, 2, 3].map(() => encodeFrames(buildSendLongData(1, 0, chunk), 0)),
        execute,
        encodeFrames(buildSendLongData(1, 0, Buffer.from('0123456789')), 0),
        execute,
        encodeFrames(buildQuit(), 0),
      ]),
    );
    const packets = await replies;
    expect(packets[0]!.readUInt32LE(1)).toBe(1); // the prepare OK names statement 1
    const errors = packets.filter((p) => p[0] === 0xff);
    expect(errors.map((p) => p.readUInt16LE(1))).toEqual([1210]);
    // The second execute saw only its own 10 bytes: a binary row [0x00, null bitmap, int64 10].
    const row = Buffer.from([0x00, 0x00, 10, 0, 0, 0, 0, 0, 0, 0]);
    expect(packets.some((p) => p.equals(row))).toBe(true);
  } finally {
    await small.stop();
  }
});

it('an execute refused with 1210 (long data over the cap) still binds its parameter types, so the next execute may leave them out', async () => {
  const small = await startBackend({ max_packet_size: 4096 });
  try {
    const { socket, decoder, capabilities } = await login(small.port);
    const replies = repliesUntilClosed(socket, decoder);
    const queryAttributes = (capabilities & CLIENT_QUERY_ATTRIBUTES) !== 0;
    const blob = { type: ColumnType.BLOB, unsigned: false };
    const chunk = Buffer.alloc(2000, 0x61);
    socket.write(
      Buffer.concat([
        encodeFrames(buildPrepare('SELECT LENGTH(?) AS n'), 0),
        ...[1, 2, 3].map(() => encodeFrames(buildSendLongData(1, 0, chunk), 0)),
        // As libmysqlclient sends it: the long-data parameter is not NULL and has no value here.
        encodeFrames(
          buildExecute({
            statementId: 1,
            params: [{ value: Buffer.alloc(0), longData: true }],
            types: [blob],
            queryAttributes,
          }),
          0,
        ),
        // The next execute relies on the types bound by the first one.
        encodeFrames(
          buildExecute({
            statementId: 1,
            params: ['abcd'],
            types: [blob],
            sendTypes: false,
            queryAttributes,
          }),
          0,
        ),
        encodeFrames(buildQuit(), 0),
      ]),
    );
    const packets = await replies;
    expect(packets.filter((p) => p[0] === 0xff).map((p) => p.readUInt16LE(1))).toEqual([1210]);
    // The second execute's binary row: [0x00, null bitmap, int64 4].
    const row = Buffer.from([0x00, 0x00, 4, 0, 0, 0, 0, 0, 0, 0]);
    expect(packets.some((p) => p.equals(row))).toBe(true);
  } finally {
    await small.stop();
  }
});
