import {
  type BinaryPacket,
  BinaryStatus,
  encodeArithmetic,
  encodeBinaryResponse,
  encodeDelete,
  encodeFlushAll,
  encodeMeta,
  encodeRetrieval,
  encodeStorage,
  encodeTouch,
  encodeVerbosity,
  isValidKey,
  Opcode,
  type Response,
  ResponseDecoder,
  type StorageCommand,
} from '@scalestack/memcached-protocol';
import type { Backend, BackendRequest } from './backend.js';
import type { Reply, ReplySink } from './reply-queue.js';

/** What the translator needs from its session. */
export interface BinaryHost {
  readonly backend: Backend;
  readonly version: string;
  stats(): Record<string, string | number>;
  /** Reserves the next ordered reply slot. */
  reply(): Reply;
  /** Ends the connection after the replies so far (quit). */
  finish(): void;
}

const S = BinaryStatus;
const NO_CREATE = 0xffff_ffff;
/** `ms` mode tokens per storage command. */
const MODES: Record<StorageCommand, string> = {
  set: 'S',
  add: 'E',
  replace: 'R',
  append: 'A',
  prepend: 'P',
  cas: 'S',
};

/** The cas value from a meta reply's `c<cas>` flag, or 0. */
function casOf(flags: readonly string[]): bigint {
  for (const flag of flags)
    if (flag.charCodeAt(0) === 0x63 && /^c\d+$/.test(flag)) return BigInt(flag.slice(1));
  return 0n;
}
const QUIET = new Set<number>([
  Opcode.GetQ,
  Opcode.GetKQ,
  Opcode.SetQ,
  Opcode.AddQ,
  Opcode.ReplaceQ,
  Opcode.DeleteQ,
  Opcode.IncrementQ,
  Opcode.DecrementQ,
  Opcode.QuitQ,
  Opcode.FlushQ,
  Opcode.AppendQ,
  Opcode.PrependQ,
  Opcode.GATQ,
]);
const STORAGE: Record<number, StorageCommand> = {
  [Opcode.Set]: 'set',
  [Opcode.SetQ]: 'set',
  [Opcode.Add]: 'add',
  [Opcode.AddQ]: 'add',
  [Opcode.Replace]: 'replace',
  [Opcode.ReplaceQ]: 'replace',
  [Opcode.Append]: 'append',
  [Opcode.AppendQ]: 'append',
  [Opcode.Prepend]: 'prepend',
  [Opcode.PrependQ]: 'prepend',
};
const MESSAGES: Record<number, string> = {
  [S.KeyNotFound]: 'Not found',
  [S.KeyExists]: 'Data exists for key.',
  [S.ValueTooLarge]: 'Too large.',
  [S.InvalidArguments]: 'Invalid arguments',
  [S.ItemNotStored]: 'Not stored.',
  [S.NonNumeric]: 'Non-numeric server-side value for incr or decr',
  [S.UnknownCommand]: 'Unknown command',
  [S.OutOfMemory]: 'Out of memory',
};

/**
 * Serves binary-protocol clients (memjs, libmemcached in binary mode) by translating each packet
 * into the text request the backends speak, and each text reply back into a binary response.
 * Quiet commands get no response unless they fail (misses too, for getq/getkq).
 */
export class BinaryTranslator {
  private readonly items: Response[] = [];
  private textDecoder = this.newTextDecoder();

  constructor(private readonly host: BinaryHost) {}

  /** A body beyond the value limit (already skipped by the decoder). */
  tooLarge(opcode: number, opaque: number): void {
    this.host.reply().done(this.error(opcode, opaque, S.ValueTooLarge));
  }

