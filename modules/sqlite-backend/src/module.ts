import { readFileSync } from 'node:fs';
import { counter, defineModule, formatAddress, gauge, option } from '@scalestack/kernel';
import { SOCKETS } from '@scalestack/socket';
import { DEFAULT_SERVER_VERSION, SqliteBackendServer } from './server.js';

const user = option.object(
  {
    name: option.string(undefined, 'user name', { nonEmpty: true }),
    password: option.string('', 'password (empty: none)'),
  },
  undefined,
  'a user: { name, password }',
);

const tls = option.object(
  {
    key: option.string(undefined, 'path of the private key (PEM)', { nonEmpty: true }),
    cert: option.string(undefined, 'path of the certificate chain (PEM)', { nonEmpty: true }),
  },
  undefined,
  'TLS files: { key, cert }',
);

function readPem(path: string, field: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(
      `module "sqlite-backend", option "tls.${field}": cannot read ${JSON.stringify(path)} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); expected a readable PEM file`,
    );
  }
}

/**
 * The `sqlite-backend` kernel module: a MySQL-protocol server over node:sqlite, the embedded
 * default backend of the database proxy (`scalestack run sqlite-backend database-proxy`).
 */
export default defineModule({
  name: 'sqlite-backend',
  description: 'MySQL-protocol server over node:sqlite (the embedded default backend)',
  requires: ['socket'],
  options: {
    listen: option.address('127.0.0.1:3307', 'where MySQL clients connect (host:port or a Unix socket path)'),
    database: option.string(':memory:', 'SQLite database file, or :memory:', { nonEmpty: true }),
    users: option.list(user, [{ name: 'root', password: '' }], 'who may log in'),
    tls: tls.optional(),
    max_packet_size: option.size('64MiB', 'largest packet accepted (@@max_allowed_packet)', {
      min: 1024,
      max: 1024 * 1024 * 1024,
    }),
    max_result_size: option
      .size(
        undefined,
        'memory one result (and all user variables together) may take before ERR 1104 (default: a quarter of the old generation)',
        {
          min: 1024,
        },
      )
      .optional(),
    login_timeout: option.duration('10s', 'how long a client may take to log in (@@connect_timeout)', {
      min: 1,
    }),
    server_version: option.string(DEFAULT_SERVER_VERSION, 'version announced to clients (@@version)', {
      nonEmpty: true,
    }),
    auth_plugin: option.enum(
      ['caching_sha2_password', 'mysql_native_password'],
      'caching_sha2_password',
      'authentication plugin announced in the greeting (clients may use either)',
    ),
  },
  async start(ctx) {
    const o = ctx.options;
    const sockets = ctx.resolve(SOCKETS);
    const server = await SqliteBackendServer.start({
      listen: o.listen,
      database: o.database,
      users: o.users,
      tls: o.tls ? { key: readPem(o.tls.key, 'key'), cert: readPem(o.tls.cert, 'cert') } : undefined,
      maxPacketSize: o.max_packet_size,
      maxResultSize: o.max_result_size,
      loginTimeout: o.login_timeout,
      serverVersion: o.server_version,
      authPlugin: o.auth_plugin,
      listenWith: (address, onConnection, options) => sockets.listen(address, onConnection, options),
      onProtocolError: (err, peer) =>
        ctx.log.debug({ peer, err: err.message }, 'connection closed after a protocol error'),
    });
    ctx.log.info(
      { address: formatAddress(server.address), database: o.database, sqlite: server.database.sqliteVersion },
      `MySQL protocol on ${formatAddress(server.address)}, SQLite database ${o.database}`,
    );
    for (const { file, reason } of server.skippedDatabases)
      ctx.log.warn({ file, reason }, `${file} is not attached as a database: ${reason}`);
    const removeCollector = ctx.metrics.addCollector(ctx.name, () => {
      const s = server.stats;
      return [
        gauge('sqlite_backend_connections', 'Client connections open', s.connections),
        counter('sqlite_backend_connections_total', 'Client connections accepted', s.connectionsTotal),
        counter('sqlite_backend_statements_total', 'Statements run', s.questions),
        counter('sqlite_backend_logins_total', 'Successful logins by authentication plugin', [
          { labels: { plugin: 'mysql_native_password' }, value: s.loginsNative },
          { labels: { plugin: 'caching_sha2_password' }, value: s.loginsCachingSha2 },
        ]),
        counter(
          'sqlite_backend_protocol_errors_total',
          'Connections closed after a malformed packet',
          s.protocolErrors,
        ),
        gauge(
          'sqlite_backend_lock_waiters',
          "Sessions waiting for another session's transaction",
          server.database.waiting,
        ),
      ];
    });
    ctx.onDrain(() => server.stopAccepting());
    ctx.onStop(async () => {
      removeCollector();
      await server.close();
    });
  },
});
