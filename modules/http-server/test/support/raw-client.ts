import { connect, type Socket } from 'node:net';

/** A response read off a raw socket (test-side reader; handles Content-Length and chunked). */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * A raw TCP client for what fetch cannot do: pipelining, byte trickling, malformed requests.
 * It collects everything received and parses complete responses on demand.
 */
export class RawClient {
  private received = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  closed = false;
  readonly closedPromise: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.received = Buffer.concat([this.received, d]);
      this.wake();
    });
    socket.on('error', () => {});
    this.closedPromise = new Promise((resolve) =>
      socket.on('close', () => {
        this.closed = true;
        this.wake();
        resolve();
      }),
    );
  }

  /** @param allowHalfOpen keep writing after the server ended its side */
  static open(port: number, allowHalfOpen = false): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, allowHalfOpen }, () =>
        resolve(new RawClient(socket)),
      );
      socket.once('error', reject);
    });
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Resolves with `count` complete responses (`headOnly` for responses to HEAD). */
  async responses(count: number, headOnly = false): Promise<RawResponse[]> {
    for (;;) {
      const parsed = parseResponses(this.received, headOnly, this.closed);
      if (parsed.length >= count) return parsed.slice(0, count);
      if (this.closed) throw new Error(`connection closed after ${parsed.length} responses: ${this.text()}`);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Everything received so far as text. */
  text(): string {
    return this.received.toString('latin1');
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}

function parseResponses(data: Buffer, headOnly: boolean, closed: boolean): RawResponse[] {
  const out: RawResponse[] = [];
  let pos = 0;
  for (;;) {
    const headEnd = data.indexOf('\r\n\r\n', pos);
    if (headEnd < 0) return out;
    const lines = data.toString('latin1', pos, headEnd).split('\r\n');
    const status = Number(lines[0].split(' ')[1]);
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    let bodyStart = headEnd + 4;
    if (status === 100) {
      out.push({ status, headers, body: '' });
      pos = bodyStart;
      continue;
    }
    let body: Buffer;
    if (headOnly || status === 204 || status === 304) {
      body = Buffer.alloc(0);
    } else if (headers['content-length'] !== undefined) {
      const n = Number(headers['content-length']);
      if (data.length < bodyStart + n) return out;
      body = data.subarray(bodyStart, bodyStart + n);
      bodyStart += n;
    } else if (headers['transfer-encoding'] === 'chunked') {
      const parts: Buffer[] = [];
      let p = bodyStart;
      for (;;) {
        const lineEnd = data.indexOf('\r\n', p);
        if (lineEnd < 0) return out;
        const size = Number.parseInt(data.toString('latin1', p, lineEnd), 16);
        if (size === 0) {
          const end = data.indexOf('\r\n\r\n', lineEnd);
          if (end < 0) return out;
          bodyStart = end + 4;
          break;
        }
        if (data.length < lineEnd + 2 + size + 2) return out;
        parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
        p = lineEnd + 2 + size + 2;
      }
      body = Buffer.concat(parts);
    } else {
      if (!closed) return out;
      body = data.subarray(bodyStart);
      bodyStart = data.length;
    }
    out.push({ status, headers, body: body.toString('utf8') });
    pos = bodyStart;
  }
}
