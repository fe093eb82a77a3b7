import type { ColumnDefinition, SqlValue } from '@scalestack/mysql-protocol';
import type { Session } from '../session/session.js';
import type { NameResolution } from '../sql/qualify.js';
import type { SharedDatabase } from './database.js';

/** What one statement produced: an OK or a result set. */
export type Outcome =
  | { kind: 'ok'; affectedRows: number; lastInsertId: bigint; info?: string }
  | { kind: 'rows'; columns: ColumnDefinition[]; rows: SqlValue[][] };

export const OK: Outcome = { kind: 'ok', affectedRows: 0, lastInsertId: 0n };

/** What statements about the server itself (SHOW STATUS, SHOW PROCESSLIST, KILL) need. */
export interface ServerFacts {
  readonly startedAt: number;
  readonly connections: number;
  readonly connectionsTotal: number;
  readonly questions: number;
  /**
   * Ends connection `connectionId` (rolling back its transaction), or with `onlyQuery` just the
   * command it is waiting to run; false when there is no such connection.
   */
  kill(connectionId: number, onlyQuery: boolean): boolean;
}

/** Everything a statement handler may use. */
export interface EngineContext {
  readonly database: SharedDatabase;
  readonly facts: ServerFacts;
  /** Bytes a result may take on the heap; user variables of all sessions together too. */
  readonly limits: { readonly maxResultSize: number };
  /** How the session's unqualified table names resolve (in its schema). */
  resolution(session: Session): NameResolution;
  /**
   * Runs `steps` (SQLite DDL of one MySQL statement) all or none, in the session's transaction
   * as any statement runs (autocommit: one of its own); what they make in the temp schema is the
   * session's.
   */
  atomically(session: Session, steps: () => void): void;
}
