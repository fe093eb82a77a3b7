import { Kernel, renderPrometheus } from '@scalestack/kernel';
import { describe, expect, it } from 'vitest';
import { captureLogger } from './fixtures/log-capture.js';

describe('metrics', () => {
  it('collects from every module at scrape time and renders the 0.0.4 text format', async () => {
    let requests = 0;
    const { logger, lines } = captureLogger();
    const kernel = new Kernel({
      logger,
      definitions: [
        {
          name: 'counter',
          description: '',
          start: (ctx) => {
            ctx.metrics.addCollector('counter', () => [
              {
                name: 'requests_total',
                help: 'Requests\nserved',
                type: 'counter',
                samples: [{ value: requests, labels: { path: '/a"b\\' } }],
              },
            ]);
            ctx.metrics.addCollector('counter', () => {
              throw new Error('broken collector');
            });
          },
        },
        {
          name: 'latency',
          description: '',
          start: (ctx) => {
            ctx.metrics.addCollector('latency', () => [
              {
                name: 'latency_seconds',
                help: 'Latency',
                type: 'histogram',
                samples: [
                  { suffix: '_bucket', labels: { le: '0.1' }, value: 2 },
                  { suffix: '_bucket', labels: { le: '+Inf' }, value: 3 },
                  { suffix: '_sum', value: 0.5 },
                  { suffix: '_count', value: 3 },
                ],
              },
              {
                name: 'requests_total',
                help: 'Requests',
                type: 'counter',
                samples: [{ value: Number.POSITIVE_INFINITY, labels: { path: '/b' } }],
              },
            ]);
          },
        },
      ],
    });
    await kernel.load({ modules: ['counter', 'latency'], env: {} });
    await kernel.start();
    requests = 7;
    expect(renderPrometheus(kernel.metrics.collect())).toBe(
      [
        '# HELP requests_total Requests\\nserved',
        '# TYPE requests_total counter',
        'requests_total{path="/a\\"b\\\\"} 7',
        'requests_total{path="/b"} +Inf',
        '# HELP latency_seconds Latency',
        '# TYPE latency_seconds histogram',
        'latency_seconds_bucket{le="0.1"} 2',
        'latency_seconds_bucket{le="+Inf"} 3',
        'latency_seconds_sum 0.5',
        'latency_seconds_count 3',
        '',
      ].join('\n'),
    );
    expect(lines.find((l) => l.msg === 'metrics collector failed')).toMatchObject({ module: 'counter' });
    await kernel.shutdown();
  });
});
