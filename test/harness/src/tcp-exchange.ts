import { connect } from 'node:net';

/**
 * Connects to 127.0.0.1:`port`, writes `request` and resolves with everything read until
 * `complete(response)` holds. Used to probe servers with their own protocol (PING, version).
 *
 * @throws Error when the connection fails, closes early or `timeoutMs` passes
 */
export function tcpExchange(
  port: number,
  request: string,
  complete: (response: string) => boolean,
  timeoutMs = 2_000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let response = '';
    const socket = connect({ host: '127.0.0.1', port });
    socket.setEncoding('utf8');
    socket.setTimeout(timeoutMs, () =>
      socket.destroy(new Error(`no complete answer from port ${port} within ${timeoutMs}ms`)),
    );
    socket.once('connect', () => socket.write(request));
    socket.on('data', (chunk: string) => {
      response += chunk;
      if (complete(response)) {
        socket.destroy();
        resolve(response);
      }
    });
    socket.once('error', reject);
    socket.once('close', () =>
      reject(new Error(`port ${port} closed the connection after ${JSON.stringify(response)}`)),
    );
  });
}
