import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Platform } from '../../platform/context.ts';
import { principalOf } from '../../http/auth.ts';
import { errorResponses } from '../../http/common.ts';
import { channels } from '../channels.schema.ts';
import * as service from './sandbox.service.ts';

const tags = ['sandbox'];

export const sandboxRoutes: FastifyPluginAsyncZod<{ p: Platform }> = async (app, { p }) => {
  app.get('/v1/sandbox/outbox', {
    config: { auth: 'read' },
    schema: {
      tags, summary: 'What the sandbox provider "sent", newest first',
      querystring: z.strictObject({
        channel: z.enum(channels).optional(), externalId: z.string().max(200).optional(), taskId: z.string().max(100).optional(),
        limit: z.coerce.number().int().min(1).max(1000).default(50), cursor: z.string().regex(/^\d+$/).optional(),
      }),
    },
  }, async (req) => service.outbox(p, principalOf(req).workspaceId, { ...req.query, before: req.query.cursor }));

  app.post('/v1/sandbox/receipts', {
    config: { auth: 'write', idempotent: true },
    schema: {
      tags, summary: 'Simulate a delivery receipt for a sandbox message',
      body: z.strictObject({ messageId: z.string().regex(/^\d+$/, 'A message id from the outbox.'), status: z.enum(['delivered', 'failed']), reason: z.string().max(500).optional() }),
      response: { 200: z.object({ ok: z.literal(true) }), ...errorResponses },
    },
  }, async (req) => {
    await service.receipt(p, principalOf(req).workspaceId, req.body.messageId, req.body.status, req.body.reason);
    return { ok: true as const };
  });
};
