import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Platform } from '../platform/context.ts';
import { principalOf } from '../http/auth.ts';
import { errorResponses } from '../http/common.ts';
import * as service from './jobs-status.service.ts';
import { jobIdParam, jobView } from './jobs-status.schema.ts';

export const jobsStatusRoutes: FastifyPluginAsyncZod<{ p: Platform }> = async (app, { p }) => {
  app.get('/v1/jobs/:id', {
    config: { auth: 'read' },
    schema: { tags: ['jobs'], summary: 'Progress of a background job (a CSV import): rows processed, failed, the first 100 errors with line numbers', params: jobIdParam, response: { 200: jobView, ...errorResponses } },
  }, async (req) => service.getJob(p, principalOf(req).workspaceId, req.params.id));
};
