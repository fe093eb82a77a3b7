// What Node's stream write path adds to one small socket write: 300,000 writes of 100 bytes over
// a loopback pair in this process, through socket.write ("stream") or straight to the handle's
// writeBuffer with a WriteWrap of Node's own ("handle", through the deprecated process.binding —
// a measurement only, nothing in the project writes this way). Prints user / system CPU and wall
// µs per write (the reading side, in the same process, included).
//   node_modules/.bin/node test/bench/socket/write-path.bench.mjs stream
//   node_modules/.bin/node test/bench/socket/write-path.bench.mjs handle
import net from 'node:net';

const N = 300_000;
const mode = process.argv[2] === 'handle' ? 'handle' : 'stream';
process.noDeprecation = true;
const WriteWrap = mode === 'handle' ? process.binding('stream_wrap').WriteWrap : undefined;
const server = net.createServer({ noDelay: true }, (s) => s.on('data', () => {}));
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const socket = net.connect(server.address().port, '127.0.0.1');
socket.setNoDelay(true);
await new Promise((resolve) => socket.on('connect', resolve));
const payload = Buffer.alloc(100, 1);
const handle = socket._handle;
const cpu0 = process.cpuUsage();
const wall0 = performance.now();
let written = 0;
function batch() {
  for (let k = 0; k < 1000 && written < N; k++, written++) {
    if (WriteWrap === undefined) socket.write(payload);
    else {
      const req = new WriteWrap();
      req.handle = handle;
      req.oncomplete = () => {};
      req.async = false;
      const err = handle.writeBuffer(req, payload);
      if (err) throw new Error(`writeBuffer failed: ${err}`);
    }
  }
  if (written < N) {
    setImmediate(batch);
    return;
  }
  const cpu = process.cpuUsage(cpu0);
  const wall = ((performance.now() - wall0) * 1000) / N;
  console.log(
    `${mode}: user ${(cpu.user / N).toFixed(2)} µs, system ${(cpu.system / N).toFixed(2)} µs, wall ${wall.toFixed(2)} µs per write`,
  );
  process.exit(0);
}
batch();
