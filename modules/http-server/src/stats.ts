import { counter, gauge, type MetricFamily } from '@scalestack/kernel';

/** Counters of one HTTP server, read at scrape time. Plain numbers: counting is one add. */
export class ServerStats {
  connectionsOpen = 0;
  /** Connections whose client is not reading its responses: no more requests are read from them. */
  connectionsBlocked = 0;
  connectionsTotal = 0;
  connectionsRejected = 0;
  requestsTotal = 0;
  readonly responses = new Map<number, number>();
  readonly parseErrors = new Map<string, number>();
  readonly timeouts = { headers: 0, request: 0, keepalive: 0, send: 0 };
  handlerErrors = 0;

  countResponse(status: number): void {
    this.responses.set(status, (this.responses.get(status) ?? 0) + 1);
  }

  countParseError(code: string): void {
    this.parseErrors.set(code, (this.parseErrors.get(code) ?? 0) + 1);
  }

  /** The figures as Prometheus metric families. */
  families(): MetricFamily[] {
    const m = 'scalestack_http_';
    return [
      gauge(`${m}connections`, 'Open HTTP connections.', this.connectionsOpen),
      gauge(
        `${m}connections_blocked`,
        'Connections whose client does not read its responses (no more requests read until it does).',
        this.connectionsBlocked,
      ),
      counter(`${m}connections_total`, 'HTTP connections accepted.', this.connectionsTotal),
      counter(
        `${m}connections_rejected_total`,
        'HTTP connections refused with 503 because max_connections were open.',
        this.connectionsRejected,
      ),
      counter(`${m}requests_total`, 'HTTP requests whose head was parsed.', this.requestsTotal),
      counter(
        `${m}responses_total`,
        'HTTP responses by status code.',
        [...this.responses].map(([code, value]) => ({ labels: { code: String(code) }, value })),
      ),
      counter(
        `${m}bad_requests_total`,
        'Requests refused by the parser, by reason.',
        [...this.parseErrors].map(([reason, value]) => ({ labels: { reason }, value })),
      ),
      counter(
        `${m}timeouts_total`,
        'Connections closed by a timeout, by kind.',
        Object.entries(this.timeouts).map(([kind, value]) => ({ labels: { kind }, value })),
      ),
      counter(`${m}handler_errors_total`, 'Route handlers that threw or rejected.', this.handlerErrors),
    ];
  }
}
