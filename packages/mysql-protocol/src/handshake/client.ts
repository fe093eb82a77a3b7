import {
  CACHING_SHA2_PLUGIN,
  encryptPassword,
  FAST_AUTH_SUCCESS,
  PERFORM_FULL_AUTHENTICATION,
  REQUEST_PUBLIC_KEY,
  scrambleCachingSha2,
} from '../auth/caching-sha2.js';
import { NATIVE_PASSWORD_PLUGIN, scrambleNativePassword } from '../auth/native-password.js';
import { ER_HANDSHAKE_ERROR, ER_NOT_SUPPORTED_AUTH_MODE, ProtocolError } from '../errors.js';
import { encodeFrames } from '../framing/encoder.js';
import {
  CLIENT_CONNECT_WITH_DB,
  CLIENT_MYSQL,
  CLIENT_PLUGIN_AUTH,
  CLIENT_PROTOCOL_41,
  CLIENT_SECURE_CONNECTION,
  CLIENT_SSL,
  SUPPORTED_CAPABILITIES,
} from '../packets/capabilities.js';
import { decodeErr, type ErrPacket, isProgressReport } from '../packets/err.js';
import { AUTH_MORE_DATA_HEADER, AUTH_SWITCH_HEADER, ERR_HEADER, OK_HEADER } from '../packets/headers.js';
import { decodeOk, type OkPacket } from '../packets/ok.js';
import { PacketWriter } from '../wire/writer.js';
import { decodeAuthSwitchRequest } from './auth-switch.js';
import { decodeGreeting, type Greeting } from './greeting.js';
import { type HandshakeResponse, writeHandshakeResponse, writeSslRequest } from './response.js';

export interface ClientHandshakeOptions {
  user: string;
  password?: string;
  database?: string;
  /** Capabilities asked for (default: all this codec supports); the result is this ∩ the server's. */
  capabilities?: number;
  /** MariaDB extended capabilities asked for (default none). */
  mariadbCapabilities?: number;
  /** Collation id (default 45, utf8mb4_general_ci). */
  charset?: number;
  /** Default 1 GiB. */
  maxPacketSize?: number;
  /** Ask for TLS; the handshake fails if the server does not offer it. */
  tls?: boolean;
  /** Connection attributes (CLIENT_CONNECT_ATTRS). */
  attributes?: Record<string, string>;
  /** The server's RSA public key (PEM) for caching_sha2 full authentication without TLS. */
  serverPublicKey?: string | Buffer;
  /** Ask the server for its public key when none is given (default true; a MITM could swap it). */
  allowPublicKeyRetrieval?: boolean;
}

/** The outcome of a successful handshake. */
export interface ClientSession {
  /** Negotiated capabilities. */
  capabilities: number;
  mariadbCapabilities: number;
  serverVersion: string;
  connectionId: number;
  /** Status flags of the final OK. */
  statusFlags: number;
  authPlugin: string;
  ok: OkPacket;
  greeting: Greeting;
  tls: boolean;
}

export type ClientStep =
  /** Write `bytes` and wait for the server. */
  | { kind: 'send'; bytes: Buffer }
  /** Nothing to write; wait for the server's next packet. */
  | { kind: 'wait' }
  /** Write `bytes` (the SSLRequest), upgrade the socket to TLS, then call `tlsEstablished()`. */
  | { kind: 'upgrade-tls'; bytes: Buffer }
  | { kind: 'done'; session: ClientSession }
  /** The server refused (its ERR packet). */
  | { kind: 'failed'; error: ErrPacket };

enum State {
  Greeting,
  Tls,
  Auth,
  AwaitKey,
  Done,
}

/**
 * Client side of the connection phase as an I/O-free state machine: reads the greeting, asks
 * for TLS if wanted, answers with HandshakeResponse41, follows auth switches and the
 * caching_sha2_password exchanges, and ends with the server's OK.
 */
