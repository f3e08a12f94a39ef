import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Platform } from '../platform/context.ts';
import { principalOf } from '../http/auth.ts';
import { errorResponses, listQuery } from '../http/common.ts';
import * as service from './policies.service.ts';
import { blacklistBody, blacklistView, deliveryPolicyBody, deliveryPolicyView, unsubscribeBody, unsubscribeView } from './policies.schema.ts';

const tags = ['policies'];
const externalIdParam = z.strictObject({ externalId: z.string().min(1).max(200) });

export const policiesRoutes: FastifyPluginAsyncZod<{ p: Platform }> = async (app, { p }) => {
  app.get('/v1/policies/delivery', {
    config: { auth: 'read' },
    schema: { tags, summary: 'The delivery policy: caps and quiet hours (in the workspace timezone)', response: { 200: deliveryPolicyView, ...errorResponses } },
  }, async (req) => service.getPolicy(p, principalOf(req).workspaceId));

  app.put('/v1/policies/delivery', {
    config: { auth: 'write' },
    schema: { tags, summary: 'Replace the delivery policy (absent parts are off)', body: deliveryPolicyBody, response: { 200: deliveryPolicyView, ...errorResponses } },
  }, async (req) => service.putPolicy(p, principalOf(req), req.body));

  app.post('/v1/users/:externalId/unsubscribe', {
    config: { auth: 'write', idempotent: true },
    schema: { tags, summary: 'Unsubscribe a user from one channel, or from all without one', params: externalIdParam, body: unsubscribeBody.optional(), response: { 200: unsubscribeView, ...errorResponses } },
  }, async (req) => service.unsubscribe(p, principalOf(req), req.params.externalId, req.body?.channel));

  app.post('/v1/users/:externalId/resubscribe', {
    config: { auth: 'write', idempotent: true },
    schema: { tags, summary: 'Undo unsubscribes: one channel, or all without one', params: externalIdParam, body: unsubscribeBody.optional(), response: { 200: unsubscribeView, ...errorResponses } },
  }, async (req) => service.resubscribe(p, principalOf(req), req.params.externalId, req.body?.channel));

  app.get('/v1/users/:externalId/unsubscribes', {
    config: { auth: 'read' },
    schema: { tags, summary: "The channels a user has left ('*' = all)", params: externalIdParam, response: { 200: unsubscribeView, ...errorResponses } },
  }, async (req) => service.unsubscribed(p, principalOf(req).workspaceId, req.params.externalId));

  app.post('/v1/blacklist', {
    config: { auth: 'write', idempotent: true },
    schema: { tags, summary: 'Blacklist users by externalId (never reached by any task)', body: blacklistBody, response: { 200: z.object({ added: z.number() }), ...errorResponses } },
  }, async (req) => service.addToBlacklist(p, principalOf(req), req.body.externalIds));

  app.delete('/v1/blacklist', {
    config: { auth: 'write' },
    schema: { tags, summary: 'Remove users from the blacklist', body: blacklistBody, response: { 200: z.object({ removed: z.number() }), ...errorResponses } },
  }, async (req) => service.removeFromBlacklist(p, principalOf(req), req.body.externalIds));

  app.delete('/v1/blacklist/:externalId', {
    config: { auth: 'write' },
    schema: { tags, summary: 'Remove one user from the blacklist', params: externalIdParam, response: { 200: z.object({ removed: z.number() }), ...errorResponses } },
  }, async (req) => service.removeFromBlacklist(p, principalOf(req), [req.params.externalId]));

  app.get('/v1/blacklist', {
    config: { auth: 'read' },
    schema: { tags, summary: 'Blacklisted externalIds, in order', querystring: listQuery, response: { 200: blacklistView, ...errorResponses } },
  }, async (req) => service.listBlacklist(p, principalOf(req).workspaceId, req.query.limit, req.query.cursor));
};
