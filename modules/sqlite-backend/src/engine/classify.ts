import { identifierValue, keyword, type Token, TokenType } from '../sql/lexer.js';

/** Statements this server answers itself instead of handing them to SQLite. */
export type MysqlStatement =
  | 'set'
  | 'use'
  | 'show'
  | 'describe'
  | 'begin'
  | 'commit'
  | 'rollback'
  | 'create-database'
  | 'drop-database'
  | 'no-op'
  | 'do'
  | 'kill';

const DML = new Set([
  'SELECT',
  'INSERT',
  'UPDATE',
  'DELETE',
  'REPLACE',
  'WITH',
  'QUERY',
  'FORMAT',
  'EXTENDED',
  'ANALYZE',
]);

/** Which of our own statements `tokens[i…]` starts, or undefined for SQL that goes to SQLite. */
export function classify(sql: string, tokens: readonly Token[], i: number): MysqlStatement | undefined {
  const k0 = keyword(sql, tokens[i]);
  const k1 = keyword(sql, tokens[i + 1]);
  switch (k0) {
    case 'SET':
      return 'set';
    case 'USE':
      return 'use';
    case 'SHOW':
      return 'show';
    case 'DESCRIBE':
    case 'DESC':
    case 'EXPLAIN':
      return tokens[i + 1] !== undefined && !DML.has(k1) && tokens[i + 1]!.type !== TokenType.Punct
        ? 'describe'
        : undefined;
    case 'BEGIN':
      return 'begin';
    case 'START':
      return k1 === 'TRANSACTION' ? 'begin' : undefined;
    case 'COMMIT':
      return 'commit';
    case 'ROLLBACK': {
      const k2 = keyword(sql, tokens[i + 2]);
      return k1 === 'TO' || (k1 === 'WORK' && k2 === 'TO') ? undefined : 'rollback';
    }
    case 'CREATE':
      return k1 === 'DATABASE' || k1 === 'SCHEMA' ? 'create-database' : undefined;
    case 'DROP':
      return k1 === 'DATABASE' || k1 === 'SCHEMA' ? 'drop-database' : undefined;
    case 'LOCK':
    case 'UNLOCK':
    case 'FLUSH':
      return 'no-op';
    case 'DO':
      return 'do';
    case 'KILL':
      return 'kill';
  }
  return undefined;
}

/**
 * Statements that only read: in autocommit=0 they do not open a transaction (see README).
 * A locking read (`FOR UPDATE`, `FOR SHARE`, `LOCK IN SHARE MODE`) is not one: the client
 * relies on nobody changing the rows before it writes them, so it must hold the database.
 */
export function isReadOnly(sql: string, tokens: readonly Token[], from: number, to: number): boolean {
  const k0 = keyword(sql, tokens[from]);
  if (k0 === 'SELECT' || k0 === 'VALUES' || k0 === 'EXPLAIN') return !hasLockingClause(sql, tokens, from, to);
  if (k0 !== 'WITH') return false;
  for (let i = from + 1; i < to; i++) {
    const k = keyword(sql, tokens[i]);
    if (k === 'INSERT' || k === 'UPDATE' || k === 'DELETE' || k === 'REPLACE') return false;
  }
  return true;
}

function hasLockingClause(sql: string, tokens: readonly Token[], from: number, to: number): boolean {
  for (let i = from + 1; i < to; i++) {
    const k = keyword(sql, tokens[i]);
    const next = keyword(sql, tokens[i + 1]);
    if (k === 'FOR' && (next === 'UPDATE' || next === 'SHARE')) return true;
    if (k === 'LOCK' && next === 'IN' && keyword(sql, tokens[i + 2]) === 'SHARE') return true;
  }
  return false;
}

const CHANGES_ROWS = new Set(['INSERT', 'UPDATE', 'DELETE', 'REPLACE']);

/**
 * INSERT / UPDATE / DELETE / REPLACE (also after WITH): the statements whose OK reports
 * affected rows. SQLite's change count is left over from the last such statement (maybe
 * another session's), so for anything else it means nothing.
 */
export function changesRows(sql: string, tokens: readonly Token[], from: number, to: number): boolean {
  const k0 = keyword(sql, tokens[from]);
  if (CHANGES_ROWS.has(k0)) return true;
  if (k0 !== 'WITH') return false;
  for (let i = from + 1; i < to; i++) if (CHANGES_ROWS.has(keyword(sql, tokens[i]))) return true;
  return false;
}

/** Words between INSERT/REPLACE and the table name (MySQL's and SQLite's). */
const INSERT_MODIFIERS = new Set([
  'LOW_PRIORITY',
  'DELAYED',
  'HIGH_PRIORITY',
  'IGNORE',
  'INTO',
  'OR',
  'REPLACE',
  'ROLLBACK',
  'ABORT',
  'FAIL',
]);

/** The table an INSERT / REPLACE writes to (`[schema.]table`), or undefined for other statements. */
export function insertTarget(
  sql: string,
  tokens: readonly Token[],
  from: number,
): { schema: string | undefined; table: string } | undefined {
  const k0 = keyword(sql, tokens[from]);
  if (k0 !== 'INSERT' && k0 !== 'REPLACE') return undefined;
  let i = from + 1;
  while (INSERT_MODIFIERS.has(keyword(sql, tokens[i]))) i++;
  const first = tokens[i];
  if (first === undefined || (first.type !== TokenType.Word && first.type !== TokenType.QuotedId))
    return undefined;
  const dot = tokens[i + 1];
  const second = tokens[i + 2];
  if (dot !== undefined && sql[dot.start] === '.' && second !== undefined) {
    return { schema: identifierValue(sql, first), table: identifierValue(sql, second) };
  }
  return { schema: undefined, table: identifierValue(sql, first) };
}
