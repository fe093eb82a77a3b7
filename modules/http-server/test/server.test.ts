import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Started, startHttp } from './support/start.js';
import { tenantsModule } from './support/tenants-module.js';

let s: Started;
beforeAll(async () => {
  s = await startHttp({}, [tenantsModule]);
});
afterAll(async () => {
  await s?.kernel.shutdown();
});

/** Parses Prometheus text format 0.0.4 strictly enough to catch malformed output. */
function parseExposition(
  text: string,
): Map<string, { type: string; samples: { labels: string; value: number }[] }> {
  const families = new Map<string, { type: string; samples: { labels: string; value: number }[] }>();
  let current: string | undefined;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      expect(families.has(type[1]), `family ${type[1]} declared twice`).toBe(false);
      families.set(type[1], { type: type[2], samples: [] });
      current = type[1];
      continue;
    }
    if (line.startsWith('# HELP ')) continue;
    const sample =
      /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*\})? (\S+)$/.exec(line);
    expect(sample, `malformed line ${JSON.stringify(line)}`).not.toBeNull();
    const [, name, labels = '', value] = sample!;
    expect(current && name.startsWith(current), `sample ${name} outside its family`).toBe(true);
    families.get(current!)!.samples.push({ labels, value: Number(value) });
  }
  return families;
}

describe('http-server module (fetch)', () => {
  it('serves /healthz', async () => {
    const res = await fetch(`${s.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ok\n');
    expect(res.headers.get('date')).toMatch(/GMT$/);
  });

  it('serves routes registered by another module, with params and query', async () => {
    const res = await fetch(`${s.url}/tenants/acme%20co?x=1`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ tenant: 'acme co', query: 'x=1' });
  });

  it('echoes a body and a chunked streaming upload', async () => {
    const fixed = await fetch(`${s.url}/echo`, { method: 'POST', body: 'hello there' });
    expect(await fixed.text()).toBe('hello there');
    const parts = ['alpha-', 'beta-', 'gamma'];
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = parts.shift();
        if (next === undefined) controller.close();
        else controller.enqueue(new TextEncoder().encode(next));
      },
    });
    const streamed = await fetch(`${s.url}/stream`, {
      method: 'POST',
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(streamed.headers.get('transfer-encoding')).toBe('chunked');
    expect(await streamed.text()).toBe('alpha-beta-gamma');
  });

  it('answers 404, 405 with Allow, OPTIONS and HEAD', async () => {
    const missing = await fetch(`${s.url}/nope`);
    expect(missing.status).toBe(404);
    const wrong = await fetch(`${s.url}/tenants/a`, { method: 'DELETE' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    const echoWrong = await fetch(`${s.url}/echo`);
    expect(echoWrong.status).toBe(405);
    expect(echoWrong.headers.get('allow')).toBe('OPTIONS, POST, PUT');
    const options = await fetch(`${s.url}/echo`, { method: 'OPTIONS' });
    expect(options.status).toBe(204);
    expect(options.headers.get('allow')).toBe('OPTIONS, POST, PUT');
    const head = await fetch(`${s.url}/tenants/x`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(
      String(JSON.stringify({ tenant: 'x', query: '' }).length),
    );
    expect(await head.text()).toBe('');
  });

  it('turns a throwing handler into a 500 and keeps serving', async () => {
    const res = await fetch(`${s.url}/fail`);
    expect(res.status).toBe(500);
    expect(await res.text()).toBe('internal server error\n');
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
  });

  it.each(['/download', '/download-async'])(
    '%s: a header value that cannot be sent (CR LF, a character above U+00FF) is a 500, not a crash',
    async (route) => {
      expect(await (await fetch(`${s.url}${route}/plain.txt`)).text()).toBe('data');
      for (const name of ['%E2%82%AC.txt', 'a%0D%0ASet-Cookie:%20x=1']) {
        const res = await fetch(`${s.url}${route}/${name}`);
        expect(res.status).toBe(500);
        expect(res.headers.get('content-disposition')).toBeNull();
        expect(res.headers.get('set-cookie')).toBeNull();
      }
      expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
    },
  );

  it('matches wildcard routes and refuses bad percent-encoding with 400', async () => {
    expect(await (await fetch(`${s.url}/files/a/b%2Fc.txt`)).text()).toBe('a/b/c.txt');
    expect((await fetch(`${s.url}/tenants/%E0%A4%A`)).status).toBe(400);
  });

  it('renders every module’s metrics at /metrics in Prometheus text format', async () => {
    await fetch(`${s.url}/tenants/one`);
    await fetch(`${s.url}/missing-page`);
    const res = await fetch(`${s.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const families = parseExposition(await res.text());
    const lookups = families.get('tenants_api_lookups_total');
    expect(lookups?.type).toBe('counter');
    expect(lookups?.samples[0].labels).toBe('{route="/tenants/:name"}');
    expect(lookups?.samples[0].value).toBeGreaterThanOrEqual(1);
    const responses = families.get('scalestack_http_responses_total');
    const notFound = responses?.samples.find((x) => x.labels === '{code="404"}');
    expect(notFound?.value).toBeGreaterThanOrEqual(1);
    expect(families.get('scalestack_http_connections')?.type).toBe('gauge');
    expect(families.get('scalestack_http_requests_total')?.samples[0].value).toBeGreaterThanOrEqual(3);
  });
});
