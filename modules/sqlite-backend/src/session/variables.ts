/** A system variable's value: numbers become INTEGER columns, text VARCHAR, null NULL. */
export type VariableValue = bigint | number | string | null;

/** What the defaults depend on. */
export interface VariableContext {
  serverVersion: string;
  sqliteVersion: string;
  maxAllowedPacket: number;
  port: number;
  hostname: string;
  database: string;
}

/**
 * The system variables clients and ORMs read on connect (`@@version_comment`,
 * `@@max_allowed_packet`, `@@session.auto_increment_increment`, the character-set family,
 * `@@transaction_isolation`…), with values that describe this server truthfully where MySQL's
 * meaning applies: transactions are serialised (SERIALIZABLE), names compare case-insensitively
 * (lower_case_table_names=2), text is UTF-8.
 */
export function defaultVariables(c: VariableContext): Map<string, VariableValue> {
  const utf8 = 'utf8mb4';
  const collation = 'utf8mb4_general_ci';
  const entries: [string, VariableValue][] = [
    ['auto_increment_increment', 1n],
    ['auto_increment_offset', 1n],
    ['autocommit', 1n],
    ['big_tables', 0n],
    ['character_set_client', utf8],
    ['character_set_connection', utf8],
    ['character_set_database', utf8],
    ['character_set_filesystem', 'binary'],
    ['character_set_results', utf8],
    ['character_set_server', utf8],
    ['character_set_system', 'utf8mb3'],
    ['collation_connection', collation],
    ['collation_database', collation],
    ['collation_server', collation],
    ['connect_timeout', 10n],
    ['datadir', c.database === ':memory:' ? ':memory:' : c.database],
    ['default_authentication_plugin', 'caching_sha2_password'],
    ['default_storage_engine', 'SQLite'],
    ['default_week_format', 0n],
    ['error_count', 0n],
    ['foreign_key_checks', 1n],
    ['group_concat_max_len', 1024n],
    ['have_ssl', 'DISABLED'],
    ['hostname', c.hostname],
    ['init_connect', ''],
    ['innodb_lock_wait_timeout', 50n],
    ['interactive_timeout', 28800n],
    ['license', 'Apache-2.0'],
    ['lock_wait_timeout', 50n],
    ['lower_case_table_names', 2n],
    ['max_allowed_packet', BigInt(c.maxAllowedPacket)],
    ['max_connections', 151n],
    ['max_execution_time', 0n],
    ['max_prepared_stmt_count', 16382n],
    ['net_buffer_length', 16384n],
    ['net_read_timeout', 30n],
    ['net_write_timeout', 60n],
    ['performance_schema', 0n],
    ['port', BigInt(c.port)],
    ['protocol_version', 10n],
    ['query_cache_size', 0n],
    ['query_cache_type', 'OFF'],
    ['read_only', 0n],
    ['session_track_schema', 'ON'],
    ['session_track_state_change', 'OFF'],
    ['session_track_system_variables', ''],
    ['session_track_transaction_info', 'OFF'],
    ['socket', ''],
    ['sql_auto_is_null', 0n],
    ['sql_mode', 'NO_ENGINE_SUBSTITUTION'],
    // Read and set by the header of every mysqldump.
    ['sql_notes', 1n],
    ['sql_safe_updates', 0n],
    ['sql_select_limit', 18446744073709551615n],
    ['sql_warnings', 0n],
    ['storage_engine', 'SQLite'],
    ['system_time_zone', 'UTC'],
    ['time_zone', 'SYSTEM'],
    ['transaction_isolation', 'SERIALIZABLE'],
    ['transaction_read_only', 0n],
    ['tx_isolation', 'SERIALIZABLE'],
    ['tx_read_only', 0n],
    ['unique_checks', 1n],
    ['version', c.serverVersion],
    ['version_comment', `Scale Stack SQLite backend (SQLite ${c.sqliteVersion})`],
    ['version_compile_machine', process.arch],
    ['version_compile_os', process.platform],
    ['wait_timeout', 28800n],
    ['warning_count', 0n],
  ];
  return new Map(entries);
}

/** Splits `session.name` / `global.name` / `local.name` into its scope and name. */
export function splitScope(qualified: string): { scope: 'session' | 'global'; name: string } {
  const dot = qualified.indexOf('.');
  if (dot > 0) {
    const scope = qualified.slice(0, dot);
    if (scope === 'global') return { scope: 'global', name: qualified.slice(dot + 1) };
    if (scope === 'session' || scope === 'local') return { scope: 'session', name: qualified.slice(dot + 1) };
  }
  return { scope: 'session', name: qualified };
}

/** The variable's value as MySQL's `SHOW VARIABLES` prints it. */
export function variableText(value: VariableValue): string {
  if (value === null) return '';
  return typeof value === 'string' ? value : String(value);
}
