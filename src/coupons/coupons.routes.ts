import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Platform } from '../platform/context.ts';
import { principalOf } from '../http/auth.ts';
import { errorResponses, idParam, listQuery } from '../http/common.ts';
import * as service from './coupons.service.ts';
import { reconcileWorkspace } from './coupons.reconcile.ts';
import {
  budgetView, codeParam, couponView, createTemplateBody, grantBody, grantView, patchTemplateBody, redeemBody, redeemView, releaseBody, releaseView,
  statsView, templateView, topUpBody,
} from './coupons.schema.ts';

const tags = ['coupons'];

/** Coupon templates, grants, redemption, budgets (API.md "Coupons"; docs/rewards.md). */
export const couponsRoutes: FastifyPluginAsyncZod<{ p: Platform }> = async (app, { p }) => {
  app.post('/v1/coupon-templates', {
    config: { auth: 'write', idempotent: true },
    schema: { tags, summary: 'Create a coupon template (threshold 满减, direct 直减, percent)', body: createTemplateBody, response: { 201: templateView, ...errorResponses } },
  }, async (req, reply) => reply.status(201).send(await service.createTemplate(p, principalOf(req), req.body)));

  app.get('/v1/coupon-templates', {
    config: { auth: 'read' },
    schema: { tags, summary: 'Coupon templates, newest first', querystring: listQuery, response: { 200: z.object({ items: z.array(templateView), nextCursor: z.string().nullable() }), ...errorResponses } },
  }, async (req) => service.listTemplates(p, principalOf(req).workspaceId, req.query.limit, req.query.cursor));

  app.get('/v1/coupon-templates/:id', {
    config: { auth: 'read' },
    schema: { tags, summary: 'A coupon template', params: idParam, response: { 200: templateView, ...errorResponses } },
  }, async (req) => service.getTemplate(p, principalOf(req).workspaceId, req.params.id));

  app.patch('/v1/coupon-templates/:id', {
    config: { auth: 'write' },
    schema: { tags, summary: 'Top up stock, change limits, claim window, validity of new grants, eligibility', params: idParam, body: patchTemplateBody, response: { 200: templateView, ...errorResponses } },
  }, async (req) => service.patchTemplate(p, principalOf(req), req.params.id, req.body));

  app.post('/v1/coupon-templates/:id/grant', {
    config: { auth: 'write', idempotent: true },
    schema: { tags, summary: 'Grant one coupon to a user (Idempotency-Key: one coupon per key)', params: idParam, body: grantBody, response: { 201: grantView, ...errorResponses } },
  }, async (req, reply) => {
    const key = req.headers['idempotency-key'];
    return reply.status(201).send(await service.grantByExternalId(p, principalOf(req), req.params.id, req.body.externalId, typeof key === 'string' ? key : undefined));
  });

  app.get('/v1/coupon-templates/:id/stats', {
    config: { auth: 'read' },
    schema: { tags, summary: 'Granted, redeemed, expired, remaining, discount and order totals', params: idParam, response: { 200: statsView, ...errorResponses } },
  }, async (req) => service.templateStats(p, principalOf(req).workspaceId, req.params.id));

  app.get('/v1/coupons/:code', {
    config: { auth: 'read' },
    schema: { tags, summary: 'A coupon by its code', params: codeParam, response: { 200: couponView, ...errorResponses } },
  }, async (req) => service.couponByCode(p, principalOf(req).workspaceId, req.params.code));

  app.post('/v1/coupons/:code/redeem', {
    config: { auth: 'write', idempotent: true },
    schema: { tags, summary: 'Redeem on an order (idempotent on orderId)', params: codeParam, body: redeemBody, response: { 200: redeemView, ...errorResponses } },
  }, async (req) => service.redeem(p, principalOf(req).workspaceId, req.params.code, req.body));

  app.post('/v1/coupons/:code/release', {
    config: { auth: 'write', idempotent: true },
    schema: { tags, summary: "Undo a redemption (refund, failed payment), once; the coupon returns to its owner while valid", params: codeParam, body: releaseBody, response: { 200: releaseView, ...errorResponses } },
  }, async (req) => service.release(p, principalOf(req).workspaceId, req.params.code, req.body.orderId));

  app.get('/v1/campaigns/:id/budget', {
    config: { auth: 'read' },
    schema: { tags, summary: 'Campaign budget: amount, reserved, spent, remaining and the ledger (newest first)', params: idParam, querystring: listQuery, response: { 200: budgetView, ...errorResponses } },
  }, async (req) => service.getBudget(p, principalOf(req).workspaceId, req.params.id, req.query.limit, req.query.cursor));

  app.post('/v1/campaigns/:id/budget/top-ups', {
    config: { auth: 'approve', idempotent: true },
    schema: { tags, summary: 'Top up a campaign budget (approver or admin)', params: idParam, body: topUpBody, response: { 201: budgetView, ...errorResponses } },
  }, async (req, reply) => reply.status(201).send(await service.topUpBudget(p, principalOf(req), req.params.id, req.body)));

  app.post('/v1/rewards/reconcile', {
    config: { auth: 'manage' },
    schema: {
      tags, summary: 'Recompute stock, limits and budgets from the ledger now; repair drifted counters (an alert each)',
      response: { 200: z.object({ checked: z.number(), repairs: z.array(z.object({ key: z.string(), was: z.number(), now: z.number(), subject: z.object({ type: z.string(), id: z.string() }) })) }), ...errorResponses },
    },
  }, async (req) => reconcileWorkspace(p, principalOf(req).workspaceId));
};
