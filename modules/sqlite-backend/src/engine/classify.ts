import { keyword, type Token, TokenType } from '../sql/lexer.js';

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
  | 'do';

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
  }
  return undefined;
}

/** Statements that only read: in autocommit=0 they do not open a transaction (see README). */
export function isReadOnly(sql: string, tokens: readonly Token[], from: number, to: number): boolean {
  const k0 = keyword(sql, tokens[from]);
  if (k0 === 'SELECT' || k0 === 'VALUES' || k0 === 'EXPLAIN') return true;
  if (k0 !== 'WITH') return false;
  for (let i = from + 1; i < to; i++) {
    const k = keyword(sql, tokens[i]);
    if (k === 'INSERT' || k === 'UPDATE' || k === 'DELETE' || k === 'REPLACE') return false;
  }
  return true;
}

/** INSERT / REPLACE: the statements whose OK reports the new row's id. */
export function isInsert(sql: string, tokens: readonly Token[], from: number): boolean {
  const k0 = keyword(sql, tokens[from]);
  return k0 === 'INSERT' || k0 === 'REPLACE';
}
