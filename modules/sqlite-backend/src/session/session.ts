import type { ColumnDefinition, PreparedStatementState } from '@scalestack/mysql-protocol';
import type { MysqlStatement } from '../engine/classify.js';
import type { SqliteStatement } from '../engine/engine.js';
import type { Token } from '../sql/lexer.js';
import type { VariableValue } from './variables.js';

/** A prepared statement of one session: run by SQLite, or one of the statements we answer. */
export interface PreparedStatement {
  state: PreparedStatementState;
  /** Column definitions announced at prepare time (the execute's result carries exact ones). */
  columns: ColumnDefinition[];
  sqlite?: SqliteStatement;
  mysql?: { kind: MysqlStatement; sql: string; tokens: Token[]; end: number };
  /**
   * Bytes COM_STMT_SEND_LONG_DATA sent since the last execute or reset; beyond the server's
   * max packet size the data is dropped and the next execute fails.
   */
  longDataBytes?: number;
}

/**
 * What one client connection remembers: who it is, its default schema, autocommit, session
 * system variables (only the ones it changed; the rest come from the server's defaults), user
 * variables, prepared statements and the results functions like LAST_INSERT_ID() report.
 */
export class Session {
  user = '';
  /** The default schema (`DATABASE()`); a SQLite schema name: `main` or an attached one. */
  schema: string | null = 'main';
  autocommit = true;
  multiStatements = false;
  /** The client logged in with CLIENT_INTERACTIVE: its wait_timeout starts at interactive_timeout. */
  interactive = false;
  /** The client logged in with CLIENT_FOUND_ROWS: a row an upsert leaves as it was counts 1, not 0. */
  clientFoundRows = false;
  readonly variables = new Map<string, VariableValue>();
  readonly userVariables = new Map<string, VariableValue>();
  /** What {@link userVariables} take on the heap, counted into SharedDatabase.userVariableBytes. */
  userVariableBytes = 0;
  readonly statements = new Map<number, PreparedStatement>();
  lastInsertId = 0n;
  rowCount = -1n;
  foundRows = 0n;
  /** Set while this session's transaction holds the database. */
  inTransaction = false;

  constructor(
    readonly connectionId: number,
    readonly host: string,
  ) {}

  /** Forgets everything COM_RESET_CONNECTION / COM_CHANGE_USER clear (not the user). */
  reset(): void {
    this.autocommit = true;
    this.variables.clear();
    this.userVariables.clear();
    this.statements.clear();
    this.lastInsertId = 0n;
    this.rowCount = -1n;
    this.foundRows = 0n;
  }
}
