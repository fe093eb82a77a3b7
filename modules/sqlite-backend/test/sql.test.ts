import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dropTemporaryTables, temporaryCreate } from '../src/engine/classify.js';
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
    ).toBe(
      'CREATE TABLE t (id INTEGER /* mysql type: BIGINT UNSIGNED */ NOT NULL PRIMARY KEY AUTOINCREMENT, name VARCHAR(20))',
    );
  });

  it("makes a CREATE TABLE's KEY, INDEX and UNIQUE entries named indexes of their own, per table", () => {
    const sql =
      'CREATE TABLE t (a INT, b VARCHAR(20), KEY by_b (b(10)), UNIQUE KEY u (a, b), CONSTRAINT c UNIQUE (b), INDEX (a) USING BTREE)';
    const r = rewrite(sql, tokenize(sql), 0, tokenize(sql).length, {
      schema: 'main',
      isTemporary: () => false,
    });
    expect(r.text).toBe('CREATE TABLE `main`.t (a INT, b VARCHAR(20))');
    expect(r.indexes).toEqual([
      'CREATE INDEX IF NOT EXISTS `main`.`t.by_b` ON `t` (`b`)',
      'CREATE UNIQUE INDEX IF NOT EXISTS `main`.`t.u` ON `t` (`a`, `b`)',
      'CREATE UNIQUE INDEX IF NOT EXISTS `main`.`t.c` ON `t` (`b`)',
      'CREATE INDEX IF NOT EXISTS `main`.`t.a` ON `t` (`a`)',
    ]);
  });

  it('drops FROM DUAL and FOR UPDATE, and turns INSERT IGNORE into INSERT OR IGNORE', () => {
    expect(sqlite('SELECT 1 FROM DUAL')).toBe('SELECT 1');
    expect(sqlite('SELECT * FROM t WHERE id = 1 FOR UPDATE')).toBe('SELECT * FROM t WHERE id = 1');
    expect(sqlite('INSERT IGNORE INTO t VALUES (1)')).toBe('INSERT OR IGNORE INTO t VALUES (1)');
  });

  it('drops scheduling hints (the MariaDB primer’s SELECT HIGH_PRIORITY), not a quoted name', () => {
    expect(sqlite('SELECT HIGH_PRIORITY isbn FROM books')).toBe('SELECT isbn FROM books');
    expect(sqlite('INSERT DELAYED INTO t VALUES (1)')).toBe('INSERT INTO t VALUES (1)');
    expect(sqlite('UPDATE LOW_PRIORITY t SET a = 1')).toBe('UPDATE t SET a = 1');
    expect(sqlite('SELECT SQL_SMALL_RESULT a FROM t')).toBe('SELECT a FROM t');
    expect(sqlite('SELECT `high_priority` FROM t')).toBe('SELECT `high_priority` FROM t');
    expect(sqlite('SELECT t.delayed FROM t')).toBe('SELECT t.delayed FROM t');
    expect(sqlite('INSERT LOW_PRIORITY IGNORE INTO t VALUES (1)')).toBe('INSERT OR IGNORE INTO t VALUES (1)');
  });

  it('sends `/` as a division of reals, and names the column as written', () => {
    expect(sqlite('SELECT a / 2, -7/2')).toBe('SELECT a *1e0/ 2, -7*1e0/2');
    expect(displayName('a *1e0/ 2')).toBe('a / 2');
    expect(
      displayName(
        "DATE_ADD('2024-01-01', 7*1e0/2 , 'DAY')",
        new Map([["DATE_ADD('2024-01-01', 7*1e0/2 , 'DAY')", "DATE_ADD('2024-01-01', INTERVAL 7/2 DAY)"]]),
      ),
    ).toBe("DATE_ADD('2024-01-01', INTERVAL 7/2 DAY)");
  });
});

