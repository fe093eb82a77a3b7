import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ImpureViews, type ViewDefinition } from '../src/session/impure-views.js';

/** Definitions as information_schema.VIEWS shows them: names qualified and backquoted. */
const VIEWS: ViewDefinition[] = [
  { schema: 'shop', name: 'plain_v', definition: 'select `shop`.`t`.`id` AS `id` from `shop`.`t`' },
  { schema: 'shop', name: 'writes_v', definition: 'select `shop`.`log_write`() AS `n`' },
  {
    schema: 'shop',
    name: 'builtin_v',
    definition: "select concat(`shop`.`t`.`a`,'x') AS `c` from `shop`.`t`",
  },
  // reads an impure view, through another pure-looking one: impure by transitivity
  {
    schema: 'shop',
    name: 'over_writes',
    definition: 'select `shop`.`writes_v`.`n` AS `n` from `shop`.`writes_v`',
  },
  { schema: 'other', name: 'over_over', definition: 'select `x`.`n` AS `n` from `shop`.`over_writes` `x`' },
  // the server hid the definition (no SHOW VIEW privilege): assume the worst
  { schema: 'shop', name: 'hidden_v', definition: '' },
  { schema: 'shop', name: 'Grüße', definition: 'select `shop`.`f`() AS `x`' },
  { schema: 'my-app', name: 'odd`name', definition: 'select `my-app`.`f`() AS `x`' },
  { schema: 'shop', name: 'over_odd', definition: 'select `x`.`x` AS `x` from `my-app`.`odd``name` `x`' },
];

const loaded = () => {
  const views = new ImpureViews();
  views.load(VIEWS);
  return views;
};

/** The text a session sees: the statement's UTF-8 bytes decoded as latin1. */
const asReceived = (sql: string) => Buffer.from(sql, 'utf8').toString('latin1');

