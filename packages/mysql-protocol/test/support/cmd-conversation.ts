/**
 * A hand-driven connection for the exchanges RawClient does not model (COM_CHANGE_USER with an
 * auth switch, LOAD DATA LOCAL INFILE): the test writes payloads with explicit sequence ids and
 * reads the server's packets one at a time. Authentication reuses the codec's ClientHandshake.
 */
import net from 'node:net';
import {
  ClientHandshake,
  type ClientHandshakeOptions,
  type ClientSession,
  encodeFrames,
  type Packet,
  PacketDecoder,
} from '../../src/index.js';

export class Conversation {
  session!: ClientSession;
  private readonly decoder = new PacketDecoder({ maxPacketSize: 64 * 1024 * 1024 });
  private readonly queue: Packet[] = [];
  private waiter: (() => void) | undefined;
  private failure: Error | undefined;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      try {
        this.queue.push(...this.decoder.push(chunk));
      } catch (e) {
        this.failure ??= e as Error;
      }
      this.waiter?.();
    });
    socket.on('error', (e) => {
      this.failure ??= e;
      this.waiter?.();
    });
    socket.on('close', () => {
      this.failure ??= new Error('connection closed');
      this.waiter?.();
    });
  }

  /** Connects over TCP and authenticates (no TLS). */
  static async connect(
    options: ClientHandshakeOptions & { host: string; port: number },
  ): Promise<Conversation> {
    const c = new Conversation(net.connect(options.port, options.host));
    const hs = new ClientHandshake(options);
    for (;;) {
      const p = await c.next();
      const step = hs.receive(p.payload, p.lastSequenceId);
      if (step.kind === 'send') c.socket.write(step.bytes);
      else if (step.kind === 'done') {
        c.session = step.session;
        return c;
      } else if (step.kind === 'failed') {
        c.socket.destroy();
        throw new Error(step.error.message);
      } else if (step.kind !== 'wait') {
        throw new Error(`unexpected handshake step ${step.kind}`);
      }
    }
  }

  /** The next packet from the server. */
  async next(): Promise<Packet> {
    for (;;) {
      const p = this.queue.shift();
      if (p) return p;
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
      this.waiter = undefined;
    }
  }

  /** Writes one payload framed with `sequenceId`. */
  send(payload: Uint8Array, sequenceId: number): void {
    this.socket.write(encodeFrames(payload, sequenceId));
  }

  /** Writes already framed bytes. */
  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  close(): void {
    this.socket.destroy();
  }
}
