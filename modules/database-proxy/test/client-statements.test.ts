import {
  COM_STMT_EXECUTE,
  COM_STMT_FETCH,
  COM_STMT_RESET,
  SERVER_STATUS_CURSOR_EXISTS as CURSOR_EXISTS,
  SERVER_STATUS_LAST_ROW_SENT as LAST_ROW_SENT,
} from '@scalestack/mysql-protocol';
import { describe, expect, it } from 'vitest';
import {
  bindTypes,
  ClientStatements,
  LAST_PREPARED_ID,
  type NewClientStatement,
  rememberBoundTypes,
} from '../src/frontend/client-statements.js';
import { PIN_BIT } from '../src/session/pin-reason.js';

function statement(params = 0): NewClientStatement {
  return {
    key: 'k',
    vars: '',
    preparePayload: Buffer.from('\x16SELECT ?', 'latin1'),
    params,
    types: undefined,
    traits: 0,
    boundary: undefined,
    schema: null,
    readsImpureView: false,
    viewsVersion: -1,
  };
}

/** A command payload naming statement `id` (command byte, then the id). */
function naming(command: number, id: number): Buffer {
  const b = Buffer.alloc(10);
  b[0] = command;
  b.writeUInt32LE(id, 1);
  return b;
}

describe('ClientStatements', () => {
  it('numbers statements from 1, skips ids in use and reads id -1 as the last prepared', () => {
    const s = new ClientStatements();
    const a = s.add(s.nextFreeId(), 'ka', statement());
    const b = s.add(s.nextFreeId(), 'kb', statement());
    expect([a.id, b.id]).toEqual([1, 2]);
    expect(s.lookup(naming(COM_STMT_EXECUTE, LAST_PREPARED_ID))).toBe(b);
    expect(s.lookup(naming(COM_STMT_EXECUTE, 1))).toBe(a);
    s.lastPrepared = 0; // a prepare that failed: -1 names nothing
    expect(s.lookup(naming(COM_STMT_EXECUTE, LAST_PREPARED_ID))).toBeUndefined();
    expect(s.remove(1)?.cs).toBe(a);
    expect(s.remove(1)).toBeUndefined();
    expect(s.size).toBe(1);
  });

  it('wraps ids before the last-prepared marker, past ids still in use', () => {
    const s = new ClientStatements();
    s.add(1, 'k1', statement());
    s.add(LAST_PREPARED_ID - 1, 'kmax', statement());
    // After the highest id the next one wraps to 1, which is taken: 2.
    expect(s.nextFreeId()).toBe(2);
  });

  it('knows which statements hold a cursor or long data, and pins by them', () => {
    const s = new ClientStatements();
    const a = s.add(s.nextFreeId(), 'shared', statement());
    const b = s.add(s.nextFreeId(), 'shared', statement());
    s.answered(COM_STMT_EXECUTE, a.id, CURSOR_EXISTS, false);
    expect(s.holds(a.id)).toBe(true);
    expect(s.heldByAnother('shared', b.id)).toBe(true);
    expect(s.heldByAnother('shared', a.id)).toBe(false);
    expect([...s.busyBackendKeys()]).toEqual(['shared']);
    expect(s.pinsWith(0)).toBe(PIN_BIT.cursor);
    // A failed execute opens no cursor; the last row of a fetch closes it.
    s.answered(COM_STMT_EXECUTE, b.id, CURSOR_EXISTS, true);
    expect(s.holds(b.id)).toBe(false);
    s.answered(COM_STMT_FETCH, a.id, CURSOR_EXISTS | LAST_ROW_SENT, false);
    expect(s.pinsWith(PIN_BIT.cursor | PIN_BIT.transaction)).toBe(PIN_BIT.transaction);
    s.longData.add(b.id);
    expect(s.pinsWith(0)).toBe(PIN_BIT.long_data);
    expect(s.remove(b.id)?.held).toBe(true);
    expect(s.pinsWith(PIN_BIT.long_data)).toBe(0);
  });

  it('a reset throws long data and the cursor away; losing the backend keeps the statements', () => {
    const s = new ClientStatements();
    const a = s.add(s.nextFreeId(), 'k', statement());
    s.longData.add(a.id);
    s.answered(COM_STMT_RESET, a.id, 0, false);
    expect(s.holds(a.id)).toBe(false);
    s.longData.add(a.id);
    s.dropHeld();
    expect(s.holds(a.id)).toBe(false);
    expect(s.size).toBe(1);
    s.clear();
    expect(s.size).toBe(0);
  });
});

describe('bound parameter types', () => {
  /** An execute of a 2-parameter statement: id, flags, iteration count, null bitmap, bound flag, types. */
  function execute(bound: boolean, types = [0x08, 0x00, 0xfe, 0x00]): Buffer {
    const head = Buffer.alloc(11);
    head[0] = COM_STMT_EXECUTE;
    head.writeUInt32LE(7, 1);
    head.writeUInt32LE(1, 6);
    const flag = Buffer.of(bound ? 1 : 0);
    return Buffer.concat([head, flag, bound ? Buffer.from(types) : Buffer.alloc(0), Buffer.from('values')]);
  }

  it('are remembered from an execute that binds them and written into one that relies on them', () => {
    const s = new ClientStatements();
    const cs = s.add(s.nextFreeId(), 'k', statement(2));
    rememberBoundTypes(execute(true), cs);
    expect([...cs.types!]).toEqual([0x08, 0x00, 0xfe, 0x00]);
    // A backend statement that never saw them gets them with the next flag-0 execute…
    const bs = { id: 1, params: 2, columns: 0, boundTypes: undefined };
    const sent = bindTypes(execute(false), cs, bs);
    expect(sent).toEqual(execute(true));
    // …and only once.
    const again = execute(false);
    expect(bindTypes(again, cs, bs)).toBe(again);
  });
});
