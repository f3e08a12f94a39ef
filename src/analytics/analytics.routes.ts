import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Platform } from '../platform/context.ts';
import { principalOf } from '../http/auth.ts';
import { errorResponses, idParam } from '../http/common.ts';
import * as service from './analytics.service.ts';

const tags = ['analytics'];

/** One variant of a task (unnamed without variants) or its control group: messages, touched users, conversions, lift against control. */
export const variantReportView = z.object({
  name: z.string(), templateId: z.string().nullable(), weight: z.number().nullable(),
  targeted: z.number(), sent: z.number(), delivered: z.number(), clicked: z.number(),
  users: z.number().describe('touched users: sent to, or held out as control'), converted: z.number(),
  conversionRate: z.number().describe('converted ÷ users'),
  lift: z.number().nullable().describe("relative to the control group's conversion rate; null for the control itself, without a control group, or when control never converted"),
  pValue: z.number().nullable().describe('two-sided p-value of a two-proportion z-test against control'),
});

export const taskReportView = z.object({
  taskId: z.string(), campaignId: z.string(), targeted: z.number(),
  suppressed: z.object({ frequency: z.number(), unsubscribed: z.number(), blacklisted: z.number(), noAddress: z.number(), control: z.number() }).catchall(z.number()),
  deferred: z.number(), queued: z.number(), retrying: z.number(), sent: z.number(), delivered: z.number(), failed: z.number(), failedBeforeSend: z.number(),
  clicked: z.number(), converted: z.number(), orders: z.number(), revenue: z.number(), byVariant: z.array(variantReportView),
  runs: z.array(z.object({ id: z.string(), status: z.string(), scheduledFor: z.string(), startedAt: z.string().nullable(), finishedAt: z.string().nullable(), targeted: z.number().nullable(), batches: z.number().nullable() })),
});

const count = z.number().int();
export const campaignReportView = z.object({
  campaignId: z.string(), conversion: z.object({ event: z.string(), windowDays: z.number() }),
  funnel: z.object({ targeted: count, reached: count, opened: count, converted: count }),
  payers: count, orders: count, gmv: count, couponDiscount: count,
  firstOrderUsers: count, firstOrderGmv: count, repeatUsers: count, repeatGmv: count,
  roi: z.number().nullable().describe('GMV per unit of coupon discount (GMV ÷ couponDiscount); null when no discount was given'),
  coupons: z.array(z.object({ templateId: z.string(), granted: count, redeemed: count, redeemRate: z.number(), couponGmv: count, discount: count })),
  tasks: z.array(z.object({
    taskId: z.string(), name: z.string(), channel: z.string(), status: z.string(), targeted: count, sent: count, delivered: count, failed: count,
    clicked: count, converted: count, orders: count, revenue: count, byVariant: z.array(variantReportView),
  })),
});

export const analyticsRoutes: FastifyPluginAsyncZod<{ p: Platform }> = async (app, { p }) => {
  app.get('/v1/tasks/:id/report', {
    config: { auth: 'read' },
    schema: { tags, summary: 'Targeted → sent → delivered → clicked → converted, with revenue', params: idParam, response: { 200: taskReportView, ...errorResponses } },
  }, async (req) => service.taskReport(p, principalOf(req).workspaceId, req.params.id));

  app.get('/v1/campaigns/:id/report', {
    config: { auth: 'read' },
    schema: { tags, summary: 'What a campaign earned: funnel, attributed orders and GMV (first orders vs repeat buyers), coupons, ROI, tasks', params: idParam, response: { 200: campaignReportView, ...errorResponses } },
  }, async (req) => service.campaignReport(p, principalOf(req).workspaceId, req.params.id));

  app.get('/v1/campaigns/:id/export', {
    config: { auth: 'read' },
    schema: {
      tags,
      summary: "A campaign's messages or conversions (attributed orders) as CSV (text/csv, streamed); addresses are masked for roles without the export right",
      params: idParam,
      querystring: z.strictObject({ type: z.enum(['messages', 'conversions']) }),
      produces: ['text/csv'],
      response: { 200: z.unknown().describe('CSV: a header row, then one row per message or per attributed order.'), ...errorResponses },
    },
  }, async (req, reply) => {
    const out = await service.exportCampaign(p, principalOf(req), req.params.id, req.query.type);
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${out.filename}"`)
      .header('x-masked', String(out.masked))
      .send(out.body);
  });

  app.get('/v1/overview', {
    config: { auth: 'read' },
    schema: { tags, summary: 'Workspace home: users, events today, campaigns by status' },
  }, async (req) => service.overview(p, principalOf(req).workspaceId));

  app.get('/v1/users/:externalId/messages', {
    config: { auth: 'read' },
    schema: { tags, summary: "A user's message timeline", params: z.strictObject({ externalId: z.string().min(1).max(200) }), querystring: z.strictObject({ limit: z.coerce.number().int().min(1).max(1000).default(50), cursor: z.string().regex(/^\d+$/).optional() }) },
  }, async (req) => service.userMessages(p, principalOf(req).workspaceId, req.params.externalId, req.query.limit, req.query.cursor));
};
