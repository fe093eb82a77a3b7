/**
 * The database-proxy option schema. Defaults run the proxy in front of the embedded
 * sqlite-backend with zero setup (`scalestack run sqlite-backend database-proxy`).
 */
import { accessSync, constants } from 'node:fs';
import {
  formatAddress,
  type OptionSpec,
  OptionValueError,
  type OptionValues,
  option,
} from '@scalestack/kernel';
import { parseTenantConfig, QosConfigError } from '@scalestack/qos';
import { checkBackendAccounts, checkUserConfig } from './proxy-users.js';

/** Adds a check to a spec; the check returns what is wrong, or undefined. */
function refine<T>(spec: OptionSpec<T>, check: (value: T) => string | undefined): OptionSpec<T> {
  return {
    ...spec,
    parse(raw, path) {
      const value = spec.parse(raw, path);
      const problem = check(value);
      if (problem !== undefined) throw new OptionValueError(path, raw, `${spec.expected} — ${problem}`);
      return value;
    },
  };
}

/** A path option whose file must be readable now: `scalestack check` then finds a typo too. */
function readableFile(spec: OptionSpec<string | undefined>): OptionSpec<string | undefined> {
  return refine(spec, (path) => {
    if (path === undefined) return undefined;
    try {
      accessSync(path, constants.R_OK);
      return undefined;
    } catch (err) {
      return `cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
    }
  });
}

const user = refine(
  option.object(
    {
      name: option.string(undefined, 'user name clients log in with', { nonEmpty: true }),
      password: option.string(undefined, 'password (plain; prefer native_hash / sha2_hash)').optional(),
      native_hash: option.string(undefined, "mysql_native_password hash, '*' + 40 hex digits").optional(),
      sha2_hash: option
        .string(undefined, 'caching_sha2_password hash: hex of SHA256(SHA256(password))')
        .optional(),
      tenant: option
        .string(
          undefined,
          'QoS tenant of this user (default: default_tenant); one with no tenants entry has the default settings, and a queue of its own',
        )
        .optional(),
      max_connections: option
        .integer(undefined, 'client connections this user may hold', { min: 1 })
        .optional(),
      backend_user: option
        .string(undefined, "backend login for this user (default: the backend's user)")
        .optional(),
      backend_password: option.string(undefined, 'password of backend_user').optional(),
    },
    undefined,
    'a proxy user',
  ),
  (u) => checkUserConfig(u),
);

const backend = option.object(
  {
    name: option.string(undefined, 'name used in logs and metrics (default: the address)').optional(),
    address: option.address(undefined, 'host:port or Unix socket path of the MySQL/MariaDB server'),
    user: option.string(undefined, 'service account the proxy logs in with'),
    password: option.string('', 'password of the service account'),
    pool: option.integer(64, 'N: the most connections the proxy opens to this server', {
      min: 1,
      max: 100_000,
    }),
    tls: option.boolean(false, 'connect with TLS (SSLRequest)'),
    tls_verify: option.boolean(true, "verify the server's certificate when tls is on"),
  },
  undefined,
  'a backend server',
);

const tenant = refine(
  option.object(
    {
      name: option.string(undefined, 'tenant name', { nonEmpty: true }),
      weight: option
        .number(undefined, 'share of contended backend slots relative to other waiting tenants')
        .optional(),
      max_in_flight: option
        .string(
          undefined,
          'backend slots the tenant may hold: a number, a fraction (0.75) or a percentage ("75%")',
        )
        .optional(),
      max_queued: option.integer(undefined, 'requests the tenant may have waiting', { min: 0 }).optional(),
      queue_timeout: option.duration(undefined, 'how long a request may wait for a slot').optional(),
      rate: option
        .object(
          {
            per_second: option.number(undefined, 'average admissions per second'),
            burst: option.number(undefined, 'bucket size').optional(),
          },
          undefined,
          'token bucket rate',
        )
        .optional(),
      priority: option.integer(undefined, 'priority class: higher classes are served first').optional(),
      max_connections: option
        .integer(undefined, 'client connections of the whole tenant (per event thread)', { min: 1 })
        .optional(),
    },
    undefined,
    'a QoS tenant',
  ),
  (t) => {
    try {
      parseTenantConfig(t.name, toTenantConfig(t));
      return undefined;
    } catch (err) {
      return err instanceof QosConfigError ? err.message : String(err);
    }
  },
);

/** A tenant as the schema parses it. */
interface TenantShape {
  name: string;
  weight?: number | undefined;
  max_in_flight?: string | undefined;
  max_queued?: number | undefined;
  queue_timeout?: number | undefined;
  rate?: { per_second: number; burst?: number | undefined } | undefined;
  priority?: number | undefined;
  max_connections?: number | undefined;
}

/** The scheduler's form of a tenant's settings. */
export function toTenantConfig(t: TenantShape): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  if (t.weight !== undefined) raw.weight = t.weight;
  if (t.max_in_flight !== undefined) {
    const n = Number(t.max_in_flight);
    raw.max_in_flight = Number.isFinite(n) && t.max_in_flight.trim() !== '' ? n : t.max_in_flight;
  }
  if (t.max_queued !== undefined) raw.max_queued = t.max_queued;
  if (t.queue_timeout !== undefined) raw.queue_timeout = t.queue_timeout;
  if (t.rate !== undefined)
    raw.rate = t.rate.burst === undefined ? { per_second: t.rate.per_second } : t.rate;
  if (t.priority !== undefined) raw.priority = t.priority;
  if (t.max_connections !== undefined) raw.max_connections = t.max_connections;
  return raw;
}

export const proxyOptions = {
  listen: option.address('127.0.0.1:6033', 'where clients connect (host:port or a Unix socket path)'),
  users: refine(
    option.list(user, [{ name: 'root', password: '' }], 'who may log in at the proxy', {
      min: 1,
      unique: 'name',
    }),
    checkBackendAccounts,
  ),
  backends: refine(
    option.list(
      backend,
      [{ name: 'sqlite', address: '127.0.0.1:3307', user: 'root', password: '', pool: 8 }],
      'backend servers (equivalent: statements go to any of them)',
      { min: 1, unique: 'name' },
    ),
    (list) => {
      // One without a name is named by its address: that name must not be another's too.
      const names = new Set<string>();
      for (const b of list) {
        const name = b.name ?? formatAddress(b.address);
        if (names.has(name))
          return `two backends are named "${name}" (one without a name is named by its address)`;
        names.add(name);
      }
      return undefined;
    },
  ),
  tenants: option.list(tenant, [], 'QoS tenants: weight, caps, queue limits, rate', { unique: 'name' }),
  default_tenant: option.string('default', 'tenant of users that name none'),
  tenant_attribute: option
    .string(
      undefined,
      'connection attribute that may choose the tenant (unset: only the configuration decides)',
    )
    .optional(),
  queue_timeout: option.duration('10s', 'how long a statement waits for a backend (tenants may override)', {
    min: 1,
  }),
  max_queued: option.integer(
    10_000,
    'statements that may wait for a backend per tenant (tenants may override)',
    {
      min: 0,
    },
  ),
  max_connections: option.integer(100_000, 'client connections the listener accepts', { min: 1 }),
  connect_timeout: option.duration(
    '5s',
    "connecting, logging in and setting up a backend connection; also the longest wait for the proxy's own exchanges with a server (idle ping, KILL QUERY, view check, closing an evicted connection)",
    // 0 timed every backend connection out at once, which took every server out of service.
    { min: 1 },
  ),
  // 0 closed every client as soon as it was greeted.
  login_timeout: option.duration('10s', 'how long a client may take to log in at the proxy', { min: 1 }),
  net_write_timeout: option.duration(
    '60s',
    "a client that takes none of a result for this long while its backend waits on it is closed, as by a server's net_write_timeout — the backend connection (held for that result) is let go (0: never)",
  ),
  wait_timeout: option.duration(
    '8h',
    "a client that sends nothing for this long between statements is closed, as by a server's wait_timeout — one left idle in a transaction gives its backend connection back (rolled back) (0: never)",
  ),
  keep_alive: option.duration(
    '60s',
    'TCP keepalive of backend connections: first probe after this much silence (at least 1 s), then one a second as Node sets them, 10 unanswered closing it, so a server gone without a FIN (a crashed host, a partition) is found dead under a pinned session that sends nothing, and that client closed (0: off)',
  ),
  max_lifetime: option.duration(
    '1h',
    'backend connections older than this are replaced when idle (0: never)',
    // An age compared with the clock, never a timer: 30d is fine.
    { timer: false },
  ),
  health_check_interval: option.duration('30s', 'idle backend connections are pinged this often (0: never)'),
  server_failure_limit: option.integer(3, 'consecutive connect failures that take a server out of service', {
    min: 1,
  }),
  server_retry_timeout: option.duration('5s', 'how long a failed server stays out of service'),
  // MySQL's own floor for max_allowed_packet: below it no real client can even log in.
  max_packet_size: option.size('64MiB', 'largest client packet accepted (larger: ERR 1153 and close)', {
    min: 1024,
  }),
  statement_cache_size: option.integer(
    64,
    "prepared statements kept per backend connection (× pool size must stay under the server's max_prepared_stmt_count)",
    { min: 1 },
  ),
  max_prepared_statements: option.integer(
    16382,
    "prepared statements one client connection may hold open (more: ERR 1461, as a server at its max_prepared_stmt_count answers; MariaDB's default for that is 16382)",
    { min: 1 },
  ),
  result_hold: option.duration(
    '100ms',
    "how long a quiet client keeps its backend for the previous statement's results (warnings, ROW_COUNT, FOUND_ROWS)",
  ),
  lazy_begin: option.boolean(
    true,
    "answer a plain BEGIN at the proxy and open it on a backend with the client's next statement (turned off at start for a server whose global sql_mode includes ORACLE, whose completion_type is CHAIN or RELEASE, whose autocommit is off, or whose transactions are read only by default; turn it off for servers that change those later or through init_connect)",
  ),
  pipeline_depth: option.integer(
    32,
    'pure reads (single SELECTs that change nothing) in flight on one backend connection, stacked behind others (1: never stack)',
    { min: 1, max: 4096 },
  ),
  pipeline_connections: option.integer(
    1,
    'backend connections that take pure reads before any read stacks; another is added only when these are pipeline_depth deep (raise it for a server whose cores the reads of one connection cannot keep busy)',
    { min: 1 },
  ),
  view_check_interval: option.duration(
    '30s',
    "how often the backends' views are checked for ones whose SELECT is not a pure read (a stored function in the definition): reads of those never stack or run twice (0: never check; every view reads as its statement text says)",
  ),
  pipeline_stall: option.duration(
    '50ms',
    'a shared connection that finishes nothing for this long takes no more reads; those behind its slow one move elsewhere (0: never checked)',
  ),
  auth_plugin: option.enum(
    ['mysql_native_password', 'caching_sha2_password'],
    'mysql_native_password',
    'authentication plugin offered in the greeting (clients may use either)',
  ),
  tls_key: readableFile(option.string(undefined, 'PEM private key file: enables TLS for clients').optional()),
  tls_cert: readableFile(option.string(undefined, 'PEM certificate file (with tls_key)').optional()),
  stats_interval: option.duration('0', 'log pool and client stats this often (0: never)'),
  shed_delay: option.duration(
    '0',
    'refuse new statements that would wait for a backend (ERR 9006) while event-loop delay exceeds this (0: never)',
  ),
};

export type ProxyOptions = OptionValues<typeof proxyOptions>;
export type TenantOption = ProxyOptions['tenants'][number];
export type BackendOption = ProxyOptions['backends'][number];
