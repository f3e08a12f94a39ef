import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Platform } from '../platform/context.ts';
import { principalOf } from '../http/auth.ts';
import { errorResponses, idParam } from '../http/common.ts';
import { exportSegment } from './segment-export.service.ts';
import { exportFieldsQuery } from './segments.schema.ts';

export const segmentExportRoutes: FastifyPluginAsyncZod<{ p: Platform }> = async (app, { p }) => {
  app.get('/v1/segments/:id/export', {
    config: { auth: 'read' },
    schema: {
      tags: ['segments'],
      summary: 'Members of the current snapshot as CSV (text/csv, streamed); phone and email are masked for roles without the export right',
      params: idParam,
      querystring: exportFieldsQuery,
      produces: ['text/csv'],
      response: { 200: z.unknown().describe('CSV: a header row of the requested fields, then one row per member.'), ...errorResponses },
    },
  }, async (req, reply) => {
    const out = await exportSegment(p, principalOf(req), req.params.id, req.query.fields);
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${out.filename}"`)
      .header('x-masked', String(out.masked))
      .send(out.body);
  });
};
