/**
 * The replayable part of a MySQL session: default schema and the system variables a client
 * changed. Each client has one (what it expects), each backend connection has one (what it
 * has); before a statement runs on a backend, the difference is applied.
 *
 * Values come from the server's session-state tracking (SESSION_TRACK_SYSTEM_VARIABLES with
 * `session_track_system_variables='*'`), so anything the server reports can be replayed —
 * including variables the proxy has never heard of (wait_timeout, long_query_time, …).
 */

/** Variables that must not move between connections: a client that sets one is pinned. */
const UNREPLAYABLE = new Set([
  'sql_log_bin',
  'pseudo_thread_id',
  'pseudo_slave_mode',
  'insert_id',
  'last_insert_id',
  'identity',
  'timestamp',
  'rand_seed1',
  'rand_seed2',
  'gtid_seq_no',
  'gtid_domain_id',
  'server_id',
  'session_track_system_variables',
  'session_track_schema',
  'session_track_state_change',
  'session_track_transaction_info',
  'session_track_gtids',
  // SHOW PROFILES lists the statements the connection ran while it was on: a history of its
  // own, with other clients' SQL in it on a shared connection.
  'profiling',
  // Likewise information_schema.OPTIMIZER_TRACE: the connection's last trace, SQL text and
  // literals in it, readable there by whoever comes next, tracing on or not.
  'optimizer_trace',
  // With it on, `WHERE auto_increment_column IS NULL` reads the connection's last insert id,
  // which no text marks as such.
  'sql_auto_is_null',
]);

/**
 * Not a server variable: set in a state when its `character_set_results` was last set by name
 * (`SET character_set_results = …`, `SET CHARACTER SET`), which gives it that set's default
 * collation; absent, it has the collation a login or the last `SET NAMES` gave it (see
 * namesClause). Tracking reports the name only.
 */
export const RESULTS_BY_NAME = '\u0000results_by_name';

/** True if a tracked variable may be replayed on another backend connection. */
export function isReplayable(name: string): boolean {
  return !UNREPLAYABLE.has(name);
}

export class SessionState {
  /** Default schema, or null for none. */
  schema: string | null;
  /** Variables changed from the connection's defaults, by lower-case name. */
  readonly variables = new Map<string, string>();
  /**
   * Bumped on every change, so a backend can tell in O(1) that it already holds this state
   * (the common case: nothing changed since the client's last statement on it).
   */
  version = 0;

  constructor(schema: string | null = null) {
    this.schema = schema;
  }

  setSchema(schema: string | null): void {
    if (schema !== this.schema) {
      this.schema = schema;
      this.version++;
    }
  }

  setVariable(name: string, value: string): void {
    const key = name.toLowerCase();
    if (this.variables.get(key) !== value) {
      this.variables.set(key, value);
      this.version++;
    }
  }

  deleteVariable(name: string): void {
    if (this.variables.delete(name.toLowerCase())) this.version++;
  }

  /** Forget every change (COM_RESET_CONNECTION, COM_CHANGE_USER). */
  reset(schema: string | null): void {
    this.variables.clear();
    this.schema = schema;
    this.version++;
  }

  /** Makes this state equal to `other` (after a backend applied it). */
  copyFrom(other: SessionState): void {
    this.variables.clear();
    for (const [k, v] of other.variables) this.variables.set(k, v);
    this.schema = other.schema;
    this.version++;
  }

  /** True when both hold the same schema and variables. */
  equals(other: SessionState): boolean {
    if (this.schema !== other.schema || this.variables.size !== other.variables.size) return false;
    for (const [k, v] of this.variables) if (other.variables.get(k) !== v) return false;
    return true;
  }
}

/** What must run on a backend so that its state matches a client's. */
export interface StateSync {
  /** COM_INIT_DB to this schema first, if set. */
  schema?: string;
  /** One `SET` statement for every differing variable, if any. */
  setStatement?: string;
}

/**
 * Variables whose value reads as something no SET takes back: NULL reported as '' (a storage
 * engine, a stopword table), system_versioning_asof's DEFAULT (the current time) as 'DEFAULT'.
 */
const NO_VALUE_READINGS = new Map<string, readonly [reading: string, literal: string]>([
  ['default_tmp_storage_engine', ['', 'NULL']],
  ['innodb_ft_user_stopword_table', ['', 'NULL']],
  ['system_versioning_asof', ['DEFAULT', 'DEFAULT']],
]);

