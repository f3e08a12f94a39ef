import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Platform } from '../platform/context.ts';
import { principalOf } from '../http/auth.ts';
import { errorResponses, idParam, listQuery } from '../http/common.ts';
import * as service from './templates.service.ts';
import { channels, createTemplateBody, renderBody, templateView } from './templates.schema.ts';

const tags = ['templates'];

export const templatesRoutes: FastifyPluginAsyncZod<{ p: Platform }> = async (app, { p }) => {
  app.post('/v1/templates', {
    config: { auth: 'write' },
    schema: { tags, summary: 'Create a message template (Liquid content per channel)', body: createTemplateBody, response: { 201: templateView, ...errorResponses } },
  }, async (req, reply) => reply.status(201).send(await service.createTemplate(p, principalOf(req), req.body)));

  app.get('/v1/templates', {
    config: { auth: 'read' },
    schema: { tags, summary: 'Templates, newest first', querystring: listQuery.extend({ channel: z.enum(channels).optional() }) },
  }, async (req) => service.listTemplates(p, principalOf(req).workspaceId, req.query.limit, req.query.channel, req.query.cursor));

  app.get('/v1/templates/:id', {
    config: { auth: 'read' },
    schema: { tags, summary: 'A template', params: idParam, response: { 200: templateView, ...errorResponses } },
  }, async (req) => service.getTemplate(p, principalOf(req).workspaceId, req.params.id));

  app.patch('/v1/templates/:id', {
    config: { auth: 'write' },
    schema: { tags, summary: 'Change name or content (a new version)', params: idParam, body: z.strictObject({ name: z.string().min(1).max(200).optional(), content: z.record(z.string(), z.unknown()).optional() }), response: { 200: templateView, ...errorResponses } },
  }, async (req) => service.updateTemplate(p, principalOf(req), req.params.id, req.body));

  app.post('/v1/templates/:id/render', {
    config: { auth: 'read' },
    schema: { tags, summary: 'Render for one user (SMS: segments and encoding too)', params: idParam, body: renderBody },
  }, async (req) => service.renderForUser(p, principalOf(req).workspaceId, req.params.id, req.body.externalId));
};
