import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TlsOptions } from 'node:tls';
import type { Address } from '@scalestack/kernel';
import { type AddressLike, formatAddress, toAddress } from './address.js';
import { Connection } from './connection.js';
import { adoptForDirectReads, ReadBuffer } from './direct-reads.js';
import { ListenError, SocketTimeoutError, systemReason } from './errors.js';
import { keepAliveDelay } from './keep-alive.js';
import { clearStaleUnixSocket } from './unix-socket.js';

/** Called with every accepted connection (after the TLS handshake on TLS listeners). */
export type ConnectionHandler = (connection: Connection) => void;

/** Options of {@link listen}. */
export interface ListenOptions {
  /** TLS settings (`key` and `cert` at least); the listener speaks plain TCP without them. */
  tls?: TlsOptions;
  /** Connections served at once; beyond it new ones are refused (default: no limit). */
  maxConnections?: number;
  /**
   * Lets a protocol write its own refusal (e.g. MySQL error 1040 "Too many connections") to a
   * connection over the limit; the connection is ended right after and is never counted.
   */
  onRefused?: (connection: Connection) => void;
  /** Close connections idle for this many milliseconds (default 0: never). */
  idleTimeout?: number;
  /** Milliseconds a TLS client has to finish its handshake (default 10 000). */
  handshakeTimeout?: number;
  /** Let several listeners (threads, processes) bind the same TCP port (Linux SO_REUSEPORT). */
  reusePort?: boolean;
  /** Disable Nagle's algorithm on accepted connections (default true). */
  noDelay?: boolean;
  /**
   * TCP keepalive on accepted connections: the first probe after this many milliseconds of
   * silence (default 0: off; the socket module's default is 60 s). A peer that vanished without
   * a FIN (a crashed host, a NAT that forgot the flow) is then found dead and its connection
   * closed, instead of holding its place — and whatever it held — for ever.
   */
  keepAlive?: number;
  /** Length of the kernel's accept queue (default: Node's, 511; the socket module's default is 4096). */
  backlog?: number;
  /**
   * Keep a connection's write side open after the peer ends its own (TCP half-close), so that
   * an answer can still go out, as a layer-4 proxy must allow; the connection closes once both
   * sides have ended. Default false: the peer's end ends this side too.
   */
  allowHalfOpen?: boolean;
  /** Errors that concern no particular connection: failed TLS handshakes, accept errors. */
  onError?: (err: Error) => void;
  /**
   * Read plain connections directly into one buffer shared by this listener's connections
   * (Node's `onread`), bypassing Node's stream layer: less CPU per read (default true). The
   * listener falls back to stream reads where this Node's sockets do not support it.
   */
  directReads?: boolean;
}

/** A listening socket. */
export interface Listener {
  /** Where it listens; for TCP with port 0 this holds the port the OS chose. */
  readonly address: Address;
  /** Connections currently served (refused ones are not counted). */
  readonly connectionCount: number;
  /** The connections currently served. */
  readonly connections: ReadonlySet<Connection>;
  /** Whether it still accepts connections. */
  readonly listening: boolean;
  /** Connections handed to the connection handler so far. */
  readonly acceptedCount: number;
  /** Connections refused over `maxConnections` so far. */
  readonly refusedCount: number;
  /** Stops accepting; connections being served carry on. */
  close(): Promise<void>;
  /** Stops accepting and destroys every connection; resolves when all have closed. */
  closeAll(): Promise<void>;
  /** The same as {@link closeAll}. */
  destroy(): Promise<void>;
}

/** Node's accept queue length when `backlog` is not given. */
const DEFAULT_BACKLOG = 511;

/** Refused connections get this long to take their refusal before they are destroyed. */
const REFUSAL_GRACE_MS = 5_000;

/**
 * Listens on a TCP address (`host:port`, port 0 for any free port), with TLS when
 * `options.tls` is given, or on a Unix socket path (a stale socket file is replaced).
 *
 * @throws ListenError naming the address and the reason (address in use, permission denied…)
 */
