import { describe, expect, it } from 'vitest';
import { charsetStatementOf, collationLeftBy, resultsSetByName } from '../src/session/charset-statements.js';

const statement = (sql: string) => charsetStatementOf(Buffer.from(`\x03${sql}`, 'latin1'), false, undefined);

describe('collationLeftBy: the collation a SET leaves the connection with', () => {
  it('reads NAMES … COLLATE, bare or quoted, for the set the server reported', () => {
    expect(collationLeftBy(statement('SET NAMES latin1 COLLATE latin1_bin'), 'latin1')).toBe('latin1_bin');
    expect(collationLeftBy(statement("SET NAMES 'latin1' COLLATE 'Latin1_Swedish_CI'"), 'latin1')).toBe(
      'latin1_swedish_ci',
    );
  });

  it('gives the default collation (undefined) without COLLATE, with COLLATE DEFAULT or NAMES DEFAULT', () => {
    expect(collationLeftBy(statement('SET NAMES latin1'), 'latin1')).toBeUndefined();
    expect(collationLeftBy(statement('SET NAMES latin1 COLLATE DEFAULT'), 'latin1')).toBeUndefined();
    expect(collationLeftBy(statement('SET NAMES DEFAULT'), 'latin1')).toBeUndefined();
  });

  it('takes the last setter: an assignment of the set after NAMES gives its default collation', () => {
    const text = 'SET NAMES latin1 COLLATE latin1_bin, character_set_connection = latin1';
    expect(collationLeftBy(statement(text), 'latin1')).toBeUndefined();
    const names = 'SET character_set_connection = latin1, NAMES latin1 COLLATE latin1_bin';
    expect(collationLeftBy(statement(names), 'latin1')).toBe('latin1_bin');
  });

  it('skips a NAMES naming another set than the one reported (it failed; the one before stands)', () => {
    const text = 'SET NAMES latin1 COLLATE latin1_bin; SET NAMES nosuchset';
    expect(collationLeftBy(statement(text), 'latin1')).toBe('latin1_bin');
  });

  it('names utf8 and its collations as the server reports them (utf8mb3)', () => {
    expect(collationLeftBy(statement('SET NAMES utf8 COLLATE utf8_bin'), 'utf8mb3')).toBe('utf8mb3_bin');
  });

  it('ignores NAMES in a string, a comment or outside a SET', () => {
    expect(
      collationLeftBy(statement("SELECT 'SET NAMES latin1 COLLATE latin1_bin'"), 'latin1'),
    ).toBeUndefined();
    expect(
      collationLeftBy(statement('SET /* NAMES latin1 COLLATE latin1_bin */ @a = 1'), 'latin1'),
    ).toBeUndefined();
    expect(collationLeftBy(statement('SELECT 1 AS NAMES'), 'latin1')).toBeUndefined();
  });
});

describe('resultsSetByName: which of NAMES or a by-name setter set character_set_results last', () => {
  it('is true for an assignment or SET CHARACTER SET after NAMES, false for NAMES last', () => {
    expect(resultsSetByName(statement('SET character_set_results = latin1'))).toBe(true);
    expect(resultsSetByName(statement('SET NAMES utf8mb4, CHARACTER SET latin1'))).toBe(true);
    expect(resultsSetByName(statement('SET character_set_results = latin1, NAMES utf8mb4'))).toBe(false);
  });

  it('reads a backquoted name as the name and ignores one in a comment', () => {
    expect(resultsSetByName(statement('SET NAMES utf8mb4, @@session.`character_set_results` = latin1'))).toBe(
      true,
    );
    expect(resultsSetByName(statement('SET NAMES utf8mb4 /* , character_set_results = latin1 */'))).toBe(
      false,
    );
  });
});
