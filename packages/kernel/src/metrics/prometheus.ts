import type { MetricFamily } from '../contract.js';

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function escapeLabel(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

/**
 * Renders metric families in the Prometheus text exposition format 0.0.4
 * (`Content-Type: text/plain; version=0.0.4`). Families of the same name (from different modules)
 * are merged under one HELP/TYPE header, as the format requires.
 */
export function renderPrometheus(families: readonly MetricFamily[]): string {
  const merged = new Map<string, MetricFamily>();
  for (const family of families) {
    const existing = merged.get(family.name);
    if (existing) existing.samples = [...existing.samples, ...family.samples];
    else merged.set(family.name, { ...family, samples: [...family.samples] });
  }
  let out = '';
  for (const family of merged.values()) {
    out += `# HELP ${family.name} ${escapeHelp(family.help)}\n# TYPE ${family.name} ${family.type}\n`;
    for (const sample of family.samples) {
      const labels = sample.labels ? Object.entries(sample.labels) : [];
      const labelText =
        labels.length === 0 ? '' : `{${labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
      out += `${family.name}${sample.suffix ?? ''}${labelText} ${formatNumber(sample.value)}\n`;
    }
  }
  return out;
}

/** The Content-Type of {@link renderPrometheus}'s output. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
