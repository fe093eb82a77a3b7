import type { Socket } from 'node:net';
import {
  CONTINUE_RESPONSE,
  errorResponse,
  type HttpParseError,
  type RequestEvents,
  type RequestHead,
  RequestParser,
} from '@scalestack/http-protocol';
import { writeProgress } from '@scalestack/socket';
import { type BodySource, HttpRequest } from './request.js';
import { HttpResponse, type ResponseSink } from './response.js';
import { BadPathError } from './route-pattern.js';
import type { Router } from './router.js';
import type { ServerSettings } from './settings.js';
import type { ServerStats } from './stats.js';
import { ConnectionClosedError, HttpError } from './types.js';

/** How long a closing connection reads and drops a client's input before it is destroyed. */
const CLOSE_LINGER_MS = 2_000;

/** What every connection of one server shares; built once per listener. */
export interface ConnectionHost {
  readonly router: Router;
  readonly settings: ServerSettings;
  readonly stats: ServerStats;
  readonly date: string;
  readonly draining: boolean;
  reportError(error: unknown, req: HttpRequest): void;
  connectionClosed(conn: HttpConnection): void;
}

/** Where a connection is in its request cycle; each phase has its own timeout. */
enum Phase {
  /** Between requests: keep_alive_timeout. */
  Idle,
  /** Receiving a request head: headers_timeout (against slowloris). */
  Head,
  /** Receiving a request body: request_timeout. */
  Body,
  /** The handler has the whole request; no timeout from the server. */
  Responding,
  /** A final error response is being flushed: then the socket is destroyed. */
  Closing,
}

/**
 * One HTTP/1.1 connection: feeds socket bytes to the parser, runs one request at a time
 * (pipelined requests wait in the socket buffer, which keeps responses in order and bounds
 * memory), and enforces the timeouts. It is the parser's event sink, the request's body source
 * and the response's sink, so a request costs no closures.
 */
export class HttpConnection implements RequestEvents, BodySource, ResponseSink {
  /** When the current phase times out (ms since epoch); 0 for never. */
  deadline = 0;
  /** While blocked on a client that does not read: its socket's {@link writeProgress} at the deadline. */
  private sentAtDeadline = 0;
  /** Its bytesRead then: a body still arriving is progress too (Body phase, request_timeout off). */
  private readAtDeadline = 0;
  private phase = Phase.Head;
  private readonly parser: RequestParser;
  private req: HttpRequest | undefined;
  private res: HttpResponse | undefined;
  private keepAlive = false;
  private expectContinue = false;
  private continueSent = false;
  private requestDone = false;
  private trailers: string[] | undefined;
  private leftover: Buffer | undefined;
  private executing = false;
  private bodyPaused = false;
  private closing = false;
  private peerEnded = false;
  /** Waiting for the client to read its answers before reading its next request. */
  private blocked = false;

