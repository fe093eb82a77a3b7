import { type MetricsRegistry, PROMETHEUS_CONTENT_TYPE, renderPrometheus } from '@scalestack/kernel';
import type { HttpServer } from './server.js';

/**
 * Adds `GET /healthz` (200 `ok`, or 503 `draining` once the server drains) and `GET /metrics`
 * (every module's collectors in the Prometheus text format 0.0.4). Returns a remover.
 */
export function addBuiltinRoutes(server: HttpServer, metrics: MetricsRegistry): () => void {
  const removeHealth = server.router.route('GET', '/healthz', (_req, res) => {
    if (server.draining) res.status(503).send('draining\n', 'text/plain; charset=utf-8');
    else res.send('ok\n', 'text/plain; charset=utf-8');
  });
  const removeMetrics = server.router.route('GET', '/metrics', (_req, res) => {
    res.send(renderPrometheus(metrics.collect()), PROMETHEUS_CONTENT_TYPE);
  });
  return () => {
    removeHealth();
    removeMetrics();
  };
}