describe('function syntax', () => {
  it('turns INTERVAL, unit keywords and EXTRACT … FROM into plain arguments', () => {
    expect(
      sqlite('SELECT DATE_ADD(d, INTERVAL 1 DAY), date_sub(d, interval (n + 1) hour_minute) FROM t'),
    ).toBe("SELECT DATE_ADD(d, 1 , 'DAY'), date_sub(d, (n + 1) , 'HOUR_MINUTE') FROM t");
    expect(sqlite('SELECT TIMESTAMPDIFF(MONTH, a, b), EXTRACT(YEAR_MONTH FROM d)')).toBe(
      "SELECT TIMESTAMPDIFF('MONTH', a, b), EXTRACT('YEAR_MONTH' , d)",
    );
  });

  it('makes calls of bare niladic functions and of CURRENT_TIMESTAMP(n), but not of a column default', () => {
    expect(sqlite('SELECT CURRENT_USER, LOCALTIME, CURRENT_TIMESTAMP(3), CURRENT_TIMESTAMP')).toBe(
      'SELECT CURRENT_USER(), LOCALTIME(), NOW(3), CURRENT_TIMESTAMP',
    );
    expect(sqlite('CREATE TABLE t (a DATETIME DEFAULT CURRENT_TIMESTAMP)')).toBe(
      'CREATE TABLE t (a DATETIME DEFAULT CURRENT_TIMESTAMP)',
    );
  });

  it('leaves what only looks like it alone', () => {
    for (const sql of [
      'SELECT interval_days, DATE_ADD(d, n) FROM t',
      'SELECT DATE_ADD(d, INTERVAL 1 FORTNIGHT), t.CURRENT_USER, EXTRACT(d)',
      "SELECT 'DATE_ADD(d, INTERVAL 1 DAY)'",
    ])
      expect(sqlite(sql)).toBe(sql);
  });

  it('names a column after a rewritten call as the client wrote it', () => {
    const sql = "SELECT DATE_ADD('2024-05-06', INTERVAL 1 DAY), YEAR(CURRENT_TIMESTAMP(2))";
    const r = rewrite(sql, tokenize(sql));
    expect(displayName("DATE_ADD('2024-05-06', 1 , 'DAY')", r.names)).toBe(
      "DATE_ADD('2024-05-06', INTERVAL 1 DAY)",
    );
    expect(displayName('YEAR(NOW(2))', r.names)).toBe('YEAR(CURRENT_TIMESTAMP(2))');
  });
});

describe('temporary tables', () => {
  function dropped(sql: string) {
    const tokens = tokenize(sql);
    return dropTemporaryTables(sql, tokens, 0, tokens.length);
  }
  function created(sql: string) {
    return temporaryCreate(sql, tokenize(sql), 0);
  }

  it('reads every name DROP TEMPORARY TABLE lists', () => {
    expect(dropped('DROP TEMPORARY TABLE t')).toEqual({
      ifExists: false,
      tables: [{ schema: undefined, name: 't' }],
    });
    expect(dropped('DROP TEMPORARY TABLES IF EXISTS `a b`, main.t2 , c CASCADE')).toEqual({
      ifExists: true,
      tables: [
        { schema: undefined, name: 'a b' },
        { schema: 'main', name: 't2' },
        { schema: undefined, name: 'c' },
      ],
    });
    for (const bad of ['DROP TEMPORARY TABLE', 'DROP TEMPORARY TABLE t,', 'DROP TEMPORARY TABLE t u']) {
      expect(() => dropped(bad)).toThrow(expect.objectContaining({ errno: 1064 }));
    }
  });

  it('tells what a CREATE makes in the temp schema', () => {
    expect(created('CREATE TEMPORARY TABLE IF NOT EXISTS `T` (a INT)')).toEqual({ type: 'table', name: 'T' });
    expect(created('CREATE TABLE IF NOT EXISTS TEMP.t (a INT)')).toEqual({ type: 'table', name: 't' });
    expect(created('CREATE TEMP VIEW v AS SELECT 1')).toEqual({ type: 'view', name: 'v' });
    expect(created('CREATE TEMP TRIGGER IF NOT EXISTS g AFTER INSERT ON t BEGIN SELECT 1; END')).toEqual({
      type: 'trigger',
      name: 'g',
    });
    expect(created('CREATE TABLE t (a INT)')).toBeUndefined();
    expect(created('CREATE TABLE main.t (a INT)')).toBeUndefined();
    expect(created('CREATE INDEX i ON t (a)')).toBeUndefined();
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
