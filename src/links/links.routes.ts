import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Platform } from '../platform/context.ts';
import { CODE, notFoundPage } from './fast-redirect.ts';
import { flushClicks, resolverOf } from './links.service.ts';

export const linksRoutes: FastifyPluginAsyncZod<{ p: Platform }> = async (app, { p }) => {
  // The server answers most redirects before Fastify (fast-redirect.ts); this route is the
  // documented one, and answers what the fast path leaves (and every app.inject).
  const resolver = resolverOf(p);
  // A clean stop writes the queued clicks before the database goes away.
  app.addHook('onClose', async () => flushClicks(p));
  app.get('/l/:code', {
    config: { auth: 'public' },
    schema: { tags: ['links'], summary: 'Short-link redirect: 302 to the target, records $link_clicked', params: z.strictObject({ code: z.string().min(1).max(64) }) },
  }, async (req, reply) => {
    const target = CODE.test(req.params.code)
      ? await resolver.click(req.params.code, { ip: req.ip ?? null, userAgent: req.headers['user-agent'] ?? null })
      : null;
    if (!target) return reply.status(404).type('text/html; charset=utf-8').send(notFoundPage);
    return reply.header('cache-control', 'no-store').redirect(target, 302);
  });
};
