/**
 * Configuration mistakes the proxy refuses before it starts, naming the module, the option and
 * the expected form: two users, servers or tenants of one name (which one counted was an
 * accident of the file's order — and for tenants, not even the same one everywhere), and a proxy
 * with no backend or no user (every statement waited out queue_timeout for ERR 9001).
 */
import { Kernel } from '@scalestack/kernel';
import { describe, expect, it } from 'vitest';

const BACKEND = { name: 'db1', address: '127.0.0.1:3306', user: 'proxy', password: 'pw', pool: 2 };
const USER = { name: 'app', password: 'secret' };

/** The configuration errors the kernel reports for these database-proxy options. */
async function errorsOf(
  options: Record<string, unknown>,
  event?: Record<string, unknown>,
): Promise<string[]> {
  const kernel = new Kernel({ logLevel: 'silent' });
  try {
    await kernel.load({
      modules: event === undefined ? ['database-proxy'] : ['database-proxy', 'event'],
      env: {},
      args: [],
      config: {
        modules: { 'database-proxy': { listen: '127.0.0.1:0', ...options }, ...(event && { event }) },
      },
    });
  } catch (err) {
    const e = err as Error & { errors?: readonly string[] };
    return e.errors !== undefined ? [...e.errors] : [e.message];
  }
  await kernel.stop();
  return [];
}

describe('database-proxy options', () => {
  it('refuses two users, two backends or two tenants of one name', async () => {
    const errors = await errorsOf({
      users: [USER, { name: 'app', password: 'other' }],
      backends: [BACKEND, { ...BACKEND, address: '127.0.0.1:3307' }],
      tenants: [
        { name: 'acme', weight: 1 },
        { name: 'acme', weight: 5 },
      ],
    });
    expect(errors.map(String).sort()).toEqual(
      [
        'module "database-proxy", option "backends[1].name": got "db1", expected a name no other item has (item 0 has it too)',
        'module "database-proxy", option "tenants[1].name": got "acme", expected a name no other item has (item 0 has it too)',
        'module "database-proxy", option "users[1].name": got "app", expected a name no other item has (item 0 has it too)',
      ].sort(),
    );
  });

  it('refuses users that share a backend_user with different backend_password values', async () => {
    const shared = { backend_user: 'svc' };
    const errors = await errorsOf({
      users: [
        { ...USER, ...shared, backend_password: 'one' },
        { name: 'batch', password: 'x', ...shared, backend_password: 'one' },
        { name: 'report', password: 'y', ...shared, backend_password: 'two' },
      ],
      backends: [BACKEND],
    });
    expect(errors.map(String)).toEqual([
      expect.stringMatching(
        /^module "database-proxy", option "users": got .*, expected a list of .* — users "app" and "report" share backend_user "svc" with different backend_password values \(one backend account has one password\)$/,
      ),
    ]);
    // The message quotes the list, but none of its passwords.
    expect(errors[0]).toContain('"password":"(hidden)"');
    expect(errors[0]).not.toMatch(/secret|"one"|"two"/);
    // The same password, or different backend users, are fine.
    expect(
      await errorsOf({
        users: [
          { ...USER, ...shared, backend_password: 'one' },
          { name: 'batch', password: 'x', ...shared, backend_password: 'one' },
          { name: 'report', password: 'y', backend_user: 'other', backend_password: 'two' },
        ],
        backends: [BACKEND],
      }),
    ).toEqual([]);
  });

  it('refuses a proxy with no backend or no user', async () => {
    const noBackends = await errorsOf({ users: [USER], backends: [] });
    expect(noBackends.map(String)).toEqual([
      expect.stringMatching(
        /^module "database-proxy", option "backends": got \[\], expected a list of .* with at least 1 item$/,
      ),
    ]);
    const noUsers = await errorsOf({ users: [], backends: [BACKEND] });
    expect(noUsers.map(String)).toEqual([
      expect.stringMatching(
        /^module "database-proxy", option "users": got \[\], expected a list of .* with at least 1 item$/,
      ),
    ]);
  });

  it('names a backend without a name by its address: two unnamed ones are fine, a clash with a named one is not', async () => {
    const { name: _, ...unnamed } = BACKEND;
    expect(
      await errorsOf({ users: [USER], backends: [unnamed, { ...unnamed, address: '127.0.0.2:3306' }] }),
    ).toEqual([]);
    const clash = await errorsOf({
      users: [USER],
      backends: [unnamed, { ...BACKEND, name: '127.0.0.1:3306' }],
    });
    expect(clash.map(String)).toEqual([
      expect.stringMatching(
        /^module "database-proxy", option "backends": got .*two backends are named "127\.0\.0\.1:3306" \(one without a name is named by its address\)$/,
      ),
    ]);
  });

  it('refuses a connect_timeout or login_timeout of 0', async () => {
    // 0 timed every backend connection out at once (every statement got 9004) and closed every
    // client as soon as it was greeted.
    const errors = await errorsOf({
      users: [USER],
      backends: [BACKEND],
      connect_timeout: '0',
      login_timeout: 0,
    });
    expect(errors.map(String).sort()).toEqual([
      expect.stringMatching(
        /^module "database-proxy", option "connect_timeout": got "0", expected a duration .*/,
      ),
      expect.stringMatching(
        /^module "database-proxy", option "login_timeout": got 0, expected a duration .*/,
      ),
    ]);
  });

  it('refuses a pool or a tenant cap that event.threads cannot split, when loaded (so `scalestack check` does)', async () => {
    const options = {
      users: [USER],
      backends: [
        { ...BACKEND, pool: 1 },
        { ...BACKEND, name: 'db2', pool: 3 },
      ],
      tenants: [
        { name: 'acme', max_in_flight: '2' },
        { name: 'globex', max_in_flight: '50%' },
      ],
    };
    expect(await errorsOf(options, { threads: 3 })).toEqual([
      'module "database-proxy": backend "db1" pool is 1, fewer than the 3 event.threads that each need at least 1; raise it or lower event.threads',
      'module "database-proxy": tenant "acme" max_in_flight is 2, fewer than the 3 event.threads that each need at least 1; raise it or lower event.threads',
    ]);
    // Every part at least 1: fine; so is anything with one thread.
    expect(await errorsOf({ ...options, backends: [{ ...BACKEND, pool: 3 }] }, { threads: 2 })).toEqual([]);
    expect(await errorsOf(options, { threads: 1 })).toEqual([]);
  });

  it('accepts distinct names', async () => {
    expect(
      await errorsOf({
        users: [USER, { name: 'App', password: 'x' }],
        backends: [BACKEND, { ...BACKEND, name: 'db2' }],
        tenants: [{ name: 'acme' }, { name: 'globex' }],
      }),
    ).toEqual([]);
  });
});
