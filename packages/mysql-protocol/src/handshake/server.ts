import {
  CACHING_SHA2_PLUGIN,
  decryptPassword,
  FAST_AUTH_SUCCESS,
  PERFORM_FULL_AUTHENTICATION,
  REQUEST_PUBLIC_KEY,
  verifyCachingSha2,
} from '../auth/caching-sha2.js';
import {
  type CredentialLookup,
  type Credentials,
  isEmptyAuthResponse,
  isEmptyPassword,
  nativeHashOf,
  sha2HashOf,
  verifyPlaintextPassword,
} from '../auth/credentials.js';
import { NATIVE_PASSWORD_PLUGIN, verifyNativePassword } from '../auth/native-password.js';
import type { ChangeUser } from '../commands/change-user.js';
import {
  ER_ACCESS_DENIED_ERROR,
  ER_HANDSHAKE_ERROR,
  ER_NET_PACKETS_OUT_OF_ORDER,
  ER_SECURE_TRANSPORT_REQUIRED,
  ProtocolError,
  sqlStateFor,
} from '../errors.js';
import { encodeFrames } from '../framing/encoder.js';
import {
  CLIENT_MYSQL,
  CLIENT_PROTOCOL_41,
  CLIENT_SSL,
  SUPPORTED_CAPABILITIES,
} from '../packets/capabilities.js';
import type { ErrPacket } from '../packets/err.js';
import { writeErr } from '../packets/err.js';
import { writeOk } from '../packets/ok.js';
import { SERVER_STATUS_AUTOCOMMIT } from '../packets/status.js';
import { collationEncoding } from '../types/collations.js';
import { PacketWriter } from '../wire/writer.js';
import { writeAuthMoreData, writeAuthSwitchRequest } from './auth-switch.js';
import { generateNonce, writeGreeting } from './greeting.js';
import { decodeHandshakeResponse, type HandshakeResponse, isSslRequest } from './response.js';

/** Authentication plugins this server side verifies. */
export type ServerAuthPlugin = typeof NATIVE_PASSWORD_PLUGIN | typeof CACHING_SHA2_PLUGIN;

export interface ServerHandshakeOptions {
  /** Looks up a user's stored credentials (synchronously: the codec does no I/O). */
  lookup: CredentialLookup;
  connectionId: number;
  /** Default `8.0.40-scalestack`. */
  serverVersion?: string;
  /** Capabilities offered (default: all this codec supports). SSL is offered only with `tls`. */
  capabilities?: number;
  /**
   * MariaDB extended capabilities offered (MARIADB_CLIENT_*; default none). Offering any greets
   * as MariaDB does, without CLIENT_MYSQL, so that MariaDB-aware clients answer with theirs.
   */
  mariadbCapabilities?: number;
  /** Default collation id: 45 (utf8mb4_general_ci). */
  charset?: number;
  /** Status flags in the greeting and the final OK (default AUTOCOMMIT). */
  statusFlags?: number;
  /** Plugin announced in the greeting (default caching_sha2_password). */
  authPlugin?: ServerAuthPlugin;
  /** The caller can upgrade the connection to TLS (offers CLIENT_SSL). */
  tls?: boolean;
  /** Refuse clients that do not use TLS. */
  requireTls?: boolean;
  /** RSA key pair (PEM) for caching_sha2 full authentication without TLS. */
  rsaKeys?: { publicKey: string; privateKey: string };
  /** Never use the caching_sha2 fast path (as after a server restart with an empty cache). */
  alwaysFullAuthentication?: boolean;
  /**
   * Client host for error messages (default `localhost`). A function is called only when a
   * message needs it: finding a socket's peer is a system call most logins never need.
   */
  clientHost?: string | (() => string);
  /** Fixed nonce (tests); default random. */
  nonce?: Buffer;
}

/** What the client negotiated, after successful authentication. */
export interface ServerSession {
  user: string;
  /** Empty when the client connected without one. */
  database: string;
  /** Negotiated capabilities (client ∩ server). */
  capabilities: number;
  /** Negotiated MariaDB extended capabilities (client ∩ offered; 0 for a client that kept CLIENT_MYSQL). */
  mariadbCapabilities: number;
  clientCapabilities: number;
  charset: number;
  maxPacketSize: number;
  attributes: Record<string, string>;
  authPlugin: ServerAuthPlugin;
  tls: boolean;
  /** The client sent a password (for "using password: YES/NO" in a later refusal). */
  usedPassword: boolean;
}

/** What {@link ServerHandshake.changeUser} needs to know of the logged-in connection. */
export interface ChangeUserConnection {
  /** The capabilities the client sent at login. */
  clientCapabilities: number;
  /** The MariaDB extended capabilities negotiated at login (they outlive a change of user). */
  mariadbCapabilities?: number;
  /** The client's max packet size from its login. */
  maxPacketSize: number;
  /** The session's collation id, for a request that names none. */
  charset: number;
  /** The connection runs over TLS (caching_sha2 full authentication may then take the password). */
  tls: boolean;
}

