import { type HttpParseError, type ParserLimits, type RequestHead, RequestParser } from '../src/index.js';

/** A request as the parser reported it, with its body joined (for comparing in tests only). */
export interface Parsed {
  head: RequestHead;
  body: string;
  trailers: string[];
}

export interface Outcome {
  requests: Parsed[];
  error: HttpParseError | undefined;
  /** Requests whose head arrived but whose end did not. */
  partial: boolean;
}

/** Feeds `pieces` to a fresh parser and records what it reports. */
export function parsePieces(pieces: readonly Buffer[], limits?: ParserLimits): Outcome {
  const out: Outcome = { requests: [], error: undefined, partial: false };
  let current: { head: RequestHead; body: Buffer[]; trailers: string[] } | undefined;
  const parser = new RequestParser(
    {
      onHead(head) {
        current = { head, body: [], trailers: [] };
        out.partial = true;
      },
      onBody(chunk) {
        if (chunk.length === 0) throw new Error('empty body slice');
        current!.body.push(Buffer.from(chunk));
      },
      onTrailers(trailers) {
        current!.trailers = trailers;
      },
      onEnd() {
        out.requests.push({
          head: current!.head,
          body: Buffer.concat(current!.body).toString('latin1'),
          trailers: current!.trailers,
        });
        out.partial = false;
        current = undefined;
      },
      onError(error) {
        if (out.error) throw new Error('onError called twice');
        out.error = error;
      },
    },
    limits,
  );
  for (const piece of pieces) {
    const used = parser.execute(piece);
    if (parser.failed) break;
    if (used !== piece.length) throw new Error('parser stopped without pause or error');
  }
  return out;
}

/** Splits a buffer at the given cut points. */
export function split(data: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => Math.max(0, Math.min(data.length, c))))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let last = 0;
  for (const p of points) {
    if (p > last) pieces.push(data.subarray(last, p));
    last = p;
  }
  if (last < data.length) pieces.push(data.subarray(last));
  return pieces;
}

export function bytewise(data: Buffer): Buffer[] {
  const pieces: Buffer[] = [];
  for (let i = 0; i < data.length; i++) pieces.push(data.subarray(i, i + 1));
  return pieces;
}

export const b = (s: string): Buffer => Buffer.from(s, 'latin1');
