/**
 * Differential seed 40: a client that set character_set_results by name, synced onto a backend
 * another client changed the character sets of, must get its character_set_client back with
 * the login's collation (NAMES … COLLATE), not by name (that set's default collation): MariaDB
 * reads prepared statements' string parameters in it.
 */
import { expect, it } from 'vitest';
import { planStateSync, RESULTS_BY_NAME, SessionState } from '../src/session/session-state.js';

function state(variables: Record<string, string>): SessionState {
  const s = new SessionState(null);
  for (const [k, v] of Object.entries(variables)) s.setVariable(k, v);
  return s;
}

const baseline = new Map([
  ['character_set_client', 'utf8mb4'],
  ['character_set_connection', 'utf8mb4'],
  ['character_set_results', 'utf8mb4'],
  ['collation_connection', 'utf8mb4_unicode_ci'],
]);

it('puts character_set_client back with NAMES … COLLATE, then character_set_results by name', () => {
  const backend = state({
    character_set_client: 'utf8mb3',
    character_set_connection: 'utf8mb3',
    character_set_results: 'utf8mb3',
  });
  const client = state({ character_set_results: 'latin1', [RESULTS_BY_NAME]: '1' });
  expect(planStateSync(backend, client, baseline).setStatement).toBe(
    "SET NAMES 'utf8mb4' COLLATE 'utf8mb4_unicode_ci', @@session.`character_set_results` = 'latin1'",
  );
});

it('sets only character_set_results when only it differs', () => {
  const backend = state({});
  const client = state({ character_set_results: 'latin1', [RESULTS_BY_NAME]: '1' });
  expect(planStateSync(backend, client, baseline).setStatement).toBe(
    "SET @@session.`character_set_results` = 'latin1'",
  );
});

it('after SET NAMES … COLLATE and results by name: that collation, results again after', () => {
  const backend = state({});
  const client = state({
    character_set_client: 'utf8mb4',
    character_set_connection: 'utf8mb4',
    collation_connection: 'utf8mb4_bin',
    character_set_results: 'latin1',
    [RESULTS_BY_NAME]: '1',
  });
  expect(planStateSync(backend, client, baseline).setStatement).toBe(
    "SET NAMES 'utf8mb4' COLLATE 'utf8mb4_bin', @@session.`character_set_results` = 'latin1'",
  );
});
