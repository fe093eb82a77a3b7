/**
 * Requests between the workers of one group: a worker asks another by index on a topic and gets
 * back what that worker's handler returned. Messages go through the supervisor (workers have
 * only their port to it), which answers at once for a worker that is not running, and for one
 * that exits with asks it had not answered. For rare, control-plane requests (a KILL aimed at
 * another thread's client), never the data path.
 */
import type { FromWorker, ToWorker } from './messages.js';

/** How long an ask waits for its answer before it fails. */
export const DEFAULT_ASK_TIMEOUT = 5000;

export type PeerHandler = (message: unknown, from: number) => unknown;

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class PeerRequests {
  private readonly handlers = new Map<string, PeerHandler>();
  private readonly pending = new Map<string, Pending>();
  private next = 1;

  /**
   * @param self this worker's index
   * @param incarnation distinguishes this worker's asks from a predecessor's (its thread id), so
   *   a late answer to a worker that has since restarted is never taken for a new one
   */
  constructor(
    private readonly self: number,
    private readonly incarnation: number,
    private readonly post: (message: FromWorker) => void,
    private readonly timeout = DEFAULT_ASK_TIMEOUT,
  ) {}

  /** @param timeout how long to wait for the answer (ms; default: the constructor's) */
  ask(to: number, topic: string, message: unknown, timeout = this.timeout): Promise<unknown> {
    const id = `${this.incarnation}:${this.next++}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`worker ${to} did not answer "${topic}" within ${timeout} ms`));
      }, timeout);
      timer.unref();
      this.pending.set(id, { resolve, reject, timer });
      try {
        this.post({ type: 'ask', id, to, topic, message });
      } catch (err) {
        // A message the port cannot clone: fails now, not after the timeout.
        this.pending.delete(id);
        clearTimeout(timer);
        reject(err as Error);
      }
    });
  }

  answer(topic: string, handler: PeerHandler): () => void {
    if (this.handlers.has(topic))
      throw new Error(`event: topic "${topic}" already has a handler on worker ${this.self}`);
    this.handlers.set(topic, handler);
    return () => {
      if (this.handlers.get(topic) === handler) this.handlers.delete(topic);
    };
  }

  /** Takes the supervisor's `ask` / `answer` messages; false for every other message. */
  receive(m: ToWorker): boolean {
    if (m.type === 'answer') {
      const p = this.pending.get(m.id);
      if (p === undefined) return true;
      this.pending.delete(m.id);
      clearTimeout(p.timer);
      if (m.error !== undefined) p.reject(new Error(m.error));
      else p.resolve(m.result);
      return true;
    }
    if (m.type !== 'ask') return false;
    const reply = (result: unknown, error?: string) => {
      try {
        this.post({ type: 'answer', id: m.id, to: m.from, result, error });
      } catch (err) {
        // The port could not clone the result (a function, a socket…): the asker gets why, and
        // this worker no unhandled rejection.
        this.post({
          type: 'answer',
          id: m.id,
          to: m.from,
          error: `worker ${this.self} could not send its answer to "${m.topic}": ${(err as Error)?.message ?? String(err)}`,
        });
      }
    };
    const handler = this.handlers.get(m.topic);
    if (handler === undefined) {
      reply(undefined, `worker ${this.self} has no handler for "${m.topic}"`);
      return true;
    }
    Promise.resolve()
      .then(() => handler(m.message, m.from))
      .then(
        (result) => reply(result),
        (err: unknown) => reply(undefined, (err as Error)?.message ?? String(err)),
      );
    return true;
  }

  /** Fails every ask still waiting (the worker is stopping). */
  close(): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error(`worker ${this.self} is stopping`));
    }
    this.pending.clear();
    this.handlers.clear();
  }
}