/** The literal that sets `name` back to `value` as session tracking reported it. */
function replayLiteral(name: string, value: string): string {
  // Session tracking reports NULL as an empty value; for character sets only NULL is valid
  // (SET character_set_results = NULL is what JDBC drivers send).
  if (value === '' && name.startsWith('character_set_')) return 'NULL';
  const reading = NO_VALUE_READINGS.get(name);
  if (reading !== undefined && value === reading[0]) return reading[1];
  return sqlLiteral(value);
}

/**
 * Computes how to bring `backend` to `client`. Variables the client changed are set to its
 * values; variables the backend holds but the client does not go back to the backend's
 * connect-time value when `baseline` knows it (those the handshake or init_connect set), else
 * to DEFAULT. Character sets go first and collations after them, since setting a collation
 * also sets its character set and the reverse would undo it.
 */
export function planStateSync(
  backend: SessionState,
  client: SessionState,
  baseline?: ReadonlyMap<string, string>,
): StateSync {
  const sync: StateSync = {};
  if (client.schema !== null && client.schema !== backend.schema) sync.schema = client.schema;
  const assignments: [string, string][] = [];
  for (const [name, value] of client.variables) {
    if (backend.variables.get(name) === value || name === RESULTS_BY_NAME) continue;
    const literal = replayLiteral(name, value);
    assignments.push([name, literal]);
  }
  if (client.variables.has(RESULTS_BY_NAME) !== backend.variables.has(RESULTS_BY_NAME)) {
    // The same character set names, another collation behind character_set_results.
    const results = client.variables.get('character_set_results') ?? baseline?.get('character_set_results');
    if (results !== undefined && !assignments.some(([n]) => n === 'character_set_results'))
      assignments.push(['character_set_results', results === '' ? 'NULL' : sqlLiteral(results)]);
  }
  for (const name of backend.variables.keys()) {
    if (client.variables.has(name) || name === RESULTS_BY_NAME) continue;
    const charset = client.variables.get('character_set_connection');
    if (name === 'collation_connection' && charset !== undefined) {
      // The client chose a character set and no collation: its collation is that set's
      // default, which setting the character set (again) gives — the connect-time collation
      // would switch the character set back too.
      if (!assignments.some(([n]) => n === 'character_set_connection'))
        assignments.push(['character_set_connection', sqlLiteral(charset)]);
      continue;
    }
    const initial = baseline?.get(name);
    assignments.push([name, initial === undefined ? 'DEFAULT' : sqlLiteral(initial)]);
    // Back to the connect-time character set: and to the connect-time collation, which need
    // not be that set's default (a client greeting with utf8mb4_unicode_ci).
    const collation = baseline?.get('collation_connection');
    if (
      name === 'character_set_connection' &&
      collation !== undefined &&
      !client.variables.has('collation_connection') &&
      !backend.variables.has('collation_connection')
    )
      assignments.push(['collation_connection', sqlLiteral(collation)]);
  }
  // Setting the connection's character set resets its collation to that set's default: the
  // client's collation goes again after it, even where the backend already had it.
  const collation = client.variables.get('collation_connection');
  if (
    collation !== undefined &&
    assignments.some(([n]) => n === 'character_set_connection') &&
    !assignments.some(([n]) => n === 'collation_connection')
  )
    assignments.push(['collation_connection', sqlLiteral(collation)]);
  if (assignments.length > 0) {
    sync.setStatement = `SET ${setParts(assignments, client, baseline).join(', ')}`;
  }
  return sync;
}

/**
 * The assignments (for a `SET`) that put the connect-time variables back to their
 * connect-time values after a COM_RESET_CONNECTION, character sets as {@link namesClause}.
 */
export function baselineAssignments(baseline: ReadonlyMap<string, string>): string[] {
  const all = [...baseline].map(([n, v]) => [n, sqlLiteral(v)] as [string, string]);
  return setParts(all, new SessionState(null), baseline);
}

