export { type AddressLike, toAddress } from './address.js';
export { type ConnectOptions, connect } from './connect.js';
export { Connection, type DataHandler } from './connection.js';
export { ReadBuffer } from './direct-reads.js';
export { ConnectError, ListenError, SocketTimeoutError, type TimeoutKind } from './errors.js';
export { type ConnectionHandler, type Listener, type ListenOptions, listen } from './listen.js';
export { SOCKETS, type SocketService } from './service.js';
export type { ServerUpgradeOptions, TlsUpgradeOptions } from './tls-upgrade.js';
export { clearStaleUnixSocket } from './unix-socket.js';