  handle(p: BinaryPacket): void {
    const op = p.opcode;
    const quiet = QUIET.has(op);
    const key = p.key.toString('latin1');
    const storage = STORAGE[op];
    if (storage !== undefined) {
      this.storage(p, storage, key, quiet);
      return;
    }
    switch (op) {
      case Opcode.Get:
      case Opcode.GetQ:
      case Opcode.GetK:
      case Opcode.GetKQ:
      case Opcode.GAT:
      case Opcode.GATQ: {
        this.get(p, key, quiet);
        return;
      }
      case Opcode.Delete:
      case Opcode.DeleteQ:
        if (!this.checkKey(p, key)) return;
        if (p.cas !== 0n) {
          this.deleteIfCas(p, key, quiet);
          return;
        }
        {
          this.forward(p, { kind: 'delete', key, noreply: false, raw: encodeDelete(key) }, quiet, (r) =>
            r.kind === 'status' && r.status === 'DELETED'
              ? S.Success
              : r.kind === 'status' && r.status === 'NOT_FOUND'
                ? S.KeyNotFound
                : undefined,
          );
          return;
        }
      case Opcode.Increment:
      case Opcode.IncrementQ:
      case Opcode.Decrement:
      case Opcode.DecrementQ: {
        this.arithmetic(p, key, quiet);
        return;
      }
      case Opcode.Touch: {
        if (!this.checkKey(p, key) || p.extras.length !== 4) {
          this.invalid(p);
          return;
        }
        const exptime = p.extras.readInt32BE(0);
        this.forward(
          p,
          { kind: 'touch', key, exptime, noreply: false, raw: encodeTouch(key, exptime) },
          false,
          (r) =>
            r.kind === 'status' && r.status === 'TOUCHED'
              ? S.Success
              : r.kind === 'status' && r.status === 'NOT_FOUND'
                ? S.KeyNotFound
                : undefined,
        );
        return;
      }
      case Opcode.Flush:
      case Opcode.FlushQ: {
        const delay = p.extras.length === 4 ? p.extras.readInt32BE(0) : undefined;
        this.forward(
          p,
          { kind: 'flush_all', delay, noreply: false, raw: encodeFlushAll(delay) },
          quiet,
          (r) => (r.kind === 'status' && r.status === 'OK' ? S.Success : undefined),
        );
        return;
      }
      case Opcode.Verbosity: {
        const level = p.extras.length === 4 ? p.extras.readUInt32BE(0) : 0;
        this.forward(
          p,
          { kind: 'verbosity', level, noreply: false, raw: encodeVerbosity(level) },
          false,
          (r) => (r.kind === 'status' && r.status === 'OK' ? S.Success : undefined),
        );
        return;
      }
      case Opcode.Noop: {
        this.host.reply().done(encodeBinaryResponse({ opcode: op, opaque: p.opaque }));
        return;
      }
      case Opcode.Version: {
        this.host
          .reply()
          .done(encodeBinaryResponse({ opcode: op, opaque: p.opaque, value: this.host.version }));
        return;
      }
      case Opcode.Stat: {
        const parts: Buffer[] = [];
        if (p.key.length === 0) {
          const all = { ...this.host.stats(), ...this.host.backend.stats() };
          for (const [name, value] of Object.entries(all)) {
            parts.push(
              encodeBinaryResponse({ opcode: op, opaque: p.opaque, key: name, value: String(value) }),
            );
          }
        }
        parts.push(encodeBinaryResponse({ opcode: op, opaque: p.opaque }));
        this.host.reply().done(parts);
        return;
      }
      case Opcode.Quit:
        this.host.reply().done(encodeBinaryResponse({ opcode: op, opaque: p.opaque }));
        {
          this.host.finish();
          return;
        }
      case Opcode.QuitQ: {
        this.host.finish();
        return;
      }
      default: {
        this.host.reply().done(this.error(op, p.opaque, S.UnknownCommand));
        return;
      }
    }
  }

  private get(p: BinaryPacket, key: string, quiet: boolean): void {
    if (!this.checkKey(p, key)) return;
    const touching = p.opcode === Opcode.GAT || p.opcode === Opcode.GATQ;
    if (touching && p.extras.length !== 4) {
      this.invalid(p);
      return;
    }
    const exptime = touching ? p.extras.readInt32BE(0) : undefined;
    const command = touching ? 'gats' : 'gets';
    const withKey = p.opcode === Opcode.GetK || p.opcode === Opcode.GetKQ;
    const slot = this.host.reply();
    const request: BackendRequest = {
      kind: 'retrieval',
      command,
      keys: [key],
      exptime,
      raw: encodeRetrieval(command, [key], exptime),
    };
    this.host.backend.handle(request, {
      claim: (bytes) => slot.claim(bytes),
      done: (parts) => {
        const items = this.parse(parts);
        const value = items.find((r) => r.kind === 'value');
        if (value?.kind === 'value') {
          const extras = Buffer.allocUnsafe(4);
          extras.writeUInt32BE(value.flags, 0);
          slot.done(
            encodeBinaryResponse({
              opcode: p.opcode,
              opaque: p.opaque,
              cas: value.cas ?? 0n,
              extras,
              key: withKey ? p.key : undefined,
              value: value.data,
            }),
          );
        } else if (items.some((r) => r.kind === 'end')) {
          slot.done(quiet ? [] : this.error(p.opcode, p.opaque, S.KeyNotFound, withKey ? p.key : undefined));
        } else slot.done(this.failure(p, items));
      },
    });
  }

