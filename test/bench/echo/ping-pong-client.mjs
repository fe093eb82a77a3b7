// <connections> connections to 127.0.0.1:<port>, each sending a <size>-byte message, waiting
// for all of it to come back, and sending the next, for <seconds> seconds. Waits for `go`
// from the parent over IPC; reports { messages, seconds } and exits.
import { connect } from 'node:net';

const [port, connections, seconds, size] = process.argv.slice(2).map(Number);
const message = Buffer.alloc(size, 0x6d);

const sockets = await Promise.all(
  Array.from(
    { length: connections },
    () =>
      new Promise((resolve, reject) => {
        const socket = connect({ port, host: '127.0.0.1', noDelay: true });
        socket.once('error', reject);
        socket.once('connect', () => resolve(socket));
      }),
  ),
);
process.send({ ready: true });
await new Promise((resolve) => process.once('message', resolve));

let messages = 0;
let running = true;
const start = process.hrtime.bigint();
const loops = sockets.map(
  (socket) =>
    new Promise((resolve) => {
      let got = 0;
      socket.on('data', (chunk) => {
        got += chunk.length;
        if (got < size) return;
        got -= size;
        messages++;
        if (running) socket.write(message);
        else resolve();
      });
      socket.write(message);
    }),
);
setTimeout(() => {
  running = false;
}, seconds * 1000);
await Promise.all(loops);
const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
for (const socket of sockets) socket.destroy();
process.send({ messages, seconds: elapsed });
process.disconnect();
