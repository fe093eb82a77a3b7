/**
 * The proxy's own users: who may log in at the proxy (checked against stored password hashes),
 * which tenant they belong to, and which credentials the proxy uses for them at the backend.
 */
import {
  type Credentials,
  cachingSha2Hash,
  nativePasswordHash,
  parseNativePasswordHash,
} from '@scalestack/mysql-protocol';

/** A user as written in the configuration. */
export interface ProxyUserConfig {
  name: string;
  /** Plain password (convenient for development; prefer the hashes in production). */
  password?: string;
  /** mysql_native_password hash, MySQL's `*HEX` form (`SELECT PASSWORD('…')`). */
  native_hash?: string;
  /** caching_sha2_password fast-path hash: hex of SHA256(SHA256(password)). */
  sha2_hash?: string;
  tenant?: string;
  max_connections?: number;
  /** Backend login for this user; by default the backend server's service account. */
  backend_user?: string;
  backend_password?: string;
}

export interface ProxyUser {
  readonly name: string;
  readonly credentials: Credentials;
  readonly tenant: string | undefined;
  readonly maxConnections: number;
  readonly backendUser: string | undefined;
  readonly backendPassword: string | undefined;
}

/** Turns configured users into lookups; plain passwords are hashed at once and not kept. */
export function buildUsers(configs: readonly ProxyUserConfig[]): Map<string, ProxyUser> {
  const users = new Map<string, ProxyUser>();
  for (const u of configs) {
    const credentials: Credentials = {};
    if (u.password !== undefined) {
      credentials.nativeHash = nativePasswordHash(u.password);
      credentials.sha2Hash = cachingSha2Hash(u.password);
      if (u.password === '') credentials.plaintext = '';
    }
    if (u.native_hash !== undefined) credentials.nativeHash = parseNativePasswordHash(u.native_hash);
    if (u.sha2_hash !== undefined) credentials.sha2Hash = Buffer.from(u.sha2_hash, 'hex');
    users.set(u.name, {
      name: u.name,
      credentials,
      tenant: u.tenant,
      maxConnections: u.max_connections ?? Number.POSITIVE_INFINITY,
      backendUser: u.backend_user,
      backendPassword: u.backend_password,
    });
  }
  return users;
}

/** Checks one configured user; returns what is wrong, or undefined. */
export function checkUserConfig(u: ProxyUserConfig): string | undefined {
  if (u.password === undefined && u.native_hash === undefined && u.sha2_hash === undefined) {
    return 'needs password, native_hash or sha2_hash';
  }
  if (u.native_hash !== undefined && !/^\*[0-9A-Fa-f]{40}$/.test(u.native_hash)) {
    return 'native_hash must be * followed by 40 hex digits (the form of SELECT PASSWORD(...))';
  }
  if (u.sha2_hash !== undefined && !/^[0-9A-Fa-f]{64}$/.test(u.sha2_hash)) {
    return 'sha2_hash must be 64 hex digits: SHA256(SHA256(password))';
  }
  if ((u.backend_user === undefined) !== (u.backend_password === undefined)) {
    return 'backend_user and backend_password go together';
  }
  return undefined;
}

/**
 * Checks the users together: users that share a backend_user must give it one backend_password.
 * One backend account has one password, and the proxy's connections for that account are shared
 * by all those users, so two passwords would make whichever logged in last decide for everyone.
 */
export function checkBackendAccounts(users: readonly ProxyUserConfig[]): string | undefined {
  const first = new Map<string, ProxyUserConfig>();
  for (const u of users) {
    if (u.backend_user === undefined) continue;
    const other = first.get(u.backend_user);
    if (other === undefined) first.set(u.backend_user, u);
    else if (other.backend_password !== u.backend_password) {
      return `users "${other.name}" and "${u.name}" share backend_user "${u.backend_user}" with different backend_password values (one backend account has one password)`;
    }
  }
  return undefined;
}

/** Whether two users' stored credentials accept the same passwords (a reload rebuilds them). */
export function sameCredentials(a: Credentials, b: Credentials): boolean {
  const same = (x: Buffer | string | undefined, y: Buffer | string | undefined) =>
    x === undefined || y === undefined || typeof x === 'string' || typeof y === 'string'
      ? x === y
      : x.equals(y);
  return same(a.nativeHash, b.nativeHash) && same(a.sha2Hash, b.sha2Hash) && a.plaintext === b.plaintext;
}
