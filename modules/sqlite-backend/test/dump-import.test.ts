import { execFile } from 'node:child_process';
import { findBinary } from '@scalestack/test-harness';
import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Running, startBackend } from './support/start.js';

const mariadb = findBinary('mariadb', 'mariadb-client');
const mariadbDump = findBinary('mariadb-dump', 'mariadb-client');
let backend: Running;

beforeAll(async () => {
  backend = await startBackend();
});
afterAll(async () => {
  await backend?.stop();
});

function run(
  script: string,
  port = backend.port,
  tool = mariadb,
  args = ['--batch'],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      tool,
      ['--no-defaults', '-h127.0.0.1', `-P${port}`, '-uroot', ...args],
      { timeout: 20_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin!.end(script);
  });
}

// What mysqldump 8.0 writes, trimmed to one table.
const DUMP = `/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!50503 SET NAMES utf8mb4 */;
/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;
/*!40103 SET TIME_ZONE='+00:00' */;
/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;
/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;
/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;
/*!40111 SET @OLD_SQL_NOTES=@@SQL_NOTES, SQL_NOTES=0 */;
DROP TABLE IF EXISTS \`customers\`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!50503 SET character_set_client = utf8mb4 */;
CREATE TABLE \`customers\` (
  \`id\` int NOT NULL AUTO_INCREMENT,
  \`name\` varchar(40) NOT NULL,
  \`balance\` decimal(10,2) DEFAULT NULL,
  PRIMARY KEY (\`id\`)
) ENGINE=InnoDB AUTO_INCREMENT=3 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci;
/*!40101 SET character_set_client = @saved_cs_client */;
LOCK TABLES \`customers\` WRITE;
/*!40000 ALTER TABLE \`customers\` DISABLE KEYS */;
INSERT INTO \`customers\` VALUES (1,'Ada',10.50),(2,'Grace',NULL);
/*!40000 ALTER TABLE \`customers\` ENABLE KEYS */;
UNLOCK TABLES;
/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;
/*!40014 SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS */;
/*!40111 SET SQL_NOTES=@OLD_SQL_NOTES */;
`;

it('imports a mysqldump file with the mariadb CLI: executable comments run, the rest follows', async () => {
  const { code, stderr } = await run(DUMP);
  expect(stderr).toBe('');
  expect(code).toBe(0);
  const c: mysql.Connection = await backend.connect();
  try {
    const [rows] = await c.query<mysql.RowDataPacket[]>(
      'SELECT id, name, balance FROM customers ORDER BY id',
    );
    expect(rows).toEqual([
      { id: 1, name: 'Ada', balance: '10.50' },
      { id: 2, name: 'Grace', balance: null },
    ]);
    const [ok] = await c.query<mysql.ResultSetHeader>("INSERT INTO customers (name) VALUES ('Linus')");
    expect(ok.insertId).toBe(3);
  } finally {
    await c.end();
  }
});

it('runs /*! … */ sent by a driver, and skips /*!NNNNN … */ of a later version', async () => {
  const c = await backend.connect();
  try {
    await c.query('/*!40101 SET @saved = 42 */');
    const [rows] = await c.query<mysql.RowDataPacket[]>(
      'SELECT @saved AS v, 1 /*! + 1 */ /*!90000 + 100 */ AS two',
    );
    expect(rows).toEqual([{ v: 42, two: 2 }]);
  } finally {
    await c.end();
  }
});

