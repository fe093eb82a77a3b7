import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { displayName } from '../src/engine/column-types.js';
import { toMysqlError } from '../src/errors.js';
import { TokenType, tokenize } from '../src/sql/lexer.js';
import { rewrite } from '../src/sql/rewrite.js';

function sqlite(sql: string): string {
  return rewrite(sql, tokenize(sql)).text;
}

describe('lexer', () => {
  it('finds statement ends outside strings, identifiers and comments', () => {
    const sql = 'SELECT \'a;b\', "c;\\"d", `e;f` # x;\n; -- y;\n/* z; */ SELECT 2;';
    const semis = tokenize(sql)
      .filter((t) => t.type === TokenType.Semicolon)
      .map((t) => t.start);
    expect(semis).toEqual([sql.indexOf('\n;') + 1, sql.length - 1]);
  });

  it('never throws and covers the text in order, whatever the input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        const tokens = tokenize(s);
        let prev = 0;
        for (const t of tokens) {
          expect(t.start).toBeGreaterThanOrEqual(prev);
          expect(t.end).toBeGreaterThan(t.start);
          prev = t.end;
        }
        expect(prev).toBeLessThanOrEqual(s.length);
      }),
    );
  });
});

describe('MySQL → SQLite rewriting', () => {
  it('turns MySQL string escapes into SQLite literals', () => {
    expect(sqlite("SELECT 'it\\'s', \"say \\\"hi\\\"\", 'a\\\\b', 'x\\ny'")).toBe(
      "SELECT 'it''s', 'say \"hi\"', 'a\\b', 'x\ny'",
    );
  });

  it('turns variables into function calls whose column names map back', () => {
    const r = rewrite('SELECT @@session.sql_mode, @x', tokenize('SELECT @@session.sql_mode, @x'));
    expect(r.text).toBe("SELECT __sysvar('session.sql_mode'), __uservar('x')");
    expect(displayName("__sysvar('session.sql_mode')", r.names)).toBe('@@session.sql_mode');
    expect(displayName("'it''s'")).toBe("it's");
  });

  it('rewrites the MySQL parts of CREATE TABLE', () => {
    expect(
      sqlite(
        "CREATE TABLE t (id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT, name VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin COMMENT 'n', PRIMARY KEY (id), KEY by_name (name), UNIQUE KEY u (name)) ENGINE=InnoDB AUTO_INCREMENT=5 DEFAULT CHARSET=utf8mb4",
      ),
    ).toBe('CREATE TABLE t (id INTEGER NOT NULL, name VARCHAR(20), PRIMARY KEY (id), UNIQUE (name))');
  });

  it('drops FROM DUAL and FOR UPDATE, and turns INSERT IGNORE into INSERT OR IGNORE', () => {
    expect(sqlite('SELECT 1 FROM DUAL')).toBe('SELECT 1');
    expect(sqlite('SELECT * FROM t WHERE id = 1 FOR UPDATE')).toBe('SELECT * FROM t WHERE id = 1');
    expect(sqlite('INSERT IGNORE INTO t VALUES (1)')).toBe('INSERT OR IGNORE INTO t VALUES (1)');
  });

  it('turns DROP TEMPORARY TABLE into a DROP TABLE of the temp schema only', () => {
    expect(sqlite('DROP TEMPORARY TABLE t')).toBe('DROP TABLE temp.t');
    expect(sqlite('DROP TEMPORARY TABLE IF EXISTS `t`')).toBe('DROP TABLE IF EXISTS temp.`t`');
    expect(sqlite('DROP TEMPORARY TABLE main.t')).toBe('DROP TABLE temp.t');
  });
});

describe('error mapping', () => {
  it('keeps SQLite words where MySQL would need facts SQLite does not give', () => {
    expect(toMysqlError({ message: 'UNIQUE constraint failed: t.v', errcode: 2067 })).toMatchObject({
      errno: 1062,
      sqlState: '23000',
      message: "Duplicate entry for key 't.v' (UNIQUE constraint failed: t.v)",
    });
    expect(toMysqlError({ message: 'database is locked', errcode: 5 })).toMatchObject({
      errno: 1205,
      sqlState: 'HY000',
    });
    expect(toMysqlError({ message: 'something odd', errcode: 1 })).toMatchObject({
      errno: 1105,
      message: 'something odd',
    });
  });
});
