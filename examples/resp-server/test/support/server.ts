import { Kernel } from '@scalestack/kernel';
import { RESP_SERVER, type RespServer } from '../../src/index.js';

export interface StartedServer {
  port: number;
  server: RespServer;
  kernel: Kernel;
  stop(): Promise<void>;
}

// #region guide:test-kernel
/** Starts the module by its name through a real kernel (resolving `scalestack-module-resp-server`). */
export async function startRespServer(options: Record<string, string> = {}): Promise<StartedServer> {
  const kernel = new Kernel({ logLevel: 'warn' });
  const args = Object.entries({ listen: '127.0.0.1:0', ...options }).map(
    ([name, value]) => `--resp-server.${name}=${value}`,
  );
  await kernel.load({ modules: ['resp-server'], env: {}, args });
  await kernel.start();
  const server = kernel.resolve(RESP_SERVER);
  if (server.address.kind !== 'tcp') throw new Error('expected a TCP address');
  return { port: server.address.port, server, kernel, stop: () => kernel.shutdown() };
}
// #endregion
