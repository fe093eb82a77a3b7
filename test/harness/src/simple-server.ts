import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trackDir } from './cleanup.js';
import { freePort } from './free-port.js';
import { isPortConflict, type ServerProcess, spawnServer, waitUntilReady } from './server-process.js';

/** A running server with a host and port: Redis, a Redis Cluster node, memcached. */
export interface RunningServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** The server's pid. */
  readonly pid: number;
  /** The directory holding this server's files (removed on stop). */
  readonly dir: string;
  /** Graceful shutdown (SIGTERM), then removes this server's files. */
  stop(): Promise<void>;
  /** SIGKILL, for fault tests; call {@link stop} afterwards to remove the files. */
  kill(): Promise<void>;
}

/** How to start one kind of single-port server. */
export interface ServerRecipe {
  /** Used in directory names and messages: `redis`, `memcached`. */
  kind: string;
  binary: string;
  /** Picks the port (default {@link freePort}). */
  pickPort?: () => Promise<number>;
  args(port: number, dir: string): string[];
  ready(port: number): Promise<boolean>;
  timeout?: number;
}

/** Starts a server on a free port, retrying with another port when it lost the race for one. */
export async function startSimpleServer(recipe: ServerRecipe): Promise<RunningServer> {
  const dir = mkdtempSync(join(tmpdir(), `scalestack-${recipe.kind}-`));
  const untrackDir = trackDir(dir);
  let server: ServerProcess;
  let port: number;
  for (let attempt = 1; ; attempt++) {
    port = await (recipe.pickPort ?? freePort)();
    server = await spawnServer(recipe.binary, recipe.args(port, dir), join(dir, `${recipe.kind}.log`), dir);
    try {
      await waitUntilReady(
        server,
        () => recipe.ready(port),
        `${recipe.kind} on port ${port}`,
        recipe.timeout ?? 20_000,
      );
      break;
    } catch (err) {
      await server.terminate('SIGKILL');
      if (attempt < 3 && isPortConflict(server.log())) continue;
      rmSync(dir, { recursive: true, force: true });
      untrackDir();
      throw err;
    }
  }
  return {
    host: '127.0.0.1',
    port,
    pid: server.pid,
    dir,
    async stop() {
      await server.terminate('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
      untrackDir();
    },
    async kill() {
      await server.terminate('SIGKILL');
    },
  };
}
