import { describe, expect, it } from 'vitest';
import {
  CLIENT_DEPRECATE_EOF,
  CLIENT_PROTOCOL_41,
  CLIENT_SESSION_TRACK,
  CLIENT_TRANSACTIONS,
  decodeEof,
  decodeErr,
  decodeOk,
  decodeProgressReport,
  EOF_HEADER,
  encodeEof,
  encodeErr,
  encodeOk,
  encodeResultEnd,
  inTransaction,
  isEofPacket,
  isOkPacket,
  isProgressReport,
  moreResults,
  okWithoutSessionState,
  PacketWriter,
  ProtocolError,
  SERVER_MORE_RESULTS_EXISTS,
  SERVER_SESSION_STATE_CHANGED,
  SERVER_STATUS_IN_TRANS,
  writeProgressReport,
} from '../src/index.js';

const CAPS = CLIENT_PROTOCOL_41 | CLIENT_SESSION_TRACK;

describe('OK packets', () => {
  it('round-trips with info and every kind of session-state change', () => {
    const session = {
      systemVariables: [
        { name: 'sql_mode', value: 'ANSI_QUOTES' },
        { name: 'autocommit', value: 'OFF' },
      ],
      schema: 'shop',
      stateChanged: true,
      gtids: '0-1-42',
      transactionCharacteristics: 'START TRANSACTION READ ONLY;',
      transactionState: 'T___W___',
    };
    const payload = encodeOk(
      {
        affectedRows: 70000,
        lastInsertId: 2 ** 40,
        statusFlags: SERVER_STATUS_IN_TRANS,
        warnings: 1,
        info: 'hi',
        sessionState: session,
      },
      CAPS,
    );
    expect(isOkPacket(payload)).toBe(true);
    const ok = decodeOk(payload, CAPS);
    expect(ok).toEqual({
      affectedRows: 70000,
      lastInsertId: 2 ** 40,
      statusFlags: SERVER_STATUS_IN_TRANS | SERVER_SESSION_STATE_CHANGED,
      warnings: 1,
      info: 'hi',
      sessionState: session,
    });
    expect(inTransaction(ok.statusFlags)).toBe(true);
    expect(moreResults(ok.statusFlags)).toBe(false);
  });

  it('decodes the session state MariaDB 10.11 sends after the handshake (bare "1" state change)', () => {
    const payload = Buffer.from(
      '00000002400000001801050474657374020131050908' + '5f'.repeat(8) + '040100',
      'hex',
    );
    expect(decodeOk(payload, CAPS)).toEqual({
      affectedRows: 0,
      lastInsertId: 0,
      statusFlags: 0x4002,
      warnings: 0,
      info: '',
      sessionState: {
        systemVariables: [],
        schema: 'test',
        stateChanged: true,
        transactionState: '________',
        transactionCharacteristics: '',
      },
    });
  });

  it('writes and reads the info length-encoded without SESSION_TRACK, as MariaDB does; and the pre-4.1 layout', () => {
    const written = encodeOk(
      { info: 'Rows matched: 1', statusFlags: SERVER_MORE_RESULTS_EXISTS },
      CLIENT_PROTOCOL_41,
    );
    // header, affected rows, insert id, status (2), warnings (2), then the length: libmariadb
    // (the mariadb CLI) reads it there and refuses a packet without it (2027).
    expect(written[7]).toBe('Rows matched: 1'.length);
    const ok = decodeOk(written, CLIENT_PROTOCOL_41);
    expect(ok.info).toBe('Rows matched: 1');
    expect(moreResults(ok.statusFlags)).toBe(true);
    // MariaDB 10.11's answer to an UPDATE for a client without session tracking.
    const mariadb = Buffer.from(
      '0002000300000028526f7773206d6174636865643a203220204368616e6765643a203220205761726e696e67733a2030',
      'hex',
    );
    expect(decodeOk(mariadb, CLIENT_PROTOCOL_41).info).toBe('Rows matched: 2  Changed: 2  Warnings: 0');
    // A writer that leaves the length out: the rest of the packet.
    const bare = Buffer.concat([Buffer.from('00000002000000', 'hex'), Buffer.from('Records: 3')]);
    expect(decodeOk(bare, CLIENT_PROTOCOL_41).info).toBe('Records: 3');
    expect(encodeOk({ statusFlags: 2 }, CLIENT_PROTOCOL_41)).toHaveLength(7);
    const old = decodeOk(
      encodeOk({ affectedRows: 2, statusFlags: 2 }, CLIENT_TRANSACTIONS),
      CLIENT_TRANSACTIONS,
    );
    expect(old).toMatchObject({ affectedRows: 2, statusFlags: 2, warnings: 0 });
  });

  it('rewrites an OK for a client without session tracking as MariaDB writes it to one', () => {
    // Each pair: MariaDB 10.11's answer to a client with CLIENT_SESSION_TRACK, then to one
    // without, for the same statement (SET NAMES, USE, a SELECT of a function that sets
    // time_zone under DEPRECATE_EOF, an UPDATE in a tracked transaction with its info).
    const pairs = [
      [
        '00000002400000005f001c146368617261637465725f7365745f636c69656e74066c6174696e310020186368617261637465725f7365745f636f6e6e656374696f6e066c6174696e31001d156368617261637465725f7365745f726573756c7473066c6174696e31',
        '00000002000000',
      ],
      ['000000024000000009010706736274657374', '00000002000000'],
      ['fe000002400000001300110974696d655f7a6f6e65062b30343a3030', 'fe000002000000'],
      [
        '0002000340000028526f7773206d6174636865643a203220204368616e6765643a203220205761726e696e67733a20300b050908545f5f5f575f5f5f',
        '0002000300000028526f7773206d6174636865643a203220204368616e6765643a203220205761726e696e67733a2030',
      ],
    ];
    for (const [tracked, plain] of pairs) {
      const input = Buffer.from(tracked!, 'hex');
      const copy = Buffer.from(input);
      expect(okWithoutSessionState(input).toString('hex')).toBe(plain);
      expect(input.equals(copy), 'the input is left as it was').toBe(true);
    }
    // No change reported: the same bytes either way, and the same Buffer back.
    const plain = Buffer.from('0002000300000028526f7773206d6174636865643a2032', 'hex');
    expect(okWithoutSessionState(plain)).toBe(plain);
    expect(() => okWithoutSessionState(Buffer.from([0xff, 0x10, 0x04]))).toThrow(/expected an OK packet/);
    expect(() => okWithoutSessionState(Buffer.from([0, 0, 0, 0x02, 0x40, 0, 0, 9, 1]))).toThrow(
      ProtocolError,
    );
  });

  it('rejects truncated OK packets and forged session-state lengths', () => {
    expect(() => decodeOk(Buffer.from([0, 1]), CAPS)).toThrow(ProtocolError);
    const forged = Buffer.from([0, 0, 0, 0x00, 0x40, 0, 0, 0, 5, 0, 0xfc, 0xff, 0xff]);
    expect(() => decodeOk(forged, CAPS)).toThrow(ProtocolError);
    expect(() => decodeOk(Buffer.from([0x42, 0, 0, 0, 0, 0, 0]), CAPS)).toThrow(/expected an OK packet/);
  });
});

