import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Platform } from '../platform/context.ts';
import { principalOf } from '../http/auth.ts';
import { errorResponses, idParam, listQuery } from '../http/common.ts';
import * as service from './templates.service.ts';
import { channels, createTemplateBody, rejectTemplateBody, renderBody, renderView, reviewStatuses, templateVersionView, templateView } from './templates.schema.ts';

const tags = ['templates'];

export const templatesRoutes: FastifyPluginAsyncZod<{ p: Platform }> = async (app, { p }) => {
  app.post('/v1/templates', {
    config: { auth: 'write' },
    schema: { tags, summary: 'Create a message template (Liquid content per channel); version 1, draft', body: createTemplateBody, response: { 201: templateView, ...errorResponses } },
  }, async (req, reply) => reply.status(201).send(await service.createTemplate(p, principalOf(req), req.body)));

  app.get('/v1/templates', {
    config: { auth: 'read' },
    schema: { tags, summary: 'Templates, newest first', querystring: listQuery.extend({ channel: z.enum(channels).optional(), status: z.enum(reviewStatuses).optional() }) },
  }, async (req) => service.listTemplates(p, principalOf(req).workspaceId, req.query.limit, req.query.channel, req.query.cursor, req.query.status));

  app.get('/v1/templates/:id', {
    config: { auth: 'read' },
    schema: { tags, summary: 'A template (its latest version)', params: idParam, response: { 200: templateView, ...errorResponses } },
  }, async (req) => service.getTemplate(p, principalOf(req).workspaceId, req.params.id));

  app.patch('/v1/templates/:id', {
    config: { auth: 'write' },
    schema: { tags, summary: 'Change name or content (new content: a new version, in draft)', params: idParam, body: z.strictObject({ name: z.string().min(1).max(200).optional(), content: z.record(z.string(), z.unknown()).optional() }), response: { 200: templateView, ...errorResponses } },
  }, async (req) => service.updateTemplate(p, principalOf(req), req.params.id, req.body));

  app.get('/v1/templates/:id/versions', {
    config: { auth: 'read' },
    schema: { tags, summary: 'Versions of a template, newest first, each with its review', params: idParam, querystring: listQuery, response: { 200: z.object({ items: z.array(templateVersionView), nextCursor: z.string().nullable() }), ...errorResponses } },
  }, async (req) => service.listVersions(p, principalOf(req).workspaceId, req.params.id, req.query.limit, req.query.cursor));

  app.post('/v1/templates/:id/submit', {
    config: { auth: 'write' },
    schema: { tags, summary: 'Submit the latest version for review (draft | rejected → pending_review)', params: idParam, response: { 200: templateView, ...errorResponses } },
  }, async (req) => service.review(p, principalOf(req), req.params.id, 'submit'));

  app.post('/v1/templates/:id/approve', {
    config: { auth: 'approve' },
    schema: { tags, summary: 'Approve the version under review (with requireTemplateReview: an approver/admin other than the submitter)', params: idParam, response: { 200: templateView, ...errorResponses } },
  }, async (req) => service.review(p, principalOf(req), req.params.id, 'approve'));

  app.post('/v1/templates/:id/reject', {
    config: { auth: 'approve' },
    schema: { tags, summary: 'Reject the version under review with a reason', params: idParam, body: rejectTemplateBody, response: { 200: templateView, ...errorResponses } },
  }, async (req) => service.review(p, principalOf(req), req.params.id, 'reject', req.body.reason));

  app.post('/v1/templates/:id/render', {
    config: { auth: 'read' },
    schema: { tags, summary: 'Render the latest version for one user (SMS: segments, encoding and cost too)', params: idParam, body: renderBody, response: { 200: renderView, ...errorResponses } },
  }, async (req) => service.renderForUser(p, principalOf(req).workspaceId, req.params.id, req.body.externalId));
};
