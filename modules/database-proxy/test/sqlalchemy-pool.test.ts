/**
 * SQLAlchemy 1.4 (Debian's python3-sqlalchemy) over PyMySQL, as an application runs it: several
 * processes, each with its own engine and connection pool, on a proxy pool of two. Every
 * connection SQLAlchemy's pool takes back is reset with a ROLLBACK (its default reset on
 * return), mostly right after the COMMIT or ROLLBACK that ended the unit of work: with nothing
 * open and nothing pinned, the proxy answers those itself (*Lazy BEGIN*). The ledger the
 * processes keep must come out exact — committed transfers all there, rolled-back work (a
 * duplicate key mid-transaction, a savepoint rolled back) absent.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { afterEach, expect, it } from 'vitest';
import { one, pinnedNow, rows } from './support/backends.js';
import { PYTHON } from './support/client-tools.js';
import { APP_USER } from './support/proxy-fixture.js';
import { proxyTestFile } from './support/proxy-test-file.js';

const POOL = 2;
const PROCESSES = 4;
const ROUNDS = 6;
const ACCOUNTS = 6;
const START_BALANCE = 1000;
const TOTAL = ACCOUNTS * START_BALANCE;
/** Units of work per round, each a checkout and a check-in of the engine's pooled connection. */
const UNITS = 4;
/** Transfers committed per round: one in the Core transaction, two in the ORM session's. */
const TRANSFERS = 3;

const { fx, direct } = proxyTestFile({
  pool: POOL,
  setup: async (d) => {
    await d.query('CREATE DATABASE bank');
    await d.query('CREATE TABLE bank.accounts (id INT PRIMARY KEY, balance INT NOT NULL)');
    await d.query(
      'CREATE TABLE bank.journal (id INT AUTO_INCREMENT PRIMARY KEY, ref VARCHAR(40) NOT NULL UNIQUE, ' +
        'src INT NOT NULL, dst INT NOT NULL, amount INT NOT NULL)',
    );
    await d.query(`INSERT INTO bank.accounts SELECT seq, ${START_BALANCE} FROM seq_1_to_${ACCOUNTS}`);
  },
});

// One process: `rounds` rounds of four units of work, each checking the engine's one pooled
// connection out and back in. Every transaction takes account rows in ascending id order (the
// lowest account first, or the low half before the high half), so InnoDB has no deadlock to
// break. It prints its report, then keeps its pooled connection until its standard input ends.
const APP_SCRIPT = `
import json, sys
try:
    import sqlalchemy as sa
    from sqlalchemy import event, exc
    from sqlalchemy.orm import Session, declarative_base
except ImportError as e:
    sys.exit('python3-sqlalchemy is missing (apt-get install python3-sqlalchemy): %s' % e)
import pymysql.connections

# The COMMITs and ROLLBACKs PyMySQL sends; 'idle': those right after another, no statement
# between, which have no transaction to end (one before any statement counts as not idle).
ends = {'commit': 0, 'rollback': 0, 'idle': 0}
Connection = pymysql.connections.Connection
def statement(run):
    def query(self, *args, **kwargs):
        self.ran = True
        return run(self, *args, **kwargs)
    return query
def end(kind, run):
    def finish(self):
        ends[kind] += 1
        if not getattr(self, 'ran', True):
            ends['idle'] += 1
        self.ran = False
        return run(self)
    return finish
Connection.query = statement(Connection.query)
Connection.commit = end('commit', Connection.commit)
Connection.rollback = end('rollback', Connection.rollback)

port, pid, style, rounds, accounts = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
half = accounts // 2
engine = sa.create_engine(
    'mysql+pymysql://${APP_USER.name}:${APP_USER.password}@127.0.0.1:%d/bank?charset=utf8mb4' % port,
    future=(style == 'future'),
)
pool = {'connect': 0, 'checkout': 0, 'checkin': 0}
def counter(name):
    def count(*args):
        pool[name] += 1
    return count
for name in pool:
    event.listen(engine, name, counter(name))

Base = declarative_base()
class Account(Base):
    __tablename__ = 'accounts'
    id = sa.Column(sa.Integer, primary_key=True)
    balance = sa.Column(sa.Integer, nullable=False)
class Journal(Base):
    __tablename__ = 'journal'
    id = sa.Column(sa.Integer, primary_key=True)
    ref = sa.Column(sa.String(40), nullable=False, unique=True)
    src = sa.Column(sa.Integer, nullable=False)
    dst = sa.Column(sa.Integer, nullable=False)
    amount = sa.Column(sa.Integer, nullable=False)

class Doomed(Exception):
    pass

def credit(conn, account, amount):
    conn.execute(sa.update(Account).where(Account.id == account).values(balance=Account.balance + amount))

def move(conn, src, dst, amount):
    for account, delta in sorted([(src, -amount), (dst, amount)]):
        credit(conn, account, delta)

def ref(r, kind):
    return 'p%d-r%d-%s' % (pid, r, kind)

reads, duplicates = [], []
for r in range(rounds):
    # Core: a transfer and its journal row, committed.
    src = 1 + (pid + r) % accounts
    dst = 1 + (src + r % 4) % accounts
    with engine.begin() as c:
        move(c, src, dst, 1 + (7 * pid + r) % 50)
        c.execute(sa.insert(Journal).values(ref=ref(r, 't'), src=src, dst=dst, amount=1 + (7 * pid + r) % 50))

    # A read on its own: the ledger balances, and this process's journal rows are all there.
    with engine.connect() as c:
        total = c.execute(sa.select(sa.func.sum(Account.balance))).scalar()
        mine = c.execute(sa.select(sa.func.count()).select_from(Journal).where(Journal.ref.like('p%d-%%' % pid))).scalar()
        reads.append([int(total), int(mine)])

    # A transaction the server fails half-way (the journal's ref taken): the credit before is undone.
    try:
        with engine.begin() as c:
            credit(c, 1 + (pid + r) % accounts, 500)
            c.execute(sa.insert(Journal).values(ref=ref(0, 't'), src=1, dst=1, amount=500))
        duplicates.append(None)
    except exc.IntegrityError as e:
        duplicates.append(e.orig.args[0])

    # ORM session: a transfer in the low half, one in the high half in a savepoint kept, and a
    # savepoint rolled back (first thing in the transaction on odd rounds, in between on even).
    with Session(engine) as s:
        with s.begin():
            def doomed(account):
                try:
                    with s.begin_nested():
                        credit(s, account, 1000)
                        s.add(Journal(ref=ref(r, 'x'), src=account, dst=account, amount=1000))
                        s.flush()
                        raise Doomed()
                except Doomed:
                    pass
            if r % 2:
                doomed(1)
            a, b = 1 + (pid + r) % half, 1 + (pid + r + 1) % half
            move(s, a, b, 2 + r)
            s.add(Journal(ref=ref(r, 's1'), src=a, dst=b, amount=2 + r))
            if not r % 2:
                doomed(half + 1)
            with s.begin_nested():
                c_, d = half + 1 + (pid + r) % half, half + 1 + (pid + r + 2) % half
                move(s, c_, d, 3 + r)
                s.add(Journal(ref=ref(r, 's2'), src=c_, dst=d, amount=3 + r))

print(json.dumps({'reads': reads, 'duplicates': duplicates, 'pool': pool, 'ends': ends}), flush=True)
sys.stdin.readline()
engine.dispose()
`;

