import type { Connection } from '@scalestack/socket';
import { RespDecoder } from './codec/decoder.js';
import type { CommandContext } from './commands/command.js';
import { execute } from './commands/dispatch.js';
import { protocolError } from './commands/errors.js';
import type { Store } from './store.js';

/** Per-server settings shared by every session (resolved once, when the listener is built). */
/** Replies are gathered up to this size before they are written; larger values go out as they are. */
const BATCH_BYTES = 16 * 1024;

export interface SessionSettings {
  readonly store: Store;
  readonly maxBulkSize: number;
}

// #region guide:session
/**
 * One client connection: bytes in → decoder → commands → replies out.
 *
 * Pipelining: every command that arrived in one read is run in a row; small replies are
 * gathered into one buffer and the socket is corked, so the burst leaves in one write.
 * Backpressure: when the socket's write buffer is full the session stops running commands and
 * stops reading; it carries on when the buffer drains.
 */
export class RespSession implements CommandContext {
  readonly store: Store;
  readonly #conn: Connection;
  readonly #decoder: RespDecoder;
  /** Small replies of the current burst, sent as one buffer (one write instead of one per reply). */
  #batch: Uint8Array[] = [];
  #batchBytes = 0;
  #writable = true;
  #waitingForDrain = false;
  #closing = false;

  constructor(conn: Connection, settings: SessionSettings) {
    this.#conn = conn;
    this.store = settings.store;
    this.#decoder = new RespDecoder({ maxBulkSize: settings.maxBulkSize });
    conn.onData((chunk) => {
      this.#decoder.push(chunk);
      this.#run();
    });
    conn.onDrain(() => {
      if (!this.#waitingForDrain) return;
      this.#waitingForDrain = false;
      this.#writable = true;
      this.#run();
      if (!this.#waitingForDrain && !this.#closing) conn.resume();
    });
    conn.onEnd(() => this.close());
  }

  write(bytes: Uint8Array): void {
    if (bytes.length >= BATCH_BYTES) {
      this.#flush();
      this.#send(bytes);
      return;
    }
    this.#batch.push(bytes);
    this.#batchBytes += bytes.length;
    if (this.#batchBytes >= BATCH_BYTES) this.#flush();
  }

  close(): void {
    if (this.#closing) return;
    this.#flush();
    this.#closing = true;
    this.#conn.close();
  }

  #flush(): void {
    if (this.#batch.length === 0) return;
    const out = this.#batch.length === 1 ? this.#batch[0]! : Buffer.concat(this.#batch, this.#batchBytes);
    this.#batch = [];
    this.#batchBytes = 0;
    this.#send(out);
  }

  #send(bytes: Uint8Array): void {
    if (!this.#conn.write(bytes)) this.#writable = false;
  }

  /** Runs every complete command buffered, unless the client must first read its replies. */
  #run(): void {
    if (this.#waitingForDrain || this.#closing) return;
    this.#conn.cork();
    try {
      while (this.#writable && !this.#closing) {
        const args = this.#decoder.next();
        if (args === undefined) break;
        execute(args, this);
      }
      this.#flush();
      if (this.#closing) return;
      const reason = this.#decoder.error;
      if (reason !== undefined) {
        // As redis-server does: answer the protocol error, then close the connection.
        this.write(protocolError(reason));
        this.close();
      } else if (!this.#writable) {
        this.#waitingForDrain = true;
        this.#conn.pause();
      }
    } finally {
      this.#conn.uncork();
    }
  }
}
// #endregion
