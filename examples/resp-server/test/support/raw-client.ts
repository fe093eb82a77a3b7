import { connect, type Socket } from 'node:net';

/** Encodes a command as a RESP array of bulk strings, as every client library does. */
export function command(...args: (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = typeof arg === 'string' ? Buffer.from(arg, 'latin1') : arg;
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

const SENTINEL = command('ECHO', '__sentinel__');
const SENTINEL_REPLY = Buffer.from('$12\r\n__sentinel__\r\n');

/** A raw connection that sends bytes and collects the exact reply bytes. */
export class RawClient {
  readonly #socket: Socket;
  #received: Buffer = Buffer.alloc(0);
  #closed = false;
  #waiter: (() => void) | undefined;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#received = Buffer.concat([this.#received, chunk]);
      this.#waiter?.();
    });
    socket.on('close', () => {
      this.#closed = true;
      this.#waiter?.();
    });
    socket.on('error', () => {});
  }

  static async open(port: number): Promise<RawClient> {
    const socket = connect({ port, host: '127.0.0.1' });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawClient(socket);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Sends `request` followed by a sentinel ECHO and returns the replies to `request` alone:
   * commands that answer nothing (an empty line, `*0`) are covered too, without guessing counts.
   */
  async exchange(request: Buffer | string): Promise<Buffer> {
    this.#received = Buffer.alloc(0);
    this.#socket.write(Buffer.concat([toBytes(request), SENTINEL]));
    await this.#until(() => this.#received.subarray(-SENTINEL_REPLY.length).equals(SENTINEL_REPLY));
    return this.#received.subarray(0, this.#received.length - SENTINEL_REPLY.length);
  }

  /** Sends bytes and returns everything received until the server closes the connection. */
  async untilClosed(request: Buffer | string): Promise<Buffer> {
    this.#received = Buffer.alloc(0);
    this.#socket.write(toBytes(request));
    await this.#until(() => this.#closed);
    return this.#received;
  }

  close(): void {
    this.#socket.destroy();
  }

  #until(done: () => boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (done()) {
          this.#waiter = undefined;
          resolve();
        } else if (this.#closed) {
          this.#waiter = undefined;
          reject(
            new Error(`connection closed; received ${JSON.stringify(this.#received.toString('latin1'))}`),
          );
        }
      };
      this.#waiter = check;
      check();
    });
  }
}

function toBytes(request: Buffer | string): Buffer {
  return typeof request === 'string' ? Buffer.from(request, 'latin1') : request;
}
