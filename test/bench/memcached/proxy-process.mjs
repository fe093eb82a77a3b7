// Runs the memcached proxy (built dist/) in its own process so the benchmark can read its CPU
// time from /proc. Usage: node proxy-process.mjs <server port>... ; prints the listening port.
import { MemcachedBackend, MemcachedProxy, ServerPool } from '../../../modules/memcached-proxy/dist/index.js';

const ports = process.argv.slice(2).map(Number);
const pool = new ServerPool(
  ports.map((port) => ({ host: '127.0.0.1', port })),
  { serverFailureLimit: 2, serverRetryTimeout: 30_000 },
  { connectTimeout: 1000, timeout: 5000, maxValueSize: 1 << 20 },
);
const proxy = new MemcachedProxy({ backend: new MemcachedBackend(pool) });
const port = await proxy.listen(0);
process.stdout.write(`${port}\n`);
// Stop with the parent: when stdin closes (parent gone) or on SIGTERM.
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
