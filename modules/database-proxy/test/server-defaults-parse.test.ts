/** Reading the servers' BEGIN / COMMIT defaults (server-defaults.ts), MariaDB's and MySQL's forms. */
import { describe, expect, it } from 'vitest';
import { lazyBeginBlocker, parseServerDefaults, STOCK_DEFAULTS } from '../src/backend/server-defaults.js';

describe('parseServerDefaults', () => {
  it('reads MariaDB 10.11 rows (tx_read_only, named completion type)', () => {
    const d = parseServerDefaults([
      ['completion_type', 'CHAIN'],
      ['sql_mode', 'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO'],
      ['tx_read_only', 'ON'],
    ]);
    expect(d).toEqual({
      completionType: 'CHAIN',
      sqlMode: 'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO',
      readOnly: true,
      autocommit: true,
      serverReadOnly: false,
    });
    expect(parseServerDefaults([['autocommit', 'OFF']]).autocommit).toBe(false);
    // The server's own read_only (a replica) is not a transaction's.
    expect(parseServerDefaults([['read_only', 'ON']])).toEqual({ ...STOCK_DEFAULTS, serverReadOnly: true });
    expect(parseServerDefaults([['read_only', 'OFF']]).serverReadOnly).toBe(false);
  });

  it('normalises numeric completion types and MySQL 8 transaction_read_only', () => {
    expect(parseServerDefaults([['completion_type', '2']]).completionType).toBe('RELEASE');
    expect(parseServerDefaults([['completion_type', '0']]).completionType).toBe('NO_CHAIN');
    expect(parseServerDefaults([['transaction_read_only', '1']]).readOnly).toBe(true);
    expect(parseServerDefaults([['transaction_read_only', 'OFF']]).readOnly).toBe(false);
  });

  it('keeps the stock value for what the server did not report', () => {
    expect(parseServerDefaults([])).toEqual(STOCK_DEFAULTS);
    expect(parseServerDefaults([['sql_mode', null]])).toEqual(STOCK_DEFAULTS);
  });
});

describe('lazyBeginBlocker', () => {
  it('allows stock settings and ordinary sql modes', () => {
    expect(lazyBeginBlocker(STOCK_DEFAULTS)).toBeUndefined();
    expect(lazyBeginBlocker({ ...STOCK_DEFAULTS, sqlMode: 'ANSI_QUOTES,NO_ORACLE_LIKE' })).toBeUndefined();
  });

  it('names each setting that changes BEGIN / COMMIT', () => {
    expect(lazyBeginBlocker({ ...STOCK_DEFAULTS, completionType: 'CHAIN' })).toBe('completion_type is CHAIN');
    expect(lazyBeginBlocker({ ...STOCK_DEFAULTS, completionType: 'RELEASE' })).toBe(
      'completion_type is RELEASE',
    );
    expect(lazyBeginBlocker({ ...STOCK_DEFAULTS, sqlMode: 'PIPES_AS_CONCAT,ORACLE,NO_KEY_OPTIONS' })).toBe(
      'sql_mode includes ORACLE',
    );
    expect(lazyBeginBlocker({ ...STOCK_DEFAULTS, readOnly: true })).toBe(
      'transactions are read only by default',
    );
  });
});
