import { Kernel, type ModuleDefinition } from '@scalestack/kernel';
import { pino } from 'pino';
import httpServer, { HTTP_SERVER, type HttpServerInfo } from '../../src/index.js';

export interface Started {
  kernel: Kernel;
  port: number;
  url: string;
}

/** Starts a real kernel with `http-server` (on a free port) and the given extra modules. */
export async function startHttp(
  options: Record<string, unknown> = {},
  extra: readonly ModuleDefinition[] = [],
): Promise<Started> {
  const kernel = new Kernel({ logger: pino({ level: 'silent' }), definitions: [httpServer, ...extra] });
  await kernel.load({
    modules: ['http-server', ...extra.map((d) => d.name)],
    config: { modules: { 'http-server': { listen: '127.0.0.1:0', ...options } } },
    env: {},
    args: [],
  });
  await kernel.start();
  const port = boundPort(kernel);
  return { kernel, port, url: `http://127.0.0.1:${port}` };
}

function boundPort(kernel: Kernel): number {
  const address = kernel.container.resolve<HttpServerInfo>(HTTP_SERVER).address;
  if (address?.kind !== 'tcp') throw new Error('http-server is not listening on TCP');
  return address.port;
}