  private storage(p: BinaryPacket, command: StorageCommand, key: string, quiet: boolean): void {
    if (!this.checkKey(p, key)) return;
    const concat = command === 'append' || command === 'prepend';
    if (p.extras.length !== (concat ? 0 : 8)) {
      this.invalid(p);
      return;
    }
    const flags = concat ? 0 : p.extras.readUInt32BE(0);
    const exptime = concat ? 0 : p.extras.readInt32BE(4);
    // A set with a cas value is a cas; memcached treats replace the same way.
    const effective: StorageCommand =
      p.cas !== 0n && (command === 'set' || command === 'replace') ? 'cas' : command;
    const cas = effective === 'cas' ? p.cas : undefined;
    if (this.host.backend.supportsMeta) {
      this.metaStorage(p, command, key, flags, exptime, quiet);
      return;
    }
    const raw = Buffer.concat(encodeStorage(effective, key, flags, exptime, p.value, { cas }));
    const request: BackendRequest = {
      kind: 'storage',
      command: effective,
      key,
      flags,
      exptime,
      data: p.value,
      cas,
      noreply: false,
      raw,
    };
    this.forward(p, request, quiet, (r) => {
      if (r.kind !== 'status') return undefined;
      if (r.status === 'STORED') return S.Success;
      if (r.status === 'EXISTS') return S.KeyExists;
      if (r.status === 'NOT_FOUND') return S.KeyNotFound;
      if (r.status === 'NOT_STORED')
        return command === 'add' ? S.KeyExists : command === 'replace' ? S.KeyNotFound : S.ItemNotStored;
      return undefined;
    });
  }

  /**
   * Storage through `ms`, which (unlike the text commands) returns the new item's cas, as a
   * binary response must, and compares cas for any mode.
   */
  private metaStorage(
    p: BinaryPacket,
    command: StorageCommand,
    key: string,
    flags: number,
    exptime: number,
    quiet: boolean,
  ): void {
    const metaFlags = ['c', `M${MODES[command]}`];
    if (command !== 'append' && command !== 'prepend') metaFlags.push(`F${flags}`, `T${exptime}`);
    if (p.cas !== 0n) metaFlags.push(`C${p.cas}`);
    const parts = encodeMeta('ms', key, metaFlags, p.value);
    const request: BackendRequest = {
      kind: 'meta',
      command: 'ms',
      key,
      base64: false,
      flags: metaFlags,
      quiet: false,
      data: p.value,
      raw: Buffer.concat(parts),
    };
    const slot = this.host.reply();
    this.host.backend.handle(request, {
      done: (reply) => {
        const r = this.parse(reply)[0];
        if (r?.kind !== 'meta') return slot.done(this.failure(p, r ? [r] : []));
        if (r.code === 'HD') {
          return slot.done(
            quiet ? [] : encodeBinaryResponse({ opcode: p.opcode, opaque: p.opaque, cas: casOf(r.flags) }),
          );
        }
        const code =
          r.code === 'EX'
            ? S.KeyExists
            : r.code === 'NF'
              ? S.KeyNotFound
              : command === 'add'
                ? S.KeyExists
                : command === 'replace'
                  ? S.KeyNotFound
                  : S.ItemNotStored;
        slot.done(this.error(p.opcode, p.opaque, code));
      },
    });
  }

