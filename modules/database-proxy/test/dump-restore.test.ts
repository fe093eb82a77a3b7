/**
 * `mariadb-dump` and the `mariadb` client through the proxy, as an operator backs up and
 * restores: a schema with values of every kind (binary with quotes, NULs and backslashes,
 * four-byte UTF-8, JSON, fractional seconds), a trigger, a view and procedures (one that KILLs). Dumped through
 * the proxy it is the dump MariaDB gives straight; restored through it into another schema —
 * LOCK TABLES, the dump's saved and restored session variables, DELIMITER blocks — with other
 * clients answered on the other backend while it holds one under LOCK TABLES, it dumps the same
 * again, and the trigger did not run twice.
 */
import { waitFor } from '@scalestack/test-harness';
import { describe, expect, it } from 'vitest';
import { rows } from './support/backends.js';
import { runTool, type ToolRun } from './support/client-tools.js';
import { proxyTestFile } from './support/proxy-test-file.js';

const ITEMS = 2000;

const { fx, direct, clients } = proxyTestFile({
  pool: 2,
  setup: async (d) => {
    await d.query('CREATE DATABASE dumpsrc');
    await d.query(
      `CREATE TABLE dumpsrc.items (
         id INT PRIMARY KEY AUTO_INCREMENT,
         name VARCHAR(60) CHARACTER SET utf8mb4 NOT NULL,
         price DECIMAL(10,2),
         body BLOB,
         at DATETIME(3),
         doc JSON,
         KEY (name)
       ) ENGINE=InnoDB`,
    );
    await d.query('CREATE TABLE dumpsrc.audit (id INT PRIMARY KEY AUTO_INCREMENT, item INT, note TEXT)');
    // Unqualified, as the trigger and the procedure must be for a restore into another schema.
    await d.query('USE dumpsrc');
    await d.query(
      "CREATE TRIGGER items_added AFTER INSERT ON items FOR EACH ROW INSERT INTO audit (item, note) VALUES (NEW.id, 'added')",
    );
    // Binary values made of every byte (0x00, quote, backslash among them); NULLs every 7th row.
    await d.query(
      `INSERT INTO dumpsrc.items (name, price, body, at, doc)
       SELECT CONCAT('item ', seq, ' ünï 🚀 ''q'' \\\\'),
              IF(seq % 7 = 0, NULL, seq / 7),
              IF(seq % 7 = 0, NULL, UNHEX(CONCAT(SHA2(seq, 256), '00275C0A0D1A'))),
              TIMESTAMP'2026-12-06 10:00:00.123' + INTERVAL seq SECOND,
              JSON_OBJECT('n', seq, 's', CONCAT('"', seq, '"'))
       FROM seq_1_to_${ITEMS}`,
    );
    await d.query('CREATE VIEW dumpsrc.cheap AS SELECT id, name FROM dumpsrc.items WHERE price < 10');
    await d.query('CREATE PROCEDURE count_items (OUT n INT) BEGIN SELECT COUNT(*) INTO n FROM items; END');
    // An operator's procedure: a KILL in a body runs when it is called, so restoring it is no
    // KILL for the proxy to refuse.
    await d.query(
      'CREATE PROCEDURE stop_query (IN id BIGINT UNSIGNED) BEGIN DECLARE tries INT DEFAULT 0; KILL QUERY id; END',
    );
    await d.query('USE test');
  },
});

/** Input given in two parts, with `midway` run in between (the tool works on the first meanwhile). */
interface SplitInput {
  at: number;
  midway: () => Promise<void>;
}

/**
 * Runs a client tool against the proxy or the server. Its output is read a byte a character
 * (latin1) and fed back the same way: a dump without --hex-blob holds binary values as raw
 * bytes, which a UTF-8 string would not keep.
 */
function run(
  tool: string,
  side: 'proxy' | 'server',
  args: string[],
  input = '',
  split?: SplitInput,
): Promise<ToolRun> {
  const bytes = (text: string) => Buffer.from(text, 'latin1');
  return runTool(fx(), tool, side, args, {
    encoding: 'latin1',
    feed: async (stdin) => {
      if (split === undefined) {
        stdin.end(bytes(input));
        return;
      }
      stdin.write(bytes(input.slice(0, split.at)));
      await split.midway();
      stdin.end(bytes(input.slice(split.at)));
    },
  });
}

async function dump(side: 'proxy' | 'server', schema: string, options: string[]): Promise<string> {
  const out = await run('mariadb-dump', side, [
    '--routines',
    '--triggers',
    '--skip-dump-date',
    ...options,
    schema,
  ]);
  expect({ code: out.code, stderr: out.stderr }).toEqual({ code: 0, stderr: '' });
  return out.stdout;
}

describe('mariadb-dump and a restore through the proxy', () => {
  it.each<[string, string[]]>([
    ['the defaults (LOCK TABLES while dumping, around each table’s rows when restoring)', []],
    ['--single-transaction --hex-blob', ['--single-transaction', '--hex-blob']],
  ])('%s', async (_name, options) => {
    const target = `dumpdst${options.length}`;
    await direct().query(`DROP DATABASE IF EXISTS ${target}`);
    await direct().query(`CREATE DATABASE ${target}`);

    const throughProxy = await dump('proxy', 'dumpsrc', options);
    expect(throughProxy).toEqual(await dump('server', 'dumpsrc', options));
    expect(throughProxy).toContain('CREATE DEFINER=');
    expect(throughProxy).toContain('TRIGGER items_added AFTER INSERT ON items');

    // The restore is fed up to its first LOCK TABLES … WRITE; while it holds one of the two
    // backends under that lock (and its user variables), three readers on the same proxy are
    // answered, each with the table's row count; then it gets the rest.
    const readers = await Promise.all([clients.client(), clients.client(), clients.client()]);
    const lockAt = throughProxy.indexOf('WRITE;\n') + 'WRITE;\n'.length;
    expect(lockAt).toBeGreaterThan('WRITE;\n'.length);
    const restore = await run('mariadb', 'proxy', [target], throughProxy, {
      at: lockAt,
      midway: async () => {
        await waitFor(() => fx().proxy.stats().pinnedNow.table_lock === 1, {
          what: "the restore's LOCK TABLES",
        });
        for (const answer of await Promise.all(
          readers.map((c) => rows(c, 'SELECT COUNT(*) AS n FROM dumpsrc.items')),
        ))
          expect(answer).toEqual([{ n: ITEMS }]);
        expect(fx().proxy.stats().pinnedNow.table_lock).toBe(1);
      },
    });
    expect({ code: restore.code, stderr: restore.stderr }).toEqual({ code: 0, stderr: '' });

    // The copy dumps as the original did (but for its name), straight from the server.
    const copy = await dump('server', target, options);
    expect(copy).toEqual(
      throughProxy
        .replace('Database: dumpsrc', `Database: ${target}`)
        .replace("routines for database 'dumpsrc'", `routines for database '${target}'`),
    );
    // The rows came from the dump, not from the trigger firing again on the restore.
    expect(await rows(direct(), `SELECT COUNT(*) AS n FROM ${target}.audit`)).toEqual([{ n: ITEMS }]);
    const checksums = await rows(direct(), `CHECKSUM TABLE dumpsrc.items, ${target}.items`);
    expect(checksums[1]!.Checksum).toBe(checksums[0]!.Checksum);
    expect(checksums[0]!.Checksum).not.toBeNull();
  });
});
