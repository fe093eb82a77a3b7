// memjs 1.3 ships no types: this declares only what the tests use. Every command called
// without its callback returns a promise; `stats` has no promise form.
declare module 'memjs' {
  namespace memjs {
    interface ClientOptions {
      /** How many times to retry a failed operation (default 2). */
      retries?: number;
      /** Seconds before an operation fails (default 0.5). */
      timeout?: number;
      /** Default expiration in seconds (default 0: never). */
      expires?: number;
      logger?: { log(...messages: unknown[]): void };
    }

    interface StoreOptions {
      expires?: number;
    }

    interface CounterOptions {
      /** The value a missing counter is created with (default 0). */
      initial?: number;
      expires?: number;
    }

    type Value = string | Buffer;

    class Client {
      /** `servers`: `"[user:pass@]host[:port],…"`. */
      static create(servers?: string, options?: ClientOptions): Client;
      /** `value` and `flags` are null when the key is missing. */
      get(key: string): Promise<{ value: Buffer | null; flags: Buffer | null }>;
      set(key: string, value: Value, options?: StoreOptions): Promise<boolean>;
      add(key: string, value: Value, options?: StoreOptions): Promise<boolean>;
      replace(key: string, value: Value, options?: StoreOptions): Promise<boolean>;
      append(key: string, value: Value): Promise<boolean>;
      prepend(key: string, value: Value): Promise<boolean>;
      touch(key: string, expires: number): Promise<boolean>;
      delete(key: string): Promise<boolean>;
      increment(
        key: string,
        amount: number,
        options: CounterOptions,
      ): Promise<{ success: boolean | null; value: number | null }>;
      decrement(
        key: string,
        amount: number,
        options: CounterOptions,
      ): Promise<{ success: boolean | null; value: number | null }>;
      /** Maps each `"host:port"` to `true`, or the error that server answered with. */
      flush(): Promise<Record<string, true | Error>>;
      /**
       * Calls back once per server. memjs passes null stats along with an error; this declares
       * them non-null so a callback typed for the success case fits.
       */
      stats(callback: (err: Error | null, server: string, stats: Record<string, string>) => void): void;
      /** Closes every server connection at once. */
      close(): void;
    }
  }
  export = memjs;
}