export class ClientHandshake {
  private readonly options: ClientHandshakeOptions;
  private state = State.Greeting;
  private sequenceId = 0;
  private greeting: Greeting | undefined;
  private capabilities = 0;
  private mariadbCapabilities = 0;
  private plugin = NATIVE_PASSWORD_PLUGIN;
  private nonce: Buffer = Buffer.alloc(0);
  private tlsActive = false;

  constructor(options: ClientHandshakeOptions) {
    this.options = options;
  }

  /** Feeds one server packet (payload and its sequence id). Throws ProtocolError on nonsense. */
  receive(payload: Buffer, sequenceId: number): ClientStep {
    this.sequenceId = (sequenceId + 1) & 0xff;
    if (payload[0] === ERR_HEADER && !isProgressReport(payload)) {
      this.state = State.Done;
      return { kind: 'failed', error: decodeErr(payload) };
    }
    switch (this.state) {
      case State.Greeting:
        return this.onGreeting(payload);
      case State.Auth:
        return this.onAuthPacket(payload);
      case State.AwaitKey:
        if (payload[0] !== AUTH_MORE_DATA_HEADER) {
          throw new ProtocolError(
            `expected the server's public key, got header 0x${payload[0]?.toString(16)}`,
          );
        }
        this.state = State.Auth;
        return this.sendPayload(this.encrypt(payload.subarray(1)));
      default:
        throw new ProtocolError('unexpected packet from the server during the handshake', ER_HANDSHAKE_ERROR);
    }
  }

  /** After the TLS upgrade asked for by an `upgrade-tls` step: the HandshakeResponse to send. */
  tlsEstablished(): ClientStep {
    if (this.state !== State.Tls) throw new ProtocolError('tlsEstablished() without a pending TLS upgrade');
    this.tlsActive = true;
    this.state = State.Auth;
    return this.sendResponse();
  }

  private onGreeting(payload: Buffer): ClientStep {
    const g = decodeGreeting(payload);
    this.greeting = g;
    if (!(g.capabilities & CLIENT_PROTOCOL_41)) {
      throw new ProtocolError('the server does not speak protocol 4.1', ER_NOT_SUPPORTED_AUTH_MODE);
    }
    const o = this.options;
    let want =
      (o.capabilities ?? SUPPORTED_CAPABILITIES) |
      CLIENT_PROTOCOL_41 |
      CLIENT_SECURE_CONNECTION |
      CLIENT_PLUGIN_AUTH;
    if (o.database) want |= CLIENT_CONNECT_WITH_DB;
    else want &= ~CLIENT_CONNECT_WITH_DB;
    if (o.tls) want |= CLIENT_SSL;
    else want &= ~CLIENT_SSL;
    // MariaDB: a server that clears CLIENT_MYSQL offers extended capabilities; clear it too to use them.
    const ext = (o.mariadbCapabilities ?? 0) & g.mariadbCapabilities;
    if (!(g.capabilities & CLIENT_MYSQL) && ext !== 0) want &= ~CLIENT_MYSQL;
    this.capabilities = (want & g.capabilities) >>> 0;
    this.mariadbCapabilities = this.capabilities & CLIENT_MYSQL ? 0 : ext;
    this.nonce = g.nonce;
    this.plugin = g.authPlugin === CACHING_SHA2_PLUGIN ? CACHING_SHA2_PLUGIN : NATIVE_PASSWORD_PLUGIN;
    if (o.tls) {
      if (!(g.capabilities & CLIENT_SSL)) {
        throw new ProtocolError('TLS was requested but the server does not offer it', ER_HANDSHAKE_ERROR);
      }
      const w = new PacketWriter(32);
      writeSslRequest(w, this.prefix());
      this.state = State.Tls;
      const bytes = encodeFrames(w.payload(), this.sequenceId);
      this.sequenceId = (this.sequenceId + 1) & 0xff;
      return { kind: 'upgrade-tls', bytes };
    }
    this.state = State.Auth;
    return this.sendResponse();
  }

  private prefix(): Pick<
    HandshakeResponse,
    'capabilities' | 'mariadbCapabilities' | 'maxPacketSize' | 'charset'
  > {
    return {
      capabilities: this.capabilities,
      mariadbCapabilities: this.mariadbCapabilities,
      maxPacketSize: this.options.maxPacketSize ?? 0x4000_0000,
      charset: this.options.charset ?? 45,
    };
  }

