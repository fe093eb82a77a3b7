// The floor of a proxy written in Node: each client socket piped to its own MariaDB socket, no
// protocol work at all, to measure what Node's socket I/O alone costs per query. The sweep's
// `pipe` target (--targets …,pipe) runs it. It reads the listen and backend ports from the proxy
// configuration the sweep generates. The second argument picks how it reads:
//   direct   @scalestack/socket with direct reads, as the proxy reads (the sweep's default,
//            --pipe-cmd "node test/bench/mysql/node-pipe.mjs {config} direct")
//   streams  node:net 'data' events (the default when the argument is left out)
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { setPriority } from 'node:os';

const config = readFileSync(process.argv[2], 'utf8');
const mode = process.argv[3] ?? 'streams';
const listenPort = Number(/listen: 127\.0\.0\.1:(\d+)/.exec(config)[1]);
const backendPort = Number(/address: 127\.0\.0\.1:(\d+)/.exec(config)[1]);
// The sweep's --nice: the same event-loop thread priority as the proxy's event.nice.
const nice = /^ {4}nice: (-?\d+)$/m.exec(config);
if (nice) setPriority(0, Number(nice[1]));

if (mode === 'streams') {
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
} else if (mode === 'direct') {
  // The same pipe through @scalestack/socket: both sides read directly (no stream layer).
  const { connect, listen, ReadBuffer } = await import('@scalestack/socket');
  const readBuffer = new ReadBuffer();
  // A Connection reads nothing until pipe() gives it a data handler: the client's first bytes
  // wait in the kernel while the backend connects.
  await listen(`127.0.0.1:${listenPort}`, (client) => {
    connect(`127.0.0.1:${backendPort}`, { readBuffer }).then(
      (backend) => client.pipe(backend),
      () => client.destroy(),
    );
  });
} else {
  console.error('usage: node test/bench/mysql/node-pipe.mjs <proxy.yaml> [streams|direct]');
  process.exit(2);
}
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