interface Report {
  reads: [number, number][];
  duplicates: (number | null)[];
  pool: { connect: number; checkout: number; checkin: number };
  ends: { commit: number; rollback: number; idle: number };
}

interface App {
  /** What it printed once its rounds were done (it is still connected then). */
  report: Promise<Report>;
  /** Ends its standard input, so it disposes of its engine; resolves its exit code. */
  finish(): Promise<number | null>;
}

const running: ChildProcess[] = [];
afterEach(() => {
  for (const child of running.splice(0)) if (child.exitCode === null) child.kill();
});

/** SQLAlchemy 1.4's own engine, or its 2.0-style one (`create_engine(…, future=True)`). */
type Style = 'legacy' | 'future';

/** Starts one application process. */
function startApp(pid: number, style: Style): App {
  const child = spawn(
    PYTHON,
    ['-c', APP_SCRIPT, String(fx().port), String(pid), style, String(ROUNDS), String(ACCOUNTS)],
    { timeout: 60_000 },
  );
  running.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
  const report = new Promise<Report>((resolve, reject) => {
    child.stdout.on('data', () => {
      const end = stdout.indexOf('\n');
      if (end >= 0) resolve(JSON.parse(stdout.slice(0, end)) as Report);
    });
    exited.then(
      (code) => reject(new Error(`process ${pid} exited (${code}) before its report\n${stdout}\n${stderr}`)),
      reject,
    );
  });
  report.catch(() => {});
  return {
    report,
    finish: async () => {
      child.stdin.end();
      const code = await exited;
      if (code !== 0) throw new Error(`process ${pid} exited ${code}\n${stderr}`);
      return code;
    },
  };
}

