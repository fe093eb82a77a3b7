import { type Connection, writeProgress } from '@scalestack/socket';
import type { BackendConnection } from '../backend/backend-connection.js';
import { Stillness } from './stillness.js';

/**
 * A client that reads its answers slowly, as the proxy sees it: the backend connection
 * streaming to it is paused while its socket is full, and its next commands wait until it has
 * taken the answers before them. So a slow reader slows its own backend down instead of filling
 * the proxy's memory — and a sweep can tell one that has stopped reading altogether.
 */
export class ClientOutput {
  /** The backend's reading is paused until the client's socket drains. */
  private pausedBackend: BackendConnection | undefined;
  /** Removes the drain listener that resumes {@link pausedBackend}. */
  private stopDrainWait: (() => void) | undefined;
  /** Removes the drain listener that runs queued commands once the client reads (see reading). */
  private outputWait: (() => void) | undefined;
  /** How long the client's socket has taken nothing while something waits on it. */
  private readonly stuck = new Stillness();

  /**
   * @param conn the client's connection
   * @param onReading runs when the client, which left answers unread, has taken them
   */
  constructor(
    private readonly conn: Connection,
    private readonly onReading: () => void,
  ) {}

  /** Something waits for the client to read: a paused backend, or its next commands. */
  get waiting(): boolean {
    return this.pausedBackend !== undefined || this.outputWait !== undefined;
  }

  /** A write of `b`'s response did not go through: `b` reads no more until the socket drains. */
  pause(b: BackendConnection): void {
    if (this.pausedBackend !== undefined) return;
    this.pausedBackend = b;
    b.pauseReading();
    this.stopDrainWait = this.conn.onDrain(this.resumeBackend);
  }

  /**
   * Lets the backend paused for this client's full socket read again: on drain, and whenever
   * the backend stops serving this client (its response ended, it was diverted or dropped, the
   * client left) — no drain comes after a close, and the next user of the connection must not
   * wait for this client's socket.
   */
  readonly resumeBackend = (): void => {
    const b = this.pausedBackend;
    if (b === undefined) return;
    this.pausedBackend = undefined;
    this.stopDrainWait?.();
    this.stopDrainWait = undefined;
    b.resumeReading();
  };

  /**
   * Whether the client's next command may run: not while it leaves its answers unread (its
   * socket above the high-water mark). MariaDB runs nothing more until its write to the client
   * goes through; a proxy that ran on would keep every answer of a client that pipelines and
   * reads none in memory, however many. Otherwise `onReading` runs once the socket drains.
   */
  reading(): boolean {
    if (this.outputWait !== undefined) return false;
    if (!this.conn.socket.writableNeedDrain) return true;
    this.outputWait = this.conn.onDrain(this.drained);
    return false;
  }

  private readonly drained = (): void => {
    this.stopWaiting();
    this.onReading();
  };

  private stopWaiting(): void {
    this.outputWait?.();
    this.outputWait = undefined;
  }

  /**
   * Milliseconds the client's socket has taken nothing while something waited on it, as of
   * `now` (0 when nothing waits, or it took bytes since the last call): called by a sweep.
   */
  stuckFor(now: number): number {
    if (!this.waiting) {
      this.stuck.reset();
      return 0;
    }
    return this.stuck.for(writeProgress(this.conn.socket), now);
  }

  /** The client is gone: nothing waits on its socket any more. */
  close(): void {
    this.resumeBackend();
    this.stopWaiting();
  }
}
