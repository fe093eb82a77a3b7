/** Which variables a text's `SET STATEMENT … FOR` sets for its statement only (no server needed). */
import { describe, expect, it } from 'vitest';
import { statementScopedVariables } from '../src/session/set-statement.js';

const scoped = (sql: string, noBackslashEscapes = false) => {
  const r = statementScopedVariables(sql, noBackslashEscapes);
  return r === undefined ? undefined : { names: [...r.names].sort(), alone: r.alone };
};

describe('statementScopedVariables', () => {
  it.each([
    ['SET STATEMENT max_statement_time=5 FOR SELECT 1', ['max_statement_time']],
    [
      '  set statement Sort_Buffer_Size = 1024, sql_select_limit=1 for update t set a = 1',
      ['sort_buffer_size', 'sql_select_limit'],
    ],
    ['SET STATEMENT `lock_wait_timeout` = 3 FOR DO 1', ['lock_wait_timeout']],
    [
      'SET STATEMENT @@session.sql_mode = "", @@long_query_time = 2 FOR DO 1',
      ['long_query_time', 'sql_mode'],
    ],
    // Commas and FOR inside parentheses and strings are not the list's.
    [
      "SET STATEMENT sql_mode = CONCAT('a,b', 'FOR'), div_precision_increment = GREATEST(1, 2) FOR DO 1",
      ['div_precision_increment', 'sql_mode'],
    ],
    ['/* c */ SET STATEMENT sql_select_limit = (SELECT 1 FOR UPDATE) FOR SELECT 2', ['sql_select_limit']],
    // Comments anywhere, and MariaDB's executable comments, six version digits and all.
    ['SET /* x */ STATEMENT /* y */ sql_select_limit /* z */ = 3 /* w */ FOR DO 1', ['sql_select_limit']],
    ['SET STATEMENT /* a */ `max_statement_time` # b\n = 1 FOR DO 1', ['max_statement_time']],
    ['/*!100000 SET STATEMENT sql_select_limit=3 FOR */ DO 1', ['sql_select_limit']],
  ])('%s', (sql, names) => {
    expect(scoped(sql)).toEqual({ names, alone: true });
  });

  it('is undefined for a text with no SET STATEMENT', () => {
    for (const sql of [
      'SET sql_select_limit = 1',
      "SELECT 'SET STATEMENT x=1 FOR DO 1'",
      'DO 1; SET @a = 1',
      'SET statement_x = 1',
    ]) {
      expect(scoped(sql)).toBeUndefined();
    }
  });

  it('says when other statements stand beside it', () => {
    expect(scoped('SET STATEMENT sql_select_limit = 5 FOR DO 1; SET sql_select_limit = 2')).toEqual({
      names: ['sql_select_limit'],
      alone: false,
    });
    expect(scoped('SET STATEMENT sql_select_limit = 5 FOR DO 1;')).toEqual({
      names: ['sql_select_limit'],
      alone: true,
    });
    expect(scoped("DO ';'; SET STATEMENT lock_wait_timeout = 1 FOR DO 1")).toEqual({
      names: ['lock_wait_timeout'],
      alone: false,
    });
  });

  it('reads strings as the sql_mode reads them', () => {
    // With backslash escapes, \' does not end the string; without them, it does.
    expect(scoped("SET STATEMENT sql_mode = 'a\\', lock_wait_timeout = 2 FOR DO 1")).toEqual({
      names: ['sql_mode'],
      alone: true,
    });
    expect(scoped("SET STATEMENT sql_mode = 'a\\', lock_wait_timeout = 2 FOR DO 1", true)).toEqual({
      names: ['lock_wait_timeout', 'sql_mode'],
      alone: true,
    });
  });
});
