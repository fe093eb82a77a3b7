import type { Socket } from 'node:net';
import {
  type ConnectionOptions,
  type SecureContextOptions,
  TLSSocket,
  connect as tlsConnect,
} from 'node:tls';
import { SocketTimeoutError } from './errors.js';

/** How to switch a plain connection to TLS. */
export type TlsUpgradeOptions =
  | ({ side: 'server' } & ServerUpgradeOptions & CommonUpgradeOptions)
  | ({ side: 'client' } & Omit<ConnectionOptions, 'socket' | 'host' | 'port' | 'path'> &
      CommonUpgradeOptions);

/** Server-side TLS settings: the certificate and, optionally, client-certificate checks. */
export interface ServerUpgradeOptions extends SecureContextOptions {
  requestCert?: boolean;
  rejectUnauthorized?: boolean;
  ALPNProtocols?: string[];
}

interface CommonUpgradeOptions {
  /** Bytes of the TLS stream that were already read from the socket (they come first). */
  buffered?: Uint8Array;
  /** Milliseconds allowed for the handshake (default 10 000). */
  handshakeTimeout?: number;
}

/**
 * Wraps a paused plain socket in TLS and resolves once the handshake is done.
 * Node's TLSSocket feeds whatever sits in the wrapped socket's read buffer into TLS before
 * reading further, so `buffered` is put back there (`unshift`) rather than replayed by hand.
 */
export function upgradeSocket(raw: Socket, options: TlsUpgradeOptions, peer: string): Promise<TLSSocket> {
  const { buffered, handshakeTimeout = 10_000, side, ...tlsOptions } = options;
  if (buffered && buffered.length > 0)
    raw.unshift(Buffer.from(buffered.buffer, buffered.byteOffset, buffered.length));
  const secure =
    side === 'server'
      ? new TLSSocket(raw, { ...(tlsOptions as ServerUpgradeOptions), isServer: true })
      : tlsConnect({ ...(tlsOptions as ConnectionOptions), socket: raw });
  const readyEvent = side === 'server' ? 'secure' : 'secureConnect';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      const err = new SocketTimeoutError('handshake', handshakeTimeout, peer);
      secure.destroy(err);
      raw.destroy(err);
    }, handshakeTimeout);
    const fail = (err: Error) => {
      clearTimeout(timer);
      secure.off(readyEvent, succeed);
      raw.destroy(err);
      reject(err);
    };
    const succeed = () => {
      if (side === 'server') {
        const refusal = checkClientCertificate(secure, tlsOptions as ServerUpgradeOptions, peer);
        if (refusal !== undefined) {
          secure.destroy();
          fail(refusal);
          return;
        }
      }
      clearTimeout(timer);
      secure.off('error', fail);
      secure.off('close', closedEarly);
      resolve(secure);
    };
    const closedEarly = () => fail(new Error(`TLS handshake with ${peer} failed: the connection closed`));
    secure.once(readyEvent, succeed);
    secure.once('error', fail);
    secure.once('close', closedEarly);
  });
}

/**
 * What a `tls.Server` does once a handshake is done, which a TLSSocket made by hand does not
 * get: with `requestCert`, the verdict on the client's certificate is read from the TLS layer
 * (OpenSSL lets every handshake through and keeps it there), `authorized` /
 * `authorizationError` are set, and under `rejectUnauthorized` (the default, as for a
 * `tls.Server`) a client without a trusted certificate is refused.
 * @returns the error to refuse the connection with, if any
 */
function checkClientCertificate(
  secure: TLSSocket,
  options: ServerUpgradeOptions,
  peer: string,
): Error | undefined {
  if (options.requestCert !== true) return undefined;
  // The same call Node's own server makes (TLSSocket has no public accessor for it).
  const handle = (
    secure as unknown as { _handle?: { verifyError?: () => (Error & { code?: string }) | null } }
  )._handle;
  const verdict =
    typeof handle?.verifyError === 'function'
      ? handle.verifyError()
      : Object.assign(new Error('this Node version does not expose the verdict'), { code: 'UNVERIFIED' });
  if (verdict === null) {
    secure.authorized = true;
    return undefined;
  }
  // Node's own server stores the code (a string) here, whatever its typings say.
  const code = verdict.code ?? verdict.message;
  secure.authorized = false;
  (secure as unknown as { authorizationError: string }).authorizationError = code;
  if (options.rejectUnauthorized === false) return undefined;
  return new Error(`TLS handshake with ${peer} failed: client certificate not accepted (${code})`);
}
