/**
 * Option errors end up in logs: none may show a secret (a password or a hash), whole or in
 * pieces, however an operator wrote it. Each case gives a secret in a form an operator may
 * plausibly write (from a review after 2a2914c).
 */
import { option, parseOptionArgs } from '@scalestack/kernel';
import { describe, expect, it } from 'vitest';
import { loadEcho } from './helpers.js';

const user = option.object(
  { name: option.string(undefined, ''), password: option.string(undefined, '').optional() },
  undefined,
  'a user',
);
const users = option.list(user, [], 'users', { min: 1 });
const ids = option.list(option.integer(undefined, ''), [], 'ids');

describe('list and object text holding a secret', () => {
  it('takes one JSON object or array in one pair of quotes (docker --env-file keeps them), and never cuts it', async () => {
    // Before, the text did not start with `{`: it was cut at its commas, and the piece after the
    // comma inside the password (`ret-9"}'`) was shown as a bad item.
    const quoted = await loadEcho({ users }, { raw: { users: `'{"name":"a","password":"s3c,ret-9"}'` } });
    expect(quoted.errors).toBeUndefined();
    expect(quoted.values?.users).toEqual([{ name: 'a', password: 's3c,ret-9' }]);
    expect((await loadEcho({ users }, { raw: { users: `"[{"name":"a"}]"` } })).values?.users).toEqual([
      { name: 'a' },
    ]);
    const bad = await loadEcho(
      { users },
      { raw: { users: `'{"name":"a","password":"s3c,ret-9","bogus":1}'` } },
    );
    expect(bad.errors).toEqual(['module "echo-server", option "users[0].bogus": unknown field']);
    // Quotes that do not match, or that hold no JSON, are not stripped.
    const mismatched = await loadEcho({ users }, { raw: { users: `'{"name":"a","password":"s3c,ret-9"}"` } });
    expect(mismatched.errors).toEqual([
      expect.stringMatching(
        /^module "echo-server", option "users": got JSON text not shown \(it does not parse, and names a secret field\)/,
      ),
    ]);
    // An object option takes the quoted form too.
    expect((await loadEcho({ user }, { raw: { user: `'{"name":"a"}'` } })).values?.user).toEqual({
      name: 'a',
    });
  });

  it('never cuts text holding JSON brackets anywhere at its commas: it is JSON or invalid as a whole', async () => {
    // Before, `1,{"password":"s3c,ret-8"}` was cut and the piece `ret-8"}` was shown.
    const { errors } = await loadEcho({ ids }, { raw: { ids: '1,{"password":"s3c,ret-8"}' } });
    expect(errors).toEqual([
      expect.stringMatching(
        /^module "echo-server", option "ids": got JSON text not shown \(it does not parse, and names a secret field\), expected a list/,
      ),
    ]);
    const arrays = await loadEcho({ ids }, { raw: { ids: '1,["x","y,z"]' } });
    expect(arrays.errors).toEqual([
      'module "echo-server", option "ids": got "1,[\\"x\\",\\"y,z\\"]", expected a list of an integer (comma-separated or a JSON array)',
    ]);
    // Plain text is still comma-separated, and an IPv6 address's brackets are no JSON.
    expect((await loadEcho({ ids }, { raw: { ids: ' 1, 2 ' } })).values?.ids).toEqual([1, 2]);
    const addresses = option.list(option.address(undefined, ''), [], 'servers');
    expect(
      (await loadEcho({ addresses }, { raw: { addresses: '[::1]:3306,[fe80::1%eth0]:3307,db:3308' } })).values
        ?.addresses,
    ).toHaveLength(3);
  });

  it('does not show broken JSON whose secret field name is written with a JSON escape', async () => {
    for (const text of ['[{"name":"a","pass\\u0077ord":"s3cret-11",}]', '1,{"pass\\u0077ord":"s3cret-11"}']) {
      const { errors } = await loadEcho({ users }, { raw: { users: text } });
      expect(errors).toEqual([
        expect.stringMatching(
          /^module "echo-server", option "users": got JSON text not shown \(it does not parse, and a \\u escape in it may spell a secret field\), expected /,
        ),
      ]);
    }
    // JSON that parses decodes the escape, and the field is hidden by its name.
    const parsed = await loadEcho(
      { users },
      { raw: { users: '[{"name":"a","pass\\u0077ord":"s3cret-11","x":1}]' } },
    );
    expect(parsed.errors).toHaveLength(1);
    expect(String(parsed.errors)).not.toMatch(/s3cret/);
    // Broken JSON naming no secret is shown, to help find the typo.
    expect((await loadEcho({ ids }, { raw: { ids: '[1,' } })).errors).toEqual([
      'module "echo-server", option "ids": got "[1,", expected a list of an integer (comma-separated or a JSON array)',
    ]);
  });

  it('hides secret fields named in camel case or with a dash', async () => {
    const loose = option.list(option.integer(undefined, ''), [], 'ids', { min: 9 });
    const { errors } = await loadEcho(
      { loose },
      {
        raw: { loose: [{ backendPassword: 's3cret-a', 'db-password': 's3cret-b', nativeHash: 's3cret-c' }] },
      },
    );
    expect(String(errors)).toMatch(/backendPassword/);
    expect(String(errors)).not.toMatch(/s3cret/);
    const text = await loadEcho({ ids }, { raw: { ids: 'nativeHash=s3cret-d' } });
    expect(String(text.errors)).toMatch(/text not shown \(it names a secret field\)/);
    expect(String(text.errors)).not.toMatch(/s3cret/);
    for (const given of ['password: s3cret-e', 'x,"token" = s3cret-f', 'db_hash=s3cret-g']) {
      const assigned = await loadEcho({ ids }, { raw: { ids: given } });
      expect(String(assigned.errors)).toMatch(/text not shown \(it names a secret field\)/);
      expect(String(assigned.errors)).not.toMatch(/s3cret/);
    }
  });

  it('shows a value that only contains a secret word (an unsupported plugin name)', async () => {
    // `auth_plugin: sha256_password` read "got text not shown (it names a secret field)".
    const plugin = option.enum(
      ['mysql_native_password', 'caching_sha2_password'],
      'mysql_native_password',
      '',
    );
    const { errors } = await loadEcho({ plugin }, { raw: { plugin: 'sha256_password' } });
    expect(String(errors)).toMatch(/got "sha256_password"/);
  });
});