/** What to do after feeding a packet to {@link ServerHandshake.receive}. */
export type ServerStep =
  /** Write `bytes` and wait for the client's next packet. */
  | { kind: 'send'; bytes: Buffer }
  /** The client sent SSLRequest: start TLS on the socket, then keep feeding packets. */
  | { kind: 'upgrade-tls' }
  /**
   * Authenticated. `bytes` is the final OK: write it — or write your own ERR (e.g. unknown
   * database) with sequence id `sequenceId` instead.
   */
  | { kind: 'authenticated'; bytes: Buffer; session: ServerSession; sequenceId: number }
  /** Refused: write `bytes` (the ERR) and close — after {@link ServerHandshake.changeUser}, only write. */
  | { kind: 'failed'; bytes: Buffer; error: ErrPacket };

enum State {
  Start,
  Response,
  Switch,
  Sha2Full,
  Done,
}

/** The characters of a user name MariaDB reads (and names in its 1045 text). */
export const USER_NAME_CHARS = 128;

/**
 * Server side of the connection phase as an I/O-free state machine: greeting, optional TLS
 * upgrade, HandshakeResponse41, auth switch, mysql_native_password and caching_sha2_password
 * (fast path and full authentication over TLS or RSA), ending with OK or ERR 1045.
 *
 * ```ts
 * const hs = new ServerHandshake({ connectionId: 1, lookup: (u) => users.get(u) });
 * socket.write(hs.start());
 * for (const p of decoder.push(chunk)) { const step = hs.receive(p.payload, p.sequenceId); … }
 * ```
 */
export class ServerHandshake {
  readonly nonce: Buffer;
  readonly capabilities: number;
  /** MariaDB extended capabilities offered in the greeting. */
  readonly mariadbCapabilities: number;
  private readonly options: ServerHandshakeOptions;
  private state = State.Start;
  private sequenceId = 0;
  private tlsActive = false;
  private response: HandshakeResponse | undefined;
  private credentials: Credentials | undefined;
  private plugin: ServerAuthPlugin;
  private usedPassword = false;
  /** Authenticating a COM_CHANGE_USER: MariaDB words its refusal in UTF-8, the session reset. */
  private changingUser = false;

  constructor(options: ServerHandshakeOptions) {
    this.options = options;
    this.nonce = options.nonce ?? generateNonce();
    this.mariadbCapabilities = (options.mariadbCapabilities ?? 0) >>> 0;
    let caps = (options.capabilities ?? SUPPORTED_CAPABILITIES) | CLIENT_PROTOCOL_41 | CLIENT_MYSQL;
    if (this.mariadbCapabilities !== 0) caps &= ~CLIENT_MYSQL;
    if (options.tls) caps |= CLIENT_SSL;
    else caps &= ~CLIENT_SSL;
    this.capabilities = caps >>> 0;
    this.plugin = options.authPlugin ?? CACHING_SHA2_PLUGIN;
  }

  /** The greeting (HandshakeV10), framed with sequence id 0. */
  start(): Buffer {
    const w = new PacketWriter(128);
    writeGreeting(w, {
      protocolVersion: 10,
      serverVersion: this.options.serverVersion ?? '8.0.40-scalestack',
      connectionId: this.options.connectionId,
      nonce: this.nonce,
      capabilities: this.capabilities,
      mariadbCapabilities: this.mariadbCapabilities,
      charset: this.options.charset ?? 45,
      statusFlags: this.options.statusFlags ?? SERVER_STATUS_AUTOCOMMIT,
      authPlugin: this.plugin,
    });
    this.state = State.Response;
    this.sequenceId = 1;
    return w.toPacket(0);
  }

  /** Feeds one client packet (payload and its sequence id). */
  receive(payload: Buffer, sequenceId: number): ServerStep {
    // The client answers the server's last packet with the next number (MariaDB refuses others).
    if (sequenceId !== this.sequenceId && this.state !== State.Done)
      return this.fail(ER_NET_PACKETS_OUT_OF_ORDER, 'Got packets out of order');
    this.sequenceId = (sequenceId + 1) & 0xff;
    try {
      switch (this.state) {
        case State.Response:
          return this.onResponse(payload);
        case State.Switch:
          return this.verify(payload);
        case State.Sha2Full:
          return this.onFullAuth(payload);
        default:
          throw new ProtocolError(`unexpected packet during the handshake`, ER_HANDSHAKE_ERROR);
      }
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      const message =
        e.errno === ER_HANDSHAKE_ERROR || e.errno === 1251 ? e.message : `Bad handshake: ${e.message}`;
      return this.fail(e.errno === 1251 ? e.errno : ER_HANDSHAKE_ERROR, message);
    }
  }

