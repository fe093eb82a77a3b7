/**
 * TCP_NODELAY and keepalive on accepted connections, read back from the kernel. On Linux the
 * listener sets them once on the listening socket and accepted sockets inherit them; this checks
 * that every accepted connection ends up with what was asked for, whichever way it got there.
 * Node has no getsockopt, so the accepted socket is handed to a python3 child as its fd 3.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, connect as netConnect, type Socket } from 'node:net';
import { selfSignedCert } from '@scalestack/test-harness';
import { afterEach, expect, it } from 'vitest';
import { type Connection, type Listener, listen } from '../src/index.js';

const READ_OPTIONS = `
import socket
s = socket.socket(fileno=3)
print(s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY),
      s.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE),
      s.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE))
s.detach()
`;

interface SocketOptions {
  noDelay: boolean;
  keepAlive: boolean;
  keepIdleSeconds: number;
}

async function optionsOf(socket: Socket): Promise<SocketOptions> {
  // A TLSSocket wraps the accepted net.Socket (`_parent`), which holds the descriptor.
  const raw = (socket as unknown as { _parent?: Socket })._parent ?? socket;
  const child = spawn('python3', ['-c', READ_OPTIONS], { stdio: ['ignore', 'pipe', 'inherit', raw] });
  let out = '';
  // stdio[1] is 'pipe', so stdout is there (the overload taking a Socket in stdio cannot say so).
  child.stdout!.setEncoding('utf8').on('data', (text: string) => {
    out += text;
  });
  const [code] = (await once(child, 'close')) as [number];
  if (code !== 0) throw new Error(`python3 exited with ${code}`);
  const [noDelay, keepAlive, idle] = out.trim().split(/\s+/).map(Number);
  return { noDelay: noDelay !== 0, keepAlive: keepAlive !== 0, keepIdleSeconds: idle! };
}

const listeners: Listener[] = [];
const clients: Socket[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) c.kill();
  for (const c of clients.splice(0)) c.destroy();
  await Promise.all(listeners.splice(0).map((l) => l.closeAll()));
});

/**
 * Listens with `options` and a backlog of 1, opens `count` connections one after another and
 * resolves with the accepted ones. With that backlog the first two get the options one by one
 * (the most the accept queue could have held before the listening socket had them) and the
 * rest inherit them from the listening socket.
 */
async function acceptSome(options: Parameters<typeof listen>[2], count: number): Promise<Connection[]> {
  const accepted: Connection[] = [];
  let next: (() => void) | undefined;
  const listener = await listen(
    '127.0.0.1:0',
    (conn) => {
      accepted.push(conn);
      next?.();
    },
    { ...options, backlog: 1 },
  );
  listeners.push(listener);
  const port = listener.address.kind === 'tcp' ? listener.address.port : 0;
  for (let i = 0; i < count; i++) {
    const acceptedNow = new Promise<void>((resolve) => {
      next = resolve;
    });
    clients.push(netConnect(port, '127.0.0.1'));
    await acceptedNow;
  }
  return accepted;
}

it('accepted connections have TCP_NODELAY and no keepalive by default', async () => {
  for (const conn of await acceptSome({}, 4)) {
    expect(await optionsOf(conn.socket)).toMatchObject({ noDelay: true, keepAlive: false });
  }
});

it('noDelay: false leaves Nagle on; keepAlive sets the probes and their delay in whole seconds', async () => {
  for (const conn of await acceptSome({ noDelay: false, keepAlive: 45_500 }, 4)) {
    expect(await optionsOf(conn.socket)).toEqual({ noDelay: false, keepAlive: true, keepIdleSeconds: 45 });
  }
});

/**
 * How many connections wait in the accept queue of the socket listening on `port` now (its
 * Recv-Q; the harness's acceptQueueLength reads the queue's size). Synchronous: it is read from
 * inside a busy tick.
 */
function connectionsWaiting(port: number): number {
  const line = execFileSync('ss', ['-ltnH', `( sport = :${port} )`], { encoding: 'utf8' }).trim();
  return line === '' ? 0 : Number(line.split(/\s+/)[1]);
}

/** A port nothing listens on (yet). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A child process that keeps trying to connect to `port` until it holds `count` connections;
 * resolves once it has been refused at least once (it is trying, and nothing listens yet).
 */
async function connectingChild(port: number, tls: boolean, count: number): Promise<void> {
  const script = `
    const net = require('node:net'), tls = require('node:tls');
    let held = 0, pending = 0, told = false;
    const attempt = () => {
      if (held + pending >= ${count}) return;
      pending++;
      const s = ${tls} ? tls.connect({ port: ${port}, host: '127.0.0.1', rejectUnauthorized: false })
                       : net.connect(${port}, '127.0.0.1');
      s.on('connect', () => { pending--; held++; });
      s.on('error', () => { pending--; if (!told) { told = true; console.log('refused'); } });
    };
    setInterval(() => { for (let i = 0; i < 4; i++) attempt(); }, 1);
    setTimeout(() => process.exit(0), 30000);
  `;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  await once(child.stdout, 'data');
}

it.each([
  ['plain TCP', false],
  ['TLS', true],
])(
  '%s: connections the kernel queued before the listening socket had the options get them too',
  async (_, tls) => {
    const port = await freePort();
    const cert = tls ? await selfSignedCert() : undefined;
    await connectingChild(port, tls, 6);
    const accepted: Connection[] = [];
    let done!: () => void;
    const six = new Promise<void>((resolve) => {
      done = resolve;
    });
    const listening = listen(
      `127.0.0.1:${port}`,
      (conn) => {
        accepted.push(conn);
        if (accepted.length === 6) done();
      },
      { keepAlive: 30_000, tls: cert === undefined ? undefined : { key: cert.key, cert: cert.cert } },
    );
    // Node calls listen(2) in one nextTick and emits 'listening' (after which the listener sets
    // the options on the listening socket) in a later one; this nextTick runs between them. Busy
    // there, as any synchronous start-up work would be, until the kernel has completed one of
    // the child's handshakes into the accept queue (its length is the listening socket's Recv-Q
    // in `ss`): a connection made before the listening socket has the options.
    let queued = 0;
    process.nextTick(() => {
      const until = Date.now() + 10_000;
      while (queued === 0 && Date.now() < until) queued = connectionsWaiting(port);
    });
    listeners.push(await listening);
    expect(queued, 'connections queued before the listening socket had the options').toBeGreaterThan(0);
    await six;
    for (const conn of accepted) {
      expect(await optionsOf(conn.socket)).toEqual({ noDelay: true, keepAlive: true, keepIdleSeconds: 30 });
    }
  },
);
