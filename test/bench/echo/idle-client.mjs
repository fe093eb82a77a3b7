// Opens <count> connections to 127.0.0.1:<port> in batches of <batch>; each sends one byte and
// waits for its echo (so the server has accepted it), then stays idle. Reports `connected` to
// the parent over IPC and closes everything when the parent says `close` (or goes away).
import { connect } from 'node:net';

const [port, count, batch] = process.argv.slice(2).map(Number);
const sockets = [];

function openOne() {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('error', reject);
    socket.once('connect', () => socket.write('x'));
    socket.once('data', () => resolve(socket));
  });
}

for (let opened = 0; opened < count; opened += batch) {
  const n = Math.min(batch, count - opened);
  sockets.push(...(await Promise.all(Array.from({ length: n }, openOne))));
}
process.send({ connected: sockets.length });
const close = () => {
  for (const socket of sockets) socket.destroy();
  process.disconnect();
};
process.on('message', close);
process.on('disconnect', () => {
  for (const socket of sockets) socket.destroy();
});
