import { Kernel } from '@scalestack/kernel';
import { SOCKETS, type SocketService } from '@scalestack/socket';
import socketModule from '@scalestack/socket/module';
import mysql from 'mysql2/promise';
import sqliteBackend from '../../src/index.js';

/** A Kernel running `socket` + `sqlite-backend`. */
export interface Running {
  kernel: Kernel;
  port: number;
  connect(options?: mysql.ConnectionOptions): Promise<mysql.Connection>;
  stop(): Promise<void>;
}

/** Starts the module through a real Kernel with `config` as its options (listen defaults to port 0). */
export async function startBackend(config: Record<string, unknown> = {}): Promise<Running> {
  const kernel = new Kernel({ definitions: [socketModule, sqliteBackend], logLevel: 'silent' });
  await kernel.load({
    modules: ['sqlite-backend'],
    env: {},
    args: [],
    config: { modules: { 'sqlite-backend': { listen: '127.0.0.1:0', ...config } } },
  });
  await kernel.start();
  const sockets = kernel.container.resolve<SocketService>(SOCKETS);
  const address = [...sockets.listeners][0]!.address;
  if (address.kind !== 'tcp') throw new Error('expected a TCP listener');
  const port = address.port;
  return {
    kernel,
    port,
    connect: (options = {}) =>
      mysql.createConnection({ host: '127.0.0.1', port, user: 'root', password: '', ...options }),
    stop: () => kernel.shutdown(),
  };
}
