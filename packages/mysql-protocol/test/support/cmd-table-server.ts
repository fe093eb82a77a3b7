/**
 * A tiny MySQL server over one in-memory table, built from the codec's server side: the
 * handshake, parseCommand, column definitions, text and binary rows, STMT_PREPARE_OK and
 * decodeExecute. Real clients (mysql2) talk to it to prove the encoders produce what they expect.
 *
 * Understands `SELECT * FROM t` (text protocol), the prepared statement
 * `SELECT * FROM t WHERE id >= ?` (binary protocol), COM_PING, COM_STMT_CLOSE, COM_QUIT; answers
 * other SQL with ER_PARSE_ERROR and unknown commands with ER_UNKNOWN_COM_ERROR.
 */
import net from 'node:net';
import {
  CLIENT_DEPRECATE_EOF,
  type ColumnDefinition,
  ColumnType,
  columnDefinition,
  decodeExecute,
  ER_PARSE_ERROR,
  encodeColumnCount,
  encodeColumnDefinition,
  encodeEof,
  encodeErr,
  encodeOk,
  encodePrepareOk,
  PacketDecoder,
  PacketEncoder,
  PacketWriter,
  type PreparedStatementState,
  ProtocolError,
  parseCommand,
  preparedStatementState,
  SERVER_STATUS_AUTOCOMMIT,
  ServerHandshake,
  type ServerHandshakeOptions,
  type ServerSession,
  type SqlValue,
  writeBinaryRow,
  writeTextRow,
} from '../../src/index.js';

export interface TableServer {
  port: number;
  /** Every command the server parsed, by kind. */
  seen: string[];
  close(): Promise<void>;
}

const PREPARED_SQL = 'SELECT * FROM t WHERE id >= ?';

export async function startTableServer(
  columns: ColumnDefinition[],
  rows: SqlValue[][],
  options: Omit<ServerHandshakeOptions, 'connectionId'>,
): Promise<TableServer> {
  const seen: string[] = [];
  const sockets = new Set<net.Socket>();
  let nextId = 1;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const hs = new ServerHandshake({ ...options, connectionId: nextId++ });
    const decoder = new PacketDecoder();
    const statements = new Map<number, PreparedStatementState>();
    let nextStatement = 1;
    let session: ServerSession | undefined;
    socket.on('data', (chunk: Buffer) => {
      for (const p of decoder.push(chunk)) {
        if (session === undefined) {
          const step = hs.receive(p.payload, p.lastSequenceId);
          if (step.kind === 'send') socket.write(step.bytes);
          else if (step.kind === 'failed') socket.end(step.bytes);
          else if (step.kind === 'authenticated') {
            session = step.session;
            socket.write(step.bytes);
          }
          continue;
        }
        const caps = session.capabilities;
        const out = new PacketEncoder();
        out.reset(1);
        const send = (payloads: Buffer[]) => socket.write(Buffer.concat(payloads.map((x) => out.encode(x))));
        const ok = () => encodeOk({ statusFlags: SERVER_STATUS_AUTOCOMMIT }, caps);
        const eof = () => encodeEof({ statusFlags: SERVER_STATUS_AUTOCOMMIT }, caps);
        const end = () =>
          caps & CLIENT_DEPRECATE_EOF
            ? encodeOk({ statusFlags: SERVER_STATUS_AUTOCOMMIT }, caps, 0xfe)
            : eof();
        const metadata = (defs: ColumnDefinition[]) => {
          const parts = defs.map((d) => encodeColumnDefinition(d));
          if (!(caps & CLIENT_DEPRECATE_EOF)) parts.push(eof());
          return parts;
        };
        try {
          const cmd = parseCommand(p.payload, { capabilities: caps });
          seen.push(cmd.kind);
          switch (cmd.kind) {
            case 'quit':
              socket.end();
              break;
            case 'ping':
              send([ok()]);
              break;
            case 'query': {
              if (!/^select \* from t$/i.test(cmd.sql.trim())) {
                send([encodeErr({ errno: ER_PARSE_ERROR, message: `cannot parse: ${cmd.sql}` }, caps)]);
                break;
              }
              const w = new PacketWriter();
              const body = rows.map((r) => Buffer.from(writeTextRow(w.reset(), r, columns).payload()));
              send([encodeColumnCount(columns.length), ...metadata(columns), ...body, end()]);
              break;
            }
            case 'stmt-prepare': {
              if (cmd.sql !== PREPARED_SQL) {
                send([encodeErr({ errno: ER_PARSE_ERROR, message: `cannot prepare: ${cmd.sql}` }, caps)]);
                break;
              }
              const id = nextStatement++;
              statements.set(id, preparedStatementState(id, 1, columns.length));
              const param = columnDefinition({ name: '?', type: ColumnType.LONGLONG, characterSet: 63 });
              send([
                encodePrepareOk({
                  statementId: id,
                  columnCount: columns.length,
                  paramCount: 1,
                  warningCount: 0,
                }),
                ...metadata([param]),
                ...metadata(columns),
              ]);
              break;
            }
            case 'stmt-execute': {
              const state = statements.get(cmd.statementId);
              if (state === undefined) {
                send([
                  encodeErr(
                    { errno: 1243, message: `Unknown prepared statement handler (${cmd.statementId})` },
                    caps,
                  ),
                ]);
                break;
              }
              const exec = decodeExecute(cmd.payload, state);
              const from = Number(exec.params[0]!.value);
              const w = new PacketWriter();
              const body = rows
                .filter((r) => Number(r[0]) >= from)
                .map((r) => Buffer.from(writeBinaryRow(w.reset(), columns, r).payload()));
              send([encodeColumnCount(columns.length), ...metadata(columns), ...body, end()]);
              break;
            }
            case 'stmt-close':
              statements.delete(cmd.statementId);
              break;
            case 'unknown':
              send([encodeErr({ errno: cmd.errno, sqlState: cmd.sqlState, message: cmd.message }, caps)]);
              break;
            default:
              send([ok()]);
          }
        } catch (err) {
          if (!(err instanceof ProtocolError)) throw err;
          send([encodeErr({ errno: err.errno, sqlState: err.sqlState, message: err.message }, caps)]);
          socket.end();
        }
      }
    });
    socket.write(hs.start());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    seen,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
