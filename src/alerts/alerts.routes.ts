import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Platform } from '../platform/context.ts';
import { principalOf } from '../http/auth.ts';
import { errorResponses, idParam, listQuery } from '../http/common.ts';
import * as service from './alerts.service.ts';
import { alertSettingsBody, alertSettingsView, alertsQuery, alertView, killBody, killParams, killView } from './alerts.schema.ts';

const tags = ['alerts'];

/** Loss-monitor alerts and kill switches (docs/rewards.md). */
export const alertsRoutes: FastifyPluginAsyncZod<{ p: Platform }> = async (app, { p }) => {
  app.get('/v1/alerts', {
    config: { auth: 'read' },
    schema: { tags, summary: 'Alerts, newest first (filter acked=true|false, kind)', querystring: alertsQuery, response: { 200: z.object({ items: z.array(alertView), nextCursor: z.string().nullable() }), ...errorResponses } },
  }, async (req) => service.listAlerts(p, principalOf(req).workspaceId, { ...req.query, acked: req.query.acked === undefined ? undefined : req.query.acked === 'true' }));

  app.post('/v1/alerts/:id/ack', {
    config: { auth: 'approve' },
    schema: { tags, summary: 'Acknowledge an alert', params: idParam, response: { 200: alertView, ...errorResponses } },
  }, async (req) => service.ackAlert(p, principalOf(req), req.params.id));

  app.get('/v1/alert-settings', {
    config: { auth: 'read' },
    schema: { tags, summary: "The workspace's alert webhook (approvers' endpoint)", response: { 200: alertSettingsView, ...errorResponses } },
  }, async (req) => service.getSettings(p, principalOf(req).workspaceId));

  app.put('/v1/alert-settings', {
    config: { auth: 'manage' },
    schema: { tags, summary: 'Set the alert webhook: every alert is POSTed there as JSON', body: alertSettingsBody, response: { 200: alertSettingsView, ...errorResponses } },
  }, async (req) => service.putSettings(p, principalOf(req), req.body));

  app.get('/v1/kill-switches', {
    config: { auth: 'read' },
    schema: { tags, summary: 'Kill switches that are on, newest first', querystring: listQuery, response: { 200: z.object({ items: z.array(killView), nextCursor: z.string().nullable() }), ...errorResponses } },
  }, async (req) => service.listKillSwitches(p, principalOf(req).workspaceId, req.query.limit, req.query.cursor));

  app.post('/v1/kill-switches', {
    config: { auth: 'approve' },
    schema: { tags, summary: 'Stop a coupon template, lottery, campaign, points or referrals at once', body: killBody, response: { 201: killView, ...errorResponses } },
  }, async (req, reply) => reply.status(201).send(await service.kill(p, principalOf(req), { type: req.body.type, id: req.body.id }, req.body.reason)));

  app.delete('/v1/kill-switches/:type/:id', {
    config: { auth: 'approve' },
    schema: { tags, summary: 'Turn a kill switch off', params: killParams, response: { 200: z.object({ removed: z.boolean() }), ...errorResponses } },
  }, async (req) => service.unkill(p, principalOf(req), { type: req.params.type, id: req.params.id }));
};
