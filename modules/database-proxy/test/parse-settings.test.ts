/**
 * The parse settings a prepared statement is keyed and re-prepared by (parse-settings.ts): a
 * variable the client left at its connect-time value is not one it set to '' (a server whose
 * global sql_mode has ANSI_QUOTES reads "x" otherwise than a session with sql_mode = ''), and
 * switching a state to a statement's settings and back touches nothing else.
 */
import { expect, it } from 'vitest';
import { parseSettingsOf, withParseSettings } from '../src/session/parse-settings.js';
import { planStateSync, SessionState } from '../src/session/session-state.js';

function state(schema: string | null, variables: Record<string, string>): SessionState {
  const s = new SessionState(schema);
  for (const [k, v] of Object.entries(variables)) s.setVariable(k, v);
  return s;
}

it("a variable left unset and one set to '' are different settings", () => {
  expect(parseSettingsOf(state(null, {}))).not.toBe(parseSettingsOf(state(null, { sql_mode: '' })));
  expect(parseSettingsOf(state('a', { time_zone: '+01:00' }))).toBe(parseSettingsOf(state('b', {})));
});

it("switched to a statement's settings and back, a state is what it was; only the parse variables change", () => {
  const prepared = state('db', { sql_mode: 'ANSI_QUOTES', character_set_client: 'latin1' });
  const now = state('other', { time_zone: '+01:00', character_set_results: 'utf8mb4', sql_mode: '' });
  const forPrepare = withParseSettings(now, parseSettingsOf(prepared));
  expect(forPrepare.schema).toBe('other');
  expect(Object.fromEntries(forPrepare.variables)).toEqual({
    time_zone: '+01:00',
    character_set_results: 'utf8mb4',
    sql_mode: 'ANSI_QUOTES',
    character_set_client: 'latin1',
  });
  expect(parseSettingsOf(forPrepare)).toBe(parseSettingsOf(prepared));
  // The SET that switches a backend in `now` there names the parse variables only.
  const set = planStateSync(now, forPrepare).setStatement!;
  expect(set).toContain('sql_mode');
  expect(set).toContain('character_set_client');
  expect(set).not.toContain('time_zone');
  const back = withParseSettings(forPrepare, parseSettingsOf(now));
  expect(back.equals(now)).toBe(true);
});
