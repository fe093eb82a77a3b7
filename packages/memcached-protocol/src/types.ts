/** The storage commands of the text protocol. */
export type StorageCommand = 'set' | 'add' | 'replace' | 'append' | 'prepend' | 'cas';
/** The retrieval commands of the text protocol; `gat`/`gats` also touch. */
export type RetrievalCommand = 'get' | 'gets' | 'gat' | 'gats';
/** The meta protocol commands. */
export type MetaCommand = 'mg' | 'ms' | 'md' | 'ma' | 'mn' | 'me';

/**
 * A request decoded on the server side. Keys are latin1 strings, so every byte survives the
 * round trip (`Buffer.from(key, 'latin1')`). `raw` is the request exactly as received (command
 * line and data block), a slice of the input, so a proxy can forward it without re-encoding.
 */
export type Request =
  | {
      kind: 'storage';
      command: StorageCommand;
      key: string;
      flags: number;
      exptime: number;
      /** The value: a slice of the input, never a copy. */
      data: Buffer;
      /** Present only for `cas`. */
      cas: bigint | undefined;
      noreply: boolean;
      raw: Buffer;
    }
  | { kind: 'retrieval'; command: RetrievalCommand; keys: string[]; exptime: number | undefined; raw: Buffer }
  | { kind: 'delete'; key: string; noreply: boolean; raw: Buffer }
  | {
      kind: 'arithmetic';
      command: 'incr' | 'decr';
      key: string;
      delta: bigint;
      noreply: boolean;
      raw: Buffer;
    }
  | { kind: 'touch'; key: string; exptime: number; noreply: boolean; raw: Buffer }
  | { kind: 'stats'; args: string[]; raw: Buffer }
  | { kind: 'version'; raw: Buffer }
  | { kind: 'verbosity'; level: number; noreply: boolean; raw: Buffer }
  | { kind: 'flush_all'; delay: number | undefined; noreply: boolean; raw: Buffer }
  | { kind: 'quit'; raw: Buffer }
  | {
      kind: 'meta';
      command: MetaCommand;
      /** The key as sent (still base64 when `base64` is set); empty for `mn`. */
      key: string;
      /** The `b` flag: the key is base64-encoded. */
      base64: boolean;
      /** Flag tokens as sent (`v`, `T30`, `Oabc`, ...), without `q` and `b`. */
      flags: string[];
      /** The `q` flag: suppress the uninteresting reply (EN for mg, HD for ms/md/ma). */
      quiet: boolean;
      /** `ms` only: the value. */
      data: Buffer | undefined;
      raw: Buffer;
    }
  /**
   * A request the decoder refused; `line` is the error line to send back (without CRLF) —
   * unless `noreply` is set: memcached answers nothing to a refused `noreply` command (the
   * client reads no reply, and one would be taken for the answer to its next command).
   */
  | { kind: 'error'; line: string; noreply?: boolean };

/** Simple one-line replies of the text protocol. */
export type Status = 'STORED' | 'NOT_STORED' | 'EXISTS' | 'NOT_FOUND' | 'DELETED' | 'TOUCHED' | 'OK';
/** Return codes of the meta protocol. */
export type MetaCode = 'HD' | 'VA' | 'EN' | 'NF' | 'NS' | 'EX' | 'MN' | 'ME';

/**
 * One response item decoded on the client side. A reply to `get` is several items (`value`s then
 * `end`); most others are one item. `raw` is the item exactly as received.
 */
export type Response =
  | { kind: 'value'; key: string; flags: number; cas: bigint | undefined; data: Buffer; raw: Buffer }
  | { kind: 'end'; raw: Buffer }
  | { kind: 'stat'; name: string; value: string; raw: Buffer }
  | { kind: 'status'; status: Status; raw: Buffer }
  | { kind: 'number'; value: bigint; raw: Buffer }
  | { kind: 'version'; version: string; raw: Buffer }
  | { kind: 'error'; type: 'ERROR' | 'CLIENT_ERROR' | 'SERVER_ERROR'; message: string; raw: Buffer }
  | {
      kind: 'meta';
      code: MetaCode /** `ME`: the key; others: empty. */;
      key: string;
      flags: string[];
      data: Buffer | undefined;
      raw: Buffer;
    }
  /** The stream could not be parsed; the decoder stops. The connection should be closed. */
  | { kind: 'invalid'; reason: string };
