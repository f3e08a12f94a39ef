import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Platform } from '../platform/context.ts';
import { principalOf } from '../http/auth.ts';
import { errorResponses, idParam, listQuery } from '../http/common.ts';
import type { Permission } from '../workspaces/roles.ts';
import * as service from './campaigns.service.ts';
import { campaignView, createCampaignBody, createTaskBody, rejectBody, scheduleSchema, statuses, taskView } from './campaigns.schema.ts';

const tags = ['campaigns'];
const actions: { action: 'submit' | 'approve' | 'pause' | 'resume' | 'end'; auth: Permission; summary: string }[] = [
  { action: 'submit', auth: 'write', summary: 'Submit for approval (draft → pending_approval)' },
  { action: 'approve', auth: 'approve', summary: 'Approve (pending_approval → approved); launches due tasks' },
  { action: 'pause', auth: 'launch', summary: 'Pause: no new sends until resumed' },
  { action: 'resume', auth: 'launch', summary: 'Resume a paused campaign' },
  { action: 'end', auth: 'launch', summary: 'End now' },
];

export const campaignsRoutes: FastifyPluginAsyncZod<{ p: Platform }> = async (app, { p }) => {
  app.post('/v1/campaigns', {
    config: { auth: 'write', idempotent: true },
    schema: { tags, summary: 'Create a draft campaign', body: createCampaignBody, response: { 201: campaignView, ...errorResponses } },
  }, async (req, reply) => reply.status(201).send(await service.createCampaign(p, principalOf(req), req.body)));

  app.get('/v1/campaigns', {
    config: { auth: 'read' },
    schema: { tags, summary: 'Campaigns, newest first', querystring: listQuery.extend({ status: z.enum(statuses).optional() }) },
  }, async (req) => service.listCampaigns(p, principalOf(req).workspaceId, req.query.limit, req.query.status, req.query.cursor));

  app.get('/v1/campaigns/:id', {
    config: { auth: 'read' },
    schema: { tags, summary: 'A campaign with its tasks', params: idParam, response: { 200: campaignView.extend({ tasks: z.array(taskView) }), ...errorResponses } },
  }, async (req) => service.getCampaign(p, principalOf(req).workspaceId, req.params.id));

  for (const a of actions) {
    app.post(`/v1/campaigns/:id/${a.action}`, {
      config: { auth: a.auth, idempotent: true },
      schema: { tags, summary: a.summary, params: idParam, response: { 200: campaignView, ...errorResponses } },
    }, async (req) => service.transition(p, principalOf(req), req.params.id, a.action));
  }

  app.post('/v1/campaigns/:id/reject', {
    config: { auth: 'approve' },
    schema: { tags, summary: 'Reject back to draft with a reason', params: idParam, body: rejectBody, response: { 200: campaignView, ...errorResponses } },
  }, async (req) => service.transition(p, principalOf(req), req.params.id, 'reject', req.body.reason));

  app.post('/v1/campaigns/:id/tasks', {
    config: { auth: 'write', idempotent: true },
    schema: { tags, summary: 'Add a task (one channel, one audience, a schedule)', params: idParam, body: createTaskBody, response: { 201: taskView, ...errorResponses } },
  }, async (req, reply) => reply.status(201).send(await service.createTask(p, principalOf(req), req.params.id, req.body)));

  app.post('/v1/schedules/preview', {
    config: { auth: 'read' },
    schema: {
      tags, summary: 'A task schedule in words (English and Chinese) and its next three runs, in the workspace timezone',
      body: z.strictObject({ schedule: scheduleSchema }),
      response: { 200: z.object({ summary: z.string(), summaryZh: z.string(), nextRuns: z.array(z.string()), timezone: z.string() }), ...errorResponses },
    },
  }, async (req) => service.previewSchedule(p, principalOf(req).workspaceId, req.body.schedule));

  app.get('/v1/tasks/:id/estimate', {
    config: { auth: 'read' },
    schema: {
      tags, summary: 'SMS cost estimate: audience × segments per message × the provider unit price (minor units)', params: idParam,
      response: { 200: z.object({ taskId: z.string(), channel: z.string(), audience: z.number().nullable(), segmentsPerMessage: z.number(), encoding: z.string(), unitPrice: z.number(), currency: z.string(), perMessage: z.number(), total: z.number().nullable() }), ...errorResponses },
    },
  }, async (req) => service.estimateTask(p, principalOf(req).workspaceId, req.params.id));

  app.get('/v1/tasks/:id', {
    config: { auth: 'read' },
    schema: { tags, summary: 'A task', params: idParam, response: { 200: taskView, ...errorResponses } },
  }, async (req) => service.getTask(p, principalOf(req).workspaceId, req.params.id));
};
