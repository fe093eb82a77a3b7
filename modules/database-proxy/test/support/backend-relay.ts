/**
 * A TCP relay between a proxy and MariaDB that tests steer: it can cut a backend connection on a
 * chunk it sees (before forwarding it, or after — losing only the server's answer), hold a chunk
 * back until released, refuse new connections, and count the connections it carries.
 */
import net from 'node:net';
import type { MariaDB } from '@scalestack/test-harness';
import { BACKEND_USER, type ProxyFixture, startProxyFixture } from './proxy-fixture.js';

export class BackendRelay {
  private server!: net.Server;
  port = 0;
  /** Proxy-side sockets open now (one per backend connection the proxy has through here). */
  readonly downs = new Set<net.Socket>();
  private readonly sockets = new Set<net.Socket>();
  /** Cut the connection (without forwarding) on a chunk from the proxy that matches. */
  cutWhen: ((chunk: Buffer) => boolean) | undefined;
  /** How many matching chunks to cut before cutWhen is cleared. */
  cutTimes = 1;
  cuts = 0;
  /**
   * Forward the first chunk from the proxy that matches (then cleared), and cut the connection
   * when the server's answer to it comes: the server ran the command, the proxy never hears.
   */
  loseAnswerTo: ((chunk: Buffer) => boolean) | undefined;
  /** Cut the connection (without forwarding) on a chunk from the server that matches (then cleared). */
  cutAnswerWhen: ((chunk: Buffer) => boolean) | undefined;
  /** Answers lost so far (by loseAnswerTo or cutAnswerWhen). */
  answersLost = 0;
  /**
   * Hold back the first chunk from the proxy that matches (then cleared): that connection reads
   * nothing more from the proxy until {@link release}.
   */
  holdWhen: ((chunk: Buffer) => boolean) | undefined;
  /**
   * When set, the server's bytes go on to the proxy this many at a time, each write once the one
   * before has gone: the proxy reads answers cut inside their packets.
   */
  dribble = 0;
  /** New connections are closed at once (a server that takes no more). */
  refuse = false;
  /**
   * When set, a connection the proxy closes (FIN after COM_QUIT) is left open from this side —
   * a server slow to see it go — until {@link releaseCloses}.
   */
  holdCloses = false;
  private readonly closesHeld: net.Socket[] = [];
  /** Connections the proxy opened to the relay, refused ones included. */
  accepted = 0;
  /** The most connections open through the relay at once (what the server saw at most). */
  peak = 0;
  private readonly held: (() => void)[] = [];

  constructor(private readonly target: number) {}

  get heldCount(): number {
    return this.held.length;
  }

  /** Forwards every held chunk and reads on. */
  release(): void {
    for (const h of this.held.splice(0)) h();
  }

  /** Ends the connections {@link holdCloses} kept open, and holds no more. */
  releaseCloses(): void {
    this.holdCloses = false;
    for (const down of this.closesHeld.splice(0)) down.end();
  }

  async start(): Promise<void> {
    // Half-open allowed so that holdCloses can keep a closed connection open from this side;
    // otherwise its end is answered at once, as by default.
    this.server = net.createServer({ allowHalfOpen: true }, (down) => {
      this.accepted++;
      if (this.refuse) {
        down.destroy();
        return;
      }
      const up = net.connect(this.target, '127.0.0.1');
      this.sockets.add(down);
      this.sockets.add(up);
      this.downs.add(down);
      this.peak = Math.max(this.peak, this.downs.size);
      const end = () => {
        down.destroy();
        up.destroy();
        this.sockets.delete(down);
        this.sockets.delete(up);
        this.downs.delete(down);
      };
      down.on('error', end).on('close', end);
      down.on('end', () => {
        if (this.holdCloses) this.closesHeld.push(down);
        else down.end();
      });
      up.on('error', end).on('close', end);
      let loseNextAnswer = false;
      let dribbling = Promise.resolve();
      up.on('data', (d: Buffer) => {
        if (loseNextAnswer || this.cutAnswerWhen?.(d)) {
          if (!loseNextAnswer) this.cutAnswerWhen = undefined;
          this.answersLost++;
          end();
          return;
        }
        const step = this.dribble;
        if (step === 0) down.write(d);
        else dribbling = dribbling.then(() => dribble(down, d, step));
      });
      down.on('data', (chunk: Buffer) => {
        if (this.holdWhen?.(chunk)) {
          this.holdWhen = undefined;
          down.pause();
          this.held.push(() => {
            if (!up.destroyed) up.write(chunk);
            down.resume();
          });
          return;
        }
        if (this.loseAnswerTo?.(chunk)) {
          this.loseAnswerTo = undefined;
          loseNextAnswer = true;
        } else if (this.cutWhen?.(chunk)) {
          if (--this.cutTimes <= 0) {
            this.cutWhen = undefined;
            this.cutTimes = 1;
          }
          this.cuts++;
          end();
          return;
        }
        up.write(chunk);
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

/** Writes `bytes` to `to` `step` bytes at a time, each once the one before has gone. */
async function dribble(to: net.Socket, bytes: Buffer, step: number): Promise<void> {
  for (let at = 0; at < bytes.length && !to.destroyed; at += step) {
    await new Promise<void>((done) => to.write(bytes.subarray(at, at + step), () => done()));
  }
}

/**
 * A proxy with one backend, `mariadb` reached through a new (started) relay, and that relay.
 * With `refuse` the relay turns connections away from the start (a server the proxy cannot
 * reach yet) until the test clears `relay.refuse`.
 */
export async function startRelayedProxy(
  mariadb: MariaDB,
  pool: number,
  options: Record<string, unknown> = {},
  { refuse = false, holdWhen }: { refuse?: boolean; holdWhen?: (chunk: Buffer) => boolean } = {},
): Promise<{ fx: ProxyFixture; relay: BackendRelay }> {
  const relay = new BackendRelay(mariadb.port);
  relay.refuse = refuse;
  relay.holdWhen = holdWhen;
  await relay.start();
  const fx = await startProxyFixture({
    pool,
    mariadb,
    options: {
      backends: [
        {
          name: 'relayed',
          address: `127.0.0.1:${relay.port}`,
          user: BACKEND_USER.name,
          password: BACKEND_USER.password,
          pool,
        },
      ],
      ...options,
    },
  });
  return { fx, relay };
}