/** The parts of a `SET` for `assignments`: `NAMES` first where it applies, then the rest in rank order. */
function setParts(
  assignments: [string, string][],
  client: SessionState,
  baseline: ReadonlyMap<string, string> | undefined,
): string[] {
  const names = namesClause(assignments, client, baseline);
  const rest = names === undefined ? assignments : assignments.filter(([n]) => !NAMES_VARIABLES.has(n));
  rest.sort((a, b) => rank(a[0]) - rank(b[0]));
  const parts = rest.map(([n, v]) => `@@session.\`${n}\` = ${v}`);
  if (names !== undefined) {
    // NAMES set character_set_results too, with its collation: one the client set by name
    // (with that set's default collation) is set by name again after it.
    const results = client.variables.has(RESULTS_BY_NAME)
      ? (client.variables.get('character_set_results') ?? baseline?.get('character_set_results'))
      : undefined;
    if (results !== undefined)
      parts.unshift(`@@session.\`character_set_results\` = ${results === '' ? 'NULL' : sqlLiteral(results)}`);
    parts.unshift(names);
  }
  return parts;
}

/** What `SET NAMES` sets: the three character sets and the connection's collation. */
const NAMES_VARIABLES = new Set([
  'character_set_client',
  'character_set_connection',
  'character_set_results',
  'collation_connection',
]);

/**
 * `NAMES cs [COLLATE c]` for a sync that changes the character sets, when the client's three
 * are one set (as a login or `SET NAMES` leaves them). Setting each variable would not do:
 * `character_set_results` also carries a collation, which result metadata reports — a login
 * or `SET NAMES … COLLATE` gives it the connection's, assigning the set by name its default
 * (a mysql2 client greeting with utf8mb4_unicode_ci saw its string columns as
 * utf8mb4_general_ci after a sync, a `_bin` one lost the BINARY flag). Undefined: assign each.
 */
function namesClause(
  assignments: readonly [string, string][],
  client: SessionState,
  baseline: ReadonlyMap<string, string> | undefined,
): string | undefined {
  // character_set_client carries a collation too: a login or `SET NAMES … COLLATE` gives it
  // the connection's, assigning the set by name its default, and MariaDB reads a prepared
  // statement's string parameters in it (the same set as the connection's: not converted). A
  // parameter and a literal then differ in collation: `? = 'a'` fails with ER 1267,
  // `CONCAT(?, 'a')` takes the set's _bin collation (BINARY flag). So NAMES also when
  // character_set_results was set by name since (setParts sets it again after NAMES).
  const resultsByName = client.variables.has(RESULTS_BY_NAME);
  const changes = resultsByName
    ? assignments.some(([n]) => NAMES_VARIABLES.has(n) && n !== 'character_set_results')
    : assignments.some(([n]) => NAMES_VARIABLES.has(n));
  if (!changes) return undefined;
  const effective = (name: string) => client.variables.get(name) ?? baseline?.get(name);
  const charset = effective('character_set_connection');
  if (
    charset === undefined ||
    charset === '' ||
    effective('character_set_client') !== charset ||
    (!resultsByName && effective('character_set_results') !== charset)
  )
    return undefined;
  // A character set chosen without a collation has its default one; else the client's, or
  // the connect-time one.
  const collation =
    client.variables.get('collation_connection') ??
    (client.variables.has('character_set_connection') ? undefined : baseline?.get('collation_connection'));
  if (collation === undefined) return `NAMES ${sqlLiteral(charset)}`;
  // utf8 and utf8mb3 are one set (MariaDB 10.6+ names both utf8mb3), and so are their collations.
  const family = charset === 'utf8' || charset === 'utf8mb3' ? ['utf8_', 'utf8mb3_'] : [`${charset}_`];
  if (!family.some((prefix) => collation.startsWith(prefix))) return undefined;
  return `NAMES ${sqlLiteral(charset)} COLLATE ${sqlLiteral(collation)}`;
}

function rank(name: string): number {
  if (name.startsWith('character_set')) return 0;
  if (name.startsWith('collation')) return 1;
  return 2;
}

/**
 * Numbers stay bare (integer variables reject quoted values); everything else is a string,
 * written to read the same under any sql_mode the connection has then (its previous client's):
 * a quote doubled, and a backslash — an escape, or itself under NO_BACKSLASH_ESCAPES — as
 * CHAR(92).
 */
export function sqlLiteral(value: string): string {
  if (/^-?\d+(?:\.\d+)?$/.test(value)) return value;
  const quoted = (text: string) => `'${text.replace(/'/g, "''")}'`;
  if (!value.includes('\\')) return quoted(value);
  return `CONCAT(${value.split('\\').map(quoted).join(', CHAR(92 USING utf8mb4), ')})`;
}
