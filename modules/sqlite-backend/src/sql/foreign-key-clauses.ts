import { identifierValue, isName, keyword } from './lexer.js';
import { tableEntries } from './table-entries.js';

/** One foreign key of a stored CREATE TABLE, in the order the text declares them. */
export interface ForeignKeyClause {
  /** Its `CONSTRAINT` name, or MySQL's `<table>_ibfk_<n>` for one declared without. */
  name: string;
  /** Declared with a name of its own. */
  named: boolean;
  /** A table-level `FOREIGN KEY (…) REFERENCES …` (not a column's `REFERENCES`). */
  tableLevel: boolean;
  /** Where its entry of the column list starts and ends in the text (table-level ones). */
  start: number;
  end: number;
  /** Where the comma before the entry is (-1 for the first entry). */
  commaBefore: number;
  /** Where a name goes for one declared without: the entry's start, or its column's REFERENCES. */
  nameAt: number;
}

/**
 * The foreign keys of `createSql`, SQLite's stored CREATE TABLE text (no backslash escapes), in
 * declaration order — SQLite's `pragma_foreign_key_list` numbers them the other way round. A key
 * without a name is named as MySQL names it: `<table>_ibfk_<n>`, `n` counting those keys from 1.
 */
export function foreignKeyClauses(createSql: string, table: string): ForeignKeyClause[] {
  const { tokens, entries } = tableEntries(createSql);
  const out: ForeignKeyClause[] = [];
  let unnamed = 0;
  for (const { from: entry, to: endIndex, commaBefore } of entries) {
    let name: string | undefined;
    let i = entry;
    if (keyword(createSql, tokens[entry]) === 'CONSTRAINT' && isName(tokens[i + 1])) {
      name = identifierValue(createSql, tokens[i + 1]!);
      i += 2;
    }
    const tableLevel = keyword(createSql, tokens[i]) === 'FOREIGN';
    let references = tableLevel;
    let nameAt = tokens[entry]!.start;
    if (!tableLevel) {
      // A column's own `[CONSTRAINT c] REFERENCES r (…)`; a name belongs to that clause only.
      name = undefined;
      for (let j = entry; j < endIndex; j++) {
        if (keyword(createSql, tokens[j]) !== 'REFERENCES') continue;
        references = true;
        nameAt = tokens[j]!.start;
        if (keyword(createSql, tokens[j - 2]) === 'CONSTRAINT')
          name = identifierValue(createSql, tokens[j - 1]!);
        break;
      }
    }
    if (!references) continue;
    out.push({
      name: name ?? `${table}_ibfk_${++unnamed}`,
      named: name !== undefined,
      tableLevel,
      start: tokens[entry]!.start,
      end: tokens[endIndex - 1]!.end,
      commaBefore,
      nameAt,
    });
  }
  return out;
}
