/**
 * A MySQL client over a raw TCP socket for tests that send bytes no driver would: it logs in
 * properly (ClientHandshake, optionally with the handshake response mutated), then writes
 * whatever it is given and keeps every byte the server sends. Waiting is event-driven: a
 * condition is re-checked on each chunk received and on close, with a timeout only as a guard.
 */
import { connect, type Socket } from 'node:net';
import {
  ClientHandshake,
  type ClientHandshakeOptions,
  decodeGreeting,
  type Greeting,
} from '@scalestack/mysql-protocol';

export interface Frame {
  /** Offset of the frame's header in the stream. */
  at: number;
  seq: number;
  payload: Buffer;
}

/** The whole frames at the start of `bytes` (a partial last one is left out). */
export function frames(bytes: Buffer, from = 0): Frame[] {
  const out: Frame[] = [];
  let at = from;
  while (at + 4 <= bytes.length) {
    const len = bytes.readUIntLE(at, 3);
    if (at + 4 + len > bytes.length) break;
    out.push({ at, seq: bytes[at + 3]!, payload: bytes.subarray(at + 4, at + 4 + len) });
    at += 4 + len;
  }
  return out;
}

/**
 * How many more bytes a MySQL packet reader needs after `stream` to end at a packet boundary:
 * 0 when it ends on one. A frame of exactly 0xFFFFFF bytes continues the packet: at least a
 * header more.
 */
export function bytesToBoundary(stream: Buffer): number {
  let at = 0;
  let continuing = false;
  for (;;) {
    if (at === stream.length) return continuing ? 4 : 0;
    if (at + 4 > stream.length) return at + 4 - stream.length;
    const len = stream.readUIntLE(at, 3);
    if (at + 4 + len > stream.length) return at + 4 + len - stream.length;
    at += 4 + len;
    continuing = len === 0xffffff;
  }
}

/** The error numbers of the ERR packets among `fs`. */
export function errnos(fs: Frame[]): number[] {
  return fs
    .filter((f) => f.payload[0] === 0xff && f.payload.length >= 3)
    .map((f) => f.payload.readUInt16LE(1));
}

export type LoginOutcome =
  | { kind: 'ok' }
  /** The server answered ERR (`errno`); `closed` once it also closed the connection. */
  | { kind: 'err'; errno: number }
  | { kind: 'closed' }
  /** The server wants something the client cannot give (an unknown plugin, a garbled switch). */
  | { kind: 'client-gave-up'; reason: string }
  | { kind: 'timeout' };

export interface RawLoginOptions extends ClientHandshakeOptions {
  /** Rewrites the framed HandshakeResponse (header included) before it is sent. */
  mutateResponse?: (framed: Buffer) => Buffer;
  /** Guard against an answer that never comes (ms). */
  timeout?: number;
}

export class RawMysqlClient {
  private readonly chunks: Buffer[] = [];
  private joined: Buffer = Buffer.alloc(0);
  private joinedChunks = 0;
  private listeners = new Set<() => void>();
  closed = false;
  /** How many bytes were received so far: a cheap test on every chunk, where {@link received} joins them all. */
  receivedBytes = 0;
  /** Offset in {@link received} where the logged-in conversation starts. */
  base = 0;
  greeting: Greeting | undefined;
  /** The HandshakeResponse as sent (after any mutation). */
  sentResponse: Buffer | undefined;
  /** Every byte written after login, in order. */
  readonly sent: Buffer[] = [];

  private constructor(readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => {
      this.chunks.push(d);
      this.receivedBytes += d.length;
      this.wake();
    });
    // The server may reset the connection right after its ERR.
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  static open(port: number): Promise<RawMysqlClient> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => resolve(new RawMysqlClient(s)));
      s.once('error', reject);
    });
  }

  /** Everything received so far. */
  get received(): Buffer {
    if (this.joinedChunks !== this.chunks.length) {
      this.joined = Buffer.concat(this.chunks);
      this.joinedChunks = this.chunks.length;
    }
    return this.joined;
  }

  /** The whole frames received since login. */
  frames(): Frame[] {
    return frames(this.received, this.base);
  }

  private wake(): void {
    for (const l of [...this.listeners]) l();
  }

  /**
   * Resolves true as soon as `done()` holds (checked now, on every chunk and on close), false
   * after `timeout` ms.
   */
  until(done: () => boolean, timeout: number): Promise<boolean> {
    if (done()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = () => {
        if (!done()) return;
        finish(true);
      };
      const timer = setTimeout(() => finish(false), timeout);
      const finish = (v: boolean) => {
        clearTimeout(timer);
        this.listeners.delete(check);
        resolve(v);
      };
      this.listeners.add(check);
    });
  }

  /** Writes and resolves once the bytes are handed to the kernel. */
  write(bytes: Buffer): Promise<void> {
    this.sent.push(bytes);
    if (this.closed || this.socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => this.socket.write(bytes, () => resolve()));
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Ends our side and waits (up to `timeout`) for the server to close. */
  async end(timeout = 2000): Promise<boolean> {
    if (!this.socket.destroyed) this.socket.end();
    const closed = await this.until(() => this.closed, timeout);
    this.socket.destroy();
    return closed;
  }

  /** The connection phase. */
  async login(options: RawLoginOptions): Promise<LoginOutcome> {
    const hs = new ClientHandshake(options);
    const timeout = options.timeout ?? 3000;
    let consumed = 0;
    let outcome: LoginOutcome | undefined;
    let first = true;
    const step = () => {
      if (outcome !== undefined) return true;
      for (const f of frames(this.received, consumed)) {
        consumed = f.at + 4 + f.payload.length;
        if (first) this.greeting = decodeGreeting(f.payload);
        let s: ReturnType<ClientHandshake['receive']>;
        try {
          s = hs.receive(f.payload, f.seq);
        } catch (e) {
          outcome = { kind: 'client-gave-up', reason: (e as Error).message };
          return true;
        }
        if (s.kind === 'send') {
          let bytes = s.bytes;
          if (first && options.mutateResponse) bytes = options.mutateResponse(bytes);
          if (first) this.sentResponse = bytes;
          this.socket.write(bytes);
        } else if (s.kind === 'done') outcome = { kind: 'ok' };
        else if (s.kind === 'failed') outcome = { kind: 'err', errno: s.error.errno };
        else if (s.kind !== 'wait') outcome = { kind: 'client-gave-up', reason: s.kind };
        first = false;
        if (outcome !== undefined) return true;
      }
      if (this.closed) outcome = { kind: 'closed' };
      return outcome !== undefined;
    };
    if (!(await this.until(step, timeout))) outcome = { kind: 'timeout' };
    this.base = consumed;
    return outcome!;
  }
}