export async function listen(
  address: AddressLike,
  onConnection: ConnectionHandler,
  options: ListenOptions = {},
): Promise<Listener> {
  const target = toAddress(address);
  const {
    maxConnections = Number.POSITIVE_INFINITY,
    idleTimeout = 0,
    noDelay = true,
    allowHalfOpen = false,
  } = options;
  const keepAlive = keepAliveDelay(options.keepAlive ?? 0);
  if (!(maxConnections >= 0)) throw new RangeError(`maxConnections must be >= 0, got ${maxConnections}`);
  const connections = new Set<Connection>();
  /**
   * Sockets closeAll must end that are not connections (yet): refused ones in their grace
   * period, and with TLS every socket until its handshake is over. server.close() waits for
   * them all.
   */
  const outside = new Set<Socket | Connection>();
  let closingAll = false;
  /**
   * TCP connections accepted so far that must get TCP_NODELAY and keepalive one by one. Once the
   * listening socket has them, the kernel copies them to every connection it establishes after;
   * only those established before that setsockopt lack them, and they wait in the accept queue,
   * which holds at most backlog + 1. So the first backlog + 1 accepted get them set, the rest
   * inherit them. Infinity: the listening socket does not have them.
   */
  let ownOptionsLeft = Number.POSITIVE_INFINITY;
  /** Gives a just-accepted TCP socket the options, unless it inherited them. */
  const applyOptions = (socket: Socket) => {
    if (target.kind !== 'tcp' || ownOptionsLeft <= 0) return;
    ownOptionsLeft--;
    if (noDelay) socket.setNoDelay(true);
    if (keepAlive > 0) socket.setKeepAlive(true, keepAlive);
  };
  let acceptedCount = 0;
  let refusedCount = 0;

  const readBuffer =
    options.tls === undefined && options.directReads !== false ? new ReadBuffer() : undefined;

  const accept = (accepted: Socket) => {
    if (closingAll) {
      // A TLS handshake that finished after closeAll began: it would hold server.close().
      accepted.destroy();
      return;
    }
    const direct =
      readBuffer !== undefined ? adoptForDirectReads(accepted, readBuffer, allowHalfOpen) : undefined;
    const socket = direct?.socket ?? accepted;
    // A TLS connection had them applied when it was accepted, before its handshake.
    if (options.tls === undefined) applyOptions(socket);
    const connection = new Connection(socket, direct?.reads);
    if (connections.size >= maxConnections) {
      refusedCount++;
      outside.add(connection);
      void connection.closed.then(() => outside.delete(connection));
      refuse(connection, options.onRefused, options.onError);
      return;
    }
    acceptedCount++;
    connections.add(connection);
    void connection.closed.then(() => connections.delete(connection));
    if (idleTimeout > 0) connection.setIdleTimeout(idleTimeout);
    try {
      onConnection(connection);
    } catch (err) {
      connection.destroy(err as Error);
      options.onError?.(err as Error);
    }
  };

  let server: Server;
  if (options.tls) {
    server = createTlsServer({
      ...options.tls,
      allowHalfOpen,
      handshakeTimeout: options.handshakeTimeout ?? 10_000,
    });
    server.on('secureConnection', accept);
    server.on('connection', (raw: Socket) => {
      applyOptions(raw);
      outside.add(raw);
      raw.once('close', () => outside.delete(raw));
    });
    // With a listener attached Node leaves the failed socket open; close it ourselves.
    const handshakeTimeout = options.handshakeTimeout ?? 10_000;
    server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: Socket) => {
      socket.destroy();
      // Node has usually released the handle by now, and with it the peer's address.
      const peer = socket.remoteAddress ? `${socket.remoteAddress}:${socket.remotePort}` : 'a client';
      options.onError?.(
        err.code === 'ERR_TLS_HANDSHAKE_TIMEOUT'
          ? new SocketTimeoutError('handshake', handshakeTimeout, peer)
          : err,
      );
    });
  } else {
    // Paused, so no byte is read before the socket is moved to direct reads.
    server = createTcpServer({ pauseOnConnect: readBuffer !== undefined, allowHalfOpen }, accept);
  }
  server.on('error', (err: Error) => options.onError?.(err));

  if (target.kind === 'unix') {
    try {
      await clearStaleUnixSocket(target.path);
    } catch (err) {
      throw new ListenError(formatAddress(target), (err as Error).message, undefined, { cause: err });
    }
  }
  await bind(server, target, options);
  if (target.kind === 'tcp' && setOnListeningSocket(server, noDelay, keepAlive)) {
    // No accept has run yet (that takes a poll): every connection in the queue is still counted.
    ownOptionsLeft = (options.backlog ?? DEFAULT_BACKLOG) + 1;
  }
  const bound = boundAddress(server, target);
  let closing: Promise<void> | undefined;
  const closeServer = () => {
    closing ??= new Promise<void>((resolve) => {
      // The callback waits for every connection; stopping to accept happens at once.
      server.close(() => resolve());
    });
    return closing;
  };

  const listener: Listener = {
    address: bound,
    get connectionCount() {
      return connections.size;
    },
    connections,
    get listening() {
      return server.listening;
    },
    get acceptedCount() {
      return acceptedCount;
    },
    get refusedCount() {
      return refusedCount;
    },
    async close() {
      void closeServer();
    },
    async closeAll() {
      closingAll = true;
      const closed = closeServer();
      for (const s of outside) s.destroy();
      for (const connection of connections) connection.destroy();
      await Promise.all([...connections].map((c) => c.closed));
      await closed;
    },
    destroy() {
      return listener.closeAll();
    },
  };
  return listener;
}

