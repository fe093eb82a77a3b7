import type { Socket } from 'node:net';
import { Kernel } from '@scalestack/kernel';
import { SOCKETS, type SocketService } from '@scalestack/socket';
import socketModule from '@scalestack/socket/module';
import type { Connection as CoreConnection } from 'mysql2';
import mysql from 'mysql2/promise';
import sqliteBackend from '../../src/index.js';

/**
 * What a mysql2 promise `Connection` holds but its typings leave out: the callback-API
 * connection it wraps (`connection`, which emits the errors the server sends unasked) and that
 * connection's socket (`stream`). Tests cast a promise connection to this to reach them.
 */
export interface Mysql2Internals {
  connection: CoreConnection & { stream: Socket };
}

/** A Kernel running `socket` + `sqlite-backend`. */
export interface Running {
  kernel: Kernel;
  port: number;
  connect(options?: mysql.ConnectionOptions): Promise<mysql.Connection>;
  /** A metric's first sample, as the kernel's registry collects it. */
  metric(name: string, labels?: Record<string, string>): number;
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
    metric: (name, labels) => {
      const family = kernel.metrics.collect().find((f) => f.name === name);
      const sample = family?.samples.find(
        (s) => labels === undefined || Object.entries(labels).every(([k, v]) => s.labels?.[k] === v),
      );
      if (sample === undefined) throw new Error(`no metric ${name}`);
      return sample.value;
    },
    stop: () => kernel.shutdown(),
  };
}
