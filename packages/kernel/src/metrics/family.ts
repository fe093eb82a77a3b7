import type { MetricFamily } from '../contract.js';

type Samples = number | MetricFamily['samples'];

function family(type: MetricFamily['type'], name: string, help: string, samples: Samples): MetricFamily {
  return { name, help, type, samples: typeof samples === 'number' ? [{ value: samples }] : samples };
}

/** A gauge family: one unlabelled value, or labelled samples. */
export function gauge(name: string, help: string, samples: Samples): MetricFamily {
  return family('gauge', name, help, samples);
}

/** A counter family: one unlabelled value, or labelled samples. */
export function counter(name: string, help: string, samples: Samples): MetricFamily {
  return family('counter', name, help, samples);
}
