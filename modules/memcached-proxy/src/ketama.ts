import { md5Words } from './md5.js';

/** Points per server: 40 MD5 digests, 4 points from each (libmemcached/twemproxy ketama). */
const POINTS_PER_SERVER = 160;
/** twemproxy leaves the port out of a server's ring name when it is memcached's default. */
const DEFAULT_PORT = 11211;

/** The hash a key is placed on the ring with (twemproxy `hash: md5`): the digest's first word. */
export function ketamaKeyHash(key: Buffer | string): number {
  // Keys are latin1 strings (one char per byte), never UTF-8.
  return md5Words(key)[0]!;
}

/**
 * The name a server is hashed under, as twemproxy derives it from an unnamed `host:port:weight`
 * entry: `host` when the port is 11211, `host:port` otherwise.
 */
export function ketamaServerName(host: string, port: number): string {
  return port === DEFAULT_PORT ? host : `${host}:${port}`;
}

/**
 * A ketama continuum over equally weighted servers, compatible with twemproxy's
 * `distribution: ketama` + `hash: md5` and libmemcached's ketama: each server gets points from the
 * MD5 of `"<name>-<n>"` for n = 0..39, four points per digest.
 */
export class KetamaRing {
  private readonly points: Uint32Array;
  private readonly owners: Uint32Array;

  /** `names[i]` is server i's ring name (see {@link ketamaServerName}). */
  constructor(names: readonly string[]) {
    const count = names.length * POINTS_PER_SERVER;
    const entries: { value: number; owner: number }[] = new Array(count);
    let n = 0;
    names.forEach((name, owner) => {
      for (let p = 0; p < POINTS_PER_SERVER / 4; p++) {
        const digest = md5Words(Buffer.from(`${name}-${p}`, 'utf8'));
        for (let w = 0; w < 4; w++) entries[n++] = { value: digest[w]!, owner };
      }
    });
    entries.sort((a, b) => a.value - b.value);
    this.points = Uint32Array.from(entries, (e) => e.value);
    this.owners = Uint32Array.from(entries, (e) => e.owner);
  }

  /** The number of points on the ring (160 per server). */
  get size(): number {
    return this.points.length;
  }

  /** The index (into the constructor's `names`) of the server owning `hash`; -1 on an empty ring. */
  ownerOf(hash: number): number {
    const points = this.points;
    if (points.length === 0) return -1;
    // First point >= hash, wrapping to the first point past the end.
    let lo = 0;
    let hi = points.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (points[mid]! < hash) lo = mid + 1;
      else hi = mid;
    }
    return this.owners[hi === points.length ? 0 : hi]!;
  }

  /** The server index for a key. */
  pick(key: Buffer | string): number {
    return this.ownerOf(ketamaKeyHash(key));
  }
}
