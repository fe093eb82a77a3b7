import { MysqlError } from '../errors.js';
import type { Session } from '../session/session.js';
import { splitScope, type VariableValue } from '../session/variables.js';
import { identifierValue, keyword, stringValue, type Token, TokenType, topLevelList } from '../sql/lexer.js';
import { systemVariableName, userVariableName } from '../sql/rewrite.js';
import type { SqliteValue } from './column-types.js';
import { evaluate } from './evaluate.js';
import { type EngineContext, OK, type Outcome } from './outcome.js';
import { valueHeapBytes } from './result-size.js';

export function toVariableValue(v: SqliteValue): VariableValue {
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  return v;
}

/** A bare word or string on the right of `=` (ON, utf8mb4, 'x') is taken as text. */
function literalWord(sql: string, tokens: readonly Token[], from: number, to: number): string | undefined {
  if (to - from !== 1) return undefined;
  const t = tokens[from]!;
  if (t.type === TokenType.String) return stringValue(sql, t);
  if (t.type === TokenType.QuotedId) return identifierValue(sql, t);
  if (t.type === TokenType.Word && !/^[0-9]/.test(sql[t.start]!)) return sql.slice(t.start, t.end);
  return undefined;
}

function truthy(v: VariableValue): boolean | undefined {
  if (typeof v === 'bigint') return v !== 0n;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') {
    const u = v.toUpperCase();
    if (u === 'ON' || u === 'TRUE' || u === '1') return true;
    if (u === 'OFF' || u === 'FALSE' || u === '0') return false;
  }
  return undefined;
}

function insertIdOf(name: string, value: VariableValue): bigint {
  try {
    return BigInt(typeof value === 'number' ? Math.round(value) : (value ?? 0n));
  } catch {
    throw new MysqlError(1232, `Incorrect argument type to variable '${name}'`, '42000');
  }
}

/**
 * SET in its MySQL forms: `SET NAMES x [COLLATE y]`, `SET CHARACTER SET x`,
 * `SET [GLOBAL|SESSION|LOCAL] var = expr`, `SET @@[scope.]var = expr`, `SET @user = expr`,
 * `SET TRANSACTION …` (accepted: transactions here are always serialisable), several
 * assignments separated by commas. Session variables are remembered per session, including
 * ones this server does not use (clients set many; refusing them would break the client).
 * `autocommit` is applied: turning it on commits an open transaction, as MySQL does.
 */
export function runSet(
  ctx: EngineContext,
  session: Session,
  sql: string,
  tokens: readonly Token[],
  from: number,
  to: number,
): Outcome {
  const first = keyword(sql, tokens[from + 1]);
  if (first === 'TRANSACTION' || keyword(sql, tokens[from + 2]) === 'TRANSACTION') return OK;
  const assignments: (() => void)[] = [];
  for (const [start, end] of topLevelList(sql, tokens, from + 1, to)) {
    assignments.push(parseAssignment(ctx, session, sql, tokens, start, end));
  }
  // Evaluate everything first, so a bad assignment changes nothing (as in MySQL).
  for (const apply of assignments) apply();
  return OK;
}

/**
 * `SET @name = value` (or `@name := value` inside a statement), within max_result_size for the
 * user variables of all sessions together: they stay on the heap as long as their sessions, and
 * (unlike a result) nothing else bounds how many a client may set. Beyond it, ERR 1041 (out of
 * resources) and nothing is set.
 */
export function setUserVariable(
  ctx: EngineContext,
  session: Session,
  name: string,
  value: VariableValue,
): void {
  const before = session.userVariables.get(name);
  const delta = variableBytes(name, value) - (before === undefined ? 0 : variableBytes(name, before));
  const limit = ctx.limits.maxResultSize;
  if (delta > 0 && ctx.database.userVariableBytes + delta > limit)
    throw new MysqlError(
      1041,
      `Out of resources: the user variables of all sessions would take more than max_result_size (${limit} bytes); set smaller values, or raise the sqlite-backend option max_result_size`,
      'HY000',
    );
  session.userVariables.set(name, value);
  session.userVariableBytes += delta;
  ctx.database.userVariableBytes += delta;
}

/** What a user variable takes on the heap: its name, its value and a map entry. */
function variableBytes(name: string, value: VariableValue): number {
  return 64 + 2 * name.length + (value === null ? 0 : valueHeapBytes(value));
}