it('is dumped by mariadb-dump, tables, data, a trigger and a view, and the dump loads into another backend', async () => {
  const setup = `CREATE DATABASE shelf;
USE shelf;
CREATE TABLE books (id INT AUTO_INCREMENT PRIMARY KEY, title VARCHAR(60) NOT NULL UNIQUE, price DECIMAL(6,2));
CREATE TABLE log (title VARCHAR(60));
DELIMITER //
CREATE TRIGGER books_log AFTER INSERT ON books FOR EACH ROW BEGIN INSERT INTO log VALUES (NEW.title); END//
DELIMITER ;
CREATE VIEW cheap AS SELECT title FROM books WHERE price < 10;
INSERT INTO books (title, price) VALUES ('Dune', 9.99), ('It''s here', 25.00), ('Quiet', NULL);
CREATE TABLE people (id INT PRIMARY KEY, email VARCHAR(60), town VARCHAR(20), UNIQUE KEY uq_email (email), KEY by_city (town));
CREATE INDEX by_city_email ON people (town, email);
ALTER TABLE people RENAME TO members;
ALTER TABLE members RENAME COLUMN town TO city;
INSERT INTO members VALUES (1, 'a@example.com', 'Oslo');
`;
  expect(await run(setup)).toMatchObject({ code: 0, stderr: '' });
  // SHOW TABLE STATUS, information_schema.TRIGGERS and SHOW CREATE TRIGGER are what it reads.
  const dump = await run('', backend.port, mariadbDump, ['--no-tablespaces', 'shelf']);
  expect(dump.stderr).toBe('');
  expect(dump.code).toBe(0);
  expect(dump.stdout).toContain('CREATE TRIGGER books_log AFTER INSERT ON');
  const other = await startBackend();
  try {
    expect(await run(`CREATE DATABASE shelf; USE shelf;\n${dump.stdout}`, other.port)).toMatchObject({
      code: 0,
      stderr: '',
    });
    const c = await other.connect({ database: 'shelf' });
    try {
      const [books] = await c.query('SELECT id, title, price FROM books ORDER BY id');
      expect(books).toEqual([
        { id: 1, title: 'Dune', price: '9.99' },
        { id: 2, title: "It's here", price: '25.00' },
        { id: 3, title: 'Quiet', price: null },
      ]);
      expect((await c.query('SELECT title FROM cheap'))[0]).toEqual([{ title: 'Dune' }]);
      // The indexes came along (SHOW CREATE TABLE lists them): the unique one still refuses.
      const [keys] = await c.query<mysql.RowDataPacket[]>('SHOW INDEX FROM members');
      expect([...new Set(keys.map((k) => k.Key_name))].sort()).toEqual([
        'PRIMARY',
        'by_city',
        'by_city_email',
        'uq_email',
      ]);
      await expect(c.query("INSERT INTO members VALUES (2, 'a@example.com', 'Rome')")).rejects.toMatchObject({
        errno: 1062,
      });
      // The trigger came along: an insert is logged as before, and ids go on from the dump's.
      const [ok] = await c.query<mysql.ResultSetHeader>("INSERT INTO books (title) VALUES ('Emma')");
      expect(ok.insertId).toBe(4);
      expect((await c.query('SELECT title FROM log ORDER BY title'))[0]).toEqual([
        { title: 'Dune' },
        { title: 'Emma' },
        { title: "It's here" },
        { title: 'Quiet' },
      ]);
    } finally {
      await c.end();
    }
  } finally {
    await other.stop();
  }
});

it('loads a dump whose child table comes before its parent (FOREIGN_KEY_CHECKS=0), and keeps backslashes', async () => {
  const source = await startBackend();
  const target = await startBackend();
  try {
    const setup = `CREATE TABLE zparent (id INT PRIMARY KEY, path VARCHAR(20) DEFAULT 'C:\\\\');
CREATE TABLE achild (id INT PRIMARY KEY, p INT, FOREIGN KEY (p) REFERENCES zparent (id));
INSERT INTO zparent (id) VALUES (1);
INSERT INTO achild VALUES (10, 1);
`;
    expect(await run(setup, source.port)).toMatchObject({ code: 0, stderr: '' });
    // mariadb-dump writes tables alphabetically: achild, with its rows, before zparent.
    const dump = await run('', source.port, mariadbDump, ['--no-tablespaces', 'main']);
    expect(dump).toMatchObject({ code: 0, stderr: '' });
    expect(dump.stdout.indexOf('INSERT INTO `achild`')).toBeLessThan(
      dump.stdout.indexOf('CREATE TABLE `zparent`'),
    );
    expect(await run(dump.stdout, target.port, mariadb, ['--batch', 'main'])).toMatchObject({
      code: 0,
      stderr: '',
    });
    const c = await target.connect();
    try {
      expect((await c.query('SELECT id, path FROM zparent'))[0]).toEqual([{ id: 1, path: 'C:\\' }]);
      expect((await c.query('SELECT id, p FROM achild'))[0]).toEqual([{ id: 10, p: 1 }]);
      // The dump's closing SET FOREIGN_KEY_CHECKS = 1 left nothing unchecked: the key holds.
      await expect(c.query('INSERT INTO achild VALUES (11, 99)')).rejects.toMatchObject({ errno: 1452 });
    } finally {
      await c.end();
    }
  } finally {
    await Promise.all([source.stop(), target.stop()]);
  }
});
