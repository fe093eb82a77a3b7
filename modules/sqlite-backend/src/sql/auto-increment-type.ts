/**
 * The type MySQL's CREATE TABLE declared for its AUTO_INCREMENT column. SQLite numbers rows only
 * in a column declared exactly `INTEGER` (create-table.ts), so the declared `bigint(20) unsigned`
 * is kept in a comment after it in the stored text, `INTEGER /* mysql type: bigint(20) unsigned
 * *\/`, for DESCRIBE, information_schema.COLUMNS and SHOW CREATE TABLE to show as MariaDB does
 * (SQLAlchemy and Sequelize read an id column's type from them).
 */
const MARK = /\/\* mysql type: ([^*]+) \*\//;

/** The comment that keeps `type` (as written, spaces collapsed). */
export function declaredTypeComment(type: string): string {
  return `/* mysql type: ${type.replace(/\s+/g, ' ').replaceAll('*', '')} */`;
}

/** The type a stored CREATE TABLE (or a column's text) declared for its AUTO_INCREMENT column. */
export function declaredAutoIncrementType(stored: string): string | undefined {
  return MARK.exec(stored)?.[1];
}