function parseAssignment(
  ctx: EngineContext,
  session: Session,
  sql: string,
  tokens: readonly Token[],
  start: number,
  end: number,
): () => void {
  if (start >= end)
    throw new MysqlError(1064, 'You have an error in your SQL syntax near SET: empty assignment');
  const k = keyword(sql, tokens[start]);
  if (k === 'NAMES' || k === 'CHARSET' || (k === 'CHARACTER' && keyword(sql, tokens[start + 1]) === 'SET')) {
    const at = k === 'CHARACTER' ? start + 2 : start + 1;
    const charset = tokens[at] ? identifierValue(sql, tokens[at]!).toLowerCase() : '';
    if (charset === '') throw new MysqlError(1064, `You have an error in your SQL syntax near 'SET ${k}'`);
    const collation =
      keyword(sql, tokens[at + 1]) === 'COLLATE' && tokens[at + 2]
        ? identifierValue(sql, tokens[at + 2]!).toLowerCase()
        : undefined;
    return () => {
      const cs = charset === 'default' ? 'utf8mb4' : charset;
      session.variables.set('character_set_client', cs);
      session.variables.set('character_set_results', cs);
      if (k === 'NAMES') {
        session.variables.set('character_set_connection', cs);
        session.variables.set('collation_connection', collation ?? `${cs}_general_ci`);
      }
    };
  }
  let i = start;
  let scope: 'session' | 'global' = 'session';
  let name: string;
  let user = false;
  const t = tokens[i]!;
  if (t.type === TokenType.UserVariable) {
    user = true;
    name = userVariableName(sql, t);
    i++;
  } else if (t.type === TokenType.SystemVariable) {
    const split = splitScope(systemVariableName(sql, t));
    scope = split.scope;
    name = split.name;
    i++;
  } else {
    if (k === 'GLOBAL' || k === 'PERSIST' || k === 'PERSIST_ONLY') {
      scope = 'global';
      i++;
    } else if (k === 'SESSION' || k === 'LOCAL') {
      i++;
    }
    const n = tokens[i];
    if (n === undefined || (n.type !== TokenType.Word && n.type !== TokenType.QuotedId)) {
      throw new MysqlError(1064, 'You have an error in your SQL syntax: SET expects a variable name');
    }
    name = identifierValue(sql, n).toLowerCase();
    i++;
    // `SET var.component = …` (MariaDB structured variables): keep the whole name.
    while (tokens[i] && sql[tokens[i]!.start] === '.' && tokens[i + 1]) {
      name += `.${identifierValue(sql, tokens[i + 1]!).toLowerCase()}`;
      i += 2;
    }
  }
  // `=` or `:=`
  if (tokens[i] && sql[tokens[i]!.start] === ':') i++;
  if (!tokens[i] || sql[tokens[i]!.start] !== '=') {
    throw new MysqlError(1064, `You have an error in your SQL syntax: expected '=' after ${name} in SET`);
  }
  i++;
  if (i >= end)
    throw new MysqlError(1064, `You have an error in your SQL syntax: SET ${name} = has no value`);
  const word = literalWord(sql, tokens, i, end);
  const isDefault =
    word !== undefined && word.toUpperCase() === 'DEFAULT' && tokens[i]!.type === TokenType.Word;
  let value: VariableValue;
  if (isDefault) value = null;
  else if (word !== undefined && !user) value = word;
  else value = toVariableValue(evaluate(ctx, session, sql, tokens, i, end));

  if (user) return () => setUserVariable(ctx, session, name, value);
  if (name === 'last_insert_id' || name === 'identity') {
    // LAST_INSERT_ID() reads the session's id, not a variable: setting it is how the database
    // proxy replays a client's id on another backend connection.
    if (scope === 'global') {
      throw new MysqlError(
        1228,
        `Variable '${name}' is a SESSION variable and can't be used with SET GLOBAL`,
      );
    }
    const id = insertIdOf(name, isDefault ? 0n : value);
    return () => {
      session.lastInsertId = id;
    };
  }
  if (name === 'autocommit') {
    const on = isDefault ? true : truthy(value);
    if (on === undefined) {
      throw new MysqlError(
        1231,
        `Variable 'autocommit' can't be set to the value of '${String(value)}'`,
        '42000',
      );
    }
    return () => {
      if (on && !session.autocommit && session.inTransaction) {
        ctx.database.db.exec('COMMIT');
        ctx.database.settle(session, true);
      }
      session.autocommit = on;
    };
  }
  if (scope === 'global') {
    return () => {
      if (!isDefault) ctx.database.setGlobal(name, value);
    };
  }
  return () => {
    if (isDefault) session.variables.delete(name);
    else session.variables.set(name, value);
  };
}
