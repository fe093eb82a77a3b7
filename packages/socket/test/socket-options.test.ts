/**
 * TCP_NODELAY and keepalive on accepted connections, read back from the kernel. On Linux the
 * listener sets them once on the listening socket and accepted sockets inherit them; this checks
 * that every accepted connection ends up with what was asked for, whichever way it got there.
 * Node has no getsockopt, so the accepted socket is handed to a python3 child as its fd 3.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect as netConnect, type Socket } from 'node:net';
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
  const child = spawn('python3', ['-c', READ_OPTIONS], { stdio: ['ignore', 'pipe', 'inherit', socket] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    out += text;
  });
  const [code] = (await once(child, 'close')) as [number];
  if (code !== 0) throw new Error(`python3 exited with ${code}`);
  const [noDelay, keepAlive, idle] = out.trim().split(/\s+/).map(Number);
  return { noDelay: noDelay !== 0, keepAlive: keepAlive !== 0, keepIdleSeconds: idle! };
}

const listeners: Listener[] = [];
const clients: Socket[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await Promise.all(listeners.splice(0).map((l) => l.closeAll()));
});

/** Listens with `options`, opens `count` connections at once, resolves with the accepted ones. */
async function acceptSome(options: Parameters<typeof listen>[2], count: number): Promise<Connection[]> {
  const accepted: Connection[] = [];
  let done!: () => void;
  const all = new Promise<void>((resolve) => {
    done = resolve;
  });
  const listener = await listen(
    '127.0.0.1:0',
    (conn) => {
      accepted.push(conn);
      if (accepted.length === count) done();
    },
    options,
  );
  listeners.push(listener);
  const port = listener.address.kind === 'tcp' ? listener.address.port : 0;
  // Opened before the listener's first loop turns are over (options set per connection) and
  // after (options inherited from the listening socket).
  for (let i = 0; i < count; i++) {
    if (i === count >> 1) for (let turn = 0; turn < 3; turn++) await new Promise(setImmediate);
    clients.push(netConnect(port, '127.0.0.1'));
  }
  await all;
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