  private onResponse(payload: Buffer): ServerStep {
    if (isSslRequest(payload)) {
      if (!(this.capabilities & CLIENT_SSL) || this.tlsActive) {
        return this.fail(ER_HANDSHAKE_ERROR, 'Bad handshake: TLS is not available');
      }
      this.tlsActive = true;
      return { kind: 'upgrade-tls' };
    }
    const response = decodeHandshakeResponse(payload);
    if (this.options.requireTls && !this.tlsActive) {
      return this.fail(
        ER_SECURE_TRANSPORT_REQUIRED,
        'Connections using insecure transport are prohibited while --require_secure_transport=ON.',
      );
    }
    return this.authenticate(response);
  }

  /**
   * Authenticates a COM_CHANGE_USER on a connection that has logged in ("authentication after
   * COM_CHANGE_USER" in MySQL's protocol documentation): the same plugin negotiation as a login —
   * an auth switch when the stored credentials need another plugin than the client used, and
   * caching_sha2's full authentication over TLS or RSA. Make the handshake with the greeting's
   * `nonce` (the client scrambled with it) and do not call {@link start}; answers are numbered
   * from 1, and the client's further packets go to {@link receive} while steps are `send`. A
   * `failed` step ends the exchange only: the connection stays logged in as before.
   */
  changeUser(request: ChangeUser, connection: ChangeUserConnection): ServerStep {
    this.changingUser = true;
    this.tlsActive = connection.tls;
    this.sequenceId = 1;
    try {
      return this.authenticate({
        capabilities: connection.clientCapabilities,
        mariadbCapabilities: connection.mariadbCapabilities ?? 0,
        maxPacketSize: connection.maxPacketSize,
        charset: request.characterSet ?? connection.charset,
        user: request.user,
        authResponse: request.authData,
        database: request.schema,
        authPlugin: request.plugin ?? '',
        attributes: request.attributes ?? {},
      });
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      return this.fail(ER_HANDSHAKE_ERROR, `Bad handshake: ${e.message}`);
    }
  }

  /** Looks the user up and verifies `response`, switching plugin first where needed. */
  private authenticate(response: HandshakeResponse): ServerStep {
    this.response = response;
    this.credentials = this.options.lookup(response.user);
    this.usedPassword = response.authResponse.length > 0;
    const clientPlugin = response.authPlugin || NATIVE_PASSWORD_PLUGIN;
    const greeted = this.plugin;
    const c = this.credentials;
    let wanted: ServerAuthPlugin;
    if (
      clientPlugin === NATIVE_PASSWORD_PLUGIN &&
      (c === undefined || nativeHashOf(c) !== undefined || isEmptyPassword(c))
    ) {
      wanted = NATIVE_PASSWORD_PLUGIN;
    } else if (
      clientPlugin === CACHING_SHA2_PLUGIN &&
      !this.tlsActive &&
      c !== undefined &&
      sha2HashOf(c) === undefined &&
      nativeHashOf(c) !== undefined
    ) {
      // Only a native hash is stored, so caching_sha2 could not take the fast path: its full
      // authentication would want the password itself, which outside TLS some clients (the
      // mariadb CLI) send in clear when they have no RSA key. As a MySQL server does for a
      // mysql_native_password account, switch to that plugin, which proves the password
      // without sending it.
      wanted = NATIVE_PASSWORD_PLUGIN;
    } else if (clientPlugin === CACHING_SHA2_PLUGIN) {
      wanted = CACHING_SHA2_PLUGIN;
    } else if (this.plugin === NATIVE_PASSWORD_PLUGIN && c !== undefined && nativeHashOf(c) !== undefined) {
      wanted = NATIVE_PASSWORD_PLUGIN;
    } else {
      wanted = CACHING_SHA2_PLUGIN;
    }
    this.plugin = wanted;
    // A client that named another plugin than the greeting's made its response for neither —
    // libmariadb (--default-auth) sends it empty and waits to be asked — so, as MariaDB and
    // MySQL restart the exchange then, it is asked for the wanted plugin's response. (A client
    // that names no plugin cannot be asked: it scrambled for mysql_native_password.)
    const madeForGreeting = this.changingUser || response.authPlugin === '' || clientPlugin === greeted;
    if (wanted !== clientPlugin || !madeForGreeting) {
      this.state = State.Switch;
      return this.send(writeAuthSwitchRequest(new PacketWriter(64), { plugin: wanted, data: this.nonce }));
    }
    return this.verify(response.authResponse);
  }