  private sendResponse(): ClientStep {
    const o = this.options;
    const w = new PacketWriter(256);
    writeHandshakeResponse(w, {
      ...this.prefix(),
      user: o.user,
      authResponse: this.scramble(),
      database: o.database ?? '',
      authPlugin: this.plugin,
      attributes: o.attributes ?? { _client_name: 'scalestack-mysql-protocol' },
    });
    return this.sendPayload(w.payload());
  }

  private scramble(): Buffer {
    const password = this.options.password ?? '';
    return this.plugin === CACHING_SHA2_PLUGIN
      ? scrambleCachingSha2(password, this.nonce)
      : scrambleNativePassword(password, this.nonce);
  }

  private onAuthPacket(payload: Buffer): ClientStep {
    const header = payload[0];
    if (header === OK_HEADER) {
      const ok = decodeOk(payload, this.capabilities);
      this.state = State.Done;
      const g = this.greeting!;
      return {
        kind: 'done',
        session: {
          capabilities: this.capabilities,
          mariadbCapabilities: this.mariadbCapabilities,
          serverVersion: g.serverVersion,
          connectionId: g.connectionId,
          statusFlags: ok.statusFlags,
          authPlugin: this.plugin,
          ok,
          greeting: g,
          tls: this.tlsActive,
        },
      };
    }
    if (header === AUTH_SWITCH_HEADER) {
      const req = decodeAuthSwitchRequest(payload);
      if (req.plugin !== NATIVE_PASSWORD_PLUGIN && req.plugin !== CACHING_SHA2_PLUGIN) {
        if (req.plugin === 'mysql_clear_password' && this.tlsActive) {
          return this.sendPayload(Buffer.from(`${this.options.password ?? ''}\0`, 'utf8'));
        }
        throw new ProtocolError(
          `the server asked for unsupported auth plugin '${req.plugin}'`,
          ER_NOT_SUPPORTED_AUTH_MODE,
        );
      }
      this.plugin = req.plugin;
      this.nonce = req.data.length >= 20 ? Buffer.from(req.data.subarray(0, 20)) : this.nonce;
      return this.sendPayload(this.scramble());
    }
    if (header === AUTH_MORE_DATA_HEADER && this.plugin === CACHING_SHA2_PLUGIN) {
      if (payload[1] === FAST_AUTH_SUCCESS && payload.length === 2) return { kind: 'wait' };
      if (payload[1] === PERFORM_FULL_AUTHENTICATION && payload.length === 2)
        return this.fullAuthentication();
    }
    throw new ProtocolError(
      `unexpected packet during authentication: header 0x${header?.toString(16) ?? 'none'}`,
    );
  }

  private fullAuthentication(): ClientStep {
    const password = this.options.password ?? '';
    if (this.tlsActive) return this.sendPayload(Buffer.from(`${password}\0`, 'utf8'));
    if (this.options.serverPublicKey !== undefined) {
      return this.sendPayload(this.encrypt(this.options.serverPublicKey));
    }
    if (this.options.allowPublicKeyRetrieval === false) {
      throw new ProtocolError(
        'caching_sha2_password full authentication needs TLS, serverPublicKey or allowPublicKeyRetrieval',
        ER_NOT_SUPPORTED_AUTH_MODE,
      );
    }
    this.state = State.AwaitKey;
    return this.sendPayload(Buffer.from([REQUEST_PUBLIC_KEY]));
  }

  private encrypt(publicKey: string | Buffer): Buffer {
    try {
      return encryptPassword(this.options.password ?? '', this.nonce, publicKey);
    } catch (e) {
      throw new ProtocolError(`cannot use the server's RSA public key: ${(e as Error).message}`);
    }
  }

  private sendPayload(payload: Buffer): ClientStep {
    const bytes = encodeFrames(payload, this.sequenceId);
    this.sequenceId = (this.sequenceId + 1) & 0xff;
    return { kind: 'send', bytes };
  }
}
