import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeAll, expect, it } from 'vitest';
import { type LoggedProcess, repo, spawnLogged } from './app-process.js';

beforeAll(() => {
  // The app runs from dist/, as it would in production: build it and what it depends on.
  execFileSync(join(repo, 'node_modules/.bin/tsc'), ['-b', 'examples/embed-http'], { cwd: repo });
});

const running: LoggedProcess[] = [];
afterEach(() => {
  // A test that failed half-way must not leave its app running.
  for (const app of running.splice(0)) app.child.kill('SIGKILL');
});

function portOf(address: unknown): number {
  return Number(String(address).split(':').pop());
}

async function open(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  return socket;
}

/** Resolves with the error code of a connection attempt that must fail. */
function refusal(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.on('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code));
  });
}

it('serves HTTP and echoes beside it, and SIGTERM closes both and exits 0', async () => {
  const app = spawnLogged(['examples/embed-http/dist/main.js'], {
    PORT: '0',
    SCALESTACK_ECHO_SERVER_LISTEN: '127.0.0.1:0',
  });
  running.push(app);
  const ready = await app.waitForLog('app ready');
  const httpPort = portOf(ready.http);
  const echoPort = portOf(ready.echo);

  const home = await fetch(`http://127.0.0.1:${httpPort}/`);
  expect(home.status).toBe(200);
  expect(await home.text()).toBe('hello from the app\n');

  const client = await open(echoPort);
  const echoed = once(client, 'data');
  client.write('ping through the embedded kernel');
  expect(String((await echoed)[0])).toBe('ping through the embedded kernel');
  const status = await fetch(`http://127.0.0.1:${httpPort}/echo`, { headers: { connection: 'close' } });
  expect(await status.json()).toEqual({ address: `127.0.0.1:${echoPort}`, connections: 1 });

  const clientClosed = once(client, 'close');
  app.child.kill('SIGTERM');
  await clientClosed;
  expect(await app.exited).toEqual({ code: 0, signal: null });
  expect(app.output()).toContain('"msg":"stopped"');
  expect(await refusal(httpPort)).toBe('ECONNREFUSED');
  expect(await refusal(echoPort)).toBe('ECONNREFUSED');
});
