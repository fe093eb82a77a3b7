import { connect, type Socket } from 'node:net';

/**
 * A minimal memcached text-protocol client for tests: writes raw bytes and reads until a reply
 * is complete. It knows nothing about the protocol beyond "a reply ends with one of these lines",
 * so tests see exactly what the server sent.
 */
export class TextClient {
  private buffer = '';
  private waiter: (() => void) | undefined;
  private closed = false;

  private constructor(readonly socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      this.waiter?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiter?.();
    });
    socket.on('error', () => {});
  }

  static connect(port: number, host = '127.0.0.1'): Promise<TextClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port }, () => resolve(new TextClient(socket)));
      socket.once('error', reject);
    });
  }

  write(data: string | Buffer): void {
    this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  /** Resolves with everything received once `complete(text)` returns the length of a full reply. */
  read(complete: (text: string) => number, timeoutMs = 5000): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(
          new Error(
            `no complete reply within ${timeoutMs}ms; got ${JSON.stringify(this.buffer.slice(0, 300))}`,
          ),
        );
      }, timeoutMs);
      const check = () => {
        const n = complete(this.buffer);
        if (n > 0) {
          clearTimeout(timer);
          this.waiter = undefined;
          const text = this.buffer.slice(0, n);
          this.buffer = this.buffer.slice(n);
          resolve(text);
        } else if (this.closed) {
          clearTimeout(timer);
          this.waiter = undefined;
          reject(new Error(`connection closed; got ${JSON.stringify(this.buffer)}`));
        }
      };
      this.waiter = check;
      check();
    });
  }

  /** Reads `n` CRLF-terminated lines. */
  lines(n: number): Promise<string> {
    return this.read((text) => {
      let at = 0;
      for (let i = 0; i < n; i++) {
        const lf = text.indexOf('\r\n', at);
        if (lf === -1) return 0;
        at = lf + 2;
      }
      return at;
    });
  }

  /** Reads through the next line that is exactly `line` (e.g. END). */
  until(line: string): Promise<string> {
    return this.read((text) => {
      const at = text.startsWith(`${line}\r\n`) ? 0 : text.indexOf(`\r\n${line}\r\n`);
      if (at === -1) return 0;
      return at === 0 && text.startsWith(`${line}\r\n`) ? line.length + 2 : at + line.length + 4;
    });
  }

  /** Sends a command (CRLF added when missing) and reads a one-line reply. */
  async call(command: string): Promise<string> {
    this.write(command.endsWith('\n') ? command : `${command}\r\n`);
    return (await this.lines(1)).trimEnd();
  }

  /** True once the server closed the connection. */
  waitClosed(): Promise<void> {
    return new Promise((resolve) => (this.closed ? resolve() : this.socket.once('close', () => resolve())));
  }

  close(): void {
    this.socket.destroy();
  }
}