describe('ERR packets', () => {
  it('round-trips with the SQL state and has the old form without one', () => {
    const e = decodeErr(
      encodeErr({ errno: 1045, message: "Access denied for user 'x'@'h' (using password: YES)" }),
    );
    expect(e).toEqual({
      errno: 1045,
      sqlState: '28000',
      message: "Access denied for user 'x'@'h' (using password: YES)",
    });
    expect(decodeErr(encodeErr({ errno: 1040, message: 'Too many connections' }, 0))).toEqual({
      errno: 1040,
      sqlState: '',
      message: 'Too many connections',
    });
    expect(() => encodeErr({ errno: 1, message: '', sqlState: 'bad' })).toThrow(RangeError);
  });

  it('recognises MariaDB progress reports', () => {
    const p = Buffer.from(
      writeProgressReport(new PacketWriter(), {
        stage: 1,
        maxStage: 3,
        progress: 12345,
        info: 'copy to tmp table',
      }).payload(),
    );
    expect(isProgressReport(p)).toBe(true);
    expect(decodeProgressReport(p)).toEqual({
      stage: 1,
      maxStage: 3,
      progress: 12345,
      info: 'copy to tmp table',
    });
    expect(() => decodeErr(p)).toThrow(/progress report/);
  });
});

describe('EOF packets', () => {
  it('round-trips and is told apart from rows by length', () => {
    const p = encodeEof({ warnings: 3, statusFlags: SERVER_MORE_RESULTS_EXISTS }, CLIENT_PROTOCOL_41);
    expect(p.length).toBe(5);
    expect(isEofPacket(p)).toBe(true);
    expect(decodeEof(p, CLIENT_PROTOCOL_41)).toEqual({
      warnings: 3,
      statusFlags: SERVER_MORE_RESULTS_EXISTS,
    });
    expect(isEofPacket(Buffer.alloc(9, 0xfe))).toBe(false);
  });

  it('end a result as a classic EOF, or as an OK with the EOF header under DEPRECATE_EOF', () => {
    const end = { warnings: 2, statusFlags: SERVER_MORE_RESULTS_EXISTS };
    const classic = encodeResultEnd(end, CLIENT_PROTOCOL_41);
    expect(classic).toEqual(encodeEof(end, CLIENT_PROTOCOL_41));
    const caps = CLIENT_PROTOCOL_41 | CLIENT_DEPRECATE_EOF | CLIENT_SESSION_TRACK;
    const ok = encodeResultEnd(end, caps);
    expect(ok[0]).toBe(EOF_HEADER);
    expect(isOkPacket(ok)).toBe(true);
    expect(decodeOk(ok, caps)).toMatchObject({ affectedRows: 0, lastInsertId: 0, ...end, info: '' });
  });
});
