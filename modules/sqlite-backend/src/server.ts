import { hostname } from 'node:os';
import type { SecureContextOptions } from 'node:tls';
import type { Address } from '@scalestack/kernel';
import { type Credentials, credentialsFor, type ServerAuthPlugin } from '@scalestack/mysql-protocol';
import { type Connection, type Listener, type ListenOptions, listen } from '@scalestack/socket';
import { SharedDatabase } from './engine/database.js';
import { Engine } from './engine/engine.js';
import type { ServerFacts } from './engine/outcome.js';
import { defaultMaxResultSize } from './engine/result-size.js';
import { attachDatabaseFiles, type SkippedDatabase } from './engine/schemas.js';
import { ServerConnection } from './protocol/connection.js';
import { defaultVariables } from './session/variables.js';

/** A user allowed to log in. */
export interface SqliteUser {
  name: string;
  password: string;
}

/** Options of {@link SqliteBackendServer}. */
export interface SqliteBackendOptions {
  /** `host:port` (port 0: any free port) or a Unix socket path. Default `127.0.0.1:3307`. */
  listen?: Address | string;
  /** SQLite file, or `:memory:` (default). */
  database?: string;
  /** Default: `root` with an empty password. */
  users?: readonly SqliteUser[];
  /** Certificate and key (PEM) for TLS after SSLRequest; TLS is not offered without them. */
  tls?: SecureContextOptions;
  /** Largest packet accepted and `@@max_allowed_packet` (default 64 MiB). */
  maxPacketSize?: number;
  /**
   * Milliseconds a client has from connecting to being logged in; then the connection is closed
   * (default 10 000). Also `@@connect_timeout`, in seconds.
   */
  loginTimeout?: number;
  /** Version in the greeting and `@@version` (default {@link DEFAULT_SERVER_VERSION}). */
  serverVersion?: string;
  /** Plugin announced in the greeting (default caching_sha2_password). Both are accepted. */
  authPlugin?: ServerAuthPlugin;
  /**
   * Bytes a result may take in memory before it is refused with ERR 1104 (default a quarter of
   * the V8 heap limit): results are held whole before they are sent.
   */
  maxResultSize?: number;
  /** Prepared statements per connection (default 16382, MySQL's max_prepared_stmt_count). */
  maxPreparedStatements?: number;
  /** Listener options (connection limit, idle timeout…), passed to the socket package. */
  listenOptions?: ListenOptions;
  /**
   * How to listen; default the socket package's `listen`. The kernel module passes the
   * `socket` module's service so the kernel's drain/stop reach the listener.
   */
  listenWith?: (
    address: Address | string,
    onConnection: (c: Connection) => void,
    options: ListenOptions,
  ) => Promise<Listener>;
  /** Logs protocol errors of single connections (malformed packets, failed TLS handshakes). */
  onProtocolError?: (err: Error, peer: string) => void;
}

/**
 * MySQL 8 version string: mysql2, Connector/J, ORMs (Prisma, TypeORM, Sequelize, knex) choose
 * features by it and all support 8.0; the MariaDB CLI is equally happy with it. The suffix says
 * what is really answering.
 */
export const DEFAULT_SERVER_VERSION = '8.0.36-scalestack-sqlite';

/** Milliseconds a client has to log in, as MySQL's and MariaDB's connect_timeout (10 s). */
const DEFAULT_LOGIN_TIMEOUT = 10_000;

/** Counters the server keeps (also published as metrics by the kernel module). */
export interface SqliteBackendStats {
  connections: number;
  connectionsTotal: number;
  questions: number;
  loginsNative: number;
  loginsCachingSha2: number;
  protocolErrors: number;
}

/**
 * A MySQL-protocol server over node:sqlite: every connection speaks MySQL, every statement runs
 * on one shared SQLite database (transactions serialised; see README).
 *
 * ```ts
 * const server = await SqliteBackendServer.start({ listen: '127.0.0.1:0' });
 * // mysql -h127.0.0.1 -P<server.address.port> -uroot
 * await server.close();
 * ```
 */
export class SqliteBackendServer {
  readonly database: SharedDatabase;
  readonly engine: Engine;
  /** `<name>.sqlite` files beside the main database that could not be attached at start. */
  readonly skippedDatabases: readonly SkippedDatabase[];
  private listener: Listener | undefined;
  private readonly connections = new Map<number, ServerConnection>();
  private nextConnectionId = 1;
  readonly startedAt = Date.now();
  private readonly counters = {
    connectionsTotal: 0,
    loginsNative: 0,
    loginsCachingSha2: 0,
    protocolErrors: 0,
  };

