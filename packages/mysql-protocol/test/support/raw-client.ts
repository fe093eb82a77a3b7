/**
 * A tiny socket driver over the codec, for tests: connects (optionally with TLS), authenticates
 * with ClientHandshake, sends commands and returns the response packets, using the
 * ResponseTracker both ways — on decoded packets and on the raw chunks through the scanner — so
 * every test against a real server also checks that the two agree.
 */
import net from 'node:net';
import tls from 'node:tls';
import {
  ClientHandshake,
  type ClientHandshakeOptions,
  type ClientSession,
  COM_QUERY,
  COM_QUIT,
  type ErrPacket,
  type Packet,
  PacketDecoder,
  PacketEncoder,
  type PrepareResult,
  ProtocolError,
  ResponseTracker,
  type SessionStateChanges,
} from '../../src/index.js';

export interface RawClientOptions extends ClientHandshakeOptions {
  host?: string;
  port?: number;
  socketPath?: string;
  /** Options for tls.connect when `tls` is set (e.g. `{ ca }` or `{ rejectUnauthorized: false }`). */
  tlsOptions?: tls.ConnectionOptions;
  maxPacketSize?: number;
}

/** The response to one command. */
export interface RawResponse {
  packets: Packet[];
  error: ErrPacket | undefined;
  statusFlags: number;
  warnings: number;
  affectedRows: number;
  lastInsertId: number;
  rows: number;
  resultSets: number;
  sessionState: SessionStateChanges | undefined;
  /** The COM_STMT_PREPARE result, when the command was one. */
  prepared: PrepareResult | undefined;
  /** Bytes of the response as the scanner-driven tracker delimited them. */
  scannedBytes: number;
  /** Bytes of the response as framed packets (must equal scannedBytes). */
  framedBytes: number;
}

export class RawClient {
  session!: ClientSession;
  private socket!: net.Socket;
  private readonly decoder: PacketDecoder;
  private readonly encoder = new PacketEncoder();
  private tracker!: ResponseTracker;
  private scanTracker!: ResponseTracker;
  private queue: Packet[] = [];
  private waiter: (() => void) | undefined;
  private failure: Error | undefined;
  private scanned = 0;
  private scanEnd = -1;

  private constructor(private readonly options: RawClientOptions) {
    this.decoder = new PacketDecoder({ maxPacketSize: options.maxPacketSize ?? 64 * 1024 * 1024 });
  }

  /** Connects and authenticates; rejects with the server's ERR (as an Error with `errno`). */
  static async connect(options: RawClientOptions): Promise<RawClient> {
    const c = new RawClient(options);
    await c.open();
    return c;
  }

  private attach(socket: net.Socket): void {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (e) => this.fail(e));
    socket.on('close', () => this.fail(new Error('connection closed')));
  }

  private onData(chunk: Buffer): void {
    try {
      if (this.scanTracker && !this.scanTracker.done) {
        const stop = this.scanTracker.feed(chunk);
        if (stop >= 0) this.scanEnd = this.scanned + stop;
      }
      this.scanned += chunk.length;
      this.queue.push(...this.decoder.push(chunk));
    } catch (e) {
      this.fail(e as Error);
    }
    this.waiter?.();
  }

  private fail(e: Error): void {
    this.failure ??= e;
    this.waiter?.();
  }

  private async next(): Promise<Packet> {
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

  private async open(): Promise<void> {
    const o = this.options;
    const socket =
      o.socketPath !== undefined
        ? net.connect(o.socketPath)
        : net.connect(o.port ?? 3306, o.host ?? '127.0.0.1');
    this.attach(socket);
    const hs = new ClientHandshake(o);
    for (;;) {
      const p = await this.next();
      let step = hs.receive(p.payload, p.lastSequenceId);
      if (step.kind === 'upgrade-tls') {
        socket.write(step.bytes);
        socket.removeAllListeners('data');
        socket.removeAllListeners('close');
        socket.removeAllListeners('error');
        const secure = tls.connect({ socket, ...(o.tlsOptions ?? { rejectUnauthorized: false }) });
        await new Promise<void>((resolve, reject) => {
          secure.once('secureConnect', resolve);
          secure.once('error', reject);
        });
        this.attach(secure);
        step = hs.tlsEstablished();
      }
      if (step.kind === 'send') this.socket.write(step.bytes);
      else if (step.kind === 'done') {
        this.session = step.session;
        this.tracker = new ResponseTracker(step.session.capabilities, step.session.statusFlags);
        this.scanTracker = new ResponseTracker(step.session.capabilities, step.session.statusFlags);
        if (this.queue.length > 0) throw new ProtocolError('server sent data after the handshake OK');
        return;
      } else if (step.kind === 'failed') {
        this.socket.destroy();
        throw Object.assign(new Error(step.error.message), {
          errno: step.error.errno,
          sqlState: step.error.sqlState,
        });
      }
    }
  }

  /** Sends one command payload and collects its whole response. */
  async command(
    payload: Buffer,
    options: { cursor?: boolean; answer?: (packet: Packet) => Buffer } = {},
  ): Promise<RawResponse> {
    const command = payload[0]!;
    const start = this.scanned;
    this.scanEnd = -1;
    const expects = this.tracker.begin(command, options);
    this.scanTracker.begin(command, options);
    this.encoder.reset(0);
    this.socket.write(this.encoder.encode(payload));
    const packets: Packet[] = [];
    let framed = 0;
    while (expects && !this.tracker.done) {
      const p = await this.next();
      packets.push(p);
      framed += p.payload.length + 4 * (((p.lastSequenceId - p.sequenceId) & 0xff) + 1);
      this.tracker.packet(p.payload, p.sequenceId);
      if (this.tracker.awaitingClient) {
        if (!options.answer) throw new Error('the server waits for the client: pass options.answer');
        this.encoder.reset(p.lastSequenceId + 1);
        this.socket.write(this.encoder.encode(options.answer(p)));
      }
    }
    const t = this.tracker;
    return {
      packets,
      error: t.error,
      statusFlags: t.statusFlags,
      warnings: t.warnings,
      affectedRows: t.affectedRows,
      lastInsertId: t.lastInsertId,
      rows: t.rows,
      resultSets: t.resultSets,
      sessionState: t.sessionState,
      prepared: t.prepared,
      scannedBytes: this.scanEnd < 0 ? -1 : this.scanEnd - start,
      framedBytes: framed,
    };
  }

  /** COM_QUERY. */
  query(sql: string): Promise<RawResponse> {
    return this.command(Buffer.concat([Buffer.from([COM_QUERY]), Buffer.from(sql, 'utf8')]));
  }

  /** Sends COM_QUIT and waits for the server to close. */
  async close(): Promise<void> {
    if (this.socket.destroyed) return;
    const closed = new Promise<void>((resolve) => this.socket.once('close', () => resolve()));
    this.encoder.reset(0);
    this.socket.end(this.encoder.encode(Buffer.from([COM_QUIT])));
    await closed;
  }
}
