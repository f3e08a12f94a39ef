import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Platform } from '../platform/context.ts';
import { principalOf } from '../http/auth.ts';
import { errorResponses, idParam, listQuery } from '../http/common.ts';
import { AppError } from '../platform/errors.ts';
import { channels } from './channels.schema.ts';
import { createProviderBody, providerView, updateProviderBody } from './providers.schema.ts';
import { tencentSmsReport } from './tencent-sms/tencent-sms.provider.ts';
import * as inbox from './inbox/inbox.service.ts';
import * as service from './channels.service.ts';

const tags = ['channels'];
const externalIdParam = z.strictObject({ externalId: z.string().min(1).max(200) });

export const channelsRoutes: FastifyPluginAsyncZod<{ p: Platform }> = async (app, { p }) => {
  app.post('/v1/providers', {
    config: { auth: 'manage', idempotent: true },
    schema: { tags, summary: 'Configure a provider for a channel (credentials are encrypted, never returned)', body: createProviderBody, response: { 201: providerView, ...errorResponses } },
  }, async (req, reply) => reply.status(201).send(await service.createProvider(p, principalOf(req), req.body)));

  app.get('/v1/providers', {
    config: { auth: 'manage' },
    schema: { tags, summary: 'Providers, by channel and priority (credentials masked)', querystring: listQuery.extend({ channel: z.enum(channels).optional() }), response: { 200: z.object({ items: z.array(providerView), nextCursor: z.string().nullable() }), ...errorResponses } },
  }, async (req) => service.listProviders(p, principalOf(req).workspaceId, req.query.limit, req.query.channel, req.query.cursor));

  app.get('/v1/providers/:id', {
    config: { auth: 'manage' },
    schema: { tags, summary: 'A provider (credentials masked)', params: idParam, response: { 200: providerView, ...errorResponses } },
  }, async (req) => service.getProvider(p, principalOf(req).workspaceId, req.params.id));

  app.patch('/v1/providers/:id', {
    config: { auth: 'manage' },
    schema: { tags, summary: 'Change a provider; credentials and settings are replaced whole', params: idParam, body: updateProviderBody, response: { 200: providerView, ...errorResponses } },
  }, async (req) => service.updateProvider(p, principalOf(req), req.params.id, req.body));

  app.delete('/v1/providers/:id', {
    config: { auth: 'manage' },
    schema: { tags, summary: 'Remove a provider (the channel falls back to the next one, or the default)', params: idParam, response: { 200: z.object({ ok: z.literal(true) }), ...errorResponses } },
  }, async (req) => {
    await service.deleteProvider(p, principalOf(req), req.params.id);
    return { ok: true as const };
  });

  app.get('/v1/inbox/:externalId', {
    config: { auth: 'read' },
    schema: {
      tags, summary: "A user's in-app messages, newest first, and the unread count", params: externalIdParam,
      querystring: z.strictObject({ limit: z.coerce.number().int().min(1).max(1000).default(50), cursor: z.string().regex(/^\d+$/).optional() }),
    },
  }, async (req) => inbox.inbox(p, principalOf(req).workspaceId, req.params.externalId, req.query.limit, req.query.cursor));

  app.post('/v1/inbox/:externalId/read', {
    config: { auth: 'write' },
    schema: {
      tags, summary: 'Mark in-app messages read', params: externalIdParam,
      body: z.strictObject({ ids: z.array(z.string().regex(/^\d+$/, 'An inbox message id.')).min(1).max(1000) }),
      response: { 200: z.object({ marked: z.number(), unread: z.number() }), ...errorResponses },
    },
  }, async (req) => inbox.markRead(p, principalOf(req).workspaceId, req.params.externalId, req.body.ids));

  // Tencent calls this with no credentials; the provider id (random, 16 base62) is the capability.
  app.post('/v1/callbacks/tencent-sms/:providerId', {
    config: { auth: 'public' },
    schema: {
      tags, summary: 'Tencent Cloud SMS status reports (短信下发状态回调) for a provider',
      params: z.strictObject({ providerId: z.string().min(1).max(100) }), body: z.array(tencentSmsReport).max(10_000),
      response: { 200: z.object({ result: z.literal(0), errmsg: z.string(), recorded: z.number() }), ...errorResponses },
    },
  }, async (req) => ({ result: 0 as const, errmsg: 'OK', ...(await service.recordTencentSmsReports(p, req.params.providerId, req.body)) }));

  // One-click unsubscribe (RFC 8058): mail clients POST "List-Unsubscribe=One-Click" as a form;
  // a person who opens the link gets a page with a button that does the same POST.
  app.register(async (scoped) => {
    scoped.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, body));
    // The token travels in the query: it names the externalId (up to 200 characters), longer than a path parameter may be.
    const tokenQuery = z.strictObject({ t: z.string().min(10).max(2000) });
    scoped.get('/u', { config: { auth: 'public' }, schema: { hide: true, querystring: tokenQuery } }, async (req, reply) => {
      try {
        service.readUnsubscribeToken(p, (req.query as { t: string }).t);
      } catch (err) {
        if (err instanceof AppError) return reply.status(404).type('text/html; charset=utf-8').send(page('This unsubscribe link is not valid.'));
        throw err;
      }
      return reply.type('text/html; charset=utf-8').send(page('Unsubscribe from these messages?', `<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button></form>`));
    });
    scoped.post('/u', { config: { auth: 'public' }, schema: { hide: true, querystring: tokenQuery } }, async (req, reply) => {
      try {
        await service.unsubscribeByToken(p, (req.query as { t: string }).t);
      } catch (err) {
        if (err instanceof AppError) return reply.status(404).type('text/html; charset=utf-8').send(page('This unsubscribe link is not valid.'));
        throw err;
      }
      return reply.type('text/html; charset=utf-8').send(page('You are unsubscribed.'));
    });
  });
};

const page = (title: string, extra = '') =>
  `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${title}</title></head><body><h1>${title}</h1>${extra}</body></html>`;