it('SQLAlchemy processes keep an exact ledger on two connections; the ROLLBACK of each check-in after a COMMIT / ROLLBACK is answered by the proxy', async () => {
  const d = direct();
  const before = fx().proxy.stats().counters;
  // Max_used_connections from here on: FLUSH STATUS sets it to the connections open now.
  await d.query('FLUSH STATUS');
  // Half on SQLAlchemy 1.4's own engine, half on its 2.0-style (future) one.
  const styles = Array.from({ length: PROCESSES }, (_, i): Style => (i % 2 ? 'future' : 'legacy'));
  const apps = styles.map((style, i) => startApp(i + 1, style));
  const reports = await Promise.all(apps.map((a) => a.report));

  // All of them connected and idle in their engines' pools: nobody holds a backend.
  const stats = fx().proxy.stats();
  const appClients = stats.clients.filter((c) => c.user === APP_USER.name);
  expect(appClients).toHaveLength(PROCESSES);
  for (const c of appClients) {
    expect(c, `client ${c.id}`).toMatchObject({
      state: 'idle',
      pinned: [],
      lazyBegin: false,
      transactionAborted: false,
    });
  }
  expect(pinnedNow(fx())).toBe(0);

  reports.forEach((r, i) => {
    const pid = i + 1;
    // Each read saw the ledger balanced and every transfer this process had committed before it:
    // round r follows r rounds of three and this round's first.
    expect(r.reads, `process ${pid}`).toEqual(
      Array.from({ length: ROUNDS }, (_, round) => [TOTAL, TRANSFERS * round + 1]),
    );
    expect(r.duplicates, `process ${pid}`).toEqual(Array(ROUNDS).fill(1062));
    // One DBAPI connection, checked out and in once per unit of work.
    expect(r.pool, `process ${pid}`).toEqual({
      connect: 1,
      checkout: ROUNDS * UNITS,
      checkin: ROUNDS * UNITS,
    });
    // A COMMIT for the Core transaction and one for the session each round. With no statement
    // since the COMMIT / ROLLBACK before it: the pool's ROLLBACK at the check-in after the Core
    // transaction's COMMIT, after the failed one's ROLLBACK and after the session's COMMIT. The
    // read's check-in has none of those: the legacy engine leaves the read's transaction to that
    // ROLLBACK, and the 2.0-style one rolls it back on close and skips the pool's.
    expect(r.ends.commit, `process ${pid}`).toBe(ROUNDS * 2);
    expect(r.ends.idle, `process ${pid}`).toBe(ROUNDS * 3);
  });

  // SQLAlchemy over PyMySQL sends no BEGIN (autocommit is off): before a4cfeb6 emptyTransactions
  // counted only the end of a lazily begun transaction and could not move here. Now every COMMIT
  // / ROLLBACK with nothing since the one before is answered by the proxy (the one before ended
  // any transaction pin, and nothing here pins otherwise) — so is the ROLLBACK SQLAlchemy sends
  // after its first connect's queries, which read no table. Those that end a transaction of the
  // server's must reach it: each round's Core COMMIT and session COMMIT after their writes, the
  // failed transaction's ROLLBACK after its UPDATE, and the read's ROLLBACK after its SELECTs.
  const sum = (f: (r: Report) => number) => reports.reduce((n, r) => n + f(r), 0);
  const idleEnds = sum((r) => r.ends.idle);
  const allEnds = sum((r) => r.ends.commit + r.ends.rollback);
  const endingTransactions = PROCESSES * ROUNDS * 4;
  const after = fx().proxy.stats().counters;
  const emptyTransactions = after.emptyTransactions - before.emptyTransactions;
  const queries = after.queries - before.queries;
  console.log(
    `sqlalchemy-pool: ${sum((r) => r.pool.checkin)} check-ins, ${allEnds} COMMIT / ROLLBACK sent ` +
      `(${idleEnds} with nothing before them), emptyTransactions +${emptyTransactions}, queries +${queries}`,
  );
  expect(after.lazyBegins - before.lazyBegins).toBe(0);
  expect(emptyTransactions).toBeGreaterThanOrEqual(idleEnds);
  expect(emptyTransactions).toBeLessThanOrEqual(allEnds - endingTransactions);

  // MariaDB never had more than the pool's connections from the proxy: the most it saw at once
  // were those and the connections that are not the proxy's (this test's own, root).
  const { Value: maxUsed } = await one(d, "SHOW GLOBAL STATUS LIKE 'Max_used_connections'");
  const [{ n: others }] = await rows(
    d,
    "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE COMMAND <> 'Daemon' AND USER NOT IN ('proxy', 'system user')",
  );
  expect(Number(maxUsed) - Number(others)).toBeLessThanOrEqual(POOL);

  expect(await Promise.all(apps.map((a) => a.finish()))).toEqual(Array(PROCESSES).fill(0));
  expect(pinnedNow(fx())).toBe(0);

  // The ledger, straight at MariaDB: every committed transfer journaled once, nothing of the
  // rolled-back work (the failed transactions' credits, the savepoints' credits and rows), and
  // every balance the start plus what the journal moved.
  const refs = (await rows(d, 'SELECT ref FROM bank.journal')).map((r) => String(r.ref)).sort();
  const expected = styles.flatMap((_, i) =>
    Array.from({ length: ROUNDS }, (_, r) =>
      ['t', 's1', 's2'].map((kind) => `p${i + 1}-r${r}-${kind}`),
    ).flat(),
  );
  expect(refs).toEqual(expected.sort());
  expect(refs).toHaveLength(PROCESSES * ROUNDS * TRANSFERS);
  const balances = await rows(
    d,
    `SELECT a.id, a.balance, ${START_BALANCE}
       + (SELECT COALESCE(SUM(amount), 0) FROM bank.journal WHERE dst = a.id)
       - (SELECT COALESCE(SUM(amount), 0) FROM bank.journal WHERE src = a.id) AS journaled
     FROM bank.accounts a ORDER BY a.id`,
  );
  for (const b of balances) expect(Number(b.balance), `account ${b.id}`).toBe(Number(b.journaled));
  expect(balances.reduce((n, b) => n + Number(b.balance), 0)).toBe(TOTAL);
});
