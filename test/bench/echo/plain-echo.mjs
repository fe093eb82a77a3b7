// The baseline: a plain node:net echo server, as anyone would write it in ten lines.
import { createServer } from 'node:net';

const server = createServer((socket) => {
  socket.setNoDelay(true);
  socket.on('error', () => {});
  socket.pipe(socket);
});
server.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ msg: 'listening', address: `127.0.0.1:${server.address().port}` }));
});
