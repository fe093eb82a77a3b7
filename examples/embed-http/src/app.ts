import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EchoServer } from '@scalestack/echo-server';
import { formatAddress } from '@scalestack/kernel';

/**
 * The application's own request handler, as it was before the kernel moved in; it now also
 * reports on the echo server the kernel runs beside it.
 */
export function handleRequest(req: IncomingMessage, res: ServerResponse, echo: EchoServer): void {
  if (req.method === 'GET' && req.url === '/') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('hello from the app\n');
  } else if (req.method === 'GET' && req.url === '/echo') {
    const body = { address: formatAddress(echo.address), connections: echo.connectionCount };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  } else {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  }
}
