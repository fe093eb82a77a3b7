import { defineModule } from '@scalestack/kernel';
import { HTTP_ROUTES } from '../../src/index.js';

/** A second module that adds routes and metrics, as the database proxy would. */
export const tenantsModule = defineModule({
  name: 'tenants-api',
  description: 'test module: tenant routes and a metric',
  requires: ['http-server'],
  start(ctx) {
    const routes = ctx.resolve(HTTP_ROUTES);
    let lookups = 0;
    ctx.onStop(
      routes.route('GET', '/tenants/:name', (req, res) => {
        lookups++;
        res.json({ tenant: req.params.name, query: req.query });
      }),
    );
    ctx.onStop(
      routes.route(['POST', 'PUT'], '/echo', async (req, res) => {
        const body = await req.body();
        res.setHeader('X-Trailers', req.trailers.join(',')).send(body, 'application/octet-stream');
      }),
    );
    ctx.onStop(
      routes.route('POST', '/stream', async (req, res) => {
        // Echo back as a chunked stream, chunk by chunk as it arrives.
        for await (const chunk of req) {
          if (!res.write(chunk)) await res.drained();
        }
        res.end();
      }),
    );
    ctx.onStop(
      routes.route('GET', '/fail', () => {
        throw new Error('boom');
      }),
    );
    ctx.onStop(
      // A header made from the request, as a download route does: some names cannot be a header.
      routes.route('GET', '/download/:name', (req, res) => {
        res.setHeader('Content-Disposition', `attachment; filename="${req.params.name}"`).send('data');
      }),
    );
    ctx.onStop(
      routes.route('GET', '/download-async/:name', async (req, res) => {
        await Promise.resolve();
        res.setHeader('Content-Disposition', `attachment; filename="${req.params.name}"`).send('data');
      }),
    );
    ctx.onStop(
      routes.route('GET', '/files/*', (req, res) => {
        res.send(req.params['*']);
      }),
    );
    ctx.onStop(
      ctx.metrics.addCollector(ctx.name, () => [
        {
          name: 'tenants_api_lookups_total',
          help: 'Tenant lookups served.',
          type: 'counter',
          samples: [{ labels: { route: '/tenants/:name' }, value: lookups }],
        },
      ]),
    );
  },
});
