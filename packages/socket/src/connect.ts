import { connect as netConnect, type Socket } from 'node:net';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import { type AddressLike, formatAddress, toAddress } from './address.js';
import { Connection } from './connection.js';
import { DirectReads, type ReadBuffer } from './direct-reads.js';
import { ConnectError, SocketTimeoutError, systemReason } from './errors.js';
import { keepAliveDelay } from './keep-alive.js';

/** Options of {@link connect}. */
export interface ConnectOptions {
  /** Milliseconds allowed to connect, TLS handshake included (default 10 000). */
  timeout?: number;
  /** Connect with TLS; `true` uses the defaults (verify against the system CAs). */
  tls?: true | Omit<ConnectionOptions, 'socket' | 'host' | 'port' | 'path'>;
  /** Disable Nagle's algorithm (default true). */
  noDelay?: boolean;
  /** TCP keepalive: the first probe after this many milliseconds of silence (default 0: off). */
  keepAlive?: number;
  /**
   * Keep the write side open after the peer ends its own (TCP half-close); the connection
   * closes once both sides have ended. Default false: the peer's end ends this side too.
   */
  allowHalfOpen?: boolean;
  /** Cancels the attempt. */
  signal?: AbortSignal;
  /**
   * A plain connection reads directly into this buffer (Node's `onread`), bypassing Node's
   * stream layer; connections of one thread can share one. Without it, stream reads.
   */
  readBuffer?: ReadBuffer;
}

/**
 * Connects to a TCP address or Unix socket, optionally with TLS.
 *
 * @throws ConnectError naming the address and the reason; SocketTimeoutError on timeout
 */
export function connect(address: AddressLike, options: ConnectOptions = {}): Promise<Connection> {
  const target = toAddress(address);
  const where = formatAddress(target);
  const { timeout = 10_000, noDelay = true, allowHalfOpen = false } = options;
  const keepAlive = keepAliveDelay(options.keepAlive ?? 0);
  const endpoint =
    target.kind === 'unix'
      ? { path: target.path, allowHalfOpen }
      : { host: target.host, port: target.port, allowHalfOpen };

  return new Promise((resolve, reject) => {
    let socket: Socket;
    let readyEvent: string;
    let reads: DirectReads | undefined;
    if (options.tls) {
      const tlsOptions = options.tls === true ? {} : options.tls;
      const servername = target.kind === 'tcp' && !/^[\d.:]+$/.test(target.host) ? target.host : undefined;
      socket = tlsConnect({ servername, ...tlsOptions, ...endpoint });
      readyEvent = 'secureConnect';
    } else {
      reads = options.readBuffer !== undefined ? new DirectReads(options.readBuffer) : undefined;
      socket = netConnect(reads !== undefined ? { ...endpoint, onread: reads.onread } : endpoint);
      readyEvent = 'connect';
    }
    const cleanup = () => {
      clearTimeout(timer);
      socket.off(readyEvent, onReady);
      socket.off('error', onError);
      options.signal?.removeEventListener('abort', onAbort);
    };
    const onReady = () => {
      cleanup();
      if (noDelay && target.kind === 'tcp') socket.setNoDelay(true);
      if (keepAlive > 0 && target.kind === 'tcp') socket.setKeepAlive(true, keepAlive);
      resolve(new Connection(socket, reads));
    };
    const onError = (err: Error) => {
      cleanup();
      socket.destroy();
      if (err instanceof SocketTimeoutError) return reject(err);
      const { reason, code } = systemReason(err);
      reject(new ConnectError(where, reason, code, { cause: err }));
    };
    const onAbort = () => onError(options.signal?.reason ?? new Error('aborted'));
    const timer = setTimeout(() => onError(new SocketTimeoutError('connect', timeout, where)), timeout);
    socket.once(readyEvent, onReady);
    socket.once('error', onError);
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
  });
}