describe('command-line arguments holding a secret', () => {
  it('names a malformed argument and never shows its value (--m.users[0].password=…)', async () => {
    const { errors } = await loadEcho(
      { users },
      { raw: { users: [{ name: 'a', password: 'x' }] }, args: ['--echo-server.users[0].password=s3cret-10'] },
    );
    expect(errors).toEqual([
      `command line: unexpected argument "--echo-server.users[0].password=…" (expected --<module>.<option>=<value>; an option's fields and items are set in its whole value, as JSON)`,
    ]);
    // The value as the next argument is not shown either, nor is a bare word with a value.
    expect(
      parseOptionArgs(['pass=s3cret-10', '--echo-server.users[0].password', 's3cret-10']).errors,
    ).toEqual([
      'command line: unexpected argument "pass=…" (expected --<module>.<option>=<value>)',
      `command line: unexpected argument "--echo-server.users[0].password" (its value, the next argument, not shown) (expected --<module>.<option>=<value>; an option's fields and items are set in its whole value, as JSON)`,
    ]);
  });

  it('refuses a secret flag whose next argument starts with --, without showing it', async () => {
    const password = option.string('', 'a password');
    const { errors } = await loadEcho({ password }, { args: ['--echo-server.password', '--s3cret-12'] });
    expect(errors).toEqual([
      'command line: --echo-server.password: its value is missing or starts with "--" (the next argument is not shown; give such a value as --echo-server.password=<value>)',
    ]);
    // With `=` such a value is taken; one starting with a single `-` is taken as the next argument.
    for (const args of [['--echo-server.password=--s3cret-12'], ['--echo-server.password', '-s3cret-12']]) {
      const { values } = await loadEcho({ password }, { args });
      expect(values?.password).toMatch(/^--?s3cret-12$/);
    }
    // A non-secret flag followed by another flag is still `true`, and a secret one followed by a
    // module flag too (a boolean may have a secret-like name).
    expect(parseOptionArgs(['--m.verbose', '--other']).options[0]?.value).toBe('true');
    expect(parseOptionArgs(['--m.use_token', '--m.x=1']).options.map((o) => o.value)).toEqual(['true', '1']);
  });

  it('does not show the arguments after a secret option (the rest of an unquoted value with spaces)', () => {
    expect(parseOptionArgs(['--m.password=my', 's3cret', '--m.x=1', 'stray']).errors).toEqual([
      'command line: unexpected argument after --m.password (not shown: it may be part of the secret; quote a value with spaces)',
      'command line: unexpected argument "stray" (expected --<module>.<option>=<value>)',
    ]);
  });
});
