/**
 * mysql2 tolerates some protocol irregularities (a reply with the wrong sequence id) and only
 * reports them as a `warn` event; a stricter client (libmariadb) drops the connection instead.
 * Tests collect them here and require none.
 */
import type { Connection as CoreConnection } from 'mysql2';
import type mysql from 'mysql2/promise';

const warnings: string[] = [];

/** Records the protocol warnings mysql2 raises on `conn`. */
export function watchProtocol(conn: mysql.Connection): void {
  (conn as unknown as { connection: CoreConnection }).connection.on('warn', (w: Error) =>
    warnings.push(w.message),
  );
}

/** Returns and forgets the warnings recorded so far. */
export function takeProtocolWarnings(): string[] {
  return warnings.splice(0);
}
