import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { promisify } from 'node:util';
import { Kernel, KernelConfigError } from '@scalestack/kernel';
import { SOCKETS, type SocketService } from '@scalestack/socket';
import socketModule from '@scalestack/socket/module';
import {
  freePort,
  type MariaDB,
  type RunningServer,
  startMariaDB,
  startRedis,
  stopProcess,
  waitFor,
} from '@scalestack/test-harness';
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { slowReaderTransfer } from '../../echo-server/test/echo-clients.js';
import tcpProxy, { TCP_PROXY, type TcpProxyService } from '../src/index.js';

const execFileAsync = promisify(execFile);

let mariadb: MariaDB;
let redisA: RunningServer;
let redisB: RunningServer;
beforeAll(async () => {
  [mariadb, redisA, redisB] = await Promise.all([startMariaDB(), startRedis(), startRedis()]);
});
afterAll(async () => {
  await Promise.all([mariadb?.stop(), redisA?.stop(), redisB?.stop()]);
});

const kernels: Kernel[] = [];
const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  await Promise.all(kernels.splice(0).map((k) => k.shutdown()));
});

/** Starts a kernel running tcp-proxy on a free port; log lines land in `lines`. */
async function startProxy(options: Record<string, unknown>) {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  const kernel = new Kernel({ logger, definitions: [socketModule, tcpProxy] });
  kernels.push(kernel);
  await kernel.load({ env: {}, config: { modules: { 'tcp-proxy': { listen: '127.0.0.1:0', ...options } } } });
  await kernel.start();
  const proxy = kernel.container.resolve<TcpProxyService>(TCP_PROXY);
  const port = proxy.address.kind === 'tcp' ? proxy.address.port : 0;
  return { kernel, proxy, port, lines };
}

const at = (server: { port: number }) => `127.0.0.1:${server.port}`;

/** A Redis client through the proxy that never reconnects (a reconnect would hide a close). */
async function redisVia(port: number): Promise<Redis> {
  const client = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
  });
  closers.push(() => client.disconnect());
  await client.connect();
  return client;
}

/** The port of the Redis server a client's connection ended up on. */
async function redisPortOf(client: Redis): Promise<number> {
  const info = await client.info('server');
  return Number(/tcp_port:(\d+)/.exec(info)?.[1]);
}

/** A plain TCP server under the test's control, tracking its sockets. */
async function tcpServer(
  onSocket: (socket: Socket) => void,
  port = 0,
  allowHalfOpen = false,
): Promise<{ server: Server; port: number; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    onSocket(socket);
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  closers.push(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  const address = server.address();
  return { server, port: typeof address === 'object' && address ? address.port : 0, sockets };
}

/** An upstream that answers only once the client has ended its side: `got <what it sent>, bye`. */
function answersAfterEnd() {
  return tcpServer((s) => {
    let got = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      got += d;
    });
    s.on('end', () => s.end(`got ${got}, bye`));
  });
}

/**
 * A port whose connects are never answered: a listener with a backlog of 1 in a process that is
 * stopped (SIGSTOP) before it accepts anything, its accept queue filled by two connections.
 * Linux then drops further SYNs, so a connect waits until the connector gives up.
 */
async function unansweredPort(): Promise<number> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      "const s = require('net').createServer().listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => console.log(s.address().port))",
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  closers.push(() => child.kill('SIGKILL'));
  const [line] = await once(child.stdout as NodeJS.ReadableStream, 'data');
  const port = Number(String(line).trim());
  await stopProcess(child.pid as number);
  for (let i = 0; i < 2; i++) await openVia(port);
  return port;
}

async function openVia(port: number): Promise<Socket> {
  const socket = netConnect({ port, host: '127.0.0.1' });
  closers.push(() => socket.destroy());
  await once(socket, 'connect');
  return socket;
}

/** Everything a socket receives until the peer ends or closes it. */
function readToEnd(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      text += d;
    });
    socket.once('end', () => resolve(text));
    socket.once('close', () => resolve(text));
  });
}

