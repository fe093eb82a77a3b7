import type { Logger } from 'pino';
import type { MetricFamily, MetricsRegistry } from '../contract.js';

/**
 * The kernel's {@link MetricsRegistry}: collectors are called at scrape time, so modules keep
 * plain counters on their hot paths and only build families when asked. A collector that throws
 * is logged and skipped; the scrape goes on.
 */
export class KernelMetrics implements MetricsRegistry {
  private readonly collectors = new Set<{ module: string; collect: () => MetricFamily[] }>();

  constructor(private readonly log?: Logger) {}

  addCollector(module: string, collect: () => MetricFamily[]): () => void {
    const entry = { module, collect };
    this.collectors.add(entry);
    return () => {
      this.collectors.delete(entry);
    };
  }

  collect(): MetricFamily[] {
    const families: MetricFamily[] = [];
    for (const { module, collect } of this.collectors) {
      try {
        families.push(...collect());
      } catch (err) {
        this.log?.error({ module, err }, 'metrics collector failed');
      }
    }
    return families;
  }
}
