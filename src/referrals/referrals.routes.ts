import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Platform } from '../platform/context.ts';
import { principalOf } from '../http/auth.ts';
import { errorResponses, idParam, listQuery } from '../http/common.ts';
import * as service from './referrals.service.ts';
import { bindBody, bindView, codeBody, codeView, createProgramBody, downlineQuery, downlineView, patchProgramBody, programView, summaryView, topQuery, topView } from './referrals.schema.ts';

const tags = ['referrals'];
const externalIdParam = z.strictObject({ externalId: z.string().min(1).max(200) });

/** Referral programs, codes, binding, the invitation tree, top inviters (docs/lotteries.md "Referrals"). */
export const referralsRoutes: FastifyPluginAsyncZod<{ p: Platform }> = async (app, { p }) => {
  app.post('/v1/referrals/programs', {
    config: { auth: 'write' },
    schema: { tags, summary: 'Create a referral program: the inviter\'s reward (points or a coupon) for an invitee\'s first order; optionally tied to a campaign', body: createProgramBody, response: { 201: programView, ...errorResponses } },
  }, async (req, reply) => reply.status(201).send(await service.createProgram(p, principalOf(req), req.body)));

  app.get('/v1/referrals/programs', {
    config: { auth: 'read' },
    schema: { tags, summary: 'Referral programs, newest first', querystring: listQuery, response: { 200: z.object({ items: z.array(programView), nextCursor: z.string().nullable() }), ...errorResponses } },
  }, async (req) => service.listPrograms(p, principalOf(req).workspaceId, req.query.limit, req.query.cursor));

  app.patch('/v1/referrals/programs/:id', {
    config: { auth: 'write' },
    schema: { tags, summary: 'Rename or (de)activate a referral program', params: idParam, body: patchProgramBody, response: { 200: programView, ...errorResponses } },
  }, async (req) => service.patchProgram(p, principalOf(req), req.params.id, req.body));

  app.post('/v1/referrals/codes', {
    config: { auth: 'write', idempotent: true },
    schema: { tags, summary: 'A user\'s referral code (the same one every time)', body: codeBody, response: { 200: codeView, ...errorResponses } },
  }, async (req) => service.codeFor(p, principalOf(req).workspaceId, req.body.externalId));

  app.post('/v1/referrals/bind', {
    config: { auth: 'write', idempotent: true },
    schema: { tags, summary: 'Link an invitee to the owner of a code (one inviter per user, no self-invite, no cycles)', body: bindBody, response: { 200: bindView, ...errorResponses } },
  }, async (req) => service.bind(p, principalOf(req), req.body));

  app.get('/v1/referrals/top', {
    config: { auth: 'read' },
    schema: { tags, summary: 'Top inviters (KOLs), optionally of one campaign\'s programs', querystring: topQuery, response: { 200: topView, ...errorResponses } },
  }, async (req) => service.top(p, principalOf(req).workspaceId, req.query.campaignId, req.query.limit));

  app.get('/v1/referrals/:externalId', {
    config: { auth: 'read' },
    schema: { tags, summary: 'A user\'s referral state: code, inviter, direct invitees, the reward their first order earned', params: externalIdParam, response: { 200: summaryView, ...errorResponses } },
  }, async (req) => service.summary(p, principalOf(req).workspaceId, req.params.externalId));

  app.get('/v1/referrals/:externalId/downline', {
    config: { auth: 'read' },
    schema: { tags, summary: 'Who a user invited, and whom they invited, down to depth levels', params: externalIdParam, querystring: downlineQuery, response: { 200: downlineView, ...errorResponses } },
  }, async (req) => service.downline(p, principalOf(req).workspaceId, req.params.externalId, req.query.depth));
};
