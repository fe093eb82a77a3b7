/**
 * `SELECT CONNECTION_ID()`, answered by the proxy with the client's own connection id: the one
 * its greeting gave (mysql2's `threadId`), SHOW PROCESSLIST lists and KILL takes. The server
 * would answer the id of whichever backend thread ran it — shared with other clients, changing
 * from one statement to the next, and no id KILL through the proxy reaches (GUI clients such as
 * MySQL Workbench and HeidiSQL read it at connect time to cancel a running query).
 */
import { CollationId, ColumnFlag, ColumnType, columnDefinition } from '@scalestack/mysql-protocol';
import { encodeTextResult, type ResultFraming } from './local-result.js';

/**
 * The result set, with the column declared as MariaDB declares CONNECTION_ID()'s: INT UNSIGNED
 * NOT NULL, binary, ten digits, no table.
 * @param name the column's name: the alias, else the call as the client typed it
 */
export function encodeConnectionId(id: number, name: string, framing: ResultFraming): Buffer {
  const column = columnDefinition({
    name,
    orgName: '',
    type: ColumnType.LONG,
    columnLength: 10,
    flags: ColumnFlag.NOT_NULL | ColumnFlag.UNSIGNED | ColumnFlag.BINARY,
    characterSet: CollationId.BINARY,
  });
  return encodeTextResult([column], [[BigInt(id)]], framing);
}
