import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Platform } from '../platform/context.ts';
import { principalOf } from '../http/auth.ts';
import { errorResponses, idParam, listQuery } from '../http/common.ts';
import * as service from './segments.service.ts';
import { createSegmentBody, historyPointView, patchSegmentBody, previewBody, segmentView } from './segments.schema.ts';
import { segmentExportRoutes } from './segment-export.routes.ts';
import { segmentListsRoutes } from './segment-lists.routes.ts';

const tags = ['segments'];
const page = (item: z.ZodType) => z.object({ items: z.array(item), nextCursor: z.string().nullable() });

export const audiencesRoutes: FastifyPluginAsyncZod<{ p: Platform }> = async (app, { p }) => {
  // Authoring is checked by the service, which sees the definition: SQL segments need the
  // export right (admin, analyst), all others write (admin, operator).
  app.post('/v1/segments', {
    config: { auth: 'read' },
    schema: { tags, summary: 'Create a segment; its first snapshot is computed by a worker (SQL definitions: admin and analyst)', body: createSegmentBody, response: { 201: segmentView, ...errorResponses } },
  }, async (req, reply) => reply.status(201).send(await service.createSegment(p, principalOf(req), req.body)));

  app.get('/v1/segments', {
    config: { auth: 'read' },
    schema: { tags, summary: 'Segments, newest first', querystring: listQuery, response: { 200: page(segmentView), ...errorResponses } },
  }, async (req) => service.listSegments(p, principalOf(req).workspaceId, req.query.limit, req.query.cursor));

  app.post('/v1/segments/preview', {
    config: { auth: 'read' },
    schema: { tags, summary: 'Count and sample of a definition, without saving it', body: previewBody, response: { 200: z.object({ count: z.number(), sample: z.array(z.string()) }), ...errorResponses } },
  }, async (req) => service.preview(p, principalOf(req), req.body.definition));

  app.get('/v1/segments/:id', {
    config: { auth: 'read' },
    schema: { tags, summary: 'A segment with its current count', params: idParam, response: { 200: segmentView, ...errorResponses } },
  }, async (req) => service.getSegment(p, principalOf(req).workspaceId, req.params.id));

  app.patch('/v1/segments/:id', {
    config: { auth: 'read' },
    schema: { tags, summary: 'Change name, definition (recomputed), refresh or refreshAt; a reference cycle is a 400', params: idParam, body: patchSegmentBody, response: { 200: segmentView, ...errorResponses } },
  }, async (req) => service.patchSegment(p, principalOf(req), req.params.id, req.body));

  app.get('/v1/segments/:id/members', {
    config: { auth: 'read' },
    schema: { tags, summary: 'externalIds in the current snapshot', params: idParam, querystring: listQuery, response: { 200: page(z.string()), ...errorResponses } },
  }, async (req) => service.members(p, principalOf(req).workspaceId, req.params.id, req.query.limit, req.query.cursor));

  app.get('/v1/segments/:id/history', {
    config: { auth: 'read' },
    schema: { tags, summary: 'Snapshot counts over time, newest first', params: idParam, querystring: listQuery, response: { 200: page(historyPointView), ...errorResponses } },
  }, async (req) => service.history(p, principalOf(req).workspaceId, req.params.id, req.query.limit, req.query.cursor));

  app.post('/v1/segments/:id/refresh', {
    config: { auth: 'write' },
    schema: { tags, summary: 'Recompute now (not for refresh "once" or lists)', params: idParam, response: { 202: segmentView, ...errorResponses } },
  }, async (req, reply) => reply.status(202).send(await service.requestRefresh(p, principalOf(req), req.params.id)));

  await app.register(segmentListsRoutes, { p });
  await app.register(segmentExportRoutes, { p });
};
