import { type Address, createToken } from '@scalestack/kernel';

/** What a running echo-server offers its kernel (and an embedding application). */
export interface EchoServer {
  /** Where it listens; with port 0 this holds the port the OS chose. */
  readonly address: Address;
  /** Connections being echoed right now. */
  readonly connectionCount: number;
  /**
   * Closes connections idle for `ms` milliseconds, open ones included. 0 turns it off for open
   * connections; new ones then get the socket module's `idle_timeout`.
   */
  setIdleTimeout(ms: number): void;
}

/** The token of the {@link EchoServer}: `Symbol.for('scalestack:echo-server')`. */
export const ECHO_SERVER = createToken<EchoServer>('echo-server');