  /**
   * Delete with a CAS: only if the item still has it (KeyExists otherwise), as memcached does.
   * The text protocol's `delete` has no CAS; `md <key> C<cas>` has. A backend without the meta
   * protocol (Redis) cannot honour it: NotSupported, rather than deleting regardless.
   */
  private deleteIfCas(p: BinaryPacket, key: string, quiet: boolean): void {
    if (!this.host.backend.supportsMeta) {
      this.host.reply().done(this.error(p.opcode, p.opaque, S.NotSupported));
      return;
    }
    const metaFlags = [`C${p.cas}`];
    const request: BackendRequest = {
      kind: 'meta',
      command: 'md',
      key,
      base64: false,
      flags: metaFlags,
      quiet: false,
      data: undefined,
      raw: Buffer.concat(encodeMeta('md', key, metaFlags)),
    };
    this.forward(p, request, quiet, (r) =>
      r.kind !== 'meta'
        ? undefined
        : r.code === 'HD'
          ? S.Success
          : r.code === 'NF'
            ? S.KeyNotFound
            : r.code === 'EX'
              ? S.KeyExists
              : undefined,
    );
  }

  private arithmetic(p: BinaryPacket, key: string, quiet: boolean): void {
    if (!this.checkKey(p, key) || p.extras.length !== 20) {
      this.invalid(p);
      return;
    }
    if (p.cas !== 0n && !this.host.backend.supportsMeta) {
      // incr/decr of the text protocol cannot check a CAS: refuse rather than ignore it.
      this.host.reply().done(this.error(p.opcode, p.opaque, S.NotSupported));
      return;
    }
    const command = p.opcode === Opcode.Increment || p.opcode === Opcode.IncrementQ ? 'incr' : 'decr';
    const delta = p.extras.readBigUInt64BE(0);
    const initial = p.extras.readBigUInt64BE(8);
    const exptime = p.extras.readUInt32BE(16);
    const slot = this.host.reply();
    const counter = (value: bigint, cas = 0n) => {
      const out = Buffer.allocUnsafe(8);
      out.writeBigUInt64BE(value, 0);
      return quiet ? [] : encodeBinaryResponse({ opcode: p.opcode, opaque: p.opaque, cas, value: out });
    };
    if (this.host.backend.supportsMeta) {
      // `ma` does binary incr/decr exactly: N autovivifies with J as the initial value.
      const metaFlags = ['v', 'c', `D${delta}`, `M${command === 'incr' ? 'I' : 'D'}`];
      if (exptime !== NO_CREATE) metaFlags.push(`N${exptime | 0}`, `J${initial}`);
      // Only if the item still has this CAS (EX otherwise), as memcached's binary incr does.
      if (p.cas !== 0n) metaFlags.push(`C${p.cas}`);
      const request: BackendRequest = {
        kind: 'meta',
        command: 'ma',
        key,
        base64: false,
        flags: metaFlags,
        quiet: false,
        data: undefined,
        raw: Buffer.concat(encodeMeta('ma', key, metaFlags)),
      };
      this.host.backend.handle(request, {
        done: (reply) => {
          const r = this.parse(reply)[0];
          if (r?.kind === 'meta' && r.code === 'VA' && r.data !== undefined)
            return slot.done(counter(BigInt(r.data.toString('latin1')), casOf(r.flags)));
          if (r?.kind === 'meta' && r.code === 'NF')
            return slot.done(this.error(p.opcode, p.opaque, S.KeyNotFound));
          if (r?.kind === 'meta' && r.code === 'EX')
            return slot.done(this.error(p.opcode, p.opaque, S.KeyExists));
          if (r?.kind === 'error' && r.message.includes('non-numeric'))
            return slot.done(this.error(p.opcode, p.opaque, S.NonNumeric));
          slot.done(this.failure(p, r ? [r] : []));
        },
      });
      return;
    }
    const attempt = (retry: boolean) => {
      const request: BackendRequest = {
        kind: 'arithmetic',
        command,
        key,
        delta,
        noreply: false,
        raw: encodeArithmetic(command, key, delta),
      };
      this.host.backend.handle(request, {
        done: (parts) => {
          const r = this.parse(parts)[0];
          if (r?.kind === 'number') return slot.done(counter(r.value));
          if (r?.kind === 'status' && r.status === 'NOT_FOUND') {
            if (exptime === NO_CREATE || !retry)
              return slot.done(this.error(p.opcode, p.opaque, S.KeyNotFound));
            // Not there: create it with the initial value (binary semantics); if another client
            // created it meanwhile, apply the delta to theirs.
            const data = Buffer.from(String(initial));
            const add: BackendRequest = {
              kind: 'storage',
              command: 'add',
              key,
              flags: 0,
              exptime: exptime | 0,
              data,
              cas: undefined,
              noreply: false,
              raw: Buffer.concat(encodeStorage('add', key, 0, exptime | 0, data)),
            };
            return this.host.backend.handle(add, {
              done: (added) => {
                const a = this.parse(added)[0];
                if (a?.kind === 'status' && a.status === 'STORED') slot.done(counter(initial));
                else if (a?.kind === 'status' && a.status === 'NOT_STORED') attempt(false);
                else slot.done(this.failure(p, a ? [a] : []));
              },
            });
          }
          if (r?.kind === 'error' && r.message.includes('non-numeric'))
            return slot.done(this.error(p.opcode, p.opaque, S.NonNumeric));
          slot.done(this.failure(p, r ? [r] : []));
        },
      });
    };
    attempt(true);
  }

