import fastifyCookie from '@fastify/cookie';
import fastifyMultipart from '@fastify/multipart';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Platform } from '../platform/context.ts';
import { registerAuth } from './auth.ts';
import { registerIdempotency } from './idempotency.ts';
import { errorBody, handleError } from './errors.ts';
import { analyticsRoutes } from '../analytics/analytics.routes.ts';
import { audiencesRoutes } from '../audiences/segments.routes.ts';
import { campaignsRoutes } from '../campaigns/campaigns.routes.ts';
import { sandboxRoutes } from '../channels/sandbox/sandbox.routes.ts';
import { channelsRoutes } from '../channels/channels.routes.ts';
import { customersRoutes } from '../customers/customers.routes.ts';
import { jobsStatusRoutes } from '../jobs-status/jobs-status.routes.ts';
import { fastRedirect } from '../links/fast-redirect.ts';
import { linksRoutes } from '../links/links.routes.ts';
import { policiesRoutes } from '../policies/policies.routes.ts';
import { templatesRoutes } from '../templates/templates.routes.ts';
import { workspacesRoutes } from '../workspaces/workspaces.routes.ts';
import { alertsRoutes } from '../alerts/alerts.routes.ts';
import { couponsRoutes } from '../coupons/coupons.routes.ts';
import { h5Routes } from '../h5/h5.routes.ts';
import { lotteriesRoutes } from '../lotteries/lotteries.routes.ts';
import { pointsRoutes } from '../points/points.routes.ts';
import { referralsRoutes } from '../referrals/referrals.routes.ts';

const webDist = join(dirname(fileURLToPath(import.meta.url)), '../../web/dist');

export interface AppOptions {
  /** Answer `GET /l/{code}` in the HTTP server before Fastify (links/fast-redirect.ts); default on. */
  fastRedirects?: boolean;
  /**
   * Web pages from the built web/dist: `console` (`start`) serves the console at `/` and the H5
   * reward pages; `h5` (the `api` role) only the H5 pages and their assets — customers open
   * them from `/h/{code}` links, which the API replicas answer; none (most tests) serves neither.
   */
  pages?: 'console' | 'h5';
  /** Where the built pages are (tests point it elsewhere). */
  webDist?: string;
  logger?: boolean;
}

/** Builds the HTTP app without listening: tests use `app.inject()`, the CLI calls `listen`. */
export async function buildApp(p: Platform, opts: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: (opts.logger === false ? undefined : p.log) as FastifyBaseLogger | undefined,
    genReqId: (req) => (typeof req.headers['x-request-id'] === 'string' && req.headers['x-request-id'].length <= 100 ? req.headers['x-request-id'] : randomUUID()),
    requestIdHeader: false,
    bodyLimit: 32 * 1024 * 1024,
    trustProxy: true,
    ajv: undefined,
    ...(opts.fastRedirects === false ? {} : {
      serverFactory: (handler: (req: IncomingMessage, res: ServerResponse) => void) =>
        createServer((req, res) => { if (!fastRedirect(p, req, res)) handler(req, res); }),
    }),
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(handleError);
  app.addHook('onSend', (req, reply, payload, done) => {
    void reply.header('x-request-id', req.id);
    done(null, payload);
  });

  await app.register(fastifyCookie);
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Marketloop API', version: '1', description: 'Omni-channel marketing automation. See docs/api.md for a guided tour and docs/errors.md for every error code.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, session: { type: 'apiKey', in: 'cookie', name: 'ml_session' } } },
      security: [{ bearer: [] }, { session: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  registerAuth(app, p);
  registerIdempotency(app, p);

  app.get('/health', { config: { auth: 'public' }, schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/openapi.json', { config: { auth: 'public' }, schema: { hide: true } }, async () => app.swagger());

  // Multipart only where uploads are taken (segment lists, user imports): the plugin hooks
  // every request of its scope (a 'close' listener, an async onResponse), ~3 % of a coupon
  // grant's CPU on routes that never see a file. Uploads are streamed by their routes, so the
  // limit is about one request's size, not memory. Elsewhere a multipart body is a 415.
  await app.register(async (uploads) => {
    await uploads.register(fastifyMultipart, { limits: { fileSize: 2 * 1024 ** 3 } });
    for (const routes of [customersRoutes, audiencesRoutes]) await uploads.register(routes, { p });
  });
  for (const routes of [workspacesRoutes, templatesRoutes, campaignsRoutes, sandboxRoutes, channelsRoutes, linksRoutes, analyticsRoutes, jobsStatusRoutes, policiesRoutes,
    couponsRoutes, lotteriesRoutes, pointsRoutes, referralsRoutes, alertsRoutes, h5Routes]) {
    await app.register(routes, { p });
  }

  const dist = opts.webDist ?? webDist;
  const built = !!opts.pages && existsSync(join(dist, 'index.html'));
  const serveConsole = built && opts.pages === 'console';
  const serveH5 = built && existsSync(join(dist, 'h5/index.html'));
  if (built) {
    await app.register(fastifyStatic, {
      root: dist, prefix: '/', wildcard: false, index: serveConsole ? ['index.html'] : false,
      // The API role serves the H5 pages' files only, not the console's page.
      // (reply.sendFile checks it too, with the path as given: 'h5/index.html'.)
      ...(serveConsole ? {} : { allowedPath: (path: string) => /^\/?(assets|h5)\//.test(path) }),
    });
  }
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0] ?? '';
    // The H5 reward pages are their own small app (web/h5, docs/h5.md): /h5/* gets its index.html.
    if (serveH5 && req.method === 'GET' && path.startsWith('/h5/')) {
      return reply.header('cache-control', 'no-cache').sendFile('h5/index.html');
    }
    // The console is a single-page app: unknown non-API paths get its index.html.
    if (serveConsole && req.method === 'GET' && !path.startsWith('/v1/') && !path.startsWith('/l/')) {
      return reply.sendFile('index.html');
    }
    return reply.status(404).send(errorBody('not_found', `No route ${req.method} ${path}.`));
  });
  return app;
}
