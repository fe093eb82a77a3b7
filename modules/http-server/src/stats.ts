import type { MetricFamily } from '@scalestack/kernel';

/** Counters of one HTTP server, read at scrape time. Plain numbers: counting is one add. */
export class ServerStats {
  connectionsOpen = 0;
  connectionsTotal = 0;
  connectionsRejected = 0;
  requestsTotal = 0;
  readonly responses = new Map<number, number>();
  readonly parseErrors = new Map<string, number>();
  readonly timeouts = { headers: 0, request: 0, keepalive: 0 };
  handlerErrors = 0;

  countResponse(status: number): void {
    this.responses.set(status, (this.responses.get(status) ?? 0) + 1);
  }

  countParseError(code: string): void {
    this.parseErrors.set(code, (this.parseErrors.get(code) ?? 0) + 1);
  }

  /** The figures as Prometheus metric families. */
  families(): MetricFamily[] {
    return [
      {
        name: 'scalestack_http_connections',
        help: 'Open HTTP connections.',
        type: 'gauge',
        samples: [{ value: this.connectionsOpen }],
      },
      {
        name: 'scalestack_http_connections_total',
        help: 'HTTP connections accepted.',
        type: 'counter',
        samples: [{ value: this.connectionsTotal }],
      },
      {
        name: 'scalestack_http_connections_rejected_total',
        help: 'HTTP connections refused with 503 because max_connections were open.',
        type: 'counter',
        samples: [{ value: this.connectionsRejected }],
      },
      {
        name: 'scalestack_http_requests_total',
        help: 'HTTP requests whose head was parsed.',
        type: 'counter',
        samples: [{ value: this.requestsTotal }],
      },
      {
        name: 'scalestack_http_responses_total',
        help: 'HTTP responses by status code.',
        type: 'counter',
        samples: [...this.responses].map(([code, value]) => ({ labels: { code: String(code) }, value })),
      },
      {
        name: 'scalestack_http_bad_requests_total',
        help: 'Requests refused by the parser, by reason.',
        type: 'counter',
        samples: [...this.parseErrors].map(([reason, value]) => ({ labels: { reason }, value })),
      },
      {
        name: 'scalestack_http_timeouts_total',
        help: 'Connections closed by a timeout, by kind.',
        type: 'counter',
        samples: Object.entries(this.timeouts).map(([kind, value]) => ({ labels: { kind }, value })),
      },
      {
        name: 'scalestack_http_handler_errors_total',
        help: 'Route handlers that threw or rejected.',
        type: 'counter',
        samples: [{ value: this.handlerErrors }],
      },
    ];
  }
}
