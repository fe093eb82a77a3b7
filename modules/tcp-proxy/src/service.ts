import { type Address, createToken } from '@scalestack/kernel';
import type { TcpProxyStats } from './tcp-proxy.js';

/** What a running tcp-proxy offers its kernel (and an embedding application). */
export interface TcpProxyService {
  /** Where it listens; with port 0 this holds the port the OS chose. */
  readonly address: Address;
  /** Connections, connection attempts and per-upstream counters. */
  stats(): TcpProxyStats;
}

/** The token of the {@link TcpProxyService}: `Symbol.for('scalestack:tcp-proxy')`. */
export const TCP_PROXY = createToken<TcpProxyService>('tcp-proxy');
