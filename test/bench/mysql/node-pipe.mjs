// The floor of a proxy written in Node: a plain node:net pipe from each client socket to its own
// MariaDB socket, no protocol work at all. Used as a sysbench target to measure what Node's
// socket I/O alone costs per query:
//   node_modules/.bin/node test/bench/mysql/sysbench-sweep.mjs --targets direct,haproxy,proxy \
//     --proxy-cmd "node test/bench/mysql/node-pipe.mjs {config}"
// It reads the listen and backend ports from the proxy configuration the sweep generates.
import { readFileSync } from 'node:fs';
import net from 'node:net';

const config = readFileSync(process.argv[2], 'utf8');
const listenPort = Number(/listen: 127\.0\.0\.1:(\d+)/.exec(config)[1]);
const backendPort = Number(/address: 127\.0\.0\.1:(\d+)/.exec(config)[1]);

const server = net.createServer({ noDelay: true }, (client) => {
  const backend = net.connect({ host: '127.0.0.1', port: backendPort, noDelay: true });
  client.on('data', (d) => backend.write(d));
  backend.on('data', (d) => client.write(d));
  client.on('error', () => backend.destroy());
  backend.on('error', () => client.destroy());
  client.on('close', () => backend.destroy());
  backend.on('close', () => client.destroy());
});
server.listen(listenPort, '127.0.0.1');
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
