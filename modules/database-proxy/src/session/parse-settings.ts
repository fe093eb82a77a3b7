/**
 * The session variables that change how a server reads a statement's text: sql_mode
 * (ANSI_QUOTES makes "x" a name, PIPES_AS_CONCAT makes || a concatenation,
 * NO_BACKSLASH_ESCAPES moves where a string ends) and the connection's character sets and
 * collation (how a literal's bytes read). A server parses a prepared statement once, under the
 * settings of its PREPARE, and keeps that reading whatever the session sets later (MariaDB
 * re-prepares after a table change under those first settings too); only how it runs —
 * strictness, time zone — follows the session. So a statement is prepared again on another
 * backend under the settings its client prepared it in, not under those it has now.
 */
import { SessionState } from './session-state.js';

const PARSE_VARIABLES = [
  'sql_mode',
  'character_set_client',
  // SET NAMES without COLLATE records no collation: the character set says which.
  'character_set_connection',
  'collation_connection',
] as const;

/** A variable the session left at its connect-time value: not the same as one set to ''. */
const UNSET = '\u0001';
const SEPARATOR = '\u0000';

/** The parse settings of `state`, as one string: equal strings parse alike (part of a statement's key). */
export function parseSettingsOf(state: SessionState): string {
  // Built once per change of the client's state (ClientSession caches it), not per statement.
  return PARSE_VARIABLES.map((name) => state.variables.get(name) ?? UNSET).join(SEPARATOR);
}

/**
 * A copy of `state` with the parse settings `settings` (from {@link parseSettingsOf}) in place
 * of its own: what a backend is switched to for a prepare, and back from for the execute.
 */
export function withParseSettings(state: SessionState, settings: string): SessionState {
  const copy = new SessionState(state.schema);
  copy.copyFrom(state);
  const values = settings.split(SEPARATOR);
  PARSE_VARIABLES.forEach((name, i) => {
    const value = values[i];
    if (value === undefined || value === UNSET) copy.deleteVariable(name);
    else copy.setVariable(name, value);
  });
  return copy;
}