describe('tcp-proxy', () => {
  it('carries MySQL: mysql2 (a 4 MiB result intact) and the mariadb command-line client', async () => {
    const { port, proxy } = await startProxy({ upstreams: [at(mariadb)] });
    const conn = await mysql.createConnection({
      host: '127.0.0.1',
      port,
      user: 'root',
      password: mariadb.password,
      database: 'test',
    });
    closers.push(() => conn.end());
    const [rows] = await conn.query<mysql.RowDataPacket[]>(
      "SELECT REPEAT('ab', 2 * 1024 * 1024) AS big, CONNECTION_ID() AS id",
    );
    expect(rows[0]?.big).toBe('ab'.repeat(2 * 1024 * 1024));
    const { stdout } = await execFileAsync('mariadb', [
      '-h127.0.0.1',
      `-P${port}`,
      '-uroot',
      `-p${mariadb.password}`,
      '-N',
      '-e',
      'SELECT 6*7',
    ]);
    expect(stdout.trim()).toBe('42');
    expect(proxy.stats().upstreams[0]).toMatchObject({
      address: at(mariadb),
      connects: 2,
      failures: 0,
      down: false,
    });
  });

  it('round_robin: new connections take turns over the upstreams', async () => {
    const { port } = await startProxy({ upstreams: [at(redisA), at(redisB)] });
    const landed: number[] = [];
    for (let i = 0; i < 4; i++) landed.push(await redisPortOf(await redisVia(port)));
    expect(landed).toEqual([redisA.port, redisB.port, redisA.port, redisB.port]);
  });

  it('least_connections: a new connection goes where fewest are open, whatever the turn', async () => {
    const { port, proxy } = await startProxy({
      upstreams: [at(redisA), at(redisB)],
      balance: 'least_connections',
    });
    const c1 = await redisVia(port);
    const c2 = await redisVia(port);
    const c3 = await redisVia(port);
    expect([await redisPortOf(c1), await redisPortOf(c2), await redisPortOf(c3)]).toEqual([
      redisA.port,
      redisB.port,
      redisA.port,
    ]);
    c2.disconnect();
    await waitFor(() => proxy.stats().upstreams[1]?.active === 0, { what: 'the proxy to see c2 close' });
    await redisVia(port); // takes B (the fewest, and its turn)
    // A has 2, B has 1; it is A's turn, so round robin would pick A.
    expect(await redisPortOf(await redisVia(port))).toBe(redisB.port);
    expect(proxy.stats().upstreams.map((u) => u.active)).toEqual([2, 2]);
  });

  it('an upstream that refuses is skipped for retry_after; the client gets through to the next', async () => {
    const dead = await freePort();
    const { port, proxy, lines } = await startProxy({
      upstreams: [`127.0.0.1:${dead}`, at(redisA)],
      retry_after: '1h',
    });
    for (let i = 0; i < 3; i++) expect(await redisPortOf(await redisVia(port))).toBe(redisA.port);
    const [down, up] = proxy.stats().upstreams;
    // Tried once, by the first client; the next two went straight to the live one.
    expect(down).toMatchObject({ address: `127.0.0.1:${dead}`, failures: 1, connects: 0, down: true });
    expect(up).toMatchObject({ connects: 3, failures: 0, down: false });
    const warned = lines.filter((l) => l.msg === 'upstream connect failed; trying it last for retry_after');
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({ upstream: `127.0.0.1:${dead}`, retryAfterMs: 3_600_000 });
    expect(String(warned[0]?.reason)).toMatch(/refused/i);
  });

  it('no upstream accepts: the client is closed and counted; a down upstream back up is used again', async () => {
    const flappy = await freePort();
    const { port, proxy, lines } = await startProxy({
      upstreams: [`127.0.0.1:${flappy}`],
      retry_after: '1h',
    });
    const first = await openVia(port);
    expect(await readToEnd(first)).toBe('');
    expect(proxy.stats()).toMatchObject({ unrouted: 1, connections: 0 });
    expect(lines.find((l) => l.msg === 'no upstream accepted the connection; closing it')).toMatchObject({
      tried: [`127.0.0.1:${flappy}`],
    });

    // Every upstream is down: they are tried anyway, in order, rather than refusing everyone
    // until retry_after is over.
    await tcpServer((s) => s.end('hello from the upstream\n'), flappy);
    const second = await openVia(port);
    expect(await readToEnd(second)).toBe('hello from the upstream\n');
    expect(proxy.stats().upstreams[0]).toMatchObject({ connects: 1, failures: 1, down: false });
    expect(lines.some((l) => l.msg === 'upstream accepts connections again')).toBe(true);
  });

  it('an upstream that does not accept in connect_timeout is given up for the next', async () => {
    const stuck = await unansweredPort();
    const { port, proxy } = await startProxy({
      upstreams: [`127.0.0.1:${stuck}`, at(redisA)],
      connect_timeout: '300ms',
    });
    expect(await redisPortOf(await redisVia(port))).toBe(redisA.port);
    expect(proxy.stats().upstreams[0]).toMatchObject({ failures: 1, connects: 0, down: true });
  });

  it('round_robin: while one upstream is down, the others share the connections evenly', async () => {
    const dead = await freePort();
    const { port } = await startProxy({
      upstreams: [`127.0.0.1:${dead}`, at(redisA), at(redisB)],
      retry_after: '1h',
    });
    const landed: number[] = [];
    for (let i = 0; i < 6; i++) landed.push(await redisPortOf(await redisVia(port)));
    expect(landed).toEqual([redisA.port, redisB.port, redisA.port, redisB.port, redisA.port, redisB.port]);
  });

  it('a request sent with its FIN while the upstream connects still gets its answer', async () => {
    const stuck = await unansweredPort();
    const upstream = await answersAfterEnd();
    const { port } = await startProxy({
      upstreams: [`127.0.0.1:${stuck}`, `127.0.0.1:${upstream.port}`],
      connect_timeout: '300ms',
    });
    const client = await openVia(port);
    client.end('hello'); // as `printf hello | nc -N` does: all of it before any upstream is there
    expect(await readToEnd(client)).toBe('got hello, bye');
  });

  it('a client that resets while its upstream connects is dropped: no upstream connection is made for it', async () => {
    const stuck = await unansweredPort();
    const { port, proxy } = await startProxy({
      upstreams: [`127.0.0.1:${stuck}`, at(redisA)],
      connect_timeout: '1h',
    });
    const client = await openVia(port);
    await waitFor(() => proxy.stats().connecting === 1, { what: 'the proxy to be connecting' });
    client.resetAndDestroy();
    await waitFor(() => proxy.stats().connecting === 0, { what: 'the proxy to give up the connect' });
    expect(proxy.stats()).toMatchObject({ connections: 0, unrouted: 0 });
    expect(proxy.stats().upstreams.map((u) => [u.connects, u.failures])).toEqual([
      [0, 0],
      [0, 0],
    ]);
  });

  it('backpressure: a slow reader holds the proxy to bounded buffers, and every byte arrives in order', async () => {
    const echo = await tcpServer((s) => s.pipe(s));
    const { kernel, port } = await startProxy({ upstreams: [`127.0.0.1:${echo.port}`] });
    const listener = [...kernel.container.resolve<SocketService>(SOCKETS).listeners][0];
    let maxQueued = 0;
    let sawPaused = false;
    const sample = () => {
      for (const conn of listener?.connections ?? []) {
        maxQueued = Math.max(maxQueued, conn.writableLength);
        if (conn.isPaused) sawPaused = true;
      }
    };
    const total = 64 * 1024 * 1024;
    const result = await slowReaderTransfer(port, total, 2, sample);
    expect(result).toEqual({ sent: total, received: total, intact: true });
    expect(sawPaused).toBe(true);
    const highWaterMark = [...(listener?.connections ?? [])][0]?.socket.writableHighWaterMark ?? 16 * 1024;
    expect(maxQueued).toBeLessThanOrEqual(highWaterMark + 64 * 1024);
  }, 120_000);

  it('half-close: the client’s end reaches the upstream, whose answer and end still reach the client', async () => {
    const upstream = await answersAfterEnd();
    const { port } = await startProxy({ upstreams: [`127.0.0.1:${upstream.port}`] });
    const client = await openVia(port);
    client.end('hello');
    expect(await readToEnd(client)).toBe('got hello, bye');
  });

  it('idle_timeout closes both sides of a quiet pair; stop destroys both sides of the rest', async () => {
    // An upstream that stays half-open after a FIN: a pair whose proxy only ended the upstream
    // side would stay open (and counted) for as long as the upstream does.
    const ends: Socket[] = [];
    const upstream = await tcpServer(
      (s) => {
        s.on('end', () => ends.push(s));
        s.resume();
      },
      0,
      true,
    );
    const { kernel, port, proxy } = await startProxy({
      upstreams: [`127.0.0.1:${upstream.port}`],
      idle_timeout: '200ms',
    });
    const quiet = await openVia(port);
    await once(quiet, 'close');
    await waitFor(() => proxy.stats().connections === 0, { what: 'the idle pair to be closed' });
    await waitFor(() => ends.length === 1, { what: 'the upstream to see its side end' });

    await kernel.reload({
      modules: { 'tcp-proxy': { listen: '127.0.0.1:0', upstreams: [`127.0.0.1:${upstream.port}`] } },
    });
    const kept = await openVia(port);
    await waitFor(() => proxy.stats().connections === 1, { what: 'the second pair' });
    const closed = once(kept, 'close');
    await kernel.shutdown();
    await closed;
    await waitFor(() => proxy.stats().connections === 0, { what: 'stop to close the upstream side too' });
    expect(proxy.stats().upstreams[0]?.active).toBe(0);
    await waitFor(() => ends.length === 2, { what: 'the upstream to see the second end' });
  });

  it('publishes its counters as metrics, labelled by upstream', async () => {
    const dead = await freePort();
    const { kernel, port } = await startProxy({
      upstreams: [`127.0.0.1:${dead}`, at(redisA)],
      retry_after: '1h',
    });
    await redisVia(port);
    const families = Object.fromEntries(kernel.metrics.collect().map((f) => [f.name, f.samples]));
    expect(families.tcp_proxy_connections).toEqual([{ value: 1 }]);
    expect(families.tcp_proxy_unrouted_total).toEqual([{ value: 0 }]);
    expect(families.tcp_proxy_upstream_failures_total).toEqual([
      { labels: { upstream: `127.0.0.1:${dead}` }, value: 1 },
      { labels: { upstream: at(redisA) }, value: 0 },
    ]);
    expect(families.tcp_proxy_upstream_down).toEqual([
      { labels: { upstream: `127.0.0.1:${dead}` }, value: 1 },
      { labels: { upstream: at(redisA) }, value: 0 },
    ]);
    expect(families.tcp_proxy_upstream_connections).toEqual([
      { labels: { upstream: `127.0.0.1:${dead}` }, value: 0 },
      { labels: { upstream: at(redisA) }, value: 1 },
    ]);
  });

  it('reload: new connections go to the new upstreams; open ones stay where they are', async () => {
    const { kernel, port, proxy } = await startProxy({ upstreams: [at(redisA)] });
    const before = await redisVia(port);
    expect(await redisPortOf(before)).toBe(redisA.port);
    const report = await kernel.reload({
      modules: { 'tcp-proxy': { listen: '127.0.0.1:0', upstreams: [at(redisB)] } },
    });
    expect(report).toBeDefined();
    expect(await redisPortOf(await redisVia(port))).toBe(redisB.port);
    expect(await redisPortOf(before)).toBe(redisA.port);
    expect(proxy.stats().upstreams.map((u) => u.address)).toEqual([at(redisB)]);
  });

  it('refuses a configuration without upstreams, naming the module and option', async () => {
    const kernel = new Kernel({ logger: pino({ level: 'silent' }), definitions: [socketModule, tcpProxy] });
    kernels.push(kernel);
    const error = await kernel
      .load({ env: {}, config: { modules: { 'tcp-proxy': { upstreams: [] } } } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KernelConfigError);
    expect(String((error as Error).message)).toContain(
      'module "tcp-proxy", option "upstreams": got [], expected a list of an address (host:port, [ipv6]:port, or a Unix socket path) (comma-separated or a JSON array) with at least 1 item',
    );
  });
});
