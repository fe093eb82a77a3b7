// A MariaDB for hand-run labs (alternate.sh): the sweep's bench instance, kept running until
// this process gets SIGTERM/SIGINT. Prints "port pid" once it accepts connections; prepare the
// sysbench table yourself (sysbench oltp_point_select … --tables=1 --table-size=100000 prepare).
import { startBenchMariaDB } from './lib/mariadb.mjs';

const db = await startBenchMariaDB({ user: 'sbtest', password: 'sbtest', database: 'sbtest' });
console.log(`${db.port} ${db.pid}`);
const stop = async () => {
  await db.stop();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
setInterval(() => {}, 1 << 30);
