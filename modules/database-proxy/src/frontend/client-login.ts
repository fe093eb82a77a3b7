/**
 * Who a client may log in as, and whether there is room for it: the checks a login and a
 * COM_CHANGE_USER share. The exchange itself (greeting, auth switch, TLS) is ServerHandshake's;
 * what the connection does with the outcome is ClientSession's.
 */
import {
  type Credentials,
  ServerHandshake,
  type ServerSession,
  USER_NAME_CHARS,
} from '@scalestack/mysql-protocol';
import type { TenantSession } from '@scalestack/qos';
import type { Connection } from '@scalestack/socket';
import type { Flavour } from '../backend/backend-pool.js';
import { type ProxyUser, sameCredentials } from '../config/proxy-users.js';
import { ProxyError, type ProxyRefusal } from '../errors.js';
import { unusableClientCharset } from '../session/client-charsets.js';
import { defaultStatusFlags } from '../session/sql-reader.js';
import type { ProxyCore } from './proxy-core.js';

/** A login let in: the connection's place at its tenant, and the backend connections it uses. */
export interface Admission {
  readonly tenantSession: TenantSession;
  readonly flavour: Flavour;
}

export class ClientLogin {
  /** The configured user the exchange in progress is verified against. */
  private verifying: ProxyUser | undefined;

  constructor(
    private readonly core: ProxyCore,
    private readonly clientId: number,
    private readonly conn: Connection,
  ) {}

  /** The server side of a login, or of a COM_CHANGE_USER over the greeting's `nonce`. */
  handshake(nonce: Buffer | undefined): ServerHandshake {
    const core = this.core;
    return new ServerHandshake({
      connectionId: this.clientId,
      lookup: (name) => this.lookup(name),
      nonce,
      serverVersion: core.serverVersion,
      capabilities: core.capabilities,
      mariadbCapabilities: core.mariadbCapabilities,
      tls: core.tls !== undefined,
      statusFlags: defaultStatusFlags(core),
      authPlugin: core.authPlugin,
      rsaKeys: core.rsaKeys,
      clientHost: () => this.clientHost(),
    });
  }

  /**
   * The configured user a finished authentication logs in as: the one it was verified against,
   * as configured now — or nobody, when a reload (SIGHUP) between the client's first packet and
   * its last removed the user or changed its password.
   */
  authenticatedUser(name: string): ProxyUser | undefined {
    const then = this.verifying;
    this.verifying = undefined;
    const now = this.core.users.get(name);
    if (then === undefined || now === undefined) return undefined;
    return now === then || sameCredentials(now.credentials, then.credentials) ? now : undefined;
  }

  /** An exchange that ended without authenticating: nobody is being verified any more. */
  abandoned(): void {
    this.verifying = undefined;
  }

  /** MariaDB's 1045 for `session`'s user, from this client's host. */
  accessDenied(session: ServerSession): ProxyRefusal {
    return {
      code: ProxyError.accessDenied,
      args: [session.user.slice(0, USER_NAME_CHARS), this.clientHost(), session.usedPassword ? 'YES' : 'NO'],
    };
  }

  /**
   * Takes a connection slot for `user` at its tenant, if its character set, its own
   * max_connections and its tenant's let it in. The caller counts the connection for the user
   * (ProxyCore.addUserConnection) and closes the tenant session when it ends.
   */
  admit(user: ProxyUser, session: ServerSession): Admission | ProxyRefusal {
    const core = this.core;
    // A client that connected before the listener closed and logs in while the proxy drains is
    // refused as a server that is shutting down refuses it, not let in to be cut off at stop.
    if (core.isDraining) return { code: ProxyError.shuttingDown, args: [] };
    const unusable = unusableClientCharset(session.charset);
    if (unusable !== undefined) return { code: ProxyError.clientCharsetRefused, args: [unusable] };
    if (core.userConnections(user.name) >= user.maxConnections) {
      return { code: ProxyError.tooManyConnections, args: [user.name, user.maxConnections] };
    }
    const tenant = core.tenantOf(user, session.attributes);
    const ts = core.scheduler.connect(tenant);
    if (ts === 'closed') return { code: ProxyError.shuttingDown, args: [] };
    if (typeof ts === 'string') {
      // Name the tenant the connection counted against (an unknown name means the default).
      const counted = core.scheduler.resolveTenant(tenant);
      const limit = core.maxConnectionsOf(counted) ?? 'max_connections';
      return { code: ProxyError.tooManyConnections, args: [`${user.name} (tenant ${counted})`, limit] };
    }
    const flavour = core.flavourFor(user, session.capabilities, session.charset, session.mariadbCapabilities);
    return { tenantSession: ts, flavour };
  }

  /** The client's host as MariaDB names it in messages: its address, `localhost` over a Unix socket. */
  private clientHost(): string {
    const address = this.conn.remoteAddress;
    return address === 'unix' ? 'localhost' : address;
  }

  /** The handshake's lookup: remembers whom it verifies against. */
  private lookup(name: string): Credentials | undefined {
    this.verifying = this.core.users.get(name);
    return this.verifying?.credentials;
  }
}
