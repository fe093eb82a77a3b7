/**
 * A tiny MySQL server made of ServerHandshake, for auth tests with real clients (mysql2, our
 * ClientHandshake): authenticates, then answers COM_QUERY `SELECT USER()`-like queries with a
 * one-row result set naming the user, COM_PING with OK, and closes on COM_QUIT.
 */
import net from 'node:net';
import tls from 'node:tls';
import {
  CLIENT_DEPRECATE_EOF,
  COM_QUERY,
  COM_QUIT,
  encodeEof,
  encodeOk,
  PacketDecoder,
  PacketEncoder,
  SERVER_STATUS_AUTOCOMMIT,
  ServerHandshake,
  type ServerHandshakeOptions,
  type ServerSession,
} from '../../src/index.js';
import { columnDef, textRow } from './responses.js';

export interface TestServer {
  port: number;
  /** Sessions that authenticated, in order. */
  sessions: ServerSession[];
  /** Errors sent to clients that failed. */
  failures: { errno: number; message: string }[];
  close(): Promise<void>;
}

export async function startTestServer(
  options: Omit<ServerHandshakeOptions, 'connectionId'> & { cert?: { key: string; cert: string } },
): Promise<TestServer> {
  const sessions: ServerSession[] = [];
  const failures: { errno: number; message: string }[] = [];
  const sockets = new Set<net.Socket>();
  let nextId = 1;
  const server = net.createServer((raw) => {
    sockets.add(raw);
    raw.on('close', () => sockets.delete(raw));
    raw.on('error', () => {});
    const hs = new ServerHandshake({ ...options, tls: options.cert !== undefined, connectionId: nextId++ });
    const decoder = new PacketDecoder();
    let socket: net.Socket = raw;
    let session: ServerSession | undefined;
    const onData = (chunk: Buffer) => {
      for (const p of decoder.push(chunk)) {
        if (!session) {
          const step = hs.receive(p.payload, p.lastSequenceId);
          if (step.kind === 'send') socket.write(step.bytes);
          else if (step.kind === 'failed') {
            failures.push(step.error);
            socket.end(step.bytes);
          } else if (step.kind === 'authenticated') {
            session = step.session;
            sessions.push(session);
            socket.write(step.bytes);
          } else {
            // The ClientHello may have arrived in the same chunk as the SSLRequest: hand it to TLS.
            socket.removeListener('data', onData);
            socket.pause();
            const rest = decoder.takeBuffered();
            if (rest.length > 0) socket.unshift(rest);
            const secure = new tls.TLSSocket(socket, {
              isServer: true,
              key: options.cert!.key,
              cert: options.cert!.cert,
            });
            secure.on('error', () => {});
            secure.on('data', onData);
            socket = secure;
            return;
          }
          continue;
        }
        answer(p.payload, session, socket);
      }
    };
    raw.on('data', onData);
    raw.write(hs.start());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    sessions,
    failures,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function answer(payload: Buffer, session: ServerSession, socket: net.Socket): void {
  const caps = session.capabilities;
  const enc = new PacketEncoder();
  enc.reset(1);
  if (payload[0] === COM_QUIT) {
    socket.end();
    return;
  }
  if (payload[0] !== COM_QUERY) {
    socket.write(enc.encode(encodeOk({ statusFlags: SERVER_STATUS_AUTOCOMMIT }, caps)));
    return;
  }
  const parts = [Buffer.from([1]), columnDef('user')];
  if (!(caps & CLIENT_DEPRECATE_EOF)) parts.push(encodeEof({ statusFlags: SERVER_STATUS_AUTOCOMMIT }, caps));
  parts.push(textRow([session.user]));
  parts.push(
    caps & CLIENT_DEPRECATE_EOF
      ? encodeOk({ statusFlags: SERVER_STATUS_AUTOCOMMIT }, caps, 0xfe)
      : encodeEof({ statusFlags: SERVER_STATUS_AUTOCOMMIT }, caps),
  );
  socket.write(Buffer.concat(parts.map((p) => enc.encode(p))));
}
