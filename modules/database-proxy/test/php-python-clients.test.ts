/**
 * The clients that do not negotiate session tracking, as their users run them: PHP's mysqli and
 * PDO (mysqlnd) with WordPress's connect sequence (set_charset, SET SESSION sql_mode,
 * select_db), and PyMySQL, which also turns autocommit off at connect. Several processes of each
 * on a pool of two: every answer is right, each process keeps its own session, and none of this
 * pins a connection — before, two such processes held the pool and the rest waited for 9001.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { one, proxyConnectionsAtServer } from './support/backends.js';
import { PYTHON, runClientScript } from './support/client-tools.js';
import { APP_USER } from './support/proxy-fixture.js';
import { proxyTestFile } from './support/proxy-test-file.js';

const POOL = 2;
const PROCESSES = 6;

const { fx, direct } = proxyTestFile({
  pool: POOL,
  setup: async (d) => {
    await d.query('CREATE DATABASE IF NOT EXISTS wp');
    await d.query('CREATE TABLE wp.posts (id INT PRIMARY KEY, author VARCHAR(20), title VARCHAR(50))');
  },
});

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'php-python-'));
  await writeFile(join(dir, 'wp.php'), PHP_SCRIPT);
  await writeFile(join(dir, 'app.py'), PYTHON_SCRIPT);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

// WordPress's wpdb: connect, set_charset, SET SESSION sql_mode without the modes it cannot take,
// select_db; then its queries. Each process reads back its own settings on every round.
const PHP_SCRIPT = `<?php
mysqli_report(MYSQLI_REPORT_ERROR | MYSQLI_REPORT_STRICT);
[$port, $id, $api] = [(int) $argv[1], (int) $argv[2], $argv[3]];
$charset = $id % 2 ? 'latin1' : 'utf8mb4';
$mode = $id % 3 ? 'NO_ENGINE_SUBSTITUTION' : 'ANSI_QUOTES';
$out = [];
if ($api === 'mysqli') {
  $db = new mysqli('127.0.0.1', '${APP_USER.name}', '${APP_USER.password}', '', $port);
  $db->set_charset($charset);
  $db->query("SET SESSION sql_mode = '$mode'");
  $db->select_db('wp');
  $read = fn ($sql) => $db->query($sql)->fetch_row();
  $write = fn ($sql) => $db->query($sql);
} else {
  $db = new PDO("mysql:host=127.0.0.1;port=$port;dbname=wp;charset=$charset", '${APP_USER.name}', '${APP_USER.password}', [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION]);
  $db->exec("SET SESSION sql_mode = '$mode'");
  $read = fn ($sql) => $db->query($sql)->fetch(PDO::FETCH_NUM);
  $write = fn ($sql) => $db->exec($sql);
}
for ($round = 0; $round < 10; $round++) {
  $post = $id * 100 + $round;
  $write("INSERT INTO posts VALUES ($post, 'p$id', 'round $round')");
  $out[] = $read("SELECT @@character_set_client, @@sql_mode, DATABASE(), (SELECT author FROM posts WHERE id = $post)");
}
echo json_encode($out);
`;

// PyMySQL as an application uses it: autocommit off (its default), a transaction per unit of work.
const PYTHON_SCRIPT = `
import json, sys, pymysql
port, pid = int(sys.argv[1]), int(sys.argv[2])
tz = '+0%d:00' % pid
c = pymysql.connect(host='127.0.0.1', port=port, user='${APP_USER.name}', password='${APP_USER.password}', database='wp', charset='utf8mb4')
cur = c.cursor()
cur.execute("SET time_zone = %s", (tz,))
out = []
for r in range(10):
    post = 5000 + pid * 100 + r
    cur.execute("INSERT INTO posts VALUES (%s, %s, 'py')", (post, 'py%d' % pid))
    if r % 2:
        c.rollback()
    else:
        c.commit()
    cur.execute("SELECT @@autocommit, @@time_zone, DATABASE(), (SELECT COUNT(*) FROM posts WHERE id = %s)", (post,))
    out.append(list(cur.fetchone()))
    c.commit()
print(json.dumps(out))
`;

it('WordPress-style PHP processes (mysqli and PDO) share two connections, each with its own character set, sql_mode and schema', async () => {
  const before = fx().proxy.stats().counters.pins;
  const outs = await Promise.all(
    Array.from({ length: PROCESSES }, (_, id) =>
      runClientScript('php', [
        join(dir, 'wp.php'),
        String(fx().port),
        String(id + 1),
        id % 2 ? 'pdo' : 'mysqli',
      ]),
    ),
  );
  outs.forEach((out, i) => {
    const id = i + 1;
    const expected = Array.from({ length: 10 }, () => [
      id % 2 ? 'latin1' : 'utf8mb4',
      id % 3 ? 'NO_ENGINE_SUBSTITUTION' : 'ANSI_QUOTES',
      'wp',
      `p${id}`,
    ]);
    expect(JSON.parse(out), `process ${id}`).toEqual(expected);
  });
  const after = fx().proxy.stats().counters.pins;
  expect(after.untracked_state - before.untracked_state).toBe(0);
  expect(after.session_state - before.session_state).toBe(0);
  expect(await proxyConnectionsAtServer(direct())).toBeLessThanOrEqual(POOL);
});

it('PyMySQL processes with autocommit off share two connections: each transaction its own, committed or rolled back', async () => {
  const before = fx().proxy.stats().counters.pins;
  const outs = await Promise.all(
    Array.from({ length: PROCESSES }, (_, pid) =>
      runClientScript(PYTHON, ['-c', PYTHON_SCRIPT, String(fx().port), String(pid + 1)]),
    ),
  );
  outs.forEach((out, i) => {
    const pid = i + 1;
    const expected = Array.from({ length: 10 }, (_, r) => [0, `+0${pid}:00`, 'wp', r % 2 ? 0 : 1]);
    expect(JSON.parse(out), `process ${pid}`).toEqual(expected);
  });
  const after = fx().proxy.stats().counters.pins;
  expect(after.autocommit_off - before.autocommit_off).toBe(0);
  expect(after.untracked_state - before.untracked_state).toBe(0);
  // Committed rows are there, rolled-back ones are not.
  expect(Number((await one(direct(), "SELECT COUNT(*) AS n FROM wp.posts WHERE author LIKE 'py%'")).n)).toBe(
    PROCESSES * 5,
  );
});