  constructor(
    private readonly socket: Socket,
    private readonly host: ConnectionHost,
  ) {
    const s = host.settings;
    this.parser = new RequestParser(this, {
      maxHeaderBytes: s.maxHeaderBytes,
      maxHeaderCount: s.maxHeaderCount,
    });
    this.deadline = Date.now() + s.headersTimeout;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onPeerEnd());
    socket.on('error', () => {});
    socket.on('close', () => this.onClose());
  }

  get date(): string {
    return this.host.date;
  }

  /**
   * True between requests with nothing buffered: safe to close when draining. A connection that
   * has sent nothing of a request yet (a new one, a browser's preconnect) is idle too, though it
   * waits in the Head phase: draining would otherwise wait headers_timeout for it.
   */
  get isIdle(): boolean {
    if (this.leftover !== undefined) return false;
    return (
      this.phase === Phase.Idle || (this.phase === Phase.Head && this.req === undefined && this.parser.idle)
    );
  }

  // ---- socket side ----

  private onData(chunk: Buffer): void {
    if (this.closing) return;
    if (this.leftover !== undefined) {
      // Still waiting on a response: keep order by queueing behind what is already waiting.
      this.leftover = Buffer.concat([this.leftover, chunk]);
      return;
    }
    this.socket.cork();
    this.feed(chunk);
    this.socket.uncork();
  }

  private feed(chunk: Buffer): void {
    if (this.phase === Phase.Idle) this.enterPhase(Phase.Head);
    this.executing = true;
    const used = this.parser.execute(chunk);
    this.executing = false;
    if (this.closing) return;
    if (used < chunk.length) {
      this.leftover = chunk.subarray(used);
      this.socket.pause();
    } else if (this.phase === Phase.Idle) {
      if (this.parser.inHead) this.enterPhase(Phase.Head);
      else if (this.peerEnded || this.host.draining) this.closeAfterWrites();
    }
  }

  private onPeerEnd(): void {
    this.peerEnded = true;
    // The client will send nothing more: close now unless a response is still owed (one
    // already sent while the body was being dropped owes nothing more).
    if ((this.req === undefined || this.res?.finished) && this.leftover === undefined) {
      this.closeAfterWrites();
      return;
    }
    if (this.req !== undefined && !this.requestDone && this.leftover === undefined) {
      // Its body will never be complete: a handler reading it is told now (a 400, while the
      // client may still read), not after request_timeout — or never, with that timeout off.
      this.keepAlive = false;
      this.req.fail(
        new HttpError(400, 'the client ended the connection before the request body was complete'),
      );
    }
  }

  /** Stops parsing and closes once everything written so far is flushed. */
  private closeAfterWrites(): void {
    if (this.closing) return;
    this.closing = true;
    this.parser.pause();
    // Half-close after the answer, then read and drop what the client still sends until it
    // closes its side: destroying a socket with unread input makes the kernel send a reset,
    // and the client may lose the answer before reading it (a 413 for a body it is still
    // sending). A client that keeps its side open is destroyed after a grace period.
    this.leftover = undefined;
    // The grace period starts once the answer is flushed (a slow reader of a large answer gets
    // all of it, within the Closing phase's deadline); the server's sweep then destroys it.
    this.socket.end(() => {
      if (this.phase === Phase.Closing) this.deadline = Date.now() + CLOSE_LINGER_MS;
    });
    this.socket.resume();
    this.enterPhase(Phase.Closing);
    // An answer still being delivered may take longer than the phase's deadline — a large
    // download to a client that asked to close after it: until it is flushed, the client is
    // cut only for taking none of it for send_timeout, as on a kept-alive connection.
    if (this.socket.writableLength > 0) this.armSendTimeout(Date.now());
  }

  private onClose(): void {
    this.closing = true;
    if (this.blocked) {
      this.blocked = false;
      this.host.stats.connectionsBlocked--;
    }
    this.req?.fail(new Error('connection closed before the request body was complete'));
    this.host.connectionClosed(this);
  }

  /** Called by the server's sweep with the current time. */
  checkDeadline(now: number): void {
    if (this.deadline === 0 || now < this.deadline) return;
    const stats = this.host.stats;
    switch (this.phase) {
      case Phase.Idle:
        if (this.blocked) {
          if (this.tookSomeSinceDeadline(now)) return;
          stats.timeouts.send++;
          this.socket.destroy();
          return;
        }
        stats.timeouts.keepalive++;
        this.socket.destroy();
        return;
      case Phase.Head:
        stats.timeouts.headers++;
        if (this.parser.idle) this.socket.destroy();
        else this.fail(408, 'request head not received in time');
        return;
      case Phase.Body:
        // With request_timeout off, the only deadline here is send_timeout's, armed by a
        // streamed answer begun before the body (write): judged as in Responding.
        if (this.host.settings.requestTimeout === 0) {
          // A client still sending its body is not stuck, even if it reads nothing until done
          // (many do): only one that neither sends nor takes anything is cut.
          if (this.socket.bytesRead !== this.readAtDeadline) this.armSendTimeout(now);
          else this.checkSendDeadline(now);
          return;
        }
        stats.timeouts.request++;
        this.fail(408, 'request body not received in time');
        return;
      case Phase.Closing:
        if (this.socket.writableLength > 0) {
          // Still delivering its last answer: cut only for taking none of it.
          if (this.tookSomeSinceDeadline(now)) return;
          stats.timeouts.send++;
        }
        this.socket.destroy();
        return;
      case Phase.Responding:
        // Only a streamed answer the client stopped taking sets a deadline here (write).
        this.checkSendDeadline(now);
        return;
    }
  }

  /** A streamed answer's send_timeout deadline: off once the socket drains, on for progress. */
  private checkSendDeadline(now: number): void {
    if (!this.socket.writableNeedDrain) {
      this.deadline = 0;
      return;
    }
    if (this.tookSomeSinceDeadline(now)) return;
    this.host.stats.timeouts.send++;
    this.socket.destroy();
  }

  /** Arms send_timeout for an answer the client has yet to take. */
  private armSendTimeout(now: number): void {
    this.sentAtDeadline = writeProgress(this.socket);
    this.readAtDeadline = this.socket.bytesRead;
    this.deadline = now + this.host.settings.sendTimeout;
  }

  /** At a send_timeout deadline: a client that took some of its answer since gets another. */
  private tookSomeSinceDeadline(now: number): boolean {
    if (writeProgress(this.socket) === this.sentAtDeadline) return false;
    this.armSendTimeout(now);
    return true;
  }

  /** Starts closing because the server drains: idle connections go now, busy ones after their response. */
  drain(): void {
    if (this.isIdle) this.closeAfterWrites();
  }

  /** Closes at once. */
  destroy(): void {
    this.socket.destroy();
  }

  private enterPhase(phase: Phase): void {
    this.phase = phase;
    const s = this.host.settings;
    const timeout =
      phase === Phase.Idle
        ? s.keepAliveTimeout
        : phase === Phase.Head
          ? s.headersTimeout
          : phase === Phase.Body
            ? s.requestTimeout
            : phase === Phase.Closing
              ? s.headersTimeout
              : 0;
    this.deadline = timeout > 0 ? Date.now() + timeout : 0;
    // A streamed answer that filled the socket while the body was still arriving: write() armed
    // no send_timeout then (the Body phase had request_timeout), and the handler, waiting in
    // drained(), writes nothing more to arm it now. Without it a client that never reads would
    // hold the connection for ever.
    if (phase === Phase.Responding && this.socket.writableNeedDrain) this.armSendTimeout(Date.now());
  }

  /** Answers with a final error and closes (after the response is flushed). */
  private fail(status: number, message: string): void {
    const res = this.res;
    this.req?.fail(new Error(message));
    if (res?.headersSent) {
      this.socket.destroy();
      return;
    }
    this.host.stats.countResponse(status);
    this.socket.write(errorResponse({ status, message }));
    this.closeAfterWrites();
  }

  // ---- parser events ----

  onHead(head: RequestHead): void {
    const host = this.host;
    host.stats.requestsTotal++;
    this.keepAlive = head.keepAlive;
    this.expectContinue = head.expectContinue;
    this.continueSent = false;
    this.requestDone = false;
    this.trailers = undefined;
    const req = new HttpRequest(head, this, host.settings.maxBodyBytes);
    const res = new HttpResponse(this, head.method === 'HEAD', head.versionMinor);
    this.req = req;
    this.res = res;
    this.enterPhase(head.contentLength === 0 ? Phase.Responding : Phase.Body);
    this.dispatch(req, res);
  }

  onBody(chunk: Buffer): void {
    this.req?.push(chunk);
  }

  onTrailers(trailers: string[]): void {
    this.trailers = trailers;
  }

  onEnd(): void {
    this.requestDone = true;
    const res = this.res!;
    this.req!.end(this.trailers);
    if (res.finished) this.nextRequest();
    else {
      if (this.phase === Phase.Body) this.enterPhase(Phase.Responding);
      this.parser.pause();
    }
  }

  onError(error: HttpParseError): void {
    this.host.stats.countParseError(error.code);
    this.fail(error.status, error.message);
  }

  // ---- routing ----

  private dispatch(req: HttpRequest, res: HttpResponse): void {
    let match: ReturnType<Router['lookup']>;
    try {
      if (req.target === '*') {
        res.status(204).setHeader('Allow', 'GET, HEAD, OPTIONS, POST, PUT, DELETE, PATCH').send();
        return;
      }
      match = this.host.router.lookup(req.method, req.path);
    } catch (error) {
      this.handlerFailed(error, req, res);
      return;
    }
    if (match.kind === 'found') {
      req.params = match.params;
      try {
        const result = match.handler(req, res);
        if (result !== undefined && typeof (result as Promise<void>).then === 'function') {
          (result as Promise<void>).then(undefined, (error: unknown) => this.handlerFailed(error, req, res));
        }
      } catch (error) {
        this.handlerFailed(error, req, res);
      }
      return;
    }
    if (match.kind === 'not-found') {
      res.status(404).send(`no route for ${req.path}\n`, 'text/plain; charset=utf-8');
      return;
    }
    const allow = match.allow.join(', ');
    if (req.method === 'OPTIONS') {
      res.status(204).setHeader('Allow', allow).send();
      return;
    }
    res
      .status(405)
      .setHeader('Allow', allow)
      .send(`method ${req.method} not allowed for ${req.path}\n`, 'text/plain; charset=utf-8');
  }

  private handlerFailed(error: unknown, req: HttpRequest, res: HttpResponse): void {
    if (this.closing || res !== this.res) return;
    if (error instanceof BadPathError) {
      res.status(400).send(`${error.message}\n`, 'text/plain; charset=utf-8');
      return;
    }
    if (!(error instanceof HttpError)) {
      this.host.stats.handlerErrors++;
      this.host.reportError(error, req);
    }
    if (res.headersSent) {
      if (!res.finished) this.socket.destroy();
      return;
    }
    const status = error instanceof HttpError ? error.status : 500;
    const message = error instanceof HttpError ? error.message : 'internal server error';
    // The body may be unread: do not try to find the next request in it.
    if (!req.complete) this.keepAlive = false;
    try {
      res.status(status).send(`${message}\n`, 'text/plain; charset=utf-8');
    } catch {
      // Nothing can be answered on this connection (the handler left the response unusable):
      // it closes, and the server goes on.
      this.socket.destroy();
    }
  }

  // ---- response sink ----

  keepAliveAfter(): boolean {
    if (this.closing || !this.keepAlive || this.host.draining) return false;
    // A client waiting on 100-continue may or may not send the body now: only closing is safe.
    if (this.expectContinue && !this.continueSent && !this.requestDone) return false;
    return true;
  }

  get closed(): boolean {
    return this.socket.destroyed;
  }

  write(data: string | Buffer, encoding?: BufferEncoding): boolean {
    if (this.socket.destroyed) return false;
    const ok = encoding ? this.socket.write(data, encoding) : this.socket.write(data);
    // A streamed answer the client stopped taking: held to send_timeout, as a send() is once
    // the handler is done (checkDeadline). The Responding phase has no deadline of its own, nor
    // has the Body phase with request_timeout off.
    if (!ok && this.deadline === 0 && (this.phase === Phase.Responding || this.phase === Phase.Body))
      this.armSendTimeout(Date.now());
    return ok;
  }

  cork(): void {
    this.socket.cork();
  }

  uncork(): void {
    this.socket.uncork();
  }

  drained(): Promise<void> {
    if (this.socket.destroyed) return Promise.reject(new ConnectionClosedError());
    if (!this.socket.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const drained = () => {
        this.socket.off('close', closed);
        resolve();
      };
      const closed = () => {
        this.socket.off('drain', drained);
        reject(new ConnectionClosedError());
      };
      this.socket.once('drain', drained);
      this.socket.once('close', closed);
    });
  }

  responseFinished(closeAfter: boolean): void {
    const res = this.res;
    if (res) this.host.stats.countResponse(res.statusCode);
    if (closeAfter) {
      this.req?.fail(new Error('response finished; connection closing'));
      this.closeAfterWrites();
      return;
    }
    if (this.requestDone) {
      if (!this.executing) this.nextRequest();
      // Otherwise onEnd (still on the stack) sees the finished response and moves on.
    } else {
      // Answered before the body ended: read and drop the rest to reach the next request.
      this.req!.discard();
      this.resumeBody();
    }
  }

  /** The current exchange is over: go back to idle and parse whatever was left over. */
  private nextRequest(): void {
    // An answer that closes the connection, finished while its request was still being parsed
    // (a handler that answers at once): nothing comes next, and the Closing phase must stand.
    if (this.closing) return;
    this.req = undefined;
    this.res = undefined;
    // The last body may have been paused for a handler that answered without reading it: no
    // read will come to resume the socket, and the next request must still be read.
    this.bodyPaused = false;
    this.enterPhase(Phase.Idle);
    if ((this.peerEnded || this.host.draining) && this.leftover === undefined && !this.executing) {
      this.closeAfterWrites();
      return;
    }
    if (this.socket.writableNeedDrain && !this.blocked) {
      // The client is not reading its answers: read no more of its pipelined requests (they
      // wait in the socket buffer) until those drain, or answers pile up here without bound.
      this.blocked = true;
      this.host.stats.connectionsBlocked++;
      // Not idle yet: the answer is still being delivered, however slowly the client reads. The
      // keep-alive deadline is armed by unblock, once it is flushed; until then a client that
      // takes nothing of it for send_timeout is cut (checkDeadline), one that reads is not.
      this.armSendTimeout(Date.now());
      this.parser.pause();
      this.socket.pause();
      this.socket.once('drain', this.unblock);
      return;
    }
    if (this.blocked) return;
    if (this.executing) return;
    this.parser.resume();
    const rest = this.leftover;
    this.leftover = undefined;
    if (!this.bodyPaused) this.socket.resume();
    if (rest !== undefined) {
      this.socket.cork();
      this.feed(rest);
      this.socket.uncork();
      // The client's end came while these bytes waited (onPeerEnd left them be): a request
      // they leave incomplete will never be, and is told so now, not at its timeout.
      if (this.peerEnded && this.leftover === undefined && !this.closing) this.onPeerEnd();
    }
  }

  private readonly unblock = (): void => {
    if (!this.blocked) return;
    this.blocked = false;
    this.host.stats.connectionsBlocked--;
    if (this.closing) return;
    this.nextRequest();
  };

  // ---- body source ----

  bodyWanted(): void {
    if (this.expectContinue && !this.continueSent && this.res && !this.res.headersSent) {
      this.continueSent = true;
      this.socket.write(CONTINUE_RESPONSE);
    }
  }

  pauseBody(): void {
    this.bodyPaused = true;
    this.socket.pause();
  }

  resumeBody(): void {
    if (!this.bodyPaused) return;
    this.bodyPaused = false;
    if (this.leftover === undefined) this.socket.resume();
  }
}
