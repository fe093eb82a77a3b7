import { lstat, stat, unlink } from 'node:fs/promises';
import { connect } from 'node:net';
import { dirname } from 'node:path';

/**
 * Makes a Unix socket path ready to listen on: a leftover socket file that nobody listens on
 * any more (the previous process crashed) is removed; a live one, or a file that is not a
 * socket, is left alone and reported. A directory that is missing is named as such: Node's bind
 * says `EACCES` (permission denied) for it, even to root.
 *
 * @throws Error when something listens on `path`, `path` is not a socket, or its directory is missing
 */
export async function clearStaleUnixSocket(path: string): Promise<void> {
  const dir = dirname(path);
  const dirStats = await stat(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return undefined;
    throw err;
  });
  if (dirStats === undefined || !dirStats.isDirectory()) throw new Error(`no such directory ${dir}`);
  let stats: Awaited<ReturnType<typeof lstat>>;
  try {
    stats = await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (!stats.isSocket()) throw new Error(`${path} exists and is not a socket; refusing to replace it`);
  if (await somethingListens(path)) throw new Error(`another process is listening on ${path}`);
  await unlink(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
}

function somethingListens(path: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const probe = connect({ path });
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED' || err.code === 'ENOENT') resolve(false);
      else reject(err);
    });
  });
}
