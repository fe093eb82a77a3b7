/**
 * Input kept undecoded — too little for progress yet, or held by the consumer — as the chunks it
 * came in, joined once when it is taken: a value split over many reads is copied once.
 */
export class ChunkQueue {
  #chunks: Buffer[] = [];
  #length = 0;

  /** Bytes kept. */
  get length(): number {
    return this.#length;
  }

  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#length += chunk.length;
  }

  /** Everything kept, as one buffer (the chunk itself when there is one); the queue is emptied. */
  take(): Buffer {
    const joined = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks, this.#length);
    this.clear();
    return joined;
  }

  /** Keeps only `rest`: what a decode left of its buffer. */
  replace(rest: Buffer): void {
    this.#chunks = [rest];
    this.#length = rest.length;
  }

  clear(): void {
    this.#chunks = [];
    this.#length = 0;
  }
}
