// A relay process for relay.bench.mjs: listens on a free port, forwards every connection to
// 127.0.0.1:<target> with either @scalestack/socket's Connection.pipe or node's stream pipe,
// prints its port and answers 'cpu' messages with its CPU time in microseconds.
import { createServer, connect as netConnect } from 'node:net';
import { connect, listen } from '../../../packages/socket/dist/index.js';

const [mode, targetPort] = process.argv.slice(2);
const target = { kind: 'tcp', host: '127.0.0.1', port: Number(targetPort) };

let port;
if (mode === 'socket-pipe') {
  const listener = await listen('127.0.0.1:0', (conn) => {
    conn.pause();
    connect(target).then(
      (upstream) => {
        conn.pipe(upstream);
        conn.resume();
      },
      () => conn.destroy(),
    );
  });
  port = listener.address.port;
} else if (mode === 'stream-pipe') {
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    const upstream = netConnect(target.port, target.host);
    upstream.setNoDelay(true);
    socket.pipe(upstream).pipe(socket);
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = server.address().port;
} else {
  throw new Error(`unknown relay mode ${mode}: expected socket-pipe or stream-pipe`);
}

process.on('message', (msg) => {
  if (msg === 'cpu') {
    const { user, system } = process.cpuUsage();
    process.send({ cpu: user + system });
  }
});
process.on('disconnect', () => process.exit(0));
process.send({ port });