  /** Sends a single-reply request; `status` maps the text reply to a binary status. */
  private forward(
    p: BinaryPacket,
    request: BackendRequest,
    quiet: boolean,
    status: (r: Response) => number | undefined,
  ): void {
    const slot = this.host.reply();
    this.host.backend.handle(request, {
      done: (parts) => {
        const items = this.parse(parts);
        const code = items[0] === undefined ? undefined : status(items[0]);
        if (code === S.Success)
          slot.done(quiet ? [] : encodeBinaryResponse({ opcode: p.opcode, opaque: p.opaque }));
        else if (code !== undefined) slot.done(this.error(p.opcode, p.opaque, code));
        else slot.done(this.failure(p, items));
      },
    } satisfies ReplySink);
  }

  private parse(parts: Buffer[] | Buffer): Response[] {
    this.items.length = 0;
    if (Buffer.isBuffer(parts)) this.textDecoder.push(parts);
    else for (const part of parts) this.textDecoder.push(part);
    // Each reply is parsed on its own; a decoder that gave up must not poison the next one.
    if (this.textDecoder.buffered > 0 || this.items.some((r) => r.kind === 'invalid')) {
      this.textDecoder = this.newTextDecoder();
    }
    return this.items.slice();
  }

  private newTextDecoder(): ResponseDecoder {
    return new ResponseDecoder((r) => this.items.push(r), { maxValueSize: Number.MAX_SAFE_INTEGER });
  }

  /** A text error reply (or anything unexpected) as a binary error. */
  private failure(p: BinaryPacket, items: Response[]): Buffer {
    const r = items[0];
    if (r?.kind === 'error') {
      if (r.message.startsWith('object too large')) return this.error(p.opcode, p.opaque, S.ValueTooLarge);
      if (r.message.startsWith('out of memory')) return this.error(p.opcode, p.opaque, S.OutOfMemory);
      return this.error(
        p.opcode,
        p.opaque,
        r.type === 'CLIENT_ERROR' ? S.InvalidArguments : S.InternalError,
        undefined,
        r.message,
      );
    }
    return this.error(p.opcode, p.opaque, S.InternalError, undefined, 'unexpected reply from backend');
  }

  /** Keys must be representable in the text protocol the backends speak. */
  private checkKey(p: BinaryPacket, key: string): boolean {
    if (isValidKey(key, 250)) return true;
    this.host
      .reply()
      .done(
        this.error(
          p.opcode,
          p.opaque,
          S.InvalidArguments,
          undefined,
          'key must be 1-250 bytes without spaces or control characters',
        ),
      );
    return false;
  }

  private invalid(p: BinaryPacket): void {
    this.host.reply().done(this.error(p.opcode, p.opaque, S.InvalidArguments));
  }

  private error(opcode: number, opaque: number, status: number, key?: Buffer, message?: string): Buffer {
    return encodeBinaryResponse({
      opcode,
      opaque,
      status,
      key,
      value: message ?? MESSAGES[status] ?? 'Error',
    });
  }
}
