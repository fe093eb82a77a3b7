import type { Response } from '@scalestack/memcached-protocol';
import { END, encodeErrorLine } from '@scalestack/memcached-protocol';
import type { ReplySink } from './reply-queue.js';

/**
 * How a backend's reply to one request is delimited: one line; values up to END; or (`quiet`) a
 * quiet meta command sent with an `mn` behind it — whatever the server chose to say, up to MN.
 */
export type Expect = 'line' | 'values' | 'quiet';

/**
 * Receives the reply to one request sent to a backend connection: its items, then `end()`, or
 * `fail()` when the connection was lost first.
 */
export interface Waiter {
  readonly expect: Expect;
  /** For `quiet`: whether the last item ended the reply. */
  readonly complete?: boolean;
  item(response: Response): void;
  end(): void;
  fail(message: string): void;
}

/** The server's answer to `mn`, which ends a quiet meta command's reply. */
export function isMetaNoop(response: Response): boolean {
  return response.kind === 'meta' && response.code === 'MN';
}

/** A SERVER_ERROR line for a failure between the proxy and a backend. */
export function serverError(message: string): Buffer {
  return encodeErrorLine(`SERVER_ERROR ${message}`);
}

/**
 * memcached's answer to a get it cannot hold the reply of; the proxy gives it for a reply past the
 * client's budget (ReplySink.claim). The whole reply, as memcached drops the values it stacked.
 */
export const OUT_OF_MEMORY = encodeErrorLine('SERVER_ERROR out of memory writing get response');

/** Passes the backend's reply through to one client reply unchanged (the same Buffers). */
export class ForwardWaiter implements Waiter {
  private readonly parts: Buffer[] = [];
  complete = false;
  /** A quiet command got a bare ERROR: a server without meta commands, which answers mn so too. */
  private unknownCommand = false;
  /** The client's budget refused a value: the rest of the reply is read and dropped. */
  private refused = false;

  /**
   * `budgeted`: the values of this reply count against the client's budget. Only for reads: an
   * error instead of a write's answer (ma's VA) would hide that the write happened.
   */
  constructor(
    readonly expect: Expect,
    private readonly reply: ReplySink,
    private readonly budgeted = expect === 'values',
  ) {}

  item(response: Response): void {
    if (response.kind === 'invalid') return;
    if (
      this.budgeted &&
      !this.refused &&
      (response.kind === 'value' || (response.kind === 'meta' && response.data !== undefined)) &&
      this.reply.claim?.(response.raw.length) === false
    ) {
      this.refused = true;
      this.parts.length = 0;
    }
    if (this.expect === 'line') this.reply.done(this.refused ? OUT_OF_MEMORY : response.raw);
    else if (this.refused) {
      if (this.expect === 'quiet' && isMetaNoop(response)) this.complete = true;
    } else if (this.expect === 'values') this.parts.push(response.raw);
    else if (isMetaNoop(response)) this.complete = true;
    else if (response.kind === 'error' && response.type === 'ERROR') {
      if (this.unknownCommand)
        this.complete = true; // the mn's own ERROR: not the client's
      else {
        this.unknownCommand = true;
        this.parts.push(response.raw);
      }
    } else this.parts.push(response.raw);
  }

  end(): void {
    if (this.expect !== 'line') this.reply.done(this.refused ? OUT_OF_MEMORY : this.parts);
  }

  fail(message: string): void {
    this.reply.done(serverError(message));
  }
}

/**
 * A multi-key get split across servers: collects each server's hits and answers with the values
 * in the order the client asked for them, then END. If any server fails, the client gets that
 * error instead of a partial answer (a partial answer would look like misses).
 */
export class MultiGet {
  private readonly hits: (Buffer | undefined)[];
  private remaining: number;
  private error: Buffer | undefined;

  constructor(
    keyCount: number,
    parts: number,
    private readonly reply: ReplySink,
  ) {
    this.hits = new Array(keyCount);
    this.remaining = parts;
  }

  /** The waiter for the part of the get sent to one server. */
  part(keys: string[], positions: number[]): Waiter {
    return new MultiGetPart(this, keys, positions);
  }

  hit(position: number, raw: Buffer): void {
    // The answer is that error now: values are not worth keeping.
    if (this.error !== undefined) return;
    if (this.reply.claim?.(raw.length) === false) {
      this.error = OUT_OF_MEMORY;
      this.hits.fill(undefined);
    } else this.hits[position] = raw;
  }

  partDone(error?: Buffer): void {
    if (error !== undefined && this.error === undefined) this.error = error;
    if (--this.remaining > 0) return;
    if (this.error !== undefined) {
      this.reply.done(this.error);
      return;
    }
    const parts: Buffer[] = [];
    for (const hit of this.hits) if (hit !== undefined) parts.push(hit);
    parts.push(END);
    this.reply.done(parts);
  }
}

class MultiGetPart implements Waiter {
  readonly expect = 'values';
  private cursor = 0;
  private error: Buffer | undefined;

  constructor(
    private readonly get: MultiGet,
    private readonly keys: string[],
    private readonly positions: number[],
  ) {}

  item(response: Response): void {
    if (response.kind === 'value') {
      // The server answers hits in the order asked, skipping misses.
      while (this.cursor < this.keys.length && this.keys[this.cursor] !== response.key) this.cursor++;
      if (this.cursor < this.keys.length) this.get.hit(this.positions[this.cursor++]!, response.raw);
    } else if (response.kind === 'error') {
      this.error = response.raw;
    }
  }

  end(): void {
    this.get.partDone(this.error);
  }

  fail(message: string): void {
    this.get.partDone(serverError(message));
  }
}

/**
 * A command sent to every server (flush_all, verbosity): OK once all said OK, otherwise the first
 * other reply.
 */
export class Broadcast {
  private remaining: number;
  private other: Buffer | undefined;

  constructor(
    parts: number,
    private readonly ok: Buffer,
    private readonly reply: ReplySink,
  ) {
    this.remaining = parts;
    if (parts === 0) reply.done(serverError('no server available'));
  }

  waiter(): Waiter {
    let raw: Buffer | undefined;
    return {
      expect: 'line',
      item: (response) => {
        if (response.kind !== 'invalid') raw = response.raw;
      },
      end: () => this.partDone(raw?.equals(this.ok) ? undefined : raw),
      fail: (message) => this.partDone(serverError(message)),
    };
  }

  private partDone(other: Buffer | undefined): void {
    if (other !== undefined && this.other === undefined) this.other = other;
    if (--this.remaining === 0) this.reply.done(this.other ?? this.ok);
  }
}