describe('ImpureViews', () => {
  it('counts a view impure when its definition is not a pure read, reads one, or is hidden', () => {
    expect(loaded().size).toBe(7);
  });

  it.each([
    ['SELECT * FROM writes_v', 'shop', true],
    ['SELECT * FROM `writes_v` WHERE n > 1', 'shop', true],
    ['SELECT n FROM shop . `Over_Writes`', null, true],
    ['SELECT n FROM other.over_over', 'shop', true],
    ['SELECT * FROM hidden_v', 'shop', true],
    [asReceived('SELECT x FROM `Grüße`'), 'shop', true],
    ['SELECT * FROM `my-app` . `odd``name`', null, true],
    ['SELECT * FROM "my-app"."odd`name"', null, true],
    ['SELECT * FROM over_odd', 'shop', true],
    // comments where the server skips them: around the dot, or an executable one holding it
    ['SELECT n FROM shop/**/.writes_v', 'other', true],
    ['SELECT n FROM shop.#c\nwrites_v', 'other', true],
    ['SELECT n FROM shop -- c\n.writes_v', 'other', true],
    ['SELECT n FROM `shop`./* a */`writes_v`', 'other', true],
    ['SELECT n FROM shop/*!.writes_v*/', 'other', true],
    ['SELECT n FROM shop/*!50000 . writes_v */', 'other', true],
    // an executable comment's version number glued to the name: the server reads writes_v
    ['SELECT n FROM /*!50000writes_v*/', 'shop', true],
    ['SELECT n FROM /*M!100000shop.writes_v*/', null, true],
    // a quote inside a string literal does not open a quoted name that hides the view's
    ["SELECT REPLACE(n, '\"', '') AS n FROM writes_v WHERE n <> '\"'", 'shop', true],
    ["SELECT '`' AS q, n FROM writes_v WHERE 'a' <> '`'", 'shop', true],
    // `--` then DEL around the dot
    ['SELECT n FROM shop.--\x7f\nwrites_v', 'other', true],
    ['SELECT * FROM plain_v JOIN builtin_v', 'shop', false],
    // a bare name resolves in the default schema only
    ['SELECT * FROM writes_v', 'other', false],
    ['SELECT * FROM writes_v', null, false],
    // a qualifier that is not a schema.view pair
    ['SELECT @@session.time_zone, writes_v.n FROM plain_v AS writes_v', 'other', false],
  ])('%s (default schema %s) → %s', (sql, schema, impure) => {
    expect(loaded().mayReadImpureView(sql, schema)).toBe(impure);
  });

  it('answers the same when the quick look for a name lets the full reading run every time', () => {
    // An impure view named `e` in a schema no text names: its name is in every text below (the
    // look ignores case), so this list always reads the text in full, and never finds `e` there.
    const withE = new ImpureViews();
    withE.load([...VIEWS, { schema: 'never_named', name: 'e', definition: '' }]);
    const views = loaded();
    const part = fc.constantFrom(
      'writes_v',
      'WRITES_V',
      'plain_v',
      '`writes_v`',
      '"writes_v"',
      '`over_writes`',
      'shop',
      '`shop`',
      'other',
      'over_over',
      '`my-app`',
      '`odd``name`',
      '"odd`name"',
      '"odd""name"',
      'odd`name',
      asReceived('`Grüße`'),
      asReceived('Grüße'),
      'hidden_v',
      ' ',
      '.',
      ' . ',
      "'",
      '"',
      '`',
      '\\',
      "''",
      '/*',
      '*/',
      '/*!',
      '/*!50000',
      '/*M!100000',
      '-- ',
      '#',
      '\n',
      'FROM ',
      'x',
      '(',
      ')',
    );
    const text = fc.array(part, { maxLength: 12 }).map((parts) => `SELECT ${parts.join('')}`);
    const schema = fc.constantFrom('shop', 'other', 'my-app', null);
    fc.assert(
      fc.property(text, schema, (sql, s) => {
        expect(views.mayReadImpureView(sql, s)).toBe(withE.mayReadImpureView(sql, s));
      }),
      { numRuns: 20_000 },
    );
  });

  it('matches a non-ASCII name a client writes in another character set than UTF-8', () => {
    const latin1Text = Buffer.from('SELECT x FROM `Grüße`', 'latin1').toString('latin1');
    expect(loaded().mayReadImpureView(latin1Text, 'shop')).toBe(false);
    expect(loaded().mayReadImpureView(latin1Text, 'shop', 'latin1')).toBe(true);
    // cp1251 and latin2, one byte a letter each, which Node's Buffer encodings do not cover.
    const views = new ImpureViews();
    views.load([
      { schema: 'shop', name: 'вид', definition: 'select `shop`.`f`() AS `n`' },
      { schema: 'shop', name: 'vž', definition: 'select `shop`.`f`() AS `n`' },
    ]);
    const cp1251 = Buffer.concat([Buffer.from('SELECT n FROM '), Buffer.from([0xe2, 0xe8, 0xe4])]).toString(
      'latin1',
    );
    const latin2 = Buffer.concat([Buffer.from('SELECT n FROM v'), Buffer.from([0xbe])]).toString('latin1');
    expect(views.mayReadImpureView(cp1251, 'shop', 'cp1251')).toBe(true);
    expect(views.mayReadImpureView(latin2, 'shop', 'latin2')).toBe(true);
    expect(views.mayReadImpureView(cp1251, 'shop', 'utf8mb4')).toBe(false);
  });

  it("resolves bare names in each caller's schema, asked one after another", () => {
    const views = loaded();
    const answers = ['shop', 'other', 'shop', null, 'shop'].map((schema) =>
      views.mayReadImpureView('SELECT * FROM writes_v', schema),
    );
    expect(answers).toEqual([true, false, true, false, true]);
  });

  it('treats every statement as impure until loaded, and after view DDL until loaded again', () => {
    const views = new ImpureViews();
    expect(views.mayReadImpureView('SELECT 1', null)).toBe(true);
    views.load(VIEWS);
    expect(views.mayReadImpureView('SELECT 1', null)).toBe(false);
    const before = views.version;
    views.invalidate();
    expect(views.version).toBeGreaterThan(before);
    expect(views.mayReadImpureView('SELECT 1', null)).toBe(true);
    views.load(VIEWS);
    expect(views.mayReadImpureView('SELECT 1', null)).toBe(false);
  });

  it('keeps the list unknown when the answer was asked for before view DDL', () => {
    const views = loaded();
    views.invalidate(); // the DDL is sent
    const asOf = views.version; // a check starts while it runs
    views.invalidate(); // the DDL is answered
    views.load(VIEWS, asOf);
    expect(views.isKnown).toBe(false);
    views.load(VIEWS);
    expect(views.isKnown).toBe(true);
  });

  it('goes on without a list only while no check ever worked', () => {
    const fresh = new ImpureViews();
    fresh.keepCurrent(); // a server without information_schema.VIEWS
    expect(fresh.mayReadImpureView('SELECT 1', null)).toBe(false);
    const views = loaded();
    views.invalidate();
    views.keepCurrent(); // the check after view DDL failed: still unknown
    expect(views.mayReadImpureView('SELECT 1', null)).toBe(true);
  });

  it('with checking off, no view is impure whatever DDL runs', () => {
    const views = new ImpureViews();
    views.assumeNone();
    views.invalidate();
    expect(views.mayReadImpureView('SELECT * FROM writes_v', 'shop')).toBe(false);
  });
});
