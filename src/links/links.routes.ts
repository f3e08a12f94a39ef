import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Platform } from '../platform/context.ts';
import { flushClicks, LinkResolver } from './links.service.ts';

const notFoundPage = `<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Link not found</title><body style="font-family:system-ui;text-align:center;padding:3em">
<h1>Link not found · 链接不存在</h1><p>This link is unknown or has expired.</p></body></html>`;

export const linksRoutes: FastifyPluginAsyncZod<{ p: Platform }> = async (app, { p }) => {
  const resolver = new LinkResolver(p);
  // A clean stop writes the queued clicks before the database goes away.
  app.addHook('onClose', async () => flushClicks(p));
  app.get('/l/:code', {
    config: { auth: 'public' },
    schema: { tags: ['links'], summary: 'Short-link redirect: 302 to the target, records $link_clicked', params: z.strictObject({ code: z.string().min(1).max(64) }) },
  }, async (req, reply) => {
    const target = /^[0-9A-Za-z]+$/.test(req.params.code)
      ? await resolver.click(req.params.code, { ip: req.ip ?? null, userAgent: req.headers['user-agent'] ?? null })
      : null;
    if (!target) return reply.status(404).type('text/html; charset=utf-8').send(notFoundPage);
    return reply.header('cache-control', 'no-store').redirect(target, 302);
  });
};
