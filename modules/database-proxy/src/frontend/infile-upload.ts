/**
 * Where a LOAD DATA LOCAL INFILE conversation stands for one client. The server asks for the
 * file in the middle of the statement's response; the client then sends it as packets numbered
 * on from that request, ending with an empty one, and only then reads the server's answer. An
 * answer of the proxy's own (a backend lost, input refused) must keep to that: it waits for
 * the file's end and takes the number after the client's last packet.
 */
import type { ProxyRefusal } from '../errors.js';

/** An error to answer once the file has ended; `close` ends the connection after it. */
export type FileEndAnswer = ProxyRefusal & { readonly close: boolean };

export class InfileUpload {
  /** The server asked for the file: the client's packets are forwarded to it as they come. */
  sending = false;
  /** The backend was lost mid-file: the rest of the file is read and dropped. */
  discarding = false;
  /**
   * The command in flight sent a file and the server has not answered since: an answer of the
   * proxy's follows the client's last packet.
   */
  fileSent = false;
  /** The number of the last packet of the conversation (the server's request, then the client's). */
  private lastSequenceId = 0;
  private atEnd: FileEndAnswer | undefined;

  /** Inside the file: the client sends file packets, whatever the proxy has to say waits. */
  get midFile(): boolean {
    return this.sending || this.discarding;
  }

  /** The number an answer after the client's last packet takes. */
  get nextSequenceId(): number {
    return (this.lastSequenceId + 1) & 0xff;
  }

  /** A new command: no file sent for it yet. */
  commandStarted(): void {
    this.fileSent = false;
  }

  /** The server asked for the file in its packet `sequenceId`. */
  requested(sequenceId: number): void {
    this.sending = true;
    this.fileSent = true;
    this.lastSequenceId = sequenceId;
  }

  /**
   * A packet of the file came from the client. Forwarded unless `taken` is false (no statement
   * waits for it: the rest of the file is dropped). The empty packet ends the file.
   */
  packet(sequenceId: number, empty: boolean, taken: boolean): void {
    this.lastSequenceId = sequenceId;
    if (!taken) {
      this.sending = false;
      this.discarding = !empty;
    } else if (empty) this.sending = false;
  }

  /** The server is answering: its packets, not the client's, are the last now. */
  serverAnswering(): void {
    if (this.fileSent && !this.sending) this.fileSent = false;
  }

  /** The server answered before the file's end (it refused the file): nothing more is forwarded. */
  cutShort(): void {
    this.sending = false;
  }

  /** The backend taking the file is gone: the rest of the file is dropped. */
  backendLost(): void {
    if (this.sending) this.discarding = true;
    this.sending = false;
  }

  /** Answers `answer` once the file being dropped has ended. */
  answerAtEnd(answer: FileEndAnswer): void {
    this.atEnd = answer;
  }

  /**
   * A packet of the file being dropped. At the file's end (the empty packet) returns the answer
   * waiting for it, if any, and the conversation is over.
   */
  dropped(sequenceId: number, empty: boolean): FileEndAnswer | undefined {
    this.lastSequenceId = sequenceId;
    if (!empty) return undefined;
    this.discarding = false;
    const answer = this.atEnd;
    this.atEnd = undefined;
    return answer;
  }
}
