import {
  DEFAULT_TIMEOUTS,
  didYouMean,
  MAX_DURATION_MS,
  type PhaseTimeouts,
  parseDuration,
} from '@scalestack/kernel';

const PHASES = Object.keys(DEFAULT_TIMEOUTS) as (keyof PhaseTimeouts)[];

function isPhase(name: string): name is keyof PhaseTimeouts {
  return (PHASES as string[]).includes(name);
}

/**
 * Reads `--timeout`'s value, `<phase>=<duration>` pairs separated by commas (`start=2m,stop=30s`),
 * into the kernel's per-phase timeouts; phases not named keep their defaults. Returns the first
 * problem instead, as a sentence for the operator.
 */
export function parseTimeouts(text: string): Partial<PhaseTimeouts> | string {
  const timeouts: Partial<PhaseTimeouts> = {};
  for (const pair of text.split(',')) {
    const eq = pair.indexOf('=');
    const phase = (eq < 0 ? pair : pair.slice(0, eq)).trim();
    if (!isPhase(phase)) {
      const hint = didYouMean(phase, PHASES);
      return `--timeout: got "${pair}", expected <phase>=<duration> with a phase among ${PHASES.join(', ')}${hint ? ` (did you mean "${hint}"?)` : ''}`;
    }
    const ms = eq < 0 ? undefined : parseDuration(pair.slice(eq + 1));
    if (ms === undefined || ms < 1 || ms > MAX_DURATION_MS)
      return `--timeout: got "${pair}", expected ${phase}=<duration> with a duration such as 250ms, 30s or 2m (at least 1ms, at most 24.8d)`;
    timeouts[phase] = ms;
  }
  return timeouts;
}

/** The defaults, for --help: `register=10s,start=30s,…`. */
export function describeDefaultTimeouts(): string {
  return PHASES.map((p) => `${p}=${DEFAULT_TIMEOUTS[p] / 1000}s`).join(',');
}
