import { createToken } from '@scalestack/kernel';
import type { AddressLike } from './address.js';
import type { ConnectOptions } from './connect.js';
import type { Connection } from './connection.js';
import type { ConnectionHandler, Listener, ListenOptions } from './listen.js';

/**
 * What the `socket` kernel module provides: {@link listen} and {@link connect} with the
 * module's defaults applied, remembering listeners so that the kernel's drain phase stops
 * accepting and its stop phase closes whatever is left.
 */
export interface SocketService {
  listen(address: AddressLike, onConnection: ConnectionHandler, options?: ListenOptions): Promise<Listener>;
  connect(address: AddressLike, options?: ConnectOptions): Promise<Connection>;
  /** The listeners opened through this service that are still open. */
  readonly listeners: ReadonlySet<Listener>;
}

/** The token of the {@link SocketService}: `Symbol.for('scalestack:socket')`. */
export const SOCKETS = createToken<SocketService>('socket');