  /** Verifies an auth response made with `this.plugin` over `this.nonce`. */
  private verify(authResponse: Buffer): ServerStep {
    const empty = isEmptyAuthResponse(authResponse, this.plugin);
    if (!empty) this.usedPassword = true;
    const c = this.credentials;
    if (c === undefined) return this.deny();
    if (empty) return isEmptyPassword(c) ? this.accept() : this.deny();
    if (this.plugin === NATIVE_PASSWORD_PLUGIN) {
      const hash = nativeHashOf(c);
      return hash !== undefined && verifyNativePassword(authResponse, this.nonce, hash)
        ? this.accept()
        : this.deny();
    }
    const sha2 = sha2HashOf(c);
    if (sha2 !== undefined && !this.options.alwaysFullAuthentication) {
      if (!verifyCachingSha2(authResponse, this.nonce, sha2)) return this.deny();
      const fast = new PacketWriter(8);
      writeAuthMoreData(fast, Buffer.from([FAST_AUTH_SUCCESS]));
      const first = fast.toPacket(this.sequenceId);
      this.sequenceId = (this.sequenceId + 1) & 0xff;
      const ok = this.accept();
      if (ok.kind !== 'authenticated') return ok;
      return { ...ok, bytes: Buffer.concat([first, ok.bytes]) };
    }
    this.state = State.Sha2Full;
    return this.send(writeAuthMoreData(new PacketWriter(8), Buffer.from([PERFORM_FULL_AUTHENTICATION])));
  }

  private onFullAuth(payload: Buffer): ServerStep {
    const c = this.credentials;
    if (this.tlsActive) {
      const nul = payload.indexOf(0);
      const password = payload.toString('utf8', 0, nul < 0 ? payload.length : nul);
      return c !== undefined && verifyPlaintextPassword(c, password) ? this.accept() : this.deny();
    }
    const keys = this.options.rsaKeys;
    if (keys === undefined) return this.deny();
    if (payload.length === 1 && payload[0] === REQUEST_PUBLIC_KEY) {
      return this.send(writeAuthMoreData(new PacketWriter(512), Buffer.from(keys.publicKey, 'latin1')));
    }
    const password = decryptPassword(payload, this.nonce, keys.privateKey);
    return c !== undefined && password !== undefined && verifyPlaintextPassword(c, password)
      ? this.accept()
      : this.deny();
  }

  private send(w: PacketWriter): ServerStep {
    const bytes = encodeFrames(w.payload(), this.sequenceId);
    this.sequenceId = (this.sequenceId + 1) & 0xff;
    return { kind: 'send', bytes };
  }

  private accept(): ServerStep {
    const r = this.response!;
    const caps = (r.capabilities & this.capabilities) >>> 0;
    const w = new PacketWriter(16);
    // A client that tracks session state learns its schema from the OK, as MariaDB tells it.
    writeOk(
      w,
      {
        statusFlags: this.options.statusFlags ?? SERVER_STATUS_AUTOCOMMIT,
        sessionState: r.database === '' ? undefined : { systemVariables: [], schema: r.database },
      },
      caps,
    );
    const sequenceId = this.sequenceId;
    this.state = State.Done;
    return {
      kind: 'authenticated',
      bytes: encodeFrames(w.payload(), sequenceId),
      sequenceId,
      session: {
        user: r.user,
        database: r.database,
        capabilities: caps,
        mariadbCapabilities: (r.mariadbCapabilities & this.mariadbCapabilities) >>> 0,
        clientCapabilities: r.capabilities,
        charset: r.charset,
        maxPacketSize: r.maxPacketSize,
        attributes: r.attributes,
        authPlugin: this.plugin,
        tls: this.tlsActive,
        usedPassword: this.usedPassword,
      },
    };
  }

  private deny(): ServerStep {
    const user = (this.response?.user ?? '').slice(0, USER_NAME_CHARS);
    const { clientHost } = this.options;
    const host = (typeof clientHost === 'function' ? clientHost() : clientHost) ?? 'localhost';
    return this.fail(
      ER_ACCESS_DENIED_ERROR,
      `Access denied for user '${user}'@'${host}' (using password: ${this.usedPassword ? 'YES' : 'NO'})`,
    );
  }

  private fail(errno: number, message: string): ServerStep {
    this.state = State.Done;
    const error: ErrPacket = { errno, sqlState: sqlStateFor(errno), message };
    const w = new PacketWriter(message.length + 16);
    // At a login in the client's character set, as MariaDB writes it: a name in it reads back
    // as sent.
    const encoding = this.changingUser ? 'utf8' : (collationEncoding(this.response?.charset ?? 0) ?? 'utf8');
    writeErr(w, error, CLIENT_PROTOCOL_41, encoding);
    return { kind: 'failed', bytes: encodeFrames(w.payload(), this.sequenceId), error };
  }
}
