import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { lstatSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connect, ListenError, listen } from '../src/index.js';
import { roundTrip } from './helpers.js';

describe('Unix sockets', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scalestack-socket-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('listens and echoes on a socket path, and removes the file on close', async () => {
    const path = join(dir, 'echo.sock');
    const listener = await listen(`unix:${path}`, (conn) => conn.pipe(conn));
    expect(listener.address).toEqual({ kind: 'unix', path });
    const client = await connect(path);
    expect(client.remoteAddress).toBe('unix');
    expect(await roundTrip(client.socket, 'over unix')).toBe('over unix');
    await listener.closeAll();
    expect(() => lstatSync(path)).toThrow(/ENOENT/);
  });

  it('replaces a stale socket file left by a crashed process', async () => {
    const path = join(dir, 'stale.sock');
    // A real process binds the path and is killed, leaving the file behind.
    const child = spawn(
      process.execPath,
      ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => console.log('ready'))`],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await once(child.stdout!, 'data');
    child.kill('SIGKILL');
    await once(child, 'exit');
    expect(lstatSync(path).isSocket()).toBe(true);

    const listener = await listen(path, (conn) => conn.pipe(conn));
    const client = await connect(path);
    expect(await roundTrip(client.socket, 'fresh')).toBe('fresh');
    await listener.closeAll();
  });

  it('leaves a live socket alone', async () => {
    const path = join(dir, 'live.sock');
    const first = await listen(path, (conn) => conn.end('first\n'));
    const attempt = listen(path, () => {});
    await expect(attempt).rejects.toThrow(ListenError);
    await expect(attempt).rejects.toThrow(
      `cannot listen on ${path}: another process is listening on ${path}`,
    );
    const client = await connect(path);
    const greeting = await new Promise<string>((resolve) => client.onData((c) => resolve(c.toString())));
    expect(greeting).toBe('first\n');
    await first.closeAll();
  });

  it('says a missing directory is missing, not "permission denied"', async () => {
    const path = join(dir, 'no-such-dir', 'x.sock');
    const err = await listen(`unix:${path}`, () => {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ListenError);
    expect((err as Error).message).toBe(
      `cannot listen on ${path}: no such directory ${join(dir, 'no-such-dir')}`,
    );
  });

  it('never replaces a file that is not a socket', async () => {
    const path = join(dir, 'precious.txt');
    writeFileSync(path, 'keep me');
    await expect(listen(path, () => {})).rejects.toThrow('exists and is not a socket');
    expect(readFileSync(path, 'utf8')).toBe('keep me');
  });
});
