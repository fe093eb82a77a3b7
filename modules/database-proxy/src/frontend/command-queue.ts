import type { Connection } from '@scalestack/socket';
import type { ProxyRefusal } from '../errors.js';
import type { ClientStatement } from './client-statements.js';

/** A client command waiting for the one in flight. */
export interface QueuedCommand {
  payload: Buffer;
  sequenceId: number;
  frame: Buffer | undefined;
  /** Run again only to re-create its results: its response is dropped. */
  replay?: boolean;
  /** The statement a replayed execute runs (the client may have closed it since). */
  statement?: ClientStatement;
  /** Not a command: input refused behind the commands before it (see CommandQueue.refuse). */
  refusal?: ProxyRefusal;
}

/** Pipelined commands buffered per client before its socket is paused. */
const MAX_QUEUED_COMMANDS = 64;
const EMPTY_PAYLOAD = Buffer.alloc(0);

/**
 * The commands a client sent behind the one in flight, in order, and the read side of its
 * socket that they hold back: a client pipelining faster than its commands run is paused, not
 * buffered without end, and once its input has been refused nothing more is read.
 */
export class CommandQueue {
  private readonly commands: QueuedCommand[] = [];
  /** Input was refused behind commands still to answer: nothing more is read (see refuse). */
  private inputRefused = false;

  constructor(private readonly conn: Connection) {}

  get length(): number {
    return this.commands.length;
  }

  /** Nothing more of the client's input is to be read. */
  get refused(): boolean {
    return this.inputRefused;
  }

  /** The client's next packet waits its turn; a full queue pauses the socket. */
  push(command: QueuedCommand): void {
    this.commands.push(command);
    if (this.commands.length >= MAX_QUEUED_COMMANDS) this.conn.pause();
  }

  /** Runs next, before what the client sent (a replayed read, the statement it replays for). */
  unshift(command: QueuedCommand): void {
    this.commands.unshift(command);
  }

  shift(): QueuedCommand | undefined {
    return this.commands.shift();
  }

  /** Drops the replayed reads at the head: the statement they ran for will not run. */
  dropReplays(): void {
    while (this.commands[0]?.replay === true) this.commands.shift();
  }

  /**
   * Input the connection cannot go on after, behind the commands queued: nothing more is read,
   * and the refusal is taken from the queue after their answers (see QueuedCommand.refusal).
   */
  refuse(refusal: ProxyRefusal): void {
    this.inputRefused = true;
    this.conn.pause();
    this.commands.push({ payload: EMPTY_PAYLOAD, sequenceId: 0, frame: undefined, refusal });
  }

  /** Input paused by a full queue (or another wait) reads again: once half of it is gone, never after a refusal. */
  resumeIfRoom(): void {
    if (this.commands.length < MAX_QUEUED_COMMANDS / 2 && this.conn.isPaused && !this.inputRefused)
      this.conn.resume();
  }

  /** Input paused for another reason (a backend's full socket) reads again, unless refused. */
  resume(): void {
    if (!this.inputRefused) this.conn.resume();
  }
}
