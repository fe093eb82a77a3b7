export { classify, type MysqlStatement } from './engine/classify.js';
export {
  declaredType,
  describeColumns,
  displayName,
  type SqliteColumn,
  type SqliteValue,
} from './engine/column-types.js';
export { SharedDatabase } from './engine/database.js';
export { Engine } from './engine/engine.js';
export { MysqlError, toMysqlError } from './errors.js';
export { default } from './module.js';
export {
  DEFAULT_SERVER_VERSION,
  type SqliteBackendOptions,
  SqliteBackendServer,
  type SqliteBackendStats,
  type SqliteUser,
} from './server.js';
export { type Token, TokenType, tokenize } from './sql/lexer.js';
export { type Rewritten, rewrite } from './sql/rewrite.js';