  private constructor(private readonly options: SqliteBackendOptions) {
    const maxPacketSize = options.maxPacketSize ?? 64 * 1024 * 1024;
    const server = this;
    const facts: ServerFacts = {
      startedAt: this.startedAt,
      get connections() {
        return server.connections.size;
      },
      get connectionsTotal() {
        return server.counters.connectionsTotal;
      },
      get questions() {
        return server.engine.questions;
      },
      kill: (connectionId, onlyQuery) => this.kill(connectionId, onlyQuery),
    };
    const listenAddress = options.listen ?? '127.0.0.1:3307';
    const port =
      typeof listenAddress === 'string'
        ? Number(listenAddress.split(':').pop()) || 0
        : listenAddress.kind === 'tcp'
          ? listenAddress.port
          : 0;
    const location = options.database ?? ':memory:';
    const globals = defaultVariables({
      serverVersion: options.serverVersion ?? DEFAULT_SERVER_VERSION,
      sqliteVersion: '',
      maxAllowedPacket: maxPacketSize,
      port,
      hostname: hostname(),
      database: location,
    });
    this.database = new SharedDatabase(location, globals);
    globals.set('version_comment', `Scale Stack SQLite backend (SQLite ${this.database.sqliteVersion})`);
    if (options.tls) globals.set('have_ssl', 'YES');
    if (options.authPlugin) globals.set('default_authentication_plugin', options.authPlugin);
    globals.set('connect_timeout', BigInt(Math.ceil((options.loginTimeout ?? DEFAULT_LOGIN_TIMEOUT) / 1000)));
    this.skippedDatabases = attachDatabaseFiles(this.database);
    this.engine = new Engine(this.database, facts, {
      maxResultSize: options.maxResultSize ?? defaultMaxResultSize(),
    });
  }

  /** Opens the database and starts listening. */
  static async start(options: SqliteBackendOptions = {}): Promise<SqliteBackendServer> {
    const server = new SqliteBackendServer(options);
    try {
      await server.listen();
    } catch (err) {
      server.database.close();
      throw err;
    }
    return server;
  }

  private async listen(): Promise<void> {
    const o = this.options;
    const users = new Map<string, Credentials>();
    for (const u of o.users ?? [{ name: 'root', password: '' }]) {
      users.set(
        u.name,
        u.password === '' ? { plaintext: '' } : { ...credentialsFor(u.password), plaintext: u.password },
      );
    }
    const settings = {
      engine: this.engine,
      lookup: (user: string) => users.get(user),
      serverVersion: o.serverVersion ?? DEFAULT_SERVER_VERSION,
      authPlugin: o.authPlugin ?? 'caching_sha2_password',
      tls: o.tls,
      maxPacketSize: o.maxPacketSize ?? 64 * 1024 * 1024,
      loginTimeout: o.loginTimeout ?? DEFAULT_LOGIN_TIMEOUT,
      maxStatements: o.maxPreparedStatements ?? 16382,
      onProtocolError: (err: Error, peer: string) => {
        this.counters.protocolErrors++;
        o.onProtocolError?.(err, peer);
      },
      onAuthenticated: (_session: unknown, plugin: ServerAuthPlugin) => {
        if (plugin === 'mysql_native_password') this.counters.loginsNative++;
        else this.counters.loginsCachingSha2++;
      },
      kill: (id: number, onlyQuery: boolean) => this.kill(id, onlyQuery),
    } satisfies import('./protocol/connection.js').ConnectionSettings;
    const onConnection = (conn: Connection) => {
      const id = this.nextConnectionId++;
      this.counters.connectionsTotal++;
      const sc = new ServerConnection(conn, settings, id);
      this.connections.set(id, sc);
      void conn.closed.then(() => this.connections.delete(id));
    };
    const listenWith = o.listenWith ?? listen;
    this.listener = await listenWith(o.listen ?? '127.0.0.1:3307', onConnection, o.listenOptions ?? {});
  }

  private kill(connectionId: number, onlyQuery: boolean): boolean {
    const c = this.connections.get(connectionId);
    if (onlyQuery) c?.interrupt();
    else c?.kill();
    return c !== undefined;
  }

  /** Where the server listens (the real port when 0 was asked for). */
  get address(): Address {
    if (this.listener === undefined) throw new Error('sqlite-backend: not listening');
    return this.listener.address;
  }

  get stats(): SqliteBackendStats {
    return { connections: this.connections.size, questions: this.engine.questions, ...this.counters };
  }

  /** Stops accepting connections; open ones carry on. */
  async stopAccepting(): Promise<void> {
    await this.listener?.close();
  }

  /** Closes every connection and the database. */
  async close(): Promise<void> {
    await this.listener?.closeAll();
    this.database.close();
  }
}