function refuse(
  connection: Connection,
  onRefused: ListenOptions['onRefused'],
  onError: ListenOptions['onError'],
): void {
  try {
    onRefused?.(connection);
  } catch (err) {
    onError?.(err as Error);
  }
  // close() drains what the client still sends, so the refusal is not lost to a reset.
  connection.close(undefined, REFUSAL_GRACE_MS);
}

/**
 * Sets TCP_NODELAY and keepalive once, on the listening socket, where Linux's accepted sockets
 * copy them from: two setsockopt calls fewer per connection, ~6 µs of a ~100 µs MySQL login
 * through the proxy (test/bench/RESULTS.md). False (set them per connection) on other systems
 * or when the listening socket refuses them.
 */
function setOnListeningSocket(server: Server, noDelay: boolean, keepAlive: number): boolean {
  if (process.platform !== 'linux') return false;
  const handle = (server as unknown as { _handle?: Partial<TcpOptionsHandle> | null })._handle;
  if (typeof handle?.setNoDelay !== 'function' || typeof handle.setKeepAlive !== 'function') return false;
  if (noDelay && handle.setNoDelay(true) !== 0) return false;
  // Node's Socket.setKeepAlive passes whole seconds to the handle the same way.
  if (keepAlive > 0 && handle.setKeepAlive(true, Math.floor(keepAlive / 1000)) !== 0) return false;
  return true;
}

/** The part of Node's TCP handle (TCPWrap) that sets socket options; both return a libuv status. */
interface TcpOptionsHandle {
  setNoDelay(enable: boolean): number;
  setKeepAlive(enable: boolean, delaySeconds: number): number;
}

function bind(server: Server, target: Address, options: ListenOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => {
      const { reason, code } = systemReason(err);
      reject(new ListenError(formatAddress(target), reason, code, { cause: err }));
    };
    server.once('error', onError);
    const listenOptions =
      target.kind === 'unix'
        ? { path: target.path, backlog: options.backlog }
        : {
            host: target.host,
            port: target.port,
            backlog: options.backlog,
            reusePort: options.reusePort ?? false,
          };
    server.listen(listenOptions, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function boundAddress(server: Server, target: Address): Address {
  if (target.kind === 'unix') return target;
  const info = server.address();
  if (info && typeof info === 'object') return { kind: 'tcp', host: target.host, port: info.port };
  return target;
}
